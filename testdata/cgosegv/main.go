// Command cgosegv writes through a NULL pointer in C code called from a
// worker goroutine, while other goroutines are parked (one of them inside a
// C call).  The runtime's SIGSEGV handler prints "SIGSEGV: segmentation
// violation", the PC= line (with addr= from Go 1.21) and "signal arrived
// during cgo execution", then the goroutine that made the cgo call.
package main

/*
#include <stddef.h>
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

struct rec { int pad[4]; int value; };

__attribute__((noinline)) static void c_store(struct rec *r, int v) {
	*(volatile int *)&r->value = v; // a volatile store: gcc may not drop it
}

__attribute__((noinline)) static void c_update(int v) {
	struct rec *volatile r = NULL;
	c_store(r, v);
}
*/
import "C"

import (
	"runtime"
	"strings"
	"time"
)

//go:noinline
func sleepInC() { C.c_sleep_forever() }

//go:noinline
func receiver(c <-chan int) int { return <-c }

//go:noinline
func update(v int) { C.c_update(C.int(v)) }

//go:noinline
func worker(start <-chan struct{}, v int) {
	<-start
	update(v)
}

func main() {
	never := make(chan int)
	start := make(chan struct{})
	go sleepInC()
	go receiver(never)
	go worker(start, 42)
	for i := 0; i < 2000 && C.c_inside() == 0; i++ {
		time.Sleep(time.Millisecond)
	}
	settle()
	go release(start)
	time.Sleep(time.Hour)
}

// release lets the worker crash once main sleeps: closing start from main
// raced with main's own park, and a dump could show goroutine 1
// [runnable] instead of [sleep].  It then stays parked in select {}.
func release(start chan struct{}) {
	buf := make([]byte, 1<<16)
	for i := 0; i < 2000; i++ {
		n := runtime.Stack(buf, true)
		if strings.Contains(string(buf[:n]), "goroutine 1 [sleep]:") {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(start)
	select {}
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
