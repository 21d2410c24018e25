/* The files a core maps, as files on disk: whether a file is the one the
 * process had mapped (its first page, which the kernel keeps in the core),
 * where it was loaded (its load bias), and which of them holds the Go code
 * when the executable does not: a library built with -buildmode=c-shared
 * that a C, Python or Node program loaded. */
#ifndef GOCORE_ANALYZER_MAPPED_H
#define GOCORE_ANALYZER_MAPPED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/error.h"
#include "../common/addrspace.h"
#include "elfcore.h"
#include "../goruntime/process.h"
#include "elfexe.h"

/* How a file compares with the first page of its mapping in the core. */
enum ga_first_page {
	GA_PAGE_MATCH,      /* same Go build ID, or (without one) the same bytes */
	GA_PAGE_UNVERIFIED, /* no mapping, or the core lacks its first page */
	GA_PAGE_BUILD_ID,   /* both pages carry a Go build ID, and they differ */
	GA_PAGE_GNU_BUILD_ID, /* no Go build IDs to compare; GNU build IDs differ */
	GA_PAGE_DIFFERS,    /* no build IDs to compare; the bytes differ */
};

/* Compares f with the first page of mapping m (an NT_FILE entry at file
 * offset 0; NULL gives GA_PAGE_UNVERIFIED) as core_as holds it; core_as
 * must hold the core's own bytes only.  The Go build ID decides when both
 * pages carry one, else the GNU build ID (a C host, a Go binary linked
 * externally): `strip` rewrites the ELF header but keeps the notes.  For
 * GA_PAGE_BUILD_ID and GA_PAGE_GNU_BUILD_ID the two IDs are copied into
 * core_id and file_id (each idmax bytes, NUL-terminated; GNU ones in hex). */
enum ga_first_page ga_first_page_check(const struct gc_addrspace *core_as,
				       const struct ga_exe *f, const struct ga_mapping *m,
				       char *core_id, char *file_id, size_t idmax);

/* The load bias of f as the core mapped it (mf: f's NT_FILE entries):
 * the start of a mapping minus the page-aligned address of the PT_LOAD
 * segment whose page-aligned file offset is that mapping's, the mapping at
 * file offset 0 first.  False when no mapping lines up with a segment. */
bool ga_mapped_bias(const struct ga_exe *f, const struct ga_mapped_file *mf,
		    uint64_t *bias_ret);

/* Whether the file holds Go code (a Go pclntab).  Files with section
 * headers but no Go section nor Go build ID note are ruled out without a
 * scan. */
bool ga_mapped_is_go(const struct ga_exe *f);

/* The Go library of a process whose executable has no Go code. */
struct ga_golib {
	struct ga_exe *lib;          /* owned; NULL until found */
	char *recorded;              /* its path as the core records it
				      * (malloc'd; " (deleted)" kept) */
	const struct ga_mapping *map; /* its mapping at file offset 0, or NULL */
	uint64_t bias;               /* its load bias */
};

/* Frees what g owns and zeroes it; NULL is a no-op. */
void ga_golib_deinit(struct ga_golib *g);

/* Finds the Go library among the files the core maps other than the
 * executable (exe_recorded: the executable's NT_FILE path; exe_path: the
 * file gocore opened, for messages): each file that still exists and holds
 * Go code.  Exactly one must: GC_ERR_NOT_FOUND names the executable and the
 * core when none does (and the mapped files that no longer exist, for
 * which --lib is the way), GC_ERR_UNSUPPORTED names them when several do. */
struct gc_error *ga_golib_find(const struct ga_core *core, const char *exe_recorded,
			       const char *exe_path, struct ga_golib *ret);

/* Places lib_path (--lib) among the files the core maps other than the
 * executable: the one whose first page in the core is the library's (Go
 * build ID, else bytes).  Without a match, a mapped file of the same base
 * name whose first page the core lacks is taken with a warning; one whose
 * page differs is a GC_ERR_MISMATCH naming both files (taken with a
 * warning when force).  Warnings go to warn (may be NULL; gr_warn_fn of goruntime/process.h).  On
 * success ret owns the opened library. */
struct gc_error *ga_golib_place(const struct ga_core *core,
				const struct gc_addrspace *core_as, const char *exe_recorded,
				const char *lib_path, bool force, gr_warn_fn *warn, void *warn_ctx,
				struct ga_golib *ret);

#endif
