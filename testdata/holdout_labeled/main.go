// Command holdout_labeled (held-out e2e program) is a small request-handling
// service whose handler goroutines carry pprof labels. Every request is
// served on its own goroutine under pprof.Do with route, tenant and
// request_id labels; handlers add labels of their own with nested pprof.Do
// calls (the upload stage, the search backend, the delivery attempt, the
// admin operation). A background cache refresher labels itself with
// pprof.SetGoroutineLabels. Then the admin "reload" handler panics while
// parsing a config, and the runtime dumps every goroutine.
//
// Where each goroutine is parked (labels.json lists the labels of each,
// keyed by the innermost main.* function on its stack):
//
//	(*Cache).refreshLoop  background job, SetGoroutineLabels {job, component}:
//	                      holds the cache mutex while waiting for the
//	                      upstream snapshot: [chan receive]
//	(*Cache).Get          GET /v1/profile: waits for the cache mutex:
//	                      [sync.Mutex.Lock] (Go 1.19: [semacquire])
//	encodeImage           the pool's only worker, running the first upload
//	                      under that request's labels plus {worker}: waits
//	                      for an encoder slot: [chan receive]
//	(*Server).handleUpload  the first POST /v1/upload, its job taken by the
//	                      worker, waits for the result (nested Do, stage
//	                      encode-wait): [chan receive]
//	(*Pool).Submit        the second POST /v1/upload: the worker is busy, the
//	                      queue unbuffered (nested Do, stage enqueue):
//	                      [chan send]
//	queryBackend          GET /v1/search: a select on its 30-minute deadline
//	                      and the backend's reply (nested Do, backend):
//	                      [select]
//	(*Server).audit       started by the search handler inside its nested
//	                      Do: no labels of its own, it inherits them; the
//	                      audit log has no reader: [chan send]
//	sleepBackoff          POST /v1/webhooks/deliver: attempt 1 failed, it
//	                      backs off for an hour (nested Do, attempt):
//	                      [sleep]
//	(*WorkQueue).Claim    POST /v1/jobs/claim: waits on the queue's sync.Cond:
//	                      [sync.Cond.Wait]
//	parseConfig           POST /admin/reload (nested Do, op): panics:
//	                      [running]. The panic runs pprof.Do's deferred
//	                      label restores before the runtime prints the
//	                      dump, so by then this goroutine has no labels.
//	main.main             never had labels: [chan receive]
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ---- cache ----------------------------------------------------------------

type Cache struct {
	mu      sync.Mutex
	entries map[string]string
}

// Get returns a cached profile.
//
//go:noinline
func (c *Cache) Get(key string) (string, bool) {
	c.mu.Lock() // the refresher holds mu: [sync.Mutex.Lock]
	defer c.mu.Unlock()
	v, ok := c.entries[key]
	return v, ok
}

// refreshLoop replaces the cache with every snapshot from upstream. Its bug:
// it takes the lock before waiting for the snapshot.
//
//go:noinline
func (c *Cache) refreshLoop(upstream <-chan map[string]string, locked chan<- struct{}) {
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(),
		pprof.Labels("job", "cache-refresh", "component", "cache")))
	for {
		c.mu.Lock()
		if locked != nil {
			locked <- struct{}{}
			locked = nil
		}
		snap := <-upstream // holding mu: [chan receive]
		c.entries = snap
		c.mu.Unlock()
	}
}

// ---- worker pool ------------------------------------------------------------

type job struct {
	ctx   context.Context
	image []byte
	done  chan []byte
}

type Pool struct {
	jobs  chan job
	slots chan struct{} // encoder slots: none are ever free
}

//go:noinline
func (p *Pool) Submit(ctx context.Context, j job) error {
	p.jobs <- j // the worker is busy and the queue unbuffered: [chan send]
	return nil
}

//go:noinline
func (p *Pool) worker(name string) {
	for j := range p.jobs {
		pprof.Do(j.ctx, pprof.Labels("worker", name), func(ctx context.Context) {
			j.done <- encodeImage(ctx, p.slots, j.image)
		})
	}
}

//go:noinline
func encodeImage(ctx context.Context, slots <-chan struct{}, img []byte) []byte {
	<-slots // [chan receive] with the request's labels plus {worker}
	return bytes.ToUpper(img)
}

// ---- work queue -------------------------------------------------------------

type WorkQueue struct {
	mu    sync.Mutex
	cond  *sync.Cond
	items []string
}

//go:noinline
func (q *WorkQueue) Claim() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		q.cond.Wait() // [sync.Cond.Wait]
	}
	it := q.items[0]
	q.items = q.items[1:]
	return it
}

// ---- server -----------------------------------------------------------------

type request struct {
	route, tenant, id string
	body              string
}

type Server struct {
	cache    *Cache
	pool     *Pool
	queue    *WorkQueue
	backend  chan string // search replies: the backend never answers
	auditLog chan string // nobody ships the audit log
	done     chan struct{}
	sink     []string
}

// serve runs one request on its own goroutine, under the request's labels.
//
//go:noinline
func (s *Server) serve(r request) {
	labels := pprof.Labels("route", r.route, "tenant", r.tenant, "request_id", r.id)
	pprof.Do(context.Background(), labels, func(ctx context.Context) {
		var err error
		switch r.route {
		case "/v1/profile":
			err = s.handleProfile(ctx, r)
		case "/v1/upload":
			err = s.handleUpload(ctx, r)
		case "/v1/search":
			err = s.handleSearch(ctx, r)
		case "/v1/webhooks/deliver":
			err = s.handleWebhook(ctx, r)
		case "/v1/jobs/claim":
			s.sink = append(s.sink, s.queue.Claim())
		case "/admin/reload":
			err = s.handleReload(ctx, r)
		default:
			err = fmt.Errorf("no route %s", r.route)
		}
		if err != nil {
			s.sink = append(s.sink, err.Error())
		}
	})
}

//go:noinline
func (s *Server) handleProfile(ctx context.Context, r request) error {
	v, ok := s.cache.Get(r.tenant + "/" + r.body)
	if !ok {
		return errors.New("profile not found")
	}
	s.sink = append(s.sink, v)
	return nil
}

//go:noinline
func (s *Server) handleUpload(ctx context.Context, r request) error {
	j := job{image: []byte(r.body), done: make(chan []byte, 1)}
	var err error
	pprof.Do(ctx, pprof.Labels("stage", "enqueue"), func(ctx context.Context) {
		j.ctx = ctx
		err = s.pool.Submit(ctx, j)
	})
	if err != nil {
		return err
	}
	var out []byte
	pprof.Do(ctx, pprof.Labels("stage", "encode-wait"), func(context.Context) {
		out = s.awaitResult(j.done)
	})
	s.sink = append(s.sink, string(out))
	return nil
}

//go:noinline
func (s *Server) awaitResult(done <-chan []byte) []byte {
	return <-done // [chan receive]
}

//go:noinline
func (s *Server) handleSearch(ctx context.Context, r request) error {
	var res string
	var err error
	pprof.Do(ctx, pprof.Labels("backend", "search-2"), func(ctx context.Context) {
		go s.audit("search " + r.id + " q=" + r.body) // inherits the labels
		res, err = queryBackend(ctx, s.backend, 30*time.Minute)
	})
	s.sink = append(s.sink, res)
	return err
}

//go:noinline
func queryBackend(ctx context.Context, replies <-chan string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select { // [select]
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-replies:
		return r, nil
	}
}

//go:noinline
func (s *Server) audit(entry string) {
	s.auditLog <- entry // nobody reads the audit log: [chan send]
}

// handleWebhook delivers with retries: attempt 1 fails at once (the
// receiver answers 503), then it backs off.
//
//go:noinline
func (s *Server) handleWebhook(ctx context.Context, r request) error {
	for attempt := 1; attempt <= 5; attempt++ {
		var err error
		pprof.Do(ctx, pprof.Labels("attempt", strconv.Itoa(attempt)), func(ctx context.Context) {
			err = postWebhook(r.body)
			if err != nil {
				sleepBackoff(attempt)
			}
		})
		if err == nil {
			return nil
		}
	}
	return errors.New("webhook: giving up")
}

//go:noinline
func postWebhook(url string) error {
	return fmt.Errorf("POST %s: 503 Service Unavailable", url)
}

//go:noinline
func sleepBackoff(attempt int) {
	time.Sleep(time.Duration(attempt) * time.Hour) // [sleep]
}

//go:noinline
func (s *Server) handleReload(ctx context.Context, r request) error {
	var n int
	pprof.Do(ctx, pprof.Labels("op", "reload-config"), func(context.Context) {
		quiesce() // (test scaffolding: let every other goroutine park first)
		n = parseConfig(r.body)
	})
	s.sink = append(s.sink, strconv.Itoa(n))
	return nil
}

// parseConfig counts "key = value" lines and panics on anything else.
//
//go:noinline
func parseConfig(text string) int {
	n := 0
	for i, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if !strings.Contains(line, "=") {
			panic(fmt.Sprintf("config: line %d: expected key = value, got %q", i+1, line))
		}
		n++
	}
	return n
}

func main() {
	cache := &Cache{entries: map[string]string{"acme/alice": "{}"}}
	pool := &Pool{jobs: make(chan job), slots: make(chan struct{})}
	queue := &WorkQueue{}
	queue.cond = sync.NewCond(&queue.mu)
	s := &Server{
		cache: cache, pool: pool, queue: queue,
		backend:  make(chan string),
		auditLog: make(chan string),
		done:     make(chan struct{}),
	}

	// Background: the cache refresher (holding the lock once it tells us)
	// and the pool's single encoder.
	locked := make(chan struct{})
	go cache.refreshLoop(make(chan map[string]string), locked)
	<-locked
	go pool.worker("encoder-0")

	// Phase 1: the first upload reaches the worker.
	go s.serve(request{route: "/v1/upload", tenant: "globex", id: "req-1002", body: "cat.png"})
	quiesce()

	// Phase 2: everything else.
	go s.serve(request{route: "/v1/profile", tenant: "acme", id: "req-1001", body: "alice"})
	go s.serve(request{route: "/v1/upload", tenant: "umbrella", id: "req-1003", body: "dog.png"})
	go s.serve(request{route: "/v1/search", tenant: "initech", id: "req-1004", body: "tps reports"})
	go s.serve(request{route: "/v1/webhooks/deliver", tenant: "globex", id: "req-1005", body: "https://hooks.example.com/x"})
	go s.serve(request{route: "/v1/jobs/claim", tenant: "acme", id: "req-1006"})
	quiesce()

	// Phase 3: the admin reload that crashes the service.
	go s.serve(request{route: "/admin/reload", tenant: "ops", id: "req-1007",
		body: "workers = 4\ncache_ttl = 30s\nshard_count 8\n"})
	<-s.done // [chan receive], never had labels
}

// quiesce waits until no goroutine but the caller is runnable or running,
// so the crash dump shows every goroutine parked where the program put it.
func quiesce() {
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
