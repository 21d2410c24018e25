// Command testtimeout is built with `go test -c`; its test (x_test.go)
// deadlocks and is killed by `-test.timeout 2s`: the testing package's alarm
// goroutine panics "test timed out after 2s" and GOTRACEBACK=crash dumps
// every goroutine, including testing.tRunner frames and a subtest.
package main

import "sync"

type Bank struct {
	mu       sync.Mutex
	balances map[string]int
}

// Transfer locks from, then to: two opposite transfers deadlock (ABBA).
//
//go:noinline
func Transfer(from, to *Bank, amount int, locked chan<- bool, proceed <-chan bool) {
	from.mu.Lock()
	defer from.mu.Unlock()
	locked <- true
	<-proceed
	to.mu.Lock() // [semacquire]
	defer to.mu.Unlock()
	from.balances["x"] -= amount
	to.balances["x"] += amount
}

func main() {}
