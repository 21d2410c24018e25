// Command deep parks goroutines at the bottom of deep recursions, around and
// far past the runtime's 100-frame traceback limit (Go 1.19 prints the first
// 100 frames then "...additional frames elided..."; Go 1.21+ prints 50 + 50
// with "...N frames elided..."), including recursion through inlined frames
// and mutual recursion. A goroutine 200 frames deep then panics with a
// custom error type, so the crashing goroutine's own stack is elided too.
package main

import (
	"bytes"
	"fmt"
	"runtime"
	"time"
)

var block = make(chan int)

// Each descend goroutine prints depth+6 frames in Go 1.19 (descend x depth+1,
// the go-statement wrapper main.main.func1, runtime.goexit and three runtime
// frames of the channel receive): 98, 99, 100 (exactly the limit: the
// runtime still prints the elision marker) and 101.
var depths = []int{92, 93, 94, 95}

//go:noinline
func descend(n int, c <-chan int) int {
	if n == 0 {
		return <-c // [chan receive]
	}
	return descend(n-1, c) + 1
}

// step is small enough to be inlined into walk, so every physical walk
// frame carries an inlined "main.step(...)" frame.
func step(n int, c <-chan int) int {
	return walk(n-1, c) * 2
}

//go:noinline
func walk(n int, c <-chan int) int {
	if n == 0 {
		select { // [select]
		case v := <-c:
			return v
		case <-block:
			return 0
		}
	}
	return step(n, c)
}

//go:noinline
func even(n int, m chan int) bool {
	if n == 0 {
		m <- 1 // [chan send]
		return true
	}
	return odd(n-1, m)
}

//go:noinline
func odd(n int, m chan int) bool {
	if n == 0 {
		m <- 1
		return false
	}
	return even(n-1, m)
}

type depthError struct{ depth int }

func (e *depthError) Error() string { return fmt.Sprintf("gave up at depth %d", e.depth) }

//go:noinline
func dive(n int, trigger <-chan int) int {
	if n == 0 {
		<-trigger
		settle() // let main park first, so the dump is deterministic
		panic(&depthError{depth: 200})
	}
	return dive(n-1, trigger) + 1
}

func main() {
	for _, d := range depths {
		go descend(d, make(chan int))
	}
	go walk(30, make(chan int))
	// walk(120): Go 1.19 stops after 100 physical frames but counts inlined
	// frames as printed ones, so this stack is cut short with NO marker.
	go walk(120, make(chan int))
	go even(150, make(chan int))
	go descend(500, make(chan int))
	trigger := make(chan int)
	go dive(200, trigger)
	settle()

	trigger <- 1
	time.Sleep(time.Hour) // [sleep]
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
