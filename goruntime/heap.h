/* The Go heap of a process image: its spans and the objects in them.
 *
 * With symbols and DWARF the span records are those of mheap_.allspans.
 * Otherwise they are found by their own records: every runtime.mspan in
 * the core's memory whose state is "in use" and whose fields agree with
 * each other (a page-aligned start, limit == start + nelems * elemsize, a size
 * class that fits) is a heap span.  That needs neither runtime.mheap_ nor
 * its layout, so it works on stripped binaries of every release (mspan's
 * layout comes from DWARF or from the type descriptors).  A span record
 * that overlaps another (a record freed while the core was written) makes
 * the pages of both one object: a pointer anywhere in them keeps all of
 * them, which can only keep more alive, never less.
 */
#ifndef GOCORE_GORUNTIME_HEAP_H
#define GOCORE_GORUNTIME_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "../common/addrspace.h"
#include "layout.h"
#include "process.h"

struct gr_heap;

/* One heap span. */
struct gr_span {
	uint64_t base, limit;   /* objects lie in [base, limit) */
	uint64_t elemsize;      /* object size; limit - base for a merged span */
	uint64_t first;         /* index of its first object among all spans' */
	uint64_t specials;      /* mspan.specials: its first special record, 0 if none */
	uint64_t end;           /* startAddr + npages pages: the span's last byte + 1 */
	uint64_t largetype;     /* mspan.largeType (1.22+): a large object's type, 0 if none */
	uint64_t rec;           /* the runtime.mspan record's address */
	uint8_t spanclass;      /* size class << 1 | noscan */
	bool noscan;            /* its objects hold no pointers */
	bool merged;            /* several records' pages made one object */
};

/* Finds the heap spans of p, runtime.mspan's layout taken from l.
 * GC_ERR_NOT_FOUND (naming the executable) when l has no usable one; a heap with no span at all is not an
 * error (gr_heap_nspans is 0).  Only out of memory is otherwise an error. */
struct gc_error *gr_heap_open(const struct gr_process *p, const struct gr_layouts *l,
			      struct gr_heap **ret);
void gr_heap_destroy(struct gr_heap *h);

/* The same from the memory as (its tier-0 windows: the core's bytes) and
 * a layout set l holding runtime.mspan (fields startAddr, npages, state,
 * spanclass, elemsize, nelems, limit), minor being the Go 1.x release. */
struct gc_error *gr_heap_from_records(const struct gc_addrspace *as,
				      const struct gr_layouts *l, int minor,
				      struct gr_heap **ret);

size_t gr_heap_nspans(const struct gr_heap *h);
const struct gr_span *gr_heap_span(const struct gr_heap *h, size_t i);
/* Total objects over all spans (the size of a mark bitmap). */
uint64_t gr_heap_nobjects(const struct gr_heap *h);

/* The object holding addr: its global index, base and size, and whether it
 * holds pointers.  False when addr is in no heap span's objects. */
bool gr_heap_object(const struct gr_heap *h, uint64_t addr, uint64_t *index_ret,
		    uint64_t *base_ret, uint64_t *size_ret, bool *noscan_ret);

/* Where the runtime records which words of a heap object hold pointers.
 * Go 1.22+ (runtime/mbitmap.go, "allocation headers"):
 *   - objects of at most 512 bytes: one bit a word in the span's heap bits,
 *     at the span's end (before the green tea GC's inline mark bits, Go
 *     1.25+ with GOEXPERIMENT=greenteagc, the default from 1.26);
 *   - larger objects of a size class: a malloc header, the object's first
 *     word, pointing to its type, whose pointer bitmap tiles the rest;
 *   - large objects (a span each): mspan.largeType, tiled the same way.
 * Go 1.18-1.21: the bitmap of the object's heap arena (heapArena.bitmap,
 * found through mheap_.arenas, or by the arena's spans array pointing to
 * the span records): two bits a word up to 1.19 (the low nibble of each
 * byte the pointer bits of four words), one bit a word in 1.20 and 1.21. */
enum gr_ptrs_kind {
	GR_PTRS_UNKNOWN = 0, /* not known: every word may be a pointer */
	GR_PTRS_NONE,        /* the object holds no pointer */
	GR_PTRS_BITS,        /* bits: bit i for the word at base + 8i */
	GR_PTRS_TYPE,        /* the type descriptor at type, from start, tiled to the end */
	GR_PTRS_ARENA,       /* gr_heap_arena_bits */
};
struct gr_objptrs {
	enum gr_ptrs_kind kind;
	uint64_t bits;       /* GR_PTRS_BITS (objects of at most 64 words) */
	uint64_t type;       /* GR_PTRS_TYPE */
	uint64_t start;      /* GR_PTRS_TYPE: the first element (after a malloc header) */
	uint64_t bitmap;     /* GR_PTRS_ARENA: the arena's bitmap */
	uint64_t word;       /* GR_PTRS_ARENA: the object's first word's index in its arena */
};

/* How the heap of a process of Go 1.minor records pointers: whether its
 * version string ("go1.26.8 X:nogreenteagc") says the green tea GC's inline
 * mark bits end its small spans.  Until it is called, every object is
 * GR_PTRS_UNKNOWN. */
void gr_heap_set_release(struct gr_heap *h, int minor, const char *version);

/* Go 1.18-1.21 (minor): finds the heapArena record of each arena holding
 * spans, through mheap_.arenas at arenas when it is not 0 (indexed by
 * (address - base_offset) >> 26), else, and for arenas it misses, by a
 * search of the core's memory for the arena's spans array.  Each is
 * checked against the span records of its arena.  Only out of memory is
 * an error.  gr_heap_open calls it. */
struct gc_error *gr_heap_find_arenas(struct gr_heap *h, const struct gc_addrspace *as,
				     const struct gr_layouts *l, int minor, uint64_t arenas,
				     uint64_t base_offset);

/* With the bitmaps of the heap arenas (Go 1.18-1.21): how many arenas
 * they were found for, and of how many holding spans. */
void gr_heap_arena_count(const struct gr_heap *h, size_t *found, size_t *total);
/* Forgets them: every object of those releases becomes GR_PTRS_UNKNOWN
 * (when they disagree with what is known of some object). */
void gr_heap_forget_arenas(struct gr_heap *h);
/* GR_PTRS_ARENA: the pointer bits of the object's words 64k to 64k + 63
 * (bit j for word 64k + j).  False when the bitmap cannot be read. */
bool gr_heap_arena_bits(const struct gr_heap *h, const struct gc_addrspace *as,
			const struct gr_objptrs *op, uint64_t k, uint64_t *ret);

/* Which words of the heap object at base (an object's first byte, as
 * gr_heap_object gives it) hold pointers, read from as.  GR_PTRS_UNKNOWN
 * whenever the runtime's records cannot be read or do not agree. */
void gr_heap_object_ptrs(const struct gr_heap *h, const struct gc_addrspace *as, uint64_t base,
			 struct gr_objptrs *ret);

#endif
