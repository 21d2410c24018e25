/* The growable byte buffer every writer uses: the goroutine dump's output
 * (traceback.c, report.c), the strings the crash readers build (panic.c,
 * throw.c, signal.c), pprof's protobuf encoding, the names frames.c keeps.
 * Number formatting is done by hand for the hot paths that print millions of
 * frames (printf's format parsing dominated them).
 *
 * Allocation failure is sticky: later appends are dropped and ob->failed
 * stays set for the caller to report (as gc_error_nomem).  A zeroed struct
 * obuf is empty; ob_free empties it again. */
#ifndef GOCORE_COMMON_OBUF_H
#define GOCORE_COMMON_OBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct obuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static inline bool ob_reserve(struct obuf *ob, size_t n)
{
	if (ob->failed)
		return false;
	if (n <= ob->cap - ob->len)
		return true;
	size_t cap = ob->cap ? ob->cap : 4096;
	while (cap - ob->len < n) {
		if (cap > SIZE_MAX / 2) {
			ob->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *q = realloc(ob->p, cap);
	if (!q) {
		ob->failed = true;
		return false;
	}
	ob->p = q;
	ob->cap = cap;
	return true;
}

static inline void ob_mem(struct obuf *ob, const void *s, size_t n)
{
	/* An empty append may come with no bytes (s NULL), into no buffer. */
	if (n && ob_reserve(ob, n)) {
		memcpy(ob->p + ob->len, s, n);
		ob->len += n;
	}
}

static inline void ob_str(struct obuf *ob, const char *s)
{
	ob_mem(ob, s, strlen(s));
}

static inline void ob_char(struct obuf *ob, char c)
{
	if (ob_reserve(ob, 1))
		ob->p[ob->len++] = c;
}

/* "0x" and lowercase hex digits, no padding (the runtime's hex()). */
static inline void ob_hex(struct obuf *ob, uint64_t v)
{
	char tmp[18];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	ob_mem(ob, tmp + i, sizeof(tmp) - i);
}

static inline void ob_udec(struct obuf *ob, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ob_mem(ob, tmp + i, sizeof(tmp) - i);
}

static inline void ob_dec(struct obuf *ob, int64_t v)
{
	if (v < 0) {
		ob_char(ob, '-');
		ob_udec(ob, (uint64_t)0 - (uint64_t)v);
	} else {
		ob_udec(ob, (uint64_t)v);
	}
}

static inline void ob_printf(struct obuf *ob, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void ob_printf(struct obuf *ob, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n >= 0 && ob_reserve(ob, (size_t)n + 1)) {
		vsnprintf(ob->p + ob->len, (size_t)n + 1, fmt, ap);
		ob->len += (size_t)n;
	}
	va_end(ap);
}

/* Writes the buffer to out and empties it; false on a write error. */
static inline bool ob_flush(struct obuf *ob, FILE *out)
{
	bool ok = !ob->len || fwrite(ob->p, 1, ob->len, out) == ob->len;
	ob->len = 0;
	return ok;
}

static inline void ob_free(struct obuf *ob)
{
	free(ob->p);
	*ob = (struct obuf){0};
}

/* The bytes as a malloc'd NUL-terminated string the caller owns ("" when
 * there are none), leaving ob empty; NULL when an append failed (ob is then
 * freed). */
static inline char *ob_take(struct obuf *ob)
{
	ob_char(ob, '\0');
	if (ob->failed) {
		ob_free(ob);
		return NULL;
	}
	char *s = ob->p;
	*ob = (struct obuf){0};
	return s;
}

#endif
