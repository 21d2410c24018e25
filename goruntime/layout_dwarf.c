/* Runtime layouts from the executable's DWARF, read with libdwarf (the
 * 20210528 API of Debian bookworm).
 *
 * What the Go linker emits (cmd/link/internal/ld/dwarf.go, checked against a
 * go1.19 binary): every type is a top-level DIE of some compile unit; a named
 * struct type T is a DW_TAG_structure_type "T" with DW_AT_byte_size and
 * DW_TAG_member children (DW_AT_data_member_location as a constant), plus a
 * DW_TAG_typedef "T" pointing at it, which is what members refer to.
 * Pointer types are named ("*runtime.m") and carry no DW_AT_byte_size.
 * Slices and strings are structs too.  So only the children of each CU DIE
 * are examined, and struct types reached by value from the wanted ones are
 * read directly by DIE offset.
 */
#include "layout.h"

#include <stdlib.h>
#include <string.h>

#include <dwarf.h>
#include <libdwarf.h>

/* Bounds far above what any Go runtime needs (runtime.m has ~100 members,
 * the by-value closure of g/m/p/schedt/moduledata is ~100 structs). */
#define MAX_STRUCTS 4096
#define MAX_FIELDS 65536
#define MAX_TYPE_HOPS 16 /* typedef chain length */


struct reader {
	Dwarf_Debug dbg;
	const char *name;
	Dwarf_Half addr_size;
	const char *const *names;
	size_t nnames;
	struct gr_layouts *l;
	size_t structs_cap;
	/* Struct types embedded by value, to be added under the name the
	 * member's type has, keyed by their DIE offsets. */
	struct gr_struct_queue queue;
};

/* Turns a libdwarf error into GC_ERR_FORMAT and frees it. */
static struct gc_error *dwarf_error(struct reader *r, Dwarf_Error *derr,
				    const char *what, const char *sname)
{
	const char *msg = *derr ? dwarf_errmsg(*derr) : "unknown libdwarf error";
	struct gc_error *err;
	if (sname)
		err = gc_error_create(GC_ERR_FORMAT, "%s: DWARF: %s of %s: %s",
				      r->name, what, sname, msg);
	else
		err = gc_error_create(GC_ERR_FORMAT, "%s: DWARF: %s: %s",
				      r->name, what, msg);
	if (*derr)
		dwarf_dealloc(r->dbg, *derr, DW_DLA_ERROR);
	*derr = NULL;
	return err;
}

static void die_free(struct reader *r, Dwarf_Die die)
{
	if (die)
		dwarf_dealloc(r->dbg, die, DW_DLA_DIE);
}

/* *ret = malloc'd DW_AT_name of die, or NULL when it has none. */
static struct gc_error *die_name(struct reader *r, Dwarf_Die die, char **ret)
{
	char *s = NULL;
	Dwarf_Error derr = NULL;
	*ret = NULL;
	int res = dwarf_diename(die, &s, &derr);
	if (res == DW_DLV_ERROR)
		return dwarf_error(r, &derr, "reading DW_AT_name", NULL);
	if (res == DW_DLV_NO_ENTRY)
		return NULL;
	*ret = strdup(s);
	dwarf_dealloc(r->dbg, s, DW_DLA_STRING);
	return *ret ? NULL : &gc_error_nomem;
}

/* The .debug_info offset DW_AT_type of die refers to; *has_ret false when
 * die has no DW_AT_type. */
static struct gc_error *die_type_ref(struct reader *r, Dwarf_Die die,
				     Dwarf_Off *ret, bool *has_ret)
{
	Dwarf_Attribute attr = NULL;
	Dwarf_Error derr = NULL;
	*has_ret = false;
	int res = dwarf_attr(die, DW_AT_type, &attr, &derr);
	if (res == DW_DLV_ERROR)
		return dwarf_error(r, &derr, "reading DW_AT_type", NULL);
	if (res == DW_DLV_NO_ENTRY)
		return NULL;
	res = dwarf_global_formref(attr, ret, &derr);
	dwarf_dealloc(r->dbg, attr, DW_DLA_ATTR);
	if (res == DW_DLV_ERROR)
		return dwarf_error(r, &derr, "reading DW_AT_type reference", NULL);
	*has_ret = res == DW_DLV_OK;
	return NULL;
}

static struct gc_error *offdie(struct reader *r, Dwarf_Off off, Dwarf_Die *ret)
{
	Dwarf_Error derr = NULL;
	*ret = NULL;
	int res = dwarf_offdie_b(r->dbg, off, true, ret, &derr);
	if (res == DW_DLV_ERROR)
		return dwarf_error(r, &derr, "reading a type DIE", NULL);
	if (res == DW_DLV_NO_ENTRY)
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: DWARF: type reference 0x%llx to no DIE",
				       r->name, (unsigned long long)off);
	return NULL;
}

/* Name for an unnamed pointer type: "*" + the element type's name. */
static struct gc_error *pointer_name(struct reader *r, Dwarf_Die ptr, char **ret)
{
	Dwarf_Off elem_off;
	bool has;
	*ret = NULL;
	struct gc_error *err = die_type_ref(r, ptr, &elem_off, &has);
	if (err || !has)
		return err;
	Dwarf_Die elem;
	err = offdie(r, elem_off, &elem);
	if (err)
		return err;
	char *elem_name;
	err = die_name(r, elem, &elem_name);
	die_free(r, elem);
	if (err || !elem_name)
		return err;
	size_t len = strlen(elem_name);
	*ret = malloc(len + 2);
	if (*ret) {
		(*ret)[0] = '*';
		memcpy(*ret + 1, elem_name, len + 1);
	}
	free(elem_name);
	return *ret ? NULL : &gc_error_nomem;
}

struct type_desc {
	char *name;          /* malloc'd, or NULL */
	uint64_t size;       /* 0 when unknown */
	bool is_struct;      /* the type is a struct, possibly via typedefs */
	Dwarf_Off struct_off;
	char *struct_name;   /* malloc'd DW_AT_name of that struct, or NULL */
};

/* Describes the type DIE at off: its own name, and size and struct-ness
 * after following typedefs. */
static struct gc_error *describe_type(struct reader *r, Dwarf_Off off,
				      struct type_desc *ret)
{
	struct gc_error *err = NULL;
	Dwarf_Error derr = NULL;
	bool have_size = false;
	memset(ret, 0, sizeof(*ret));
	for (int hop = 0; hop < MAX_TYPE_HOPS; hop++) {
		Dwarf_Die die;
		err = offdie(r, off, &die);
		if (err)
			break;
		Dwarf_Half tag;
		if (dwarf_tag(die, &tag, &derr) != DW_DLV_OK) {
			die_free(r, die);
			err = dwarf_error(r, &derr, "reading a type DIE's tag", NULL);
			break;
		}
		if (hop == 0) {
			err = die_name(r, die, &ret->name);
			if (!err && !ret->name && tag == DW_TAG_pointer_type)
				err = pointer_name(r, die, &ret->name);
			if (err) {
				die_free(r, die);
				break;
			}
		}
		if (!have_size) {
			Dwarf_Unsigned size;
			int res = dwarf_bytesize(die, &size, &derr);
			if (res == DW_DLV_ERROR) {
				die_free(r, die);
				err = dwarf_error(r, &derr, "reading a type's DW_AT_byte_size", NULL);
				break;
			}
			if (res == DW_DLV_OK) {
				ret->size = size;
				have_size = true;
			} else if (tag == DW_TAG_pointer_type) {
				ret->size = r->addr_size;
				have_size = true;
			}
		}
		if (tag == DW_TAG_structure_type) {
			ret->is_struct = true;
			ret->struct_off = off;
			err = hop == 0 ? NULL : die_name(r, die, &ret->struct_name);
			if (err) {
				die_free(r, die);
				break;
			}
		}
		bool follow = tag == DW_TAG_typedef || tag == DW_TAG_const_type ||
			      tag == DW_TAG_volatile_type;
		bool has = false;
		if (follow)
			err = die_type_ref(r, die, &off, &has);
		die_free(r, die);
		if (err || !has)
			break;
	}
	if (err) {
		free(ret->name);
		free(ret->struct_name);
		memset(ret, 0, sizeof(*ret));
	}
	return err;
}

static uint64_t read_uleb(const unsigned char *p, const unsigned char *end,
			  bool *ok)
{
	uint64_t v = 0;
	for (unsigned shift = 0; p < end && shift < 64; shift += 7) {
		unsigned char b = *p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ok = true;
			return v;
		}
	}
	*ok = false;
	return 0;
}

/* A location expression that is just "DW_OP_plus_uconst N" (or
 * "DW_OP_constu N"), as DWARF 2 producers wrote member offsets. */
static bool expr_offset(const unsigned char *p, Dwarf_Unsigned len, uint64_t *ret)
{
	if (len < 2 || (p[0] != DW_OP_plus_uconst && p[0] != DW_OP_constu))
		return false;
	bool ok;
	*ret = read_uleb(p + 1, p + len, &ok);
	return ok;
}

static struct gc_error *member_offset(struct reader *r, Dwarf_Die die,
				      const char *sname, const char *fname,
				      uint64_t *ret)
{
	Dwarf_Attribute attr = NULL;
	Dwarf_Error derr = NULL;
	struct gc_error *err = NULL;
	*ret = 0;
	int res = dwarf_attr(die, DW_AT_data_member_location, &attr, &derr);
	if (res == DW_DLV_ERROR)
		return dwarf_error(r, &derr, "reading DW_AT_data_member_location", sname);
	if (res == DW_DLV_NO_ENTRY)
		return NULL; /* DWARF: no location means offset 0 (unions) */
	Dwarf_Half form;
	res = dwarf_whatform(attr, &form, &derr);
	if (res != DW_DLV_OK) {
		err = dwarf_error(r, &derr, "reading the form of DW_AT_data_member_location", sname);
		goto out;
	}
	bool ok = false;
	switch (form) {
	case DW_FORM_data1:
	case DW_FORM_data2:
	case DW_FORM_data4:
	case DW_FORM_data8:
	case DW_FORM_udata:
	case DW_FORM_sdata: {
		Dwarf_Unsigned u;
		Dwarf_Signed s;
		if (form == DW_FORM_sdata) {
			res = dwarf_formsdata(attr, &s, &derr);
			u = (Dwarf_Unsigned)s;
			ok = res == DW_DLV_OK && s >= 0;
		} else {
			res = dwarf_formudata(attr, &u, &derr);
			ok = res == DW_DLV_OK;
		}
		if (res == DW_DLV_ERROR) {
			err = dwarf_error(r, &derr, "reading DW_AT_data_member_location", sname);
			goto out;
		}
		*ret = u;
		break;
	}
	case DW_FORM_exprloc: {
		Dwarf_Unsigned len;
		Dwarf_Ptr data;
		res = dwarf_formexprloc(attr, &len, &data, &derr);
		if (res == DW_DLV_ERROR) {
			err = dwarf_error(r, &derr, "reading DW_AT_data_member_location", sname);
			goto out;
		}
		ok = res == DW_DLV_OK && expr_offset(data, len, ret);
		break;
	}
	case DW_FORM_block1:
	case DW_FORM_block2:
	case DW_FORM_block4:
	case DW_FORM_block: {
		Dwarf_Block *block;
		res = dwarf_formblock(attr, &block, &derr);
		if (res == DW_DLV_ERROR) {
			err = dwarf_error(r, &derr, "reading DW_AT_data_member_location", sname);
			goto out;
		}
		if (res == DW_DLV_OK) {
			ok = expr_offset(block->bl_data, block->bl_len, ret);
			dwarf_dealloc(r->dbg, block, DW_DLA_BLOCK);
		}
		break;
	}
	default:
		break;
	}
	if (!ok)
		err = gc_error_create(GC_ERR_FORMAT,
				      "%s: DWARF: member %s of %s: unsupported DW_AT_data_member_location (form 0x%x)",
				      r->name, fname, sname, (unsigned)form);
out:
	dwarf_dealloc(r->dbg, attr, DW_DLA_ATTR);
	return err;
}

/* Queues the struct type at off to be added as name, unless that name is
 * in the set or queued already. */
static struct gc_error *add_pending(struct reader *r, Dwarf_Off off,
				    const char *name)
{
	struct gc_error *err = gr_struct_queue_add(&r->queue, r->l, off, name, MAX_STRUCTS, "DWARF");
	return err && err->code == GC_ERR_LIMIT ? gc_error_prefix(err, "%s", r->name) : err;
}

static struct gc_error *add_member(struct reader *r, struct gr_struct *s,
				   size_t *cap, Dwarf_Die die)
{
	if (s->nfields == *cap) {
		if (*cap >= MAX_FIELDS)
			return gc_error_create(GC_ERR_LIMIT,
					       "%s: DWARF: %s has more than %d members",
					       r->name, s->name, MAX_FIELDS);
		size_t ncap = *cap ? 2 * *cap : 16;
		struct gr_field *f = realloc(s->fields, ncap * sizeof(*f));
		if (!f)
			return &gc_error_nomem;
		s->fields = f;
		*cap = ncap;
	}
	struct gr_field *f = &s->fields[s->nfields];
	memset(f, 0, sizeof(*f));
	s->nfields++; /* from here on gr_layouts_destroy frees f's strings */

	struct gc_error *err = die_name(r, die, &f->name);
	if (err)
		return err;
	if (!f->name && !(f->name = strdup("")))
		return &gc_error_nomem;
	err = member_offset(r, die, s->name, f->name, &f->offset);
	if (err)
		return err;
	Dwarf_Off type_off;
	bool has_type;
	err = die_type_ref(r, die, &type_off, &has_type);
	if (err || !has_type)
		return err;
	struct type_desc t;
	err = describe_type(r, type_off, &t);
	if (err)
		return err;
	f->type_name = t.name;
	f->size = t.size;
	/* Register the struct under the name the member uses, so that paths
	 * descend through it: Go's "interface {}" is a typedef of
	 * runtime.eface, "error" of runtime.iface. */
	const char *reg = t.name ? t.name : t.struct_name;
	if (t.is_struct && reg)
		err = add_pending(r, t.struct_off, reg);
	free(t.struct_name);
	return err;
}

/* Appends the struct type die, named sname (ownership taken), to the set. */
static struct gc_error *read_struct(struct reader *r, Dwarf_Die die, char *sname)
{
	struct gr_layouts *l = r->l;
	if (l->nstructs == r->structs_cap) {
		if (r->structs_cap >= MAX_STRUCTS) {
			free(sname);
			return gc_error_create(GC_ERR_LIMIT,
					       "%s: DWARF: more than %d struct types wanted",
					       r->name, MAX_STRUCTS);
		}
		size_t cap = r->structs_cap ? 2 * r->structs_cap : 16;
		struct gr_struct *p = realloc(l->structs, cap * sizeof(*p));
		if (!p) {
			free(sname);
			return &gc_error_nomem;
		}
		l->structs = p;
		r->structs_cap = cap;
	}
	struct gr_struct *s = &l->structs[l->nstructs++];
	memset(s, 0, sizeof(*s));
	s->name = sname;

	Dwarf_Error derr = NULL;
	Dwarf_Unsigned size;
	int res = dwarf_bytesize(die, &size, &derr);
	if (res == DW_DLV_ERROR)
		return dwarf_error(r, &derr, "reading DW_AT_byte_size", sname);
	if (res == DW_DLV_OK)
		s->size = size;

	Dwarf_Die child = NULL;
	res = dwarf_child(die, &child, &derr);
	if (res == DW_DLV_ERROR)
		return dwarf_error(r, &derr, "reading the members", sname);
	struct gc_error *err = NULL;
	size_t cap = 0;
	Dwarf_Off prev_off = 0;
	while (res == DW_DLV_OK) {
		Dwarf_Half tag;
		Dwarf_Off off;
		if (dwarf_tag(child, &tag, &derr) != DW_DLV_OK ||
		    dwarf_dieoffset(child, &off, &derr) != DW_DLV_OK) {
			err = dwarf_error(r, &derr, "reading the members", sname);
			break;
		}
		/* Siblings must move forward; a loop would never end. */
		if (off <= prev_off) {
			err = gc_error_create(GC_ERR_FORMAT,
					      "%s: DWARF: members of %s: DIE 0x%llx does not follow 0x%llx",
					      r->name, sname, (unsigned long long)off,
					      (unsigned long long)prev_off);
			break;
		}
		prev_off = off;
		if (tag == DW_TAG_member) {
			err = add_member(r, s, &cap, child);
			if (err)
				break;
		}
		Dwarf_Die next = NULL;
		res = dwarf_siblingof_b(r->dbg, child, true, &next, &derr);
		die_free(r, child);
		child = next;
		if (res == DW_DLV_ERROR)
			err = dwarf_error(r, &derr, "reading the members", sname);
	}
	die_free(r, child);
	return err;
}

/* Reads the queued struct types (and those they embed, in turn). */
static struct gc_error *read_pending(struct reader *r)
{
	uint64_t off;
	char *sname;
	while (gr_struct_queue_next(&r->queue, r->l, &off, &sname)) {
		Dwarf_Die die;
		struct gc_error *err = offdie(r, (Dwarf_Off)off, &die);
		if (err) {
			free(sname);
			return err;
		}
		err = read_struct(r, die, sname);
		die_free(r, die);
		if (err)
			return err;
	}
	return NULL;
}

static bool all_found(struct reader *r)
{
	for (size_t i = 0; i < r->nnames; i++) {
		if (!gr_layouts_struct(r->l, r->names[i]))
			return false;
	}
	return true;
}

/* Whether name is wanted and not yet read. */
static bool wanted(struct reader *r, const char *name)
{
	for (size_t i = 0; i < r->nnames; i++) {
		if (r->names[i] && strcmp(r->names[i], name) == 0)
			return !gr_layouts_struct(r->l, name);
	}
	return false;
}

/* Examines one top-level DIE; *done_ret when all wanted names are read. */
static struct gc_error *visit(struct reader *r, Dwarf_Die die, bool *done_ret)
{
	Dwarf_Error derr = NULL;
	Dwarf_Half tag;
	if (dwarf_tag(die, &tag, &derr) != DW_DLV_OK)
		return dwarf_error(r, &derr, "reading a DIE's tag", NULL);
	if (tag != DW_TAG_structure_type)
		return NULL;
	char *s = NULL;
	int res = dwarf_diename(die, &s, &derr);
	if (res == DW_DLV_ERROR)
		return dwarf_error(r, &derr, "reading DW_AT_name", NULL);
	if (res == DW_DLV_NO_ENTRY)
		return NULL;
	bool want = wanted(r, s);
	char *sname = want ? strdup(s) : NULL;
	dwarf_dealloc(r->dbg, s, DW_DLA_STRING);
	if (!want)
		return NULL;
	if (!sname)
		return &gc_error_nomem;
	struct gc_error *err = read_struct(r, die, sname);
	if (!err)
		err = read_pending(r);
	if (!err)
		*done_ret = all_found(r);
	return err;
}

/* Visits the top-level DIEs of the current CU. */
static struct gc_error *walk_cu(struct reader *r, bool *done_ret)
{
	Dwarf_Error derr = NULL;
	Dwarf_Die cu = NULL, die = NULL;
	int res = dwarf_siblingof_b(r->dbg, NULL, true, &cu, &derr);
	if (res == DW_DLV_ERROR)
		return dwarf_error(r, &derr, "reading a compile unit DIE", NULL);
	if (res == DW_DLV_NO_ENTRY)
		return NULL;
	res = dwarf_child(cu, &die, &derr);
	die_free(r, cu);
	if (res == DW_DLV_ERROR)
		return dwarf_error(r, &derr, "reading a compile unit's children", NULL);
	struct gc_error *err = NULL;
	Dwarf_Off prev_off = 0;
	while (res == DW_DLV_OK) {
		Dwarf_Off off;
		if (dwarf_dieoffset(die, &off, &derr) != DW_DLV_OK) {
			err = dwarf_error(r, &derr, "reading a DIE offset", NULL);
			break;
		}
		if (off <= prev_off) {
			err = gc_error_create(GC_ERR_FORMAT,
					      "%s: DWARF: DIE 0x%llx does not follow 0x%llx",
					      r->name, (unsigned long long)off,
					      (unsigned long long)prev_off);
			break;
		}
		prev_off = off;
		err = visit(r, die, done_ret);
		if (err || *done_ret)
			break;
		Dwarf_Die next = NULL;
		res = dwarf_siblingof_b(r->dbg, die, true, &next, &derr);
		die_free(r, die);
		die = next;
		if (res == DW_DLV_ERROR)
			err = dwarf_error(r, &derr, "reading the next DIE", NULL);
	}
	die_free(r, die);
	return err;
}

static struct gc_error *walk(struct reader *r)
{
	bool done = all_found(r); /* true at once for n == 0 */
	while (!done) {
		Dwarf_Error derr = NULL;
		Dwarf_Unsigned cu_len, type_off, next_cu;
		Dwarf_Half version, addr_size, len_size, ext_size, cu_type;
		Dwarf_Off abbrev_off;
		Dwarf_Sig8 sig;
		int res = dwarf_next_cu_header_d(r->dbg, true, &cu_len, &version,
						 &abbrev_off, &addr_size, &len_size,
						 &ext_size, &sig, &type_off, &next_cu,
						 &cu_type, &derr);
		if (res == DW_DLV_ERROR)
			return dwarf_error(r, &derr, "reading a compile unit header", NULL);
		if (res == DW_DLV_NO_ENTRY)
			break;
		r->addr_size = addr_size;
		struct gc_error *err = walk_cu(r, &done);
		if (err)
			return err;
	}
	return NULL;
}

struct gc_error *gr_layouts_from_dwarf(int fd, const char *name,
				       const char *const *names, size_t n,
				       struct gr_layouts **ret)
{
	*ret = NULL;
	struct reader r = {
		.name = name ? name : "executable",
		.names = names,
		.nnames = names ? n : 0,
	};
	Dwarf_Error derr = NULL;
	int res = dwarf_init_b(fd, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL,
			       &r.dbg, &derr);
	if (res == DW_DLV_NO_ENTRY)
		return gc_error_create(GC_ERR_NOT_FOUND,
				       "%s: no DWARF (built with -ldflags=-w?)", r.name);
	if (res != DW_DLV_OK) {
		/* dbg is not set; libdwarf accepts a NULL dbg for init errors. */
		struct gc_error *err = dwarf_error(&r, &derr, "opening", NULL);
		return err;
	}
	struct gc_error *err = NULL;
	r.l = calloc(1, sizeof(*r.l));
	if (!r.l) {
		err = &gc_error_nomem;
		goto out;
	}
	r.l->source = GR_SOURCE_DWARF;
	err = walk(&r);
out:
	gr_struct_queue_deinit(&r.queue);
	dwarf_finish(r.dbg, &derr);
	if (derr)
		dwarf_dealloc(NULL, derr, DW_DLA_ERROR);
	if (err) {
		gr_layouts_destroy(r.l);
		return err;
	}
	*ret = r.l;
	return NULL;
}
