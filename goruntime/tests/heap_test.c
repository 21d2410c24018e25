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
#include <stdbool.h>
#include <stdio.h>
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
	{"limit", 112, 8, "uintptr"},    {"largeType", 136, 8, "*runtime._type"},
};
static struct gr_struct mspan = {"runtime.mspan", REC, sizeof(fields) / sizeof(fields[0]), fields,
				 0};
static struct gr_layouts layouts = {GR_SOURCE_TYPES, 1, &mspan};

static uint64_t largetype_of[16];

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
	put64(r + 136, largetype_of[i]);
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
	/* Size class 0 whose limit lies past its pages: not a span. */
	record(meta, 10, HEAP + 0x40000, 1, 1, 0, 1, 8192, HEAP + 0x42008);
	/* G: a large object of 40,008 bytes in five pages: the object ends
	 * at the span's limit (mcache.allocLarge), not at its pages' end. */
	record(meta, 11, HEAP + 0x50000, 5, 1, 0, 1, 40960, HEAP + 0x50000 + 40008);

	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	assert_null(gc_addrspace_add(as, 0, META, sizeof(meta), meta, sizeof(meta), "meta"));
	struct gr_heap *h;
	assert_null(gr_heap_from_records(as, &layouts, 27, &h));
	assert_int_equal(gr_heap_nspans(h), 4);
	assert_int_equal(gr_heap_nobjects(h), 128 + 512 + 1 + 1);

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
	assert_false(gr_heap_object(h, HEAP + 0x40000, &idx, &base, &size, &noscan));
	assert_false(gr_heap_object(h, HEAP - 8, &idx, &base, &size, &noscan));
	/* The large object: to its limit, its last word included. */
	assert_true(gr_heap_object(h, HEAP + 0x50000 + 40000, &idx, &base, &size, &noscan));
	assert_int_equal(base, HEAP + 0x50000);
	assert_int_equal(size, 40008);
	assert_false(gr_heap_object(h, HEAP + 0x50000 + 40008, &idx, &base, &size, &noscan));
	/* The merged records' pages: no pointer record holds for them. */
	struct gr_objptrs op;
	gr_heap_set_release(h, 27, "go1.27.3");
	gr_heap_object_ptrs(h, as, HEAP + 0x10000, &op);
	assert_int_equal(op.kind, GR_PTRS_UNKNOWN);
	gr_heap_destroy(h);
	gc_addrspace_destroy(as);
}

/* Pointer records (heap.h): heap bits at a span's end, before green tea's
 * inline mark bits or not, malloc headers, mspan.largeType. */
#define H2 0xc000200000ull
#define TYPEADDR 0x500000ull

static void set_bit(uint8_t *page, uint64_t bitmap_off, uint64_t word)
{
	page[bitmap_off + word / 8] |= (uint8_t)(1u << (word % 8));
}

static void test_ptrs(void **state)
{
	(void)state;
	static uint8_t meta[8 * REC];
	static uint8_t heap[6 * 8192];
	memset(meta, 0, sizeof(meta));
	memset(heap, 0, sizeof(heap));
	memset(largetype_of, 0, sizeof(largetype_of));
	/* P0: 64-byte objects, heap bits in the page's last 128 bytes. */
	record(meta, 0, H2, 1, 126, 5 << 1, 1, 64, H2 + 126 * 64);
	set_bit(heap, 8192 - 128, 3 * 8 + 1);   /* object 3, words 1 and 3 */
	set_bit(heap, 8192 - 128, 3 * 8 + 3);
	/* P1: 48-byte objects, heap bits before green tea's 128 bytes of
	 * inline mark bits, whose last byte is the span class. */
	uint8_t *p1 = heap + 8192;
	record(meta, 1, H2 + 8192, 1, 165, 4 << 1, 1, 48, H2 + 8192 + 165 * 48);
	p1[8191] = 4 << 1;
	set_bit(p1, 8192 - 256, 60 + 2);  /* object 10 (words 60-65), across a bitmap word */
	set_bit(p1, 8192 - 256, 60 + 4);
	/* P2: 1024-byte objects with malloc headers. */
	uint8_t *p2 = heap + 2 * 8192;
	record(meta, 2, H2 + 2 * 8192, 1, 8, 30 << 1, 1, 1024, H2 + 2 * 8192 + 8 * 1024);
	put64(p2 + 2 * 1024, TYPEADDR);
	/* P3: a large object of 20,000 bytes, its type in mspan.largeType. */
	largetype_of[3] = TYPEADDR;
	record(meta, 3, H2 + 3 * 8192, 3, 1, 0, 1, 3 * 8192, H2 + 3 * 8192 + 20000);

	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	assert_null(gc_addrspace_add(as, 0, META, sizeof(meta), meta, sizeof(meta), "meta"));
	assert_null(gc_addrspace_add(as, 0, H2, sizeof(heap), heap, sizeof(heap), "heap"));
	struct gr_heap *h;
	assert_null(gr_heap_from_records(as, &layouts, 27, &h));
	assert_int_equal(gr_heap_nspans(h), 4);
	struct gr_objptrs op;

	/* Go 1.22: no green tea. */
	gr_heap_set_release(h, 22, "go1.22.12");
	gr_heap_object_ptrs(h, as, H2 + 3 * 64, &op);
	assert_int_equal(op.kind, GR_PTRS_BITS);
	assert_int_equal(op.bits, 0xa);
	gr_heap_object_ptrs(h, as, H2 + 2 * 8192 + 2 * 1024, &op);
	assert_int_equal(op.kind, GR_PTRS_TYPE);
	assert_int_equal(op.type, TYPEADDR);
	assert_int_equal(op.start, H2 + 2 * 8192 + 2 * 1024 + 8);
	/* A slot whose header is nil (free, or not yet typed). */
	gr_heap_object_ptrs(h, as, H2 + 2 * 8192 + 3 * 1024, &op);
	assert_int_equal(op.kind, GR_PTRS_UNKNOWN);
	gr_heap_object_ptrs(h, as, H2 + 3 * 8192, &op);
	assert_int_equal(op.kind, GR_PTRS_TYPE);
	assert_int_equal(op.type, TYPEADDR);
	assert_int_equal(op.start, H2 + 3 * 8192);

	/* Go 1.26 (green tea by default): P1 has inline mark bits, P0 none,
	 * which its last byte (0, not its class) says: not trusted. */
	gr_heap_set_release(h, 26, "go1.26.8");
	gr_heap_object_ptrs(h, as, H2 + 8192 + 10 * 48, &op);
	assert_int_equal(op.kind, GR_PTRS_BITS);
	assert_int_equal(op.bits, 0x14);
	gr_heap_object_ptrs(h, as, H2 + 3 * 64, &op);
	assert_int_equal(op.kind, GR_PTRS_UNKNOWN);
	/* Built without green tea: P0 is read, P1's class byte contradicts. */
	gr_heap_set_release(h, 26, "go1.26.8 X:nogreenteagc");
	gr_heap_object_ptrs(h, as, H2 + 3 * 64, &op);
	assert_int_equal(op.kind, GR_PTRS_BITS);
	assert_int_equal(op.bits, 0xa);
	gr_heap_object_ptrs(h, as, H2 + 8192 + 10 * 48, &op);
	assert_int_equal(op.kind, GR_PTRS_UNKNOWN);
	/* Go 1.25 with the experiment on. */
	gr_heap_set_release(h, 25, "go1.25.4 X:greenteagc");
	gr_heap_object_ptrs(h, as, H2 + 8192 + 10 * 48, &op);
	assert_int_equal(op.kind, GR_PTRS_BITS);

	/* Before 1.22 the bits are in the arenas: not read here. */
	gr_heap_set_release(h, 21, "go1.21.13");
	gr_heap_object_ptrs(h, as, H2 + 3 * 64, &op);
	assert_int_equal(op.kind, GR_PTRS_UNKNOWN);
	/* Not an object. */
	gr_heap_object_ptrs(h, as, H2 + 4 * 8192 + 8 * 8192, &op);
	assert_int_equal(op.kind, GR_PTRS_UNKNOWN);
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

/* Go 1.18-1.21: the arena's bitmap, its heapArena found by its spans
 * array (no mheap_), two bits a word (minor 19) or one (minor 20). */
#define ARENA0 0xc000000000ull   /* 64 MiB aligned */
#define HA 0x7e0000000000ull

static void arena_case(int minor, bool wrong_spans)
{
	static uint8_t meta[4 * REC];
	static uint8_t page[8192];
	uint64_t spans_off = minor <= 19 ? 2u << 20 : (1u << 20) + (16u << 10);
	size_t ha_size = spans_off + 8192 * 8;
	uint8_t *ha = calloc(1, ha_size);
	assert_non_null(ha);
	memset(meta, 0, sizeof(meta));
	memset(largetype_of, 0, sizeof(largetype_of));
	/* A span of 64-byte objects at the arena's page 5. */
	record(meta, 0, ARENA0 + 5 * 8192, 1, 128, 5 << 1, 1, 64, ARENA0 + 6 * 8192);
	put64(ha + spans_off + 8 * 5, wrong_spans ? META + 4 * REC : META + 8);
	/* Object 3: pointers in its words 1 and 3. */
	uint64_t w = (5 * 8192 + 3 * 64) / 8;
	for (uint64_t x = w + 1; x <= w + 3; x += 2) {
		if (minor <= 19)
			ha[x / 4] |= (uint8_t)(1u << (x % 4));
		else
			ha[x / 8] |= (uint8_t)(1u << (x % 8));
	}
	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	assert_null(gc_addrspace_add(as, 0, META, sizeof(meta), meta, sizeof(meta), "meta"));
	assert_null(gc_addrspace_add(as, 0, ARENA0 + 5 * 8192, sizeof(page), page, sizeof(page), "heap"));
	assert_null(gc_addrspace_add(as, 0, HA, ha_size, ha, ha_size, "arena"));
	struct gr_heap *h;
	assert_null(gr_heap_from_records(as, &layouts, minor, &h));
	assert_int_equal(gr_heap_nspans(h), 1);
	char version[32];
	snprintf(version, sizeof(version), "go1.%d.1", minor);
	gr_heap_set_release(h, minor, version);
	assert_null(gr_heap_find_arenas(h, as, &layouts, minor, 0, 0));
	size_t found, total;
	gr_heap_arena_count(h, &found, &total);
	assert_int_equal(total, 1);
	assert_int_equal(found, wrong_spans ? 0 : 1);
	struct gr_objptrs op;
	gr_heap_object_ptrs(h, as, ARENA0 + 5 * 8192 + 3 * 64, &op);
	if (wrong_spans) {
		assert_int_equal(op.kind, GR_PTRS_UNKNOWN);
	} else {
		assert_int_equal(op.kind, GR_PTRS_ARENA);
		uint64_t bits;
		assert_true(gr_heap_arena_bits(h, as, &op, 0, &bits));
		assert_int_equal(bits & 0xff, 0xa);
		gr_heap_forget_arenas(h);
		gr_heap_object_ptrs(h, as, ARENA0 + 5 * 8192 + 3 * 64, &op);
		assert_int_equal(op.kind, GR_PTRS_UNKNOWN);
	}
	gr_heap_destroy(h);
	gc_addrspace_destroy(as);
	free(ha);
}

static void test_arenas(void **state)
{
	(void)state;
	arena_case(19, false);
	arena_case(20, false);
	arena_case(19, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_no_layout),
		cmocka_unit_test(test_ptrs),
		cmocka_unit_test(test_arenas),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
