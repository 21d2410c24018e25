/* Tests for common/parallel.c: chunks are emitted in order, each once;
 * never more than window chunks run ahead of the next one emitted; a
 * failing work or emit stops the run; GOCORE_JOBS and the affinity mask
 * give the thread count. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../parallel.h"

struct ctx {
	size_t nchunks, window;
	_Atomic size_t emitted;      /* chunks emitted so far */
	_Atomic size_t worked;
	_Atomic size_t ahead_max;    /* the furthest a started chunk was ahead */
	_Atomic int workers;
	size_t *order;               /* emit order */
	uint64_t *slot;              /* result by chunk % window */
	size_t fail_work, fail_emit; /* chunk + 1 that fails; 0: none */
	bool bad_slot;
};

static void *winit(void *vctx)
{
	struct ctx *c = vctx;
	atomic_fetch_add(&c->workers, 1);
	return malloc(1);
}

static void wfini(void *vctx, void *w)
{
	free(w);
}

static bool work(void *vctx, void *worker, size_t chunk)
{
	struct ctx *c = vctx;
	assert_non_null(worker);
	size_t e = atomic_load(&c->emitted);
	size_t ahead = chunk - e + 1;
	size_t m = atomic_load(&c->ahead_max);
	while (ahead > m && !atomic_compare_exchange_weak(&c->ahead_max, &m, ahead))
		;
	/* Uneven work, so that chunks finish out of order. */
	struct timespec ts = {0, (long)((chunk * 7919) % 5) * 100000};
	nanosleep(&ts, NULL);
	c->slot[chunk % c->window] = chunk * 3 + 1;
	atomic_fetch_add(&c->worked, 1);
	return !(c->fail_work && chunk + 1 == c->fail_work);
}

static bool emit(void *vctx, size_t chunk)
{
	struct ctx *c = vctx;
	if (c->slot[chunk % c->window] != chunk * 3 + 1)
		c->bad_slot = true;
	c->order[atomic_load(&c->emitted)] = chunk;
	atomic_fetch_add(&c->emitted, 1);
	return !(c->fail_emit && chunk + 1 == c->fail_emit);
}

static bool run(struct ctx *c, unsigned jobs)
{
	c->order = calloc(c->nchunks + 1, sizeof(*c->order));
	c->slot = calloc(c->window, sizeof(*c->slot));
	struct gc_parallel pl = {
		.nchunks = c->nchunks, .jobs = jobs, .window = c->window, .ctx = c,
		.worker_init = winit, .worker_fini = wfini, .work = work, .emit = emit,
	};
	bool ok = gc_parallel_run(&pl);
	return ok;
}

static void done(struct ctx *c)
{
	free(c->order);
	free(c->slot);
}

static void test_order(void **state)
{
	(void)state;
	for (unsigned jobs = 1; jobs <= 4; jobs++) {
		struct ctx c = {.nchunks = 200, .window = jobs > 1 ? 3 : 1};
		assert_true(run(&c, jobs));
		assert_int_equal(atomic_load(&c.emitted), 200);
		assert_int_equal(atomic_load(&c.worked), 200);
		for (size_t i = 0; i < 200; i++)
			assert_int_equal(c.order[i], i);
		assert_false(c.bad_slot);
		/* A chunk starts only within the window of the next to emit. */
		assert_true(atomic_load(&c.ahead_max) <= c.window);
		assert_int_equal(atomic_load(&c.workers), jobs);
		done(&c);
	}
}

static void test_empty_and_small(void **state)
{
	(void)state;
	struct ctx c = {.nchunks = 0, .window = 4};
	assert_true(run(&c, 4));
	assert_int_equal(atomic_load(&c.emitted), 0);
	done(&c);
	struct ctx d = {.nchunks = 1, .window = 4};
	assert_true(run(&d, 4)); /* more threads than chunks */
	assert_int_equal(atomic_load(&d.emitted), 1);
	done(&d);
}

static void test_stops(void **state)
{
	(void)state;
	for (unsigned jobs = 1; jobs <= 3; jobs += 2) {
		struct ctx c = {.nchunks = 100, .window = 4, .fail_work = 50};
		assert_false(run(&c, jobs));
		/* Nothing at or after the failing chunk is emitted. */
		assert_true(atomic_load(&c.emitted) <= 49 + (jobs == 1));
		for (size_t i = 0; i < atomic_load(&c.emitted); i++)
			assert_int_equal(c.order[i], i);
		done(&c);
		struct ctx e = {.nchunks = 100, .window = 4, .fail_emit = 10};
		assert_false(run(&e, jobs));
		assert_int_equal(atomic_load(&e.emitted), 10);
		/* Work stops within a window of the failing emit. */
		assert_true(atomic_load(&e.worked) <= 10 + 4 + jobs);
		done(&e);
	}
}

static void test_cpus(void **state)
{
	(void)state;
	setenv("GOCORE_JOBS", "3", 1);
	assert_int_equal(gc_parallel_cpus(), 3);
	setenv("GOCORE_JOBS", "0", 1); /* out of range: ignored */
	unsigned n = gc_parallel_cpus();
	assert_true(n >= 1 && n <= 64);
	setenv("GOCORE_JOBS", "x", 1);
	assert_int_equal(gc_parallel_cpus(), n);
	unsetenv("GOCORE_JOBS");
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	cpu_set_t saved;
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(gc_parallel_cpus(), 1); /* taskset -c 0 */
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_empty_and_small),
		cmocka_unit_test(test_stops),
		cmocka_unit_test(test_cpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
