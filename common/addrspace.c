/* The address space as one sorted array of non-overlapping windows.
 *
 * Every gc_addrspace_add() merges its range into a "resolved" map: a sorted
 * array of disjoint windows, each either backed by bytes (the winning tier's)
 * or mapped-but-not-available.  Resolving at add time keeps reads to one
 * binary search (or none, thanks to the last-hit cache) however many tiers
 * there are, and makes spanning reads a walk to the next array element.
 *
 * Resolution rules, for a byte covered by ranges of several tiers:
 *   - a range with bytes beats a range without, whatever their tiers;
 *   - between two ranges with bytes, the lower tier number wins; within one
 *     tier the range added first wins (overlaps in one tier only come from
 *     garbage input);
 *   - a byte that ranges cover but none backs reads as GC_READ_NOT_IN_CORE;
 *     a byte no range covers reads as GC_READ_UNMAPPED.
 *
 * Adding in ascending address order (as cores list their PT_LOADs) appends
 * at the end of the array; adding a range over existing windows costs a
 * memmove of the tail, which only the few executable segments do.
 */
#include "addrspace.h"

#include "bytes.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Tiers are small integers (0 = core, 1 = executable, ...); the bound only
 * keeps the per-tier counters array small. */
#define MAX_TIERS 64

struct window {
	uint64_t start, end;  /* [start, end), end > start */
	const uint8_t *data;  /* bytes of start, or NULL: mapped, not available */
	const char *name;
	unsigned tier;
};

struct gc_addrspace {
	struct window *win;
	size_t nwin, cap;
	uint64_t missing[MAX_TIERS]; /* memsz - avail summed per tier */
	/* Index of the window the last lookup hit (SIZE_MAX: none).  A hint
	 * only, kept in an atomic so that concurrent readers of one const
	 * address space race benignly: any value read is checked against the
	 * window bounds before use.  Adds (which need a non-const as and so
	 * may not run concurrently with reads) reset it. */
	atomic_size_t last_hit;
};

struct gc_error *gc_addrspace_create(struct gc_addrspace **ret)
{
	struct gc_addrspace *as = calloc(1, sizeof(*as));
	if (!as)
		return &gc_error_nomem;
	atomic_init(&as->last_hit, SIZE_MAX);
	*ret = as;
	return NULL;
}

void gc_addrspace_destroy(struct gc_addrspace *as)
{
	if (!as)
		return;
	free(as->win);
	free(as);
}

/* Index of the first window whose end is > addr (nwin if none).  Written
 * without a data-dependent branch (the compiler emits cmov): random lookups
 * over thousands of windows otherwise pay a misprediction per step. */
static size_t first_ending_after(const struct gc_addrspace *as, uint64_t addr)
{
	const struct window *b = as->win;
	size_t n = as->nwin;
	if (n == 0)
		return 0;
	while (n > 1) {
		size_t half = n / 2;
		b = b[half - 1].end <= addr ? b + half : b;
		n -= half;
	}
	return (size_t)(b - as->win) + (b->end <= addr);
}

/* The window holding addr, or SIZE_MAX. */
static size_t lookup(const struct gc_addrspace *as, uint64_t addr)
{
	size_t i = atomic_load_explicit(&((struct gc_addrspace *)as)->last_hit,
					memory_order_relaxed);
	if (i < as->nwin && as->win[i].start <= addr && addr < as->win[i].end)
		return i;
	i = first_ending_after(as, addr);
	if (i >= as->nwin || as->win[i].start > addr)
		return SIZE_MAX;
	/* The cache is the one mutable field of an otherwise const object:
	 * as was malloc'd non-const, so writing through the cast is defined. */
	atomic_store_explicit(&((struct gc_addrspace *)as)->last_hit, i,
			      memory_order_relaxed);
	return i;
}

static const uint8_t *slice_data(const struct window *w, uint64_t start)
{
	return w->data ? w->data + (start - w->start) : NULL;
}

/* Whether a window from range p beats the existing window w. */
static bool new_wins(const struct window *w, const struct window *p)
{
	if (!p->data)
		return false;
	if (!w->data)
		return true;
	return p->tier < w->tier;
}

static bool mergeable(const struct window *a, const struct window *b)
{
	if (a->end != b->start || a->tier != b->tier || a->name != b->name)
		return false;
	if (!a->data || !b->data)
		return !a->data && !b->data;
	return a->data + (a->end - a->start) == b->data;
}

struct winbuf {
	struct window *w;
	size_t n;
};

static void push(struct winbuf *buf, struct window w)
{
	if (w.start >= w.end)
		return;
	if (buf->n && mergeable(&buf->w[buf->n - 1], &w)) {
		buf->w[buf->n - 1].end = w.end;
		return;
	}
	buf->w[buf->n++] = w;
}

static struct window piece(const struct window *src, uint64_t start, uint64_t end)
{
	struct window w = *src;
	w.data = slice_data(src, start);
	w.start = start;
	w.end = end;
	return w;
}

/* Merges window p (one resolved piece of an added range) into as. */
static struct gc_error *insert(struct gc_addrspace *as, const struct window *p)
{
	/* Rebuild windows [i, j): those overlapping p plus one neighbour on
	 * each side so that adjacent pieces of one source merge again. */
	size_t i = first_ending_after(as, p->start);
	size_t j = i;
	while (j < as->nwin && as->win[j].start < p->end)
		j++;
	if (i > 0)
		i--;
	if (j < as->nwin)
		j++;

	size_t old = j - i;
	/* Each old window yields at most 3 pieces (before, overlap, after)
	 * and p one gap piece per old window plus a trailing one. */
	size_t bound = 4 * old + 1;
	struct winbuf buf = {malloc(bound * sizeof(*buf.w)), 0};
	if (!buf.w)
		return &gc_error_nomem;

	uint64_t cur = p->start; /* p's bytes before cur are placed */
	for (size_t k = i; k < j; k++) {
		const struct window *w = &as->win[k];
		if (w->end <= p->start || w->start >= p->end) {
			/* A neighbour: p's gap before it comes first. */
			if (w->start >= p->end && cur < p->end) {
				push(&buf, piece(p, cur, p->end));
				cur = p->end;
			}
			push(&buf, *w);
			continue;
		}
		if (w->start < p->start)
			push(&buf, piece(w, w->start, p->start));
		if (cur < w->start) {
			push(&buf, piece(p, cur, w->start));
			cur = w->start;
		}
		uint64_t os = cur, oe = w->end < p->end ? w->end : p->end;
		if (new_wins(w, p))
			push(&buf, piece(p, os, oe));
		else
			push(&buf, piece(w, os, oe));
		cur = oe;
		if (w->end > p->end)
			push(&buf, piece(w, p->end, w->end));
	}
	/* Neighbours on the right flushed p's gaps before them, so what is
	 * left of p comes last. */
	if (cur < p->end)
		push(&buf, piece(p, cur, p->end));

	size_t nwin = as->nwin - old + buf.n;
	if (nwin > as->cap) {
		size_t cap = as->cap ? as->cap : 16;
		while (cap < nwin) {
			if (cap > SIZE_MAX / 2 / sizeof(*as->win)) {
				free(buf.w);
				return &gc_error_nomem;
			}
			cap *= 2;
		}
		struct window *win = realloc(as->win, cap * sizeof(*win));
		if (!win) {
			free(buf.w);
			return &gc_error_nomem;
		}
		as->win = win;
		as->cap = cap;
	}
	memmove(&as->win[i + buf.n], &as->win[j], (as->nwin - j) * sizeof(*as->win));
	memcpy(&as->win[i], buf.w, buf.n * sizeof(*buf.w));
	as->nwin = nwin;
	free(buf.w);
	return NULL;
}

struct gc_error *gc_addrspace_add(struct gc_addrspace *as, unsigned tier,
				  uint64_t vaddr, uint64_t memsz,
				  const uint8_t *data, uint64_t avail,
				  const char *name)
{
	uint64_t end;
	if (!gc_add_u64(vaddr, memsz, &end))
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: range 0x%llx+0x%llx wraps around the address space",
				       name ? name : "?", (unsigned long long)vaddr,
				       (unsigned long long)memsz);
	if (tier >= MAX_TIERS)
		return gc_error_create(GC_ERR_UNSUPPORTED,
				       "%s: address space tier %u (at most %u tiers)",
				       name ? name : "?", tier, MAX_TIERS);
	if (!data)
		avail = 0;
	if (avail > memsz)
		avail = memsz;
	atomic_store_explicit(&as->last_hit, SIZE_MAX, memory_order_relaxed);
	if (!gc_add_u64(as->missing[tier], memsz - avail, &as->missing[tier]))
		as->missing[tier] = UINT64_MAX;
	if (memsz == 0)
		return NULL;

	struct gc_error *err;
	if (avail) {
		struct window p = {vaddr, vaddr + avail, data, name, tier};
		err = insert(as, &p);
		if (err)
			return err;
	}
	if (avail < memsz) {
		struct window p = {vaddr + avail, end, NULL, name, tier};
		err = insert(as, &p);
		if (err)
			return err;
	}
	return NULL;
}

/* ---- many ranges at once ---- */

/* A candidate for the bytes of an address: an existing window or a piece of
 * a new range.  The lowest rank covering an address wins. */
struct cand {
	struct window w;
	uint64_t rank;
};

/* The order gc_addrspace_add's rules give, for one tier t of new ranges
 * against the existing windows (which are disjoint): an existing window
 * with bytes from tier t or a lower one; then the new pieces with bytes,
 * the first added first; then any other existing window; then the new
 * pieces without bytes. */
static uint64_t cand_rank(const struct window *w, bool existing, unsigned t, uint64_t order)
{
	uint64_t class;
	if (existing)
		class = w->data && w->tier <= t ? 0 : 2;
	else
		class = w->data ? 1 : 3;
	return class << 60 | order;
}

static int cmp_cand_start(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->w.start != y->w.start)
		return x->w.start < y->w.start ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* A binary min-heap of candidate indices by rank. */
struct heap {
	size_t *v, n;
	const struct cand *c;
};

static void heap_push(struct heap *h, size_t i)
{
	size_t k = h->n++;
	while (k && h->c[h->v[(k - 1) / 2]].rank > h->c[i].rank) {
		h->v[k] = h->v[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	h->v[k] = i;
}

static void heap_pop(struct heap *h)
{
	size_t last = h->v[--h->n], k = 0;
	for (;;) {
		size_t c = 2 * k + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->c[h->v[c + 1]].rank < h->c[h->v[c]].rank)
			c++;
		if (h->c[h->v[c]].rank >= h->c[last].rank)
			break;
		h->v[k] = h->v[c];
		k = c;
	}
	if (h->n)
		h->v[k] = last;
}

struct gc_error *gc_addrspace_add_ranges(struct gc_addrspace *as, unsigned tier,
					 const struct gc_range *r, size_t n, const char *name)
{
	if (tier >= MAX_TIERS)
		return gc_error_create(GC_ERR_UNSUPPORTED,
				       "%s: address space tier %u (at most %u tiers)",
				       name ? name : "?", tier, MAX_TIERS);
	for (size_t i = 0; i < n; i++) {
		uint64_t end;
		if (!gc_add_u64(r[i].vaddr, r[i].memsz, &end))
			return gc_error_create(GC_ERR_FORMAT,
					       "%s: range 0x%llx+0x%llx wraps around the address space",
					       name ? name : "?", (unsigned long long)r[i].vaddr,
					       (unsigned long long)r[i].memsz);
	}
	/* Each new range gives at most two pieces (bytes, then no bytes). */
	size_t ncand = as->nwin, maxc;
	if (n > (SIZE_MAX / sizeof(struct cand) - as->nwin) / 2)
		return &gc_error_nomem;
	maxc = as->nwin + 2 * n;
	struct cand *c = malloc((maxc ? maxc : 1) * sizeof(*c));
	if (!c)
		return &gc_error_nomem;
	for (size_t i = 0; i < as->nwin; i++)
		c[i] = (struct cand){as->win[i], cand_rank(&as->win[i], true, tier, i)};
	uint64_t missing = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t avail = r[i].data ? r[i].avail : 0;
		if (avail > r[i].memsz)
			avail = r[i].memsz;
		if (!gc_add_u64(missing, r[i].memsz - avail, &missing))
			missing = UINT64_MAX;
		struct window w = {r[i].vaddr, r[i].vaddr + avail, r[i].data, name, tier};
		if (avail)
			c[ncand++] = (struct cand){w, cand_rank(&w, false, tier, i)};
		w = (struct window){r[i].vaddr + avail, r[i].vaddr + r[i].memsz, NULL, name, tier};
		if (avail < r[i].memsz)
			c[ncand++] = (struct cand){w, cand_rank(&w, false, tier, i)};
	}
	size_t *hv = malloc((ncand ? ncand : 1) * sizeof(*hv));
	/* Every boundary is a start or an end of a candidate: at most
	 * 2 * ncand windows, usually about ncand. */
	size_t ocap = ncand + 1;
	struct window *out = malloc(ocap * sizeof(*out));
	if (!hv || !out) {
		free(c);
		free(hv);
		free(out);
		return &gc_error_nomem;
	}
	qsort(c, ncand, sizeof(*c), cmp_cand_start);
	/* Sweep: at each boundary the best candidate covering it wins until
	 * it ends or a better one starts. */
	struct heap h = {hv, 0, c};
	struct winbuf buf = {out, 0};
	uint64_t x = 0;
	for (size_t i = 0; i < ncand || h.n;) {
		if (!h.n)
			x = c[i].w.start;
		while (i < ncand && c[i].w.start <= x)
			heap_push(&h, i++);
		while (h.n && c[h.v[0]].w.end <= x)
			heap_pop(&h);
		if (!h.n)
			continue;
		const struct window *t = &c[h.v[0]].w;
		uint64_t next = t->end;
		if (i < ncand && c[i].w.start < next)
			next = c[i].w.start;
		if (buf.n == ocap) {
			struct window *w = reallocarray(buf.w, 2 * ocap, sizeof(*w));
			if (!w) {
				free(c);
				free(hv);
				free(buf.w);
				return &gc_error_nomem;
			}
			buf.w = w;
			ocap *= 2;
		}
		push(&buf, piece(t, x, next));
		x = next;
	}
	free(c);
	free(hv);
	if (!gc_add_u64(as->missing[tier], missing, &as->missing[tier]))
		as->missing[tier] = UINT64_MAX;
	free(as->win);
	as->win = buf.w;
	as->nwin = buf.n;
	as->cap = ocap;
	atomic_store_explicit(&as->last_hit, SIZE_MAX, memory_order_relaxed);
	return NULL;
}

enum gc_read_status gc_addrspace_read(const struct gc_addrspace *as,
				      uint64_t addr, void *buf, size_t len)
{
	uint8_t *out = buf;
	if (len == 0)
		return GC_READ_OK;
	size_t i = lookup(as, addr);
	if (i == SIZE_MAX)
		return GC_READ_UNMAPPED;
	for (;;) {
		const struct window *w = &as->win[i];
		if (!w->data)
			return GC_READ_NOT_IN_CORE;
		uint64_t n = w->end - addr;
		if (n > len)
			n = len;
		memcpy(out, w->data + (addr - w->start), (size_t)n);
		out += n;
		len -= (size_t)n;
		if (len == 0)
			return GC_READ_OK;
		/* Windows are disjoint and sorted: the next byte is in the next
		 * window or in none. */
		addr = w->end;
		if (++i >= as->nwin || as->win[i].start != addr)
			return GC_READ_UNMAPPED;
	}
}

const uint8_t *gc_addrspace_span(const struct gc_addrspace *as, uint64_t addr,
				 size_t max, size_t *len_ret)
{
	size_t i = lookup(as, addr);
	if (i == SIZE_MAX || !as->win[i].data)
		return NULL;
	const struct window *w = &as->win[i];
	uint64_t n = w->end - addr;
	*len_ret = n < max ? (size_t)n : max;
	return w->data + (addr - w->start);
}

const uint8_t *gc_addrspace_ptr(const struct gc_addrspace *as, uint64_t addr,
				size_t len)
{
	size_t n;
	const uint8_t *p = gc_addrspace_span(as, addr, len, &n);
	return p && n == len ? p : NULL;
}

bool gc_addrspace_u64(const struct gc_addrspace *as, uint64_t addr, uint64_t *ret)
{
	uint8_t b[8];
	if (gc_addrspace_read(as, addr, b, sizeof(b)) != GC_READ_OK)
		return false;
	uint64_t v = 0;
	for (int k = 7; k >= 0; k--)
		v = v << 8 | b[k];
	*ret = v;
	return true;
}

bool gc_addrspace_u32(const struct gc_addrspace *as, uint64_t addr, uint32_t *ret)
{
	uint8_t b[4];
	if (gc_addrspace_read(as, addr, b, sizeof(b)) != GC_READ_OK)
		return false;
	*ret = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
	return true;
}

bool gc_addrspace_u8(const struct gc_addrspace *as, uint64_t addr, uint8_t *ret)
{
	return gc_addrspace_read(as, addr, ret, 1) == GC_READ_OK;
}

bool gc_addrspace_window(const struct gc_addrspace *as, size_t i, uint64_t *start,
			 uint64_t *end, const uint8_t **data, unsigned *tier)
{
	if (i >= as->nwin)
		return false;
	*start = as->win[i].start;
	*end = as->win[i].end;
	*data = as->win[i].data;
	*tier = as->win[i].tier;
	return true;
}

uint64_t gc_addrspace_missing_bytes(const struct gc_addrspace *as, unsigned tier)
{
	return tier < MAX_TIERS ? as->missing[tier] : 0;
}
