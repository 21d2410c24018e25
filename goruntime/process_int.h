/* Inside a Go process image: struct gr_process, and what the files that
 * open it share.  Not for the process's users (they have process.h).
 *
 * gr_process_open (process.c) runs the steps declared below, in their
 * order, each in the file of its concern: the pclntab (locate.c), the Go
 * version (version.c), runtime.firstmoduledata (locate.c), the layouts and
 * the offsets of g and m (layout_learn.c), the funcIDs (funcids.c), the
 * runtime's globals (locate.c), the wait reasons (waitreasons.c), allgs and
 * "now" (goroutines.c), and the Ms (threads.c).  Each step fills its part
 * of struct gr_process, which owns what they allocate (gr_process_destroy
 * frees it); each file also holds the process.h accessors of its part.
 */
#ifndef GOCORE_GORUNTIME_PROCESS_INT_H
#define GOCORE_GORUNTIME_PROCESS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addrspace.h"
#include "../common/error.h"
#include "../gopclntab/gopclntab.h"
#include "globals.h"
#include "image.h"
#include "layout.h"
#include "process.h"

/* An offset a release's layout lacks. */
#define NO_OFF UINT64_MAX

/* Offsets of the g fields we read; NO_OFF when the version lacks one. */
struct g_offsets {
	uint64_t size;
	uint64_t stack_lo, stack_hi, sched_sp, sched_pc, sched_bp, sched_ctxt, sched_lr;
	uint64_t syscallsp, syscallpc, syscallbp, atomicstatus, goid, waitsince;
	uint64_t waitreason, m, lockedm, gopc, startpc, parent_goid, panic, labels;
	uint64_t bubble;
};

struct gr_process {
	struct gr_open_config cfg;
	const struct gr_image *img;   /* cfg.image */
	/* Where runtime.firstmoduledata is read: the process's memory, or with
	 * a forced mismatch the executable's own bytes (cfg.exe_as), as the
	 * core's data then belongs to another build. */
	const struct gc_addrspace *md_as;
	char version[64];
	int minor;
	struct gopclntab *pcln;
	struct gr_layouts *layouts;
	struct g_offsets go;
	struct gr_m_offsets mo;
	uint64_t m_alllink;
	struct gr_goroutine *gs;     /* in allgs order */
	uint32_t *order;             /* indices into gs, by goid */
	size_t ngs;
	size_t unreadable;
	struct gr_thread *threads;
	size_t nthreads;
	uint32_t *curg_index;        /* open addressing by curg: thread index + 1 */
	size_t curg_slots;
	size_t gaps;                 /* what opening could not read (gr_process_open_gaps) */
	char **waitreasons;
	size_t nwaitreasons;
	int funcids[GR_FID_COUNT];
	bool have_types;             /* type descriptors were read too */
	bool globals_from_code;      /* allgs etc. found without symbols */
	struct gr_globals glob;
	uint64_t moduledata;         /* address of runtime.firstmoduledata */
	size_t layout_disagreements; /* between DWARF and type descriptors */
	uint64_t sigtramp;
	uint64_t fatal[2];
	int64_t now;
	bool header_labels;          /* debug.tracebacklabels == 1 (1.26+) */
};

/* ---- helpers (process.c) ---- */

/* Says what could not be read on the config's warnings stream (nothing
 * when it has none): printf-style, without "warning: " or a newline. */
void gr_warn(const struct gr_process *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The run-time address (load bias added) of the executable's symbol name,
 * and its size when size_ret is not NULL; false when there is no such
 * symbol (stripped). */
bool gr_symbol(const struct gr_process *p, const char *name, uint64_t *addr_ret,
	       uint64_t *size_ret);

/* Reads the Go string header at addr and copies its bytes, NUL-terminated,
 * into buf; false when the header or the bytes are not in as, or the
 * string has max bytes or more. */
bool gr_read_gostring(const struct gc_addrspace *as, uint64_t addr, char *buf, size_t max);

/* A gopclntab_read_fn over a gc_addrspace (ctx): true when all len bytes
 * at addr were read. */
bool gr_read_memory(void *ctx, uint64_t addr, void *buf, size_t len);

/* ---- the steps of gr_process_open, in its order ---- */

/* locate.c: the Go pclntab of the executable (gr_file_pclntab): its bytes
 * in the file and its run-time address.  GC_ERR_NOT_FOUND when the
 * executable has none: it is not a Go program. */
struct gc_error *gr_locate_pclntab(struct gr_process *p, const uint8_t **data_ret,
				   size_t *size_ret, uint64_t *addr_ret);

/* version.c: p->version ("go1.19.8") from the string runtime.buildVersion
 * holds, else the build info, else (no readable build info) the release
 * string alone in rodata; p->minor is its 1.x minor, 0 when the release is
 * unknown (no version found, or not "go1.N").  Only out-of-memory is an
 * error. */
struct gc_error *gr_find_version(struct gr_process *p);

/* runtime.firstmoduledata: its run-time address, and the fields the
 * pclntab needs (read by gr_read_moduledata). */
struct gr_moduledata {
	uint64_t addr, text, gofunc, minpc, maxpc;
};

/* locate.c: clears *md and finds md->addr, read in p->md_as (the
 * symbol, else a scan of the executable's writable segments).  An error
 * when it cannot be found. */
struct gc_error *gr_locate_moduledata(struct gr_process *p, uint64_t pclntab_addr,
				      struct gr_moduledata *md);

/* layout_learn.c: p->layouts for the runtime's structs, from DWARF when
 * it can be read, else (saying why not, when there was DWARF) from the type
 * descriptors of the moduledata at md_addr, read in p->md_as, with the
 * per-release facts they lack (runtime.schedt).  Both are read: with both,
 * p->have_types is set and each field of a checked list on which they
 * disagree is said on the warnings stream and counted in
 * p->layout_disagreements.  An error when neither source can be read, or
 * out of memory in either. */
struct gc_error *gr_learn_layouts(struct gr_process *p, uint64_t md_addr);

/* layout_learn.c: the layouts of more runtime structs (names[0..n)),
 * read when a command needs them: from DWARF when p's layouts came from
 * it (and not types_only), else from the type descriptors (which also
 * give each struct's type_addr).  Names not found are left out, as in
 * gr_layouts_from_dwarf.  *ret is the caller's (gr_layouts_destroy). */
struct gc_error *gr_learn_more_layouts(const struct gr_process *p, const char *const *names,
				       size_t n, bool types_only, struct gr_layouts **ret);

/* layout_learn.c: p->go, p->mo and p->m_alllink from p->layouts (NO_OFF
 * for a field the release lacks).  An error when runtime.g has no layout,
 * lacks a field the readers need, or has one outside its size. */
struct gc_error *gr_resolve_offsets(struct gr_process *p);

/* locate.c: reads md's text, minpc, maxpc and (when the layout has it)
 * gofunc at the offsets of p->layouts; GC_ERR_FORMAT when they are
 * unreadable. */
struct gc_error *gr_read_moduledata(struct gr_process *p, struct gr_moduledata *md);

/* funcids.c: from one pass over p->pcln's functions, p->funcids (-1 for a
 * function the binary lacks; GR_FID_WRAPPER, which names no function,
 * follows GR_FID_SYSTEMSTACK_SWITCH), and the entries of runtime.sigtramp,
 * fatalpanic and fatalthrow (p->sigtramp, p->fatal; 0 when absent). */
void gr_learn_funcids(struct gr_process *p);

/* locate.c: the run-time addresses of allgs, allglen, allm, sched,
 * waitReasonStrings, maxstacksize (p->glob), from the symbol table, else
 * from the runtime's code (then p->globals_from_code, and a warning for
 * each of waitReasonStrings and allm not found, allm's a gap).  Needs
 * p->pcln and p->layouts.  An error when the globals cannot be found from
 * the code. */
struct gc_error *gr_locate_globals(struct gr_process *p);

/* waitreasons.c: p->waitreasons, the strings of runtime.waitReasonStrings
 * (p->glob.waitreasons), each also with the markers GR_STATE_LEAKED and
 * GR_STATE_DURABLE add (GR_STATE_MARKS per reason, NULL where a string was
 * unreadable).  Nothing when the table is unknown or has over 256 entries.
 * Only out of memory is an error. */
struct gc_error *gr_read_waitreasons(struct gr_process *p);

/* goroutines.c: the live goroutines of runtime.allgs (p->glob.allgs, up to
 * allglen) in p->gs, in allgs order, read on p->cfg.jobs threads, and
 * p->order by goid (gr_sort_by_goid).  With p->cfg.only_goid, only the
 * first live g with that goid is decoded.  Entries that cannot be read are
 * counted in p->unreadable and said on the warnings stream; so is an allgs
 * that holds no live goroutine at all (counted as 1).  An error when allgs
 * is not found, not in the core or of an impossible length, or out of
 * memory. */
struct gc_error *gr_read_allgs(struct gr_process *p);

/* goroutines.c: p->order, the indices of p->gs[0..p->ngs) in goid order
 * (p->gs may be NULL when p->ngs is 0).  Only out of memory is an
 * error. */
struct gc_error *gr_sort_by_goid(struct gr_process *p);

/* goroutines.c: p->now, the latest nanotime() the runtime left in the
 * goroutines' waitsince and sched.lastpoll; 0 when none. */
void gr_estimate_now(struct gr_process *p);

/* threads.c: p->threads, the Ms of runtime.allm (p->glob.allm) newest
 * first, each matched by its procid to the core's thread with that LWP, and
 * the index by curg that gr_process_thread_of uses.  Nothing when allm or
 * the m fields it needs are unknown.  A cycle, a cut or an overlong list,
 * and Ms whose threads the core lacks, are gaps (p->gaps), each said on the
 * warnings stream.  Only out of memory is an error. */
struct gc_error *gr_read_threads(struct gr_process *p);

#endif
