/* Signals in a Go crash: the runtime's names for them (its sigtable), the
 * "[signal SIGSEGV: …]" line dopanic_m prints, and which thread took the
 * signal that started the crash.
 */
#ifndef GOCORE_GORUNTIME_SIGNAL_H
#define GOCORE_GORUNTIME_SIGNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "process.h"

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
 * thread that received it (its pc), for a core whose signal the runtime
 * did not handle (e.g. a kill -SEGV from outside).  si_code is shown
 * sign-extended, as the runtime's uintptr(si_code).  Returns the length as
 * gr_format_signal_line; 0 and buf "" when the core has no NT_SIGINFO. */
int gr_core_signal_line(char *buf, size_t size, const struct gr_image *img,
			const struct gr_image_thread *th);

/* The thread the core's final signal was delivered to: the first in the
 * core's note order.  NULL when no Go thread is in the core. */
const struct gr_thread *gr_signalled_thread(const struct gr_process *p);

/* ---- for gr_crash_read (panic.c) ---- */

struct gr_reader;
struct gr_sigframe;
struct obuf;

/* The thread whose signal started a signal dump (a signal the runtime's
 * sighandler did not turn into a panic), NULL when no thread is in the Go
 * handler of such a signal; *frame gets that signal's frame. */
const struct gr_thread *gr_signal_origin(const struct gr_process *p,
					 struct gr_sigframe *frame);

/* Appends fatalsignal's lines for the signal f that thread t took to b.
 * Returns the goroutine the runtime then dumps first, NULL for none. */
const struct gr_goroutine *gr_fatalsignal_lines(struct gr_reader *r, const struct gr_thread *t,
						const struct gr_sigframe *f, struct obuf *b);

#endif
