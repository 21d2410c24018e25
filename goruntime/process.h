/* A Go process image: the runtime's state as a core dump left it.
 *
 * gr_process_open() learns what it needs from the executable and the memory:
 * the Go version, the pclntab and moduledata, the runtime's data layouts
 * (DWARF first), the wait-reason strings, and the list of goroutines from
 * runtime.allgs.  The goroutines are then read one by one on demand.
 */
#ifndef GOCORE_GORUNTIME_PROCESS_H
#define GOCORE_GORUNTIME_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/addrspace.h"
#include "../common/error.h"
#include "../gopclntab/gopclntab.h"
#include "image.h"
#include "layout.h"

/* g.atomicstatus values (runtime2.go). */
enum {
	GR_GIDLE = 0, GR_GRUNNABLE = 1, GR_GRUNNING = 2, GR_GSYSCALL = 3,
	GR_GWAITING = 4, GR_GDEAD = 6, GR_GCOPYSTACK = 8, GR_GPREEMPTED = 9,
	GR_GLEAKED = 10, GR_GDEADEXTRA = 11, /* 1.26+ */
	GR_GSCAN = 0x1000,
};

/* What one goroutine's g holds (the fields the traceback needs). */
struct gr_goroutine {
	uint64_t addr;        /* address of the g */
	uint64_t goid;
	uint32_t status;      /* atomicstatus, including the scan bit */
	uint8_t waitreason;
	int64_t waitsince;
	uint64_t stack_lo, stack_hi;
	uint64_t sched_sp, sched_pc, sched_bp, sched_ctxt;
	uint64_t sched_lr;     /* link register arches: the caller of sched.pc's frame */
	uint64_t syscallsp, syscallpc, syscallbp;
	uint64_t m, lockedm;
	uint64_t gopc, startpc;
	uint64_t parent_goid;  /* 0 when the version has no parentGoid */
	uint64_t panic;        /* g._panic */
	uint64_t labels;
	uint64_t bubble;       /* 1.25+ g.bubble, 1.24 g.syncGroup; 0 if none */
};

/* One OS thread (M) as the runtime knew it, matched to its core thread. */
struct gr_thread {
	uint64_t m;           /* address of the m, 0 when not a Go thread */
	int64_t m_id;
	uint64_t procid;
	uint64_t g0, gsignal, curg;
	const struct gr_image_thread *core; /* its thread in the image; NULL when none matched */
};

struct gr_process;

/* How gr_process_open tells its caller what it could not read: one
 * message at a time, without "warning: " or a newline. */
typedef void gr_warn_fn(void *ctx, const char *message);

struct gr_open_config {
	const struct gr_image *image;
	gr_warn_fn *warn;          /* where to say what could not be read; may be NULL */
	void *warn_ctx;
	/* Nonzero: read only this goroutine (for `stack`): the others' goids
	 * are read to find it, nothing more. */
	uint64_t only_goid;
	/* Threads to read the goroutines on (gc_parallel_cpus(); 0 or 1: the
	 * calling one).  The process read is the same whatever it is. */
	unsigned jobs;
	/* The executable was taken although it does not match the core
	 * (--force): runtime state that cannot then be found (allgs and the
	 * other globals) is a gap, said on warnings, rather than an error. */
	bool forced;
	/* With forced: the executable's segments alone, where
	 * runtime.firstmoduledata and the type descriptors are read (the
	 * core's data is another build's).  May be NULL. */
	const struct gc_addrspace *exe_as;
};

/* Locates the Go pclntab in an executable or shared library: the
 * .gopclntab (or .data.rel.ro.gopclntab) section, else the first header
 * that gopclntab_scan() finds in a loadable segment (a section-less binary,
 * or an externally linked one, whose pclntab lies inside .data.rel.ro).
 * Gives its bytes in the file and its link-time address (no load bias);
 * false when the file has no Go pclntab: it holds no Go code. */
bool gr_file_pclntab(const struct gr_image_file *f, const uint8_t **data_ret, size_t *size_ret,
		     uint64_t *vaddr_ret);

/* Opens the process; the config's objects must outlive it.  Errors:
 * GC_ERR_FORMAT/GC_ERR_NOT_FOUND when the executable is not a Go program or
 * the runtime's state cannot be found; GC_ERR_UNSUPPORTED for a Go release
 * it does not understand. */
struct gc_error *gr_process_open(const struct gr_open_config *config,
				 struct gr_process **ret);
void gr_process_destroy(struct gr_process *p);

const char *gr_process_go_version(const struct gr_process *p); /* "go1.19.8" or "" */
/* (major, minor) of the Go version: e.g. 1, 19. */
int gr_process_go_minor(const struct gr_process *p);
enum gr_layout_source gr_process_layout_source(const struct gr_process *p);
/* How the layouts were learned: source used, whether the type descriptors
 * were read as well (with DWARF), and how many checked fields disagreed. */
void gr_process_layout_report(const struct gr_process *p, enum gr_layout_source *source_ret,
			      bool *cross_checked_ret, size_t *disagreements_ret);
/* How the runtime's globals (allgs...) were found: "symbols" or "code". */
const char *gr_process_globals_source(const struct gr_process *p);
const struct gopclntab *gr_process_pclntab(const struct gr_process *p);
const struct gc_addrspace *gr_process_memory(const struct gr_process *p);
/* The image the process was opened on. */
const struct gr_image *gr_process_image(const struct gr_process *p);

/* Goroutines that are not dead, in goid order. */
size_t gr_process_ngoroutines(const struct gr_process *p);
const struct gr_goroutine *gr_process_goroutine(const struct gr_process *p, size_t i);
/* The goroutine with that goid, or NULL. */
const struct gr_goroutine *gr_process_find_goroutine(const struct gr_process *p, uint64_t goid);
/* Number of allgs entries that could not be read. */
size_t gr_process_unreadable(const struct gr_process *p);
/* Number of gaps gr_process_open found, each said on the warnings stream:
 * the unreadable allgs entries, and an allm list that is cyclic, cut or
 * overlong, or whose Ms' threads the core lacks (exit code 3). */
size_t gr_process_open_gaps(const struct gr_process *p);

/* The Go thread (M) whose curg is g, or NULL. */
const struct gr_thread *gr_process_thread_of(const struct gr_process *p,
					     const struct gr_goroutine *g);
size_t gr_process_nthreads(const struct gr_process *p);
const struct gr_thread *gr_process_thread(const struct gr_process *p, size_t i);

/* The wait reason string the runtime would print ("" for none/unknown). */
const char *gr_process_waitreason(const struct gr_process *p, uint8_t reason);
/* The same followed by a header marker (""  when unknown or out of memory). */
enum gr_state_mark { GR_STATE_PLAIN, GR_STATE_LEAKED, GR_STATE_DURABLE, GR_STATE_MARKS };
const char *gr_process_waitreason_marked(const struct gr_process *p, uint8_t reason,
					 enum gr_state_mark mark);

/* FuncID of a well-known runtime function in this binary, or -1. */
enum gr_funcid_name {
	GR_FID_GOEXIT, GR_FID_MSTART, GR_FID_RT0_GO, GR_FID_SYSTEMSTACK,
	GR_FID_SYSTEMSTACK_SWITCH, GR_FID_MORESTACK, GR_FID_MCALL, GR_FID_SIGPANIC,
	GR_FID_GOPANIC, GR_FID_PANICWRAP, GR_FID_ASYNCPREEMPT, GR_FID_DEBUGCALLV2,
	GR_FID_WRAPPER, GR_FID_CGOCALLBACK,
	GR_FID_COUNT,
};
int gr_process_funcid(const struct gr_process *p, enum gr_funcid_name which);

/* Entry PC of runtime.sigtramp (the signal handler the kernel enters), or 0. */
uint64_t gr_process_sigtramp(const struct gr_process *p);
/* Whether entry is runtime.fatalpanic or runtime.fatalthrow: the functions
 * whose caller the runtime's own crash dump starts from. */
bool gr_process_is_fatal(const struct gr_process *p, uint64_t entry);

/* Whether headers print pprof labels: Go 1.26+ with the runtime's
 * debug.tracebacklabels set (GODEBUG=tracebacklabels=1; 1.27's default). */
bool gr_process_header_labels(const struct gr_process *p);

/* Approximate runtime nanotime() at the crash, 0 if unknown. */
int64_t gr_process_now(const struct gr_process *p);

/* m.id of the m at address m; false when unreadable. */
bool gr_process_m_id(const struct gr_process *p, uint64_t m, int64_t *ret);

/* Offsets of m fields the unwinder needs, (uint64_t)-1 if absent. */
struct gr_m_offsets {
	uint64_t g0, curg, procid, id, gsignal, vdsosp, vdsopc, throwing, tls, incgo;
};
const struct gr_m_offsets *gr_process_m_offsets(const struct gr_process *p);

/* The run-time address of a symbol of the executable (the load bias
 * added); false when the executable has no such symbol (stripped). */
bool gr_process_symbol(const struct gr_process *p, const char *name, uint64_t *addr_ret);
/* The executable's symbol whose extent holds the run-time address addr
 * (a global), and addr's offset in it; NULL when none does (stripped). */
const char *gr_process_symbol_at(const struct gr_process *p, uint64_t addr, uint64_t *off_ret);
/* The process id the core records (NT_PRPSINFO), 0 when unknown. */
int32_t gr_process_pid(const struct gr_process *p);
/* The stack size limit runtime.newstack's "goroutine stack exceeds
 * N-byte limit" names: min(maxstacksize, maxstackceiling), read from the
 * symbols, else maxstacksize found from runtime/debug.setMaxStack's code;
 * the runtime's 64-bit default (1000000000) when the binary cannot change
 * it (no setMaxStack).  False when it cannot be known. */
bool gr_process_max_stack(const struct gr_process *p, uint64_t *limit_ret);

/* Address of runtime.firstmoduledata (symbol, or found by its pclntab
 * pointer), 0 when it cannot be found. */
uint64_t gr_process_moduledata(const struct gr_process *p);
/* The runtime layouts gr_process_open learned (owned by p). */
const struct gr_layouts *gr_process_layouts(const struct gr_process *p);

#endif
