//go:build go1.24

// Command holdout_iter (held-out e2e program) is a small log pipeline built
// from iterator adapters (Go 1.23+ iter.Seq/iter.Seq2, range-over-func) over
// log segments whose file descriptors are given back by runtime.AddCleanup
// (Go 1.24+) cleanups. Several pipelines are parked mid-stream, then the
// indexer panics inside the body of a range-over-func loop, three
// iterators deep, on a malformed record.
//
// Where each goroutine is parked:
//
//	ship      for b := range Batch(Values(Where(Parse(Lines(seg)))))
//	          { out <- b }: the body (main.ship-range1) blocked on a channel
//	          nobody reads, under the whole adapter chain: [chan send]
//	join      a merge join of a snapshot segment and a live stream, both
//	          pulled with iter.Pull2: the snapshot's coroutine is parked in
//	          yield between two next() calls ([coroutine]); the live
//	          stream's coroutine waits in Tail for a line ([chan receive]);
//	          the joiner waits for that next(): [coroutine]
//	follow    for r := range Where(Parse(Tail(alerts))): the iterator itself
//	          waits for a line, no loop body on the stack: [chan receive]
//	indexer   for seg := range Segments(...) { for r := range
//	          Parse(Lines(seg)) { ... panic } }: [running]
//	main      waits for the indexer: [chan receive]
//
// Segments dropped before the crash have had their cleanups run (main forces
// collections until it sees them); the cleanup goroutine is idle again.
package main

import (
	"bytes"
	"fmt"
	"iter"
	"runtime"
	"strings"
	"sync"
	"time"
)

// ---- segments and their file descriptors ------------------------------------

type Segment struct {
	name  string
	fd    int
	lines []string
}

var (
	fdMu     sync.Mutex
	nextFD   = 3
	freeFDs  []int
	released = make(chan int, 16) // one value per cleanup that ran
)

//go:noinline
func OpenSegment(name string, lines ...string) *Segment {
	fdMu.Lock()
	fd := nextFD
	nextFD++
	fdMu.Unlock()
	s := &Segment{name: name, fd: fd, lines: lines}
	runtime.AddCleanup(s, releaseFD, fd)
	return s
}

// releaseFD is the cleanup of every Segment.
//
//go:noinline
func releaseFD(fd int) {
	fdMu.Lock()
	freeFDs = append(freeFDs, fd)
	fdMu.Unlock()
	released <- fd
}

// ---- records and adapters ---------------------------------------------------

type Record struct {
	Level, Svc, Msg string
}

// Lines yields (line number, line) of a segment.
//
//go:noinline
func Lines(s *Segment) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for i, l := range s.lines {
			if !yield(i+1, l) {
				return
			}
		}
	}
}

// Tail yields the lines of a live stream as they arrive.
//
//go:noinline
func Tail(ch <-chan string) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		n := 0
		for l := range ch { // waits for the next line: [chan receive]
			n++
			if !yield(n, l) {
				return
			}
		}
	}
}

// Parse turns "LEVEL svc message" lines into Records (a malformed line
// gives a Record with an empty Level).
//
//go:noinline
func Parse(lines iter.Seq2[int, string]) iter.Seq2[int, Record] {
	return func(yield func(int, Record) bool) {
		for n, l := range lines {
			f := strings.SplitN(l, " ", 3)
			var r Record
			if len(f) == 3 {
				r = Record{Level: f[0], Svc: f[1], Msg: f[2]}
			} else {
				r = Record{Msg: l}
			}
			if !yield(n, r) {
				return
			}
		}
	}
}

//go:noinline
func Where[K, V any](seq iter.Seq2[K, V], keep func(V) bool) iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for k, v := range seq {
			if keep(v) && !yield(k, v) {
				return
			}
		}
	}
}

//go:noinline
func Values[K, V any](seq iter.Seq2[K, V]) iter.Seq[V] {
	return func(yield func(V) bool) {
		for _, v := range seq {
			if !yield(v) {
				return
			}
		}
	}
}

//go:noinline
func Batch[T any](seq iter.Seq[T], n int) iter.Seq[[]T] {
	return func(yield func([]T) bool) {
		var b []T
		for v := range seq {
			b = append(b, v)
			if len(b) == n {
				if !yield(b) {
					return
				}
				b = nil
			}
		}
		if len(b) > 0 {
			yield(b)
		}
	}
}

// KeyBySvc re-keys records by service name.
//
//go:noinline
func KeyBySvc(seq iter.Seq2[int, Record]) iter.Seq2[string, Record] {
	return func(yield func(string, Record) bool) {
		for _, r := range seq {
			if !yield(r.Svc, r) {
				return
			}
		}
	}
}

//go:noinline
func Segments(segs ...*Segment) iter.Seq[*Segment] {
	return func(yield func(*Segment) bool) {
		for _, s := range segs {
			if !yield(s) {
				return
			}
		}
	}
}

func isError(r Record) bool { return r.Level == "ERROR" || r.Level == "WARN" }

// ---- pipelines --------------------------------------------------------------

var (
	shipped = make(chan []Record) // the shipper's sink: nobody reads it
	live    = make(chan string)   // the live stream: nothing arrives
	alerts  = make(chan string)   // the alert stream: nothing arrives
	joined  = make(chan [2]Record)
	done    = make(chan struct{})
	sink    int
)

//go:noinline
func ship(seg *Segment) {
	for b := range Batch(Values(Where(Parse(Lines(seg)), isError)), 2) {
		shipped <- b // nobody reads: [chan send] under five iterators
	}
}

// join merge-joins a snapshot (sorted by service) with the live stream.
//
//go:noinline
func join(snapshot *Segment, stream <-chan string) {
	nextA, stopA := iter.Pull2(KeyBySvc(Parse(Lines(snapshot))))
	defer stopA()
	nextB, stopB := iter.Pull2(KeyBySvc(Parse(Tail(stream))))
	defer stopB()
	ka, a, okA := nextA()
	ka, a, okA = nextA()  // the snapshot's coroutine stays parked in yield
	kb, b, okB := nextB() // the stream's coroutine waits in Tail: [coroutine]
	for okA && okB {
		switch {
		case ka < kb:
			ka, a, okA = nextA()
		case ka > kb:
			kb, b, okB = nextB()
		default:
			joined <- [2]Record{a, b}
			ka, a, okA = nextA()
		}
	}
}

//go:noinline
func follow(stream <-chan string) {
	for _, r := range Where(Parse(Tail(stream)), isError) {
		sink += len(r.Msg)
	}
}

//go:noinline
func indexer(segs ...*Segment) {
	index := map[string]int{}
	for seg := range Segments(segs...) {
		for n, r := range Parse(Lines(seg)) {
			if r.Level == "" {
				quiesce() // (test scaffolding: let every other goroutine park first)
				panic(fmt.Sprintf("indexer: %s:%d: malformed record %q", seg.name, n, r.Msg))
			}
			index[r.Svc]++
		}
	}
	sink += len(index)
	close(done)
}

//go:noinline
func dropSegments() {
	for i := 0; i < 3; i++ {
		s := OpenSegment(fmt.Sprintf("old-%d.log", i), "INFO gc rotated")
		sink += len(s.lines)
	}
}

func main() {
	// Rotate three old segments away and wait for their cleanups.
	dropSegments()
	for got := 0; got < 3; {
		runtime.GC()
		select {
		case <-released:
			got++
		case <-time.After(10 * time.Millisecond):
		}
	}

	go ship(OpenSegment("app-1.log",
		"INFO api started",
		"ERROR db connection refused",
		"WARN api slow request",
		"ERROR db connection refused",
	))
	go join(OpenSegment("snapshot.log",
		"INFO api v1",
		"INFO auth v3",
		"INFO db v7",
	), live)
	go follow(alerts)
	quiesce()

	go indexer(
		OpenSegment("app-2.log", "INFO api ok", "INFO db ok"),
		OpenSegment("app-3.log", "INFO api ok", "truncated-line", "INFO db ok"),
	)
	<-done // [chan receive]
}

// quiesce waits until no goroutine but the caller is runnable or running,
// so the crash dump shows every goroutine parked where the program put it.
func quiesce() {
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
