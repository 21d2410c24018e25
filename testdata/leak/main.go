// Command leak parks goroutines on channels and sync primitives that
// nothing reachable references any more (goroutine leaks), next to
// goroutines blocked on ones a global or a live goroutine still references.
// It writes the goroutineleak profile (runtime/pprof, Go 1.27; Go 1.26 only
// has it when built with GOEXPERIMENT=goroutineleakprofile): the
// leak-detection GC moves the leaked goroutines to the _Gleaked state, and
// the dump shows them as "[<wait reason> (leaked)]". Then main panics.
//
// Leaked (every primitive reachable only from the blocked goroutine):
//
//	leakRecv     <-ch on a local channel: [chan receive (leaked)]
//	leakSend     ch <- v, nobody receives: [chan send (leaked)]
//	leakSelect   select on two local channels: [select (leaked)]
//	leakNil      <-ch on a nil channel: [chan receive (nil chan) (leaked)]
//	leakNoCases  select {}: [select (no cases) (leaked)]
//	leakMutex    Lock of a local Mutex that is held:
//	             [sync.Mutex.Lock (leaked)]
//	leakRWMutex  RLock of a local RWMutex write-locked:
//	             [sync.RWMutex.RLock (leaked)]
//	leakWait     Wait on a local WaitGroup: [sync.WaitGroup.Wait (leaked)]
//	leakCond     Wait on a local Cond: [sync.Cond.Wait (leaked)]
//
// Not leaked:
//
//	globalRecv   <-globalCh, a global channel: [chan receive]
//	globalLock   Lock of a global Mutex main holds: [sync.Mutex.Lock]
//	viaRegistry  <- on a channel reachable through a global pointer:
//	             [chan receive]
//	sleeper      sleeps (a sleep is never a leak) holding a channel...
//	viaSleeper   ...which this goroutine receives on: [chan receive]
//	main.main    [running], panics after writing the profile
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"
)

type registry struct {
	pending chan int
}

var (
	globalCh = make(chan int)
	globalMu sync.Mutex // locked by main forever
	reg      = &registry{pending: make(chan int)}
	sink     int
)

//go:noinline
func leakRecv() {
	ch := make(chan int)
	go func() { sink = <-ch }() // [chan receive (leaked)]
}

//go:noinline
func leakSend() {
	ch := make(chan int)
	go func() { ch <- 1 }() // [chan send (leaked)]
}

//go:noinline
func leakSelect() {
	a, b := make(chan int), make(chan string)
	go func() {
		select { // [select (leaked)]
		case v := <-a:
			sink = v
		case b <- "x":
		}
	}()
}

//go:noinline
func nilRecv() int {
	var ch chan int
	return <-ch // [chan receive (nil chan) (leaked)]
}

//go:noinline
func leakNil() { go nilRecv() }

//go:noinline
func noCases() {
	select {} // [select (no cases) (leaked)]
}

//go:noinline
func leakNoCases() { go noCases() }

// guarded is not a tiny allocation: a lone new(sync.Mutex) (8 bytes, no
// pointers) would share a 16-byte tiny block with other objects, and a live
// neighbour would keep the mutex "reachable", hiding the leak.
type guarded struct {
	mu   sync.Mutex
	data map[string]int
}

//go:noinline
func lockIt(g *guarded) {
	g.mu.Lock() // [sync.Mutex.Lock (leaked)] for a local mutex
	g.data["x"]++
	g.mu.Unlock()
}

//go:noinline
func leakMutex() {
	g := &guarded{data: map[string]int{}}
	g.mu.Lock()
	go lockIt(g)
}

//go:noinline
func rlockIt(rw *sync.RWMutex) {
	rw.RLock() // [sync.RWMutex.RLock (leaked)]
	rw.RUnlock()
}

//go:noinline
func leakRWMutex() {
	rw := new(sync.RWMutex)
	rw.Lock()
	go rlockIt(rw)
}

//go:noinline
func waitIt(wg *sync.WaitGroup) {
	wg.Wait() // [sync.WaitGroup.Wait (leaked)]
}

//go:noinline
func leakWait() {
	wg := new(sync.WaitGroup)
	wg.Add(1)
	go waitIt(wg)
}

//go:noinline
func condWait(c *sync.Cond) {
	c.L.Lock()
	c.Wait() // [sync.Cond.Wait (leaked)]
	c.L.Unlock()
}

//go:noinline
func leakCond() {
	go condWait(sync.NewCond(new(sync.Mutex)))
}

//go:noinline
func globalRecv() {
	sink = <-globalCh // [chan receive], globalCh is a global
}

//go:noinline
func globalLock() {
	globalMu.Lock() // [sync.Mutex.Lock], globalMu is a global
	globalMu.Unlock()
}

//go:noinline
func viaRegistry(r *registry) {
	sink = <-r.pending // [chan receive], reachable through the global reg
}

//go:noinline
func sleeper(ch chan int) {
	time.Sleep(time.Hour) // [sleep]: it may wake and send on ch
	ch <- 1
}

//go:noinline
func viaSleeper(ch chan int) {
	sink = <-ch // [chan receive], ch is on the sleeping goroutine's stack
}

func main() {
	globalMu.Lock()

	leakRecv()
	leakSend()
	leakSelect()
	leakNil()
	leakNoCases()
	leakMutex()
	leakRWMutex()
	leakWait()
	leakCond()

	go globalRecv()
	go globalLock()
	go viaRegistry(reg)
	ch := make(chan int)
	go sleeper(ch)
	go viaSleeper(ch)
	ch = nil
	settle()

	prof := pprof.Lookup("goroutineleak")
	if prof == nil {
		fmt.Fprintln(os.Stderr, "leak: no goroutineleak profile in", runtime.Version())
		os.Exit(1)
	}
	var buf bytes.Buffer
	if err := prof.WriteTo(&buf, 1); err != nil {
		fmt.Fprintln(os.Stderr, "leak: writing the goroutineleak profile:", err)
		os.Exit(1)
	}
	first, _, _ := strings.Cut(buf.String(), "\n")
	fmt.Println(first) // "goroutineleak profile: total 9"
	panic(fmt.Sprintf("leak: %d leaked goroutines", prof.Count()))
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
