/* Unit tests for the address space: tiers, fall-through from ranges that are
 * mapped but not available, spanning reads, statuses, wraparound, and a
 * randomized comparison against a byte-by-byte model of the semantics. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/error.h"
#include "../addrspace.h"

static struct gc_addrspace *new_as(void)
{
	struct gc_addrspace *as = NULL;
	assert_null(gc_addrspace_create(&as));
	assert_non_null(as);
	return as;
}

static void add_ok(struct gc_addrspace *as, unsigned tier, uint64_t vaddr,
		   uint64_t memsz, const uint8_t *data, uint64_t avail, const char *name)
{
	struct gc_error *err = gc_addrspace_add(as, tier, vaddr, memsz, data, avail, name);
	if (err)
		fail_msg("gc_addrspace_add: %s", err->message);
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t k = 0; k < n; k++)
		p[k] = (uint8_t)(seed + k * 7);
}

static void test_single_range(void **state)
{
	(void)state;
	uint8_t a[0x1000];
	fill(a, sizeof(a), 1);
	struct gc_addrspace *as = new_as();
	add_ok(as, 0, 0x1000, 0x1000, a, 0x1000, "core");

	uint8_t buf[16];
	assert_int_equal(gc_addrspace_read(as, 0x1000, buf, 16), GC_READ_OK);
	assert_memory_equal(buf, a, 16);
	assert_int_equal(gc_addrspace_read(as, 0x1ff0, buf, 16), GC_READ_OK);
	assert_memory_equal(buf, a + 0xff0, 16);
	assert_int_equal(gc_addrspace_read(as, 0x1ff8, buf, 16), GC_READ_UNMAPPED);
	assert_int_equal(gc_addrspace_read(as, 0xfff, buf, 1), GC_READ_UNMAPPED);
	assert_int_equal(gc_addrspace_read(as, 0x2000, buf, 1), GC_READ_UNMAPPED);
	assert_int_equal(gc_addrspace_read(as, 0, buf, 0), GC_READ_OK);

	uint64_t v64;
	uint32_t v32;
	uint8_t v8;
	assert_true(gc_addrspace_u64(as, 0x1008, &v64));
	uint64_t want = 0;
	for (int k = 7; k >= 0; k--)
		want = want << 8 | a[8 + k];
	assert_int_equal(v64, want);
	assert_true(gc_addrspace_u32(as, 0x1004, &v32));
	assert_int_equal(v32, (uint32_t)a[4] | (uint32_t)a[5] << 8 |
				      (uint32_t)a[6] << 16 | (uint32_t)a[7] << 24);
	assert_true(gc_addrspace_u8(as, 0x1fff, &v8));
	assert_int_equal(v8, a[0xfff]);
	assert_false(gc_addrspace_u64(as, 0x1ffc, &v64));
	assert_false(gc_addrspace_u8(as, 0x2000, &v8));

	assert_ptr_equal(gc_addrspace_ptr(as, 0x1100, 0x100), a + 0x100);
	assert_null(gc_addrspace_ptr(as, 0x1f00, 0x101));
	size_t n = 0;
	assert_ptr_equal(gc_addrspace_span(as, 0x1f00, 0x1000, &n), a + 0xf00);
	assert_int_equal(n, 0x100);
	assert_null(gc_addrspace_span(as, 0x2000, 8, &n));
	assert_int_equal(gc_addrspace_missing_bytes(as, 0), 0);
	gc_addrspace_destroy(as);
	gc_addrspace_destroy(NULL);
}

/* A core segment whose tail was not dumped falls through to the exe. */
static void fallthrough(bool exe_first)
{
	static uint8_t core[0x1000], exe[0x3000];
	fill(core, sizeof(core), 3);
	fill(exe, sizeof(exe), 100);
	struct gc_addrspace *as = new_as();
	if (exe_first)
		add_ok(as, 1, 0x10000, 0x3000, exe, 0x3000, "exe");
	/* tier 0: [0x10000, 0x14000) mapped, first 0x1000 bytes present */
	add_ok(as, 0, 0x10000, 0x4000, core, 0x1000, "core");
	if (!exe_first)
		add_ok(as, 1, 0x10000, 0x3000, exe, 0x3000, "exe");

	uint8_t buf[32];
	assert_int_equal(gc_addrspace_read(as, 0x10800, buf, 8), GC_READ_OK);
	assert_memory_equal(buf, core + 0x800, 8); /* tier 0 wins */
	assert_int_equal(gc_addrspace_read(as, 0x11800, buf, 8), GC_READ_OK);
	assert_memory_equal(buf, exe + 0x1800, 8); /* falls through */
	/* spanning tier 0 -> tier 1 */
	assert_int_equal(gc_addrspace_read(as, 0x10ff0, buf, 32), GC_READ_OK);
	assert_memory_equal(buf, core + 0xff0, 16);
	assert_memory_equal(buf + 16, exe + 0x1000, 16);
	assert_null(gc_addrspace_ptr(as, 0x10ff0, 32));
	size_t n = 0;
	assert_ptr_equal(gc_addrspace_span(as, 0x10ff0, 32, &n), core + 0xff0);
	assert_int_equal(n, 16);
	assert_ptr_equal(gc_addrspace_ptr(as, 0x11000, 0x2000), exe + 0x1000);
	/* [0x13000, 0x14000): mapped in the core, in no tier's bytes */
	assert_int_equal(gc_addrspace_read(as, 0x13000, buf, 1), GC_READ_NOT_IN_CORE);
	assert_int_equal(gc_addrspace_read(as, 0x12ff8, buf, 16), GC_READ_NOT_IN_CORE);
	assert_int_equal(gc_addrspace_read(as, 0x14000, buf, 1), GC_READ_UNMAPPED);
	assert_int_equal(gc_addrspace_read(as, 0x13ff8, buf, 16), GC_READ_NOT_IN_CORE);
	assert_int_equal(gc_addrspace_missing_bytes(as, 0), 0x3000);
	assert_int_equal(gc_addrspace_missing_bytes(as, 1), 0);
	gc_addrspace_destroy(as);
}

static void test_fallthrough(void **state)
{
	(void)state;
	fallthrough(false);
	fallthrough(true);
}

/* Tier 0 bytes inside a lower-tier range cut it: a read from the lower tier
 * must stop where tier 0 starts. */
static void test_higher_tier_inside(void **state)
{
	(void)state;
	static uint8_t exe[0x3000], core[0x100];
	fill(exe, sizeof(exe), 9);
	memset(core, 0xcc, sizeof(core));
	struct gc_addrspace *as = new_as();
	add_ok(as, 1, 0x400000, 0x3000, exe, 0x3000, "exe");
	add_ok(as, 0, 0x401000, 0x100, core, 0x100, "core");
	uint8_t buf[0x200];
	assert_int_equal(gc_addrspace_read(as, 0x400f80, buf, 0x200), GC_READ_OK);
	assert_memory_equal(buf, exe + 0xf80, 0x80);
	assert_memory_equal(buf + 0x80, core, 0x100);
	assert_memory_equal(buf + 0x180, exe + 0x1100, 0x80);
	assert_null(gc_addrspace_ptr(as, 0x400f80, 0x100));
	assert_ptr_equal(gc_addrspace_ptr(as, 0x401100, 0x1f00), exe + 0x1100);
	assert_ptr_equal(gc_addrspace_ptr(as, 0x400000, 0x1000), exe);
	gc_addrspace_destroy(as);
}

static void test_adjacent_ranges(void **state)
{
	(void)state;
	static uint8_t img[0x3000];
	fill(img, sizeof(img), 5);
	struct gc_addrspace *as = new_as();
	/* two segments of one contiguous file image: one window */
	add_ok(as, 0, 0x1000, 0x1000, img, 0x1000, "core");
	add_ok(as, 0, 0x2000, 0x1000, img + 0x1000, 0x1000, "core");
	/* an adjacent segment backed elsewhere */
	static uint8_t other[0x1000];
	fill(other, sizeof(other), 77);
	add_ok(as, 0, 0x3000, 0x1000, other, 0x1000, "core");
	assert_ptr_equal(gc_addrspace_ptr(as, 0x1ff0, 0x20), img + 0xff0);
	uint8_t buf[0x40];
	assert_int_equal(gc_addrspace_read(as, 0x2fe0, buf, 0x40), GC_READ_OK);
	assert_memory_equal(buf, img + 0x1fe0, 0x20);
	assert_memory_equal(buf + 0x20, other, 0x20);
	assert_null(gc_addrspace_ptr(as, 0x2fe0, 0x40));
	/* adding out of order still reads right */
	add_ok(as, 0, 0x0, 0x800, img + 0x2000, 0x800, "core");
	assert_int_equal(gc_addrspace_read(as, 0x7f0, buf, 0x10), GC_READ_OK);
	assert_memory_equal(buf, img + 0x27f0, 0x10);
	assert_int_equal(gc_addrspace_read(as, 0x7f8, buf, 0x10), GC_READ_UNMAPPED);
	gc_addrspace_destroy(as);
}

static void test_wraparound(void **state)
{
	(void)state;
	static uint8_t top[0x1000];
	fill(top, sizeof(top), 11);
	struct gc_addrspace *as = new_as();
	struct gc_error *err = gc_addrspace_add(as, 0, UINT64_MAX - 0xfff, 0x2000, top, 0x1000,
						"core");
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_FORMAT);
	assert_non_null(strstr(err->message, "wraps"));
	gc_error_destroy(err);
	err = gc_addrspace_add(as, 0, UINT64_MAX, 2, top, 2, "core");
	assert_non_null(err);
	gc_error_destroy(err);

	/* a range ending exactly at the top is fine */
	add_ok(as, 0, UINT64_MAX - 0xfff, 0xfff, top, 0xfff, "core");
	uint8_t buf[8];
	assert_int_equal(gc_addrspace_read(as, UINT64_MAX - 7, buf, 7), GC_READ_OK);
	assert_memory_equal(buf, top + 0xff8, 7);
	/* the read itself runs past 2^64 */
	assert_int_equal(gc_addrspace_read(as, UINT64_MAX - 3, buf, 8), GC_READ_UNMAPPED);
	assert_int_equal(gc_addrspace_read(as, UINT64_MAX, buf, 1), GC_READ_UNMAPPED);
	uint64_t v;
	assert_false(gc_addrspace_u64(as, UINT64_MAX - 3, &v));
	/* zero-sized ranges are accepted and map nothing */
	add_ok(as, 0, 0x5000, 0, NULL, 0, "core");
	assert_int_equal(gc_addrspace_read(as, 0x5000, buf, 1), GC_READ_UNMAPPED);
	/* data NULL means nothing is available */
	add_ok(as, 0, 0x6000, 0x10, NULL, 0x10, "core");
	assert_int_equal(gc_addrspace_read(as, 0x6000, buf, 1), GC_READ_NOT_IN_CORE);
	assert_int_equal(gc_addrspace_missing_bytes(as, 0), 0x10);
	gc_addrspace_destroy(as);
}

/* Randomized: ranges of 3 tiers over a small space, against a model. */

struct mrange {
	unsigned tier;
	uint64_t start, memsz, avail;
	uint8_t *data;
};

static int model_byte(const struct mrange *r, size_t n, uint64_t addr, uint8_t *out)
{
	const struct mrange *best = NULL;
	bool mapped = false;
	for (size_t k = 0; k < n; k++) {
		if (addr < r[k].start || addr - r[k].start >= r[k].memsz)
			continue;
		mapped = true;
		if (addr - r[k].start >= r[k].avail)
			continue;
		if (!best || r[k].tier < best->tier)
			best = &r[k]; /* first added wins ties */
	}
	if (best) {
		*out = best->data[addr - best->start];
		return GC_READ_OK;
	}
	return mapped ? GC_READ_NOT_IN_CORE : GC_READ_UNMAPPED;
}

static void test_random_model(void **state)
{
	(void)state;
	srand(12345);
	enum { SPACE = 4096 };
	for (int round = 0; round < 300; round++) {
		struct mrange r[24];
		size_t n = 1 + (size_t)rand() % 24;
		struct gc_addrspace *as = new_as();
		for (size_t k = 0; k < n; k++) {
			r[k].tier = (unsigned)rand() % 3;
			r[k].start = (uint64_t)(rand() % SPACE);
			r[k].memsz = 1 + (uint64_t)(rand() % 600);
			r[k].avail = rand() % 3 == 0 ? (uint64_t)rand() % (r[k].memsz + 1) : r[k].memsz;
			r[k].data = malloc(r[k].memsz);
			assert_non_null(r[k].data);
			for (uint64_t b = 0; b < r[k].memsz; b++)
				r[k].data[b] = (uint8_t)rand();
			/* sometimes make a range continue the previous one's bytes */
			add_ok(as, r[k].tier, r[k].start, r[k].memsz, r[k].data, r[k].avail, "r");
		}
		for (uint64_t a = 0; a < SPACE + 700; a++) {
			uint8_t want = 0, got = 0;
			int ws = model_byte(r, n, a, &want);
			int gs = gc_addrspace_read(as, a, &got, 1);
			if (ws != gs || (ws == GC_READ_OK && want != got))
				fail_msg("round %d addr 0x%llx: status %d/%d byte %u/%u", round,
					 (unsigned long long)a, gs, ws, got, want);
		}
		for (int q = 0; q < 200; q++) {
			uint64_t a = (uint64_t)(rand() % (SPACE + 600));
			size_t len = 1 + (size_t)(rand() % 300);
			uint8_t buf[300], want[300];
			int ws = GC_READ_OK;
			for (size_t b = 0; b < len && ws == GC_READ_OK; b++)
				ws = model_byte(r, n, a + b, &want[b]);
			int gs = gc_addrspace_read(as, a, buf, len);
			assert_int_equal(gs, ws);
			if (gs == GC_READ_OK)
				assert_memory_equal(buf, want, len);
			const uint8_t *p = gc_addrspace_ptr(as, a, len);
			if (p) {
				assert_int_equal(ws, GC_READ_OK);
				assert_memory_equal(p, want, len);
			}
		}
		for (size_t k = 0; k < n; k++)
			free(r[k].data);
		gc_addrspace_destroy(as);
	}
}

/* gc_addrspace_add_ranges gives what adding the same ranges one by one
 * gives, over windows already there of any tier. */
static void test_ranges_model(void **state)
{
	(void)state;
	srand(4242);
	enum { SPACE = 4096 };
	for (int round = 0; round < 300; round++) {
		struct mrange r[40];
		size_t n = 2 + (size_t)rand() % 38, first = (size_t)rand() % n;
		unsigned batch_tier = (unsigned)rand() % 3;
		struct gc_addrspace *one = new_as(), *many = new_as();
		struct gc_range batch[40];
		size_t nb = 0;
		for (size_t k = 0; k < n; k++) {
			/* ranges before `first` go in singly to both; the rest
			 * in one batch of one tier */
			r[k].tier = k < first ? (unsigned)rand() % 3 : batch_tier;
			r[k].start = (uint64_t)(rand() % SPACE);
			r[k].memsz = (uint64_t)(rand() % 600);
			r[k].avail = rand() % 3 == 0 ? (uint64_t)rand() % (r[k].memsz + 1) : r[k].memsz;
			r[k].data = malloc(r[k].memsz + 1);
			assert_non_null(r[k].data);
			for (uint64_t b = 0; b < r[k].memsz; b++)
				r[k].data[b] = (uint8_t)rand();
			add_ok(one, r[k].tier, r[k].start, r[k].memsz, r[k].data, r[k].avail, "r");
			if (k < first)
				add_ok(many, r[k].tier, r[k].start, r[k].memsz, r[k].data, r[k].avail,
				       "r");
			else
				batch[nb++] = (struct gc_range){r[k].start, r[k].memsz, r[k].data,
								r[k].avail};
		}
		struct gc_error *err = gc_addrspace_add_ranges(many, batch_tier, batch, nb, "r");
		assert_null(err);
		for (uint64_t a = 0; a < SPACE + 700; a++) {
			uint8_t want = 0, got = 0, got1 = 0;
			int ws = model_byte(r, n, a, &want);
			int g1 = gc_addrspace_read(one, a, &got1, 1);
			int gs = gc_addrspace_read(many, a, &got, 1);
			if (ws != gs || g1 != gs || (ws == GC_READ_OK && (want != got || got1 != got)))
				fail_msg("round %d addr 0x%llx: status %d/%d byte %u/%u", round,
					 (unsigned long long)a, gs, ws, got, want);
			size_t l1 = 0, l2 = 0;
			const uint8_t *p1 = gc_addrspace_span(one, a, SPACE, &l1);
			const uint8_t *p2 = gc_addrspace_span(many, a, SPACE, &l2);
			if (p1 != p2 || l1 != l2)
				fail_msg("round %d addr 0x%llx: windows differ", round,
					 (unsigned long long)a);
		}
		for (unsigned t = 0; t < 3; t++)
			assert_int_equal(gc_addrspace_missing_bytes(one, t),
					 gc_addrspace_missing_bytes(many, t));
		for (size_t k = 0; k < n; k++)
			free(r[k].data);
		gc_addrspace_destroy(one);
		gc_addrspace_destroy(many);
	}
}

/* 300,000 ranges in descending order (a PN_XNUM core's program headers)
 * go in at once in well under a second; one by one they took minutes. */
static void test_ranges_descending(void **state)
{
	(void)state;
	enum { N = 300000, SZ = 0x1000 };
	static uint8_t page[SZ];
	fill(page, sizeof(page), 7);
	struct gc_range *r = calloc(N, sizeof(*r));
	assert_non_null(r);
	for (size_t k = 0; k < N; k++)
		r[k] = (struct gc_range){0x300000000000ull + (uint64_t)(N - k) * 2 * SZ, 2 * SZ,
					 page, SZ};
	struct gc_addrspace *as = new_as();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_null(gc_addrspace_add_ranges(as, 0, r, N, "core"));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("addrspace: %d descending ranges added at once in %.1f ms\n", N, ms);
	assert_true(ms < 2000);
	uint8_t b;
	assert_int_equal(gc_addrspace_read(as, 0x300000000000ull + 2 * SZ + 5, &b, 1), GC_READ_OK);
	assert_int_equal(b, page[5]);
	assert_int_equal(gc_addrspace_read(as, 0x300000000000ull + 3 * SZ, &b, 1),
			 GC_READ_NOT_IN_CORE);
	assert_int_equal(gc_addrspace_missing_bytes(as, 0), (uint64_t)N * SZ);
	/* a wrapping range is refused and adds nothing */
	struct gc_range wrap = {UINT64_MAX - 10, 100, page, 100};
	struct gc_error *err = gc_addrspace_add_ranges(as, 0, &wrap, 1, "core");
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_FORMAT);
	gc_error_destroy(err);
	gc_addrspace_destroy(as);
	free(r);
}

/* Thousands of segments, millions of small reads: a smoke benchmark. */
static void test_many_segments(void **state)
{
	(void)state;
	enum { NSEG = 20000, SEGSZ = 0x2000 };
	uint8_t *img = malloc((size_t)NSEG * SEGSZ / 2);
	assert_non_null(img);
	memset(img, 0x5a, (size_t)NSEG * SEGSZ / 2);
	struct gc_addrspace *as = new_as();
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t k = 0; k < NSEG; k++) {
		/* every other segment dumped, with gaps between segments */
		uint64_t base = 0xc000000000ull + k * (SEGSZ + 0x1000);
		bool dumped = k % 2 == 0;
		add_ok(as, 0, base, SEGSZ, dumped ? img + k / 2 * SEGSZ : NULL,
		       dumped ? SEGSZ : 0, "core");
	}
	/* the executable below, in tier 1 */
	add_ok(as, 1, 0x400000, SEGSZ, img, SEGSZ, "exe");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	uint64_t x = 88172645463325252ull, sum = 0;
	size_t ok = 0;
	enum { NREAD = 5000000 };
	for (size_t q = 0; q < NREAD; q++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t k = (size_t)(x % NSEG);
		/* mostly clustered reads, as a stack walk does */
		uint64_t addr = 0xc000000000ull + k * (SEGSZ + 0x1000) + (q % 0x200) * 8;
		uint64_t v;
		if (gc_addrspace_u64(as, addr, &v)) {
			sum += v;
			ok++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	double add_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	double rd_ms = (double)(t2.tv_sec - t1.tv_sec) * 1e3 + (double)(t2.tv_nsec - t1.tv_nsec) / 1e6;
	print_message("addrspace: %d segments added in %.1f ms; %d reads in %.1f ms (%zu ok)\n",
		      NSEG + 1, add_ms, NREAD, rd_ms, ok);
	assert_true(ok > NREAD / 3 && ok < NREAD * 2 / 3);
	assert_int_equal(sum, (uint64_t)ok * 0x5a5a5a5a5a5a5a5aull);
	assert_int_equal(gc_addrspace_missing_bytes(as, 0), (uint64_t)NSEG / 2 * SEGSZ);
	gc_addrspace_destroy(as);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_range),
		cmocka_unit_test(test_fallthrough),
		cmocka_unit_test(test_higher_tier_inside),
		cmocka_unit_test(test_adjacent_ranges),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_ranges_model),
		cmocka_unit_test(test_ranges_descending),
		cmocka_unit_test(test_many_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
