/* Work cut into chunks, done on several threads, its results taken in
 * order on the calling thread: how the whole-process outputs use every
 * CPU and still print exactly what one thread would.
 *
 * work(ctx, worker, chunk) runs on some thread for each chunk in
 * 0..nchunks-1; emit(ctx, chunk) runs on the calling thread, in chunk
 * order, once that chunk's work is done.  A chunk's work starts only when
 * fewer than window chunks are done and not yet emitted or in progress
 * ahead of the next one to emit, so a caller keeps one result slot per
 * chunk % window.  Each thread has its own worker state, made by
 * worker_init(ctx) (NULL = none needed; a NULL return is out of memory)
 * and freed by worker_fini(ctx, worker). */
#ifndef GOCORE_COMMON_PARALLEL_H
#define GOCORE_COMMON_PARALLEL_H

#include <stdbool.h>
#include <stddef.h>

struct gc_parallel {
	size_t nchunks;
	unsigned jobs;    /* threads; 0 or 1: everything on the calling thread */
	size_t window;    /* at least 1 */
	void *ctx;
	void *(*worker_init)(void *ctx);
	void (*worker_fini)(void *ctx, void *worker);
	/* false stops the run (an error the caller keeps in ctx). */
	bool (*work)(void *ctx, void *worker, size_t chunk);
	bool (*emit)(void *ctx, size_t chunk);
};

/* Runs pl.  Returns true when every chunk was worked and emitted; false
 * when work or emit stopped it, or worker_init failed (out of memory).
 * Threads that cannot be started leave the work to fewer threads. */
bool gc_parallel_run(const struct gc_parallel *pl);

/* The CPUs this process may run on (sched_getaffinity: `taskset -c 0`
 * gives 1), at least 1 and at most 64; GOCORE_JOBS=N in the environment
 * overrides it (1..64). */
unsigned gc_parallel_cpus(void);

#endif
