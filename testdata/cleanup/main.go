//go:build go1.24

// Command cleanup registers runtime.AddCleanup (Go 1.24+) cleanups, forces
// garbage collections so that they run, and parks ordinary goroutines next
// to the runtime's cleanup goroutines. It prints "READY <pid>" and the
// harness sends SIGQUIT.
//
// With GOMAXPROCS 8 the runtime keeps up to two cleanup goroutines
// (GOMAXPROCS/4); it starts them from runtime.AddCleanup when the queue has
// more work than sleeping goroutines.
//
// What each goroutine demonstrates:
//
//	cleanup goroutine 1  runs blockingCleanup, which never returns: a user
//	                     function on a runtime goroutine, [chan receive]
//	                     above runtime.runCleanups
//	cleanup goroutine 2  ran signalCleanup, then went back to sleep:
//	                     [cleanup wait] in runtime.runCleanups
//	holder               keeps an object with a registered cleanup alive
//	                     on its stack: [chan receive]
//	sleeper              [sleep]
//	selector             [select]
//	main                 waits for SIGQUIT: [select]
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"time"
)

type resource struct {
	name string
	buf  [64]byte
}

var (
	never   = make(chan int)       // nobody ever sends
	stop    = make(chan int)       // main waits here for SIGQUIT
	started = make(chan string, 1) // blockingCleanup has begun
	done    = make(chan string, 1) // signalCleanup has run
	kept    []*resource            // objects whose cleanups must not run
	sink    int
)

//go:noinline
func blockingCleanup(name string) {
	started <- name
	<-never // the cleanup goroutine parks in user code: [chan receive]
}

//go:noinline
func signalCleanup(name string) {
	done <- name // returns; its goroutine goes back to [cleanup wait]
}

//go:noinline
func keptCleanup(name string) {
	panic("cleanup: cleanup of a reachable object ran: " + name)
}

//go:noinline
func holder(r *resource) {
	<-never // [chan receive], r (with a cleanup) live on this stack
	sink += len(r.name)
}

//go:noinline
func sleeper() {
	time.Sleep(time.Hour) // [sleep]
}

//go:noinline
func selector() {
	select { // [select]
	case <-never:
	case <-stop:
	}
}

//go:noinline
func garbage(name string, cleanup func(string)) {
	r := &resource{name: name}
	runtime.AddCleanup(r, cleanup, name) // r is unreachable once we return
}

//go:noinline
func keep(name string) {
	r := &resource{name: name}
	runtime.AddCleanup(r, keptCleanup, name)
	kept = append(kept, r)
}

// collect runs garbage collections until ch receives, registering a cleanup
// on a reachable object after each (AddCleanup starts the cleanup goroutines
// the queue asked for).
func collect(ch <-chan string, what string) {
	for i := 0; i < 200; i++ {
		runtime.GC()
		keep(fmt.Sprintf("%s-%d", what, i))
		select {
		case <-ch:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	fmt.Fprintf(os.Stderr, "cleanup: %s never ran\n", what)
	os.Exit(1)
}

func main() {
	runtime.GOMAXPROCS(8) // up to two cleanup goroutines

	garbage("first", blockingCleanup)
	collect(started, "blockingCleanup")
	garbage("second", signalCleanup)
	collect(done, "signalCleanup")

	r := &resource{name: "held"}
	runtime.AddCleanup(r, keptCleanup, "held")
	go holder(r)
	go sleeper()
	go selector()
	settle()

	fmt.Printf("READY %d\n", os.Getpid())
	select {
	case <-stop: // main waits here for the harness's SIGQUIT: [select]
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "cleanup: no SIGQUIT within 30s")
		os.Exit(1)
	}
}

// settle waits until no goroutine but the caller is runnable or running,
// so the crash dump shows every goroutine parked where the program put it.
func settle() {
	buf := make([]byte, 1<<16)
	for quiet, i := 0, 0; quiet < 5 && i < 3000; i++ {
		n := runtime.Stack(buf, true)
		if n == len(buf) {
			buf = make([]byte, 2*len(buf))
			quiet = 0
			continue
		}
		busy := bytes.Count(buf[:n], []byte(" [running")) + bytes.Count(buf[:n], []byte(" [runnable"))
		if busy <= 1 {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(2 * time.Millisecond)
	}
}
