/* Unit tests for gopclntab: pc-value decoding on hand-built tables, lookups
 * in synthetic tables of all three formats, robustness against corrupt
 * tables, and a real Go binary (testdata/pclntab) checked against its ELF
 * symbol table and `go tool addr2line`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../common/error.h"
#include "../gopclntab.h"

/* A growable byte buffer */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	b->p = realloc(b->p, cap);
	assert_non_null(b->p);
	memset(b->p + b->cap, 0, cap - b->cap);
	b->cap = cap;
}

static void put_bytes(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put_u8(struct buf *b, uint8_t v)
{
	put_bytes(b, &v, 1);
}

static void put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put_bytes(b, x, 4);
}

static void put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static void set_u32(struct buf *b, size_t off, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	memcpy(b->p + off, x, 4);
}

static void set_u64(struct buf *b, size_t off, uint64_t v)
{
	set_u32(b, off, (uint32_t)v);
	set_u32(b, off + 4, (uint32_t)(v >> 32));
}

static void put_align(struct buf *b, size_t a)
{
	while (b->len % a)
		put_u8(b, 0);
}

/* Synthetic pclntab */

#define SYN_TEXT 0x401000ULL
#define SYN_GOFUNC 0x4a0000ULL
#define SYN_ADDR 0x4b0000ULL

struct syn_func {
	uint32_t entryoff; /* from SYN_TEXT */
	const char *name;
	int32_t args;
	uint32_t pcsp, pcfile, pcln; /* pctab offsets */
	uint32_t cu_offset;
	int32_t start_line;
	uint8_t funcid;
	uint32_t npcdata;
	uint32_t pcdata[4];
	uint8_t nfuncdata;
	uint32_t funcdata[8]; /* gofunc offsets, UINT32_MAX = absent */
};

struct syn {
	uint32_t magic;
	uint8_t quantum;
	uint64_t header_text; /* textStart written to the header (1.18+) */
	struct syn_func funcs[4];
	size_t nfunc;
	uint32_t end_off;
	const char *files[4];
	size_t nfiles;
	uint32_t cutab[8]; /* index into files, or UINT32_MAX */
	size_t ncutab;
	struct buf pctab;
	/* Output: */
	size_t func_rec[4];
	size_t pctab_off;
};

static void syn_init(struct syn *s, uint32_t magic, uint8_t quantum)
{
	memset(s, 0, sizeof(*s));
	s->magic = magic;
	s->quantum = quantum;
	s->header_text = SYN_TEXT;
	put_u8(&s->pctab, 0); /* offset 0 means "no table" */
}

static uint32_t syn_table(struct syn *s, const uint8_t *bytes, size_t n)
{
	uint32_t off = (uint32_t)s->pctab.len;
	put_bytes(&s->pctab, bytes, n);
	return off;
}

/* Lays out header, funcnametab, cutab, filetab, pctab, pclntable. */
static struct buf syn_build(struct syn *s)
{
	struct buf b = {0};
	bool v116 = s->magic == GOPCLNTAB_MAGIC_116;
	size_t hdr = v116 ? 64 : 72;
	put_u32(&b, s->magic);
	put_u8(&b, 0);
	put_u8(&b, 0);
	put_u8(&b, s->quantum);
	put_u8(&b, 8);
	while (b.len < hdr)
		put_u8(&b, 0);

	size_t funcname = b.len;
	put_u8(&b, 0);
	uint32_t nameoff[4];
	for (size_t i = 0; i < s->nfunc; i++) {
		nameoff[i] = (uint32_t)(b.len - funcname);
		put_bytes(&b, s->funcs[i].name, strlen(s->funcs[i].name) + 1);
	}
	put_align(&b, 4);
	size_t filetab_len = 1;
	uint32_t fileoff[4];
	for (size_t i = 0; i < s->nfiles; i++) {
		fileoff[i] = (uint32_t)filetab_len;
		filetab_len += strlen(s->files[i]) + 1;
	}
	size_t cu = b.len;
	for (size_t i = 0; i < s->ncutab; i++)
		put_u32(&b, s->cutab[i] == UINT32_MAX ? UINT32_MAX : fileoff[s->cutab[i]]);
	size_t filetab = b.len;
	put_u8(&b, 0);
	for (size_t i = 0; i < s->nfiles; i++)
		put_bytes(&b, s->files[i], strlen(s->files[i]) + 1);
	size_t pctab = b.len;
	s->pctab_off = pctab;
	put_bytes(&b, s->pctab.p, s->pctab.len);
	put_align(&b, 8);
	size_t pcln = b.len;

	/* functab */
	size_t entsize = v116 ? 16 : 8;
	size_t ftab = b.len;
	for (size_t i = 0; i < s->nfunc; i++) {
		if (v116) {
			put_u64(&b, SYN_TEXT + s->funcs[i].entryoff);
			put_u64(&b, 0);
		} else {
			put_u32(&b, s->funcs[i].entryoff);
			put_u32(&b, 0);
		}
	}
	if (v116)
		put_u64(&b, SYN_TEXT + s->end_off);
	else
		put_u32(&b, s->end_off);

	for (size_t i = 0; i < s->nfunc; i++) {
		const struct syn_func *f = &s->funcs[i];
		put_align(&b, 8);
		size_t rec = b.len;
		s->func_rec[i] = rec;
		if (v116)
			set_u64(&b, ftab + i * entsize + 8, rec - pcln);
		else
			set_u32(&b, ftab + i * entsize + 4, (uint32_t)(rec - pcln));
		if (v116)
			put_u64(&b, SYN_TEXT + f->entryoff);
		else
			put_u32(&b, f->entryoff);
		put_u32(&b, nameoff[i]);
		put_u32(&b, (uint32_t)f->args);
		put_u32(&b, 0); /* deferreturn */
		put_u32(&b, f->pcsp);
		put_u32(&b, f->pcfile);
		put_u32(&b, f->pcln);
		put_u32(&b, f->npcdata);
		put_u32(&b, f->cu_offset);
		if (s->magic == GOPCLNTAB_MAGIC_120)
			put_u32(&b, (uint32_t)f->start_line);
		put_u8(&b, f->funcid);
		put_u8(&b, 0); /* flag */
		put_u8(&b, 0);
		put_u8(&b, f->nfuncdata);
		for (uint32_t k = 0; k < f->npcdata; k++)
			put_u32(&b, f->pcdata[k]);
		if (v116) {
			put_align(&b, 8); /* SYN_ADDR is 8-aligned */
			for (uint32_t k = 0; k < f->nfuncdata; k++)
				put_u64(&b, f->funcdata[k] == UINT32_MAX
						    ? 0
						    : SYN_GOFUNC + f->funcdata[k]);
		} else {
			for (uint32_t k = 0; k < f->nfuncdata; k++)
				put_u32(&b, f->funcdata[k]);
		}
	}
	put_align(&b, 8);

	uint64_t fields[8];
	size_t k = 0;
	fields[k++] = s->nfunc;
	fields[k++] = s->nfiles;
	if (!v116)
		fields[k++] = s->header_text;
	fields[k++] = funcname;
	fields[k++] = cu;
	fields[k++] = filetab;
	fields[k++] = pctab;
	fields[k++] = pcln;
	for (size_t i = 0; i < k; i++)
		set_u64(&b, 8 + 8 * i, fields[i]);
	return b;
}

/* Fake process memory for funcdata: one range at SYN_GOFUNC. */
struct fake_mem {
	uint64_t base;
	const uint8_t *p;
	size_t len;
};

static bool fake_read(void *ctx, uint64_t addr, void *out, size_t len)
{
	const struct fake_mem *m = ctx;
	if (addr < m->base || addr - m->base > m->len || len > m->len - (addr - m->base))
		return false;
	memcpy(out, m->p + (addr - m->base), len);
	return true;
}

static struct gopclntab *syn_create(const struct buf *b, struct fake_mem *mem)
{
	struct gopclntab_config cfg = {
		.data = b->p,
		.size = b->len,
		.addr = SYN_ADDR,
		.gofunc = SYN_GOFUNC,
		.read = fake_read,
		.read_ctx = mem,
	};
	struct gopclntab *t = NULL;
	struct gc_error *err = gopclntab_create(&cfg, &t);
	if (err)
		fail_msg("gopclntab_create: %s", err->message);
	return t;
}

/* A pclntab with one function [text, text+0x100) and the given bytes as
 * its pcsp table, for pc-value decoding tests.  The table is the last thing
 * in pctab, so "never terminates" runs into the pctab end. */
static struct gopclntab *one_table(const uint8_t *bytes, size_t n, uint8_t quantum,
				   struct buf *out, struct gopclntab_func *f, uint32_t *off_ret)
{
	struct syn s;
	syn_init(&s, GOPCLNTAB_MAGIC_118, quantum);
	s.files[s.nfiles++] = "a.go";
	s.cutab[s.ncutab++] = 0;
	*off_ret = syn_table(&s, bytes, n);
	s.funcs[0] = (struct syn_func){.entryoff = 0, .name = "main.f", .pcsp = *off_ret};
	s.nfunc = 1;
	s.end_off = 0x100;
	*out = syn_build(&s);
	free(s.pctab.p);
	struct gopclntab *t = syn_create(out, NULL);
	assert_true(gopclntab_find_func(t, SYN_TEXT, f));
	return t;
}

static int32_t pcv(const struct gopclntab *t, const struct gopclntab_func *f, uint32_t off,
		   uint64_t pc)
{
	int32_t v = 12345;
	if (!gopclntab_pcvalue(t, f, off, pc, &v))
		return INT32_MIN;
	return v;
}

/* pc-value decoding */

static void test_pcvalue_basic(void **state)
{
	(void)state;
	/* (+1 -> 0, 16) (+8 -> 8, 4) (-8 -> 0, 12) end.  zig-zag: +1=2, +8=16,
	 * -8=15. */
	static const uint8_t tab[] = {0x02, 16, 0x10, 4, 0x0f, 12, 0x00};
	struct buf b;
	struct gopclntab_func f;
	uint32_t off;
	struct gopclntab *t = one_table(tab, sizeof(tab), 1, &b, &f, &off);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT), 0);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 15), 0);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 16), 8);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 19), 8);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 20), 0);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 31), 0);
	/* Past the table's last pc (32) but inside the function. */
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 32), INT32_MIN);
	/* Before the entry, at and past the function's end. */
	assert_int_equal(pcv(t, &f, off, SYN_TEXT - 1), INT32_MIN);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 0x100), INT32_MIN);
	assert_int_equal(pcv(t, &f, off, UINT64_MAX), INT32_MIN);
	/* Offset 0: no table. */
	assert_int_equal(pcv(t, &f, 0, SYN_TEXT), INT32_MIN);
	/* pcsp is the same decoder. */
	int32_t sp;
	assert_true(gopclntab_pcsp(t, &f, SYN_TEXT + 17, &sp));
	assert_int_equal(sp, 8);
	gopclntab_destroy(t);
	free(b.p);
}

static void test_pcvalue_first_zero(void **state)
{
	(void)state;
	/* First pair with value delta 0 (value stays -1), then a second pair
	 * at pc == entry (pc delta 0 before) still counts as "first". */
	static const uint8_t tab[] = {0x00, 0x00, 0x00, 4, 0x02, 4, 0x00};
	struct buf b;
	struct gopclntab_func f;
	uint32_t off;
	struct gopclntab *t = one_table(tab, sizeof(tab), 1, &b, &f, &off);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT), -1);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 3), -1);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 4), 0);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 7), 0);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 8), INT32_MIN);
	gopclntab_destroy(t);
	free(b.p);

	/* A zero value delta after pc moved ends the table. */
	static const uint8_t tab2[] = {0x02, 4, 0x00, 4, 0x04, 4, 0x00};
	t = one_table(tab2, sizeof(tab2), 1, &b, &f, &off);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 3), 0);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 4), INT32_MIN);
	gopclntab_destroy(t);
	free(b.p);
}

static void test_pcvalue_negative_multibyte(void **state)
{
	(void)state;
	/* -1 + 101 = 100 for 2; -300 -> -200 for 200 (pc delta 0xc8 0x01);
	 * +300 -> 100 for 1.  zig-zag(101)=202=0xca 0x01, zig-zag(-300)=599=
	 * 0xd7 0x04, zig-zag(300)=600=0xd8 0x04. */
	static const uint8_t tab[] = {0xca, 0x01, 2,    0xd7, 0x04, 0xc8,
				      0x01, 0xd8, 0x04, 1,    0x00};
	struct buf b;
	struct gopclntab_func f;
	uint32_t off;
	struct gopclntab *t = one_table(tab, sizeof(tab), 1, &b, &f, &off);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 1), 100);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 2), -200);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 201), -200);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 202), 100);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 203), INT32_MIN);
	gopclntab_destroy(t);
	free(b.p);
}

static void test_pcvalue_quantum4(void **state)
{
	(void)state;
	/* pc deltas count instructions of 4 bytes (arm64). */
	static const uint8_t tab[] = {0x02, 2, 0x20, 3, 0x00};
	struct buf b;
	struct gopclntab_func f;
	uint32_t off;
	struct gopclntab *t = one_table(tab, sizeof(tab), 4, &b, &f, &off);
	assert_int_equal(gopclntab_quantum(t), 4);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 7), 0);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 8), 16);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 19), 16);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 20), INT32_MIN);
	gopclntab_destroy(t);
	free(b.p);
}

static void test_pcvalue_truncated(void **state)
{
	(void)state;
	struct buf b;
	struct gopclntab_func f;
	uint32_t off;
	/* Second pair's pc delta is missing (table at the end of pctab; the
	 * bytes after it are functab padding, which we must not decode: the
	 * decoder is bounded by pctab). */
	static const uint8_t tab[] = {0x02, 4, 0x04};
	struct gopclntab *t = one_table(tab, sizeof(tab), 1, &b, &f, &off);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 3), 0);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 4), INT32_MIN);
	gopclntab_destroy(t);
	free(b.p);

	/* A varint whose continuation bit runs off the end. */
	static const uint8_t tab2[] = {0x02, 4, 0x84, 0x80};
	t = one_table(tab2, sizeof(tab2), 1, &b, &f, &off);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 3), 0);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 5), INT32_MIN);
	gopclntab_destroy(t);
	free(b.p);

	/* An offset past the table. */
	t = one_table(tab, sizeof(tab), 1, &b, &f, &off);
	assert_int_equal(pcv(t, &f, UINT32_MAX, SYN_TEXT), INT32_MIN);
	assert_int_equal(pcv(t, &f, 0x7fffffff, SYN_TEXT), INT32_MIN);
	gopclntab_destroy(t);
	free(b.p);
}

static void test_pcvalue_unterminated(void **state)
{
	(void)state;
	/* 300 pairs of (+1, pc +0), never terminated: pc stays at the entry
	 * and the table runs to the end of pctab.  Decoding must stop there. */
	uint8_t tab[600];
	for (size_t i = 0; i < sizeof(tab); i += 2) {
		tab[i] = 0x02;
		tab[i + 1] = 0;
	}
	struct buf b;
	struct gopclntab_func f;
	uint32_t off;
	struct gopclntab *t = one_table(tab, sizeof(tab), 1, &b, &f, &off);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT), INT32_MIN);
	gopclntab_destroy(t);
	free(b.p);

	/* Pairs that walk pc past the function's end (0x100) without ever
	 * terminating: a pc inside is found, the decoding stops at the end. */
	for (size_t i = 0; i < sizeof(tab); i += 2) {
		tab[i] = 0x02;
		tab[i + 1] = 0x10;
	}
	t = one_table(tab, sizeof(tab), 1, &b, &f, &off);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 0xff), 15);
	assert_int_equal(pcv(t, &f, off, SYN_TEXT + 0x100), INT32_MIN);
	gopclntab_destroy(t);
	free(b.p);
}

/* Synthetic tables of every format */

/* Three functions: main.a [0,0x20), main.b [0x20,0x60) with an inline tree,
 * runtime.c [0x60,0x70). */
static struct buf build_three(uint32_t magic, struct fake_mem *mem, struct buf *memory)
{
	struct syn s;
	syn_init(&s, magic, 1);
	s.files[s.nfiles++] = "/src/a.go";
	s.files[s.nfiles++] = "/src/b.go";
	s.files[s.nfiles++] = "/go/runtime/c.go";
	/* CU 0: a.go, b.go; CU 1: invalid, c.go */
	s.cutab[s.ncutab++] = 0;
	s.cutab[s.ncutab++] = 1;
	s.cutab[s.ncutab++] = UINT32_MAX;
	s.cutab[s.ncutab++] = 2;

	/* main.a: file 0 throughout; line 10 for [0,8), 11 for [8,0x20). */
	static const uint8_t a_file[] = {0x02, 0x20, 0x00};
	static const uint8_t a_line[] = {22, 8, 0x02, 0x18, 0x00}; /* -1+11=10 */
	/* main.b: line 20 [0x20,0x28) 30 [0x28,0x30) 40 [0x30,0x38) 21 rest;
	 * file 0 for the first part, 1 for the inlined body [0x28,0x38). */
	static const uint8_t b_file[] = {0x02, 8, 0x02, 16, 0x01, 0x28, 0x00};
	static const uint8_t b_line[] = {42, 8, 20, 8, 20, 8, 37, 0x28, 0x00};
	/* inline index: -1 [0,8), 1 [8,0x10), 0 [0x10,0x18), -1 rest */
	static const uint8_t b_inl[] = {0x00, 8, 0x04, 8, 0x01, 8, 0x01, 0x28, 0x00};
	static const uint8_t b_sp[] = {0x02, 1, 0x10, 0x3f, 0x00};
	/* runtime.c: file 1 (c.go in CU 1), line 7. */
	static const uint8_t c_file[] = {0x04, 0x10, 0x00};
	static const uint8_t c_line[] = {16, 0x10, 0x00};

	s.funcs[0] = (struct syn_func){.entryoff = 0, .name = "main.a", .args = 8,
				       .pcfile = syn_table(&s, a_file, sizeof(a_file)),
				       .pcln = syn_table(&s, a_line, sizeof(a_line)),
				       .start_line = 9};
	uint32_t inl = syn_table(&s, b_inl, sizeof(b_inl));
	s.funcs[1] = (struct syn_func){.entryoff = 0x20, .name = "main.b", .args = 16,
				       .pcsp = syn_table(&s, b_sp, sizeof(b_sp)),
				       .pcfile = syn_table(&s, b_file, sizeof(b_file)),
				       .pcln = syn_table(&s, b_line, sizeof(b_line)),
				       .start_line = 19,
				       .npcdata = 3,
				       .pcdata = {0, 0, inl},
				       .nfuncdata = 4,
				       .funcdata = {UINT32_MAX, UINT32_MAX, UINT32_MAX, 0x100}};
	s.funcs[2] = (struct syn_func){.entryoff = 0x60, .name = "runtime.c", .funcid = 7,
				       .cu_offset = 2,
				       .pcfile = syn_table(&s, c_file, sizeof(c_file)),
				       .pcln = syn_table(&s, c_line, sizeof(c_line))};
	s.nfunc = 3;
	s.end_off = 0x70;
	struct buf b = syn_build(&s);

	/* The inline tree of main.b at gofunc+0x100: [0] inner0 called at
	 * b+0x04 (line 20), [1] inner1 called at b+0x10 (inside inner0). */
	size_t name0 = 0, name1 = 0;
	/* The inlined callees reuse the names "main.a" and "runtime.c" of
	 * funcnametab. */
	for (size_t i = 0; i + 7 <= b.len; i++) {
		if (!name0 && memcmp(b.p + i, "main.a", 7) == 0)
			name0 = i;
		if (!name1 && i + 10 <= b.len && memcmp(b.p + i, "runtime.c", 10) == 0)
			name1 = i;
	}
	uint64_t funcname;
	memcpy(&funcname, b.p + (magic == GOPCLNTAB_MAGIC_116 ? 24 : 32), 8);
	*memory = (struct buf){0};
	buf_reserve(memory, 0x100 + 64);
	memory->len = 0x100;
	int32_t n0 = (int32_t)(name0 - funcname), n1 = (int32_t)(name1 - funcname);
	if (magic == GOPCLNTAB_MAGIC_120) {
		put_u8(memory, 0);
		put_bytes(memory, "\0\0\0", 3);
		put_u32(memory, (uint32_t)n0);
		put_u32(memory, 0x04);
		put_u32(memory, 9);
		put_u8(memory, 7);
		put_bytes(memory, "\0\0\0", 3);
		put_u32(memory, (uint32_t)n1);
		put_u32(memory, 0x10);
		put_u32(memory, 6);
	} else {
		put_bytes(memory, "\xff\xff", 2);
		put_u8(memory, 0);
		put_u8(memory, 0);
		put_u32(memory, 1);
		put_u32(memory, 20);
		put_u32(memory, (uint32_t)n0);
		put_u32(memory, 0x04);
		put_bytes(memory, "\0\0", 2);
		put_u8(memory, 7);
		put_u8(memory, 0);
		put_u32(memory, 0);
		put_u32(memory, 40);
		put_u32(memory, (uint32_t)n1);
		put_u32(memory, 0x10);
	}
	*mem = (struct fake_mem){.base = SYN_GOFUNC, .p = memory->p, .len = memory->len};
	free(s.pctab.p);
	return b;
}

static void check_three(uint32_t magic)
{
	struct fake_mem mem;
	struct buf memory;
	struct buf b = build_three(magic, &mem, &memory);
	struct gopclntab *t = syn_create(&b, &mem);
	assert_int_equal(gopclntab_magic(t), magic);
	assert_int_equal(gopclntab_nfunc(t), 3);
	assert_int_equal(gopclntab_text_start(t), SYN_TEXT);
	uint64_t lo, hi;
	gopclntab_pc_range(t, &lo, &hi);
	assert_int_equal(lo, SYN_TEXT);
	assert_int_equal(hi, SYN_TEXT + 0x70);

	struct gopclntab_func f;
	/* Function boundaries. */
	assert_false(gopclntab_find_func(t, SYN_TEXT - 1, &f));
	assert_false(gopclntab_find_func(t, 0, &f));
	assert_true(gopclntab_find_func(t, SYN_TEXT, &f));
	assert_string_equal(f.name, "main.a");
	assert_int_equal(f.entry, SYN_TEXT);
	assert_int_equal(f.end, SYN_TEXT + 0x20);
	assert_int_equal(f.args, 8);
	assert_int_equal(f.start_line, magic == GOPCLNTAB_MAGIC_120 ? 9 : 0);
	assert_true(gopclntab_find_func(t, SYN_TEXT + 0x1f, &f));
	assert_string_equal(f.name, "main.a");
	assert_true(gopclntab_find_func(t, SYN_TEXT + 0x20, &f));
	assert_string_equal(f.name, "main.b");
	assert_int_equal(f.end, SYN_TEXT + 0x60);
	assert_true(gopclntab_find_func(t, SYN_TEXT + 0x5f, &f));
	assert_string_equal(f.name, "main.b");
	assert_true(gopclntab_find_func(t, SYN_TEXT + 0x60, &f));
	assert_string_equal(f.name, "runtime.c");
	assert_int_equal(f.funcid, 7);
	assert_true(gopclntab_find_func(t, SYN_TEXT + 0x6f, &f));
	assert_false(gopclntab_find_func(t, SYN_TEXT + 0x70, &f));
	assert_false(gopclntab_find_func(t, UINT64_MAX, &f));
	assert_false(gopclntab_func_at(t, 3, &f));
	assert_true(gopclntab_func_at(t, 2, &f));
	assert_string_equal(f.name, "runtime.c");
	assert_true(gopclntab_find_func_by_name(t, "main.b", &f));
	assert_int_equal(f.entry, SYN_TEXT + 0x20);
	assert_false(gopclntab_find_func_by_name(t, "main.zz", &f));

	/* File and line. */
	const char *file;
	int32_t line;
	assert_true(gopclntab_find_func(t, SYN_TEXT + 7, &f));
	assert_true(gopclntab_file_line(t, &f, SYN_TEXT + 7, &file, &line));
	assert_string_equal(file, "/src/a.go");
	assert_int_equal(line, 10);
	assert_true(gopclntab_file_line(t, &f, SYN_TEXT + 8, &file, &line));
	assert_int_equal(line, 11);
	assert_false(gopclntab_file_line(t, &f, SYN_TEXT + 0x20, &file, &line));
	assert_string_equal(file, "?");
	assert_int_equal(line, 0);
	assert_true(gopclntab_find_func(t, SYN_TEXT + 0x60, &f));
	assert_true(gopclntab_file_line(t, &f, SYN_TEXT + 0x65, &file, &line));
	assert_string_equal(file, "/go/runtime/c.go");
	assert_int_equal(line, 7);
	assert_null(gopclntab_file_name(t, &f, 0)); /* cutab entry ^0 */
	assert_null(gopclntab_file_name(t, &f, -1));
	assert_null(gopclntab_file_name(t, &f, 1000000));
	assert_string_equal(gopclntab_file_name(t, &f, 1), "/go/runtime/c.go");

	/* pcdata, funcdata, inline frames in main.b. */
	assert_true(gopclntab_find_func(t, SYN_TEXT + 0x2a, &f));
	int32_t v;
	assert_true(gopclntab_pcsp(t, &f, SYN_TEXT + 0x21, &v));
	assert_int_equal(v, 8);
	assert_false(gopclntab_pcdata(t, &f, GOPCLNTAB_PCDATA_UNSAFEPOINT, SYN_TEXT + 0x21, &v));
	assert_false(gopclntab_pcdata(t, &f, 3, SYN_TEXT + 0x21, &v));
	assert_true(gopclntab_pcdata(t, &f, GOPCLNTAB_PCDATA_INLTREEINDEX, SYN_TEXT + 0x2a, &v));
	assert_int_equal(v, 1);
	uint64_t addr;
	assert_false(gopclntab_funcdata(t, &f, GOPCLNTAB_FUNCDATA_ARGSPOINTERMAPS, &addr));
	assert_false(gopclntab_funcdata(t, &f, 4, &addr));
	assert_true(gopclntab_funcdata(t, &f, GOPCLNTAB_FUNCDATA_INLTREE, &addr));
	assert_int_equal(addr, SYN_GOFUNC + 0x100);

	struct gopclntab_inline_frame fr[8];
	size_t n = gopclntab_inline_frames(t, &f, SYN_TEXT + 0x2a, fr, 8);
	assert_int_equal(n, 3);
	assert_string_equal(fr[0].name, "runtime.c");
	assert_true(fr[0].inlined);
	assert_int_equal(fr[0].funcid, 7);
	assert_string_equal(fr[0].file, "/src/b.go");
	assert_int_equal(fr[0].line, 30);
	assert_string_equal(fr[1].name, "main.a");
	assert_true(fr[1].inlined);
	assert_int_equal(fr[1].line, 40);
	assert_string_equal(fr[2].name, "main.b");
	assert_false(fr[2].inlined);
	assert_string_equal(fr[2].file, "/src/a.go");
	assert_int_equal(fr[2].line, 20);
	/* Truncation: the innermost max frames. */
	n = gopclntab_inline_frames(t, &f, SYN_TEXT + 0x2a, fr, 2);
	assert_int_equal(n, 2);
	assert_string_equal(fr[1].name, "main.a");
	assert_int_equal(gopclntab_inline_frames(t, &f, SYN_TEXT + 0x2a, fr, 0), 0);
	/* Outside inlined bodies: only the physical frame. */
	n = gopclntab_inline_frames(t, &f, SYN_TEXT + 0x40, fr, 8);
	assert_int_equal(n, 1);
	assert_string_equal(fr[0].name, "main.b");
	assert_int_equal(fr[0].line, 21);
	/* No readable tree: the physical frame at pc. */
	mem.len = 0x100;
	n = gopclntab_inline_frames(t, &f, SYN_TEXT + 0x2a, fr, 8);
	assert_int_equal(n, 1);
	assert_string_equal(fr[0].name, "main.b");
	assert_int_equal(fr[0].line, 30);
	gopclntab_destroy(t);

	/* A cycle: inner1's parentPc points back into its own body. */
	mem.len = memory.len;
	size_t ppc = magic == GOPCLNTAB_MAGIC_120 ? 16 + 8 : 20 + 16;
	set_u32(&memory, 0x100 + ppc, 0x0a);
	t = syn_create(&b, &mem);
	assert_true(gopclntab_find_func(t, SYN_TEXT + 0x2a, &f));
	n = gopclntab_inline_frames(t, &f, SYN_TEXT + 0x2a, fr, 8);
	assert_true(n >= 1 && n <= 8);
	assert_false(fr[n - 1].inlined);
	gopclntab_destroy(t);

	/* Without gofunc (1.18+), funcdata is unknown. */
	if (magic != GOPCLNTAB_MAGIC_116) {
		struct gopclntab_config cfg = {.data = b.p, .size = b.len};
		assert_null(gopclntab_create(&cfg, &t));
		assert_true(gopclntab_find_func(t, SYN_TEXT + 0x2a, &f));
		assert_false(gopclntab_funcdata(t, &f, GOPCLNTAB_FUNCDATA_INLTREE, &addr));
		assert_int_equal(gopclntab_inline_frames(t, &f, SYN_TEXT + 0x2a, fr, 8), 1);
		gopclntab_destroy(t);
	}
	free(b.p);
	free(memory.p);
}

static void test_synthetic_116(void **state)
{
	(void)state;
	check_three(GOPCLNTAB_MAGIC_116);
}

static void test_synthetic_118(void **state)
{
	(void)state;
	check_three(GOPCLNTAB_MAGIC_118);
}

static void test_synthetic_120(void **state)
{
	(void)state;
	check_three(GOPCLNTAB_MAGIC_120);
}

static void expect_error(const uint8_t *p, size_t n, uint64_t text, enum gc_error_code code,
			 const char *needle)
{
	struct gopclntab_config cfg = {.data = p, .size = n, .text_start = text};
	struct gopclntab *t = NULL;
	struct gc_error *err = gopclntab_create(&cfg, &t);
	if (!err)
		fail_msg("gopclntab_create accepted a bad table (expected \"%s\")", needle);
	assert_int_equal(err->code, code);
	if (!strstr(err->message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err->message, needle);
	gc_error_destroy(err);
}

static void test_header_errors(void **state)
{
	(void)state;
	struct fake_mem mem;
	struct buf memory;
	struct buf b = build_three(GOPCLNTAB_MAGIC_120, &mem, &memory);
	uint8_t *p = b.p;

	expect_error(p, 7, 0, GC_ERR_FORMAT, "shorter");
	expect_error(p, 40, 0, GC_ERR_FORMAT, "shorter");
	memcpy(p, "\xfb\xff\xff\xff", 4);
	expect_error(p, b.len, 0, GC_ERR_UNSUPPORTED, "1.2-1.15");
	memcpy(p, "\xff\xff\xff\xf1", 4);
	expect_error(p, b.len, 0, GC_ERR_UNSUPPORTED, "big-endian");
	memcpy(p, "\x12\x34\x56\x78", 4);
	expect_error(p, b.len, 0, GC_ERR_FORMAT, "unknown magic");
	memcpy(p, "\xf1\xff\xff\xff", 4);
	p[5] = 1;
	expect_error(p, b.len, 0, GC_ERR_FORMAT, "pad");
	p[5] = 0;
	p[6] = 3;
	expect_error(p, b.len, 0, GC_ERR_FORMAT, "quantum");
	p[6] = 1;
	p[7] = 2;
	expect_error(p, b.len, 0, GC_ERR_FORMAT, "pointer size");
	p[7] = 8;

	/* Go 1.26: textStart 0 in the header. */
	uint64_t text;
	memcpy(&text, p + 24, 8);
	set_u64(&b, 24, 0);
	expect_error(p, b.len, 0, GC_ERR_FORMAT, "text start");
	struct gopclntab_config cfg = {.data = p, .size = b.len, .text_start = SYN_TEXT};
	struct gopclntab *t;
	assert_null(gopclntab_create(&cfg, &t));
	struct gopclntab_func f;
	assert_true(gopclntab_find_func(t, SYN_TEXT + 0x20, &f));
	assert_string_equal(f.name, "main.b");
	assert_int_equal(gopclntab_text_start(t), SYN_TEXT);
	gopclntab_destroy(t);
	/* A PIE core: the caller's text start overrides the header. */
	set_u64(&b, 24, text);
	cfg.text_start = 0x7f0000001000ULL;
	assert_null(gopclntab_create(&cfg, &t));
	assert_true(gopclntab_find_func(t, 0x7f0000001020ULL, &f));
	assert_string_equal(f.name, "main.b");
	assert_int_equal(f.entry, 0x7f0000001020ULL);
	gopclntab_destroy(t);

	/* Offsets and counts out of bounds. */
	uint64_t saved;
	memcpy(&saved, p + 64, 8);
	set_u64(&b, 64, b.len + 1);
	expect_error(p, b.len, 0, GC_ERR_FORMAT, "pclntable offset");
	set_u64(&b, 64, saved);
	memcpy(&saved, p + 8, 8);
	set_u64(&b, 8, UINT64_MAX / 4);
	expect_error(p, b.len, 0, GC_ERR_FORMAT, "functab");
	set_u64(&b, 8, 0);
	expect_error(p, b.len, 0, GC_ERR_FORMAT, "0 functions");
	set_u64(&b, 8, saved);

	struct gopclntab_offsets o;
	assert_null(gopclntab_create(&(struct gopclntab_config){.data = p, .size = b.len}, &t));
	gopclntab_header_offsets(t, &o);
	assert_true(o.funcname == 72 && o.cu > o.funcname && o.filetab > o.cu &&
		    o.pctab > o.filetab && o.pcln > o.pctab);
	gopclntab_destroy(t);
	free(b.p);
	free(memory.p);
}

static void test_scan(void **state)
{
	(void)state;
	struct fake_mem mem;
	struct buf memory;
	struct buf b = build_three(GOPCLNTAB_MAGIC_118, &mem, &memory);
	size_t junk = 1003;
	uint8_t *big = calloc(1, junk + b.len);
	assert_non_null(big);
	/* Decoys: a magic with a bad pad, one with ptrsize 3, one at the end. */
	memcpy(big + 10, "\xf0\xff\xff\xff\x01\x00\x01\x08", 8);
	memcpy(big + 100, "\xf1\xff\xff\xff\x00\x00\x01\x03", 8);
	memcpy(big + 200, "\xfa\xff\xff\xff\x00\x00\x01\x08", 8); /* offsets 0: nfunc 0 */
	memcpy(big + junk, b.p, b.len);
	assert_int_equal(gopclntab_scan(big, junk + b.len, 0), junk);
	assert_int_equal(gopclntab_scan(big, junk + b.len, junk), junk);
	assert_int_equal(gopclntab_scan(big, junk + b.len, junk + 1), (size_t)-1);
	/* The header's offsets and the functab must lie inside the buffer. */
	uint64_t pcln;
	memcpy(&pcln, b.p + 64, 8);
	assert_int_equal(gopclntab_scan(big, junk + pcln + 3 * 8 + 4, 0), junk);
	assert_int_equal(gopclntab_scan(big, junk + pcln + 3 * 8 + 3, 0), (size_t)-1);
	assert_int_equal(gopclntab_scan(big, junk + pcln - 1, 0), (size_t)-1);
	assert_int_equal(gopclntab_scan(big, 3, 0), (size_t)-1);
	assert_int_equal(gopclntab_scan(big, 0, 5), (size_t)-1);
	free(big);
	free(b.p);
	free(memory.p);
}

/* Mutates random bytes of synthetic tables and runs every query: no crash,
 * no hang (the ASan build checks the memory side). */
static void test_corrupt_tables(void **state)
{
	(void)state;
	static const uint32_t magics[] = {GOPCLNTAB_MAGIC_116, GOPCLNTAB_MAGIC_118,
					  GOPCLNTAB_MAGIC_120};
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	unsigned created = 0, found = 0;
	for (unsigned iter = 0; iter < 30000; iter++) {
		struct fake_mem mem;
		struct buf memory;
		struct buf b = build_three(magics[iter % 3], &mem, &memory);
		unsigned nmut = 1 + iter % 4;
		for (unsigned k = 0; k < nmut; k++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			/* Keep the magic mostly intact so the parser goes deep. */
			size_t pos = 8 + (size_t)(rng % (b.len - 8));
			if (rng >> 60 == 0)
				pos = (size_t)(rng % b.len);
			b.p[pos] = (uint8_t)(rng >> 40);
			/* Also corrupt the inline tree sometimes. */
			if ((rng >> 20) % 3 == 0)
				memory.p[0x100 + (rng >> 8) % 36] = (uint8_t)(rng >> 32);
		}
		/* Sometimes cut the table short. */
		size_t size = b.len;
		if (iter % 7 == 0)
			size = (size_t)((rng >> 16) % b.len);
		uint8_t *copy = malloc(size ? size : 1);
		memcpy(copy, b.p, size);
		struct gopclntab_config cfg = {.data = copy, .size = size, .addr = SYN_ADDR,
					       .gofunc = SYN_GOFUNC, .read = fake_read,
					       .read_ctx = &mem};
		struct gopclntab *t = NULL;
		struct gc_error *err = gopclntab_create(&cfg, &t);
		if (err) {
			gc_error_destroy(err);
		} else {
			created++;
			uint64_t lo, hi;
			gopclntab_pc_range(t, &lo, &hi);
			for (uint64_t pc = SYN_TEXT - 2; pc < SYN_TEXT + 0x72; pc += 3) {
				struct gopclntab_func f;
				if (!gopclntab_find_func(t, pc, &f))
					continue;
				found++;
				const char *file;
				int32_t line, v;
				uint64_t addr;
				gopclntab_file_line(t, &f, pc, &file, &line);
				assert_non_null(file);
				gopclntab_pcsp(t, &f, pc, &v);
				for (uint32_t i = 0; i < 5; i++) {
					gopclntab_pcdata(t, &f, i, pc, &v);
					gopclntab_funcdata(t, &f, i, &addr);
				}
				struct gopclntab_inline_frame fr[16];
				size_t n = gopclntab_inline_frames(t, &f, pc, fr, 16);
				assert_true(n >= 1 && n <= 16);
				for (size_t i = 0; i < n; i++)
					assert_true(fr[i].name && fr[i].file);
				gopclntab_file_name(t, &f, (int32_t)(rng % 5) - 1);
			}
			struct gopclntab_func f;
			gopclntab_find_func_by_name(t, "main.b", &f);
			for (uint64_t i = 0; i < 4; i++)
				gopclntab_func_at(t, i, &f);
			gopclntab_destroy(t);
		}
		gopclntab_scan(copy, size, 0);
		free(copy);
		free(b.p);
		free(memory.p);
	}
	print_message("corrupt tables: %u of 30000 accepted, %u lookups succeeded\n", created,
		      found);
	assert_true(created > 1000);
}

/* A real Go binary: testdata/pclntab built by the Go toolchain */

struct exe {
	int fd;
	Elf *elf;
	uint8_t *image; /* the whole file */
	size_t image_size;
	uint8_t *pclntab;
	size_t pclntab_size;
	uint64_t pclntab_addr;
	uint64_t gofunc;
	uint64_t text; /* runtime.text */
	GElf_Phdr phdr[32];
	size_t nphdr;
	struct sym {
		uint64_t value, size;
		char *name;
	} *syms;
	size_t nsyms;
	char path[4096];
};

static bool exe_read(void *ctx, uint64_t addr, void *out, size_t len)
{
	const struct exe *e = ctx;
	for (size_t i = 0; i < e->nphdr; i++) {
		const GElf_Phdr *ph = &e->phdr[i];
		if (ph->p_type != PT_LOAD || addr < ph->p_vaddr ||
		    addr - ph->p_vaddr > ph->p_filesz || len > ph->p_filesz - (addr - ph->p_vaddr))
			continue;
		uint64_t off = ph->p_offset + (addr - ph->p_vaddr);
		if (off > e->image_size || len > e->image_size - off)
			return false;
		memcpy(out, e->image + off, len);
		return true;
	}
	return false;
}

static void exe_open(struct exe *e, const char *name)
{
	memset(e, 0, sizeof(*e));
	const char *dir = getenv("GOCORE_FIXTURES");
	if (!dir || !*dir)
		fail_msg("GOCORE_FIXTURES is not set; run `make unit` (it builds testdata/%s "
			 "into $GOCORE_FIXTURES/%s)",
			 name, name);
	snprintf(e->path, sizeof(e->path), "%s/%s", dir, name);
	e->fd = open(e->path, O_RDONLY);
	if (e->fd < 0)
		fail_msg("fixture %s is missing: build it with `make unit` "
			 "(or `make %s`)", e->path, e->path);
	struct stat st;
	assert_int_equal(fstat(e->fd, &st), 0);
	e->image_size = (size_t)st.st_size;
	e->image = malloc(e->image_size);
	assert_non_null(e->image);
	assert_int_equal(pread(e->fd, e->image, e->image_size, 0), (ssize_t)e->image_size);

	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	e->elf = elf_memory((char *)e->image, e->image_size);
	assert_non_null(e->elf);
	assert_int_equal(elf_getphdrnum(e->elf, &e->nphdr), 0);
	assert_true(e->nphdr <= 32);
	for (size_t i = 0; i < e->nphdr; i++)
		assert_non_null(gelf_getphdr(e->elf, (int)i, &e->phdr[i]));
	size_t shstrndx;
	assert_int_equal(elf_getshdrstrndx(e->elf, &shstrndx), 0);
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e->elf, scn))) {
		GElf_Shdr sh;
		assert_non_null(gelf_getshdr(scn, &sh));
		const char *sname = elf_strptr(e->elf, shstrndx, sh.sh_name);
		if (sname && strcmp(sname, ".gopclntab") == 0) {
			assert_true(sh.sh_offset + sh.sh_size <= e->image_size);
			e->pclntab = e->image + sh.sh_offset;
			e->pclntab_size = sh.sh_size;
			e->pclntab_addr = sh.sh_addr;
		}
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = sh.sh_size / sh.sh_entsize;
		e->syms = calloc(n, sizeof(*e->syms));
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			assert_non_null(gelf_getsym(d, (int)i, &sym));
			const char *sn = elf_strptr(e->elf, sh.sh_link, sym.st_name);
			if (!sn)
				continue;
			if (strcmp(sn, "go.func.*") == 0 || strcmp(sn, "go:func.*") == 0)
				e->gofunc = sym.st_value;
			if (strcmp(sn, "runtime.text") == 0)
				e->text = sym.st_value;
			if (GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_size > 0) {
				e->syms[e->nsyms++] = (struct sym){sym.st_value, sym.st_size,
								   strdup(sn)};
			}
		}
	}
	if (!e->pclntab)
		fail_msg("%s has no .gopclntab section", e->path);
	assert_true(e->nsyms > 0);
	assert_int_not_equal(e->gofunc, 0);
}

static void exe_close(struct exe *e)
{
	for (size_t i = 0; i < e->nsyms; i++)
		free(e->syms[i].name);
	free(e->syms);
	elf_end(e->elf);
	free(e->image);
	close(e->fd);
}

static struct gopclntab *exe_table(struct exe *e)
{
	struct gopclntab_config cfg = {
		.data = e->pclntab,
		.size = e->pclntab_size,
		.addr = e->pclntab_addr,
		.gofunc = e->gofunc,
		.read = exe_read,
		.read_ctx = e,
	};
	struct gopclntab *t = NULL;
	struct gc_error *err = gopclntab_create(&cfg, &t);
	if (err)
		fail_msg("%s: %s", e->path, err->message);
	return t;
}

/* The name funcnametab holds for an ELF symbol name: cmd/link (pcln.go
 * nameParts) writes everything between the first '[' and the last ']' as
 * "...", and the ELF symbol table suffixes ABI0 (assembly) symbols with
 * ".abi0" (mangleABIName). */
static void pclntab_name(const char *elf_name, char *out, size_t size)
{
	size_t len = strlen(elf_name);
	if (len > 5 && strcmp(elf_name + len - 5, ".abi0") == 0)
		len -= 5;
	const char *open = memchr(elf_name, '[', len), *close = NULL;
	for (const char *p = elf_name + len; open && p > open; p--) {
		if (p[-1] == ']') {
			close = p - 1;
			break;
		}
	}
	if (!open || !close || close <= open) {
		snprintf(out, size, "%.*s", (int)len, elf_name);
		return;
	}
	snprintf(out, size, "%.*s[...]%.*s", (int)(open - elf_name), elf_name,
		 (int)(elf_name + len - close - 1), close + 1);
}

static void test_real_symbols(void **state)
{
	(void)state;
	struct exe e;
	exe_open(&e, "pclntab");
	struct gopclntab *t = exe_table(&e);
	uint32_t magic = gopclntab_magic(t);
	assert_true(magic == GOPCLNTAB_MAGIC_116 || magic == GOPCLNTAB_MAGIC_118 ||
		    magic == GOPCLNTAB_MAGIC_120);
	assert_int_equal(gopclntab_text_start(t), e.text);
	assert_int_equal(gopclntab_scan(e.pclntab, e.pclntab_size, 0), 0);
	uint64_t lo, hi;
	gopclntab_pc_range(t, &lo, &hi);

	/* Every function record, in order, found again by its entry and last
	 * byte. */
	uint64_t nfunc = gopclntab_nfunc(t), prev_end = 0;
	for (uint64_t i = 0; i < nfunc; i++) {
		struct gopclntab_func f, g;
		if (!gopclntab_func_at(t, i, &f))
			fail_msg("func_at(%llu) failed", (unsigned long long)i);
		assert_true(f.entry >= prev_end && f.end > f.entry);
		prev_end = f.end;
		assert_true(gopclntab_find_func(t, f.entry, &g));
		assert_int_equal(g.entry, f.entry);
		assert_true(gopclntab_find_func(t, f.end - 1, &g));
		assert_int_equal(g.entry, f.entry);
		assert_string_not_equal(f.name, "?");
	}

	/* Every sized STT_FUNC symbol in the table's range: same entry and
	 * name, and its last byte in the same function. */
	size_t checked = 0;
	for (size_t i = 0; i < e.nsyms; i++) {
		const struct sym *s = &e.syms[i];
		if (s->value < lo || s->value >= hi)
			continue;
		struct gopclntab_func f;
		if (!gopclntab_find_func(t, s->value, &f))
			fail_msg("symbol %s at 0x%llx: no function", s->name,
				 (unsigned long long)s->value);
		char want[4096];
		pclntab_name(s->name, want, sizeof(want));
		if (f.entry != s->value || strcmp(f.name, want) != 0)
			fail_msg("symbol %s at 0x%llx: found %s at 0x%llx", s->name,
				 (unsigned long long)s->value, f.name,
				 (unsigned long long)f.entry);
		assert_true(s->value + s->size <= f.end);
		checked++;
	}
	print_message("%llu functions; %zu ELF function symbols matched by entry and name\n",
		      (unsigned long long)nfunc, checked);
	assert_true(checked > 1000);

	/* The generic instantiation and the closure of the fixture. */
	struct gopclntab_func f;
	assert_true(gopclntab_find_func_by_name(t, "main.makeAdder.func1", &f));
	assert_true(gopclntab_find_func_by_name(t, "main.(*point).scale", &f));
	bool generic = false;
	for (uint64_t i = 0; i < nfunc; i++) {
		if (gopclntab_func_at(t, i, &f) && strncmp(f.name, "main.Sum[", 9) == 0)
			generic = true;
	}
	assert_true(generic);

	/* Lookup speed (informational). */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t x = 88172645463325252ULL, hits = 0, iters = 5000000;
	for (uint64_t i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		hits += gopclntab_find_func(t, lo + x % (hi - lo), &f);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("%llu random find_func: %.0f ns each\n", (unsigned long long)iters,
		      secs / (double)iters * 1e9);
	assert_int_equal(hits, iters);

	gopclntab_destroy(t);
	exe_close(&e);
}

/* Runs `go tool addr2line` on pcs and stores name and "file:line" for each. */
static void addr2line(const char *exe, const uint64_t *pcs, size_t n, char **names,
		      char **lines)
{
	char in[] = "/tmp/gopclntab_test_XXXXXX";
	int fd = mkstemp(in);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "0x%llx\n", (unsigned long long)pcs[i]);
	fclose(f);
	char cmd[8400];
	snprintf(cmd, sizeof(cmd), "go tool addr2line '%s' < '%s'", exe, in);
	FILE *p = popen(cmd, "r");
	if (!p)
		fail_msg("cannot run %s", cmd);
	char buf[4096];
	size_t i = 0;
	while (i < n && fgets(buf, sizeof(buf), p)) {
		buf[strcspn(buf, "\n")] = 0;
		names[i] = strdup(buf);
		if (!fgets(buf, sizeof(buf), p))
			break;
		buf[strcspn(buf, "\n")] = 0;
		lines[i] = strdup(buf);
		i++;
	}
	int rc = pclose(p);
	unlink(in);
	if (rc != 0 || i != n)
		fail_msg("`%s` failed (exit %d) after %zu of %zu answers", cmd, rc, i, n);
}

/* The line of the fixture source holding marker. */
static int32_t marker_line(const char *file, const char *marker)
{
	FILE *f = fopen(file, "r");
	if (!f)
		fail_msg("cannot open the fixture source %s", file);
	char buf[1024];
	int32_t line = 0, found = 0;
	while (fgets(buf, sizeof(buf), f)) {
		line++;
		if (strstr(buf, marker)) {
			found = line;
			break;
		}
	}
	fclose(f);
	if (!found)
		fail_msg("%s: no line with %s", file, marker);
	return found;
}

static void test_real_addr2line(void **state)
{
	(void)state;
	struct exe e;
	exe_open(&e, "pclntab");
	struct gopclntab *t = exe_table(&e);

	/* Three PCs per function (entry, middle, last byte) plus every PC of
	 * main.caller (it holds the inlined call). */
	uint64_t nfunc = gopclntab_nfunc(t);
	size_t cap = (size_t)nfunc * 3 + 4096, n = 0;
	uint64_t *pcs = malloc(cap * sizeof(*pcs));
	struct gopclntab_func f;
	for (uint64_t i = 0; i < nfunc; i++) {
		assert_true(gopclntab_func_at(t, i, &f));
		pcs[n++] = f.entry;
		pcs[n++] = f.entry + (f.end - f.entry) / 2;
		pcs[n++] = f.end - 1;
	}
	/* The last instruction byte of every ELF function symbol (end - 1
	 * is usually padding that no table covers). */
	cap += e.nsyms;
	pcs = realloc(pcs, cap * sizeof(*pcs));
	uint64_t lo, hi;
	gopclntab_pc_range(t, &lo, &hi);
	for (size_t i = 0; i < e.nsyms; i++) {
		if (e.syms[i].value >= lo && e.syms[i].value < hi)
			pcs[n++] = e.syms[i].value + e.syms[i].size - 1;
	}
	assert_true(gopclntab_find_func_by_name(t, "main.caller", &f));
	for (uint64_t pc = f.entry; pc < f.end && n < cap; pc++)
		pcs[n++] = pc;
	char **names = calloc(n, sizeof(char *)), **lines = calloc(n, sizeof(char *));
	addr2line(e.path, pcs, n, names, lines);

	size_t with_line = 0;
	for (size_t i = 0; i < n; i++) {
		struct gopclntab_func g;
		assert_true(gopclntab_find_func(t, pcs[i], &g));
		const char *file;
		int32_t line;
		char ours[4200];
		if (gopclntab_file_line(t, &g, pcs[i], &file, &line)) {
			with_line++;
			snprintf(ours, sizeof(ours), "%s:%d", file, line);
		} else {
			/* debug/gosym reports a PC its tables do not cover (the
			 * padding after a function's last instruction) as
			 * file "" and line -1. */
			snprintf(ours, sizeof(ours), ":-1");
		}
		if (strcmp(names[i], g.name) != 0 || strcmp(lines[i], ours) != 0)
			fail_msg("pc 0x%llx: addr2line says %s %s, we say %s %s",
				 (unsigned long long)pcs[i], names[i], lines[i], g.name, ours);
	}
	print_message("%zu PCs agree with go tool addr2line (%zu with a file:line)\n", n,
		      with_line);

	/* The inlined call small() in caller(): the innermost frame's
	 * file:line is addr2line's; the physical frame is at the call site. */
	size_t inlined_pcs = 0;
	const char *src = NULL;
	for (size_t i = 0; i < n; i++) {
		if (pcs[i] < f.entry || pcs[i] >= f.end)
			continue;
		struct gopclntab_inline_frame fr[8];
		size_t k = gopclntab_inline_frames(t, &f, pcs[i], fr, 8);
		assert_true(k >= 1);
		assert_false(fr[k - 1].inlined);
		assert_string_equal(fr[k - 1].name, "main.caller");
		char inner[4200];
		if (fr[0].line)
			snprintf(inner, sizeof(inner), "%s:%d", fr[0].file, fr[0].line);
		else
			snprintf(inner, sizeof(inner), ":-1");
		assert_string_equal(inner, lines[i]);
		if (k == 1)
			continue;
		inlined_pcs++;
		assert_int_equal(k, 2);
		assert_true(fr[0].inlined);
		assert_string_equal(fr[0].name, "main.small");
		src = fr[1].file;
		assert_int_equal(fr[1].line, marker_line(src, "MARK:call-site"));
		int32_t body = marker_line(src, "MARK:inlined-body");
		assert_true(fr[0].line == body || fr[0].line == body + 1);
	}
	print_message("%zu PCs of main.caller are in the inlined main.small\n", inlined_pcs);
	assert_true(inlined_pcs > 0);

	for (size_t i = 0; i < n; i++) {
		free(names[i]);
		free(lines[i]);
	}
	free(names);
	free(lines);
	free(pcs);
	gopclntab_destroy(t);
	exe_close(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcvalue_basic),
		cmocka_unit_test(test_pcvalue_first_zero),
		cmocka_unit_test(test_pcvalue_negative_multibyte),
		cmocka_unit_test(test_pcvalue_quantum4),
		cmocka_unit_test(test_pcvalue_truncated),
		cmocka_unit_test(test_pcvalue_unterminated),
		cmocka_unit_test(test_synthetic_116),
		cmocka_unit_test(test_synthetic_118),
		cmocka_unit_test(test_synthetic_120),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_corrupt_tables),
		cmocka_unit_test(test_real_symbols),
		cmocka_unit_test(test_real_addr2line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
