// Command labels parks goroutines that carry pprof labels (runtime/pprof:
// pprof.Do, pprof.SetGoroutineLabels with a context from pprof.WithLabels),
// next to goroutines without labels, then crashes with a nil pointer
// dereference in main, which has labels of its own.
//
// What each goroutine demonstrates (labels.json lists the labels each one
// carries, keyed by the main.* function it is parked in):
//
//	doRecv         pprof.Do with several labels, keys given unsorted and one
//	               key twice (the later value wins): [chan receive]
//	setSelect      pprof.SetGoroutineLabels(pprof.WithLabels(...)): [select]
//	nestedLock     nested pprof.Do: the inner one overrides a key and adds
//	               one: [sync.Mutex.Lock] (Go 1.19: [semacquire])
//	quotedSleep    keys/values that need quoting (a space, a quote, a
//	               backslash, a tab, non-ASCII runes in and beyond the BMP,
//	               an empty value) beside plain ones: [sleep]
//	badUTF8        a value with an invalid UTF-8 byte (Go 1.26 prints it as
//	               \ufffd, Go 1.27 as \xe9): [chan receive]
//	labeledWait    pprof.Do around a WaitGroup wait: [sync.WaitGroup.Wait]
//	               (Go 1.19: [semacquire])
//	parentSend     pprof.Do, then starts inheritedChild: [chan send]
//	inheritedChild no labels of its own: the runtime copies its creator's
//	               labels into every new goroutine: [chan receive]
//	unlabeled      never had labels: [chan receive]
//	clearedLabels  had labels, then SetGoroutineLabels(context.Background()):
//	               the runtime keeps a pointer to an empty label set, and
//	               the header shows no labels: [chan receive]
//	main.main      SetGoroutineLabels just before the crash: [running]
//
// Headers: Go 1.19 never prints labels; Go 1.26 prints them inside the
// brackets with GODEBUG=tracebacklabels=1 (`[chan receive labels:{"k":
// "v"}]:`, everything quoted); Go 1.27 prints them by default after the
// brackets (`[chan receive] {k: v}:`, quoting only what needs it).
package main

import (
	"bytes"
	"context"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

var (
	never   = make(chan int) // nobody ever sends or receives on it
	never2  = make(chan int)
	nowhere = make(chan int) // parentSend's send: nobody receives
	mu      sync.Mutex       // locked by main forever
	wg      sync.WaitGroup   // Add(1), never Done
	sink    int
)

type node struct{ next *node }

//go:noinline
func doRecv() int {
	return <-never // [chan receive] with {job: recv, worker: 8}
}

//go:noinline
func setSelect() int {
	select { // [select] with {component: selector, via: SetGoroutineLabels}
	case v := <-never:
		return v
	case v := <-never2:
		return v
	}
}

//go:noinline
func nestedLock() {
	mu.Lock() // [sync.Mutex.Lock] with {lock: mu, stage: inner, tenant: a}
	mu.Unlock()
}

//go:noinline
func quotedSleep() {
	time.Sleep(time.Hour) // [sleep] with labels that need quoting
}

//go:noinline
func badUTF8() int {
	return <-never // [chan receive] with {bytes: "caf\xe9"}
}

//go:noinline
func labeledWait() {
	wg.Wait() // [sync.WaitGroup.Wait] with {waits: wg}
}

//go:noinline
func parentSend() {
	nowhere <- 1 // [chan send] with {role: parent, team: infra}
}

//go:noinline
func inheritedChild() int {
	return <-never // [chan receive], labels inherited from parentSend's goroutine
}

//go:noinline
func unlabeled() int {
	return <-never // [chan receive], no labels
}

//go:noinline
func clearedLabels() int {
	return <-never // [chan receive], an empty label set
}

func main() {
	mu.Lock()
	wg.Add(1)
	bg := context.Background()

	go pprof.Do(bg, pprof.Labels("worker", "7", "job", "recv", "worker", "8"), func(context.Context) {
		doRecv()
	})

	go func() {
		pprof.SetGoroutineLabels(pprof.WithLabels(bg, pprof.Labels("via", "SetGoroutineLabels", "component", "selector")))
		setSelect()
	}()

	go pprof.Do(bg, pprof.Labels("tenant", "a", "stage", "outer"), func(ctx context.Context) {
		pprof.Do(ctx, pprof.Labels("stage", "inner", "lock", "mu"), func(context.Context) {
			nestedLock()
		})
	})

	go pprof.Do(bg, pprof.Labels(
		"user name", "Zoë \"the\" admin", // space, quote, U+00EB
		"path", `C:\tmp`+"\t"+"tab", // backslash, tab
		"emoji", "😀", // U+1F600, beyond the BMP
		"empty", "", // empty value
		"plain_key.v1/x", "ok", // nothing to quote (1.27: [a-zA-Z0-9._/])
	), func(context.Context) {
		quotedSleep()
	})

	go pprof.Do(bg, pprof.Labels("bytes", "caf\xe9"), func(context.Context) {
		badUTF8()
	})

	go pprof.Do(bg, pprof.Labels("waits", "wg"), func(context.Context) {
		labeledWait()
	})

	go pprof.Do(bg, pprof.Labels("team", "infra", "role", "parent"), func(context.Context) {
		go inheritedChild()
		parentSend()
	})

	go unlabeled()

	go func() {
		pprof.SetGoroutineLabels(pprof.WithLabels(bg, pprof.Labels("temporary", "yes")))
		pprof.SetGoroutineLabels(bg)
		clearedLabels()
	}()

	settle()

	pprof.SetGoroutineLabels(pprof.WithLabels(bg, pprof.Labels("phase", "crash")))
	var n *node
	n.next.next = nil // nil pointer dereference in main: [running] {phase: crash}
	sink++
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
