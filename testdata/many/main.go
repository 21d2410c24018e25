// Command many starts 10,000 goroutines of a few kinds (channel receive at a
// small recursion depth, Mutex, select, sleep, Cond) and then panics in main
// with an error value. The core is large; the dump has ~10,000 blocks.
package main

import (
	"bytes"
	"errors"
	"runtime"
	"sync"
	"time"
)

const total = 10000

var (
	mu    sync.Mutex
	cmu   sync.Mutex
	cond  = sync.NewCond(&cmu)
	stop  = make(chan struct{})
	inbox = make(chan int)
)

//go:noinline
func nested(depth int, c <-chan int) int {
	if depth == 0 {
		return <-c // [chan receive]
	}
	return nested(depth-1, c) + 1
}

//go:noinline
func locker(id int) {
	mu.Lock() // held by main: [semacquire]
	defer mu.Unlock()
	_ = id
}

//go:noinline
func selecter(c <-chan int) int {
	select { // [select]
	case v := <-c:
		return v
	case <-stop:
		return 0
	}
}

//go:noinline
func sleeper(d time.Duration) { time.Sleep(d) } // [sleep]

//go:noinline
func condWaiter() {
	cmu.Lock()
	for {
		cond.Wait() // [sync.Cond.Wait]
	}
}

func main() {
	mu.Lock()
	for i := 0; i < total; i++ {
		switch i % 5 {
		case 0, 1:
			go nested(i%4, inbox)
		case 2:
			go locker(i)
		case 3:
			go selecter(inbox)
		case 4:
			if i%10 == 4 {
				go sleeper(time.Hour + time.Duration(i)*time.Second)
			} else {
				go condWaiter()
			}
		}
	}
	settle()
	panic(errors.New("many: 10000 goroutines parked"))
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
