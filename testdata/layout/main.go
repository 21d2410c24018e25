// Fixture for goruntime/tests/layout_test.c: a small program whose DWARF
// carries the runtime types gocore reads (runtime.g, m, gobuf, _panic,
// _defer, moduledata...).  It is only read, never run by the tests.
package main

import (
	"fmt"
	"sync"
)

func work(id int, wg *sync.WaitGroup) (err error) {
	defer wg.Done()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("worker %d: %v", id, r)
		}
	}()
	if id%2 == 1 {
		panic("odd worker")
	}
	return nil
}

func main() {
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go work(i, &wg)
	}
	wg.Wait()
	fmt.Println("done")
}
