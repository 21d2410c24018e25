// Command methods parks goroutines inside the kinds of functions whose names
// the traceback spells specially: value and pointer receiver methods, a
// promoted method of an embedded type, an interface call, a method value
// ("-fm" wrapper), generic functions and a generic type's method ("[...]"),
// nested closures ("func1.1"), and small functions inlined into the parking
// frame ("(...)" frames without +0x). main then writes to a nil map inside
// an inlined helper: "panic: assignment to entry in nil map".
package main

import (
	"bytes"
	"runtime"
	"strconv"
	"time"
)

type Point struct{ X, Y int }

//go:noinline
func (p Point) Wait(c <-chan int) int { // value receiver
	return p.X + <-c
}

type Server struct {
	name  string
	conns chan int
}

//go:noinline
func (s *Server) Serve() { // pointer receiver
	for c := range s.conns {
		_ = c
	}
}

//go:noinline
func (s *Server) Run() { // used as a method value: main.(*Server).Run-fm
	<-s.conns
}

type Base struct{ ready chan struct{} }

//go:noinline
func (b *Base) Await() { <-b.ready }

type Derived struct {
	Base // Derived.Await is promoted from *Base
	id   int
}

type Waiter interface{ Await() }

//go:noinline
func awaitAny(w Waiter) { w.Await() } // interface call

type Number interface{ ~int | ~int64 | ~float64 }

//go:noinline
func Sum[T Number](in <-chan T) T { // generic function
	var s T
	for v := range in {
		s += v
	}
	return s
}

//go:noinline
func First[K comparable, V any](m map[K]V, c <-chan K) V {
	return m[<-c]
}

type Queue[T any] struct {
	items chan T
}

//go:noinline
func (q *Queue[T]) Pop() T { return <-q.items } // method of a generic type

// Small helpers, inlined into their callers.
func recv(c <-chan string) string      { return <-c }
func recvTwice(c <-chan string) string { return recv(c) + recv(c) }
func label(n int) string               { return "n" + strconv.Itoa(n) }

//go:noinline
func inlinedPark(c <-chan string) int {
	s := recvTwice(c) // two levels of inlined frames above this one
	return len(s)
}

//go:noinline
func record(m map[string]int, k string) { m[k]++ }

func store(m map[string]int, n int) { m[label(n)] = n } // inlined into main

func main() {
	go Point{X: 1, Y: 2}.Wait(make(chan int))
	srv := &Server{name: "s", conns: make(chan int)}
	go srv.Serve()
	run := srv.Run
	go run()
	d := &Derived{Base: Base{ready: make(chan struct{})}, id: 7}
	go d.Await()
	go awaitAny(d)
	go Sum(make(chan int))
	go Sum(make(chan float64))
	go First(map[string][]byte{}, make(chan string))
	go (&Queue[Point]{items: make(chan Point)}).Pop()
	go inlinedPark(make(chan string))
	go func(c chan int) {
		func() {
			<-c // nested closure: main.main.func1.1
		}()
	}(make(chan int))
	settle()

	var m map[string]int
	store(m, 3) // panic: assignment to entry in nil map
	record(m, "x")
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
