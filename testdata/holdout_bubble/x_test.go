//go:build go1.25

package main

import (
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// upstream accepts connections, reads nothing and never answers. It runs
// outside any bubble ([IO wait] in Accept, no bubble marker).
//
//go:noinline
func upstream(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		var conns []net.Conn
		for {
			c, err := ln.Accept() // [IO wait]
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never answered
		}
	}()
	return ln.Addr().String()
}

var errUnavailable = errors.New("503 Service Unavailable")

// flaky fails every attempt at once: Retry backs off.
//
//go:noinline
func flaky(attempt int) error { return errUnavailable }

// TestLimiter: three quick subtests (bubbles 1 to 3) pass; "stuck" (bubble
// 4) hangs until -test.timeout.
func TestLimiter(t *testing.T) {
	t.Run("burst", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := NewLimiter(3, time.Second)
			defer l.Close()
			start := time.Now()
			for i := 0; i < 3; i++ {
				l.Wait()
			}
			if d := time.Since(start); d != 0 {
				t.Errorf("burst took %v", d)
			}
		})
	})
	t.Run("refill", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := NewLimiter(2, time.Second)
			defer l.Close()
			start := time.Now()
			for i := 0; i < 5; i++ {
				l.Wait()
			}
			if d := time.Since(start); d != 3*time.Second {
				t.Errorf("5 tokens took %v, want 3s", d)
			}
		})
	})
	t.Run("backoff", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			err := Retry(func(n int) error {
				if n < 4 {
					return errUnavailable
				}
				return nil
			}, Backoff(100*time.Millisecond, time.Second))
			if err != nil || time.Since(start) != 700*time.Millisecond {
				t.Errorf("Retry: %v after %v", err, time.Since(start))
			}
		})
	})
	t.Run("stuck", func(t *testing.T) {
		addr := upstream(t)
		synctest.Test(t, func(t *testing.T) {
			l := NewLimiter(2, time.Minute) // refill: [select (durable)]
			l.Wait()
			l.Wait() // the bucket is empty now

			// Group 1: clients waiting for tokens, and their collector.
			var clients sync.WaitGroup
			served := make(chan int, 3)
			for i := 0; i < 3; i++ {
				clients.Go(func() {
					l.Wait() // [sync.Cond.Wait (durable)]
					served <- i
				})
			}
			go func() {
				clients.Wait() // [sync.WaitGroup.Wait (durable)]
				close(served)
			}()

			// Group 2: fetchers. One retries a failing call and backs off
			// (its iter.Pull coroutine parked in yield); one waits for the
			// real upstream, which is I/O: not durably blocked, so the
			// bubble never goes idle and its clock never moves.
			var fetchers sync.WaitGroup
			fetchers.Go(func() {
				if err := Retry(flaky, Backoff(time.Second, time.Minute)); err != nil {
					t.Error(err)
				}
			})
			fetchers.Go(func() {
				if _, err := Fetch(addr, "GET /quota"); err != nil {
					t.Error(err)
				}
			})

			// Wait for every goroutine of the bubble to block durably: the
			// fetcher in I/O never does. [synctest.Wait (durable)]
			synctest.Wait()
			fetchers.Wait()
			l.Close()
		})
	})
}
