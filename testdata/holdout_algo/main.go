// Command holdout_algo (held-out e2e program) walks a generic binary tree
// recursively and parks 130 levels down (elided traceback), runs generic
// methods with value and pointer receivers, closures and inlined helpers,
// a reader stuck in a raw read(2) ([syscall]), a goroutine on a nil
// channel and one in select {}; then main calls a method through a nil
// pointer (nil dereference).
package main

import (
	"bytes"
	"runtime"
	"syscall"
	"time"
)

type Tree[T any] struct {
	Left, Right *Tree[T]
	Val         T
}

func chain[T any](n int, v T) *Tree[T] {
	var t *Tree[T]
	for i := 0; i < n; i++ {
		t = &Tree[T]{Left: t, Val: v}
	}
	return t
}

//go:noinline
func (t *Tree[T]) Walk(visit func(T) bool) bool {
	if t == nil {
		return true
	}
	if !t.Left.Walk(visit) {
		return false
	}
	return visit(t.Val) && t.Right.Walk(visit)
}

type Pair[K comparable, V any] struct {
	Key K
	Val V
}

//go:noinline
func (p Pair[K, V]) Send(c chan<- Pair[K, V]) { c <- p } // value receiver, generic

type Matrix struct{ rows [][]float64 }

func (m *Matrix) Rows() int { return len(m.rows) } // inlined; m is nil in main

//go:noinline
func blockedRead(fd int) int {
	var b [1]byte
	n, _ := syscall.Read(fd, b[:]) // [syscall]
	return n
}

func wait(c <-chan int) int { return <-c } // inlined

//go:noinline
func consumer(c <-chan int) int { return wait(c) * 2 }

var sink int

func main() {
	gate := make(chan int)
	go chain(130, 1).Walk(func(v int) bool {
		return v == <-gate // parks at the deepest node
	})
	go Pair[string, int]{Key: "k", Val: 1}.Send(make(chan Pair[string, int]))
	go consumer(make(chan int))
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		panic(err)
	}
	go blockedRead(fds[0])
	go func() {
		var nilc chan string
		nilc <- "x" // [chan send (nil chan)]
	}()
	go func() { select {} }()
	settle()

	var m *Matrix
	sink = m.Rows() // nil pointer dereference
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
