/* runtime.firstmoduledata before any layout is known: finding it in a
 * binary without symbols, and reading the fields that lead to the type
 * descriptors (from which the layouts, moduledata's own included, are then
 * learned).  Offsets are the per-version facts of go-runtime-facts.md §2.1
 * (64-bit), the placement rule is §2.2. */
#ifndef GOCORE_GORUNTIME_MODULEDATA_H
#define GOCORE_GORUNTIME_MODULEDATA_H

#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "../gopclntab/gopclntab.h"

/* A range of process memory to search, [start, end). */
struct gr_range {
	uint64_t start, end;
};

/* Finds the moduledata among ranges (the writable data segments, where the
 * linker puts it: .noptrdata up to go1.25, .go.module in 1.26).  pclntab is
 * the run-time address of the pcHeader (.gopclntab); moduledata starts with
 * that address followed by the funcnametab slice, whose pointer is pclntab +
 * pcHeader.funcnameOffset (read through read(): at +24 for magic 0xfffffffa,
 * +32 for 0xfffffff0/0xfffffff1).  The first 8-aligned match is returned in
 * *ret.  GC_ERR_FORMAT when the header is unreadable or has another magic,
 * GC_ERR_NOT_FOUND when no range holds a match.  Ranges are read in 4 KiB
 * pieces; unreadable pieces are skipped. */
struct gc_error *gr_find_moduledata(gopclntab_read_fn *read, void *ctx,
				    uint64_t pclntab, const struct gr_range *ranges,
				    size_t nranges, uint64_t *ret);

/* What gr_layouts_from_types needs from moduledata. */
struct gr_moduledata_types {
	uint64_t types, etypes;       /* moduledata.types, .etypes */
	uint64_t typelinks, ntypelinks; /* moduledata.typelinks (ptr, len) */
};

/* Reads those fields of the moduledata at md for Go 1.minor (17..27), at the
 * §2.1 offsets (1.27: types 296, etypes 312, and no typelinks slice, so
 * typelinks/ntypelinks are 0 and the descriptors must be scanned).  GC_ERR_UNSUPPORTED for another minor, GC_ERR_FAULT when
 * read() fails, GC_ERR_FORMAT when etypes <= types. */
struct gc_error *gr_moduledata_types(gopclntab_read_fn *read, void *ctx,
				     uint64_t md, int minor,
				     struct gr_moduledata_types *ret);

#endif
