/* The gocore commands, one function each, over an open session.  Each
 * returns an exit code (session.h) and writes to stdout (or the -o file);
 * gaps are recorded in the session for exit code 3. */
#ifndef GOCORE_ANALYZER_COMMANDS_H
#define GOCORE_ANALYZER_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include "../../goruntime/report.h"
#include "session.h"

struct cmd_options {
	bool json;
	bool frame_addrs;          /* -v */
	struct gr_filter filter;   /* --state, --match, --min-wait, --label */
	const char *output;        /* pprof -o FILE, report -o FILE.html */
	const char *group_label;   /* summary --group-by label=KEY */
	bool summary;              /* leaks --summary */
	bool color;                /* --color (resolved: auto is decided in main) */
};

int cmd_goroutines(struct session *s, const struct cmd_options *o);
int cmd_stack(struct session *s, uint64_t goid, const struct cmd_options *o);
int cmd_overview(struct session *s, const struct cmd_options *o);
int cmd_summary(struct session *s, const struct cmd_options *o);
int cmd_pprof(struct session *s, const struct cmd_options *o);
int cmd_threads(struct session *s, const struct cmd_options *o);
int cmd_leaks(struct session *s, const struct cmd_options *o);
int cmd_waits(struct session *s, const struct cmd_options *o);
/* report.c: the HTML report. */
int cmd_report(struct session *s, const struct cmd_options *o);

#endif
