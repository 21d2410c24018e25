//go:build go1.25

// Command synctest is built with `go test -c`; its test (x_test.go) hangs
// inside a testing/synctest bubble (Go 1.25+: synctest.Test) and is killed
// by `-test.timeout 3s`, as CI would kill it: the testing package's alarm
// goroutine panics "test timed out after 3s" and GOTRACEBACK=crash dumps
// every goroutine, the bubble's with ", synctest bubble N" in the header and
// the durably blocked ones with "(durable)".
//
// The bubble does not deadlock (which would make synctest panic at once):
// two of its goroutines are blocked, but not durably (a sync.Mutex, and a
// channel made outside the bubble), so the bubble never counts as idle, its
// fake clock never advances, and the sleeper sleeps until the timeout.
package main

import "sync"

// Store is locked by the test for good: lockStore blocks in the bubble,
// not durably ([sync.Mutex.Lock, synctest bubble N]).
type Store struct {
	mu   sync.Mutex
	data map[string]int
}

//go:noinline
func (s *Store) Put(k string, v int) {
	s.mu.Lock()
	s.data[k] = v
	s.mu.Unlock()
}

func main() {}
