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
static bool span_record(const struct mspan_layout *m, const uint8_t *rec, struct gr_span *s)
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
			if (span_record(&m, rec, &s) && (err = push(h, &s))) {
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
		if (span_record(m, r, &s) && (*err = push(h, &s)))
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
			gr_heap_set_release(h, p->minor, p->version);
			*ret = h;
			return NULL;
		}
		gr_heap_destroy(h);
		if (err)
			return err;
	}
	struct gc_error *err = gr_heap_from_records(p->img->memory, l, p->minor, ret);
	if (!err)
		gr_heap_set_release(*ret, p->minor, p->version);
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
	*ret = (struct gr_objptrs){GR_PTRS_UNKNOWN, 0, 0, 0};
	const struct gr_span *s = span_of(h, base);
	if (!s || s->merged)
		return;
	if (s->noscan) {
		ret->kind = GR_PTRS_NONE;
		return;
	}
	if (h->minor < 22)
		return;
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
