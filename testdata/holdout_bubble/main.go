//go:build go1.25

// Command holdout_bubble (held-out e2e program) is built with `go test -c`.
// The package is a small client toolkit: a token-bucket rate Limiter
// refilled by a ticker goroutine, a Retry loop that pulls its backoff
// delays from an iter.Seq with iter.Pull, and Fetch, which reads a reply
// from an upstream over TCP. Its test (x_test.go) checks them with
// testing/synctest (Go 1.25+: synctest.Test) and fake time; the last
// subtest hangs and `-test.timeout 3s` kills the binary.
package main

import (
	"errors"
	"io"
	"iter"
	"net"
	"sync"
	"time"
)

// Limiter is a token bucket: burst tokens, one more every period.
type Limiter struct {
	mu     sync.Mutex
	cond   *sync.Cond
	tokens int
	burst  int
	stop   chan struct{}
	done   chan struct{}
}

func NewLimiter(burst int, period time.Duration) *Limiter {
	l := &Limiter{tokens: burst, burst: burst, stop: make(chan struct{}), done: make(chan struct{})}
	l.cond = sync.NewCond(&l.mu)
	go l.refill(period)
	return l
}

//go:noinline
func (l *Limiter) refill(period time.Duration) {
	defer close(l.done)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select { // a ticker of the bubble: [select (durable)]
		case <-t.C:
			l.mu.Lock()
			if l.tokens < l.burst {
				l.tokens++
				l.cond.Signal()
			}
			l.mu.Unlock()
		case <-l.stop:
			return
		}
	}
}

// Wait takes a token, waiting for one if the bucket is empty.
//
//go:noinline
func (l *Limiter) Wait() {
	l.mu.Lock()
	for l.tokens == 0 {
		l.cond.Wait() // [sync.Cond.Wait (durable)]
	}
	l.tokens--
	l.mu.Unlock()
}

func (l *Limiter) Close() {
	close(l.stop)
	<-l.done
}

// Backoff yields base, 2*base, 4*base, ... capped at max, forever.
//
//go:noinline
func Backoff(base, max time.Duration) iter.Seq[time.Duration] {
	return func(yield func(time.Duration) bool) {
		for d := base; ; d *= 2 {
			if d > max {
				d = max
			}
			if !yield(d) { // parked here between next() calls: [coroutine (durable)]
				return
			}
		}
	}
}

var ErrGiveUp = errors.New("retry: out of delays")

// Retry calls f until it succeeds, sleeping the next delay of delays
// between attempts.
//
//go:noinline
func Retry(f func(attempt int) error, delays iter.Seq[time.Duration]) error {
	next, stop := iter.Pull(delays)
	defer stop()
	for attempt := 1; ; attempt++ {
		if err := f(attempt); err == nil {
			return nil
		}
		d, ok := next()
		if !ok {
			return ErrGiveUp
		}
		pause(d)
	}
}

//go:noinline
func pause(d time.Duration) {
	time.Sleep(d) // fake time that never advances: [sleep (durable)]
}

// Fetch sends a request line to addr and reads a 16-byte reply.
//
//go:noinline
func Fetch(addr, req string) ([]byte, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := io.WriteString(c, req+"\n"); err != nil {
		return nil, err
	}
	buf := make([]byte, 16)
	_, err = io.ReadFull(c, buf) // the upstream never answers: [IO wait, synctest bubble N]
	return buf, err
}

func main() {}
