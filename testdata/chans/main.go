// Command chans parks goroutines on every kind of channel operation, then
// crashes with a nil pointer dereference in main.
//
// Expected dump (GOTRACEBACK=crash): [chan receive], [chan send],
// [chan receive (nil chan)], [chan send (nil chan)], [select],
// [select (no cases)]; main is [running] in main.main.
package main

import (
	"bytes"
	"runtime"
	"time"
)

type node struct {
	val  int
	next *node
}

var (
	unbuffered = make(chan int)
	full       = make(chan string, 2)
	lines      = make(chan string)
	quit       = make(chan struct{})
	sink       int
)

//go:noinline
func receiver(c <-chan int) int {
	return <-c // [chan receive]
}

//go:noinline
func sender(c chan<- int, v int) {
	c <- v // [chan send]
}

//go:noinline
func fillThenBlock(c chan string) {
	c <- "a"
	c <- "b"
	c <- "c" // buffer full: [chan send]
}

//go:noinline
func nilReceive() {
	var c chan int
	<-c // [chan receive (nil chan)]
}

//go:noinline
func nilSend() {
	var c chan int
	c <- 1 // [chan send (nil chan)]
}

//go:noinline
func selector(a <-chan int, b chan<- string) int {
	select { // [select]
	case v := <-a:
		return v
	case b <- "x":
		return 0
	case <-quit:
		return -1
	}
}

//go:noinline
func forever() {
	select {} // [select (no cases)]
}

//go:noinline
func drain(c <-chan string) int {
	n := 0
	for s := range c { // [chan receive]
		n += len(s)
	}
	return n
}

//go:noinline
func receiveOK(c <-chan int) bool {
	_, ok := <-c // chanrecv2: [chan receive]
	return ok
}

func main() {
	go receiver(unbuffered)
	go sender(make(chan int), 42)
	go fillThenBlock(full)
	go nilReceive()
	go nilSend()
	go selector(make(chan int), make(chan string))
	go forever()
	go drain(lines)
	go receiveOK(make(chan int))
	go func() {
		<-quit // closure: main.main.func1, [chan receive]
	}()
	settle()

	var n *node
	n.next.val = 1 // nil pointer dereference in main
	sink = n.val
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
