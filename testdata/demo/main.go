// Command demo is a small "order service" used by `make demo`: workers
// wait for orders on a channel, an auditor waits for a mutex held by the
// ledger, a metrics flusher sleeps, and one worker hits an order with a
// missing map and panics ("assignment to entry in nil map"). Run with
// GOTRACEBACK=crash it dumps core; `gocore goroutines core exe` then shows
// the same goroutine dump from the core.
package main

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"time"
)

type Order struct {
	ID    int
	Items map[string]int
}

type Ledger struct {
	mu     sync.Mutex
	totals map[string]int
}

func (l *Ledger) Audit() int {
	l.mu.Lock() // waits: the ledger is locked during a long "reconcile"
	defer l.mu.Unlock()
	n := 0
	for _, v := range l.totals {
		n += v
	}
	return n
}

func worker(id int, orders <-chan *Order, ready chan<- int) {
	ready <- id
	for o := range orders {
		if o.ID == 3 {
			settle() // let the other goroutines park: deterministic dump
		}
		o.Items["gift-wrap"]++ // order 3 has no Items map: panic
		fmt.Println("worker", id, "handled order", o.ID)
	}
}

func flushMetrics(every time.Duration) {
	for {
		time.Sleep(every)
	}
}

func main() {
	orders := make(chan *Order)
	ready := make(chan int)
	for i := 1; i <= 3; i++ {
		go worker(i, orders, ready)
		<-ready
	}
	ledger := &Ledger{totals: map[string]int{}}
	ledger.mu.Lock() // "reconcile" holds the ledger
	go ledger.Audit()
	go flushMetrics(time.Minute)
	settle()

	orders <- &Order{ID: 1, Items: map[string]int{}}
	orders <- &Order{ID: 2, Items: map[string]int{}}
	orders <- &Order{ID: 3} // Items is nil
	time.Sleep(time.Hour)
}

// settle waits until no goroutine but the caller is runnable or running.
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
