/* The heap's spans, found by their runtime.mspan records (heap.h).
 *
 * Facts (runtime/mheap.go, every release 1.18-1.27): pages are 8 KiB
 * (pageShift 13) on every architecture; an mspan's state is mSpanDead (0),
 * mSpanInUse (1) or mSpanManual (2, stacks); freeSpanLocked sets a freed
 * record's state back to mSpanDead; an in-use span's limit is
 * startAddr + nelems * elemsize (mheap.initSpan); spanclass is
 * sizeclass << 1 | noscan, size class 0 being a large object of
 * npages << pageShift bytes.
 */
#include "heap.h"

#include "process_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 8192u
#define MAX_SPAN_PAGES (1u << 22)   /* 32 GiB: larger is no span */
#define MAX_SIZE_CLASS 128u         /* 68 in 1.18-1.27 */
#define SPAN_IN_USE 1

struct gr_heap {
	struct gr_span *spans;  /* by base, disjoint */
	size_t n, cap;
	uint64_t nobjects;
	uint64_t lo, hi;        /* [lo, hi) covers every span */
	/* Page of [lo, hi) -> span index + 1 (0: none), when the range has at
	 * most MAX_PAGE_INDEX pages; else lookups search the spans. */
	uint32_t *page;
	/* gr_heap_set_release: how pointers are recorded. */
	int minor;              /* 0: unknown, every object GR_PTRS_UNKNOWN */
	bool greentea;          /* small spans end in inline mark bits */
	/* Go 1.18-1.21: each arena holding spans and its heapArena record
	 * (0: not found), by arena number (address >> 26). */
	struct arena *arenas;
	size_t narenas;
	unsigned arena_bits;    /* bits a word: 2 (1.18, 1.19), 1 (1.20, 1.21); 0: none */
	uint64_t arena_bitmap_off;
};

struct arena {
	uint64_t number;        /* address >> ARENA_SHIFT */
	uint64_t ha;            /* its runtime.heapArena, 0 if not found */
};

#define MAX_PAGE_INDEX (1u << 24)   /* 128 GiB of address range, 64 MB of index */

struct mspan_layout {
	uint64_t size, start, npages, state, spanclass, elemsize, nelems, nelems_size, limit;
	uint64_t specials;  /* NO_OFF when the layout lacks it */
	uint64_t largetype; /* NO_OFF when the layout lacks it (before 1.22) */
};

static bool field(const struct gr_layouts *l, const char *name, uint64_t *off, uint64_t *size)
{
	uint64_t sz = 0;
	if (!gr_layouts_field(l, "runtime.mspan", name, off, &sz))
		return false;
	if (size)
		*size = sz;
	return true;
}

static bool mspan_layout(const struct gr_layouts *l, int minor, struct mspan_layout *m)
{
	const struct gr_struct *st = gr_layouts_struct(l, "runtime.mspan");
	if (!st || st->size < 64 || st->size > 4096)
		return false;
	m->size = st->size;
	if (!field(l, "startAddr", &m->start, NULL) || !field(l, "npages", &m->npages, NULL) ||
	    !field(l, "state", &m->state, NULL) || !field(l, "spanclass", &m->spanclass, NULL) ||
	    !field(l, "elemsize", &m->elemsize, NULL) ||
	    !field(l, "nelems", &m->nelems, &m->nelems_size) || !field(l, "limit", &m->limit, NULL))
		return false;
	if (!field(l, "specials", &m->specials, NULL) || m->specials % 8 ||
	    m->specials + 8 > m->size)
		m->specials = NO_OFF;
	if (minor < 22 || !field(l, "largeType", &m->largetype, NULL) || m->largetype % 8 ||
	    m->largetype + 8 > m->size)
		m->largetype = NO_OFF;
	/* nelems: uintptr up to 1.21, uint16 from 1.22 (mheap.go). */
	if (m->nelems_size != 2 && m->nelems_size != 4 && m->nelems_size != 8)
		m->nelems_size = minor >= 22 ? 2 : 8;
	uint64_t offs[] = {m->start, m->npages, m->elemsize, m->limit};
	for (size_t i = 0; i < 4; i++)
		if (offs[i] % 8 || offs[i] + 8 > m->size)
			return false;
	return m->state < m->size && m->spanclass < m->size && m->nelems + m->nelems_size <= m->size;
}

static struct gc_error *find_arenas(struct gr_heap *h, const struct gr_process *p,
				    const struct gr_layouts *l);

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint64_t rdn(const uint8_t *p, uint64_t n)
{
	if (n == 8)
		return rd64(p);
	if (n == 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* Whether the bytes at rec are an in-use heap span's record; fills s. */
static bool span_record(const struct mspan_layout *m, const uint8_t *rec, uint64_t addr,
			struct gr_span *s)
{
	uint64_t start = rd64(rec + m->start);
	if (start == 0 || start % PAGE_SIZE)
		return false;
	if (rec[m->state] != SPAN_IN_USE)
		return false;
	uint64_t npages = rd64(rec + m->npages);
	if (npages == 0 || npages > MAX_SPAN_PAGES)
		return false;
	uint64_t bytes = npages * PAGE_SIZE;
	if (start + bytes < start)
		return false;
	uint64_t elemsize = rd64(rec + m->elemsize), nelems = rdn(rec + m->nelems, m->nelems_size);
	if (elemsize == 0 || nelems == 0 || elemsize > bytes || nelems > bytes / elemsize)
		return false;
	uint8_t sc = rec[m->spanclass];
	if ((sc >> 1) >= MAX_SIZE_CLASS)
		return false;
	uint64_t limit = rd64(rec + m->limit);
	if ((sc >> 1) == 0) {
		/* A large object: its span's limit is the object's end, not
		 * the span's (mcache.allocLarge: s.limit = s.base() + size). */
		if (nelems != 1 || elemsize != bytes || limit <= start || limit > start + bytes)
			return false;
		elemsize = limit - start;
	} else if (elemsize > 32768 || limit != start + nelems * elemsize) {
		return false;
	}
	s->base = start;
	s->limit = limit;
	s->elemsize = elemsize;
	s->noscan = sc & 1;
	s->spanclass = sc;
	s->merged = false;
	s->end = start + bytes;
	s->specials = m->specials != NO_OFF ? rd64(rec + m->specials) : 0;
	s->largetype = m->largetype != NO_OFF ? rd64(rec + m->largetype) : 0;
	s->rec = addr;
	return true;
}

static int by_base(const void *a, const void *b)
{
	const struct gr_span *x = a, *y = b;
	return x->base < y->base ? -1 : x->base > y->base ? 1 : (x->limit < y->limit) - (x->limit > y->limit);
}

static struct gc_error *push(struct gr_heap *h, const struct gr_span *s)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 1024;
		struct gr_span *v = realloc(h->spans, cap * sizeof(*v));
		if (!v)
			return &gc_error_nomem;
		h->spans = v;
		h->cap = cap;
	}
	h->spans[h->n++] = *s;
	return NULL;
}

/* Sorts the spans, drops duplicate records, merges overlapping ones into
 * one pointer-holding object, numbers the objects and indexes the pages.
 * False when out of memory. */
static bool settle(struct gr_heap *h)
{
	if (h->n == 0)
		return true;
	qsort(h->spans, h->n, sizeof(*h->spans), by_base);
	size_t w = 0;
	for (size_t i = 0; i < h->n; i++) {
		struct gr_span *s = &h->spans[i];
		if (w > 0 && s->base < h->spans[w - 1].limit) {
			struct gr_span *t = &h->spans[w - 1];
			if (s->base == t->base && s->limit == t->limit && s->elemsize == t->elemsize &&
			    s->noscan == t->noscan)
				continue;
			if (s->limit > t->limit)
				t->limit = s->limit;
			t->elemsize = t->limit - t->base;
			t->noscan = false;
			t->merged = true;
			if (s->end > t->end)
				t->end = s->end;
			if (!t->specials)
				t->specials = s->specials;
			if (!t->rec)
				t->rec = s->rec;
			continue;
		}
		h->spans[w++] = *s;
	}
	h->n = w;
	uint64_t first = 0;
	for (size_t i = 0; i < h->n; i++) {
		h->spans[i].first = first;
		first += (h->spans[i].limit - h->spans[i].base) / h->spans[i].elemsize;
	}
	h->nobjects = first;
	h->lo = h->spans[0].base;
	h->hi = h->spans[h->n - 1].limit;
	uint64_t pages = (h->hi - h->lo + PAGE_SIZE - 1) / PAGE_SIZE;
	if (pages > MAX_PAGE_INDEX || h->n >= UINT32_MAX)
		return true;
	if (!(h->page = calloc(pages, 4)))
		return false;
	for (size_t i = 0; i < h->n; i++) {
		uint64_t a = (h->spans[i].base - h->lo) / PAGE_SIZE,
			 b = (h->spans[i].limit - 1 - h->lo) / PAGE_SIZE;
		for (uint64_t k = a; k <= b; k++)
			h->page[k] = (uint32_t)(i + 1);
	}
	return true;
}

struct gc_error *gr_heap_from_records(const struct gc_addrspace *as,
				      const struct gr_layouts *l, int minor,
				      struct gr_heap **ret)
{
	*ret = NULL;
	struct mspan_layout m;
	if (!mspan_layout(l, minor, &m))
		return gc_error_create(GC_ERR_NOT_FOUND, "no usable layout for runtime.mspan");
	struct gr_heap *h = calloc(1, sizeof(*h));
	if (!h)
		return &gc_error_nomem;
	uint64_t start, end;
	const uint8_t *data;
	unsigned tier;
	struct gc_error *err;
	for (size_t i = 0; gc_addrspace_window(as, i, &start, &end, &data, &tier); i++) {
		/* The core's own bytes: the records are in anonymous memory. */
		if (!data || tier != 0 || end - start < m.size)
			continue;
		uint64_t a = (start + 7) & ~(uint64_t)7;
		for (; a + m.size <= end; a += 8) {
			const uint8_t *rec = data + (a - start);
			uint64_t w = rd64(rec + m.start);
			if (w == 0 || w % PAGE_SIZE)
				continue;
			struct gr_span s;
			if (span_record(&m, rec, a, &s) && (err = push(h, &s))) {
				gr_heap_destroy(h);
				return err;
			}
		}
	}
	if (!settle(h)) {
		gr_heap_destroy(h);
		return &gc_error_nomem;
	}
	*ret = h;
	return NULL;
}

#define MAX_ALLSPANS (1u << 26)

/* The spans of mheap_.allspans ([]*mspan, every span record the heap ever
 * made): with symbols and DWARF, no scan of the whole core is needed.
 * False (nothing kept) when the list cannot be read whole. */
static bool from_allspans(const struct gc_addrspace *as, const struct mspan_layout *m,
			  uint64_t allspans, struct gr_heap *h, struct gc_error **err)
{
	uint64_t ptr, len;
	if (!gc_addrspace_u64(as, allspans, &ptr) || !gc_addrspace_u64(as, allspans + 8, &len) ||
	    len == 0 || len > MAX_ALLSPANS)
		return false;
	for (uint64_t i = 0; i < len; i++) {
		uint64_t rec;
		const uint8_t *r;
		if (!gc_addrspace_u64(as, ptr + 8 * i, &rec) || !(r = gc_addrspace_ptr(as, rec, m->size))) {
			h->n = 0;
			return false;
		}
		struct gr_span s;
		if (span_record(m, r, rec, &s) && (*err = push(h, &s)))
			return true;
	}
	return true;
}

struct gc_error *gr_heap_open(const struct gr_process *p, const struct gr_layouts *l,
			      struct gr_heap **ret)
{
	/* mheap_.allspans when both the symbol and the layout are there. */
	uint64_t mheap, off;
	struct mspan_layout m;
	if (gr_symbol(p, "runtime.mheap_", &mheap, NULL) &&
	    gr_layouts_offset(l, "runtime.mheap", "allspans", &off) && mspan_layout(l, p->minor, &m)) {
		struct gr_heap *h = calloc(1, sizeof(*h));
		if (!h)
			return &gc_error_nomem;
		struct gc_error *err = NULL;
		if (from_allspans(p->img->memory, &m, mheap + off, h, &err) && !err && h->n) {
			if (!settle(h)) {
				gr_heap_destroy(h);
				return &gc_error_nomem;
			}
			if ((err = find_arenas(h, p, l))) {
				gr_heap_destroy(h);
				return err;
			}
			*ret = h;
			return NULL;
		}
		gr_heap_destroy(h);
		if (err)
			return err;
	}
	struct gc_error *err = gr_heap_from_records(p->img->memory, l, p->minor, ret);
	if (!err && (err = find_arenas(*ret, p, l))) {
		gr_heap_destroy(*ret);
		*ret = NULL;
		return err;
	}
	if (err && err != &gc_error_nomem)
		return gc_error_prefix(err, "%s", p->img->file.path);
	return err;
}

void gr_heap_destroy(struct gr_heap *h)
{
	if (!h)
		return;
	free(h->spans);
	free(h->page);
	free(h->arenas);
	free(h);
}

size_t gr_heap_nspans(const struct gr_heap *h)
{
	return h->n;
}

const struct gr_span *gr_heap_span(const struct gr_heap *h, size_t i)
{
	return i < h->n ? &h->spans[i] : NULL;
}

uint64_t gr_heap_nobjects(const struct gr_heap *h)
{
	return h->nobjects;
}

/* The span whose objects hold addr, NULL if none. */
static const struct gr_span *span_of(const struct gr_heap *h, uint64_t addr)
{
	if (addr < h->lo || addr >= h->hi)
		return NULL;
	size_t lo = 0, hi = h->n;
	if (h->page) {
		uint32_t k = h->page[(addr - h->lo) / PAGE_SIZE];
		if (!k)
			return NULL;
		lo = k - 1;
	} else {
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			if (h->spans[mid].base <= addr)
				lo = mid;
			else
				hi = mid;
		}
	}
	const struct gr_span *s = &h->spans[lo];
	return addr >= s->base && addr < s->limit ? s : NULL;
}

bool gr_heap_object(const struct gr_heap *h, uint64_t addr, uint64_t *index_ret,
		    uint64_t *base_ret, uint64_t *size_ret, bool *noscan_ret)
{
	const struct gr_span *s = span_of(h, addr);
	if (!s)
		return false;
	uint64_t k = (addr - s->base) / s->elemsize;
	*index_ret = s->first + k;
	*base_ret = s->base + k * s->elemsize;
	*size_ret = s->elemsize;
	*noscan_ret = s->noscan;
	return true;
}

/* ---- heap arenas (Go 1.18-1.21) ---- */

/* Facts (runtime/malloc.go, mheap.go of those releases, linux 64-bit):
 * arenas are 64 MiB (logHeapArenaBytes 26) and aligned so; mheap_.arenas
 * is [1]*[1 << 22]*heapArena (arenaL1Bits 0), indexed by (addr -
 * arenaBaseOffset) >> 26, arenaBaseOffset being 0xffff800000000000 on
 * amd64 and 0 elsewhere.  heapArena starts with its bitmap: 2 MiB (two
 * bits a word) in 1.18 and 1.19; 1 MiB (one bit a word) and 16 KiB of
 * noMorePtrs in 1.20 and 1.21; then spans [8192]*mspan, the record of the
 * span each page of the arena belongs to. */
#define ARENA_SHIFT 26
#define ARENA_L2 (1u << 22)
#define MAX_ARENAS (1u << 16)
#define MAX_ARENA_VERIFY 64     /* span records checked per arena */

/* In v[0..n), elements of elem bytes sorted by the uint64_t each starts
 * with: the first whose key is at least key (n if none). */
static size_t first_at_least(const void *v, size_t n, size_t elem, uint64_t key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;
		memcpy(&k, (const uint8_t *)v + mid * elem, 8);
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* addr's offset in its arena. */
static uint64_t arena_offset(uint64_t addr)
{
	return addr & (((uint64_t)1 << ARENA_SHIFT) - 1);
}

_Static_assert(offsetof(struct gr_span, base) == 0, "spans are sorted by base");
_Static_assert(offsetof(struct arena, number) == 0, "arenas are sorted by number");

static struct arena *arena_of(const struct gr_heap *h, uint64_t addr)
{
	uint64_t n = addr >> ARENA_SHIFT;
	size_t lo = first_at_least(h->arenas, h->narenas, sizeof(*h->arenas), n);
	return lo < h->narenas && h->arenas[lo].number == n ? &h->arenas[lo] : NULL;
}

/* Whether the heapArena at ha has the span records of its arena's spans
 * in its spans array (up to MAX_ARENA_VERIFY of them). */
static bool arena_agrees(const struct gr_heap *h, const struct gc_addrspace *as, uint64_t number,
			 uint64_t ha, uint64_t spans_off)
{
	unsigned checked = 0;
	/* The arena's spans: contiguous in h->spans (sorted by base). */
	size_t lo = first_at_least(h->spans, h->n, sizeof(*h->spans), number << ARENA_SHIFT);
	for (size_t i = lo; i < h->n && checked < MAX_ARENA_VERIFY; i++) {
		const struct gr_span *s = &h->spans[i];
		if (s->base >> ARENA_SHIFT != number)
			break;
		if (!s->rec || s->merged)
			continue;
		uint64_t page = arena_offset(s->base) / PAGE_SIZE, v;
		if (!gc_addrspace_u64(as, ha + spans_off + 8 * page, &v) || v != s->rec)
			return false;
		checked++;
	}
	return checked > 0;
}

/* The arenas' records through mheap_.arenas. */
static void arenas_from_mheap(struct gr_heap *h, const struct gc_addrspace *as, uint64_t arenas,
			      uint64_t base_offset, uint64_t spans_off)
{
	uint64_t l2;
	if (!gc_addrspace_u64(as, arenas, &l2) || !l2)
		return;
	for (size_t i = 0; i < h->narenas; i++) {
		uint64_t idx = ((h->arenas[i].number << ARENA_SHIFT) - base_offset) >> ARENA_SHIFT, ha;
		if (idx < ARENA_L2 && gc_addrspace_u64(as, l2 + 8 * idx, &ha) && ha &&
		    arena_agrees(h, as, h->arenas[i].number, ha, spans_off))
			h->arenas[i].ha = ha;
	}
}

/* Without mheap_: a heapArena is where a word of the core's memory holds
 * the record of one of the arena's spans at its page's slot of spans (and
 * the others agree).  One pass over the core's own bytes. */
struct recidx {
	uint64_t rec;
	size_t span;
};

static int by_rec(const void *a, const void *b)
{
	const struct recidx *x = a, *y = b;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

_Static_assert(offsetof(struct recidx, rec) == 0, "records are sorted by address");

static struct gc_error *arenas_by_search(struct gr_heap *h, const struct gc_addrspace *as,
					 uint64_t spans_off)
{
	size_t left = 0;
	for (size_t i = 0; i < h->narenas; i++)
		left += !h->arenas[i].ha;
	if (!left)
		return NULL;  /* mheap_.arenas gave them all */
	struct recidx *r = malloc(h->n * sizeof(*r));
	if (!r)
		return &gc_error_nomem;
	size_t nr = 0;
	for (size_t i = 0; i < h->n; i++)
		if (h->spans[i].rec && !h->spans[i].merged)
			r[nr++] = (struct recidx){h->spans[i].rec, i};
	if (nr)
		qsort(r, nr, sizeof(*r), by_rec);
	uint64_t start, end;
	const uint8_t *data;
	unsigned tier;
	for (size_t w = 0; nr && left && gc_addrspace_window(as, w, &start, &end, &data, &tier); w++) {
		if (!data || tier != 0)
			continue;
		for (uint64_t a = (start + 7) & ~(uint64_t)7; a + 8 <= end && left; a += 8) {
			uint64_t v = rd64(data + (a - start));
			if (v < r[0].rec || v > r[nr - 1].rec)
				continue;
			size_t lo = first_at_least(r, nr, sizeof(*r), v);
			if (lo == nr || r[lo].rec != v)
				continue;
			const struct gr_span *s = &h->spans[r[lo].span];
			struct arena *ar = arena_of(h, s->base);
			uint64_t page = arena_offset(s->base) / PAGE_SIZE;
			if (ar && !ar->ha && a >= spans_off + 8 * page &&
			    arena_agrees(h, as, ar->number, a - 8 * page - spans_off, spans_off)) {
				ar->ha = a - 8 * page - spans_off;
				left--;
			}
		}
	}
	free(r);
	return NULL;
}

struct gc_error *gr_heap_find_arenas(struct gr_heap *h, const struct gc_addrspace *as,
				     const struct gr_layouts *l, int minor, uint64_t arenas,
				     uint64_t base_offset)
{
	if (minor < 18 || minor > 21 || h->n == 0)
		return NULL;
	uint64_t bitmap_off = 0, spans_off = minor <= 19 ? 2u << 20 : (1u << 20) + (16u << 10);
	uint64_t o;
	if (gr_layouts_offset(l, "runtime.heapArena", "spans", &o))
		spans_off = o;
	if (gr_layouts_offset(l, "runtime.heapArena", "bitmap", &o))
		bitmap_off = o;
	/* The spans are sorted by base and disjoint (settle): their arenas
	 * come in order, each once when consecutive repeats are skipped. */
	size_t cap = 0;
	for (size_t i = 0; i < h->n && h->narenas < MAX_ARENAS; i++) {
		uint64_t first = h->spans[i].base >> ARENA_SHIFT,
			 last = (h->spans[i].limit - 1) >> ARENA_SHIFT;
		for (uint64_t n = first; n <= last && h->narenas < MAX_ARENAS; n++) {
			if (h->narenas && h->arenas[h->narenas - 1].number >= n)
				continue;
			if (h->narenas == cap) {
				size_t nc = cap ? 2 * cap : 64;
				struct arena *v = realloc(h->arenas, nc * sizeof(*v));
				if (!v)
					return &gc_error_nomem;
				h->arenas = v;
				cap = nc;
			}
			h->arenas[h->narenas++] = (struct arena){n, 0};
		}
	}
	if (arenas)
		arenas_from_mheap(h, as, arenas, base_offset, spans_off);
	struct gc_error *err = arenas_by_search(h, as, spans_off);
	if (err)
		return err;
	h->arena_bits = minor <= 19 ? 2 : 1;
	h->arena_bitmap_off = bitmap_off;
	return NULL;
}

/* The last step of gr_heap_open: p's release (gr_heap_set_release), and
 * gr_heap_find_arenas through mheap_.arenas when the symbol and the
 * layout say where it is. */
static struct gc_error *find_arenas(struct gr_heap *h, const struct gr_process *p,
				    const struct gr_layouts *l)
{
	gr_heap_set_release(h, p->minor, p->version);
	uint64_t mheap, o, arenas = 0;
	if (p->minor >= 18 && p->minor <= 21 && gr_symbol(p, "runtime.mheap_", &mheap, NULL) &&
	    gr_layouts_offset(l, "runtime.mheap", "arenas", &o))
		arenas = mheap + o;
	return gr_heap_find_arenas(h, p->img->memory, l, p->minor, arenas,
				   p->img->arch->elf_machine == 62 ? 0xffff800000000000ull : 0);
}

void gr_heap_arena_count(const struct gr_heap *h, size_t *found, size_t *total)
{
	*found = 0;
	*total = h->arena_bits ? h->narenas : 0;
	for (size_t i = 0; h->arena_bits && i < h->narenas; i++)
		*found += h->arenas[i].ha != 0;
}

void gr_heap_forget_arenas(struct gr_heap *h)
{
	h->arena_bits = 0;
}

bool gr_heap_arena_bits(const struct gr_heap *h, const struct gc_addrspace *as,
			const struct gr_objptrs *op, uint64_t k, uint64_t *ret)
{
	uint64_t w0 = op->word + 64 * k, v = 0;
	if (h->arena_bits == 2) {
		/* Two bits a word: byte w/4 holds words 4(w/4)..+3, the
		 * pointer bits in its low nibble. */
		uint8_t b[17];
		uint64_t first = w0 / 4, n = (w0 + 63) / 4 - first + 1;
		if (gc_addrspace_read(as, op->bitmap + first, b, n) != GC_READ_OK)
			return false;
		for (unsigned j = 0; j < 64; j++) {
			uint64_t w = w0 + j;
			v |= (uint64_t)(b[w / 4 - first] >> (w % 4) & 1) << j;
		}
	} else if (h->arena_bits == 1) {
		uint64_t x, y = 0;
		if (!gc_addrspace_u64(as, op->bitmap + 8 * (w0 / 64), &x))
			return false;
		v = x >> (w0 % 64);
		if (w0 % 64) {
			if (!gc_addrspace_u64(as, op->bitmap + 8 * (w0 / 64 + 1), &y))
				return false;
			v |= y << (64 - w0 % 64);
		}
	} else {
		return false;
	}
	*ret = v;
	return true;
}

/* ---- pointer records (heap.h, Go 1.22+) ---- */

#define MIN_SIZE_FOR_MALLOC_HEADER 512u  /* gc.MinSizeForMallocHeader: 8 * 64 */
#define INLINE_MARK_BITS 128u            /* sizeof(spanInlineMarkBits): 63 + 1 + 63 + 1 */

void gr_heap_set_release(struct gr_heap *h, int minor, const char *version)
{
	h->minor = minor;
	/* The green tea GC: an experiment in 1.25, the default from 1.26;
	 * the linker appends the non-default experiments to the version
	 * ("go1.25.0 X:greenteagc", "go1.26.1 X:nogreenteagc"). */
	const char *x = version ? strstr(version, "X:") : NULL;
	if (minor < 25)
		h->greentea = false;
	else if (x && strstr(x, "nogreenteagc"))
		h->greentea = false;
	else if (x && strstr(x, "greenteagc"))
		h->greentea = true;
	else
		h->greentea = minor >= 26;
}

/* The heap bits of the object at base in s (its elemsize at most 512):
 * mspan.heapBitsSmallForAddr. */
static bool span_heap_bits(const struct gr_heap *h, const struct gc_addrspace *as,
			   const struct gr_span *s, uint64_t base, uint64_t *ret)
{
	uint64_t size = s->end - s->base, hbits = s->end - size / 64;
	/* Green tea's inline mark bits end a one-page span whose objects are
	 * 16 to 512 bytes; their last byte is the span's class
	 * (spanInlineMarkBits.class), zero in a span without them (the heap
	 * bits of the words the bitmap itself takes are never set). */
	bool inline_bits = h->greentea && s->elemsize >= 16;
	if (h->minor >= 25) {
		uint8_t last;
		if (!gc_addrspace_u8(as, s->end - 1, &last))
			return false;
		if ((last == s->spanclass) != inline_bits)
			return false;
	}
	if (inline_bits) {
		if (size != PAGE_SIZE)
			return false;
		hbits -= INLINE_MARK_BITS;
	}
	if (s->limit > hbits)
		return false;
	uint64_t word = (base - s->base) / 8, i = word / 64, j = word % 64, n = s->elemsize / 8;
	uint64_t w0, w1 = 0;
	if (!gc_addrspace_u64(as, hbits + 8 * i, &w0))
		return false;
	uint64_t v = w0 >> j;
	if (j + n > 64) {
		if (!gc_addrspace_u64(as, hbits + 8 * (i + 1), &w1))
			return false;
		v |= w1 << (64 - j);
	}
	*ret = n < 64 ? v & (((uint64_t)1 << n) - 1) : v;
	return true;
}

void gr_heap_object_ptrs(const struct gr_heap *h, const struct gc_addrspace *as, uint64_t base,
			 struct gr_objptrs *ret)
{
	*ret = (struct gr_objptrs){.kind = GR_PTRS_UNKNOWN};
	const struct gr_span *s = span_of(h, base);
	if (!s || s->merged)
		return;
	if (s->noscan) {
		ret->kind = GR_PTRS_NONE;
		return;
	}
	if (h->minor < 22) {
		/* The arena's bitmap, for an object within one arena. */
		const struct arena *ar = h->arena_bits ? arena_of(h, base) : NULL;
		if (ar && ar->ha && (base + s->elemsize - 1) >> ARENA_SHIFT == ar->number) {
			ret->kind = GR_PTRS_ARENA;
			ret->bitmap = ar->ha + h->arena_bitmap_off;
			ret->word = arena_offset(base) / 8;
		}
		return;
	}
	if (s->elemsize <= MIN_SIZE_FOR_MALLOC_HEADER) {
		if (s->elemsize % 8 == 0 && span_heap_bits(h, as, s, base, &ret->bits))
			ret->kind = GR_PTRS_BITS;
		return;
	}
	uint64_t typ = 0, start = base;
	if (s->spanclass >> 1 == 0) {
		typ = s->largetype;
	} else {
		/* The malloc header: the type, in the object's first word. */
		if (!gc_addrspace_u64(as, base, &typ))
			return;
		start = base + 8;
	}
	/* No type: an object still being allocated (mallocgc's delayed
	 * zeroing), or a free slot. */
	if (!typ || typ % 8)
		return;
	ret->kind = GR_PTRS_TYPE;
	ret->type = typ;
	ret->start = start;
}
