// crashcore is the program the analyzer's tests dump a core of.
//
// Run without arguments it prints a line and exits.  Given an argument it
// starts a few goroutines that block in different ways, then dereferences a
// nil pointer in main; with GOTRACEBACK=crash the runtime prints every
// goroutine and aborts with SIGABRT, which dumps a core when RLIMIT_CORE
// allows it.
package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

type node struct {
	next *node
	val  int
}

var sink []*node

//go:noinline
func blockOnChan(ch chan int, started *sync.WaitGroup) {
	started.Done()
	<-ch
}

//go:noinline
func sleepLong(started *sync.WaitGroup) {
	started.Done()
	time.Sleep(time.Hour)
}

//go:noinline
func waitMutex(mu *sync.Mutex, started *sync.WaitGroup) {
	started.Done()
	mu.Lock()
}

//go:noinline
func crash(n *node) int {
	return n.next.val // n.next is nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Println("crashcore: pass an argument to crash")
		return
	}
	var started sync.WaitGroup
	ch := make(chan int)
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 3; i++ {
		started.Add(3)
		go blockOnChan(ch, &started)
		go sleepLong(&started)
		go waitMutex(&mu, &started)
	}
	for i := 0; i < 100; i++ {
		sink = append(sink, &node{val: i})
	}
	started.Wait()
	time.Sleep(10 * time.Millisecond)
	fmt.Println(crash(sink[0]))
}
