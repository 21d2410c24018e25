/* The goroutines: runtime.allgs read on every CPU, kept in goid order,
 * found by goid; and "now" on the runtime's clock.  See process_int.h. */
#include "process_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../common/parallel.h"

/* ---- one g ---- */

static uint64_t rd64(const uint8_t *b, uint64_t off)
{
	uint64_t v = 0;
	if (off != NO_OFF)
		memcpy(&v, b + off, 8);
	return v;
}

static bool decode_g(const struct gr_process *p, uint64_t addr, struct gr_goroutine *g)
{
	const struct g_offsets *o = &p->go;
	const uint8_t *b = gc_addrspace_ptr(p->img->memory, addr, o->size);
	uint8_t *tmp = NULL;
	if (!b) {
		tmp = malloc(o->size);
		if (!tmp || gc_addrspace_read(p->img->memory, addr, tmp, o->size) != GC_READ_OK) {
			free(tmp);
			return false;
		}
		b = tmp;
	}
	memset(g, 0, sizeof(*g));
	g->addr = addr;
	g->goid = rd64(b, o->goid);
	uint32_t st;
	memcpy(&st, b + o->atomicstatus, 4);
	g->status = st;
	g->waitreason = b[o->waitreason];
	g->waitsince = (int64_t)rd64(b, o->waitsince);
	g->stack_lo = rd64(b, o->stack_lo);
	g->stack_hi = rd64(b, o->stack_hi);
	g->sched_sp = rd64(b, o->sched_sp);
	g->sched_pc = rd64(b, o->sched_pc);
	g->sched_bp = rd64(b, o->sched_bp);
	g->sched_lr = rd64(b, o->sched_lr);
	g->sched_ctxt = rd64(b, o->sched_ctxt);
	g->syscallsp = rd64(b, o->syscallsp);
	g->syscallpc = rd64(b, o->syscallpc);
	g->syscallbp = rd64(b, o->syscallbp);
	g->m = rd64(b, o->m);
	g->lockedm = rd64(b, o->lockedm);
	g->gopc = rd64(b, o->gopc);
	g->startpc = rd64(b, o->startpc);
	g->parent_goid = rd64(b, o->parent_goid);
	g->panic = rd64(b, o->panic);
	g->labels = rd64(b, o->labels);
	g->bubble = rd64(b, o->bubble);
	free(tmp);
	return true;
}

/* ---- goid order ---- */

/* Goroutines stay in allgs order; p->order lists them by goid.  Sorting
 * 4-byte indices (keyed by goid copies) instead of the structs keeps a
 * million goroutines' sort cheap. */
struct goid_key {
	uint64_t goid;
	uint32_t idx;
};

static int cmp_goid_key(const void *a, const void *b)
{
	const struct goid_key *x = a, *y = b;
	return x->goid < y->goid ? -1 : x->goid > y->goid;
}

struct gc_error *gr_sort_by_goid(struct gr_process *p)
{
	p->order = malloc((p->ngs ? p->ngs : 1) * sizeof(*p->order));
	if (!p->order)
		return &gc_error_nomem;
	bool sorted = true;
	for (size_t i = 0; i < p->ngs; i++) {
		p->order[i] = (uint32_t)i;
		if (i && p->gs[i].goid < p->gs[i - 1].goid)
			sorted = false;
	}
	if (sorted)
		return NULL;
	struct goid_key *keys = malloc(p->ngs * sizeof(*keys));
	if (!keys)
		return &gc_error_nomem;
	for (size_t i = 0; i < p->ngs; i++)
		keys[i] = (struct goid_key){p->gs[i].goid, (uint32_t)i};
	qsort(keys, p->ngs, sizeof(*keys), cmp_goid_key);
	for (size_t i = 0; i < p->ngs; i++)
		p->order[i] = keys[i].idx;
	free(keys);
	return NULL;
}

/* ---- allgs ---- */

/* Whether the dump lists g: tracebackothers skips dead Gs, and from 1.26
 * the dead Gs of extra Ms (_Gdeadextra). */
static bool live(const struct gr_process *p, const struct gr_goroutine *g)
{
	uint32_t st = g->status & ~(uint32_t)GR_GSCAN;
	return !(st == GR_GDEAD || (p->minor >= 26 && st == GR_GDEADEXTRA));
}

/* Reading allgs[0..len) on every CPU: each chunk of entries decodes into
 * its own part of p->gs (entry i at index i), marking what it keeps; the
 * chunks are then packed down in order, as one thread would have filled
 * the array.  Reading the g's is most of opening a big core: each g is a
 * page the core's mapping faults in. */
enum { G_CHUNK = 8192 };

struct gs_run {
	struct gr_process *p;
	uint64_t ptr, len;
	uint8_t *kept;          /* per entry: 0 dropped, 1 kept, 2 unreadable */
};

static bool gs_work(void *ctx, void *worker, size_t chunk)
{
	struct gs_run *r = ctx;
	const struct gc_addrspace *as = r->p->img->memory;
	uint64_t lo = (uint64_t)chunk * G_CHUNK, hi = lo + G_CHUNK < r->len ? lo + G_CHUNK : r->len;
	for (uint64_t i = lo; i < hi; i++) {
		uint64_t gaddr;
		if (!gc_addrspace_u64(as, r->ptr + 8 * i, &gaddr) || !gaddr ||
		    !decode_g(r->p, gaddr, &r->p->gs[i])) {
			r->kept[i] = 2;
			continue;
		}
		r->kept[i] = live(r->p, &r->p->gs[i]);
	}
	return true;
}

static bool gs_emit(void *ctx, size_t chunk)
{
	struct gs_run *r = ctx;
	struct gr_process *p = r->p;
	uint64_t lo = (uint64_t)chunk * G_CHUNK, hi = lo + G_CHUNK < r->len ? lo + G_CHUNK : r->len;
	for (uint64_t i = lo; i < hi; i++) {
		if (r->kept[i] == 2)
			p->unreadable++;
		else if (r->kept[i] && p->ngs != i)
			p->gs[p->ngs++] = p->gs[i];
		else if (r->kept[i])
			p->ngs++;
	}
	return true;
}

/* `stack`: the goids alone, up to the first live g with the one wanted; no
 * other g is touched (a million-goroutine core keeps its pages on disk).
 * Chunks of allgs are searched on every CPU, taken in order, and the
 * search stops at the first chunk that has it. */
struct find_run {
	struct gr_process *p;
	uint64_t ptr, len, want;
	size_t window;
	struct find_slot {
		size_t unreadable;   /* before the match, or in the whole chunk */
		bool found;
		struct gr_goroutine g;
	} *slots;
	bool found;
};

static bool find_work(void *ctx, void *worker, size_t chunk)
{
	struct find_run *r = ctx;
	struct find_slot *s = &r->slots[chunk % r->window];
	const struct gc_addrspace *as = r->p->img->memory;
	uint64_t lo = (uint64_t)chunk * G_CHUNK, hi = lo + G_CHUNK < r->len ? lo + G_CHUNK : r->len;
	*s = (struct find_slot){0};
	for (uint64_t i = lo; i < hi; i++) {
		uint64_t gaddr, goid;
		if (!gc_addrspace_u64(as, r->ptr + 8 * i, &gaddr) || !gaddr) {
			s->unreadable++;
			continue;
		}
		if (!gc_addrspace_u64(as, gaddr + r->p->go.goid, &goid) || goid != r->want)
			continue;
		if (!decode_g(r->p, gaddr, &s->g)) {
			s->unreadable++;
		} else if (live(r->p, &s->g)) {
			s->found = true;
			break;
		}
	}
	return true;
}

static bool find_emit(void *ctx, size_t chunk)
{
	struct find_run *r = ctx;
	struct find_slot *s = &r->slots[chunk % r->window];
	r->p->unreadable += s->unreadable;
	if (s->found) {
		r->p->gs[r->p->ngs++] = s->g;
		r->found = true;
		return false; /* found: stop */
	}
	return true;
}

static struct gc_error *find_g(struct gr_process *p, uint64_t ptr, uint64_t len, uint64_t want)
{
	unsigned jobs = p->cfg.jobs > 1 ? p->cfg.jobs : 1;
	struct find_run r = {.p = p, .ptr = ptr, .len = len, .want = want, .window = 2 * (size_t)jobs};
	r.slots = calloc(r.window, sizeof(*r.slots));
	if (!r.slots)
		return &gc_error_nomem;
	struct gc_parallel pl = {
		.nchunks = (size_t)((len + G_CHUNK - 1) / G_CHUNK), .jobs = jobs, .window = r.window,
		.ctx = &r, .work = find_work, .emit = find_emit,
	};
	bool ok = gc_parallel_run(&pl);
	free(r.slots);
	return ok || r.found ? NULL : &gc_error_nomem;
}

static struct gc_error *read_gs(struct gr_process *p, uint64_t ptr, uint64_t len)
{
	struct gs_run r = {.p = p, .ptr = ptr, .len = len};
	r.kept = malloc(len ? len : 1);
	if (!r.kept)
		return &gc_error_nomem;
	size_t nchunks = (size_t)((len + G_CHUNK - 1) / G_CHUNK);
	/* Every chunk's entries have their own place: no window needed, and
	 * packing (in emit) only moves entries down into emitted chunks. */
	struct gc_parallel pl = {
		.nchunks = nchunks, .jobs = p->cfg.jobs > 1 ? p->cfg.jobs : 1,
		.window = nchunks ? nchunks : 1, .ctx = &r, .work = gs_work, .emit = gs_emit,
	};
	bool ok = gc_parallel_run(&pl);
	free(r.kept);
	return ok ? NULL : &gc_error_nomem;
}

struct gc_error *gr_read_allgs(struct gr_process *p)
{
	const struct gc_addrspace *as = p->img->memory;
	uint64_t allgs = p->glob.allgs, ptr, len, cap;
	if (!allgs)
		return gc_error_create(GC_ERR_NOT_FOUND, "%s: cannot find runtime.allgs",
				       p->img->file.path);
	if (!gc_addrspace_u64(as, allgs, &ptr) || !gc_addrspace_u64(as, allgs + 8, &len) ||
	    !gc_addrspace_u64(as, allgs + 16, &cap))
		return gc_error_create(GC_ERR_FAULT,
				       "%s: runtime.allgs at 0x%" PRIx64 " is not in the core",
				       p->img->core_path, allgs);
	uint64_t allglen = p->glob.allglen;
	if (allglen && gc_addrspace_u64(as, allglen, &allglen) && allglen < len)
		len = allglen;
	/* Every g takes at least sizeof(g) bytes of memory: a length that cannot
	 * fit in the core's memory is corrupt. */
	if (len > cap || len > UINT32_MAX || len > (1ull << 40) / (p->go.size ? p->go.size : 1))
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: runtime.allgs has an impossible length %" PRIu64
				       " (cap %" PRIu64 ")", p->img->core_path, len, cap);
	p->gs = calloc(len ? len : 1, sizeof(*p->gs));
	if (!p->gs)
		return &gc_error_nomem;
	uint64_t want = p->cfg.only_goid;
	if (want) {
		struct gc_error *err = find_g(p, ptr, len, want);
		if (err)
			return err;
	} else {
		struct gc_error *err = read_gs(p, ptr, len);
		if (err)
			return err;
	}
	if (p->unreadable)
		gr_warn(p, "%s: %zu of %" PRIu64 " goroutines could not be read (memory not in "
			"core)", p->img->core_path, p->unreadable, len);
	if (p->ngs == 0 && !p->unreadable && !want) {
		/* A Go process past its first instructions has goroutine 1; none
		 * means allgs is not what the executable says (wrong build?). */
		gr_warn(p, "%s: runtime.allgs holds no live goroutine", p->img->core_path);
		p->unreadable = 1;
	}
	return gr_sort_by_goid(p);
}

/* ---- "now" ---- */

/* The core holds no clock reading, so "now" on the runtime's nanotime()
 * clock is the latest timestamp the runtime left behind: every goroutine's
 * waitsince, and sched.lastpoll, which sysmon refreshes every 10ms while the
 * process is busy (proc.go).  It is a lower bound: ", N minutes" headers can
 * come out a minute short for a process that sat idle. */
void gr_estimate_now(struct gr_process *p)
{
	for (size_t i = 0; i < p->ngs; i++)
		if (p->gs[i].waitsince > p->now)
			p->now = p->gs[i].waitsince;
	uint64_t sched = p->glob.sched, off, lastpoll;
	if (sched &&
	    gr_layouts_offset(p->layouts, "runtime.schedt", "lastpoll", &off) &&
	    gc_addrspace_u64(p->img->memory, sched + off, &lastpoll) && (int64_t)lastpoll > p->now)
		p->now = (int64_t)lastpoll;
}

/* ---- accessors (process.h) ---- */

size_t gr_process_ngoroutines(const struct gr_process *p) { return p->ngs; }
size_t gr_process_unreadable(const struct gr_process *p) { return p->unreadable; }

const struct gr_goroutine *gr_process_goroutine(const struct gr_process *p, size_t i)
{
	return i < p->ngs ? &p->gs[p->order[i]] : NULL;
}

const struct gr_goroutine *gr_process_find_goroutine(const struct gr_process *p, uint64_t goid)
{
	size_t lo = 0, hi = p->ngs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->gs[p->order[mid]].goid < goid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->ngs && p->gs[p->order[lo]].goid == goid ? &p->gs[p->order[lo]] : NULL;
}

int64_t gr_process_now(const struct gr_process *p) { return p->now; }
