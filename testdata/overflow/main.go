// Command overflow recurses without bound in a worker goroutine until its
// stack passes the runtime's 1 GB limit, while other goroutines are parked.
// The runtime prints "runtime: goroutine stack exceeds 1000000000-byte
// limit", the sp= and stack=[…] line, then "fatal error: stack overflow",
// the system stack (newstack, morestack) and the goroutine that overflowed.
package main

import (
	"runtime"
	"time"
)

// descend's frame holds a 16 KB array, so the 512 MB stack that overflows
// has some 32,000 frames (not millions): the dump elides all but 100, and
// gocore's JSON and summary, which keep every frame, stay small.
//
//go:noinline
func descend(depth int) int {
	var pad [2048]int64
	pad[depth%len(pad)] = int64(depth)
	return descend(depth+1) + int(pad[(depth*7)%len(pad)])
}

//go:noinline
func receiver(c <-chan int) int { return <-c }

//go:noinline
func worker(start <-chan struct{}) int {
	<-start
	return descend(0)
}

func main() {
	never := make(chan int)
	start := make(chan struct{})
	go receiver(never)
	go receiver(never)
	go worker(start)
	settle()
	close(start)
	time.Sleep(time.Hour)
}

// settle waits until no goroutine but main is runnable or running.
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
