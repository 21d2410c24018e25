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
	uint64_t type_addr; /* its type descriptor (read from them); 0 from DWARF */
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

/* ---- from the runtime's type descriptors (layout_types.c) ---- */

#include "../gopclntab/gopclntab.h"

/* For the layout readers: struct types still to be read, by a reader-defined
 * key (a DWARF offset, a descriptor address).  A name already in the set or
 * still queued is not queued twice. */
struct gr_struct_queue {
	struct gr_queued {
		uint64_t key;
		char *name;
	} *v;
	size_t n, cap, next;  /* [next, n) are still to be read */
};

/* Queues (key, name) unless l has name or it is queued.  More than max
 * entries: GC_ERR_LIMIT "<what>: more than <max> struct types embedded by
 * value". */
struct gc_error *gr_struct_queue_add(struct gr_struct_queue *q, const struct gr_layouts *l,
				     uint64_t key, const char *name, size_t max,
				     const char *what);
/* Takes the next queued entry whose name l does not have yet; the caller
 * owns *name_ret.  False when the queue is empty. */
bool gr_struct_queue_next(struct gr_struct_queue *q, const struct gr_layouts *l,
			  uint64_t *key_ret, char **name_ret);
/* Frees what is still queued. */
void gr_struct_queue_deinit(struct gr_struct_queue *q);

/* Flags of gr_layouts_from_types. */
enum {
	/* Also scan [types, etypes) for wanted named structs that the
	 * typelinks graph does not reach (in go1.19 it reaches all of g, m,
	 * gobuf, stack, moduledata and _panic; runtime.schedt has no
	 * descriptor at all, so no scan finds it). */
	GR_TYPES_SCAN = 1 << 0,
};

/* Reads the struct layouts named in names[0..n) from the runtime's type
 * descriptors, for binaries without DWARF.  types/etypes are
 * moduledata.types/etypes, typelinks/ntypelinks the moduledata.typelinks
 * slice (int32 offsets from types; see moduledata.h for reading them without
 * a layout).  minor is the Go 1.x minor version (17 or later: 1.17-1.18 keep
 * a field's offset as offsetAnon>>1).  read() reads process memory; every
 * descriptor read must lie in [types, etypes).
 *
 * The named structs are found by walking the descriptor graph from the
 * typelinks entries through element, map key/element and struct field types;
 * with GR_TYPES_SCAN, names still missing are then looked for by a scan of
 * [types, etypes).  As in gr_layouts_from_dwarf, names not found are left out
 * (not an error), and struct types the found ones hold by value are added
 * under their type string ("runtime.gobuf", "struct { ... }").  Field
 * type_names are the runtime's type strings ("uintptr", "*runtime.m",
 * "[]uint8", "unsafe.Pointer", "runtime.guintptr"); NULL when longer than
 * 4096 bytes.  Unlike DWARF, interface-typed fields ("interface {}", "error")
 * have no struct layout in the set.
 *
 * GC_ERR_FORMAT when the descriptors are inconsistent (an address outside
 * [types, etypes), a bad name, a field outside its struct...), GC_ERR_FAULT
 * when read() fails, GC_ERR_UNSUPPORTED for minor < 17.  On success *ret is
 * owned by the caller (gr_layouts_destroy); on error *ret is NULL. */
struct gc_error *gr_layouts_from_types(gopclntab_read_fn *read, void *ctx,
				       uint64_t types, uint64_t etypes,
				       uint64_t typelinks, uint64_t ntypelinks,
				       int minor, unsigned flags,
				       const char *const *names, size_t n,
				       struct gr_layouts **ret);

#endif
