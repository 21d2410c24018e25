// Command carchive is Go code built with -buildmode=c-archive and linked
// statically into a C host (host.c): the Go code is the executable's own,
// but its main is C's and every goroutine is started from calls out of C.
//
// The host calls GoServe, which starts workers that park in several ways;
// a C thread of the host calls GoWait, which parks in a select inside a
// call from C; then the host's main thread calls GoTrigger, which hands a
// nil *request to a worker goroutine: its dereference faults there
// (SIGSEGV, which the runtime of a c-archive does handle: a synchronous
// signal) and panics while GoTrigger waits for the answer.  With
// GOTRACEBACK=crash the runtime prints every goroutine and aborts.  (The
// runtime of a c-archive installs no handler for SIGQUIT, so there is no
// SIGQUIT dump to test: see os/signal, "Non-Go programs that call Go
// code".)
package main

// #include <stdint.h>
import "C"

import (
	"context"
	"sync"
	"time"
)

var (
	requests = make(chan *request)
	answers  = make(chan int)
	rw       sync.RWMutex
	ready    sync.WaitGroup
	waiting  = make(chan struct{})
	tick     *time.Ticker
	cancel   context.CancelFunc
)

type request struct {
	name string
	hits int
}

//go:noinline
func worker(id int) {
	ready.Done()
	for r := range requests { // [chan receive]
		// let GoTrigger park on answers first: the dump should show it
		// [chan receive], not caught on its way there ([runnable])
		time.Sleep(200 * time.Millisecond)
		r.hits += id // nil *request: SIGSEGV
		answers <- r.hits
	}
}

//go:noinline
func reader() {
	ready.Done()
	rw.RLock() // GoServe holds the write lock: [sync.RWMutex.RLock] (1.19: semacquire)
	rw.RUnlock()
}

//go:noinline
func ticking() {
	ready.Done()
	for range tick.C { // [chan receive] on a ticker
	}
}

//go:noinline
func deadline(ctx context.Context) {
	ready.Done()
	<-ctx.Done() // an hour's deadline: [chan receive]
}

type pool struct{ mu sync.Mutex }

//go:noinline
func (p *pool) take() {
	ready.Done()
	p.mu.Lock() // GoServe holds it: [sync.Mutex.Lock] (1.19: semacquire)
}

//export GoServe
func GoServe(n C.int) C.int {
	rw.Lock() // never released: reader parks
	tick = time.NewTicker(time.Hour)
	var ctx context.Context
	ctx, cancel = context.WithTimeout(context.Background(), time.Hour)
	p := &pool{}
	p.mu.Lock()
	ready.Add(int(n) + 4)
	for i := 0; i < int(n); i++ {
		go worker(i)
	}
	go reader()
	go ticking()
	go deadline(ctx)
	go p.take()
	ready.Wait()
	time.Sleep(100 * time.Millisecond) // let them reach their park
	return n + 4
}

//export GoWait
func GoWait() {
	close(waiting)
	select { // a goroutine that came from C: [select]
	case <-answers:
	case <-time.After(time.Hour):
	}
}

//export GoWaitReady
func GoWaitReady() {
	<-waiting
	time.Sleep(100 * time.Millisecond)
}

//export GoTrigger
func GoTrigger() C.int {
	var r *request
	requests <- r
	return C.int(<-answers) // [chan receive] until the worker panics
}

func main() {} // required by -buildmode=c-archive, never run
