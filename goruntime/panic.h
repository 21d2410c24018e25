/* What a crashed Go program said before its goroutine dump: the
 * "panic: …" lines of printpanics (panic.go), the "fatal error: …" line of
 * throw/fatal, and dopanic_m's "[signal …]" line, rebuilt from the core.
 *
 * The panic values come from g._panic.  The runtime runs preprintpanics
 * before printing, which replaces every error or Stringer value in the chain
 * by the string its Error/String method returned, so in a core of a fatal
 * panic those values are plain strings and print exactly.  Values that are
 * still of another type are printed as printpanicval/printanycustomtype
 * would; the runtime's own error types (boundsError, errorString,
 * plainError, errorAddressString, *TypeAssertionError) are formatted as
 * their Error methods do; a user type with methods prints in the
 * "(main.T) 0xc000012345" form, since its methods cannot run on a core.
 */
#ifndef GOCORE_GORUNTIME_PANIC_H
#define GOCORE_GORUNTIME_PANIC_H

#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "process.h"

/* The goroutine that crashed: the running goroutine with a panic in
 * progress (g._panic != 0); else the curg of the core's first thread (the one
 * the final signal was delivered to); else any goroutine with a panic.  NULL
 * when there is none (a throw on a system stack, such as the deadlock
 * detector, has no goroutine of its own). */
const struct gr_goroutine *gr_crashing_goroutine(const struct gr_process *p);

/* The lines the runtime printed before its dump, each ending in '\n':
 * "panic: v1 [recovered]\n\tpanic: v2\n" for g's panic chain (the release's
 * printpanics rules: tabs, goexit entries, [recovered], 1.25+
 * [recovered, repanicked]; 1.23+ indents continuation lines with a tab);
 * without a panic, "fatal error: s\n" when a runtime.throw/runtime.fatal
 * frame is found on g's stack or on the stack of the thread that received
 * the final signal (s from the closure throw passes to systemstack, else
 * from throw's argument spill slot when it holds a plausible string),
 * after newstack's "runtime: goroutine stack exceeds N-byte limit\n" and
 * "runtime: sp=0x… stack=[0x…, 0x…]\n" for throw("stack overflow"); ""
 * when there is neither.  g may be NULL (then only the thread is searched
 * for a throw).  *ret is malloc'd and owned by the caller.  Errors:
 * GC_ERR_FAULT when g._panic or a value it points at is not in the core,
 * GC_ERR_NOT_FOUND when the _panic layout is unknown, GC_ERR_FORMAT for a
 * cyclic or absurd chain; *ret is then NULL. */
struct gc_error *gr_panic_message(const struct gr_process *p, const struct gr_goroutine *g,
				  char **ret);

/* How the crash began, as the runtime printed it before its dump. */
enum gr_crash_kind {
	GR_CRASH_NONE,   /* none of these was found */
	GR_CRASH_PANIC,  /* a goroutine's panic (printpanics) */
	GR_CRASH_THROW,  /* throw/fatal: "fatal error: …" */
	GR_CRASH_SIGNAL, /* a signal sighandler did not turn into a panic:
			  * "SIGSEGV: …", "PC=…", a SIGQUIT dump */
};

struct gr_crash {
	enum gr_crash_kind kind;
	/* The M the crash began on: the panicking goroutine's, the one that
	 * threw, the one that took the signal first (the other Ms' dumps are
	 * relayed SIGQUITs; before Go 1.22 the last of them crashes the
	 * process, so this may not be the thread the core's signal names).
	 * NULL when unknown; m_id is then -1. */
	const struct gr_thread *thread;
	int64_t m_id;
	/* The goroutine that crashed, the first the runtime dumps: the
	 * panicking one; for a throw the curg of the M that threw (NULL on a
	 * system stack with none, like the deadlock detector); for a signal
	 * the goroutine it interrupted, or whose cgo call it interrupted (NULL
	 * for g0: "goroutine 0 [idle]"). */
	const struct gr_goroutine *g;
	/* The signal that started it, 0 when none (a plain panic or throw: the
	 * core's SIGABRT is then the runtime's own crash). */
	int signo;
	/* dopanic_m's "[signal …]" line (no newline), from the sig fields of
	 * the g that panicked or threw (a throw from a sigpanic on g0 in C
	 * code, before 1.21, has them on g0); "" when it printed none. */
	char *signal_line;
	/* The lines before the dump, each ending in '\n' ("" when none):
	 * gr_panic_message's for a panic or throw, including newstack's two
	 * "runtime: …" lines before "fatal error: stack overflow"; for a
	 * signal, fatalsignal's name, PC=, "signal arrived during cgo
	 * execution" and instruction-bytes lines. */
	char *message;
};

/* Fills *ret; gr_crash_deinit frees it.  When the panic chain cannot be
 * read, returns gr_panic_message's error with *ret filled all the same,
 * its message "".  &gc_error_nomem: *ret holds nothing to free. */
struct gc_error *gr_crash_read(const struct gr_process *p, struct gr_crash *ret);
void gr_crash_deinit(struct gr_crash *c);

#endif
