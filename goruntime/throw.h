/* The "fatal error: …" of runtime.throw and runtime.fatal, found in a core:
 * the throw frame on a goroutine's stack or on the stacks of the thread the
 * final signal was delivered to, and the message it was given.  Internal to
 * goruntime: gr_panic_message and gr_crash_read (panic.c) use it.
 */
#ifndef GOCORE_GORUNTIME_THROW_H
#define GOCORE_GORUNTIME_THROW_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/obuf.h"
#include "gvalue.h"
#include "process.h"

struct gr_throw {
	/* A runtime.throw/runtime.fatal frame was found, and its message
	 * read; the other fields mean something only then. */
	bool found;
	char *message;     /* throw's argument, malloc'd; NULL when not found */
	/* Where the frame was: on goroutine on_g's stack, else (on_g NULL) on
	 * the stacks of thread, the M that threw (NULL if unknown). */
	const struct gr_goroutine *on_g;
	const struct gr_thread *thread;
	uint64_t sp;       /* the throw frame's sp */
};

/* Looks for a runtime.throw/fatal frame on g's stack (g may be NULL), then
 * on the stacks of the thread the core's final signal was delivered to;
 * fills *ret (ret->found when one is found with a plausible message: from
 * the closure throw passes to systemstack, else from throw's argument
 * spill slot).  An allocation failure sets r->nomem.  gr_throw_deinit
 * frees *ret. */
void gr_find_throw(struct gr_reader *r, const struct gr_goroutine *g, struct gr_throw *ret);

/* Frees t->message; t may be zeroed and not searched. */
void gr_throw_deinit(struct gr_throw *t);

/* The g whose getg() called fatalthrow, whose sig fields hold dopanic_m's
 * "[signal …]" line: the goroutine whose stack held the throw frame, else
 * the thread's gsignal when the frame is on its stack, else its g0; 0 when
 * unknown. */
uint64_t gr_throwing_g(const struct gr_reader *r, const struct gr_throw *t);

/* Appends the throw's lines for a found t to b: newstack's two
 * "runtime: …" lines before throw("stack overflow"), then "fatal error: s\n"
 * (1.23+ indenting s's continuation lines with a tab). */
void gr_throw_lines(struct gr_reader *r, const struct gr_throw *t, struct obuf *b);

#endif
