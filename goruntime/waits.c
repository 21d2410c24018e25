/* What each blocked goroutine waits on (waits.h).
 *
 * Facts (runtime/chan.go, select.go, sema.go, time.go, netpoll.go of
 * 1.18-1.27): a goroutine parked in chansend, chanrecv or selectgo has
 * g.waiting pointing at its sudogs, chained by waitlink, each with c = the
 * hchan; from 1.26 semacquire1 and notifyListWait also set g.waiting to
 * their sudog, whose elem is the semaphore or the notifyList (sudog.elem
 * and sudog.c became maybeTraceablePtr {vp, vu} there).  Before 1.26 the
 * sudog of a semaphore waiter is only in the semaRoot treap and in a local
 * of semacquire1, live across the park; the notifyList of a sync.Cond
 * waiter is &c.notify, c being live in sync.(*Cond).Wait's frame, and the
 * list (notifyList{wait, notify uint32; lock mutex; head, tail *sudog})
 * holds the waiter's sudog.  time.Sleep parks on g.timer; netpollblock
 * stores the parked g in pollDesc.rg or .wg.
 */
#include "waits.h"

#include "gvalue.h"
#include "process_int.h"

#include <stdlib.h>
#include <string.h>

/* Bounds on what file data drives. */
#define MAX_QUEUE (1u << 20)       /* sudogs walked in one queue */
#define MAX_STACK_WORDS (1u << 16) /* words of a stack searched for a sudog */
#define MAX_LIST_WALK (1u << 22)  /* sudogs walked in one notifyList */

static const char *const kind_names[GR_WAIT_KINDS] = {
	[GR_WAIT_NONE] = "none",        [GR_WAIT_CHAN_RECV] = "chan receive",
	[GR_WAIT_CHAN_SEND] = "chan send", [GR_WAIT_SELECT] = "select",
	[GR_WAIT_NIL_CHAN] = "nil chan", [GR_WAIT_SELECT_NO_CASES] = "select (no cases)",
	[GR_WAIT_MUTEX] = "mutex",      [GR_WAIT_RWMUTEX_R] = "rwmutex",
	[GR_WAIT_RWMUTEX_W] = "rwmutex", [GR_WAIT_WAITGROUP] = "waitgroup",
	[GR_WAIT_COND] = "cond",        [GR_WAIT_SEMA] = "sema",
	[GR_WAIT_SLEEP] = "sleep",      [GR_WAIT_IO] = "io",
};

const char *gr_wait_kind_name(enum gr_wait_kind k)
{
	return k < GR_WAIT_KINDS && kind_names[k] ? kind_names[k] : "none";
}

struct gr_waits {
	const struct gr_process *p;
	const struct gc_addrspace *as;
	uint64_t g_waiting, g_timer, g_sleepwhen;
	uint64_t s_g, s_next, s_elem, s_elem_size, s_waitlink, s_c, s_c_size, s_isselect;
	uint64_t c_qcount, c_dataqsiz, c_elemsize, c_elemsize_size, c_closed, c_elemtype,
		c_recvq, c_sendq, q_first;
	uint64_t t_when, t_nextwhen, pd_fd, pd_rg, pd_wg;
	uint64_t cond_notify;
	bool sync_sema_reasons;  /* the release has "sync.Mutex.Lock" */
	uint64_t goid_off;
	/* Each queue (a channel's, a notifyList's) is walked once: which
	 * queue holds each sudog seen, as owner | dir (GR_DIR_*), and the
	 * owners walked (bit 0: the walk found a valid list). */
	struct umap {
		uint64_t *k, *v;
		size_t mask, n;
	} by_sudog, walked;
	/* sudog.next chains walked so far: each node's last node and its
	 * distance to it, so that no chain is walked twice. */
	struct umap chain_end, chain_dist;
	uint64_t *path;
	size_t path_cap;
	bool nomem;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static bool umap_get(const struct umap *m, uint64_t k, uint64_t *v)
{
	if (!m->k)
		return false;
	for (size_t i = mix(k) & m->mask;; i = (i + 1) & m->mask) {
		if (m->k[i] == k) {
			*v = m->v[i];
			return true;
		}
		if (!m->k[i])
			return false;
	}
}

static bool umap_put(struct umap *m, uint64_t k, uint64_t v)
{
	if (!k)
		return true;
	if (!m->k || 4 * (m->n + 1) > 3 * (m->mask + 1)) {
		size_t slots = m->k ? 2 * (m->mask + 1) : 1024;
		uint64_t *nk = calloc(slots, 8), *nv = calloc(slots, 8);
		if (!nk || !nv) {
			free(nk);
			free(nv);
			return false;
		}
		for (size_t i = 0; m->k && i <= m->mask; i++) {
			if (!m->k[i])
				continue;
			size_t j = mix(m->k[i]) & (slots - 1);
			while (nk[j])
				j = (j + 1) & (slots - 1);
			nk[j] = m->k[i];
			nv[j] = m->v[i];
		}
		free(m->k);
		free(m->v);
		m->k = nk;
		m->v = nv;
		m->mask = slots - 1;
	}
	size_t i = mix(k) & m->mask;
	for (; m->k[i] && m->k[i] != k; i = (i + 1) & m->mask)
		;
	if (!m->k[i])
		m->n++;
	m->k[i] = k;
	m->v[i] = v;
	return true;
}

static void umap_free(struct umap *m)
{
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static uint64_t off(const struct gr_layouts *l, const char *s, const char *f, uint64_t *size)
{
	uint64_t o, sz = 0;
	if (!gr_layouts_field(l, s, f, &o, &sz))
		return NO_OFF;
	if (size)
		*size = sz;
	return o;
}

struct gc_error *gr_waits_open(const struct gr_process *p, const struct gr_layouts *l,
			       struct gr_waits **ret)
{
	*ret = NULL;
	struct gr_waits *w = calloc(1, sizeof(*w));
	if (!w)
		return &gc_error_nomem;
	w->p = p;
	w->as = p->img->memory;
	w->g_waiting = off(p->layouts, "runtime.g", "waiting", NULL);
	w->g_timer = off(p->layouts, "runtime.g", "timer", NULL);
	w->g_sleepwhen = off(p->layouts, "runtime.g", "sleepWhen", NULL);
	w->goid_off = p->go.goid;
	w->s_g = off(l, "runtime.sudog", "g", NULL);
	w->s_next = off(l, "runtime.sudog", "next", NULL);
	w->s_elem = off(l, "runtime.sudog", "elem", &w->s_elem_size);
	w->s_waitlink = off(l, "runtime.sudog", "waitlink", NULL);
	w->s_c = off(l, "runtime.sudog", "c", &w->s_c_size);
	w->s_isselect = off(l, "runtime.sudog", "isSelect", NULL);
	if (w->s_elem_size != 16)
		w->s_elem_size = 8;
	if (w->s_c_size != 16)
		w->s_c_size = 8;
	w->c_qcount = off(l, "runtime.hchan", "qcount", NULL);
	w->c_dataqsiz = off(l, "runtime.hchan", "dataqsiz", NULL);
	w->c_elemsize = off(l, "runtime.hchan", "elemsize", &w->c_elemsize_size);
	w->c_closed = off(l, "runtime.hchan", "closed", NULL);
	w->c_elemtype = off(l, "runtime.hchan", "elemtype", NULL);
	w->c_recvq = off(l, "runtime.hchan", "recvq", NULL);
	w->c_sendq = off(l, "runtime.hchan", "sendq", NULL);
	w->q_first = off(l, "runtime.waitq", "first", NULL);
	w->t_when = off(l, "runtime.timer", "when", NULL);
	w->t_nextwhen = off(l, "runtime.timer", "nextwhen", NULL);
	w->pd_fd = off(l, "runtime.pollDesc", "fd", NULL);
	w->pd_rg = off(l, "runtime.pollDesc", "rg", NULL);
	w->pd_wg = off(l, "runtime.pollDesc", "wg", NULL);
	/* sync.Cond{noCopy; L Locker; notify notifyList; checker}: 16 in every
	 * release, when the binary has no descriptor for it. */
	w->cond_notify = off(l, "sync.Cond", "notify", NULL);
	if (w->cond_notify == NO_OFF)
		w->cond_notify = 16;
	if (w->q_first == NO_OFF)
		w->q_first = 0;
	for (size_t i = 0; i < p->nwaitreasons; i++)
		if (p->waitreasons[i * GR_STATE_MARKS] &&
		    strcmp(p->waitreasons[i * GR_STATE_MARKS], "sync.Mutex.Lock") == 0)
			w->sync_sema_reasons = true;
	if (w->s_g == NO_OFF || w->s_elem == NO_OFF || w->s_c == NO_OFF ||
	    w->s_waitlink == NO_OFF || w->s_next == NO_OFF) {
		free(w);
		return gc_error_create(GC_ERR_NOT_FOUND, "%s: no usable layout for runtime.sudog",
				       p->img->file.path);
	}
	*ret = w;
	return NULL;
}

void gr_waits_destroy(struct gr_waits *w)
{
	if (!w)
		return;
	umap_free(&w->by_sudog);
	umap_free(&w->walked);
	umap_free(&w->chain_end);
	umap_free(&w->chain_dist);
	free(w->path);
	free(w);
}

bool gr_waits_nomem(const struct gr_waits *w)
{
	return w->nomem;
}

void gr_waits_sudog_hidden(const struct gr_waits *w, uint64_t *elem_off, uint64_t *elem_size,
			   uint64_t *c_off, uint64_t *c_size)
{
	*elem_off = w->s_elem;
	*elem_size = w->s_elem_size;
	*c_off = w->s_c;
	*c_size = w->s_c_size;
}

static uint64_t u64(const struct gr_waits *w, uint64_t addr)
{
	uint64_t v;
	return gc_addrspace_u64(w->as, addr, &v) ? v : 0;
}

/* A maybeTraceablePtr (1.26+: vp, then vu when vp was hidden) or a plain
 * pointer. */
static uint64_t traceable(const struct gr_waits *w, uint64_t addr, uint64_t size)
{
	uint64_t v = u64(w, addr);
	if (v == 0 && size == 16)
		v = u64(w, addr + 8);
	return v;
}

static enum gr_wait_kind kind_of(const struct gr_waits *w, const char *reason, bool *candidate)
{
	static const struct {
		const char *reason;
		enum gr_wait_kind kind;
	} map[] = {
		{"chan receive", GR_WAIT_CHAN_RECV},     {"chan send", GR_WAIT_CHAN_SEND},
		{"select", GR_WAIT_SELECT},              {"chan receive (nil chan)", GR_WAIT_NIL_CHAN},
		{"chan send (nil chan)", GR_WAIT_NIL_CHAN}, {"select (no cases)", GR_WAIT_SELECT_NO_CASES},
		{"sync.Mutex.Lock", GR_WAIT_MUTEX},      {"sync.RWMutex.RLock", GR_WAIT_RWMUTEX_R},
		{"sync.RWMutex.Lock", GR_WAIT_RWMUTEX_W}, {"sync.WaitGroup.Wait", GR_WAIT_WAITGROUP},
		{"sync.Cond.Wait", GR_WAIT_COND},        {"semacquire", GR_WAIT_SEMA},
		{"sleep", GR_WAIT_SLEEP},                {"IO wait", GR_WAIT_IO},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(reason, map[i].reason) != 0)
			continue;
		enum gr_wait_kind k = map[i].kind;
		*candidate = k != GR_WAIT_SLEEP && k != GR_WAIT_IO &&
			     (k != GR_WAIT_SEMA || !w->sync_sema_reasons);
		return k;
	}
	*candidate = false;
	return GR_WAIT_NONE;
}

static void add_obj(struct gr_wait *r, uint64_t addr, uint64_t sudog, enum gr_wait_dir dir)
{
	if (addr == 0)
		return;
	for (size_t i = 0; i < r->nobjs; i++)
		if (r->objs[i].addr == addr && r->objs[i].dir == dir)
			return;
	if (r->nobjs == GR_WAIT_MAX_OBJS) {
		r->truncated = true;
		return;
	}
	r->objs[r->nobjs++] = (struct gr_wait_obj){addr, sudog, dir};
}

/* The direction in which sudog s waits on hchan c: which of its queues
 * holds it.  Each channel's queues are walked once. */
static enum gr_wait_dir queue_dir(struct gr_waits *w, uint64_t c, uint64_t s)
{
	uint64_t v;
	if (!umap_get(&w->walked, c, &v)) {
		uint64_t qs[2] = {w->c_recvq, w->c_sendq};
		for (int d = 0; d < 2; d++) {
			if (qs[d] == NO_OFF)
				continue;
			uint64_t x = u64(w, c + qs[d] + w->q_first);
			for (unsigned i = 0; x && i < MAX_QUEUE; i++, x = u64(w, x + w->s_next))
				if (!umap_put(&w->by_sudog, x, c | (uint64_t)(d + 1)))
					w->nomem = true;
		}
		if (!umap_put(&w->walked, c, 1))
			w->nomem = true;
	}
	if (umap_get(&w->by_sudog, s, &v) && (v & ~(uint64_t)3) == c)
		return (enum gr_wait_dir)(v & 3);
	return GR_DIR_NONE;
}

/* [sp, hi) of g's stack, bounded. */
static void stack_range(const struct gr_goroutine *g, uint64_t *lo, uint64_t *hi)
{
	uint64_t sp = g->sched_sp;
	if (sp < g->stack_lo || sp >= g->stack_hi)
		sp = g->stack_lo;
	*lo = (sp + 7) & ~(uint64_t)7;
	*hi = g->stack_hi;
	if (*hi - *lo > (uint64_t)MAX_STACK_WORDS * 8)
		*hi = *lo + (uint64_t)MAX_STACK_WORDS * 8;
}

/* The sudog of g that one of its stack words points at (s.g == g). */
static uint64_t sudog_on_stack(const struct gr_waits *w, const struct gr_heap *heap,
			       const struct gr_goroutine *g)
{
	uint64_t lo, hi;
	stack_range(g, &lo, &hi);
	for (uint64_t a = lo; a < hi; a += 8) {
		uint64_t v = u64(w, a), idx, base, size;
		bool noscan;
		if (v < 4096 || v % 8 || v == g->addr)
			continue;
		if (heap && !gr_heap_object(heap, v, &idx, &base, &size, &noscan))
			continue;
		if (u64(w, v + w->s_g) == g->addr)
			return v;
	}
	return 0;
}

/* The last node of the sudog.next chain from x, and how many steps away
 * it is; false when the chain is longer than MAX_LIST_WALK (or loops).
 * Every chain is walked once: later calls find its nodes remembered. */
static bool chain_end(struct gr_waits *w, uint64_t x, uint64_t *end, uint64_t *dist)
{
	size_t n = 0;
	uint64_t e = 0, d = 0;
	bool known = false;
	while (n < MAX_LIST_WALK) {
		if (umap_get(&w->chain_end, x, &e)) {
			umap_get(&w->chain_dist, x, &d);
			known = true;
			break;
		}
		if (n == w->path_cap) {
			size_t cap = w->path_cap ? 2 * w->path_cap : 256;
			uint64_t *v = realloc(w->path, cap * sizeof(*v));
			if (!v) {
				w->nomem = true;
				return false;
			}
			w->path = v;
			w->path_cap = cap;
		}
		w->path[n++] = x;
		uint64_t next = u64(w, x + w->s_next);
		if (!next) {
			e = x;
			d = 0;
			n--;  /* x itself is the end */
			if (!umap_put(&w->chain_end, x, x) || !umap_put(&w->chain_dist, x, 0))
				w->nomem = true;
			known = true;
			break;
		}
		x = next;
	}
	if (!known)
		return false;  /* too long, or a loop: left unremembered */
	for (size_t i = n; i-- > 0;) {
		d++;
		if (!umap_put(&w->chain_end, w->path[i], e) ||
		    !umap_put(&w->chain_dist, w->path[i], d))
			w->nomem = true;
	}
	*end = e;   /* d is now path[0]'s distance, the first x's */
	*dist = d;
	return true;
}

/* The notifyList holding sudog s (of g): &c.notify for a Cond c, or a
 * notifyList, that one of g's stack words points at.  A notifyList{wait,
 * notify uint32; lock mutex; head, tail *sudog} qualifies when the chain
 * from head ends at tail and passes s. */
static uint64_t notify_list_on_stack(struct gr_waits *w, const struct gr_goroutine *g,
				     uint64_t s)
{
	uint64_t lo, hi, s_end, s_dist;
	if (!s || !chain_end(w, s, &s_end, &s_dist))
		return 0;
	stack_range(g, &lo, &hi);
	for (uint64_t a = lo; a < hi; a += 8) {
		uint64_t v = u64(w, a);
		if (v < 4096 || v % 8 || v == g->addr || v == s)
			continue;
		uint64_t cands[2] = {v + w->cond_notify, v};
		for (int k = 0; k < 2; k++) {
			uint64_t head = u64(w, cands[k] + 16), tail = u64(w, cands[k] + 24);
			uint64_t end, dist;
			if (!head || tail != s_end)
				continue;
			if (chain_end(w, head, &end, &dist) && end == s_end && dist >= s_dist)
				return cands[k];
		}
	}
	return 0;
}

static void read_chans(struct gr_waits *w, const struct gr_goroutine *g, struct gr_wait *r)
{
	if (w->g_waiting == NO_OFF)
		return;
	uint64_t s = u64(w, g->addr + w->g_waiting);
	unsigned n = 0;
	for (; s && n < MAX_QUEUE; n++, s = u64(w, s + w->s_waitlink)) {
		uint64_t c = traceable(w, s + w->s_c, w->s_c_size);
		enum gr_wait_dir dir = r->kind == GR_WAIT_CHAN_RECV   ? GR_DIR_RECV
				       : r->kind == GR_WAIT_CHAN_SEND ? GR_DIR_SEND
								      : GR_DIR_NONE;
		if (dir == GR_DIR_NONE && c)
			dir = queue_dir(w, c, s);
		add_obj(r, c, s, dir);
	}
	if (s)
		r->truncated = true;
	r->found = r->nobjs > 0;
}

static void read_sync(struct gr_waits *w, const struct gr_heap *heap,
		      const struct gr_goroutine *g, struct gr_wait *r)
{
	uint64_t s = w->g_waiting != NO_OFF ? u64(w, g->addr + w->g_waiting) : 0;
	if (s && u64(w, s + w->s_g) == g->addr) {
		uint64_t e = traceable(w, s + w->s_elem, w->s_elem_size);
		if (e) {
			add_obj(r, e, s, GR_DIR_NONE);
			r->found = true;
			return;
		}
	}
	/* Before 1.26: the sudog on the goroutine's own stack. */
	s = sudog_on_stack(w, heap, g);
	if (r->kind != GR_WAIT_COND) {
		uint64_t e = s ? traceable(w, s + w->s_elem, w->s_elem_size) : 0;
		if (e) {
			add_obj(r, e, s, GR_DIR_NONE);
			r->found = true;
		}
		return;
	}
	uint64_t l = notify_list_on_stack(w, g, s);
	if (l) {
		add_obj(r, l, s, GR_DIR_NONE);
		r->found = true;
	}
}

static void read_io(const struct gr_waits *w, const struct gr_goroutine *g, struct gr_wait *r)
{
	if (w->pd_fd == NO_OFF || w->pd_rg == NO_OFF || w->pd_wg == NO_OFF)
		return;
	uint64_t lo, hi;
	stack_range(g, &lo, &hi);
	for (uint64_t a = lo; a < hi; a += 8) {
		uint64_t v = u64(w, a);
		if (v < 4096 || v % 8 || v == g->addr)
			continue;
		if (u64(w, v + w->pd_rg) == g->addr || u64(w, v + w->pd_wg) == g->addr) {
			r->fd = (int64_t)u64(w, v + w->pd_fd);
			add_obj(r, v, 0, u64(w, v + w->pd_rg) == g->addr ? GR_DIR_RECV : GR_DIR_SEND);
			r->found = true;
			return;
		}
	}
}

void gr_waits_read(struct gr_waits *w, const struct gr_heap *heap,
		   const struct gr_goroutine *g, struct gr_wait *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	uint32_t st = g->status & ~(uint32_t)GR_GSCAN;
	if (st != GR_GWAITING && st != GR_GLEAKED)
		return;
	bool candidate;
	r->kind = kind_of(w, gr_process_waitreason(w->p, g->waitreason), &candidate);
	r->candidate = candidate;
	switch (r->kind) {
	case GR_WAIT_CHAN_RECV:
	case GR_WAIT_CHAN_SEND:
	case GR_WAIT_SELECT:
		read_chans(w, g, r);
		break;
	case GR_WAIT_NIL_CHAN:
	case GR_WAIT_SELECT_NO_CASES:
		r->found = true;  /* nothing can ever wake it */
		break;
	case GR_WAIT_MUTEX:
	case GR_WAIT_RWMUTEX_R:
	case GR_WAIT_RWMUTEX_W:
	case GR_WAIT_WAITGROUP:
	case GR_WAIT_COND:
	case GR_WAIT_SEMA:
		read_sync(w, heap, g, r);
		break;
	case GR_WAIT_SLEEP:
		/* 1.23+: g.sleepWhen; before, the g's timer's when (nextwhen
		 * while the timer is still being modified). */
		if (w->g_sleepwhen != NO_OFF)
			r->when = (int64_t)u64(w, g->addr + w->g_sleepwhen);
		if (!r->when && w->g_timer != NO_OFF && w->t_when != NO_OFF) {
			uint64_t t = u64(w, g->addr + w->g_timer);
			if (t)
				r->when = (int64_t)u64(w, t + w->t_when);
			if (t && !r->when && w->t_nextwhen != NO_OFF)
				r->when = (int64_t)u64(w, t + w->t_nextwhen);
		}
		break;
	case GR_WAIT_IO:
		read_io(w, g, r);
		break;
	default:
		break;
	}
}

/* ---- channels ---- */

static uint64_t queue_gs(const struct gr_waits *w, uint64_t c, uint64_t qoff, uint64_t **ret,
			 bool *truncated, bool *nomem)
{
	*ret = NULL;
	if (qoff == NO_OFF)
		return 0;
	size_t n = 0, cap = 0;
	uint64_t x = u64(w, c + qoff + w->q_first);
	for (; x && n < MAX_QUEUE; x = u64(w, x + w->s_next)) {
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 8;
			uint64_t *v = realloc(*ret, nc * sizeof(*v));
			if (!v) {
				*nomem = true;
				return n;
			}
			*ret = v;
			cap = nc;
		}
		(*ret)[n++] = u64(w, x + w->s_g);
	}
	if (x)
		*truncated = true;
	return n;
}

bool gr_chan_read(const struct gr_waits *w, uint64_t addr, struct gr_chan *c)
{
	memset(c, 0, sizeof(*c));
	c->addr = addr;
	uint64_t q, cap;
	uint32_t closed;
	if (w->c_qcount == NO_OFF || w->c_dataqsiz == NO_OFF ||
	    !gc_addrspace_u64(w->as, addr + w->c_qcount, &q) ||
	    !gc_addrspace_u64(w->as, addr + w->c_dataqsiz, &cap))
		return false;
	c->len = q;
	c->cap = cap;
	if (w->c_closed != NO_OFF && gc_addrspace_u32(w->as, addr + w->c_closed, &closed))
		c->closed = closed != 0;
	if (w->c_elemsize != NO_OFF) {
		uint32_t es = 0;
		if (gc_addrspace_u32(w->as, addr + w->c_elemsize, &es))
			c->elemsize = es & 0xffff; /* a uint16 in every release */
	}
	if (w->c_elemtype != NO_OFF) {
		uint64_t t = u64(w, addr + w->c_elemtype);
		if (t) {
			struct gr_reader r;
			gr_reader_init(&r, w->p);
			c->elemtype = gr_type_string(&r, t, NULL);
			c->nomem |= r.nomem;
		}
	}
	c->nrecv = queue_gs(w, addr, w->c_recvq, &c->recv, &c->truncated, &c->nomem);
	c->nsend = queue_gs(w, addr, w->c_sendq, &c->send, &c->truncated, &c->nomem);
	return true;
}

void gr_chan_free(struct gr_chan *c)
{
	free(c->elemtype);
	free(c->recv);
	free(c->send);
	memset(c, 0, sizeof(*c));
}
