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

#include "../analyzer/elfcore.h"
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
 * from throw's argument spill slot when it holds a plausible string); ""
 * when there is neither.  g may be NULL (then only the thread is searched
 * for a throw).  *ret is malloc'd and owned by the caller.  Errors:
 * GC_ERR_FAULT when g._panic or a value it points at is not in the core,
 * GC_ERR_NOT_FOUND when the _panic layout is unknown, GC_ERR_FORMAT for a
 * cyclic or absurd chain; *ret is then NULL. */
struct gc_error *gr_panic_message(const struct gr_process *p, const struct gr_goroutine *g,
				  char **ret);

/* The runtime's sigtable (sigtab_linux_generic.go) split at ": ":
 * gr_signal_name(11) is "SIGSEGV", gr_signal_description(11) is
 * "segmentation violation"; for 32-64 the name is "signal N" and the
 * description "".  NULL outside 0-64. */
const char *gr_signal_name(int signo);
const char *gr_signal_description(int signo);

/* Formats dopanic_m's line into buf (at most size bytes, NUL-terminated):
 * "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x45a2e7]"
 * (no newline), or "[signal 0x41 code=…" for a signal outside the table.
 * Returns the length snprintf would have written. */
int gr_format_signal_line(char *buf, size_t size, uint32_t sig, uint64_t code,
			  uint64_t addr, uint64_t pc);

/* The "[signal …]" line the runtime printed for g: from g.sig, g.sigcode0,
 * g.sigcode1 and g.sigpc, which sighandler sets before it injects sigpanic.
 * *ret is "" when g.sig is 0 (the runtime prints no line then: an ordinary
 * panic or throw).  With GOTRACEBACK=crash the core's own signal is the
 * SIGABRT of the runtime's crash(); the fault that started it is only
 * here.  *ret is malloc'd.  GC_ERR_NOT_FOUND when the g layout has no sig
 * fields, GC_ERR_FAULT when g is unreadable. */
struct gc_error *gr_signal_line(const struct gr_process *p, const struct gr_goroutine *g,
				char **ret);

/* The same line built from the core's NT_SIGINFO and the registers of the
 * thread that received it (pc = rip), for a core whose signal the runtime
 * did not handle (e.g. a kill -SEGV from outside).  si_code is shown
 * sign-extended, as the runtime's uintptr(si_code).  Returns the length as
 * gr_format_signal_line; 0 and buf "" when the core has no NT_SIGINFO. */
int gr_core_signal_line(char *buf, size_t size, const struct gc_siginfo *si,
			const struct gc_thread *th);

#endif
