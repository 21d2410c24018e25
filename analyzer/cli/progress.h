/* "goroutines done / total" on stderr while a long command runs: only when
 * stderr is a terminal and the work has taken over a second; the line is
 * cleared when the work ends, so output and pipes never see it. */
#ifndef GOCORE_ANALYZER_PROGRESS_H
#define GOCORE_ANALYZER_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct progress {
	bool tty, shown;
	struct timespec start, last;
	const char *what;
};

void progress_start(struct progress *pr, const char *what);
/* Cheap to call for every item: looks at the clock every 1024 items. */
void progress_update(struct progress *pr, size_t done, size_t total);
/* Clears the line if one was shown. */
void progress_end(struct progress *pr);
/* progress_update for gr_groups_build_progress (ctx is the struct progress). */
void progress_callback(void *ctx, size_t done, size_t total);

#endif
