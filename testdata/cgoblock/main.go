// Command cgoblock has goroutines blocked inside C calls (a sleep, a poll
// with no descriptors, a read on a pipe nobody writes to), a thread created
// in C that calls back into Go and then blocks in Go, and ordinary parked
// goroutines; then main panics.  Goroutines in a C call are [syscall] and
// print from g.syscallsp/pc (runtime.cgocall); the callback's goroutine sits
// on an extra M and its stack ends in runtime.cgocallback.
package main

/*
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

// Defined in callback.go (//export goCallback).
extern void goCallback(int);

static volatile int in_c;

static void note_in_c(void) { __atomic_add_fetch(&in_c, 1, __ATOMIC_SEQ_CST); }

static int c_inside(void) { return __atomic_load_n(&in_c, __ATOMIC_SEQ_CST); }

static void c_sleep_forever(void) {
	note_in_c();
	for (;;) {
		struct timespec ts = {3600, 0};
		nanosleep(&ts, NULL);
	}
}

static void c_poll_forever(void) {
	note_in_c();
	for (;;)
		poll(NULL, 0, -1);
}

// A pipe whose write end stays open and unused: the read never returns.
static int c_read_pipe(void) {
	static int fds[2];
	char b;
	if (pipe(fds) != 0)
		return -1;
	note_in_c();
	for (;;)
		if (read(fds[0], &b, 1) > 0)
			return b;
}

static void *c_thread_main(void *arg) {
	goCallback((int)(intptr_t)arg);
	return NULL;
}

static int c_start_thread(int n) {
	pthread_t t;
	return pthread_create(&t, NULL, c_thread_main, (void *)(intptr_t)n);
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"time"
)

//go:noinline
func sleepInC() { C.c_sleep_forever() }

//go:noinline
func pollInC() { C.c_poll_forever() }

//go:noinline
func readInC() int { return int(C.c_read_pipe()) }

//go:noinline
func waiter(c <-chan int) int { return <-c }

func main() {
	go sleepInC()
	go pollInC()
	go func() { readInC() }()
	never := make(chan int)
	go waiter(never)
	if C.c_start_thread(7) != 0 {
		panic("pthread_create failed")
	}
	// Wait until the three goroutines are inside C and the C thread's
	// callback is parked in Go.
	for i := 0; i < 2000; i++ {
		if C.c_inside() == 3 && callbackParked() {
			break
		}
		time.Sleep(time.Millisecond)
	}
	settle()
	panic(fmt.Sprintf("cgoblock: %d goroutines in C, callback parked: %v", int(C.c_inside()), callbackParked()))
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
