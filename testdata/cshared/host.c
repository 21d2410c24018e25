//go:build ignore

/* The C host of testdata/cshared: loads libgo.so (linked against it), has
 * the Go side park goroutines, parks one more from a thread of its own, then
 * makes the Go side panic.  (The build line above keeps cgo from compiling
 * this file into the Go package; tests/crash.sh compiles it.) */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "libgo.h"

static void *blocker(void *arg)
{
	(void)arg;
	GoBlock(); /* never returns */
	return NULL;
}

int main(void)
{
	pthread_t t;
	int n = GoStart();
	fprintf(stderr, "host: %d goroutines parked\n", n);
	if (pthread_create(&t, NULL, blocker, NULL) != 0)
		return 1;
	GoWaitBlocked();
	GoCrash(42);
	return 0;
}
