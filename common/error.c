#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gc_error gc_error_nomem = {
	.code = GC_ERR_NOMEM,
	.message = (char *)"out of memory",
};

static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

struct gc_error *gc_error_create(enum gc_error_code code, const char *fmt, ...)
{
	struct gc_error *err = malloc(sizeof(*err));
	if (!err)
		return &gc_error_nomem;
	va_list ap;
	va_start(ap, fmt);
	err->message = vformat(fmt, ap);
	va_end(ap);
	if (!err->message) {
		free(err);
		return &gc_error_nomem;
	}
	err->code = code;
	return err;
}

struct gc_error *gc_error_prefix(struct gc_error *err, const char *fmt, ...)
{
	if (!err || err == &gc_error_nomem)
		return err;
	va_list ap;
	va_start(ap, fmt);
	char *prefix = vformat(fmt, ap);
	va_end(ap);
	if (!prefix) {
		gc_error_destroy(err);
		return &gc_error_nomem;
	}
	size_t lp = strlen(prefix), lm = strlen(err->message);
	char *s = malloc(lp + 2 + lm + 1);
	if (!s) {
		free(prefix);
		gc_error_destroy(err);
		return &gc_error_nomem;
	}
	memcpy(s, prefix, lp);
	memcpy(s + lp, ": ", 2);
	memcpy(s + lp + 2, err->message, lm + 1);
	free(prefix);
	free(err->message);
	err->message = s;
	return err;
}

void gc_error_destroy(struct gc_error *err)
{
	if (!err || err == &gc_error_nomem)
		return;
	free(err->message);
	free(err);
}
