#include "progress.h"

#include <stdio.h>
#include <unistd.h>

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void progress_start(struct progress *pr, const char *what)
{
	*pr = (struct progress){.tty = isatty(STDERR_FILENO) == 1, .what = what};
	clock_gettime(CLOCK_MONOTONIC, &pr->start);
	pr->last = pr->start;
}

void progress_update(struct progress *pr, size_t done, size_t total)
{
	if (!pr->tty || done % 1024 != 0)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (since(&pr->start, &now) < 1.0 || (pr->shown && since(&pr->last, &now) < 0.1))
		return;
	pr->last = now;
	pr->shown = true;
	fprintf(stderr, "\rgocore: %s %zu/%zu goroutines", pr->what, done, total);
	fflush(stderr);
}

void progress_end(struct progress *pr)
{
	if (pr->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	pr->shown = false;
}

void progress_callback(void *ctx, size_t done, size_t total)
{
	progress_update(ctx, done, total);
}
