/* The gocore commands, one function each, over an open session.  Each
 * returns an exit code (session.h) and writes to stdout (or the -o file);
 * gaps are recorded in the session for exit code 3. */
#ifndef GOCORE_ANALYZER_COMMANDS_H
#define GOCORE_ANALYZER_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include "../../goruntime/leaks.h"
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
/* report.c: stderr goes to a buffer from here on (the report shows what
 * gocore said), until cmd_report or report_release_stderr gives it back
 * (replaying what was said, and returning it in *text when text is not
 * NULL: a malloc'd NUL-terminated string, or NULL). */
void report_capture_stderr(void);
void report_release_stderr(char **text);

/* Shared by the commands (commands.c). */
/* Opens where -o writes noun ("the profile"): never over the core, the
 * executable or the Go library being read; a regular file is written as a
 * temporary beside it (*tmp_ret) to be renamed over *target_ret once whole
 * (both malloc'd; NULL when written in place).  NULL after saying why
 * (*rc_ret: the exit code). */
FILE *cmd_open_output(const struct session *s, const char *path, const char *noun,
		      char **tmp_ret, char **target_ret, int *rc_ret);
/* Says on stderr which groups have partial stacks (a gap: exit 3). */
void cmd_note_group_gaps(struct session *s, const struct gr_groups *groups);
/* The session's heap-walk verdicts (made once, with at least flags);
 * NULL after saying why (*rc). */
struct gr_leaks *cmd_find_leaks(struct session *s, unsigned flags, int *rc);

#endif
