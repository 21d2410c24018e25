/* gocore report: one self-contained HTML page.  See README.md. */
#include <stdio.h>

#include "commands.h"

int cmd_report(struct session *s, const struct cmd_options *o)
{
	fprintf(stderr, "gocore: report: not built yet\n");
	return EXIT_USAGE;
}
