// Command bench parks N goroutines (N is the first argument, default 10000)
// and then dumps core; bench/run.sh times gocore on that core.
//
// Goroutine i parks i%16 frames deep (descend and hop call each other) in one
// of seven ways, by i%7: chan receive, chan send, select, sync.Mutex,
// sync.WaitGroup, sync.Cond and time.Sleep. Small helpers (recvOne, sendOne,
// lockOne) are inlined, so the tracebacks also have inlined frames.
//
// The second argument says how the core is made:
//
//	kill   (default) reset SIGABRT to SIG_DFL with a raw rt_sigaction
//	       syscall, bypassing the Go runtime's handler, and tgkill ourselves:
//	       the kernel dumps core and the runtime prints nothing. (Under
//	       GOTRACEBACK=crash the runtime would first print every goroutine
//	       through unbuffered writes: minutes for 1,000,000 goroutines.)
//	panic  panic, for GOTRACEBACK=crash: the runtime's own dump, then a core
//	       (to compare gocore with the runtime on a small N).
//	wait   print "READY <pid>" and sleep, for a core taken with gcore.
//
// Before dumping it prints "PARKED <n>" on stdout.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

var (
	recvCh = make(chan int)
	sendCh = make(chan int)
	selA   = make(chan int)
	selB   = make(chan string)
	mu     sync.Mutex
	wg     sync.WaitGroup
	cmu    sync.Mutex
	cond   = sync.NewCond(&cmu)
	parked int64
	sink   int
)

// ready counts a goroutine that is about to block.
func ready() { atomic.AddInt64(&parked, 1) }

// recvOne, sendOne and lockOne are small enough to be inlined into their
// callers, so the tracebacks show inlined frames.
func recvOne(c <-chan int) int    { ready(); return <-c }
func sendOne(c chan<- int, v int) { ready(); c <- v }
func lockOne(m *sync.Mutex)       { ready(); m.Lock() }

//go:noinline
func parkRecv() int { return recvOne(recvCh) } // [chan receive]

//go:noinline
func parkSend(v int) { sendOne(sendCh, v) } // [chan send]

//go:noinline
func parkSelect() int { // [select]
	ready()
	select {
	case v := <-selA:
		return v
	case s := <-selB:
		return len(s)
	}
}

//go:noinline
func parkMutex() { lockOne(&mu); mu.Unlock() } // [sync.Mutex.Lock] (1.19: [semacquire])

//go:noinline
func parkWaitGroup() { ready(); wg.Wait() } // [semacquire] / [sync.WaitGroup.Wait]

//go:noinline
func parkCond() { // [sync.Cond.Wait]
	cmu.Lock()
	ready()
	for {
		cond.Wait()
	}
}

//go:noinline
func parkSleep(i int) { ready(); time.Sleep(time.Hour + time.Duration(i)*time.Millisecond) } // [sleep]

//go:noinline
func park(i int) int {
	switch i % 7 {
	case 0:
		return parkRecv()
	case 1:
		parkSend(i)
	case 2:
		return parkSelect()
	case 3:
		parkMutex()
	case 4:
		parkWaitGroup()
	case 5:
		parkCond()
	case 6:
		parkSleep(i)
	}
	return 0
}

//go:noinline
func descend(i, depth int) int {
	if depth == 0 {
		return park(i)
	}
	return hop(i, depth-1) + 1
}

// hop is descend's partner in the recursion (the compiler does not inline a
// recursive cycle, so both show as real frames).
func hop(i, depth int) int {
	if depth == 0 {
		return park(i)
	}
	return descend(i, depth-1) + 1
}

func worker(i int) { sink += descend(i, i%16) }

func main() {
	n := 10000
	mode := "kill"
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 1 {
			fmt.Fprintf(os.Stderr, "usage: bench [N [kill|panic|wait]]\n")
			os.Exit(1)
		}
		n = v
	}
	if len(os.Args) > 2 {
		mode = os.Args[2]
	}
	switch mode {
	case "kill", "panic", "wait":
	default:
		fmt.Fprintf(os.Stderr, "bench: unknown mode %q\n", mode)
		os.Exit(1)
	}

	mu.Lock()
	wg.Add(1)
	start := time.Now()
	for i := 0; i < n; i++ {
		go worker(i)
	}
	for atomic.LoadInt64(&parked) < int64(n) {
		time.Sleep(5 * time.Millisecond)
	}
	// Each goroutine counts itself just before it blocks: give the last
	// ones time to block, and the GC time to finish.
	runtime.GC()
	time.Sleep(200*time.Millisecond + time.Duration(n/1000)*time.Millisecond)
	fmt.Printf("PARKED %d in %v\n", n, time.Since(start).Round(time.Millisecond))

	switch mode {
	case "panic":
		panic(fmt.Sprintf("bench: %d goroutines parked", n))
	case "wait":
		fmt.Printf("READY %d\n", os.Getpid())
		for {
			time.Sleep(time.Hour)
		}
	}
	dumpCore()
}

// dumpCore kills the process with SIGABRT under the default disposition, so
// the kernel writes a core without the Go runtime's handler running.
func dumpCore() {
	runtime.LockOSThread()
	// struct kernel_sigaction on amd64: handler, flags, restorer, mask.
	act := struct{ handler, flags, restorer, mask uint64 }{0, 0, 0, 0} // SIG_DFL
	if _, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGABRT),
		uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0); e != 0 {
		fmt.Fprintf(os.Stderr, "bench: rt_sigaction: %v\n", e)
		os.Exit(1)
	}
	if err := syscall.Tgkill(syscall.Getpid(), syscall.Gettid(), syscall.SIGABRT); err != nil {
		fmt.Fprintf(os.Stderr, "bench: tgkill: %v\n", err)
		os.Exit(1)
	}
	time.Sleep(10 * time.Second)
	fmt.Fprintf(os.Stderr, "bench: still alive after SIGABRT\n")
	os.Exit(1)
}
