/* libFuzzer target: the pc-line table (gopclntab/) over the input as table
 * bytes, then lookups: find_func, pcsp, file/line, pcdata, funcdata, inline
 * frames.
 *
 * The input is the table itself (seeds: real .gopclntab sections, cut).  It
 * is mapped at TABLE_ADDR; the read callback (funcdata, inline trees) reads
 * the same bytes there, with gofunc = TABLE_ADDR, so funcdata offsets land in
 * the input.  text_start is the header's textStart (1.18-1.25) or, when that
 * is 0 (1.26+, and anything the fuzzer makes), a fixed nonzero address, so
 * every header format is accepted. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../common/bytes.h"
#include "../gopclntab/gopclntab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TABLE_ADDR 0x4e0000ULL
#define DEFAULT_TEXT 0x401000ULL

struct mem {
	const uint8_t *data;
	size_t size;
};

static bool mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct mem *m = ctx;
	if (addr < TABLE_ADDR || !gc_in_bounds(m->size, addr - TABLE_ADDR, len))
		return false;
	memcpy(buf, m->data + (addr - TABLE_ADDR), len);
	return true;
}

static volatile size_t sink;

static void probe(const struct gopclntab *t, uint64_t pc)
{
	struct gopclntab_func f;
	if (!gopclntab_find_func(t, pc, &f))
		return;
	sink += strlen(f.name);
	int32_t v;
	const char *file;
	(void)gopclntab_pcsp(t, &f, pc, &v);
	if (gopclntab_file_line(t, &f, pc, &file, &v))
		sink += strlen(file);
	for (uint32_t i = 0; i < 4; i++)
		(void)gopclntab_pcdata(t, &f, i, pc, &v);
	(void)gopclntab_pcdata(t, &f, f.npcdata, pc, &v);
	(void)gopclntab_pcdata(t, &f, UINT32_MAX, pc, &v);
	uint64_t a;
	for (uint32_t i = 0; i < 8; i++)
		(void)gopclntab_funcdata(t, &f, i, &a);
	(void)gopclntab_funcdata(t, &f, UINT32_MAX, &a);
	(void)gopclntab_pcvalue(t, &f, f.pcsp, pc, &v);
	(void)gopclntab_pcvalue(t, &f, UINT32_MAX, pc, &v);
	for (int32_t i = -1; i < 3; i++) {
		const char *n = gopclntab_file_name(t, &f, i);
		if (n)
			sink += strlen(n);
	}
	struct gopclntab_inline_frame frames[16];
	size_t n = gopclntab_inline_frames(t, &f, pc, frames, 16);
	for (size_t i = 0; i < n; i++)
		sink += strlen(frames[i].name) + strlen(frames[i].file);
	(void)gopclntab_inline_frames(t, &f, pc, frames, 1);
	(void)gopclntab_inline_frames(t, &f, pc, frames, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* gopclntab_scan has the same checks as create; run it on the input too. */
	(void)gopclntab_scan(data, size, 0);
	(void)gopclntab_scan(data, size, size > 8 ? 8 : 0);

	uint64_t text = 0;
	(void)gc_get_u64(data, size, 24, &text);
	struct mem m = {data, size};
	struct gopclntab_config cfg = {
		.data = data, .size = size, .addr = TABLE_ADDR,
		.text_start = text ? text : DEFAULT_TEXT,
		.gofunc = TABLE_ADDR, .read = mem_read, .read_ctx = &m,
	};
	struct gopclntab *t = NULL;
	struct gc_error *err = gopclntab_create(&cfg, &t);
	if (err) {
		gc_error_destroy(err);
		return 0;
	}
	sink += gopclntab_magic(t) + gopclntab_quantum(t) + gopclntab_text_start(t);
	struct gopclntab_offsets off;
	gopclntab_header_offsets(t, &off);
	uint64_t lo, hi, nfunc = gopclntab_nfunc(t);
	gopclntab_pc_range(t, &lo, &hi);

	probe(t, lo);
	probe(t, hi - 1);
	probe(t, hi);
	probe(t, lo + (hi - lo) / 2);
	/* PCs taken from the input's last bytes, and inside the first, last and
	 * a few middle functions (at their entry and a few bytes in, where the
	 * pc-value tables and inline trees have something to say). */
	uint64_t x = 0;
	if (size >= 8)
		(void)gc_get_u64(data, size, size - 8, &x);
	if (hi > lo)
		probe(t, lo + x % (hi - lo));
	uint64_t idx[] = {0, 1, nfunc / 3, nfunc / 2, nfunc - 1, nfunc, x % (nfunc + 1)};
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		struct gopclntab_func f;
		if (!gopclntab_func_at(t, idx[i], &f))
			continue;
		probe(t, f.entry);
		probe(t, f.entry + 1 + (x >> 8) % 64);
		if (f.end > f.entry)
			probe(t, f.end - 1);
		if (i == 2) {
			struct gopclntab_func g;
			(void)gopclntab_find_func_by_name(t, f.name, &g);
		}
	}
	/* A sweep over the functions, bounded for speed. */
	for (uint64_t i = 0; i < nfunc && i < 64; i++) {
		struct gopclntab_func f;
		if (gopclntab_func_at(t, i * (nfunc / 64 + 1), &f))
			probe(t, f.entry + (x >> (i % 32)) % 32);
	}
	(void)gopclntab_find_func_by_name(t, "runtime.main", &(struct gopclntab_func){0});
	gopclntab_destroy(t);
	return 0;
}
