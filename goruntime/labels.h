/* What a goroutine carries besides its stack: pprof labels, its synctest
 * bubble, and the header extras the runtime prints for them.
 *
 * Labels live where runtime/pprof put them, g.labels:
 *   - Go 1.24+: a pointer to a sorted list, struct { list []struct{key,
 *     value string} } (runtime/pprof labelMap / internal label.Set);
 *   - Go 1.18-1.23: a pointer to a labelMap, map[string]string, read from
 *     the runtime's hash map (hmap and its buckets).
 * Whether the header prints them (Go 1.26+) is the runtime's own
 * debug.tracebacklabels, found through its GODEBUG table (dbgvars) by the
 * variable's name, so stripped binaries need no symbol.
 */
#ifndef GOCORE_GORUNTIME_LABELS_H
#define GOCORE_GORUNTIME_LABELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "../common/obuf.h"
#include "process.h"

/* Bounds, independent of what the core claims. */
enum {
	GR_LABELS_MAX = 1024,          /* labels read per goroutine */
	GR_LABEL_STRING_MAX = 1 << 16, /* bytes read per key or value */
};

struct gr_label {
	char *key, *value; /* NUL-terminated copies (may hold NULs inside) */
	size_t key_len, value_len;
};

struct gr_labels {
	struct gr_label *v;
	size_t n;
	/* Something could not be read or passed a bound: the labels are
	 * those read; why says what (static text). */
	const char *gap;
};

/* Reads g's labels (sorted by key).  Returns NULL with ret->n == 0 when g
 * has none, NULL with ret->gap set when only part could be read, and
 * &gc_error_nomem when an allocation fails.  gr_labels_free() in every
 * case. */
struct gc_error *gr_goroutine_labels(const struct gr_process *p, const struct gr_goroutine *g,
				     struct gr_labels *ret);
void gr_labels_free(struct gr_labels *l);

/* The value of the runtime's GODEBUG setting name (an entry of
 * runtime.dbgvars with an atomic or a value pointer), read from memory;
 * false when it cannot be found. */
bool gr_process_debug_var(const struct gr_process *p, const char *name, int32_t *ret);

/* The id the header prints for g's synctest bubble (1.25+: bubble.id;
 * 1.24: the goid of the group's root), false when g is in none. */
bool gr_goroutine_bubble_id(const struct gr_process *p, const struct gr_goroutine *g,
			    uint64_t *ret);

/* The fake time of g's synctest bubble (bubble.now, nanoseconds): the
 * clock its timers and sleeps run on.  False when g is in none. */
bool gr_goroutine_bubble_now(const struct gr_process *p, const struct gr_goroutine *g,
			     int64_t *ret);

/* Appends s as the runtime's printquoted does (release minor: 1.27 shows
 * invalid UTF-8 bytes as \xNN, 1.26 as \ufffd). */
void gr_append_quoted(struct obuf *out, const char *s, size_t len, int minor);
/* traceback.go tracebackStringNeedsQuoting (1.27). */
bool gr_string_needs_quoting(const char *s, size_t len);

#endif
