// report is the program goruntime/tests/report_test.c crashes to check
// gocore's triage outputs (frames as data, grouping, JSON, pprof, filters)
// against the Go runtime's own dump.
//
// Run without arguments it prints a line and exits.  Given an argument it
// parks goroutines in groups with identical stacks (5 receiving through an
// inlined helper, 3 blocked on a mutex in a generic function, 2 sleeping),
// a few one-off goroutines (a channel send, a select, one locked to its
// thread), runs two garbage collections (stamping waitsince), and panics in
// main.  With GOTRACEBACK=crash the runtime prints every goroutine and
// aborts with SIGABRT, which dumps a core when RLIMIT_CORE allows it.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

var started sync.WaitGroup

// Inlined into receiver: a "(...)" frame.
func take(c <-chan int) int { return <-c }

//go:noinline
func receiver(c chan int) int {
	started.Done()
	return take(c) + 1
}

type box[T any] struct{ v T }

// A generic function: the dump prints it as main.lockIn[...].
//
//go:noinline
func lockIn[T any](mu *sync.Mutex, b *box[T]) T {
	started.Done()
	mu.Lock()
	return b.v
}

//go:noinline
func sleeper(d time.Duration) {
	started.Done()
	time.Sleep(d)
}

//go:noinline
func sender(c chan int) {
	started.Done()
	c <- 1
}

//go:noinline
func selecter(a, b chan int) int {
	started.Done()
	select {
	case v := <-a:
		return v
	case v := <-b:
		return v
	}
}

//go:noinline
func locked(c chan int) int {
	runtime.LockOSThread()
	started.Done()
	return <-c
}

func main() {
	if len(os.Args) < 2 {
		fmt.Println("report: pass an argument to crash")
		return
	}
	never := make(chan int)
	nobody := make(chan int)
	var mu sync.Mutex
	mu.Lock()
	started.Add(5 + 3 + 2 + 3)
	for i := 0; i < 5; i++ {
		go receiver(never)
	}
	for i := 0; i < 3; i++ {
		go lockIn(&mu, &box[string]{"x"})
	}
	for i := 0; i < 2; i++ {
		go sleeper(time.Hour)
	}
	go sender(nobody)
	go selecter(never, never)
	go locked(never)
	started.Wait()
	time.Sleep(50 * time.Millisecond)
	// Two collections: the second stamps the parked goroutines' waitsince
	// with a non-zero work.tstart (see testdata/printer).
	runtime.GC()
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	panic("report: crash")
}
