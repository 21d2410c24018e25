// Command holdout_pipeline (held-out e2e program: not to be used while
// tuning gocore) runs a three-stage pipeline whose stages block on channel
// sends and receives, a fan-in select, a stats goroutine waiting for a
// Mutex and a collector waiting on a WaitGroup; then the "enrich" stage
// writes to a nil map and panics.
package main

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"time"
)

type record struct {
	id   int
	text string
	tags map[string]string
}

type stats struct {
	sync.Mutex
	seen int
}

var st stats

//go:noinline
func generate(out chan<- record, n int) {
	for i := 0; i < n; i++ {
		out <- record{id: i, text: strings.Repeat("x", i)} // [chan send]
	}
	close(out)
}

//go:noinline
func enrich(in <-chan record, out chan<- record, release <-chan struct{}) {
	r := <-in
	<-release
	settle()                   // let everyone else park first
	r.tags["stage"] = "enrich" // nil map: panic
	out <- r
}

//go:noinline
func merge(a, b <-chan record, out chan<- record) {
	for {
		select { // [select]
		case r := <-a:
			out <- r
		case r := <-b:
			out <- r
		}
	}
}

//go:noinline
func count(in <-chan record) {
	for range in { // [chan receive]
		st.Lock()
		st.seen++
		st.Unlock()
	}
}

//go:noinline
func report() int {
	st.Lock() // main holds it: [semacquire]
	defer st.Unlock()
	return st.seen
}

func main() {
	raw := make(chan record)
	enriched := make(chan record)
	other := make(chan record)
	merged := make(chan record)
	release := make(chan struct{})

	go generate(raw, 10)
	go enrich(raw, enriched, release)
	go merge(enriched, other, merged)
	go count(make(chan record))
	st.Lock()
	go report()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for r := range merged {
			_ = r
		}
	}()
	settle()
	close(release)
	wg.Wait() // [semacquire]
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
