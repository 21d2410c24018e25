/* Ordered parallel chunks.  See parallel.h. */
#include "parallel.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

enum { MAX_JOBS = 64 };

struct run {
	const struct gc_parallel *pl;
	pthread_mutex_t lock;
	pthread_cond_t done_cv, space_cv;
	size_t next;      /* the next chunk to hand out */
	size_t emitted;   /* chunks emitted */
	unsigned char *done; /* by chunk % window */
	bool stop;
};

static void *worker_main(void *arg)
{
	struct run *r = arg;
	const struct gc_parallel *pl = r->pl;
	void *w = pl->worker_init ? pl->worker_init(pl->ctx) : NULL;
	pthread_mutex_lock(&r->lock);
	if (pl->worker_init && !w) {
		r->stop = true;
		pthread_cond_broadcast(&r->done_cv);
	}
	for (;;) {
		while (!r->stop && r->next < pl->nchunks && r->next >= r->emitted + pl->window)
			pthread_cond_wait(&r->space_cv, &r->lock);
		if (r->stop || r->next >= pl->nchunks)
			break;
		size_t c = r->next++;
		pthread_mutex_unlock(&r->lock);
		bool ok = pl->work(pl->ctx, w, c);
		pthread_mutex_lock(&r->lock);
		if (!ok)
			r->stop = true;
		r->done[c % pl->window] = 1;
		pthread_cond_broadcast(&r->done_cv);
	}
	pthread_mutex_unlock(&r->lock);
	if (w && pl->worker_fini)
		pl->worker_fini(pl->ctx, w);
	return NULL;
}

static bool run_here(const struct gc_parallel *pl)
{
	void *w = pl->worker_init ? pl->worker_init(pl->ctx) : NULL;
	if (pl->worker_init && !w)
		return false;
	bool ok = true;
	for (size_t c = 0; c < pl->nchunks && ok; c++)
		ok = pl->work(pl->ctx, w, c) && pl->emit(pl->ctx, c);
	if (w && pl->worker_fini)
		pl->worker_fini(pl->ctx, w);
	return ok;
}

bool gc_parallel_run(const struct gc_parallel *pl)
{
	unsigned jobs = pl->jobs > MAX_JOBS ? MAX_JOBS : pl->jobs;
	if (jobs > pl->nchunks)
		jobs = (unsigned)pl->nchunks;
	if (jobs <= 1 || pl->window == 0)
		return run_here(pl);
	struct run r = {.pl = pl};
	r.done = calloc(pl->window, 1);
	if (!r.done)
		return false;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.done_cv, NULL);
	pthread_cond_init(&r.space_cv, NULL);
	pthread_t th[MAX_JOBS];
	unsigned started = 0;
	for (unsigned i = 0; i < jobs; i++)
		if (pthread_create(&th[started], NULL, worker_main, &r) == 0)
			started++;
	bool ok = started > 0;
	if (!ok) {
		free(r.done);
		pthread_mutex_destroy(&r.lock);
		pthread_cond_destroy(&r.done_cv);
		pthread_cond_destroy(&r.space_cv);
		return run_here(pl);
	}
	pthread_mutex_lock(&r.lock);
	for (size_t c = 0; c < pl->nchunks; c++) {
		while (!r.stop && !r.done[c % pl->window])
			pthread_cond_wait(&r.done_cv, &r.lock);
		if (r.stop) {
			ok = false;
			break;
		}
		r.done[c % pl->window] = 0;
		pthread_mutex_unlock(&r.lock);
		bool eok = pl->emit(pl->ctx, c);
		pthread_mutex_lock(&r.lock);
		r.emitted = c + 1;
		if (!eok) {
			r.stop = true;
			ok = false;
		}
		pthread_cond_broadcast(&r.space_cv);
		if (!ok)
			break;
	}
	r.stop = true;
	pthread_cond_broadcast(&r.space_cv);
	pthread_mutex_unlock(&r.lock);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(r.done);
	pthread_mutex_destroy(&r.lock);
	pthread_cond_destroy(&r.done_cv);
	pthread_cond_destroy(&r.space_cv);
	return ok;
}

unsigned gc_parallel_cpus(void)
{
	const char *env = getenv("GOCORE_JOBS");
	if (env && *env) {
		char *end;
		unsigned long v = strtoul(env, &end, 10);
		if (!*end && v >= 1 && v <= MAX_JOBS)
			return (unsigned)v;
	}
	cpu_set_t set;
	unsigned n = 1;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = (unsigned)CPU_COUNT(&set);
	if (n < 1)
		n = 1;
	return n > MAX_JOBS ? MAX_JOBS : n;
}
