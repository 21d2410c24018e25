//go:build go1.25

package main

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// outside is made outside any bubble: a bubbled goroutine blocked on it is
// not durably blocked.
var outside = make(chan int)

var sink int

//go:noinline
func recvBubbled(ch <-chan int) int {
	return <-ch // a channel made in the bubble: [chan receive (durable), synctest bubble N]
}

//go:noinline
func recvOutside() int {
	return <-outside // not durable: [chan receive, synctest bubble N]
}

//go:noinline
func recvNil() int {
	var ch chan int
	return <-ch // [chan receive (nil chan) (durable), synctest bubble N]
}

//go:noinline
func selectBubbled(a <-chan int, b chan<- int) int {
	select { // [select (durable), synctest bubble N]
	case v := <-a:
		return v
	case b <- 1:
		return 0
	}
}

//go:noinline
func selectNoCases() {
	select {} // [select (no cases) (durable), synctest bubble N]
}

//go:noinline
func condWait(mu *sync.Mutex, c *sync.Cond, ready *bool) {
	mu.Lock()
	for !*ready {
		c.Wait() // [sync.Cond.Wait (durable), synctest bubble N]
	}
	mu.Unlock()
}

//go:noinline
func sleepLong() {
	time.Sleep(time.Hour) // fake time that never advances: [sleep (durable), synctest bubble N]
}

//go:noinline
func lockStore(s *Store) {
	s.Put("k", 1) // not durable: [sync.Mutex.Lock, synctest bubble N]
}

//go:noinline
func waitAll(wg *sync.WaitGroup) {
	wg.Wait() // a WaitGroup of the bubble: [sync.WaitGroup.Wait (durable), synctest bubble N]
}

// TestAQuick runs first and passes: its bubble (number 1) is gone by the
// time TestHang makes its own (number 2).
func TestAQuick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		time.Sleep(time.Minute) // fake time: returns at once
		if time.Since(start) != time.Minute {
			t.Errorf("fake clock moved %v", time.Since(start))
		}
	})
}

// TestHang hangs in a bubble until -test.timeout kills the binary.
func TestHang(t *testing.T) {
	// Outside the bubble: parked on a channel nobody uses, no bubble marker.
	go func() { sink = <-make(chan int) }() // [chan receive]

	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int)
		ch2 := make(chan int)
		var mu sync.Mutex
		cond := sync.NewCond(&mu)
		ready := false
		store := &Store{data: map[string]int{}}
		store.mu.Lock() // never unlocked

		var wg sync.WaitGroup
		wg.Add(1) // never Done
		go recvBubbled(ch)
		go recvOutside()
		go recvNil()
		go selectBubbled(ch, ch2)
		go selectNoCases()
		go condWait(&mu, cond, &ready)
		go sleepLong()
		go lockStore(store)
		waitAll(&wg) // the bubble's test goroutine (tRunner running f)
	})
}
