/* Printing goroutines exactly as the Go runtime's traceback.go does in a
 * GOTRACEBACK=crash dump (all frames, system goroutines included). */
#ifndef GOCORE_GORUNTIME_TRACEBACK_H
#define GOCORE_GORUNTIME_TRACEBACK_H

#include <stdbool.h>
#include <stdio.h>

#include "../common/obuf.h"
#include "process.h"

struct gr_print_options {
	bool frame_addrs;  /* append " fp=0x… sp=0x… pc=0x…" as crash mode does */
};

/* Gaps found while printing one goroutine (for exit code 3). */
enum {
	GR_GAP_STACK = 1,   /* the stack could not be walked (fully or in part) */
	GR_GAP_NOMEM = 2,   /* out of memory: frames are missing from the output */
};

/* A printer: what one thread prints goroutines of p with (its renderings
 * of frames, shared by the goroutines it prints).  A printer is used by one
 * thread at a time; several may print the same process at once. */
struct gr_printer;
struct gc_error *gr_printer_create(const struct gr_process *p, const struct gr_print_options *opts,
				   struct gr_printer **ret);
void gr_printer_destroy(struct gr_printer *pr);
/* Appends g's header, frames and "created by" to out (no trailing blank
 * line), and each gap's explanation to warn (may be NULL), a line each
 * ("goroutine N: ...\n", "warning: goroutine N: ...\n").  Returns GR_GAP_* flags; a gap is also noted in the output
 * the way the runtime would. */
unsigned gr_printer_print(struct gr_printer *pr, const struct gr_goroutine *g, struct obuf *out,
			  struct obuf *warn);

/* Prints the header line "goroutine N [...]:". */
void gr_print_header(const struct gr_process *p, const struct gr_goroutine *g, FILE *out);

/* Prints header, frames and "created by" of g (no trailing blank line).
 * Returns GR_GAP_* flags; a gap is also noted in the output the way the
 * runtime would, and explained through warn (may be NULL), one call a
 * line ("goroutine N: ..."; the caller adds its "gocore: "). */
unsigned gr_print_goroutine(const struct gr_process *p, const struct gr_goroutine *g,
			    const struct gr_print_options *opts, FILE *out, gr_warn_fn *warn,
			    void *warn_ctx);

/* Prints gs[0..n), a blank line between two, as gr_print_goroutine would one
 * after the other, on jobs threads (gc_parallel_cpus(); 1: this one): the
 * output and the warnings are the same whatever jobs is.  progress (may be
 * NULL) is called now and then with the goroutines printed so far.  *gaps_ret
 * gets the GR_GAP_* flags of all.  Returns NULL; &gc_error_nomem; or a
 * GC_ERR_IO error when writing out failed (errno then holds the write's
 * error), after which nothing more was written. */
typedef void gr_print_progress_fn(void *ctx, size_t done, size_t total);
struct gc_error *gr_print_goroutines(const struct gr_process *p,
				     const struct gr_goroutine *const *gs, size_t n,
				     const struct gr_print_options *opts, unsigned jobs, FILE *out,
				     gr_warn_fn *warn, void *warn_ctx,
				     gr_print_progress_fn *progress, void *progress_ctx,
				     unsigned *gaps_ret);

/* The state text of the header: "chan receive", "running", "sleep
 * (durable)", "chan receive (leaked)"... (the " (scan)" marker left out).
 * The string lives as long as p. */
const char *gr_goroutine_state(const struct gr_process *p, const struct gr_goroutine *g);

/* Whether the header marks g " (leaked)" (Go 1.26+ _Gleaked). */
bool gr_goroutine_leaked(const struct gr_process *p, const struct gr_goroutine *g);
/* Whether the header marks g " (durable)": Go 1.25+, in a bubble, its wait
 * reason in isIdleInSynctest, and its state string not already ending in
 * "(durable)".  1.26+ also asks for _Gwaiting; 1.25 looked at the wait
 * reason alone, which stays set after a goroutine is readied. */
bool gr_goroutine_durable(const struct gr_process *p, const struct gr_goroutine *g);

#endif
