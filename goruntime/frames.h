/* A goroutine's logical frames as data, for the triage outputs (summary,
 * JSON, pprof): the same frames, names and lines that the traceback printer
 * (traceback.c) prints, but all of them (no 100-frame or 50+50 elision) and
 * without arguments.
 *
 * Logical frames are gr_unwind's physical frames expanded through the inline
 * tree (gopclntab_inline_frames), innermost first: a physical frame's inlined
 * callees come before it and share its pc and sp.
 */
#ifndef GOCORE_GORUNTIME_FRAMES_H
#define GOCORE_GORUNTIME_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "process.h"

struct gr_lframe {
	/* The function as the dump prints it (without "(args)"): "[...]"
	 * abbreviation of generic instantiations applied, runtime.gopanic as
	 * "panic" (gr_func_display_name). */
	const char *func;
	/* The function's symbol name in the pc-line table ("runtime.gopanic",
	 * "main.f[...]"); for pprof's system_name and for matching. */
	const char *sym;
	const char *file;     /* "?" when unknown */
	int32_t line;         /* 0 when unknown */
	/* The physical frame's pc (a return address except for a frame where
	 * execution stopped) and sp; inlined frames carry their physical
	 * frame's values. */
	uint64_t pc, sp;
	bool inlined;         /* printed as "func(...)" with no "+0x" */
};

/* Set in *unwind_flags_ret (next to the GR_UNWIND_* flags of unwind.h) when
 * the goroutine has more logical frames than max. */
enum { GR_FRAMES_TRUNCATED = 0x100 };
/* Set by the grouping of report.h when GR_MAX_GROUPED_FRAMES cut a group's
 * frames. */
enum { GR_FRAMES_BUDGET = 0x200 };

/* The most logical frames kept for one goroutine by the outputs that keep
 * frames (JSON, summary, pprof, --match): real stacks are far shallower (the
 * runtime's own dump shows 100), and a stack of more is a runaway recursion
 * or a crafted core.  Past it the goroutine is partial (GR_FRAMES_TRUNCATED)
 * and its innermost frames are kept. */
#define GR_MAX_GOROUTINE_FRAMES 10000

/* The most frames summary's and pprof's groups keep in all (each group keeps
 * its first member's stack; 2M frames are about 112 MiB): thousands of
 * distinct stacks of a hundred frames stay far below it.  Past it a new
 * group's stack is cut (GR_FRAMES_BUDGET). */
#define GR_MAX_GROUPED_FRAMES ((size_t)1 << 21)

/* What the flags of a walk (GR_UNWIND_* of unwind.h, GR_FRAMES_TRUNCATED)
 * say is missing from a goroutine's stack, as one phrase ("stack partial:
 * memory not in core"...) for JSON's "gap", summary's partial line and
 * stderr; NULL when the stack was read whole.  A static string. */
const char *gr_stack_gap(unsigned flags);

/* Collects g's logical frames, innermost first, at most max of them (and
 * never more than GR_MAX_GOROUTINE_FRAMES; the walk stops there).  On
 * success *frames_ret is one malloc'd block (free() it; NULL when there are
 * no frames), *n_ret its length, and *unwind_flags_ret (may be NULL) the
 * GR_UNWIND_* flags of the walk plus GR_FRAMES_TRUNCATED: a goroutine
 * running on another thread (GR_UNWIND_NO_THREAD) has no frames, a fault
 * leaves the frames read before it; neither is an error.  The strings
 * point into that block or into the process's pc-line table, so they live
 * until both are freed.  Returns NULL, or &gc_error_nomem. */
struct gc_error *gr_goroutine_frames(const struct gr_process *p, const struct gr_goroutine *g,
				     size_t max, struct gr_lframe **frames_ret, size_t *n_ret,
				     unsigned *unwind_flags_ret);

/* A cache of what the pc-line table says of each physical frame (its
 * inlined callees, files and lines), for one thread's many
 * gr_goroutine_frames_cached calls; it must not outlive the process. */
struct gr_frames_cache;
struct gc_error *gr_frames_cache_create(struct gr_frames_cache **ret);
void gr_frames_cache_destroy(struct gr_frames_cache *c);
/* gr_goroutine_frames through cache (may be NULL); the same result. */
struct gc_error *gr_goroutine_frames_cached(const struct gr_process *p,
					    const struct gr_goroutine *g, size_t max,
					    struct gr_frames_cache *cache,
					    struct gr_lframe **frames_ret, size_t *n_ret,
					    unsigned *unwind_flags_ret);

/* The "created by" of g as the dump prints it: false for goroutine 1 and
 * when g.gopc is in no known function.  *func gets the creator's symbol name
 * (pass it through gr_func_display_name for the printed form), *file and
 * *line the line of the go statement (gopc-1), *goid the parent goroutine's
 * id (Go 1.21+ "in goroutine N"; 0 when the release does not record it).
 * The strings point into the process's pc-line table.  Any out-parameter
 * may be NULL. */
bool gr_goroutine_created_by(const struct gr_process *p, const struct gr_goroutine *g,
			     const char **func, const char **file, int32_t *line,
			     uint64_t *goid);

/* The printed form of a function's symbol name (traceback.go printFuncName
 * and the gopanic special case): "panic" for runtime.gopanic; a generic
 * instantiation shortened to "[...]" from the first '[' to the last ']'.
 * Writes it NUL-terminated into buf (truncated to n-1 bytes; nothing when
 * n is 0) and returns its full length, as snprintf does. */
size_t gr_func_display_name(const char *name, char *buf, size_t n);

/* Whether a function belongs to Go's standard library (the runtime
 * included) rather than to the program: what the outputs that tell the
 * user's code from the runtime's (gocore's --color, the HTML report) ask.
 * name is a symbol name or its printed form: "runtime.gopark",
 * "net/http.(*conn).serve", "main.(*T).m", "main.F[...]",
 * "github.com/x/y.F.func1", "panic".  The rule is cmd/go's for a standard
 * import path: the first element of the package path has no dot.  So
 * "main" (and "command-line-arguments", what `go build file.go` calls a
 * package) is the user's, and so is every module path with a domain; a
 * module path without a dot ("example/foo") counts as standard, as cmd/go
 * counts it.  The package path is read before the first '(' or '[' (a
 * receiver, generic arguments).  The compiler's functions of a type go by
 * the type's package ("type:.eq.main.T", "type..eq.main.T" before Go 1.20:
 * false), those of an unnamed type ("type:.eq.[2]interface {}") and the
 * linker's symbols ("go:buildid") are not the user's: true.  A name with
 * no package ("(*T).m", "") cannot be the standard library's: false. */
bool gr_func_is_std(const char *name);
/* The same for the len bytes at name (no NUL needed). */
bool gr_func_is_std_len(const char *name, size_t len);

#endif
