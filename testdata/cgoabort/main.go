// Command cgoabort calls abort() in C, from main, while other goroutines are
// parked (one of them inside a C call).  The runtime's SIGABRT handler
// prints "SIGABRT: abort", the PC= line and "signal arrived during cgo
// execution", then the goroutine that made the cgo call.
package main

/*
#include <stdlib.h>
#include <time.h>

static volatile int in_c;

static void c_sleep_forever(void) {
	__atomic_store_n(&in_c, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		struct timespec ts = {3600, 0};
		nanosleep(&ts, NULL);
	}
}

static int c_inside(void) { return __atomic_load_n(&in_c, __ATOMIC_SEQ_CST); }

__attribute__((noinline)) static void c_give_up(int why) {
	if (why > 0)
		abort();
}

__attribute__((noinline)) static void c_check(int v) { c_give_up(v * 2); }
*/
import "C"

import (
	"runtime"
	"sync"
	"time"
)

//go:noinline
func sleepInC() { C.c_sleep_forever() }

//go:noinline
func receiver(c <-chan int) int { return <-c }

//go:noinline
func locker(mu *sync.Mutex) {
	mu.Lock()
	defer mu.Unlock()
}

//go:noinline
func check(v int) { C.c_check(C.int(v)) }

func main() {
	never := make(chan int)
	var mu sync.Mutex
	mu.Lock()
	go sleepInC()
	go receiver(never)
	go receiver(never)
	go locker(&mu)
	go func() {
		select {
		case <-never:
		case <-time.After(time.Hour):
		}
	}()
	for i := 0; i < 2000 && C.c_inside() == 0; i++ {
		time.Sleep(time.Millisecond)
	}
	settle()
	check(21)
}

// settle waits until no goroutine but main is runnable or running.
func settle() {
	buf := make([]byte, 1<<16)
	for i := 0; i < 200; i++ {
		n := runtime.Stack(buf, true)
		if countRunnable(buf[:n]) <= 1 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func countRunnable(b []byte) int {
	n := 0
	for i := 0; i+11 < len(b); i++ {
		if string(b[i:i+11]) == "[runnable]:" || string(b[i:i+10]) == "[running]:" {
			n++
		}
	}
	return n
}
