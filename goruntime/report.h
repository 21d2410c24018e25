/* Triage outputs built on gr_goroutine_frames (frames.h): goroutine
 * filters, a summary that groups goroutines with identical stacks (as text
 * and JSON), the goroutines as JSON, and (pprof.h) a goroutine profile.
 *
 * Every function here reads what gr_goroutine_frames reads: the same
 * function names, files and lines the traceback printer prints, all frames
 * (no elision) up to GR_MAX_GOROUTINE_FRAMES per goroutine.
 */
#ifndef GOCORE_GORUNTIME_REPORT_H
#define GOCORE_GORUNTIME_REPORT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/error.h"
#include "frames.h"
#include "labels.h"
#include "process.h"

/* ---- filters ---- */

struct gr_filter {
	/* Exact match on the header's state text (gr_goroutine_state: "chan
	 * send", "running", "select (no cases)"; without ", N minutes" and
	 * ", locked to thread").  NULL: any state. */
	const char *state;
	/* A compiled POSIX ERE (regcomp REG_EXTENDED, owned by the caller)
	 * tried on every logical frame's printed function name, symbol name
	 * and file; the goroutine matches when one of them does.  Used only
	 * when have_match. */
	regex_t *match;
	bool have_match;
	/* Keep goroutines waiting at least this many minutes, as the header
	 * computes them (gr_goroutine_wait_minutes); a goroutine whose wait
	 * time is unknown never matches.  -1: no condition. */
	int64_t min_wait_minutes;
	/* Keep goroutines that have the pprof label label_key (NULL: no
	 * condition), with the value label_value when that is not NULL. */
	const char *label_key, *label_value;
};

/* A filter that keeps everything. */
#define GR_FILTER_ALL ((struct gr_filter){.state = NULL, .match = NULL, \
					  .have_match = false, .min_wait_minutes = -1, \
					  .label_key = NULL, .label_value = NULL})

/* Minutes g has been waiting, as runtime.goroutineheader computes them:
 * (now - g.waitsince) / 60e9 for a waiting or syscall goroutine whose
 * waitsince is set (the GC stamps it), now being gr_process_now.  Returns
 * false, *ret = 0, when that is not known (the header prints no minutes
 * then; it also prints none for 0). */
bool gr_goroutine_wait_minutes(const struct gr_process *p, const struct gr_goroutine *g,
			       int64_t *ret);

/* Whether g passes every condition of filter (NULL passes everything).  A
 * frame match looks at the first GR_MAX_GOROUTINE_FRAMES frames; on a
 * goroutine whose frames cannot be collected (out of memory) it is false
 * (gr_filter_select reports that as an error). */
bool gr_filter_match(const struct gr_process *p, const struct gr_goroutine *g,
		     const struct gr_filter *filter);

/* The process's goroutines (goid order) that pass filter (NULL: all), as a
 * malloc'd array of pointers into the process (free() it; NULL when none).
 * Returns NULL or &gc_error_nomem. */
struct gc_error *gr_filter_select(const struct gr_process *p, const struct gr_filter *filter,
				  const struct gr_goroutine ***ret, size_t *n_ret);

/* ---- summary: goroutines grouped by identical stacks ---- */

struct gr_group {
	const char *state;        /* header state text (static or process-owned) */
	size_t count;
	uint64_t *goids;          /* count goids, ascending */
	/* Range of the known wait times in minutes (gr_goroutine_wait_minutes)
	 * over the members; both 0 when none is known. */
	int64_t wait_min, wait_max;
	size_t nwait_known;       /* members whose wait time is known */
	/* The frames of the group's first (lowest goid) member; every member
	 * has the same func, file and line list (pc/sp may differ). */
	struct gr_lframe *frames;
	size_t nframes;
	/* GR_UNWIND_* | GR_FRAMES_TRUNCATED | GR_FRAMES_BUDGET flags ORed
	 * over the members: non-zero when some stack is partial or
	 * unavailable (gr_stack_gap says what). */
	unsigned unwind_flags;
	/* With gr_group_by: the labels the members share (the one asked for,
	 * or all of them); n == 0 when they have none. */
	struct gr_labels labels;
};

/* What else splits groups besides state and stack. */
struct gr_group_by {
	const char *label_key; /* the value of this pprof label (absent is a value) */
	bool all_labels;       /* the whole label set (pprof's samples) */
};

struct gr_groups {
	struct gr_group *v;       /* largest first; ties: lowest first goid */
	size_t n;
	size_t ngoroutines;       /* sum of the counts */
	/* [text_lo, text_hi) of the executable's Go code (for pprof's
	 * Mapping). */
	uint64_t text_lo, text_hi;
};

/* Groups the goroutines gs[0..n) (NULL: every goroutine of p) that pass
 * filter (NULL: all) by identical (state text, list of frames' func, file
 * and line); the groups keep at most GR_MAX_GROUPED_FRAMES frames in all.
 * On success *ret must be freed with gr_groups_destroy.
 * Returns NULL or &gc_error_nomem. */
struct gc_error *gr_groups_build(const struct gr_process *p,
				 const struct gr_goroutine *const *gs, size_t n,
				 const struct gr_filter *filter, struct gr_groups **ret);
/* The same, calling progress(ctx, done, total) as goroutines are walked
 * (progress may be NULL). */
typedef void gr_progress_fn(void *ctx, size_t done, size_t total);
struct gc_error *gr_groups_build_progress(const struct gr_process *p,
					  const struct gr_goroutine *const *gs, size_t n,
					  const struct gr_filter *filter,
					  gr_progress_fn *progress, void *progress_ctx,
					  struct gr_groups **ret);
/* The same, also split by labels (by may be NULL). */
struct gc_error *gr_groups_build_by(const struct gr_process *p,
				    const struct gr_goroutine *const *gs, size_t n,
				    const struct gr_filter *filter, const struct gr_group_by *by,
				    gr_progress_fn *progress, void *progress_ctx,
				    struct gr_groups **ret);
/* The same on jobs threads (1: this one), with the same result. */
struct gc_error *gr_groups_build_jobs(const struct gr_process *p,
				      const struct gr_goroutine *const *gs, size_t n,
				      const struct gr_filter *filter, const struct gr_group_by *by,
				      unsigned jobs, gr_progress_fn *progress, void *progress_ctx,
				      struct gr_groups **ret);
void gr_groups_destroy(struct gr_groups *groups);

/* Prints the groups as text, a blank line between groups:
 *
 *   5 goroutines [chan receive, 1-3 minutes]: 18 19 20 21 22
 *   	main.take(...)
 *   		/src/main.go:9
 *   	main.worker()
 *   		/src/main.go:14
 *
 * The header: count, "goroutine(s)", the state with ", N minutes" or
 * ", MIN-MAX minutes" when some member waited a minute or more, then the
 * goids: all when 20 or fewer, else the first 10, "...", the last 3.
 * Frames: TAB, the function as the dump prints it, "(...)" for an inlined
 * frame and "()" for a physical one (no arguments), then two TABs and
 * file:line.  A group whose stacks are cut short ends with a TAB line
 * saying so ("goroutine running on other thread; stack unavailable",
 * "stack partial: ...").  Returns false on a write error. */
bool gr_groups_print_text(const struct gr_groups *groups, FILE *out);

/* Writes the groups as one JSON array (and a newline):
 *   [{"count":5,"state":"chan receive","goids":[18,19,...],
 *     "wait_minutes_min":0,"wait_minutes_max":0,"partial":false,
 *     "frames":[{"func":"main.worker","file":"/src/main.go","line":14}]}]
 * partial: some member's stack is cut short or unavailable.  Returns false
 * on a write error. */
bool gr_groups_write_json(const struct gr_groups *groups, FILE *out);

/* ---- goroutines as JSON ---- */

/* Writes gs[0..n) as one JSON array (and a newline), in the given order
 * (see gr_write_goroutines_json_gaps for the objects). */
struct gc_error *gr_write_goroutines_json(const struct gr_process *p,
					  const struct gr_goroutine *const *gs, size_t n,
					  FILE *out);

/* Called for each goroutine written with "partial": true, with the walk's
 * flags (gr_stack_gap(flags) is the "gap"). */
typedef void gr_gap_fn(void *ctx, const struct gr_goroutine *g, unsigned flags);

/* Writes gs[0..n) as one JSON array (and a newline), in the given order:
 *   {"id":18,"state":"chan receive","wait_reason":"chan receive",
 *    "wait_minutes":0,"locked_to_thread":false,
 *    "created_by":{"func":"main.main","file":"/src/main.go","line":30,
 *                  "goid":null},
 *    "labels":{},
 *    "frames":[{"func":"main.worker","file":"/src/main.go","line":14,
 *               "pc":"0x48a2f1","sp":"0xc000050f80","inlined":false}],
 *    "partial":false}
 * state: the header's state text; wait_reason: the wait reason string of a
 * waiting goroutine, else ""; wait_minutes: gr_goroutine_wait_minutes, 0
 * when unknown; created_by: null for goroutine 1 or an unknown creator,
 * its goid null when the release records no parent (before 1.21); labels:
 * {} (pprof labels are not read yet); frames: every logical frame,
 * innermost first (at most GR_MAX_GOROUTINE_FRAMES), func as the dump
 * prints it, pc and sp as "0x…" hex strings (64-bit values do not fit a
 * JSON/JS double); then "partial": whether the stack was read whole, and
 * when it was not "gap": gr_stack_gap()'s phrase, after which on_gap (may be
 * NULL) is called.  Stops early when out has an error.  Returns NULL, a
 * GC_ERR_IO error on a write error, or &gc_error_nomem. */
struct gc_error *gr_write_goroutines_json_gaps(const struct gr_process *p,
					       const struct gr_goroutine *const *gs, size_t n,
					       FILE *out, gr_gap_fn *on_gap, void *gap_ctx);

/* The same on jobs threads (1: this one), with the same output and the
 * same on_gap calls in the same order (on the calling thread). */
struct gc_error *gr_write_goroutines_json_jobs(const struct gr_process *p,
					       const struct gr_goroutine *const *gs, size_t n,
					       unsigned jobs, FILE *out, gr_gap_fn *on_gap,
					       void *gap_ctx);

/* Appends more members to goroutine g's JSON object (",\"key\":value..."),
 * after "partial"; called from the writer's threads at once. */
typedef void gr_json_extra_fn(void *ctx, const struct gr_goroutine *g, FILE *out);

/* gr_write_goroutines_json_jobs, with extra (may be NULL) adding members
 * to every object. */
struct gc_error *gr_write_goroutines_json_extra(const struct gr_process *p,
						const struct gr_goroutine *const *gs, size_t n,
						unsigned jobs, FILE *out, gr_gap_fn *on_gap,
						void *gap_ctx, gr_json_extra_fn *extra,
						void *extra_ctx);

/* Writes s as a JSON string literal: '"' and '\\' escaped, control
 * characters as \n, \t, \r, \b, \f or \u00XX, each byte that is not part of
 * valid UTF-8 (overlong forms, surrogates and values past U+10FFFF
 * included) as \ufffd. */
void gr_json_string(FILE *out, const char *s);

#endif
