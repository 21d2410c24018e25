/* Error values shared by every layer of gocore.
 *
 * Style (after drgn's struct drgn_error): a fallible function returns
 * struct gc_error *, NULL on success.  The caller owns a returned error and
 * frees it with gc_error_destroy().  Out-of-memory is the static
 * gc_error_nomem, which gc_error_destroy() leaves alone, so reporting an
 * allocation failure never allocates.
 */
#ifndef GOCORE_COMMON_ERROR_H
#define GOCORE_COMMON_ERROR_H

#include <stdarg.h>

enum gc_error_code {
	GC_ERR_NOMEM = 1,   /* allocation failed */
	GC_ERR_IO,          /* open/read/mmap of a file failed */
	GC_ERR_FORMAT,      /* file bytes are not what the format says */
	GC_ERR_FAULT,       /* address not present in the address space */
	GC_ERR_NOT_FOUND,   /* symbol, type, goroutine... does not exist */
	GC_ERR_UNSUPPORTED, /* understood but not handled (e.g. Go version) */
	GC_ERR_MISMATCH,    /* executable does not belong to the core */
	GC_ERR_LIMIT,       /* a walk hit a bound derived from the data */
};

struct gc_error {
	enum gc_error_code code;
	char *message;
};

/* The one out-of-memory error; never freed. */
extern struct gc_error gc_error_nomem;

/* Returns a new error with a printf-formatted message, or &gc_error_nomem. */
struct gc_error *gc_error_create(enum gc_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefixes err's message with "<formatted>: " in place and returns err
 * (or &gc_error_nomem, err being freed, when that fails).  NULL stays NULL. */
struct gc_error *gc_error_prefix(struct gc_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Frees err; NULL and &gc_error_nomem are no-ops. */
void gc_error_destroy(struct gc_error *err);

#endif
