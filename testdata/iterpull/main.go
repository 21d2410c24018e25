//go:build go1.23

// Command iterpull parks goroutines in iterators (Go 1.23+: iter.Pull
// coroutines and range-over-func loops), then panics inside the body of a
// range-over-func loop in main.
//
// What each goroutine demonstrates:
//
//	iter.Pull, next called twice  the coroutine goroutine is parked inside
//	                              yield: [coroutine], below it
//	                              main.counter.func1 and iter.Pull.func1
//	iter.Pull, next never called  the coroutine goroutine has not started:
//	                              [coroutine]
//	pullBlocked                   calls next(); the iterator (on the
//	                              coroutine goroutine) blocks receiving
//	                              from a channel: the caller is
//	                              [coroutine], the coroutine goroutine
//	                              [chan receive] in main.blockingSeq.func1
//	rangeBody                     a range-over-func loop body blocked in
//	                              <-never: [chan receive], the body
//	                              (main.rangeBody-range1) called by the
//	                              iterator (main.counter.func1) called by
//	                              main.rangeBody
//	nestedRange                   two nested range-over-func loops, the
//	                              inner body in select {}: [select (no cases)]
//	main.main                     panics in a range-over-func loop body:
//	                              [running], main.main-range1 above
//	                              main.counter.func1
package main

import (
	"bytes"
	"fmt"
	"iter"
	"runtime"
	"time"
)

var (
	never = make(chan int) // nobody ever sends
	sink  int
	keep  []func() // keeps the stop functions of the iter.Pull calls alive
)

// counter yields 0, 1, ..., n-1.
//
//go:noinline
func counter(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; i < n; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

// blockingSeq receives its first value from never: it blocks forever.
//
//go:noinline
func blockingSeq() iter.Seq[int] {
	return func(yield func(int) bool) {
		v := <-never // [chan receive] on the coroutine goroutine
		yield(v)
	}
}

//go:noinline
func pullTwice() {
	next, stop := iter.Pull(counter(10))
	keep = append(keep, stop)
	a, _ := next()
	b, _ := next()
	sink += a + b // the coroutine stays parked inside yield(1): [coroutine]
}

//go:noinline
func pullNever() {
	_, stop := iter.Pull(counter(10)) // the coroutine never runs: [coroutine]
	keep = append(keep, stop)
}

//go:noinline
func pullBlocked() {
	next, stop := iter.Pull(blockingSeq())
	defer stop()
	v, _ := next() // switches to the coroutine, which blocks: [coroutine]
	sink += v
}

//go:noinline
func rangeBody() {
	for v := range counter(5) {
		sink += v
		<-never // [chan receive] inside the loop body, under the iterator
	}
}

//go:noinline
func nestedRange() {
	for a := range counter(3) {
		for b := range counter(4) {
			if a+b == 1 {
				select {} // [select (no cases)] two iterators deep
			}
		}
	}
}

func main() {
	pullTwice()
	pullNever()
	go pullBlocked()
	go rangeBody()
	go nestedRange()
	settle()

	for v := range counter(4) {
		if v == 2 {
			panic(fmt.Sprintf("iterpull: panic in a range-over-func body at %d", v))
		}
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
