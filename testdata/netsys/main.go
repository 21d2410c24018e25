// Command netsys parks goroutines in the network poller and in a raw system
// call: a TCP Accept on 127.0.0.1:0, both ends of an idle TCP connection
// reading, a UDP ReadFrom, an os.Pipe read ([IO wait]), and syscall.Read on
// a pipe nobody writes ([syscall]). Then an index-out-of-range panic in a
// worker goroutine crashes the program.
package main

import (
	"bytes"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"
)

//go:noinline
func acceptLoop(ln net.Listener) {
	for {
		c, err := ln.Accept() // [IO wait]
		if err != nil {
			return
		}
		go serve(c)
	}
}

//go:noinline
func serve(c net.Conn) {
	buf := make([]byte, 512)
	for {
		if _, err := c.Read(buf); err != nil { // [IO wait]
			return
		}
	}
}

//go:noinline
func clientRead(c net.Conn) {
	var b [1]byte
	c.Read(b[:]) // [IO wait]
}

//go:noinline
func udpRead(pc net.PacketConn) {
	buf := make([]byte, 64)
	pc.ReadFrom(buf) // [IO wait]
}

//go:noinline
func pipeRead(r *os.File) {
	var b [8]byte
	r.Read(b[:]) // pollable pipe: [IO wait]
}

//go:noinline
func rawRead(fd int) {
	var b [8]byte
	syscall.Read(fd, b[:]) // blocking fd, no poller: [syscall]
}

type table struct{ rows []int }

//go:noinline
func (t *table) at(i int) int {
	return t.rows[i] // index out of range
}

//go:noinline
func worker(t *table, req <-chan int) {
	for i := range req {
		settle() // let main park first, so the dump is deterministic
		_ = t.at(i)
	}
}

func main() {
	runtime.GOMAXPROCS(2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go acceptLoop(ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	go clientRead(c)

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go udpRead(pc)

	pr, pw, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	defer pw.Close()
	go pipeRead(pr)

	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil { // blocking pipe
		panic(err)
	}
	go rawRead(fds[0])

	req := make(chan int)
	go worker(&table{rows: make([]int, 3)}, req)
	settle()

	req <- 7 // the worker panics: index out of range [7] with length 3
	time.Sleep(time.Hour)
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
