/* The Go pc-line table (.gopclntab), formats of Go 1.16 to 1.27
 * (magics 0xfffffffa, 0xfffffff0, 0xfffffff1).
 *
 * This layer reads bytes it is given and knows nothing of cores.  The table
 * itself is one contiguous byte range (the caller maps it from the
 * executable).  Funcdata (inline trees, arg info) lives outside the table, in
 * go:func.* of rodata; the caller supplies a read callback for that memory.
 *
 * Sources: src/runtime/symtab.go, src/cmd/link/internal/ld/pcln.go;
 * ../shared/reference/go-runtime-facts.md §1.
 */
#ifndef GOCORE_GOPCLNTAB_H
#define GOCORE_GOPCLNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"

enum {
	GOPCLNTAB_MAGIC_116 = 0xfffffffa,
	GOPCLNTAB_MAGIC_118 = 0xfffffff0,
	GOPCLNTAB_MAGIC_120 = 0xfffffff1,
};

/* PCDATA / FUNCDATA table indices (runtime/funcdata.h). */
enum {
	GOPCLNTAB_PCDATA_UNSAFEPOINT = 0,
	GOPCLNTAB_PCDATA_STACKMAPINDEX = 1,
	GOPCLNTAB_PCDATA_INLTREEINDEX = 2,
	GOPCLNTAB_PCDATA_ARGLIVEINDEX = 3,
	GOPCLNTAB_FUNCDATA_ARGSPOINTERMAPS = 0,
	GOPCLNTAB_FUNCDATA_LOCALSPOINTERMAPS = 1,
	GOPCLNTAB_FUNCDATA_STACKOBJECTS = 2,
	GOPCLNTAB_FUNCDATA_INLTREE = 3,
	GOPCLNTAB_FUNCDATA_OPENCODEDDEFERINFO = 4,
	GOPCLNTAB_FUNCDATA_ARGINFO = 5,
	GOPCLNTAB_FUNCDATA_ARGLIVEINFO = 6,
	GOPCLNTAB_FUNCDATA_WRAPINFO = 7,
};

/* Reads len bytes at a virtual address of the process; returns false when the
 * bytes are not available. */
typedef bool gopclntab_read_fn(void *ctx, uint64_t addr, void *buf, size_t len);

struct gopclntab;

/* One function record (_func), decoded. */
struct gopclntab_func {
	uint64_t entry;      /* entry PC (run-time address) */
	uint64_t end;        /* entry of the next function (or the table's end PC) */
	const char *name;    /* NUL-terminated, points into the table; "?" if bad */
	int32_t args;        /* argument frame size in bytes */
	uint32_t deferreturn;
	int32_t start_line;  /* 1.20+; 0 before */
	uint8_t funcid;      /* raw funcID byte; meaning depends on Go version */
	uint8_t flag;        /* FuncFlag bits */
	uint8_t nfuncdata;
	uint32_t npcdata;
	/* private: */
	uint64_t rec_off;    /* offset of the _func record in the table */
	uint32_t pcsp, pcfile, pcln, cu_offset;
};

struct gopclntab_config {
	/* The table bytes and the virtual address where they are mapped. */
	const uint8_t *data;
	size_t size;
	uint64_t addr;
	/* Run-time address of moduledata.text (runtime.text).  0: take it from
	 * the header (1.18-1.25 store it; 1.26+ store 0 and the caller must
	 * give it). */
	uint64_t text_start;
	/* Run-time address of moduledata.gofunc (go:func.*), base of funcdata
	 * offsets in 1.18+.  0 when unknown: funcdata lookups then fail. */
	uint64_t gofunc;
	/* Memory outside the table (funcdata, inline trees). May be NULL. */
	gopclntab_read_fn *read;
	void *read_ctx;
};

/* Parses and validates the header.  GC_ERR_FORMAT for an unknown magic, a bad
 * header, offsets out of bounds, no functions, or a 1.18+ table whose text
 * start is 0 in both the header and config (Go 1.26+ needs config->text_start);
 * GC_ERR_UNSUPPORTED for a known-old magic (Go 1.2-1.15) or a big-endian
 * table.  config->data must stay mapped while the table lives.  On success
 * *ret must be freed with gopclntab_destroy.
 *
 * Queries on one table may run concurrently from several threads (the
 * lookup cache inside is updated with single-word atomic stores). */
struct gc_error *gopclntab_create(const struct gopclntab_config *config,
				  struct gopclntab **ret);
void gopclntab_destroy(struct gopclntab *t);

/* Header facts.  gopclntab_text_start is the text start in use: config's if
 * given, else the header's; for the 1.16 format (absolute entries), config's
 * or the first function's entry. */
uint32_t gopclntab_magic(const struct gopclntab *t);
uint8_t gopclntab_quantum(const struct gopclntab *t);
uint64_t gopclntab_nfunc(const struct gopclntab *t);
uint64_t gopclntab_text_start(const struct gopclntab *t);
/* [min, max) of the PCs the table covers. */
void gopclntab_pc_range(const struct gopclntab *t, uint64_t *min_ret, uint64_t *max_ret);
/* The header offsets (relative to the table start), e.g. for recognising
 * moduledata: funcnametab, cutab, filetab, pctab, pclntable. */
struct gopclntab_offsets {
	uint64_t funcname, cu, filetab, pctab, pcln;
};
void gopclntab_header_offsets(const struct gopclntab *t, struct gopclntab_offsets *ret);

/* Finds the function containing pc.  Returns false when pc is outside every
 * function, falls in a 1.17 functab hole, or the record is corrupt (its
 * entry disagrees with the functab, or it runs past the table).  Binary
 * search plus a small pc-keyed cache. */
bool gopclntab_find_func(const struct gopclntab *t, uint64_t pc,
			 struct gopclntab_func *ret);
/* The i-th function of the functab (0 <= i < nfunc). */
bool gopclntab_func_at(const struct gopclntab *t, uint64_t i,
		       struct gopclntab_func *ret);
/* Finds a function by exact name (linear scan; for a handful of lookups). */
bool gopclntab_find_func_by_name(const struct gopclntab *t, const char *name,
				 struct gopclntab_func *ret);

/* Decodes the pc-value table at table offset off (relative to pctab) for pc
 * in f.  Returns true and the value; false when the table is absent (off ==
 * 0), corrupt, pc is outside [f->entry, f->end), or pc is not covered (e.g.
 * the padding after the function's last instruction).  The decoding is
 * bounded by the pctab bytes and stops once its pc reaches f->end. */
bool gopclntab_pcvalue(const struct gopclntab *t, const struct gopclntab_func *f,
		       uint32_t off, uint64_t pc, int32_t *ret);

/* Frame size (SP delta) at pc, from pcsp. */
bool gopclntab_pcsp(const struct gopclntab *t, const struct gopclntab_func *f,
		    uint64_t pc, int32_t *ret);
/* File name and line at pc (from pcfile/cutab/filetab and pcln).  *file_ret
 * points into the table; "?" and 0 when unknown (the function still returns
 * false then). */
bool gopclntab_file_line(const struct gopclntab *t, const struct gopclntab_func *f,
			 uint64_t pc, const char **file_ret, int32_t *line_ret);
/* pcdata[idx] table value at pc; false when absent. */
bool gopclntab_pcdata(const struct gopclntab *t, const struct gopclntab_func *f,
		      uint32_t idx, uint64_t pc, int32_t *ret);
/* Run-time address of funcdata[idx]; false when absent. */
bool gopclntab_funcdata(const struct gopclntab *t, const struct gopclntab_func *f,
			uint32_t idx, uint64_t *addr_ret);

/* One frame of the inline expansion at a PC: innermost first. */
struct gopclntab_inline_frame {
	const char *name;  /* function name (inlined callee, or the physical
			    * function for the last frame) */
	const char *file;
	int32_t line;
	uint8_t funcid;
	bool inlined;      /* false for the last (physical) frame */
	uint64_t pc;       /* the pc this frame's file/line was looked up at
			    * (for the physical frame: the outermost call
			    * site, which the runtime also uses for pcdata) */
};

/* Expands pc in f into its inlined frames, innermost first, physical frame
 * last, as the runtime's inlineUnwinder does: file and line at pc for the
 * innermost, then at parentPc for each parent.  Writes at most max frames to
 * frames and returns the number written (>= 1 when max >= 1; 0 when max is
 * 0).  When the expansion has more than max frames, the innermost max are
 * written and the last one written has inlined == true (the runtime counts
 * inlined frames toward its traceback limit the same way).  The walk is
 * bounded by max and by 256 steps; a repeated tree index (a cycle), an
 * unreadable tree entry (no read callback, no gofunc) or a parentPc outside
 * f ends it, and the physical frame is then reported at the last pc reached.
 * A missing file/line is "?" and 0. */
size_t gopclntab_inline_frames(const struct gopclntab *t, const struct gopclntab_func *f,
			       uint64_t pc, struct gopclntab_inline_frame *frames,
			       size_t max);

/* Decodes a file-table entry for f's CU: cutab[f.cu_offset + fileno].
 * Returns a NUL-terminated string inside the table, or NULL when fileno is
 * negative, out of bounds or marked invalid (^0). */
const char *gopclntab_file_name(const struct gopclntab *t, const struct gopclntab_func *f,
				int32_t fileno);

/* Finds a pclntab header by magic inside buf (for section-less binaries):
 * returns the offset of the first plausible header at or after start, or
 * (size_t)-1.  Plausible: a supported little-endian magic, pad bytes 0,
 * minLC in {1,2,4}, ptrsize in {4,8}, nfunc > 0, and the header's offsets
 * and the functab inside buf (the same checks as gopclntab_create). */
size_t gopclntab_scan(const uint8_t *buf, size_t size, size_t start);

#endif
