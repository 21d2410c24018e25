/* The goroutine leak finder's heap walk (leaks.h). */
#include "leaks.h"

#include "heap.h"
#include "process_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_MODULES 64
#define MAX_BITMAP_BYTES (64u << 20)   /* a GC bitmap covers 4 GiB of globals */
#define STACK_ITEMS (1u << 20)         /* mark stack; overflow rescans */

/* One goroutine's wait, compact (1M goroutines fit in a few MB). */
struct cwait {
	uint64_t first;     /* its objects: objs[first, first + nobjs) */
	int64_t aux;        /* when (sleep) or fd (io) */
	uint16_t nobjs;
	uint8_t kind;
	uint8_t flags;
};
enum { CW_CANDIDATE = 1, CW_FOUND = 2, CW_TRUNCATED = 4 };

struct gr_leaks {
	const struct gr_process *p;
	struct gr_heap *heap;
	struct gr_waits *waits;
	size_t n;
	struct cwait *w;
	uint8_t *verdict;
	size_t *pos;            /* by position in allgs (p->gs): index here */
	struct gr_wait_obj *objs;
	size_t nobjs, capobjs;
	struct gr_leak_stats st;
};

/* ---- marking ---- */

struct item {
	uint64_t base, size;
};

/* An object whose type gocore knows (the runtime's p, g and m): scanned
 * with its type's pointer bitmap, as the runtime's GC scans it, not word by
 * word (a p holds uintptr copies of heap addresses: its write barrier
 * buffer, its GC work queue). */
struct typed {
	uint64_t addr;      /* the struct (a malloc header may precede it) */
	uint32_t type;      /* index into marker.types */
};

struct ptrmask {
	uint64_t words;     /* ptrdata / 8 */
	uint8_t *bits;      /* one bit a word */
};

struct marker {
	const struct gr_heap *h;
	struct typed *typed;    /* by addr */
	size_t ntyped;
	struct ptrmask types[3];
	const struct gc_addrspace *as;
	uint64_t *mark, *scanned;
	struct item *stack;
	size_t sp;
	bool overflow;
	uint64_t *hidden;       /* word addresses not followed; 0 = empty slot */
	size_t hidden_mask;     /* slots - 1 */
	uint64_t marked, missing;
};

static inline bool bit(const uint64_t *b, uint64_t i)
{
	return b[i >> 6] >> (i & 63) & 1;
}

static inline void set_bit(uint64_t *b, uint64_t i)
{
	b[i >> 6] |= (uint64_t)1 << (i & 63);
}

static inline uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static bool hidden(const struct marker *m, uint64_t addr)
{
	if (!m->hidden)
		return false;
	for (size_t i = hash64(addr) & m->hidden_mask;; i = (i + 1) & m->hidden_mask) {
		if (m->hidden[i] == addr)
			return true;
		if (m->hidden[i] == 0)
			return false;
	}
}

static void hide(struct marker *m, uint64_t addr)
{
	size_t i = hash64(addr) & m->hidden_mask;
	for (; m->hidden[i] && m->hidden[i] != addr; i = (i + 1) & m->hidden_mask)
		;
	m->hidden[i] = addr;
}

static void mark_ptr(struct marker *m, uint64_t v)
{
	uint64_t idx, base, size;
	bool noscan;
	if (!gr_heap_object(m->h, v, &idx, &base, &size, &noscan) || bit(m->mark, idx))
		return;
	set_bit(m->mark, idx);
	m->marked++;
	if (noscan) {
		set_bit(m->scanned, idx);
		return;
	}
	if (m->sp == STACK_ITEMS) {
		m->overflow = true;  /* found again by the rescan */
		return;
	}
	m->stack[m->sp++] = (struct item){base, size};
}

/* Marks what the words of [addr, addr + len) point at; with bitmap, only
 * the words whose bit is set (bit i for the word at addr + 8i). */
static void scan(struct marker *m, uint64_t addr, uint64_t len, const uint8_t *bitmap,
		 uint64_t nbits)
{
	uint64_t a = (addr + 7) & ~(uint64_t)7, end = addr + len;
	if (end < addr)
		return;
	while (a + 8 <= end) {
		size_t n;
		const uint8_t *d = gc_addrspace_span(m->as, a, end - a, &n);
		if (!d) {
			uint64_t skip = 4096 - (a & 4095);
			if (skip > end - a)
				skip = end - a;
			m->missing += skip;
			a += (skip + 7) & ~(uint64_t)7;
			continue;
		}
		uint64_t words = n / 8;
		if (words == 0)
			break;
		for (uint64_t k = 0; k < words; k++) {
			uint64_t v;
			memcpy(&v, d + 8 * k, 8);
			if (v < 4096)
				continue;
			uint64_t x = a + 8 * k;
			if (bitmap) {
				uint64_t i = (x - addr) / 8;
				if (i >= nbits || !(bitmap[i / 8] >> (i % 8) & 1))
					continue;
			}
			if (m->hidden && hidden(m, x))
				continue;
			mark_ptr(m, v);
		}
		a += words * 8;
	}
}

/* Scans the heap object [base, base + size): with its type's bitmap when
 * it is a typed object, else every word. */
static void scan_object(struct marker *m, uint64_t base, uint64_t size)
{
	size_t lo = 0, hi = m->ntyped;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->typed[mid].addr < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->ntyped && m->typed[lo].addr < base + size) {
		const struct typed *t = &m->typed[lo];
		const struct ptrmask *pm = &m->types[t->type];
		uint64_t len = pm->words * 8;
		if (t->addr + len > base + size)
			len = base + size - t->addr;
		scan(m, base, t->addr - base, NULL, 0);  /* a malloc header */
		scan(m, t->addr, len, pm->bits, pm->words);
		return;
	}
	scan(m, base, size, NULL, 0);
}

static void drain(struct marker *m, const struct gr_heap *h)
{
	for (;;) {
		while (m->sp > 0) {
			struct item it = m->stack[--m->sp];
			uint64_t idx, base, size;
			bool noscan;
			if (!gr_heap_object(h, it.base, &idx, &base, &size, &noscan) ||
			    bit(m->scanned, idx))
				continue;
			set_bit(m->scanned, idx);
			scan_object(m, it.base, it.size);
		}
		if (!m->overflow)
			return;
		/* The stack overflowed: scan what is marked and not scanned. */
		m->overflow = false;
		for (size_t s = 0; s < gr_heap_nspans(h); s++) {
			const struct gr_span *sp = gr_heap_span(h, s);
			uint64_t nobj = (sp->limit - sp->base) / sp->elemsize;
			for (uint64_t k = 0; k < nobj; k++) {
				uint64_t idx = sp->first + k;
				if (!bit(m->mark, idx) || bit(m->scanned, idx))
					continue;
				set_bit(m->scanned, idx);
				scan_object(m, sp->base + k * sp->elemsize, sp->elemsize);
				while (m->sp > 0) {
					struct item it = m->stack[--m->sp];
					uint64_t i2, b2, s2;
					bool ns;
					if (!gr_heap_object(h, it.base, &i2, &b2, &s2, &ns) ||
					    bit(m->scanned, i2))
						continue;
					set_bit(m->scanned, i2);
					scan_object(m, it.base, it.size);
				}
			}
		}
	}
}

/* ---- roots ---- */

static uint64_t u64(const struct gc_addrspace *as, uint64_t addr)
{
	uint64_t v;
	return gc_addrspace_u64(as, addr, &v) ? v : 0;
}

/* data and bss of every module, with the GC's pointer bitmaps
 * (moduledata.gcdatamask, gcbssmask: one bit per word). */
static bool scan_globals(const struct gr_process *p, struct marker *m)
{
	const struct gr_layouts *l = p->layouts;
	static const char *const f[][3] = {
		{"data", "edata", "gcdatamask"},
		{"bss", "ebss", "gcbssmask"},
	};
	bool precise = true;
	uint64_t next_off;
	bool have_next = gr_layouts_offset(l, "runtime.moduledata", "next", &next_off);
	uint64_t md = p->moduledata;
	for (unsigned k = 0; md && k < MAX_MODULES; k++) {
		for (int r = 0; r < 2; r++) {
			uint64_t o_lo, o_hi, o_n, o_bytes;
			if (!gr_layouts_offset(l, "runtime.moduledata", f[r][0], &o_lo) ||
			    !gr_layouts_offset(l, "runtime.moduledata", f[r][1], &o_hi))
				continue;
			uint64_t lo = u64(m->as, md + o_lo), hi = u64(m->as, md + o_hi);
			if (hi <= lo || hi - lo > ((uint64_t)MAX_BITMAP_BYTES << 6))
				continue;
			char path[32];
			snprintf(path, sizeof(path), "%s.n", f[r][2]);
			bool have = gr_layouts_offset(l, "runtime.moduledata", path, &o_n);
			snprintf(path, sizeof(path), "%s.bytedata", f[r][2]);
			have = have && gr_layouts_offset(l, "runtime.moduledata", path, &o_bytes);
			uint32_t nbits = 0;
			uint64_t bytes = have ? u64(m->as, md + o_bytes) : 0;
			uint8_t *bitmap = NULL;
			if (have && gc_addrspace_u32(m->as, md + o_n, &nbits) && bytes &&
			    nbits <= (hi - lo) / 8 + 64) {
				bitmap = malloc(nbits / 8 + 1);
				if (bitmap && gc_addrspace_read(m->as, bytes, bitmap, (nbits + 7) / 8) !=
						      GC_READ_OK) {
					free(bitmap);
					bitmap = NULL;
				}
			}
			if (bitmap) {
				scan(m, lo, hi - lo, bitmap, nbits);
				free(bitmap);
			} else {
				precise = false;
				scan(m, lo, hi - lo, NULL, 0);
			}
		}
		md = have_next ? u64(m->as, md + next_off) : 0;
	}
	return precise;
}

/* The lowest of g's known stack pointers that lies in its stack. */
static uint64_t stack_low(const struct gr_process *p, const struct gr_goroutine *g)
{
	uint64_t lo = g->stack_hi;
	uint64_t cand[3] = {g->sched_sp, g->syscallsp, 0};
	const struct gr_thread *t = gr_process_thread_of(p, g);
	if (t && t->core)
		cand[2] = gr_image_thread_sp(p->img, t->core);
	for (int i = 0; i < 3; i++)
		if (cand[i] >= g->stack_lo && cand[i] < g->stack_hi && cand[i] < lo)
			lo = cand[i];
	/* Running with no thread, or sp unknown: the whole stack. */
	return lo == g->stack_hi ? g->stack_lo : lo;
}

static void scan_stack(const struct gr_process *p, struct marker *m, const struct gr_goroutine *g)
{
	if (g->stack_hi <= g->stack_lo || g->stack_hi - g->stack_lo > (1ull << 31))
		return;
	uint64_t lo = stack_low(p, g);
	scan(m, lo, g->stack_hi - lo, NULL, 0);
}

/* Each thread's registers, and its stack from sp up to the top of the g
 * stack (curg, g0 or gsignal) that holds sp. */
static void scan_threads(const struct gr_process *p, struct marker *m)
{
	const struct gr_image *img = p->img;
	for (size_t i = 0; i < img->nthreads; i++)
		for (unsigned r = 0; r < img->arch->nregs && r < GR_REGS_MAX; r++)
			mark_ptr(m, img->threads[i].regs.r[r]);
	for (size_t i = 0; i < gr_process_nthreads(p); i++) {
		const struct gr_thread *t = gr_process_thread(p, i);
		if (!t->core)
			continue;
		uint64_t sp = gr_image_thread_sp(img, t->core);
		uint64_t gs[3] = {t->curg, t->g0, t->gsignal};
		for (int k = 0; k < 3; k++) {
			if (!gs[k])
				continue;
			uint64_t lo = u64(m->as, gs[k] + p->go.stack_lo),
				 hi = u64(m->as, gs[k] + p->go.stack_hi);
			if (sp >= lo && sp < hi && hi - sp <= (1ull << 31)) {
				scan(m, sp, hi - sp, NULL, 0);
				break;
			}
		}
	}
}

/* ---- typed objects ---- */

/* The pointer bitmap of the type descriptor at typ: ptrdata at +8, tflag
 * at +20, kind at +23, gcdata at +32 (rtype and abi.Type alike, 1.18-1.27).
 * A large type's bitmap is built on demand (TFlagGCMaskOnDemand, 1.24+):
 * gcdata then points to where the runtime stored it once built.  False
 * for a type whose bitmap is a GC program (kindGCProg, before 1.24) or not
 * built yet. */
static bool read_ptrmask(const struct gc_addrspace *as, int minor, uint64_t typ, uint64_t size,
			 struct ptrmask *pm)
{
	uint64_t ptrdata, gcdata;
	uint8_t tflag, kind;
	if (!typ || !gc_addrspace_u64(as, typ + 8, &ptrdata) ||
	    !gc_addrspace_u8(as, typ + 20, &tflag) || !gc_addrspace_u8(as, typ + 23, &kind) ||
	    !gc_addrspace_u64(as, typ + 32, &gcdata) || !gcdata || ptrdata > size ||
	    ptrdata % 8)
		return false;
	if (minor < 24 && (kind & 0x40))
		return false;
	/* On demand: gcdata is the slot where the runtime keeps the bitmap
	 * once a GC has built it (runtime/type.go getGCMaskOnDemand). */
	if (minor >= 24 && (tflag & 0x10) && !gc_addrspace_u64(as, gcdata, &gcdata))
		return false;
	if (!gcdata)
		return false;
	pm->words = ptrdata / 8;
	pm->bits = malloc(pm->words / 8 + 1);
	if (!pm->bits)
		return false;
	if (gc_addrspace_read(as, gcdata, pm->bits, (pm->words + 7) / 8) != GC_READ_OK) {
		free(pm->bits);
		pm->bits = NULL;
		return false;
	}
	return true;
}

static int by_addr(const void *a, const void *b)
{
	const struct typed *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static bool add_typed(struct marker *m, size_t *cap, uint64_t addr, uint32_t type)
{
	if (!addr || !m->types[type].bits)
		return true;
	if (m->ntyped == *cap) {
		size_t nc = *cap ? 2 * *cap : 1024;
		struct typed *v = realloc(m->typed, nc * sizeof(*v));
		if (!v)
			return false;
		m->typed = v;
		*cap = nc;
	}
	m->typed[m->ntyped++] = (struct typed){addr, type};
	return true;
}

/* The runtime's Ps (allp), Gs (allgs) and Ms (allm) and their types'
 * bitmaps.  Without a bitmap, objects are scanned word by word. */
static struct gc_error *learn_typed(const struct gr_process *p, struct marker *m)
{
	static const char *const names[3] = {"runtime.p", "runtime.g", "runtime.m"};
	struct gr_layouts *l = NULL;
	struct gc_error *err = gr_learn_more_layouts(p, names, 3, true, &l);
	if (err) {
		if (err == &gc_error_nomem)
			return err;
		gc_error_destroy(err);
		return NULL;
	}
	for (int i = 0; i < 3; i++) {
		const struct gr_struct *st = gr_layouts_struct(l, names[i]);
		if (st)
			read_ptrmask(m->as, p->minor, st->type_addr, st->size, &m->types[i]);
	}
	gr_layouts_destroy(l);
	size_t cap = 0;
	uint64_t ptr, len;
	if (p->glob.allp && gc_addrspace_u64(m->as, p->glob.allp, &ptr) &&
	    gc_addrspace_u64(m->as, p->glob.allp + 8, &len) && len <= (1u << 16))
		for (uint64_t i = 0; i < len; i++)
			if (!add_typed(m, &cap, u64(m->as, ptr + 8 * i), 0))
				return &gc_error_nomem;
	for (size_t i = 0; i < gr_process_ngoroutines(p); i++)
		if (!add_typed(m, &cap, gr_process_goroutine(p, i)->addr, 1))
			return &gc_error_nomem;
	for (size_t i = 0; i < gr_process_nthreads(p); i++)
		if (!add_typed(m, &cap, gr_process_thread(p, i)->m, 2))
			return &gc_error_nomem;
	if (m->ntyped)
		qsort(m->typed, m->ntyped, sizeof(*m->typed), by_addr);
	return NULL;
}

/* ---- the walk ---- */

static bool chan_kind(uint8_t k)
{
	return k == GR_WAIT_CHAN_RECV || k == GR_WAIT_CHAN_SEND || k == GR_WAIT_SELECT;
}

static struct gc_error *keep_wait(struct gr_leaks *l, size_t i, const struct gr_wait *w)
{
	struct cwait *c = &l->w[i];
	c->kind = (uint8_t)w->kind;
	c->flags = (w->candidate ? CW_CANDIDATE : 0) | (w->found ? CW_FOUND : 0) |
		   (w->truncated ? CW_TRUNCATED : 0);
	c->aux = w->kind == GR_WAIT_IO ? w->fd : w->when;
	c->first = l->nobjs;
	c->nobjs = (uint16_t)w->nobjs;
	if (l->nobjs + w->nobjs > l->capobjs) {
		size_t cap = l->capobjs ? 2 * l->capobjs : 1024;
		while (cap < l->nobjs + w->nobjs)
			cap *= 2;
		struct gr_wait_obj *v = realloc(l->objs, cap * sizeof(*v));
		if (!v)
			return &gc_error_nomem;
		l->objs = v;
		l->capobjs = cap;
	}
	memcpy(l->objs + l->nobjs, w->objs, w->nobjs * sizeof(*w->objs));
	l->nobjs += w->nobjs;
	return NULL;
}

static void marker_free(struct marker *m)
{
	free(m->mark);
	free(m->scanned);
	free(m->stack);
	free(m->hidden);
	free(m->typed);
	for (int i = 0; i < 3; i++)
		free(m->types[i].bits);
}

struct pair {
	uint64_t obj;   /* heap object index */
	size_t g;
};

static int by_obj(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	return x->obj < y->obj ? -1 : x->obj > y->obj;
}

struct gc_error *gr_leaks_find(const struct gr_process *p, struct gr_leaks **ret)
{
	*ret = NULL;
	struct gr_leaks *l = calloc(1, sizeof(*l));
	if (!l)
		return &gc_error_nomem;
	l->p = p;
	struct gc_error *err;
	struct marker m = {0};
	struct pair *pairs = NULL;
	if ((err = gr_heap_open(p, &l->heap)) || (err = gr_waits_open(p, &l->waits)))
		goto fail;
	l->n = gr_process_ngoroutines(p);
	l->w = calloc(l->n ? l->n : 1, sizeof(*l->w));
	l->verdict = calloc(l->n ? l->n : 1, 1);
	l->pos = calloc(l->n ? l->n : 1, sizeof(*l->pos));
	if (!l->pos) {
		err = &gc_error_nomem;
		goto fail;
	}
	for (size_t i = 0; i < l->n; i++)
		l->pos[gr_process_goroutine(p, i) - p->gs] = i;
	uint64_t nobj = gr_heap_nobjects(l->heap);
	m.h = l->heap;
	m.as = p->img->memory;
	m.mark = calloc(nobj / 64 + 1, 8);
	m.scanned = calloc(nobj / 64 + 1, 8);
	m.stack = malloc(STACK_ITEMS * sizeof(*m.stack));
	if (!l->w || !l->verdict || !m.mark || !m.scanned || !m.stack) {
		err = &gc_error_nomem;
		goto fail;
	}
	if ((err = learn_typed(p, &m)))
		goto fail;
	/* What each goroutine waits on. */
	struct gr_wait w;
	size_t nhidden = 0, npairs = 0;
	for (size_t i = 0; i < l->n; i++) {
		gr_waits_read(l->waits, l->heap, gr_process_goroutine(p, i), &w);
		if ((err = keep_wait(l, i, &w)))
			goto fail;
		if (w.candidate) {
			l->st.candidates++;
			nhidden += w.nobjs;
			npairs += w.nobjs;
		}
	}
	/* The sudogs' hold on the objects is not followed. */
	size_t slots = 16;
	while (slots < 4 * nhidden)
		slots *= 2;
	m.hidden = calloc(slots, 8);
	m.hidden_mask = slots - 1;
	pairs = malloc((npairs ? npairs : 1) * sizeof(*pairs));
	if (!m.hidden || !pairs) {
		err = &gc_error_nomem;
		goto fail;
	}
	uint64_t eo, es, co, cs;
	gr_waits_sudog_hidden(l->waits, &eo, &es, &co, &cs);
	npairs = 0;
	bool *root = calloc(l->n ? l->n : 1, 1);
	if (!root) {
		err = &gc_error_nomem;
		goto fail;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct cwait *c = &l->w[i];
		if (!(c->flags & CW_CANDIDATE)) {
			root[i] = true;
			l->verdict[i] = GR_LEAK_RUNNABLE;
			continue;
		}
		if (!(c->flags & CW_FOUND) || (c->flags & CW_TRUNCATED)) {
			root[i] = true;
			l->verdict[i] = GR_LEAK_UNDECIDED;
			continue;
		}
		l->verdict[i] = GR_LEAK_LEAKED;
		for (size_t k = 0; k < c->nobjs; k++) {
			const struct gr_wait_obj *o = &l->objs[c->first + k];
			if (o->sudog) {
				uint64_t off = chan_kind(c->kind) ? co : eo;
				uint64_t size = chan_kind(c->kind) ? cs : es;
				for (uint64_t x = 0; x < size; x += 8)
					hide(&m, o->sudog + off + x);
			}
			uint64_t idx, base, size;
			bool noscan;
			if (gr_heap_object(l->heap, o->addr, &idx, &base, &size, &noscan))
				pairs[npairs++] = (struct pair){idx, i};
			else
				root[i] = true;  /* not in the heap: reachable by definition */
		}
		if (root[i])
			l->verdict[i] = GR_LEAK_LIVE;
	}
	qsort(pairs, npairs, sizeof(*pairs), by_obj);
	/* Roots. */
	l->st.globals_precise = scan_globals(p, &m);
	scan_threads(p, &m);
	for (size_t i = 0; i < l->n; i++)
		if (root[i])
			scan_stack(p, &m, gr_process_goroutine(p, i));
	/* Mark; wake the candidates whose object got marked; again. */
	for (bool changed = true; changed;) {
		l->st.rounds++;
		drain(&m, l->heap);
		changed = false;
		for (size_t k = 0; k < npairs; k++) {
			size_t i = pairs[k].g;
			if (root[i] || !bit(m.mark, pairs[k].obj))
				continue;
			root[i] = true;
			l->verdict[i] = GR_LEAK_LIVE;
			scan_stack(p, &m, gr_process_goroutine(p, i));
			changed = true;
		}
	}
	free(root);
	/* Verdicts. */
	for (size_t i = 0; i < l->n; i++) {
		if (l->verdict[i] != GR_LEAK_LEAKED)
			continue;
		const struct gr_goroutine *g = gr_process_goroutine(p, i);
		/* findGoroutineLeaks: main blocked in select {} is not reported. */
		if (g->goid == 1 && l->w[i].kind == GR_WAIT_SELECT_NO_CASES)
			l->verdict[i] = GR_LEAK_LIVE;
		else if (m.missing)
			l->verdict[i] = GR_LEAK_UNDECIDED;
	}
	for (size_t i = 0; i < l->n; i++) {
		l->st.leaked += l->verdict[i] == GR_LEAK_LEAKED;
		l->st.undecided += l->verdict[i] == GR_LEAK_UNDECIDED;
	}
	l->st.spans = gr_heap_nspans(l->heap);
	l->st.objects = nobj;
	l->st.marked = m.marked;
	l->st.missing_bytes = m.missing;
	l->st.typed = m.ntyped;
	marker_free(&m);
	free(pairs);
	*ret = l;
	return NULL;
fail:
	free(pairs);
	marker_free(&m);
	gr_leaks_destroy(l);
	return err;
}

void gr_leaks_destroy(struct gr_leaks *l)
{
	if (!l)
		return;
	gr_heap_destroy(l->heap);
	gr_waits_destroy(l->waits);
	free(l->w);
	free(l->verdict);
	free(l->pos);
	free(l->objs);
	free(l);
}

/* The index of g in l's arrays: gr_process_goroutine's order. */
static size_t index_of(const struct gr_leaks *l, const struct gr_goroutine *g)
{
	size_t k = (size_t)(g - l->p->gs);
	return k < l->n ? l->pos[k] : SIZE_MAX;
}

enum gr_leak_verdict gr_leaks_verdict(const struct gr_leaks *l, const struct gr_goroutine *g)
{
	size_t i = index_of(l, g);
	return i < l->n ? (enum gr_leak_verdict)l->verdict[i] : GR_LEAK_RUNNABLE;
}

void gr_leaks_wait(const struct gr_leaks *l, const struct gr_goroutine *g, struct gr_wait *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	size_t i = index_of(l, g);
	if (i >= l->n)
		return;
	const struct cwait *c = &l->w[i];
	r->kind = (enum gr_wait_kind)c->kind;
	r->candidate = c->flags & CW_CANDIDATE;
	r->found = c->flags & CW_FOUND;
	r->truncated = c->flags & CW_TRUNCATED;
	if (r->kind == GR_WAIT_IO)
		r->fd = c->aux;
	else
		r->when = c->aux;
	r->nobjs = c->nobjs;
	memcpy(r->objs, l->objs + c->first, c->nobjs * sizeof(*r->objs));
}

const struct gr_leak_stats *gr_leaks_stats(const struct gr_leaks *l)
{
	return &l->st;
}

const struct gr_waits *gr_leaks_waits(const struct gr_leaks *l)
{
	return l->waits;
}
