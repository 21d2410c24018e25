/* The Go pc-line table: header, functab lookup, _func records, pc-value
 * tables, file/line and inline trees.
 *
 * Layout facts: ../shared/reference/go-runtime-facts.md §1, runtime/symtab.go
 * (pcHeader, findfunc, pcvalue, step, funcline1, funcdata),
 * runtime/runtime2.go (_func), runtime/traceback.go (inline expansion),
 * cmd/link/internal/ld/pcln.go (what the linker writes).
 *
 * Every byte of the table is read through common/bytes.h; offsets and counts
 * from the table are untrusted and combined with overflow checks.
 */
#include "gopclntab.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../common/bytes.h"

/* A walk of the inline tree never takes more steps than this, whatever the
 * tree says; Go's inliner nests far less deeply. */
#define INLINE_WALK_LIMIT 256
/* The runtime views an inline tree as [1 << 20]inlinedCall. */
#define INLTREE_MAX_INDEX (1 << 20)
/* Direct-mapped cache of pc -> functab index, for the many lookups of the
 * same return addresses a dump of many goroutines makes. */
#define PCV_CACHE_BITS 16
#define FIND_CACHE_BITS 12

struct gopclntab {
	const uint8_t *data;
	size_t size;
	uint64_t addr;
	uint32_t magic;
	uint8_t quantum;
	uint8_t ptrsize;
	uint64_t nfunc;
	uint64_t nfiles;
	uint64_t text_start;
	uint64_t header_text_start;
	struct gopclntab_offsets off;
	/* End of the pctab region, for bounding pc-value decoding. */
	uint64_t pctab_end;
	/* functab: entry size and the offset of the trailing end entry. */
	uint64_t ftab_entsize;
	uint64_t ftab_end_off;
	uint64_t gofunc;
	gopclntab_read_fn *read;
	void *read_ctx;
	/* [min_pc, max_pc) of the functab. */
	uint64_t min_pc, max_pc;
	/* find_func cache: each slot is (pc - min_pc) << 32 | (index + 1), 0
	 * when empty; one word, so concurrent lookups need no lock. */
	_Atomic uint64_t *find_cache;
	/* pc-value cache, as the runtime's pcvalueCache but shared by all
	 * lookups: two words a slot, key = off << 32 | (pc - min_pc) and
	 * check << 32 | value, where check is a hash of the key, so a slot
	 * torn by concurrent writers reads as a miss. */
	_Atomic uint64_t (*pcv_cache)[2];
	/* Decoded _func records by functab index, filled as find_func meets
	 * them: funcs_ok[i] is 2 while one thread writes funcs[i], 1 (release
	 * order) once it is written. */
	struct gopclntab_func *funcs;
	_Atomic uint8_t *funcs_ok;
	/* _func field offsets for this format. */
	uint32_t fn_nameoff, fn_args, fn_deferreturn, fn_pcsp, fn_pcfile, fn_pcln,
		fn_npcdata, fn_cuoffset, fn_startline, fn_funcid, fn_size;
	/* inlinedCall layout. */
	uint32_t inl_size, inl_funcid, inl_name, inl_parentpc;
};

static bool is_116(const struct gopclntab *t)
{
	return t->magic == GOPCLNTAB_MAGIC_116;
}

static bool get_uintptr(const struct gopclntab *t, uint64_t off, uint64_t *ret)
{
	if (t->ptrsize == 8)
		return gc_get_u64(t->data, t->size, off, ret);
	uint32_t v;
	if (!gc_get_u32(t->data, t->size, off, &v))
		return false;
	*ret = v;
	return true;
}

static bool mul_u64(uint64_t a, uint64_t b, uint64_t *ret)
{
	return !__builtin_mul_overflow(a, b, ret);
}

/* The NUL-terminated string at off, or NULL when off is outside the table or
 * the string runs past its end. */
static const char *table_string(const struct gopclntab *t, uint64_t off)
{
	if (off >= t->size)
		return NULL;
	const uint8_t *s = t->data + off;
	if (!memchr(s, 0, t->size - off))
		return NULL;
	return (const char *)s;
}

static const char *funcname_at(const struct gopclntab *t, int64_t nameoff)
{
	uint64_t off;
	if (nameoff < 0 || !gc_add_u64(t->off.funcname, (uint64_t)nameoff, &off))
		return NULL;
	return table_string(t, off);
}

/* Header parsing */

static bool plausible_quantum(uint8_t q)
{
	return q == 1 || q == 2 || q == 4;
}

static bool plausible_ptrsize(uint8_t p)
{
	return p == 4 || p == 8;
}

static void set_layout(struct gopclntab *t)
{
	uint32_t ps = t->ptrsize;
	switch (t->magic) {
	case GOPCLNTAB_MAGIC_116:
		/* runtime2.go (1.16/1.17): entry uintptr, then int32s. */
		t->fn_nameoff = ps;
		t->fn_args = ps + 4;
		t->fn_deferreturn = ps + 8;
		t->fn_pcsp = ps + 12;
		t->fn_pcfile = ps + 16;
		t->fn_pcln = ps + 20;
		t->fn_npcdata = ps + 24;
		t->fn_cuoffset = ps + 28;
		t->fn_startline = 0;
		t->fn_funcid = ps + 32;
		t->fn_size = ps + 36;
		t->ftab_entsize = 2 * (uint64_t)ps;
		break;
	case GOPCLNTAB_MAGIC_118:
		t->fn_nameoff = 4;
		t->fn_args = 8;
		t->fn_deferreturn = 12;
		t->fn_pcsp = 16;
		t->fn_pcfile = 20;
		t->fn_pcln = 24;
		t->fn_npcdata = 28;
		t->fn_cuoffset = 32;
		t->fn_startline = 0;
		t->fn_funcid = 36;
		t->fn_size = 40;
		t->ftab_entsize = 8;
		break;
	default: /* GOPCLNTAB_MAGIC_120 */
		t->fn_nameoff = 4;
		t->fn_args = 8;
		t->fn_deferreturn = 12;
		t->fn_pcsp = 16;
		t->fn_pcfile = 20;
		t->fn_pcln = 24;
		t->fn_npcdata = 28;
		t->fn_cuoffset = 32;
		t->fn_startline = 36;
		t->fn_funcid = 40;
		t->fn_size = 44;
		t->ftab_entsize = 8;
		break;
	}
	if (t->magic == GOPCLNTAB_MAGIC_120) {
		/* 1.20+: {funcID u8, _ [3]byte, nameOff, parentPc, startLine} */
		t->inl_size = 16;
		t->inl_funcid = 0;
		t->inl_name = 4;
		t->inl_parentpc = 8;
	} else {
		/* 1.16-1.19: {parent i16, funcID u8, _, file, line, func_,
		 * parentPc} */
		t->inl_size = 20;
		t->inl_funcid = 2;
		t->inl_name = 12;
		t->inl_parentpc = 16;
	}
}

/* Reads the fixed header at off of buf into t (data, size and magic are
 * those of buf).  Returns NULL or a GC_ERR_FORMAT message. */
static struct gc_error *parse_header(const uint8_t *buf, size_t size, struct gopclntab *t)
{
	uint32_t magic;
	uint8_t pad1, pad2, quantum, ptrsize;
	if (!gc_get_u32(buf, size, 0, &magic) || !gc_get_u8(buf, size, 4, &pad1) ||
	    !gc_get_u8(buf, size, 5, &pad2) || !gc_get_u8(buf, size, 6, &quantum) ||
	    !gc_get_u8(buf, size, 7, &ptrsize))
		return gc_error_create(GC_ERR_FORMAT,
				       "pclntab: table of %zu bytes is shorter than its 8-byte header",
				       size);
	switch (magic) {
	case GOPCLNTAB_MAGIC_116:
	case GOPCLNTAB_MAGIC_118:
	case GOPCLNTAB_MAGIC_120:
		break;
	case 0xfffffffb:
		return gc_error_create(GC_ERR_UNSUPPORTED,
				       "pclntab: magic 0xfffffffb is the Go 1.2-1.15 format, which is not supported");
	case 0xfaffffff:
	case 0xf0ffffff:
	case 0xf1ffffff:
	case 0xfbffffff:
		return gc_error_create(GC_ERR_UNSUPPORTED,
				       "pclntab: magic 0x%08x is a big-endian table, which is not supported",
				       magic);
	default:
		return gc_error_create(GC_ERR_FORMAT, "pclntab: unknown magic 0x%08x", magic);
	}
	if (pad1 || pad2)
		return gc_error_create(GC_ERR_FORMAT,
				       "pclntab: header pad bytes are 0x%02x 0x%02x, not 0",
				       pad1, pad2);
	if (!plausible_quantum(quantum))
		return gc_error_create(GC_ERR_FORMAT,
				       "pclntab: pc quantum (minLC) %u is not 1, 2 or 4", quantum);
	if (!plausible_ptrsize(ptrsize))
		return gc_error_create(GC_ERR_FORMAT,
				       "pclntab: pointer size %u is not 4 or 8", ptrsize);

	t->data = buf;
	t->size = size;
	t->magic = magic;
	t->quantum = quantum;
	t->ptrsize = ptrsize;
	set_layout(t);

	/* 1.16: nfunc, nfiles, then five offsets; 1.18+: textStart between. */
	uint64_t fields[8];
	unsigned nfields = magic == GOPCLNTAB_MAGIC_116 ? 7 : 8;
	for (unsigned i = 0; i < nfields; i++) {
		if (!get_uintptr(t, 8 + (uint64_t)i * ptrsize, &fields[i]))
			return gc_error_create(GC_ERR_FORMAT,
					       "pclntab: table of %zu bytes is shorter than its %u-byte header",
					       size, 8 + nfields * ptrsize);
	}
	unsigned k = 0;
	t->nfunc = fields[k++];
	t->nfiles = fields[k++];
	t->header_text_start = nfields == 8 ? fields[k++] : 0;
	t->off.funcname = fields[k++];
	t->off.cu = fields[k++];
	t->off.filetab = fields[k++];
	t->off.pctab = fields[k++];
	t->off.pcln = fields[k++];

	const uint64_t offs[] = {t->off.funcname, t->off.cu, t->off.filetab, t->off.pctab,
				 t->off.pcln};
	static const char *const names[] = {"funcnametab", "cutab", "filetab", "pctab",
					    "pclntable"};
	for (unsigned i = 0; i < 5; i++) {
		if (offs[i] > size)
			return gc_error_create(GC_ERR_FORMAT,
					       "pclntab: %s offset 0x%llx is past the table end (0x%zx)",
					       names[i], (unsigned long long)offs[i], size);
	}
	if (t->nfunc == 0)
		return gc_error_create(GC_ERR_FORMAT, "pclntab: header says 0 functions");

	/* functab: nfunc entries and a trailing end PC (uintptr in 1.16,
	 * uint32 offset in 1.18+). */
	uint64_t ftab_len, ftab_end;
	uint64_t end_size = magic == GOPCLNTAB_MAGIC_116 ? ptrsize : 4;
	if (!mul_u64(t->nfunc, t->ftab_entsize, &ftab_len) ||
	    !gc_add_u64(t->off.pcln, ftab_len, &t->ftab_end_off) ||
	    !gc_add_u64(t->ftab_end_off, end_size, &ftab_end) || ftab_end > size)
		return gc_error_create(GC_ERR_FORMAT,
				       "pclntab: functab of %llu functions at offset 0x%llx runs past the table end (0x%zx)",
				       (unsigned long long)t->nfunc,
				       (unsigned long long)t->off.pcln, size);

	/* The linker lays out pctab just before pclntable; bound pc-value
	 * decoding by that when the header agrees. */
	t->pctab_end = t->off.pcln > t->off.pctab ? t->off.pcln : size;
	return NULL;
}

/* functab access */

/* Entry PC of functab slot i (i == nfunc: the end PC). */
static bool ftab_entry(const struct gopclntab *t, uint64_t i, uint64_t *ret)
{
	uint64_t off = i == t->nfunc ? t->ftab_end_off : t->off.pcln + i * t->ftab_entsize;
	if (is_116(t))
		return get_uintptr(t, off, ret);
	uint32_t v;
	if (!gc_get_u32(t->data, t->size, off, &v))
		return false;
	return gc_add_u64(t->text_start, v, ret);
}

/* funcoff of functab slot i < nfunc; false for a 1.17 "hole" entry. */
static bool ftab_funcoff(const struct gopclntab *t, uint64_t i, uint64_t *ret)
{
	uint64_t off = t->off.pcln + i * t->ftab_entsize;
	if (is_116(t)) {
		uint64_t v;
		if (!get_uintptr(t, off + t->ptrsize, &v))
			return false;
		uint64_t hole = t->ptrsize == 8 ? UINT64_MAX : UINT32_MAX;
		if (v == hole)
			return false;
		*ret = v;
		return true;
	}
	uint32_t v;
	if (!gc_get_u32(t->data, t->size, off + 4, &v))
		return false;
	*ret = v;
	return true;
}

struct gc_error *gopclntab_create(const struct gopclntab_config *config,
				  struct gopclntab **ret)
{
	if (!config->data && config->size)
		return gc_error_create(GC_ERR_FORMAT, "pclntab: no table bytes");
	struct gopclntab *t = calloc(1, sizeof(*t));
	if (!t)
		return &gc_error_nomem;
	struct gc_error *err = parse_header(config->data, config->size, t);
	if (err) {
		free(t);
		return err;
	}
	t->addr = config->addr;
	t->gofunc = config->gofunc;
	t->read = config->read;
	t->read_ctx = config->read_ctx;
	if (is_116(t)) {
		/* Entries are absolute; runtime.text is the first entry unless the
		 * caller knows better. */
		t->text_start = 0;
		uint64_t first;
		if (config->text_start)
			t->header_text_start = config->text_start;
		else if (ftab_entry(t, 0, &first))
			t->header_text_start = first;
	} else {
		t->text_start = config->text_start ? config->text_start : t->header_text_start;
		if (!t->text_start) {
			free(t);
			return gc_error_create(GC_ERR_FORMAT,
					       "pclntab: header textStart is 0 (Go 1.26+ table) and no text start was given; pass moduledata.text as text_start");
		}
		t->header_text_start = t->text_start;
	}
	uint64_t lo, hi;
	if (!ftab_entry(t, 0, &lo) || !ftab_entry(t, t->nfunc, &hi) || lo >= hi) {
		err = gc_error_create(GC_ERR_FORMAT,
				      "pclntab: functab PC range is invalid (text start 0x%llx)",
				      (unsigned long long)t->text_start);
		free(t);
		return err;
	}
	t->min_pc = lo;
	t->max_pc = hi;
	/* The caches pack a pc offset and an index into 32 bits each. */
	if (hi - lo <= UINT32_MAX && t->nfunc < UINT32_MAX) {
		t->find_cache = calloc((size_t)1 << FIND_CACHE_BITS, sizeof(*t->find_cache));
		t->pcv_cache = calloc((size_t)1 << PCV_CACHE_BITS, sizeof(*t->pcv_cache));
		/* nfunc is bounded by the table's size (8 bytes an entry). */
		t->funcs = calloc(t->nfunc ? t->nfunc : 1, sizeof(*t->funcs));
		t->funcs_ok = calloc(t->nfunc ? t->nfunc : 1, sizeof(*t->funcs_ok));
		if (!t->find_cache || !t->pcv_cache || !t->funcs || !t->funcs_ok) {
			free(t->find_cache);
			free(t->pcv_cache);
			free(t->funcs);
			free((void *)t->funcs_ok);
			free(t);
			return &gc_error_nomem;
		}
	}
	*ret = t;
	return NULL;
}

void gopclntab_destroy(struct gopclntab *t)
{
	if (!t)
		return;
	free(t->find_cache);
	free(t->pcv_cache);
	free(t->funcs);
	free((void *)t->funcs_ok);
	free(t);
}

uint32_t gopclntab_magic(const struct gopclntab *t)
{
	return t->magic;
}

uint8_t gopclntab_quantum(const struct gopclntab *t)
{
	return t->quantum;
}

uint64_t gopclntab_nfunc(const struct gopclntab *t)
{
	return t->nfunc;
}

uint64_t gopclntab_text_start(const struct gopclntab *t)
{
	return t->header_text_start;
}

void gopclntab_pc_range(const struct gopclntab *t, uint64_t *min_ret, uint64_t *max_ret)
{
	*min_ret = t->min_pc;
	*max_ret = t->max_pc;
}

void gopclntab_header_offsets(const struct gopclntab *t, struct gopclntab_offsets *ret)
{
	*ret = t->off;
}

/* _func records */

static bool func_u32(const struct gopclntab *t, uint64_t rec, uint32_t field, uint32_t *ret)
{
	return gc_get_u32(t->data, t->size, rec + field, ret);
}

/* Decodes the _func of functab slot i, whose extent is [entry, end). */
static bool decode_func(const struct gopclntab *t, uint64_t i, uint64_t entry, uint64_t end,
			struct gopclntab_func *ret)
{
	uint64_t funcoff, rec;
	if (!ftab_funcoff(t, i, &funcoff) || !gc_add_u64(t->off.pcln, funcoff, &rec) ||
	    !gc_in_bounds(t->size, rec, t->fn_size))
		return false;

	/* The record's own entry must agree with the functab. */
	uint64_t fentry;
	if (is_116(t)) {
		if (!get_uintptr(t, rec, &fentry))
			return false;
	} else {
		uint32_t entryoff;
		if (!func_u32(t, rec, 0, &entryoff) ||
		    !gc_add_u64(t->text_start, entryoff, &fentry))
			return false;
	}
	if (fentry != entry)
		return false;

	uint32_t nameoff, args, npcdata;
	struct gopclntab_func f = {0};
	if (!func_u32(t, rec, t->fn_nameoff, &nameoff) || !func_u32(t, rec, t->fn_args, &args) ||
	    !func_u32(t, rec, t->fn_deferreturn, &f.deferreturn) ||
	    !func_u32(t, rec, t->fn_pcsp, &f.pcsp) || !func_u32(t, rec, t->fn_pcfile, &f.pcfile) ||
	    !func_u32(t, rec, t->fn_pcln, &f.pcln) || !func_u32(t, rec, t->fn_npcdata, &npcdata) ||
	    !func_u32(t, rec, t->fn_cuoffset, &f.cu_offset) ||
	    !gc_get_u8(t->data, t->size, rec + t->fn_funcid, &f.funcid) ||
	    !gc_get_u8(t->data, t->size, rec + t->fn_funcid + 1, &f.flag) ||
	    !gc_get_u8(t->data, t->size, rec + t->fn_funcid + 3, &f.nfuncdata))
		return false;
	if (t->fn_startline) {
		uint32_t sl;
		if (!func_u32(t, rec, t->fn_startline, &sl))
			return false;
		f.start_line = (int32_t)sl;
	}
	f.entry = entry;
	f.end = end;
	const char *name = funcname_at(t, (int32_t)nameoff);
	f.name = name ? name : "?";
	f.args = (int32_t)args;
	f.npcdata = npcdata;
	f.rec_off = rec;
	*ret = f;
	return true;
}

bool gopclntab_func_at(const struct gopclntab *t, uint64_t i, struct gopclntab_func *ret)
{
	uint64_t entry, end;
	if (i >= t->nfunc || !ftab_entry(t, i, &entry) || !ftab_entry(t, i + 1, &end) ||
	    entry >= end)
		return false;
	return decode_func(t, i, entry, end, ret);
}

static _Atomic uint64_t *find_cache_slot(const struct gopclntab *t, uint64_t pcoff)
{
	uint64_t h = pcoff * 0x9e3779b97f4a7c15ULL;
	return &t->find_cache[h >> (64 - FIND_CACHE_BITS)];
}

bool gopclntab_find_func(const struct gopclntab *t, uint64_t pc, struct gopclntab_func *ret)
{
	if (pc < t->min_pc || pc >= t->max_pc)
		return false;
	uint64_t pcoff = pc - t->min_pc, lo = 0, hi = t->nfunc;
	_Atomic uint64_t *slot = NULL;
	if (t->find_cache) {
		slot = find_cache_slot(t, pcoff);
		uint64_t v = atomic_load_explicit(slot, memory_order_relaxed);
		if (v && v >> 32 == pcoff) {
			lo = (uint32_t)v - 1;
			hi = lo + 1;
			/* Checked when it was cached: pc lies in function lo. */
			if (t->funcs && lo < t->nfunc &&
			    atomic_load_explicit(&t->funcs_ok[lo], memory_order_acquire) == 1) {
				*ret = t->funcs[lo];
				return true;
			}
		}
	}
	/* Largest i with entry(i) <= pc.  Invariant: entry(lo) <= pc, and
	 * every slot >= hi has entry > pc (or is the end slot). */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2, e;
		if (!ftab_entry(t, mid, &e))
			return false;
		if (e <= pc)
			lo = mid;
		else
			hi = mid;
	}
	uint64_t entry, end;
	/* A corrupt (unsorted) functab can mislead the search: re-check. */
	if (!ftab_entry(t, lo, &entry) || !ftab_entry(t, lo + 1, &end) || pc < entry ||
	    pc >= end || !decode_func(t, lo, entry, end, ret))
		return false;
	/* One thread claims the record (0 -> 2), writes it, publishes it (1);
	 * the others go on without it. */
	uint8_t unset = 0;
	if (t->funcs && lo < t->nfunc &&
	    atomic_compare_exchange_strong_explicit(&t->funcs_ok[lo], &unset, 2,
						    memory_order_acquire, memory_order_relaxed)) {
		t->funcs[lo] = *ret;
		atomic_store_explicit(&t->funcs_ok[lo], 1, memory_order_release);
	}
	if (slot)
		atomic_store_explicit(slot, pcoff << 32 | (lo + 1), memory_order_relaxed);
	return true;
}

bool gopclntab_find_func_by_name(const struct gopclntab *t, const char *name,
				 struct gopclntab_func *ret)
{
	for (uint64_t i = 0; i < t->nfunc; i++) {
		uint64_t funcoff, rec;
		uint32_t nameoff;
		if (!ftab_funcoff(t, i, &funcoff) || !gc_add_u64(t->off.pcln, funcoff, &rec) ||
		    !func_u32(t, rec, t->fn_nameoff, &nameoff))
			continue;
		const char *s = funcname_at(t, (int32_t)nameoff);
		if (s && strcmp(s, name) == 0 && gopclntab_func_at(t, i, ret))
			return true;
	}
	return false;
}

/* pc-value tables */

/* One unsigned varint of at most 32 significant bits, as runtime readvarint
 * (bits beyond 32 are dropped, as the runtime's uint32 shifts drop them). */
static inline bool read_varint32(const uint8_t *p, uint64_t end, uint64_t *pos, uint32_t *ret)
{
	uint64_t i = *pos;
	if (i < end && !(p[i] & 0x80)) {
		*ret = p[i];
		*pos = i + 1;
		return true;
	}
	uint64_t v;
	size_t n;
	if (!gc_get_uvarint(p, end, i, &v, &n))
		return false;
	*ret = (uint32_t)v;
	*pos = i + n;
	return true;
}

static bool pcvalue_decode(const struct gopclntab *t, const struct gopclntab_func *f,
			   uint32_t off, uint64_t targetpc, int32_t *ret);

/* A million goroutines share a few thousand PCs: decoding each table once
 * per (table, pc) took a third of a full dump's time. */
bool gopclntab_pcvalue(const struct gopclntab *t, const struct gopclntab_func *f,
		       uint32_t off, uint64_t targetpc, int32_t *ret)
{
	if (off == 0 || targetpc < f->entry || targetpc >= f->end)
		return false;
	if (!t->pcv_cache || targetpc < t->min_pc || targetpc - t->min_pc > UINT32_MAX)
		return pcvalue_decode(t, f, off, targetpc, ret);
	uint64_t key = (uint64_t)off << 32 | (targetpc - t->min_pc);
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	uint32_t check = (uint32_t)(h >> 32) | 1;
	_Atomic uint64_t *slot = t->pcv_cache[h >> (64 - PCV_CACHE_BITS)];
	uint64_t k = atomic_load_explicit(&slot[0], memory_order_relaxed);
	uint64_t v = atomic_load_explicit(&slot[1], memory_order_relaxed);
	if (k == key && (uint32_t)(v >> 32) == check) {
		*ret = (int32_t)(uint32_t)v;
		return true;
	}
	if (!pcvalue_decode(t, f, off, targetpc, ret))
		return false;
	atomic_store_explicit(&slot[0], key, memory_order_relaxed);
	atomic_store_explicit(&slot[1], (uint64_t)check << 32 | (uint32_t)*ret,
			      memory_order_relaxed);
	return true;
}

static bool pcvalue_decode(const struct gopclntab *t, const struct gopclntab_func *f,
			   uint32_t off, uint64_t targetpc, int32_t *ret)
{
	uint64_t pos;
	if (!gc_add_u64(t->off.pctab, off, &pos))
		return false;
	/* Decode within [pos, end); end <= size, so reads stay in the table. */
	uint64_t end = t->pctab_end <= t->size ? t->pctab_end : t->size;
	if (pos >= end)
		return false;
	uint64_t pc = f->entry;
	int32_t val = -1;
	/* Each pair takes >= 2 bytes, so the loop ends within the table. */
	for (;;) {
		uint32_t uvdelta, pcdelta;
		if (!read_varint32(t->data, end, &pos, &uvdelta))
			return false;
		/* A zero value delta ends the table, except while pc is still
		 * at the entry (runtime step's "first"). */
		if (uvdelta == 0 && pc != f->entry)
			return false;
		if (!read_varint32(t->data, end, &pos, &pcdelta))
			return false;
		/* zig-zag; int32 wraparound as in the runtime. */
		uint32_t vdelta = -(uvdelta & 1) ^ (uvdelta >> 1);
		val = (int32_t)((uint32_t)val + vdelta);
		/* The runtime computes pcdelta*quantum in uint32. */
		pc += (uint32_t)(pcdelta * t->quantum);
		if (targetpc < pc) {
			*ret = val;
			return true;
		}
		/* targetpc < f->end <= pc cannot get here; this also stops a
		 * table that runs on past its function. */
		if (pc >= f->end)
			return false;
	}
}

bool gopclntab_pcsp(const struct gopclntab *t, const struct gopclntab_func *f, uint64_t pc,
		    int32_t *ret)
{
	return gopclntab_pcvalue(t, f, f->pcsp, pc, ret);
}

const char *gopclntab_file_name(const struct gopclntab *t, const struct gopclntab_func *f,
				int32_t fileno)
{
	uint64_t idx, off;
	uint32_t fileoff;
	if (fileno < 0 || !gc_add_u64(f->cu_offset, (uint64_t)fileno, &idx) ||
	    !mul_u64(idx, 4, &off) || !gc_add_u64(t->off.cu, off, &off) ||
	    !gc_get_u32(t->data, t->size, off, &fileoff) || fileoff == UINT32_MAX ||
	    !gc_add_u64(t->off.filetab, fileoff, &off))
		return NULL;
	return table_string(t, off);
}

bool gopclntab_file_line(const struct gopclntab *t, const struct gopclntab_func *f,
			 uint64_t pc, const char **file_ret, int32_t *line_ret)
{
	int32_t fileno = -1, line = -1;
	const char *file = NULL;
	if (gopclntab_pcvalue(t, f, f->pcfile, pc, &fileno) &&
	    gopclntab_pcvalue(t, f, f->pcln, pc, &line) && fileno != -1 && line != -1)
		file = gopclntab_file_name(t, f, fileno);
	if (!file) {
		*file_ret = "?";
		*line_ret = 0;
		return false;
	}
	*file_ret = file;
	*line_ret = line;
	return true;
}

/* Offset in the table of the pcdata array (right after nfuncdata). */
static uint64_t pcdata_start(const struct gopclntab *t, const struct gopclntab_func *f)
{
	return f->rec_off + t->fn_funcid + 4;
}

bool gopclntab_pcdata(const struct gopclntab *t, const struct gopclntab_func *f, uint32_t idx,
		      uint64_t pc, int32_t *ret)
{
	uint32_t off;
	if (idx >= f->npcdata ||
	    !gc_get_u32(t->data, t->size, pcdata_start(t, f) + 4 * (uint64_t)idx, &off))
		return false;
	return gopclntab_pcvalue(t, f, off, pc, ret);
}

bool gopclntab_funcdata(const struct gopclntab *t, const struct gopclntab_func *f,
			uint32_t idx, uint64_t *addr_ret)
{
	if (idx >= f->nfuncdata)
		return false;
	/* npcdata < 2^32, so this cannot overflow a uint64. */
	uint64_t start = pcdata_start(t, f) + 4 * (uint64_t)f->npcdata;
	if (is_116(t)) {
		/* [nfuncdata]uintptr of absolute pointers, aligned to 8 in
		 * memory (runtime funcdata adds 4 when the address is 4 mod 8). */
		if (t->ptrsize == 8 && ((t->addr + start) & 4))
			start += 4;
		uint64_t p;
		if (!get_uintptr(t, start + (uint64_t)t->ptrsize * idx, &p) || p == 0)
			return false;
		*addr_ret = p;
		return true;
	}
	uint32_t off;
	if (!gc_get_u32(t->data, t->size, start + 4 * (uint64_t)idx, &off) ||
	    off == UINT32_MAX || t->gofunc == 0)
		return false;
	return gc_add_u64(t->gofunc, off, addr_ret);
}

/* Inline trees */

struct inlined_call {
	uint8_t funcid;
	int32_t name;
	int32_t parent_pc;
};

static bool read_inlined_call(const struct gopclntab *t, uint64_t tree, int32_t ix,
			      struct inlined_call *ret)
{
	uint8_t buf[20];
	uint64_t addr;
	if (!t->read || ix < 0 || ix >= INLTREE_MAX_INDEX ||
	    !gc_add_u64(tree, (uint64_t)ix * t->inl_size, &addr) ||
	    !t->read(t->read_ctx, addr, buf, t->inl_size))
		return false;
	uint32_t name, parent_pc;
	if (!gc_get_u8(buf, t->inl_size, t->inl_funcid, &ret->funcid) ||
	    !gc_get_u32(buf, t->inl_size, t->inl_name, &name) ||
	    !gc_get_u32(buf, t->inl_size, t->inl_parentpc, &parent_pc))
		return false;
	ret->name = (int32_t)name;
	ret->parent_pc = (int32_t)parent_pc;
	return true;
}

size_t gopclntab_inline_frames(const struct gopclntab *t, const struct gopclntab_func *f,
			       uint64_t pc, struct gopclntab_inline_frame *frames, size_t max)
{
	if (max == 0)
		return 0;
	size_t n = 0;
	uint64_t p = pc;
	uint64_t tree;
	if (gopclntab_funcdata(t, f, GOPCLNTAB_FUNCDATA_INLTREE, &tree)) {
		int32_t visited[INLINE_WALK_LIMIT];
		size_t nvisited = 0;
		int32_t ix;
		/* As traceback.go: while pc is inside an inlined body, report
		 * the callee with f's file/line at pc, then move pc to the call
		 * site (parentPc) in the caller. */
		while (n < max && nvisited < INLINE_WALK_LIMIT &&
		       gopclntab_pcdata(t, f, GOPCLNTAB_PCDATA_INLTREEINDEX, p, &ix) && ix >= 0) {
			bool cycle = false;
			for (size_t i = 0; i < nvisited; i++)
				cycle |= visited[i] == ix;
			struct inlined_call call;
			if (cycle || !read_inlined_call(t, tree, ix, &call))
				break;
			visited[nvisited++] = ix;
			struct gopclntab_inline_frame *fr = &frames[n++];
			const char *name = funcname_at(t, call.name);
			fr->name = name ? name : "?";
			gopclntab_file_line(t, f, p, &fr->file, &fr->line);
			fr->pc = p;
			fr->funcid = call.funcid;
			fr->inlined = true;
			uint64_t parent;
			if (call.parent_pc < 0 ||
			    !gc_add_u64(f->entry, (uint64_t)call.parent_pc, &parent) ||
			    parent >= f->end)
				break;
			p = parent;
		}
	}
	/* Out of room: the innermost max frames were written, as the runtime
	 * counts inlined frames toward its traceback limit. */
	if (n == max)
		return n;
	struct gopclntab_inline_frame *fr = &frames[n++];
	fr->name = f->name;
	gopclntab_file_line(t, f, p, &fr->file, &fr->line);
	fr->pc = p;
	fr->funcid = f->funcid;
	fr->inlined = false;
	return n;
}

/* Scanning for a header */

size_t gopclntab_scan(const uint8_t *buf, size_t size, size_t start)
{
	for (size_t off = start; off < size && size - off >= 8; off++) {
		/* Magics are 0xfffffff{a,0,1} little-endian: x ff ff ff. */
		if (buf[off + 1] != 0xff || buf[off + 2] != 0xff || buf[off + 3] != 0xff)
			continue;
		uint8_t m = buf[off];
		if (m != 0xfa && m != 0xf0 && m != 0xf1)
			continue;
		struct gopclntab t = {0};
		struct gc_error *err = parse_header(buf + off, size - off, &t);
		if (!err)
			return off;
		gc_error_destroy(err);
	}
	return (size_t)-1;
}
