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
	bool noscan;            /* its objects hold no pointers */
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

#endif
