//go:build ignore

/* The C host of testdata/carchive, linked with libgo.a: the Go side parks
 * workers, a thread of the host parks in Go too, then the host asks a
 * worker for something that makes it panic.  (The build line above keeps
 * cgo from compiling this file into the Go package; tests/crash.sh
 * compiles it.) */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "libgo.h"

static void *waiter(void *arg)
{
	(void)arg;
	GoWait(); /* never returns */
	return NULL;
}

int main(void)
{
	pthread_t t;
	int n = GoServe(3);
	fprintf(stderr, "host: %d goroutines parked\n", n);
	if (pthread_create(&t, NULL, waiter, NULL) != 0)
		return 1;
	GoWaitReady();
	printf("host: got %d\n", GoTrigger());
	return 0;
}
