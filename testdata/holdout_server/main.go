// Command holdout_server (held-out e2e program) is a tiny TCP server: an
// accept loop and per-connection handlers in [IO wait], clients waiting for
// replies, a janitor on a ticker, a job queue whose workers wait on a
// sync.Cond, a goroutine locked to its OS thread, and a backoff sleeper.
// It prints "READY <pid>" and the harness sends SIGQUIT.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"time"
)

type jobs struct {
	mu   sync.Mutex
	cond sync.Cond
	q    []func()
}

func (j *jobs) next() func() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for len(j.q) == 0 {
		j.cond.Wait() // [sync.Cond.Wait]
	}
	f := j.q[0]
	j.q = j.q[1:]
	return f
}

//go:noinline
func (j *jobs) work() {
	for {
		j.next()()
	}
}

//go:noinline
func handle(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n') // [IO wait]
		if err != nil {
			return
		}
		fmt.Fprint(c, line)
	}
}

//go:noinline
func listen(ln net.Listener) {
	for {
		c, err := ln.Accept() // [IO wait]
		if err != nil {
			return
		}
		go handle(c)
	}
}

//go:noinline
func client(addr string, ready chan<- struct{}) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		panic(err)
	}
	ready <- struct{}{}
	buf := make([]byte, 16)
	c.Read(buf) // waits for a reply that never comes: [IO wait]
}

//go:noinline
func janitor(every time.Duration) {
	t := time.NewTicker(every)
	for range t.C { // [chan receive]
	}
}

//go:noinline
func pinned(c <-chan int) {
	runtime.LockOSThread()
	<-c // [chan receive, locked to thread]
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go listen(ln)
	ready := make(chan struct{})
	for i := 0; i < 2; i++ {
		go client(ln.Addr().String(), ready)
		<-ready
	}
	go janitor(time.Hour)
	var j jobs
	j.cond.L = &j.mu
	for i := 0; i < 3; i++ {
		go j.work()
	}
	go pinned(make(chan int))
	go func() {
		for d := time.Second; ; d *= 2 {
			time.Sleep(time.Hour + d) // [sleep]
		}
	}()
	settle()
	fmt.Printf("READY %d\n", os.Getpid())
	time.Sleep(30 * time.Second) // [sleep] until SIGQUIT
	fmt.Fprintln(os.Stderr, "holdout_server: no SIGQUIT within 30s")
	os.Exit(1)
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
