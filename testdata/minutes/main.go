// Command minutes parks goroutines, lets a GC stamp their waitsince, and
// keeps the process busy for just over a minute before panicking, so the
// runtime's dump prints ", 1 minutes" in their headers.  It exercises
// gocore's estimate of the crash time (the core holds no clock).
package main

import (
	"runtime"
	"sync"
	"time"
)

var sink int

//go:noinline
func wait(c chan int) { <-c }

//go:noinline
func busy(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		for i := 0; i < 1000; i++ {
			sink += i
		}
		time.Sleep(time.Millisecond)
	}
}

func main() {
	c := make(chan int)
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 3; i++ {
		go wait(c)
	}
	go func() { mu.Lock() }()
	time.Sleep(50 * time.Millisecond)
	// The GC's mark phase records when it first saw each goroutine blocked
	// (g.waitsince = work.tstart); without a GC the runtime prints no
	// minutes at all.  work.tstart is only set at the end of the first
	// cycle (mgc.go gcMark), so it takes two.
	runtime.GC()
	runtime.GC()
	stop := make(chan struct{})
	go busy(stop)
	time.Sleep(62 * time.Second)
	panic("after a minute")
}
