// Command threads covers OS-thread states: goroutines wired to their thread
// with runtime.LockOSThread (", locked to thread" in the header) and two
// goroutines spinning in call-free loops on other threads at crash time
// ([running], "goroutine running on other thread; stack unavailable" in the
// first dump, then their real stacks in the per-thread SIGQUIT relays).
// main locks itself to its thread and sends that thread SIGQUIT (tgkill),
// so main is the [running, locked to thread] goroutine that crashes.
//
// The spinners must not be preempted by the crash's freezetheworld, so the
// program re-executes itself with GODEBUG=asyncpreemptoff=1.
package main

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	started int32
	never   = make(chan int)
)

//go:noinline
func lockedWaiter() {
	runtime.LockOSThread()
	<-never // [chan receive, locked to thread]
}

//go:noinline
func lockedSleeper() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	time.Sleep(time.Hour) // [sleep, locked to thread]
}

//go:noinline
func spin() {
	atomic.AddInt32(&started, 1)
	x := 0
	for { // no calls: cannot be preempted synchronously
		x++
	}
}

type counter struct{ n uint64 }

//go:noinline
func (c counter) spinValue() uint64 {
	atomic.AddInt32(&started, 1)
	for c.n != 1 { // value receiver, spins forever
		c.n += 2
	}
	return c.n
}

func main() {
	if !strings.Contains(os.Getenv("GODEBUG"), "asyncpreemptoff=1") {
		env := append(os.Environ(), "GODEBUG=asyncpreemptoff=1")
		if err := syscall.Exec("/proc/self/exe", os.Args, env); err != nil {
			panic(err)
		}
	}
	runtime.GOMAXPROCS(4)
	debug.SetGCPercent(-1) // no stop-the-world while the spinners run

	go lockedWaiter()
	go lockedSleeper()
	go func() {
		runtime.LockOSThread()
		select {} // [select (no cases), locked to thread]
	}()
	settle() // before the spinners: settle stops the world

	go spin()
	go counter{n: 2}.spinValue()
	for atomic.LoadInt32(&started) < 2 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)

	runtime.LockOSThread()
	syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGQUIT)
	time.Sleep(10 * time.Second)
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
