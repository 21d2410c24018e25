// Fixture for gopclntab's unit tests: a few functions whose entries, names,
// files and lines the tests compare with the ELF symbol table and with
// `go tool addr2line`.  Keep it small.
package main

import (
	"fmt"
	"os"
)

var sink int

// small is inlined into caller; its body's PCs carry an inline-tree index.
func small(x int) int {
	sink += x * 3 // MARK:inlined-body
	return sink + 1
}

//go:noinline
func caller(n int) int { // MARK:caller-start
	v := small(n) // MARK:call-site
	return v + 2
}

//go:noinline
func Sum[T int | float64](xs []T) T {
	var s T
	for _, x := range xs {
		s += x
	}
	return s
}

//go:noinline
func makeAdder(k int) func(int) int {
	return func(x int) int {
		return x + k + sink
	}
}

type point struct{ x, y int }

//go:noinline
func (p *point) scale(f int) {
	p.x *= f
	p.y *= f
}

func main() {
	add := makeAdder(len(os.Args))
	p := &point{1, 2}
	p.scale(3)
	fmt.Println(caller(len(os.Args)), Sum([]int{1, 2, 3}), Sum([]float64{1.5}), add(4), p.x)
}
