/* Goroutines that can never wake: the criterion of Go's goroutine leak
 * profile (proposal 74609; runtime/mgc.go findGoroutineLeaks), applied to
 * a core by a heap walk of gocore's own.
 *
 * A goroutine blocked on a channel, a select, a nil channel or a sync
 * primitive is leaked when none of the objects it waits on can be reached
 * from memory that a goroutine able to run can still use.  The walk marks
 * heap objects from the roots: the globals (precisely, with the module's
 * GC bitmaps), the stacks of every goroutine that is not such a candidate
 * (frame by frame with the compiler's stack maps where they describe the
 * frame, else word by word: every word that points into a heap object
 * keeps it), the registers and current stacks of the threads, and the
 * spans' finalizer and cleanup records.  Heap objects are scanned word by
 * word, except those in spans that hold no pointers and the runtime's Ps,
 * Gs and Ms (with their types' bitmaps).
 * Marking repeats with the stack of each candidate whose object got
 * marked (or is not in the heap) as a new root, until nothing changes.
 * As in the runtime, the sudogs' hold on the objects (sudog.c for a
 * channel, sudog.elem for a sync primitive) is not followed, or the
 * runtime's own bookkeeping (allgs -> g -> sudog) would keep everything.
 *
 * Conservative scanning keeps more than the runtime's precise one: it may
 * miss a leak, never invent one.  A candidate whose objects cannot be
 * found, and any verdict reached while part of the process's memory is
 * missing from the core (but for a nil channel or select {}, which nothing
 * can end), is "undecided", never "leaked".
 */
#ifndef GOCORE_GORUNTIME_LEAKS_H
#define GOCORE_GORUNTIME_LEAKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "process.h"
#include "waits.h"

enum gr_leak_verdict {
	GR_LEAK_RUNNABLE = 0, /* not blocked on a concurrency object: a root */
	GR_LEAK_LIVE,         /* blocked, on an object that stays reachable */
	GR_LEAK_LEAKED,       /* can never wake */
	GR_LEAK_UNDECIDED,    /* a candidate gocore could not decide (kept as a root) */
};

struct gr_leaks;

/* What first kept an object a blocked goroutine waits on: the word that
 * points to it in a global, a goroutine's stack, a thread's registers or
 * stack, a finalizer's or cleanup's record, or another heap object. */
enum gr_held_by {
	GR_HELD_NONE = 0, GR_HELD_BY_GLOBAL, GR_HELD_BY_STACK, GR_HELD_BY_THREAD,
	GR_HELD_BY_FINALIZER, GR_HELD_BY_OBJECT,
};
struct gr_holder {
	enum gr_held_by kind;
	uint64_t goid;      /* GR_HELD_BY_STACK: whose stack */
	uint64_t where;     /* the word's address; for GR_HELD_BY_OBJECT the object's */
};

/* Flags of gr_leaks_find. */
enum { GR_LEAKS_HOLDERS = 1 };

struct gr_leak_stats {
	size_t candidates, leaked, undecided;
	size_t spans;
	uint64_t objects, marked;
	uint64_t missing_bytes;     /* of the process's memory not in the core */
	bool no_spans;              /* no heap span found: nothing is decided */
	bool globals_precise;       /* the GC bitmaps of data and bss were used */
	size_t typed;               /* runtime objects (Ps, Gs, Ms) scanned with their type's bitmap */
	uint64_t heap_precise;      /* heap objects scanned by their pointer records (or as typed) */
	uint64_t heap_words;        /* heap objects scanned word by word */
	uint64_t frames_precise;    /* stack frames scanned with their stack maps */
	uint64_t frames_words;      /* stack frames scanned word by word */
	unsigned rounds;            /* marking rounds */
};

/* Runs the walk over p's goroutines (gr_process_goroutine order).
 * GC_ERR_NOT_FOUND when the layouts it needs (runtime.mspan,
 * runtime.sudog) cannot be learned. */
struct gc_error *gr_leaks_find(const struct gr_process *p, unsigned flags, struct gr_leaks **ret);
void gr_leaks_destroy(struct gr_leaks *l);

/* The verdict on goroutine g (one of gr_process_goroutine's). */
enum gr_leak_verdict gr_leaks_verdict(const struct gr_leaks *l, const struct gr_goroutine *g);
/* What goroutine g waits on (read again: one thread at a time). */
void gr_leaks_wait(struct gr_leaks *l, const struct gr_goroutine *g, struct gr_wait *ret);
const struct gr_leak_stats *gr_leaks_stats(const struct gr_leaks *l);
/* With GR_LEAKS_HOLDERS: what first kept the heap object at addr that a
 * blocked goroutine waits on.  False when none did (a leaked object), it
 * is no such object, or holders were not asked for. */
bool gr_leaks_holder(const struct gr_leaks *l, uint64_t addr, struct gr_holder *ret);
/* With GR_LEAKS_HOLDERS: when what kept the object at addr was another
 * heap object, the chain back to a root.  *root is the root that kept the
 * first object of the chain (a global, a goroutine's stack, a thread, a
 * finalizer; GR_HELD_NONE when not known, or when no holder is known);
 * through[0..min(n, max)) the heap objects from the root's side (when the
 * chain is longer than max, the max nearest the waited object, reversed:
 * the last is the holder).  Returns n, the number of heap objects in the
 * chain (0: the holder itself is the root, *root). */
size_t gr_leaks_holder_chain(const struct gr_leaks *l, uint64_t addr, struct gr_holder *root,
			     uint64_t *through, size_t max);
/* The readers the walk used (for channel details). */
const struct gr_waits *gr_leaks_waits(const struct gr_leaks *l);

#endif
