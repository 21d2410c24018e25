// Command throws dies of a runtime throw ("fatal error: …") raised on an
// ordinary goroutine's stack — not a panic: unlocking an unlocked mutex —
// while other goroutines are parked.  The runtime prints the throwing
// goroutine from runtime.fatal, after a systemstack switch that gocore must
// follow back to the goroutine's stack.
package main

import (
	"runtime"
	"sync"
	"time"
)

type registry struct {
	mu    sync.Mutex
	items map[string]int
}

//go:noinline
func (r *registry) release() {
	r.mu.Unlock() // never locked: fatal error
}

//go:noinline
func waiter(c <-chan int) int { return <-c }

//go:noinline
func worker(r *registry, start <-chan struct{}) {
	<-start
	r.release()
}

func settle() {
	buf := make([]byte, 1<<16)
	for i := 0; i < 200; i++ {
		n := runtime.Stack(buf, true)
		if countRunnable(buf[:n]) <= 1 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func countRunnable(b []byte) int {
	n := 0
	for i := 0; i+11 < len(b); i++ {
		if string(b[i:i+11]) == "[runnable]:" || string(b[i:i+10]) == "[running]:" {
			n++
		}
	}
	return n
}

func main() {
	c := make(chan int)
	for i := 0; i < 3; i++ {
		go waiter(c)
	}
	r := &registry{items: map[string]int{}}
	start := make(chan struct{})
	done := make(chan struct{})
	go func() {
		worker(r, start)
		close(done)
	}()
	settle()
	close(start)
	<-done
}
