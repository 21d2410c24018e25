// Command blocked parks goroutines on channels and sync primitives, some
// of which nothing that can still run references (leaked, by the
// criterion of Go 1.27's goroutineleak profile: runtime.findGoroutineLeaks)
// and some of which stay reachable (from globals, from the heap through a
// global, or from the stack of a goroutine that can wake: sleeping, in a
// system call, waiting for I/O, or blocked on something reachable itself).
// Who is leaked is known by construction: every goroutine finds its own id
// and notes its role (ids only, no pointers), and a driver goroutine prints
//
//	role ID KIND NAME [GROUP]      one line per noted goroutine
//	expect-leaked: IDS             blocked, and can never wake
//	expect-live: IDS               blocked on a channel or sync object that
//	                               stays reachable (and goroutine 1 in
//	                               select {}, which the runtime never reports)
//	expect-holder: IDS             sleeping, in I/O wait or in a system call,
//	                               holding what some live goroutine waits on
//	expect-group NAME: IDS         the goroutines that wait on one object
//
// on stdout (sorted ids). Where runtime/pprof has the goroutineleak profile
// (Go 1.27; Go 1.26 built with GOEXPERIMENT=goroutineleakprofile) it then
// writes it with debug=2 (every goroutine, the leaked ones' headers with
// " (leaked)") between "--- goroutineleak debug=2 begin" and "--- ... end"
// lines, compares the runtime's leaked ids with expect-leaked, and says so
// in its panic message: "goroutineleak profile agrees", or how it differs.
// Writing the profile moves the leaked goroutines to the _Gleaked state, so
// the crash dump shows them as "[<wait reason> (leaked)]". Then the driver
// panics (GOTRACEBACK=crash: the dump and a core).
//
// Leaked:
//
//	recvLeaked x3     <-ch, one local channel    group leaked-chan
//	sendLeaked        ch <- v, nobody receives
//	selectLeaked      select on two local channels
//	nilRecv, nilSend  a nil channel
//	noCases           select {} (not goroutine 1)
//	lockLeaked x2     Lock of one held local Mutex   group leaked-mutex
//	rlockLeaked       RLock of a write-locked local RWMutex
//	wlockLeaked       Lock of a read-locked local RWMutex
//	waitLeaked x2     Wait on one local WaitGroup    group leaked-waitgroup
//	condLeaked        Wait on a local Cond
//	leaked chain      headLeaked (<- on a channel only it has) holds the only
//	                  reference to what midLeaked receives on, midLeaked to
//	                  the Mutex nextLeaked locks, nextLeaked to the
//	                  WaitGroup tailLeaked waits on: all four leaked
//
// Not leaked (blocked on something reachable):
//
//	recvGlobal        <-globalCh, a global channel
//	lockGlobal x2     Lock of globalMu, held          group live-mutex
//	sendReg           reg.out <- v       } reg: a global pointer to a heap
//	rlockReg          reg.rw.RLock()     } object
//	waitReg           reg.wg.Wait()      }
//	recvMap           <- on a channel of a value in a global map
//	recvQueued        <- on a channel of a value queued in a global
//	                  buffered channel
//	recvBig           <- on a channel of a value a global large object
//	                  (a span of its own, not a whole number of pages)
//	                  points to
//	recvFinalized     <- on a channel only a finalizer's closure holds (the
//	                  finalized object stays reachable, so it never runs):
//	                  the runtime's GC marks finalizer functions as roots
//	selectMixed       select on a local channel and a global one
//	selectSleeper     select on two channels and Wait on a Cond that only
//	condSleeper x2    sleepHolder (time.Sleep, an hour) references
//	                                                  group live-cond
//	sendIO            ch <- v, ch held by ioHolder (reading a pipe: IO wait)
//	wlockSys          Lock of an RWMutex sysHolder (in a read(2) system call)
//	                  holds read-locked
//	live chain        sleepHead (sleeping) holds the only reference to what
//	                  midLive receives on, midLive to the Mutex nextLive
//	                  locks, nextLive to the WaitGroup tailLive waits on
//	main              goroutine 1, select {}: never reported (Go 1.27; Go
//	                  1.26's runtime does report it, see expect-profile-extra)
//
// The driver goroutine (running) prints all that and panics.
//
// For exactness: what a leaked goroutine waits on is made in a
// //go:noinline function that returns before the crash (no dead stack slot
// of a live goroutine points to it), and every sync object is a field of a
// struct with pointers (a lone 8-byte Mutex would be a tiny allocation,
// sharing a 16-byte block with other objects, one of which could keep it
// reachable).
//
// Builds with Go 1.19 (no newer APIs); there Mutex, RWMutex and WaitGroup
// waits show as [semacquire].
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ---- bookkeeping: ints and constant strings only ------------------------

type role struct {
	id                int
	kind, name, group string
}

var (
	bookMu sync.Mutex
	book   []role
	ready  sync.WaitGroup // one Add per goroutine that notes its role
)

// selfID parses "goroutine N [" from the calling goroutine's own trace.
func selfID() int {
	var b [128]byte
	n := runtime.Stack(b[:], false)
	s := strings.TrimPrefix(string(b[:n]), "goroutine ")
	end := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	id, err := strconv.Atoi(s[:end])
	if err != nil {
		panic("blocked: cannot parse a goroutine header: " + string(b[:n]))
	}
	return id
}

// note records the calling goroutine's role; kind is leaked, live or holder.
func note(kind, name, group string) {
	id := selfID()
	bookMu.Lock()
	book = append(book, role{id, kind, name, group})
	bookMu.Unlock()
	ready.Done()
}

// spawn counts a goroutine the driver waits for (call it before `go`).
func spawn() { ready.Add(1) }

// ---- the objects ---------------------------------------------------------

// obj holds a channel and the sync primitives; it is never a tiny
// allocation (it has pointers). Each case makes its own.
type obj struct {
	ch   chan int
	mu   sync.Mutex
	rw   sync.RWMutex
	wg   sync.WaitGroup
	cond sync.Cond
	name string
}

//go:noinline
func newObj(name string) *obj {
	o := &obj{ch: make(chan int), name: name}
	o.cond.L = &o.mu
	return o
}

var (
	sink        int
	globalCh    = make(chan int)
	globalSelCh = make(chan int)
	globalMu    struct {
		sync.Mutex
		owner *string
	}
	reg        *obj                 // heap object through a global pointer
	globalMap  = map[string]*obj{}  // heap object through a global map
	globalQ    = make(chan *obj, 1) // queued in a global buffered channel
	pipeWriter *os.File             // kept so the pipe's read end stays open
	sysPipe    [2]int               // a blocking pipe nobody writes
	bigReg     *big                 // a large heap object through a global
	extra      []func()             // more cases, by release (hidden.go)
)

// ---- leaked --------------------------------------------------------------

//go:noinline
func recvLeaked(o *obj) {
	note("leaked", "recvLeaked", "leaked-chan")
	sink = <-o.ch
}

//go:noinline
func sendLeaked(o *obj) {
	note("leaked", "sendLeaked", "")
	o.ch <- 1
}

//go:noinline
func selectLeaked(a *obj, b chan string) {
	note("leaked", "selectLeaked", "")
	select {
	case v := <-a.ch:
		sink = v
	case b <- "x":
	}
}

//go:noinline
func nilRecv() {
	note("leaked", "nilRecv", "")
	var ch chan int
	sink = <-ch
}

//go:noinline
func nilSend() {
	note("leaked", "nilSend", "")
	var ch chan int
	ch <- 1
}

//go:noinline
func noCases() {
	note("leaked", "noCases", "")
	select {}
}

//go:noinline
func lockLeaked(o *obj) {
	note("leaked", "lockLeaked", "leaked-mutex")
	o.mu.Lock()
	sink++
	o.mu.Unlock()
}

//go:noinline
func rlockLeaked(o *obj) {
	note("leaked", "rlockLeaked", "")
	o.rw.RLock()
	o.rw.RUnlock()
}

//go:noinline
func wlockLeaked(o *obj) {
	note("leaked", "wlockLeaked", "")
	o.rw.Lock()
	o.rw.Unlock()
}

//go:noinline
func waitLeaked(o *obj) {
	note("leaked", "waitLeaked", "leaked-waitgroup")
	o.wg.Wait()
}

//go:noinline
func condLeaked(o *obj) {
	note("leaked", "condLeaked", "")
	o.mu.Lock()
	o.cond.Wait()
	o.mu.Unlock()
}

// headLeaked waits on a channel only it references; it holds the only
// reference to x, on which midLeaked waits.
//
//go:noinline
func headLeaked(own, x *obj) {
	note("leaked", "headLeaked", "")
	sink = <-own.ch
	x.ch <- 1
}

//go:noinline
func midLeaked(x, y *obj) {
	note("leaked", "midLeaked", "")
	sink = <-x.ch
	y.mu.Unlock()
}

//go:noinline
func nextLeaked(y, z *obj) {
	note("leaked", "nextLeaked", "")
	y.mu.Lock()
	z.wg.Done()
	y.mu.Unlock()
}

//go:noinline
func tailLeaked(z *obj) {
	note("leaked", "tailLeaked", "")
	z.wg.Wait()
}

//go:noinline
func makeLeaked() {
	o := newObj("leaked-chan")
	for i := 0; i < 3; i++ {
		spawn()
		go recvLeaked(o)
	}
	spawn()
	go sendLeaked(newObj("send"))
	spawn()
	go selectLeaked(newObj("select"), make(chan string))
	spawn()
	go nilRecv()
	spawn()
	go nilSend()
	spawn()
	go noCases()

	m := newObj("leaked-mutex")
	m.mu.Lock()
	for i := 0; i < 2; i++ {
		spawn()
		go lockLeaked(m)
	}
	r := newObj("rlock")
	r.rw.Lock()
	spawn()
	go rlockLeaked(r)
	w := newObj("wlock")
	w.rw.RLock()
	spawn()
	go wlockLeaked(w)
	g := newObj("leaked-waitgroup")
	g.wg.Add(1)
	for i := 0; i < 2; i++ {
		spawn()
		go waitLeaked(g)
	}
	spawn()
	go condLeaked(newObj("cond"))
}

//go:noinline
func makeLeakedChain() {
	x, y, z := newObj("chain x"), newObj("chain y"), newObj("chain z")
	y.mu.Lock()
	z.wg.Add(1)
	spawn()
	go headLeaked(newObj("chain head"), x)
	spawn()
	go midLeaked(x, y)
	spawn()
	go nextLeaked(y, z)
	spawn()
	go tailLeaked(z)
}

// ---- live: reachable from globals ---------------------------------------

//go:noinline
func recvGlobal() {
	note("live", "recvGlobal", "")
	sink = <-globalCh
}

//go:noinline
func lockGlobal() {
	note("live", "lockGlobal", "live-mutex")
	globalMu.Lock()
	sink++
	globalMu.Unlock()
}

//go:noinline
func sendReg(o *obj) {
	note("live", "sendReg", "")
	o.ch <- 1
}

//go:noinline
func rlockReg(o *obj) {
	note("live", "rlockReg", "")
	o.rw.RLock()
	o.rw.RUnlock()
}

//go:noinline
func waitReg(o *obj) {
	note("live", "waitReg", "")
	o.wg.Wait()
}

//go:noinline
func recvMap(o *obj) {
	note("live", "recvMap", "")
	sink = <-o.ch
}

// finHolder is kept reachable (finKeep) so that its finalizer never runs;
// the finalizer's closure is the only reference to the channel
// recvFinalized waits on.
type finHolder struct {
	p   *int
	pad [4]int
}

var finKeep *finHolder

//go:noinline
func recvFinalized(o *obj) {
	note("live", "recvFinalized", "")
	sink = <-o.ch
}

//go:noinline
func makeFinalized() {
	o := newObj("finalized")
	h := &finHolder{}
	runtime.SetFinalizer(h, func(*finHolder) { o.ch <- 1 })
	finKeep = h
	spawn()
	go recvFinalized(o)
}

//go:noinline
func recvQueued(o *obj) {
	note("live", "recvQueued", "")
	sink = <-o.ch
}

// big is larger than 32 KiB, and not a multiple of 8 KiB.
type big struct {
	pad [5000]uintptr
	o   *obj
}

//go:noinline
func recvBig(o *obj) {
	note("live", "recvBig", "")
	sink = <-o.ch
}

//go:noinline
func selectMixed(local chan int) {
	note("live", "selectMixed", "")
	select {
	case v := <-local:
		sink = v
	case v := <-globalSelCh:
		sink = v
	}
}

//go:noinline
func makeGlobals() {
	globalMu.Lock()
	for i := 0; i < 2; i++ {
		spawn()
		go lockGlobal()
	}
	spawn()
	go recvGlobal()

	reg = newObj("reg")
	reg.rw.Lock()
	reg.wg.Add(1)
	spawn()
	go sendReg(reg)
	spawn()
	go rlockReg(reg)
	spawn()
	go waitReg(reg)

	globalMap["waiter"] = newObj("map")
	spawn()
	go recvMap(globalMap["waiter"])
	q := newObj("queued")
	globalQ <- q
	spawn()
	go recvQueued(q)
	bigReg = &big{o: newObj("big")}
	spawn()
	go recvBig(bigReg.o)

	spawn()
	go selectMixed(make(chan int))
}

// ---- live: reachable from a goroutine that can wake ----------------------

// sleepHolder sleeps holding p and c: it may wake and send, broadcast.
//
//go:noinline
func sleepHolder(p, c *obj) {
	note("holder", "sleepHolder", "")
	time.Sleep(time.Hour)
	p.ch <- 1
	c.cond.Broadcast()
}

//go:noinline
func selectSleeper(p *obj, other chan string) {
	note("live", "selectSleeper", "")
	select {
	case v := <-p.ch:
		sink = v
	case other <- "y":
	}
}

//go:noinline
func condSleeper(c *obj) {
	note("live", "condSleeper", "live-cond")
	c.mu.Lock()
	c.cond.Wait()
	c.mu.Unlock()
}

// ioHolder waits for a pipe nobody writes (IO wait) holding q.
//
//go:noinline
func ioHolder(r *os.File, q *obj) {
	note("holder", "ioHolder", "")
	var b [16]byte
	n, _ := r.Read(b[:])
	sink = n + <-q.ch
}

//go:noinline
func sendIO(q *obj) {
	note("live", "sendIO", "")
	q.ch <- 1
}

// sysHolder holds s read-locked, blocked in read(2) on a blocking pipe.
//
//go:noinline
func sysHolder(s *obj) {
	s.rw.RLock()
	note("holder", "sysHolder", "")
	var b [16]byte
	n, _ := syscall.Read(sysPipe[0], b[:])
	sink = n
	s.rw.RUnlock()
}

//go:noinline
func wlockSys(s *obj) {
	note("live", "wlockSys", "")
	s.rw.Lock()
	s.rw.Unlock()
}

//go:noinline
func sleepHead(x *obj) {
	note("holder", "sleepHead", "")
	time.Sleep(time.Hour)
	x.ch <- 1
}

//go:noinline
func midLive(x, y *obj) {
	note("live", "midLive", "")
	sink = <-x.ch
	y.mu.Unlock()
}

//go:noinline
func nextLive(y, z *obj) {
	note("live", "nextLive", "")
	y.mu.Lock()
	z.wg.Done()
	y.mu.Unlock()
}

//go:noinline
func tailLive(z *obj) {
	note("live", "tailLive", "")
	z.wg.Wait()
}

//go:noinline
func makeHeld() {
	p, c := newObj("sleeper select"), newObj("live-cond")
	spawn()
	go sleepHolder(p, c)
	spawn()
	go selectSleeper(p, make(chan string))
	for i := 0; i < 2; i++ {
		spawn()
		go condSleeper(c)
	}

	r, w, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	pipeWriter = w
	q := newObj("io")
	spawn()
	go ioHolder(r, q)
	spawn()
	go sendIO(q)

	if err := syscall.Pipe(sysPipe[:]); err != nil {
		panic(err)
	}
	s := newObj("syscall")
	spawn()
	go sysHolder(s)
	// the writer must come after the holder's RLock
	for s.rw.TryLock() {
		s.rw.Unlock()
		runtime.Gosched()
	}
	spawn()
	go wlockSys(s)
}

//go:noinline
func makeLiveChain() {
	x, y, z := newObj("live x"), newObj("live y"), newObj("live z")
	y.mu.Lock()
	z.wg.Add(1)
	spawn()
	go sleepHead(x)
	spawn()
	go midLive(x, y)
	spawn()
	go nextLive(y, z)
	spawn()
	go tailLive(z)
}

// ---- driver ----------------------------------------------------------------

func main() {
	spawn()
	note("live", "main", "") // goroutine 1, in select {} below
	makeLeaked()
	makeLeakedChain()
	makeGlobals()
	makeFinalized()
	makeHeld()
	makeLiveChain()
	for _, f := range extra {
		f()
	}
	go driver()
	select {}
}

func ids(pick func(role) bool) []int {
	var out []int
	for _, r := range book {
		if pick(r) {
			out = append(out, r.id)
		}
	}
	sort.Ints(out)
	return out
}

func join(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, " ")
}

//go:noinline
func driver() {
	ready.Wait()
	settle()
	bookMu.Lock()
	defer bookMu.Unlock()
	sort.Slice(book, func(i, j int) bool { return book[i].id < book[j].id })
	for _, r := range book {
		fmt.Println(strings.TrimSpace(fmt.Sprintf("role %d %s %s %s", r.id, r.kind, r.name, r.group)))
	}
	leaked := ids(func(r role) bool { return r.kind == "leaked" })
	fmt.Println("expect-leaked:", join(leaked))
	fmt.Println("expect-live:", join(ids(func(r role) bool { return r.kind == "live" })))
	fmt.Println("expect-holder:", join(ids(func(r role) bool { return r.kind == "holder" })))
	var groups []string
	seen := map[string]bool{}
	for _, r := range book {
		if r.group != "" && !seen[r.group] {
			seen[r.group] = true
			groups = append(groups, r.group)
		}
	}
	sort.Strings(groups)
	for _, g := range groups {
		fmt.Printf("expect-group %s: %s\n", g, join(ids(func(r role) bool { return r.group == g })))
	}

	verdict := "absent (" + runtime.Version() + ")"
	if prof := pprof.Lookup("goroutineleak"); prof != nil {
		var buf bytes.Buffer
		if err := prof.WriteTo(&buf, 2); err != nil {
			fmt.Fprintln(os.Stderr, "blocked: writing the goroutineleak profile:", err)
			os.Exit(1)
		}
		// Go 1.26's runtime reports goroutine 1 in select {} too; 1.27
		// does not (findGoroutineLeaks puts it back to _Gwaiting).
		want := leaked
		if strings.HasPrefix(runtime.Version(), "go1.26") {
			fmt.Println("expect-profile-extra: 1")
			want = append([]int{1}, leaked...)
		}
		fmt.Println("--- goroutineleak debug=2 begin")
		os.Stdout.Write(buf.Bytes())
		fmt.Println("--- goroutineleak debug=2 end")
		got := profileLeaked(buf.String())
		if join(got) == join(want) {
			verdict = "agrees"
		} else {
			verdict = "differs: " + diff(want, got)
		}
	}
	panic(fmt.Sprintf("blocked: %d goroutines leaked by construction; goroutineleak profile %s", len(leaked), verdict))
}

// profileLeaked: the ids of the "goroutine N ... [... (leaked)]:" headers.
func profileLeaked(s string) []int {
	var out []int
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "goroutine ") || !strings.HasSuffix(line, " (leaked)]:") {
			continue
		}
		f := strings.Fields(line)
		if id, err := strconv.Atoi(f[1]); err == nil {
			out = append(out, id)
		}
	}
	sort.Ints(out)
	return out
}

func diff(want, got []int) string {
	in := func(xs []int, x int) bool {
		for _, y := range xs {
			if y == x {
				return true
			}
		}
		return false
	}
	var missing, extra []int
	for _, x := range want {
		if !in(got, x) {
			missing = append(missing, x)
		}
	}
	for _, x := range got {
		if !in(want, x) {
			extra = append(extra, x)
		}
	}
	return fmt.Sprintf("not reported [%s], reported but live [%s]", join(missing), join(extra))
}

// settle waits until no goroutine but the caller is runnable or running,
// so the dump shows every goroutine parked where the program put it.
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
