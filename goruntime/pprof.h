/* The goroutine groups of report.h as a pprof goroutine profile: the
 * profile.proto message (github.com/google/pprof/proto/profile.proto),
 * gzipped, as runtime/pprof writes it for
 * pprof.Lookup("goroutine").WriteTo(w, 0). */
#ifndef GOCORE_GORUNTIME_PPROF_H
#define GOCORE_GORUNTIME_PPROF_H

#include <stdio.h>

#include "../common/error.h"
#include "report.h"

/* The executable, for the profile's one Mapping. */
struct gr_pprof_mapping {
	const char *filename;     /* may be NULL */
	const char *build_id;     /* may be NULL */
};

/* The label a sample of partial stacks carries, its value gr_stack_gap()'s
 * phrase (go tool pprof -tags shows it). */
#define GR_PPROF_GAP_LABEL "gocore_gap"

/* Writes groups as a gzipped profile.proto: sample_type and period_type
 * [goroutine/count], period 1; one Sample per group, value [count],
 * the group's labels and, for partial stacks, GR_PPROF_GAP_LABEL;
 * location_ids leaf first (of a stack with more than 1024 physical frames,
 * the 512 innermost, one Location whose function is "...N frames
 * elided..." at address 0, and the 512 outermost); one Location per
 * distinct physical pc (address
 * = the pc the dump prints the frame for) whose Lines are that frame's
 * inline expansion, innermost first; one Function per distinct (printed
 * name, symbol name, file) with name = the printed name (runtime.gopanic
 * is "panic"), system_name = the symbol name, start_line 0; one Mapping
 * (id 1) covering the executable's text, has_functions, has_filenames,
 * has_line_numbers and has_inline_frames set.  exe may be NULL.  Returns
 * NULL, GC_ERR_IO on a write error, or &gc_error_nomem. */
struct gc_error *gr_write_pprof(const struct gr_groups *groups,
				const struct gr_pprof_mapping *exe, FILE *out);

#endif
