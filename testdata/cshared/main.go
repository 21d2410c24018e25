// Command cshared is Go code built with -buildmode=c-shared and loaded by a
// C host (host.c): gocore must find the Go module among the core's mapped
// files (NT_FILE), at the library's load bias.
//
// The host calls GoStart, which parks goroutines in several ways; then a C
// thread the host made calls GoBlock, which parks inside a call from C (a
// goroutine on an extra M); then the host's main thread calls GoCrash,
// which panics.  With GOTRACEBACK=crash the runtime prints every goroutine
// and aborts.  (A c-shared library does not install a SIGQUIT handler, so a
// SIGQUIT dump is not possible here: see os/signal's "Non-Go programs that
// call Go code".)
package main

// #include <stdint.h>
import "C"

import (
	"sync"
	"time"
)

var (
	never   = make(chan int)
	full    = make(chan int)
	mu      sync.Mutex
	wg      sync.WaitGroup
	cond    = sync.NewCond(&sync.Mutex{})
	parked  sync.WaitGroup
	blocked = make(chan struct{})
)

//go:noinline
func receiver(id int) int {
	parked.Done()
	return <-never + id // [chan receive]
}

//go:noinline
func sender(v int) {
	parked.Done()
	full <- v // [chan send]
}

//go:noinline
func selector() {
	parked.Done()
	select { // [select]
	case <-never:
	case full <- 1:
	}
}

//go:noinline
func locker() {
	parked.Done()
	mu.Lock() // held by GoStart's caller's goroutine forever
}

//go:noinline
func waiter() {
	parked.Done()
	wg.Wait() // [sync.WaitGroup.Wait] (1.19: semacquire)
}

//go:noinline
func condWaiter() {
	cond.L.Lock()
	parked.Done()
	cond.Wait() // [sync.Cond.Wait]
}

//go:noinline
func sleeper() {
	parked.Done()
	time.Sleep(time.Hour) // [sleep]
}

type job struct{ n int }

//go:noinline
func (j *job) run(out chan<- int) {
	parked.Done()
	out <- j.n // [chan send]
}

//export GoStart
func GoStart() C.int {
	mu.Lock()
	wg.Add(1)
	parked.Add(9)
	go receiver(1)
	go receiver(2)
	go sender(3)
	go selector()
	go locker()
	go waiter()
	go condWaiter()
	go sleeper()
	go (&job{7}).run(make(chan int))
	parked.Wait()
	time.Sleep(100 * time.Millisecond) // let them reach their park
	return 9
}

//export GoBlock
func GoBlock() {
	close(blocked)
	<-never // a goroutine that came from C: [chan receive]
}

//export GoWaitBlocked
func GoWaitBlocked() {
	<-blocked
	time.Sleep(100 * time.Millisecond)
}

type crashError struct{ code int }

func (e crashError) Error() string { return "cshared: crash requested" }

//go:noinline
func explode(code int) {
	panic(crashError{code})
}

//export GoCrash
func GoCrash(code C.int) {
	explode(int(code))
}

func main() {} // required by -buildmode=c-shared, never run
