/* Terminal colour (--color) for the text outputs that print goroutines:
 * goroutines, stack and leaks (the runtime's dump format) and summary
 * (and leaks --summary).
 *
 * The printers are not touched: the colouriser sits between them and
 * stdout and decorates each complete line by its shape, inserting SGR
 * sequences ("\033[...m") and nothing else.  Every coloured span ends with
 * "\033[0m" on the same line, so removing every "\033[[0-9;]*m" from the
 * coloured text gives back the plain text byte for byte (as long as the
 * plain text holds no such sequence itself).
 *
 * What gets colour (the codes are in colour.c):
 *   goroutine 7 gp=0x… m=nil [chan receive, 3 minutes] {k: v}:
 *     "goroutine 7", the brackets and what is in them bold; " gp=… m=…"
 *     dim; the state in its own colour (running green, runnable green,
 *     syscall blue, leaked red, any wait cyan); pprof labels magenta.
 *   main.worker(0x3, 0x0?)        the function: the user's bold yellow,
 *                                 the standard library's green
 *                                 (gr_func_is_std); arguments plain.
 *   	/src/main.go:43 +0x6f fp=… sp=… pc=…
 *     the path dim, the line number bold, " +0x…" and " fp=…" dim.
 *   created by main.main in goroutine 1
 *     "created by" and "in goroutine N" dim, the function as above.
 *   ...5 frames elided...          dim; gocore's own "...stack cut..."
 *                                 and stack-unavailable notes yellow.
 * summary's "2 goroutines [chan receive]: 6 7" is coloured as a header
 * (goids plain), its TAB function lines and TAB TAB file lines as above.
 * A line of no known shape is left as it is. */
#ifndef GOCORE_ANALYZER_COLOUR_H
#define GOCORE_ANALYZER_COLOUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Which format the lines are in. */
enum colour_layout {
	COLOUR_TRACEBACK, /* goroutines, stack, leaks: the runtime's dump */
	COLOUR_SUMMARY,   /* summary, leaks --summary (gr_groups_print_text) */
};

/* Writes line[0..len) (one line, without its '\n') to out, coloured.
 * Returns false when out has an error. */
bool colour_line(FILE *out, enum colour_layout layout, const char *line, size_t len);

/* Lines longer than this are passed through uncoloured (a crafted core's
 * names): the colouriser keeps at most one such line in memory. */
#define COLOUR_LINE_MAX 65536

/* Opens a write-only stream that passes what is written to it on to dst,
 * each complete line coloured (colour_line), so that a printer writing a
 * FILE * gets colour without knowing.  Its buffers are allocated here, once;
 * writing never allocates.  A failed write to dst makes writes to the
 * stream fail (ferror) with dst's errno.  Returns NULL with errno ENOMEM
 * when out of memory.  Close it with colour_close. */
FILE *colour_open(FILE *dst, enum colour_layout layout);

/* Flushes f, writes its last line if it had no '\n' (coloured), and frees
 * it; dst stays open (and is not flushed).  Returns 0, or EOF when a write
 * to dst failed (errno says why); NULL is a no-op returning 0. */
int colour_close(FILE *f);

#endif
