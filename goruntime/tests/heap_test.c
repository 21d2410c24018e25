/* Tests for goruntime/heap.c on hand-built memory: runtime.mspan records
 * (Go 1.27's layout: startAddr 24, npages 32, nelems 50 (uint16),
 * spanclass 98, state 99, elemsize 104, limit 112; 160 bytes) in an
 * address space of their own, no core and no Go toolchain. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../common/addrspace.h"
#include "../heap.h"
#include "../layout.h"

#define REC 160
#define META 0x7f0000000000ull
#define HEAP 0xc000000000ull

static struct gr_field fields[] = {
	{"startAddr", 24, 8, "uintptr"}, {"npages", 32, 8, "uintptr"},
	{"nelems", 50, 2, "uint16"},     {"spanclass", 98, 1, "runtime.spanClass"},
	{"state", 99, 1, "runtime.mSpanStateBox"}, {"elemsize", 104, 8, "uintptr"},
	{"limit", 112, 8, "uintptr"},
};
static struct gr_struct mspan = {"runtime.mspan", REC, sizeof(fields) / sizeof(fields[0]), fields,
				 0};
static struct gr_layouts layouts = {GR_SOURCE_TYPES, 1, &mspan};

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* A record at slot i of meta. */
static void record(uint8_t *meta, int i, uint64_t start, uint64_t npages, uint16_t nelems,
		   uint8_t spanclass, uint8_t state, uint64_t elemsize, uint64_t limit)
{
	uint8_t *r = meta + i * REC + 8;  /* 8-aligned, not REC-aligned */
	put64(r + 24, start);
	put64(r + 32, npages);
	memcpy(r + 50, &nelems, 2);
	r[98] = spanclass;
	r[99] = state;
	put64(r + 104, elemsize);
	put64(r + 112, limit);
}

static void test_spans(void **state)
{
	(void)state;
	static uint8_t meta[16 * REC];
	memset(meta, 0, sizeof(meta));
	/* A: size class 5 (64 bytes), scan. */
	record(meta, 0, HEAP, 1, 128, 5 << 1, 1, 64, HEAP + 8192);
	/* B: 16-byte noscan objects. */
	record(meta, 1, HEAP + 0x2000, 1, 512, 2 << 1 | 1, 1, 16, HEAP + 0x4000);
	/* Dead (freed) record: not a span. */
	record(meta, 2, HEAP + 0x6000, 1, 128, 5 << 1, 0, 64, HEAP + 0x8000);
	/* Limit that disagrees with nelems * elemsize. */
	record(meta, 3, HEAP + 0x8000, 1, 128, 5 << 1, 1, 64, HEAP + 0x8000 + 4096);
	/* Absurd npages. */
	record(meta, 4, HEAP + 0xa000, 1ull << 40, 1, 0, 1, 8192ull << 40, HEAP + 0xa000);
	/* Not page-aligned. */
	record(meta, 5, HEAP + 0xa010, 1, 128, 5 << 1, 1, 64, HEAP + 0xa010 + 8192);
	/* F: a large object (class 0) of two pages... */
	record(meta, 6, HEAP + 0x10000, 2, 1, 0, 1, 16384, HEAP + 0x14000);
	/* ...and a stale record over its first page: both become one object. */
	record(meta, 7, HEAP + 0x10000, 1, 1, 1, 1, 8192, HEAP + 0x12000);
	/* A stack span (mSpanManual): not heap objects. */
	record(meta, 8, HEAP + 0x20000, 1, 1, 0, 2, 8192, HEAP + 0x22000);
	/* Size class 0 whose elemsize is not its pages: not a span. */
	record(meta, 9, HEAP + 0x30000, 1, 1, 0, 1, 4096, HEAP + 0x31000);

	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	assert_null(gc_addrspace_add(as, 0, META, sizeof(meta), meta, sizeof(meta), "meta"));
	struct gr_heap *h;
	assert_null(gr_heap_from_records(as, &layouts, 27, &h));
	assert_int_equal(gr_heap_nspans(h), 3);
	assert_int_equal(gr_heap_nobjects(h), 128 + 512 + 1);

	uint64_t idx, base, size;
	bool noscan;
	assert_true(gr_heap_object(h, HEAP + 100, &idx, &base, &size, &noscan));
	assert_int_equal(idx, 1);
	assert_int_equal(base, HEAP + 64);
	assert_int_equal(size, 64);
	assert_false(noscan);
	assert_true(gr_heap_object(h, HEAP + 0x2000 + 33, &idx, &base, &size, &noscan));
	assert_int_equal(idx, 128 + 2);
	assert_int_equal(base, HEAP + 0x2020);
	assert_int_equal(size, 16);
	assert_true(noscan);
	/* The merged large object: one object over both records' pages,
	 * scanned (whatever either record said). */
	assert_true(gr_heap_object(h, HEAP + 0x13ff8, &idx, &base, &size, &noscan));
	assert_int_equal(base, HEAP + 0x10000);
	assert_int_equal(size, 0x4000);
	assert_false(noscan);
	/* No span there: the dead, inconsistent, misaligned records, the stack. */
	assert_false(gr_heap_object(h, HEAP + 0x6000, &idx, &base, &size, &noscan));
	assert_false(gr_heap_object(h, HEAP + 0x8000, &idx, &base, &size, &noscan));
	assert_false(gr_heap_object(h, HEAP + 0xa010, &idx, &base, &size, &noscan));
	assert_false(gr_heap_object(h, HEAP + 0x20000, &idx, &base, &size, &noscan));
	assert_false(gr_heap_object(h, HEAP + 0x30000, &idx, &base, &size, &noscan));
	assert_false(gr_heap_object(h, HEAP - 8, &idx, &base, &size, &noscan));
	gr_heap_destroy(h);
	gc_addrspace_destroy(as);
}

static void test_no_layout(void **state)
{
	(void)state;
	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	struct gr_layouts none = {GR_SOURCE_TYPES, 0, NULL};
	struct gr_heap *h;
	struct gc_error *err = gr_heap_from_records(as, &none, 27, &h);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_NOT_FOUND);
	assert_null(h);
	gc_error_destroy(err);
	/* No memory: no spans, not an error. */
	assert_null(gr_heap_from_records(as, &layouts, 27, &h));
	assert_int_equal(gr_heap_nspans(h), 0);
	uint64_t idx, base, size;
	bool noscan;
	assert_false(gr_heap_object(h, HEAP, &idx, &base, &size, &noscan));
	gr_heap_destroy(h);
	gc_addrspace_destroy(as);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_no_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
