// Command timers parks goroutines on time: time.Sleep, a select on a
// timer's channel, time.After, a ticker, a context deadline, and an
// AfterFunc callback. It prints "READY <pid>" on stdout once everything is
// parked; the test harness then sends it SIGQUIT (crash with
// GOTRACEBACK=crash prints the dump and aborts).
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"time"
)

var stop = make(chan struct{})

//go:noinline
func napper(d time.Duration) {
	time.Sleep(d) // [sleep]
}

//go:noinline
func timeout(d time.Duration, work <-chan int) int {
	t := time.NewTimer(d)
	defer t.Stop()
	select { // [select]
	case v := <-work:
		return v
	case <-t.C:
		return -1
	}
}

//go:noinline
func after(d time.Duration) {
	<-time.After(d) // [chan receive]
}

//go:noinline
func ticking(d time.Duration) int {
	tk := time.NewTicker(d)
	defer tk.Stop()
	n := 0
	for range tk.C { // [chan receive]
		n++
	}
	return n
}

//go:noinline
func withDeadline(parent context.Context) error {
	ctx, cancel := context.WithTimeout(parent, time.Hour)
	defer cancel()
	select { // [select]
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return nil
	}
}

type poller struct {
	every time.Duration
	n     int
}

//go:noinline
func (p *poller) loop() {
	for {
		p.n++
		time.Sleep(p.every) // [sleep] in a pointer-receiver method
	}
}

func main() {
	go napper(time.Hour)
	go napper(90 * time.Minute)
	go timeout(time.Hour, make(chan int))
	go after(2 * time.Hour)
	go ticking(time.Hour)
	go withDeadline(context.Background())
	p := &poller{every: 3 * time.Hour}
	go p.loop()
	time.AfterFunc(time.Millisecond, func() {
		<-stop // the callback's goroutine: created by time.goFunc
	})
	time.Sleep(5 * time.Millisecond)
	settle()

	// READY only once main is parked in the select below: the harness
	// signals on READY, and printing it from main itself raced with the
	// signal (under a slow emulated kernel, main was still in write(2)).
	go func() {
		buf := make([]byte, 1<<16)
		for i := 0; i < 10000 && !mainInSelect(buf); i++ {
			time.Sleep(time.Millisecond)
		}
		fmt.Printf("READY %d\n", os.Getpid())
	}()
	select {
	case <-stop: // main waits here for the harness's SIGQUIT: [chan receive]
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "timers: no SIGQUIT within 30s")
		os.Exit(1)
	}
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

// mainInSelect: whether goroutine 1's header in a dump of all goroutines
// says [select].
func mainInSelect(buf []byte) bool {
	n := runtime.Stack(buf, true)
	for _, line := range bytes.Split(buf[:n], []byte("\n")) {
		if bytes.HasPrefix(line, []byte("goroutine 1 ")) {
			return bytes.Contains(line, []byte("[select]"))
		}
	}
	return false
}
