/* Terminal colour for the goroutine outputs.  See colour.h. */
#include "colour.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "../../goruntime/frames.h"

/* SGR parameters of each part (ECMA-48 8.3.117): 1 bold, 2 faint, 31-36
 * red, green, yellow, blue, magenta, cyan. */
#define C_BOLD     "1"
#define C_DIM      "2"
#define C_USER     "1;33" /* the program's functions: brighter ... */
#define C_STD      "32"   /* ... than the standard library's */
#define C_RUNNING  "1;32"
#define C_RUNNABLE "32"
#define C_SYSCALL  "1;34"
#define C_LEAKED   "1;31"
#define C_WAITING  "1;36"
#define C_LABELS   "35"
#define C_NOTE     "33"   /* gocore's notes of a stack it could not read */

/* ---- spans ---- */

static void raw(FILE *out, const char *s, size_t n)
{
	if (n)
		fwrite(s, 1, n, out);
}

/* s[0..n) in sgr, reset after it; an empty span writes nothing. */
static void span(FILE *out, const char *sgr, const char *s, size_t n)
{
	if (!n)
		return;
	fputs("\033[", out);
	fputs(sgr, out);
	fputc('m', out);
	fwrite(s, 1, n, out);
	fputs("\033[0m", out);
}

/* ---- the shapes of lines ---- */

static bool starts(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(s, prefix, k) == 0;
}

static size_t ndigits(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* The length of "0x" and hex digits at s, 0 when there are none. */
static size_t nhex(const char *s, size_t n)
{
	if (n < 3 || s[0] != '0' || s[1] != 'x')
		return 0;
	size_t i = 2;
	while (i < n && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
		i++;
	return i > 2 ? i : 0;
}

/* The last occurrence of needle in s[0..n), or NULL. */
static const char *find_last(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = n >= k ? n - k + 1 : 0; i-- > 0;)
		if (memcmp(s + i, needle, k) == 0)
			return s + i;
	return NULL;
}

static void func_name(FILE *out, const char *s, size_t n)
{
	span(out, gr_func_is_std_len(s, n) ? C_STD : C_USER, s, n);
}

/* "func(args)": the arguments start at the last '(' (they hold none). */
static bool func_line(FILE *out, const char *s, size_t n)
{
	if (n < 3 || s[n - 1] != ')')
		return false;
	const char *open = memrchr(s, '(', n);
	if (!open || open == s)
		return false;
	func_name(out, s, (size_t)(open - s));
	raw(out, open, (size_t)(s + n - open));
	return true;
}

/* "file:line[ +0xOFF][ fp=0x… sp=0x… pc=0x…]" (after the line's TABs),
 * parsed from the end: a path may hold ':' and ' '. */
static bool file_line(FILE *out, const char *s, size_t n)
{
	size_t end = n;
	const char *fp = find_last(s, n, " fp=");
	if (fp) {
		size_t i = (size_t)(fp - s);
		static const char *const keys[] = {" fp=", " sp=", " pc="};
		bool ok = true;
		for (int k = 0; k < 3 && ok; k++) {
			size_t h = starts(s + i, n - i, keys[k]) ? nhex(s + i + 4, n - i - 4) : 0;
			ok = h > 0;
			i += 4 + h;
		}
		if (ok && i == n)
			end = (size_t)(fp - s);
	}
	const char *plus = find_last(s, end, " +0x");
	if (plus) {
		size_t i = (size_t)(plus - s) + 2;
		if (i + nhex(s + i, end - i) == end && nhex(s + i, end - i))
			end = (size_t)(plus - s);
	}
	const char *colon = memrchr(s, ':', end);
	if (!colon)
		return false;
	size_t num = (size_t)(colon - s) + 1, k = num;
	if (k < end && s[k] == '-')
		k++;
	size_t d = ndigits(s + k, end - k);
	if (!d || k + d != end)
		return false;
	span(out, C_DIM, s, num);              /* the path and ':' */
	span(out, C_BOLD, s + num, end - num); /* the line number */
	span(out, C_DIM, s + end, n - end);    /* " +0x…", " fp=… sp=… pc=…" */
	return true;
}

static const char *state_colour(const char *s, size_t n)
{
	if (memmem(s, n, "(leaked)", 8))
		return C_LEAKED;
	if (starts(s, n, "running"))
		return C_RUNNING;
	if (starts(s, n, "runnable"))
		return C_RUNNABLE;
	if (starts(s, n, "syscall"))
		return C_SYSCALL;
	return C_WAITING;
}

/* The part of a header from its " [" at s[p] on:
 *   " [STATE, 3 minutes, locked to thread]:"   then goids (summary)
 *   " [STATE labels:{"k": "v"}]:"               Go 1.26 labels
 *   " [STATE] {k: v}:"                          Go 1.27 labels, summary's
 * The state ends at the first ',' or ']' (no wait reason holds one). */
static void bracket(FILE *out, const char *s, size_t n, size_t p)
{
	span(out, C_BOLD, s + p, 2);
	size_t q = p + 2, e = q;
	while (e < n && s[e] != ',' && s[e] != ']' && !starts(s + e, n - e, " labels:{"))
		e++;
	span(out, state_colour(s + q, e - q), s + q, e - q);
	size_t close = e;
	while (close < n && !(s[close] == ']' && (starts(s + close + 1, n - close - 1, ":") ||
						   starts(s + close + 1, n - close - 1, " {"))))
		close++;
	if (close == n) {
		span(out, C_BOLD, s + e, n - e);
		return;
	}
	const char *lab = memmem(s + e, close - e, " labels:{", 9);
	size_t le = lab ? (size_t)(lab - s) : close;
	span(out, C_BOLD, s + e, le - e);
	span(out, C_LABELS, s + le, close - le);
	if (s[close + 1] == ':') {
		span(out, C_BOLD, s + close, 2);
		raw(out, s + close + 2, n - close - 2); /* summary's goids */
		return;
	}
	span(out, C_BOLD, s + close, 1);
	size_t l = close + 1;
	const char *end = find_last(s + l, n - l, "}:");
	if (!end) {
		span(out, C_LABELS, s + l, n - l);
		return;
	}
	size_t colon = (size_t)(end - s) + 1;
	span(out, C_LABELS, s + l, colon - l);
	span(out, C_BOLD, s + colon, 1);
	raw(out, s + colon + 1, n - colon - 1);
}

/* "goroutine N[ gp=0x… m=… mp=0x…] [...]:" */
static bool traceback_header(FILE *out, const char *s, size_t n)
{
	if (!starts(s, n, "goroutine "))
		return false;
	size_t d = ndigits(s + 10, n - 10);
	if (!d)
		return false;
	size_t p = 10 + d;
	const char *br = memmem(s + p, n - p, " [", 2);
	if (!br)
		return false;
	span(out, C_BOLD, s, p);
	span(out, C_DIM, s + p, (size_t)(br - s) - p);
	bracket(out, s, n, (size_t)(br - s));
	return true;
}

/* "created by FUNC[ in goroutine N]" */
static bool created_by(FILE *out, const char *s, size_t n)
{
	if (!starts(s, n, "created by "))
		return false;
	size_t e = n;
	const char *in = find_last(s + 11, n - 11, " in goroutine ");
	if (in) {
		size_t k = (size_t)(in - s) + 14;
		if (k < n && ndigits(s + k, n - k) == n - k)
			e = (size_t)(in - s);
	}
	span(out, C_DIM, s, 11);
	func_name(out, s + 11, e - 11);
	span(out, C_DIM, s + e, n - e);
	return true;
}

static void traceback_line(FILE *out, const char *s, size_t n)
{
	if (traceback_header(out, s, n) || created_by(out, s, n))
		return;
	if (starts(s, n, "...")) {
		/* The runtime's elisions, or gocore's note of a walk it cut. */
		span(out, starts(s, n, "...stack cut") ? C_NOTE : C_DIM, s, n);
	} else if (s[0] == '\t') {
		raw(out, s, 1);
		if (!file_line(out, s + 1, n - 1))
			span(out, C_NOTE, s + 1, n - 1); /* "stack unavailable" */
	} else if (!func_line(out, s, n)) {
		raw(out, s, n);
	}
}

/* "N goroutine[s] [...]: goids" */
static bool summary_header(FILE *out, const char *s, size_t n)
{
	size_t d = ndigits(s, n);
	if (!d || !starts(s + d, n - d, " goroutine"))
		return false;
	size_t p = d + 10;
	if (p < n && s[p] == 's')
		p++;
	if (!starts(s + p, n - p, " ["))
		return false;
	span(out, C_BOLD, s, p);
	bracket(out, s, n, p);
	return true;
}

static void summary_line(FILE *out, const char *s, size_t n)
{
	if (summary_header(out, s, n))
		return;
	if (starts(s, n, "\t\t")) {
		raw(out, s, 2);
		if (!file_line(out, s + 2, n - 2))
			raw(out, s + 2, n - 2);
	} else if (s[0] == '\t') {
		raw(out, s, 1);
		/* "func()" or "func(...)"; else a note ("stack partial: ...") */
		bool fn = (n >= 3 && memcmp(s + n - 2, "()", 2) == 0) ||
			  (n >= 6 && memcmp(s + n - 5, "(...)", 5) == 0);
		if (!fn || memchr(s + 1, ' ', n - 1) || !func_line(out, s + 1, n - 1))
			span(out, C_NOTE, s + 1, n - 1);
	} else {
		raw(out, s, n);
	}
}

bool colour_line(FILE *out, enum colour_layout layout, const char *line, size_t len)
{
	if (len) {
		if (layout == COLOUR_SUMMARY)
			summary_line(out, line, len);
		else
			traceback_line(out, line, len);
	}
	return !ferror(out);
}

/* ---- the stream ---- */

struct colourer {
	FILE *dst;
	enum colour_layout layout;
	/* Inside a line longer than COLOUR_LINE_MAX: written as it comes,
	 * uncoloured, up to its '\n'. */
	bool passthrough;
	size_t len;
	char line[COLOUR_LINE_MAX]; /* the start of the line being written */
};

/* fopencookie's write: bytes written, 0 on an error (errno is dst's). */
static ssize_t colourer_write(void *cookie, const char *buf, size_t size)
{
	struct colourer *c = cookie;
	for (size_t i = 0; i < size;) {
		const char *nl = memchr(buf + i, '\n', size - i);
		size_t k = nl ? (size_t)(nl - buf) - i : size - i; /* before the '\n' */
		size_t with_nl = k + (nl != NULL);
		if (c->passthrough) {
			raw(c->dst, buf + i, with_nl);
			c->passthrough = !nl;
		} else if (k > COLOUR_LINE_MAX - c->len) {
			raw(c->dst, c->line, c->len);
			raw(c->dst, buf + i, with_nl);
			c->len = 0;
			c->passthrough = !nl;
		} else if (nl) {
			const char *line = buf + i;
			size_t len = k;
			if (c->len) {
				memcpy(c->line + c->len, buf + i, k);
				line = c->line;
				len = c->len + k;
				c->len = 0;
			}
			colour_line(c->dst, c->layout, line, len);
			fputc('\n', c->dst);
		} else {
			memcpy(c->line + c->len, buf + i, k);
			c->len += k;
		}
		if (ferror(c->dst))
			return 0;
		i += with_nl;
	}
	return (ssize_t)size;
}

static int colourer_close(void *cookie)
{
	struct colourer *c = cookie;
	if (c->len && !c->passthrough)
		colour_line(c->dst, c->layout, c->line, c->len);
	int rc = ferror(c->dst) ? -1 : 0;
	free(c);
	return rc;
}

FILE *colour_open(FILE *dst, enum colour_layout layout)
{
	struct colourer *c = malloc(sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->dst = dst;
	c->layout = layout;
	c->passthrough = false;
	c->len = 0;
	FILE *f = fopencookie(c, "w", (cookie_io_functions_t){.write = colourer_write,
							       .close = colourer_close});
	if (!f) {
		free(c);
		errno = ENOMEM;
	}
	return f;
}

int colour_close(FILE *f)
{
	return f ? fclose(f) : 0;
}
