package main

// Addresses kept as integers: the runtime's GC reads each heap object's
// pointer records (Go 1.22+: heap bits, malloc headers, mspan.largeType;
// before, the heap arenas' bitmaps), and tells a pointer from an integer.
//
// Leaked, though a live heap object holds the object's address as a
// uintptr (which the runtime's GC never follows):
//
//	hiddenSmall   <- on a channel whose address a 24-byte object holds
//	              (1.22+: heap bits at the end of its span)
//	hiddenMutex   Lock of a held Mutex whose address the same object holds
//	hiddenHeader  <- , the address in a 576-byte object (1.22+: a malloc
//	              header)
//	hiddenArray   <- , the address in element 50 of a []hidElem (the
//	              type's bitmap tiled over the elements)
//	hiddenLarge   <- , the address in an object of a span of its own
//	              (1.22+: mspan.largeType; 1.24+: a bitmap built on demand)
//
// Live, through a real pointer placed after the integers in the same
// objects (found only if those bitmaps are read at the right offsets):
//
//	liveHeader, liveArray (element 70), liveLarge

import (
	"sync"
	"unsafe"
)

type hidSmall struct {
	p         *int
	chAddr    uintptr
	mutexAddr uintptr
}

type hidHeader struct {
	p     *int
	addrs [70]uintptr
	ch    chan int
}

type hidElem struct {
	a  uintptr
	ch chan int
	b  [6]uintptr
}

type hidLarge struct {
	addrs [17000]uintptr
	ch    chan int
}

type hidMu struct {
	mu sync.Mutex
	p  *int
}

var (
	hidS *hidSmall
	hidH *hidHeader
	hidA []hidElem
	hidL *hidLarge
)

func init() { extra = append(extra, makeHidden) }

func chanAddr(ch chan int) uintptr { return *(*uintptr)(unsafe.Pointer(&ch)) }

//go:noinline
func hiddenSmall(o *obj) {
	note("leaked", "hiddenSmall", "")
	sink = <-o.ch
}

//go:noinline
func hiddenMutex(m *hidMu) {
	note("leaked", "hiddenMutex", "")
	m.mu.Lock()
	sink++
	m.mu.Unlock()
}

//go:noinline
func hiddenHeader(o *obj) {
	note("leaked", "hiddenHeader", "")
	sink = <-o.ch
}

//go:noinline
func hiddenArray(o *obj) {
	note("leaked", "hiddenArray", "")
	sink = <-o.ch
}

//go:noinline
func hiddenLarge(o *obj) {
	note("leaked", "hiddenLarge", "")
	sink = <-o.ch
}

//go:noinline
func liveHeader(ch chan int) {
	note("live", "liveHeader", "")
	sink = <-ch
}

//go:noinline
func liveArray(ch chan int) {
	note("live", "liveArray", "")
	sink = <-ch
}

//go:noinline
func liveLarge(ch chan int) {
	note("live", "liveLarge", "")
	sink = <-ch
}

//go:noinline
func makeHidden() {
	hidS = &hidSmall{}
	hidH = &hidHeader{ch: make(chan int)}
	hidA = make([]hidElem, 100)
	hidA[70].ch = make(chan int)
	hidL = &hidLarge{ch: make(chan int)}

	a, b, c, d := newObj("hidden small"), newObj("hidden header"), newObj("hidden array"), newObj("hidden large")
	m := &hidMu{}
	m.mu.Lock()
	hidS.chAddr = chanAddr(a.ch)
	hidS.mutexAddr = uintptr(unsafe.Pointer(&m.mu))
	hidH.addrs[35] = chanAddr(b.ch)
	hidA[50].a = chanAddr(c.ch)
	hidL.addrs[9000] = chanAddr(d.ch)

	spawn()
	go hiddenSmall(a)
	spawn()
	go hiddenMutex(m)
	spawn()
	go hiddenHeader(b)
	spawn()
	go hiddenArray(c)
	spawn()
	go hiddenLarge(d)
	spawn()
	go liveHeader(hidH.ch)
	spawn()
	go liveArray(hidA[70].ch)
	spawn()
	go liveLarge(hidL.ch)
}
