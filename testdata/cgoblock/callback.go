// A file with an //export may only declare C functions in its preamble; the
// C code that calls goCallback is in main.go.

package main

import "C"

import "sync/atomic"

var parked atomic.Bool

var callbackCh = make(chan int)

func callbackParked() bool { return parked.Load() }

//export goCallback
func goCallback(n C.int) {
	inCallback(int(n))
}

//go:noinline
func inCallback(n int) {
	parked.Store(true)
	<-callbackCh // never sent: the C thread stays in Go
	_ = n
}
