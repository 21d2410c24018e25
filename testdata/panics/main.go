// Command panics crashes in the way its argument names, so that a test can
// compare what gocore rebuilds from the core ("panic: …", "fatal error: …",
// "[signal …]") with what the runtime printed (goruntime/tests/panic_test.c).
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

type MyInt int
type MyStr string
type MyFloat float64
type MyBool bool

type T struct{ a, b int }

type S struct{ n int }

func (s S) String() string { return fmt.Sprintf("S#%d", s.n) }

type E struct{ code int }

func (e *E) Error() string { return fmt.Sprintf("E%d happened", e.code) }

// Values the compiler cannot see through, so the checks happen at run time.
var (
	idx    = 7
	hi     = 9
	neg    = -2
	nilMap map[string]int
	nilPtr *T
	nilFn  func()
	sink   any
)

//go:noinline
func run(mode string) {
	switch mode {
	case "string":
		panic("boom")
	case "multiline":
		panic("first line\nsecond line")
	case "error":
		panic(errors.New("plain error value"))
	case "wrapped":
		panic(fmt.Errorf("wrapped: %w", &E{7}))
	case "customerr":
		var err error = &E{42}
		panic(err)
	case "index":
		s := []int{1, 2, 3}
		sink = s[idx]
	case "negindex":
		s := []int{1, 2, 3}
		sink = s[neg]
	case "slicecap":
		s := make([]int, 3, 5)
		sink = s[:hi]
	case "sliceb":
		s := make([]int, 10)
		sink = s[hi:idx]
	case "nilmap":
		nilMap["k"] = 1
	case "myint":
		panic(MyInt(5))
	case "mystr":
		panic(MyStr("named string"))
	case "myfloat":
		panic(MyFloat(-2.25))
	case "mybool":
		panic(MyBool(true))
	case "int":
		panic(-17)
	case "float":
		panic(1.5)
	case "uint8":
		panic(uint8(200))
	case "complex":
		panic(complex(1, -2))
	case "struct":
		panic(T{1, 2})
	case "pointer":
		panic(&T{3, 4})
	case "stringer":
		panic(S{3})
	case "nilderef":
		sink = nilPtr.b
	case "nilfunc":
		nilFn()
	case "assert":
		var i any = 1
		sink = i.(string)
	case "chain":
		defer func() { panic("second") }()
		panic("first")
	case "recovered":
		defer func() {
			recover()
			panic("after recover")
		}()
		panic("first")
	case "deadlock":
		ch := make(chan int)
		<-ch
	case "unlock":
		var mu sync.Mutex
		mu.Unlock()
	case "overflow":
		// A limit other than the default 1 GB: newstack's "goroutine
		// stack exceeds 1048576-byte limit" names the set value.
		debug.SetMaxStack(1 << 20)
		recurse(0)
	case "goroutine":
		done := make(chan bool)
		go func() {
			defer close(done)
			panic(MyInt(-9))
		}()
		<-done
		time.Sleep(time.Second)
	default:
		fmt.Fprintf(os.Stderr, "unknown mode %q\n", mode)
		os.Exit(2)
	}
}

//go:noinline
func recurse(n int) int {
	var pad [64]int64
	pad[n%len(pad)] = int64(n)
	return recurse(n+1) + int(pad[(n*3)%len(pad)])
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: panics MODE")
		os.Exit(2)
	}
	run(os.Args[1])
}
