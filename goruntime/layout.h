/* Runtime data layouts: struct sizes and field offsets learned from the
 * binary.  One representation for every source (DWARF via libdwarf, the
 * runtime's own type descriptors, per-version facts), so the goroutine reader
 * never knows which source it got.
 */
#ifndef GOCORE_GORUNTIME_LAYOUT_H
#define GOCORE_GORUNTIME_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"

enum gr_layout_source {
	GR_SOURCE_NONE = 0,
	GR_SOURCE_DWARF,
	GR_SOURCE_TYPES,  /* runtime type descriptors */
	GR_SOURCE_FACTS,  /* per-version table */
};

struct gr_field {
	char *name;       /* as in Go source, e.g. "sched" */
	uint64_t offset;
	uint64_t size;    /* 0 when unknown */
	char *type_name;  /* e.g. "runtime.gobuf", "uintptr", "*runtime.m"; may be NULL */
};

struct gr_struct {
	char *name;       /* e.g. "runtime.g" */
	uint64_t size;
	size_t nfields;
	struct gr_field *fields;
};

/* A set of struct layouts. */
struct gr_layouts {
	enum gr_layout_source source;
	size_t nstructs;
	struct gr_struct *structs;
};

/* Frees everything inside and the set itself; NULL is a no-op. */
void gr_layouts_destroy(struct gr_layouts *l);

/* The struct with that name, or NULL. */
const struct gr_struct *gr_layouts_struct(const struct gr_layouts *l, const char *name);

/* Offset of a field path inside struct sname, e.g. ("runtime.g", "sched.sp"):
 * each component but the last must be a struct-typed field whose type_name is
 * in the set.  Returns false when any part is missing. */
bool gr_layouts_offset(const struct gr_layouts *l, const char *sname,
		       const char *path, uint64_t *offset_ret);
/* Same, also giving the final field's size. */
bool gr_layouts_field(const struct gr_layouts *l, const char *sname,
		      const char *path, uint64_t *offset_ret, uint64_t *size_ret);

/* Reads the struct layouts named in names[0..n) from the DWARF of the ELF
 * file open on fd (libdwarf, the 20210528 API; .zdebug sections handled by
 * libdwarf).  Structs not present are left out (not an error); nested struct
 * types that the named ones embed by value (e.g. runtime.gobuf inside
 * runtime.g) are added too, transitively, each under the type name its
 * member carries (so "interface {}", a typedef of runtime.eface in Go's
 * DWARF, is in the set with eface's layout).  GC_ERR_NOT_FOUND when the file
 * has no DWARF; GC_ERR_FORMAT (naming the file) when libdwarf rejects it.
 * name is used in messages.  On success *ret is owned by the caller
 * (gr_layouts_destroy); on error *ret is NULL. */
struct gc_error *gr_layouts_from_dwarf(int fd, const char *name,
				       const char *const *names, size_t n,
				       struct gr_layouts **ret);

#endif
