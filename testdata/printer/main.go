// printer is the program goruntime/tests/traceback_test.c crashes to compare
// gocore's traceback printer and unwinder with the Go runtime's own dump.
//
// Run without arguments it prints a line and exits.  Given an argument it
// parks goroutines in distinct ways (channel receive through an inlined
// helper, channel send, nil channel, select, select{}, sleep, mutex,
// WaitGroup, sync.Cond, a pipe read in the netpoller, a raw read(2) system
// call), a method whose arguments have different sizes (int8, int32, string,
// struct; some live after the park, some not, so printArgs marks stale ones
// with "?"), a goroutine locked to its thread, and a recursion deeper than
// the runtime's 100-frame limit parked on a channel (the "...additional
// frames elided..." line); it runs a garbage collection (stamping the parked
// goroutines' waitsince); then it dereferences a nil pointer in main.  With
// GOTRACEBACK=crash the runtime prints every goroutine with fp/sp/pc and
// aborts with SIGABRT, which dumps a core when RLIMIT_CORE allows it.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

var started sync.WaitGroup

// Inlined into its callers: a "(...)" frame on the parked stack.
func take(c <-chan int) int { return <-c }

//go:noinline
func recvInlined(c chan int) int {
	started.Done()
	return take(c) + 1
}

//go:noinline
func send(c chan int) {
	started.Done()
	c <- 42
}

//go:noinline
func nilRecv() {
	var c chan int
	started.Done()
	<-c
}

//go:noinline
func selectTwo(a, b chan int) int {
	started.Done()
	select {
	case v := <-a:
		return v
	case v := <-b:
		return -v
	}
}

//go:noinline
func selectNone() {
	started.Done()
	select {}
}

//go:noinline
func sleeper(d time.Duration) {
	started.Done()
	time.Sleep(d)
}

//go:noinline
func lockMutex(mu *sync.Mutex) {
	started.Done()
	mu.Lock()
}

//go:noinline
func waitGroup(wg *sync.WaitGroup) {
	started.Done()
	wg.Wait()
}

//go:noinline
func condWait(c *sync.Cond) {
	c.L.Lock()
	started.Done()
	c.Wait()
	c.L.Unlock()
}

//go:noinline
func pipeRead(f *os.File) int {
	var b [16]byte
	started.Done()
	n, _ := f.Read(b[:])
	return n
}

//go:noinline
func rawRead(fd int) int {
	var b [16]byte
	started.Done()
	n, _ := syscall.Read(fd, b[:])
	return n
}

type pair struct {
	a int16
	b int64
}

type worker struct {
	name string
	in   chan int
}

// park's a and s are used after the receive (their spill slots stay live);
// b and p are not, so the runtime prints them with "?".
//
//go:noinline
func (w *worker) park(a int8, b int32, s string, p pair) int {
	started.Done()
	v := <-w.in
	return v + int(a) + len(s)
}

//go:noinline
func locked(c chan int) int {
	runtime.LockOSThread()
	started.Done()
	return <-c
}

//go:noinline
func deep(n int, c chan int) int {
	if n == 0 {
		started.Done()
		return <-c
	}
	return deep(n-1, c) + 1
}

type node struct {
	next *node
	val  int
}

//go:noinline
func crash(n *node) int {
	return n.next.val // n.next is nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Println("printer: pass an argument to crash")
		return
	}
	never := make(chan int)  // nobody sends
	nobody := make(chan int) // nobody receives
	var mu sync.Mutex
	mu.Lock()
	var wg sync.WaitGroup
	wg.Add(1)
	cond := sync.NewCond(&sync.Mutex{})
	pr, pw, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		panic(err)
	}
	w := &worker{name: "w", in: never}

	started.Add(14)
	go recvInlined(never)
	go send(nobody)
	go nilRecv()
	go selectTwo(never, never)
	go selectNone()
	go sleeper(time.Hour)
	go lockMutex(&mu)
	go waitGroup(&wg)
	go condWait(cond)
	go pipeRead(pr)
	go rawRead(fds[0])
	go w.park(-3, 70000, "hello", pair{a: 7, b: 1 << 40})
	go locked(never)
	go deep(150, never)
	started.Wait()
	// Let every goroutine get from Done to its parking place.
	time.Sleep(50 * time.Millisecond)
	// A collection's stack scan stamps every blocked goroutine's waitsince
	// with work.tstart (mgcmark.go), which is how a reader of the core
	// learns the runtime's clock.  tstart is only set at the end of a mark
	// phase (gcMark), so the first collection stamps 0: run two.  They
	// also leave the GC's mark workers parked ("GC worker (idle)").
	runtime.GC()
	runtime.GC()
	// Let the sweeper and scavenger the collections woke go back to sleep.
	time.Sleep(20 * time.Millisecond)
	runtime.KeepAlive(pw)
	fmt.Println(crash(&node{}))
}
