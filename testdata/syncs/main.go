// Command syncs parks goroutines on sync primitives (Mutex, RWMutex,
// WaitGroup, Cond, Once) and then blocks main too, so the runtime's deadlock
// detector throws "all goroutines are asleep - deadlock!".
//
// Go 1.19 reports Mutex/RWMutex/WaitGroup/Once waits as [semacquire]
// (Go 1.20+: [sync.Mutex.Lock], [sync.RWMutex.RLock], [sync.WaitGroup.Wait]);
// Cond waiters are [sync.Cond.Wait].
package main

import (
	"bytes"
	"runtime"
	"sync"
	"time"
)

type account struct {
	mu      sync.Mutex
	balance int
}

//go:noinline
func (a *account) deposit(n int) {
	a.mu.Lock() // held by main forever
	a.balance += n
	a.mu.Unlock()
}

type cache struct {
	rw   sync.RWMutex
	data map[string]int
}

//go:noinline
func (c *cache) get(k string) int {
	c.rw.RLock()
	defer c.rw.RUnlock()
	return c.data[k]
}

//go:noinline
func (c *cache) put(k string, v int) {
	c.rw.Lock()
	c.data[k] = v
	c.rw.Unlock()
}

type queue struct {
	mu    sync.Mutex
	cond  *sync.Cond
	items []int
}

//go:noinline
func (q *queue) pop() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		q.cond.Wait()
	}
	it := q.items[0]
	q.items = q.items[1:]
	return it
}

var (
	acct  account
	store = cache{data: map[string]int{}}
	work  queue
	once  sync.Once
	gate  = make(chan struct{})
	done  sync.WaitGroup
)

//go:noinline
func initSlowly() {
	<-gate // the first once.Do caller parks here: [chan receive]
}

//go:noinline
func useOnce() {
	once.Do(initSlowly)
}

//go:noinline
func waitAll(wg *sync.WaitGroup) {
	wg.Wait() // [semacquire]
}

func main() {
	work.cond = sync.NewCond(&work.mu)

	acct.mu.Lock()
	go acct.deposit(1)
	go acct.deposit(2)

	store.rw.Lock()
	go store.get("k")
	go store.put("k", 1)

	go work.pop()
	go work.pop()

	go useOnce()
	settle()
	go useOnce() // blocks on the Once's mutex

	var never sync.WaitGroup
	never.Add(1)
	go waitAll(&never)
	settle()

	// Deadlock: main waits for a WaitGroup nobody will finish.
	done.Add(1)
	done.Wait()
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
