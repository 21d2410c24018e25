/* What each blocked goroutine waits on, from the runtime's own records:
 * g.waiting and its sudogs (channels, select; semaphores and condition
 * variables from Go 1.26, which records those there too), the sudog a
 * goroutine parked in a semaphore or a sync.Cond keeps on its own stack
 * (earlier releases), the channel's hchan, g.timer for a sleep, and the
 * pollDesc of an I/O wait.
 */
#ifndef GOCORE_GORUNTIME_WAITS_H
#define GOCORE_GORUNTIME_WAITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "heap.h"
#include "layout.h"
#include "process.h"

enum gr_wait_kind {
	GR_WAIT_NONE = 0,       /* running, runnable, or a wait gocore does not follow */
	GR_WAIT_CHAN_RECV,
	GR_WAIT_CHAN_SEND,
	GR_WAIT_SELECT,
	GR_WAIT_NIL_CHAN,       /* send or receive on a nil channel */
	GR_WAIT_SELECT_NO_CASES,
	GR_WAIT_MUTEX,          /* sync.Mutex.Lock */
	GR_WAIT_RWMUTEX_R,      /* sync.RWMutex.RLock */
	GR_WAIT_RWMUTEX_W,      /* sync.RWMutex.Lock */
	GR_WAIT_WAITGROUP,
	GR_WAIT_COND,           /* sync.Cond.Wait */
	GR_WAIT_SEMA,           /* semacquire: a semaphore (before 1.2x: also Mutex...) */
	GR_WAIT_SLEEP,
	GR_WAIT_IO,
	GR_WAIT_KINDS,
};

/* The JSON and text name of a kind: "chan", "select", "nil chan",
 * "mutex"... */
const char *gr_wait_kind_name(enum gr_wait_kind k);

/* Most objects one goroutine waits on that are kept (a select's cases). */
#define GR_WAIT_MAX_OBJS 64

enum gr_wait_dir { GR_DIR_NONE = 0, GR_DIR_RECV = 1, GR_DIR_SEND = 2 };

struct gr_wait_obj {
	uint64_t addr;     /* the hchan, the semaphore, the notifyList */
	uint64_t sudog;    /* the goroutine's sudog for it; 0 when not known */
	enum gr_wait_dir dir;
};

struct gr_wait {
	enum gr_wait_kind kind;
	/* A leak candidate by the goroutine leak profile's criterion
	 * (runtime/mgcmark.go internalBlocked, mgc.go isMaybeRunnable):
	 * waiting on a channel, a select, a nil channel, or a sync
	 * primitive ("semacquire" only in releases that have no sync.Mutex.Lock
	 * wait reason, where it is how those waits show). */
	bool candidate;
	/* The objects were found (a candidate whose objects are not is never
	 * reported as leaked). */
	bool found;
	bool truncated;    /* more than GR_WAIT_MAX_OBJS objects */
	size_t nobjs;
	struct gr_wait_obj objs[GR_WAIT_MAX_OBJS];
	int64_t when;      /* GR_WAIT_SLEEP: the timer's when (nanotime); 0 unknown */
	int64_t fd;        /* GR_WAIT_IO: the file descriptor; -1 unknown */
};

struct gr_waits;

/* The readers, from the layouts l holds (GR_WAITS_LAYOUTS: runtime.sudog,
 * hchan, waitq, timer, pollDesc, sync.Cond; only l's use is during the
 * call).  GC_ERR_NOT_FOUND when runtime.sudog has no layout. */
#define GR_WAITS_LAYOUTS "runtime.sudog", "runtime.hchan", "runtime.waitq", "runtime.timer", \
			 "runtime.pollDesc", "sync.Cond"
struct gc_error *gr_waits_open(const struct gr_process *p, const struct gr_layouts *l,
			       struct gr_waits **ret);
void gr_waits_destroy(struct gr_waits *w);

/* What g waits on.  heap (may be NULL) helps find the sudog of a Cond
 * waiter before Go 1.26.  w remembers the queues it walked (one thread
 * at a time). */
void gr_waits_read(struct gr_waits *w, const struct gr_heap *heap,
		   const struct gr_goroutine *g, struct gr_wait *ret);

/* Whether an allocation of w's caches failed (what it read since may
 * miss objects: not to be used). */
bool gr_waits_nomem(const struct gr_waits *w);

/* The sudog fields the leak finder hides (as the runtime does during its
 * leak detection): the offsets and sizes of sudog.elem and sudog.c. */
void gr_waits_sudog_hidden(const struct gr_waits *w, uint64_t *elem_off, uint64_t *elem_size,
			   uint64_t *c_off, uint64_t *c_size);

/* A channel as its hchan says. */
struct gr_chan {
	uint64_t addr;
	uint64_t cap, len;
	uint64_t elemsize;
	bool closed;
	char *elemtype;            /* malloc'd; NULL when unreadable */
	size_t nrecv, nsend;       /* goroutines queued */
	uint64_t *recv, *send;     /* their g addresses (malloc'd) */
	bool truncated;            /* a queue was cut at 1<<20 entries or unreadable */
	bool nomem;                /* an allocation failed: not to be used */
};

/* Reads the hchan at addr.  False when it is unreadable. */
bool gr_chan_read(const struct gr_waits *w, uint64_t addr, struct gr_chan *ret);
void gr_chan_free(struct gr_chan *c);

#endif
