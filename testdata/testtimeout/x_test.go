package main

import (
	"sync"
	"testing"
)

func TestDeadlock(t *testing.T) {
	a := &Bank{balances: map[string]int{}}
	b := &Bank{balances: map[string]int{}}
	locked := make(chan bool)
	proceed := make(chan bool)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); Transfer(a, b, 1, locked, proceed) }()
	go func() { defer wg.Done(); Transfer(b, a, 2, locked, proceed) }()
	<-locked
	<-locked
	close(proceed)

	results := make(chan int)
	go func() { results <- 1 }() // nobody receives: [chan send]

	t.Run("waiter", func(t *testing.T) {
		wg.Wait() // [semacquire], inside testing.tRunner
	})
	<-results
}
