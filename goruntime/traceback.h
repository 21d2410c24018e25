/* Printing goroutines exactly as the Go runtime's traceback.go does in a
 * GOTRACEBACK=crash dump (all frames, system goroutines included). */
#ifndef GOCORE_GORUNTIME_TRACEBACK_H
#define GOCORE_GORUNTIME_TRACEBACK_H

#include <stdbool.h>
#include <stdio.h>

#include "process.h"

struct gr_print_options {
	bool frame_addrs;  /* append " fp=0x… sp=0x… pc=0x…" as crash mode does */
};

/* Gaps found while printing one goroutine (for exit code 3). */
enum {
	GR_GAP_STACK = 1,   /* the stack could not be walked (fully or in part) */
	GR_GAP_NOMEM = 2,   /* out of memory: frames are missing from the output */
};

/* Frees what the printer keeps for p (renderings of its frames); called by
 * gr_process_destroy. */
void gr_print_forget(const struct gr_process *p);

/* Prints the header line "goroutine N [...]:". */
void gr_print_header(const struct gr_process *p, const struct gr_goroutine *g, FILE *out);

/* Prints header, frames and "created by" of g (no trailing blank line).
 * Returns GR_GAP_* flags; a gap is also noted in the output the way the
 * runtime would, and explained on warn (may be NULL). */
unsigned gr_print_goroutine(const struct gr_process *p, const struct gr_goroutine *g,
			    const struct gr_print_options *opts, FILE *out, FILE *warn);

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
