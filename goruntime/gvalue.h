/* Go values in a core, read and printed as the runtime prints them: Go
 * strings, type names from type descriptors, and a panic's value as
 * printpanicval prints it.  Internal to goruntime: the crash readers
 * (panic.c, throw.c, signal.c) share it; gocore's interface is panic.h and
 * signal.h.
 */
#ifndef GOCORE_GORUNTIME_GVALUE_H
#define GOCORE_GORUNTIME_GVALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "../common/obuf.h"
#include "layout.h"
#include "process.h"

/* What the crash readers read the process through, for the length of one
 * call: its memory, layouts and Go release, moduledata.types (looked up on
 * first use), and a sticky out-of-memory flag. */
struct gr_reader {
	const struct gr_process *p;
	const struct gc_addrspace *as;
	const struct gr_layouts *l;
	int minor;
	uint64_t types;  /* moduledata.types; 0 when unknown */
	bool have_types;
	bool nomem;      /* an allocation failed: the message is not to be trusted */
};

void gr_reader_init(struct gr_reader *r, const struct gr_process *p);

/* A field offset the layouts do not know. */
#define GR_NO_OFFSET UINT64_MAX

/* The offset of field path f in struct s (gr_layouts_offset), or
 * GR_NO_OFFSET when l is NULL or lacks it. */
uint64_t gr_field_offset(const struct gr_layouts *l, const char *s, const char *f);

/* A Go string (ptr, len) as malloc'd bytes plus a NUL, owned by the caller;
 * NULL when unreadable, longer than 1 MiB, or out of memory (r->nomem is
 * then set). */
char *gr_read_go_string(struct gr_reader *r, uint64_t ptr, uint64_t len);

/* The same for the string header (ptr, len) at addr; *len_ret (may be NULL)
 * gets len when the string is returned. */
char *gr_read_go_string_at(struct gr_reader *r, uint64_t addr, uint64_t *len_ret);

/* The type string of the type descriptor at typ ("main.T", "*int"),
 * malloc'd, and its kind in *kind_ret (may be NULL); NULL when unreadable
 * or out of memory. */
char *gr_type_string(struct gr_reader *r, uint64_t typ, uint8_t *kind_ret);

/* Whether sp lies in [stack.lo, stack.hi) of the g at gaddr, read from the
 * core (so any g: a goroutine, an M's g0 or gsignal); false when gaddr is 0
 * or the bounds are unknown or unreadable. */
bool gr_on_g_stack(const struct gr_reader *r, uint64_t gaddr, uint64_t sp);

/* The goroutine whose g is at addr, or NULL (also for addr 0). */
const struct gr_goroutine *gr_goroutine_at(const struct gr_process *p, uint64_t addr);

/* Appends printpanicval's text (printany before 1.23) for the eface
 * (typ, data) to b: a builtin value as print() shows it, the Error() text
 * of the runtime's own error types, printanycustomtype's "main.T(5)", and
 * "(main.T) 0xc000012345" for any other type.  Returns NULL, or a
 * GC_ERR_FAULT error when the type descriptor or the value is not in the
 * core (b may then hold part of the text). */
struct gc_error *gr_printpanicval(struct gr_reader *r, struct obuf *b, uint64_t typ,
				  uint64_t data);

/* Appends s[0..n) to b; with indent (printindented, 1.23+) a tab after
 * every newline. */
void gr_printindented(struct obuf *b, const char *s, size_t n, bool indent);

#endif
