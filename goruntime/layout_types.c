/* Runtime layouts from the runtime's own type descriptors, for binaries
 * without DWARF (-ldflags=-s -w).
 *
 * What the compiler and linker emit (go-runtime-facts.md §6;
 * cmd/compile/internal/reflectdata/reflect.go, runtime/type.go up to 1.20,
 * internal/abi/type.go from 1.21): every type descriptor lies in
 * [moduledata.types, moduledata.etypes) and starts with the 48-byte
 * _type/abi.Type; pointers between descriptors (Elem, struct field types,
 * field names) are absolute addresses into that range.  The named struct
 * runtime.g is not itself listed in moduledata.typelinks (unnamed types
 * only), so the descriptors are searched as a graph: from every typelinks
 * entry through pointer/slice/array/chan/map element types and struct field
 * types.  Function and interface types are not followed (their parameter
 * and method lists are not needed to reach the runtime's structs).  Named
 * structs that nothing in that graph refers to can be found with
 * GR_TYPES_SCAN, a scan of the 8-aligned words of [types, etypes) for a named
 * struct descriptor whose Str decodes to the wanted name.  Some structs have
 * no descriptor at all: in go1.19 runtime.schedt (its only instance is the
 * global runtime.sched, whose GC bitmap the linker writes; nothing allocates
 * it, points to it or converts it to an interface); those need another
 * source (the per-version facts).
 *
 * Measured on go1.19 binaries: a small program (223 KiB of descriptors, 313
 * typelinks) has ~500 descriptors in the graph, a net/http one (881 KiB,
 * 1265 typelinks) ~2000; the whole graph plus the whole scan take well under
 * a millisecond either way.
 *
 * Every read goes through the caller's callback and every address read is
 * checked to lie in [types, etypes) (typelinks excepted: the linker puts that
 * array in its own section); counts and lengths are bounded, so corrupt
 * memory yields GC_ERR_FORMAT or GC_ERR_FAULT, never a crash or a long loop.
 */
#include "layout.h"

#include <stdlib.h>
#include <string.h>

#include "../common/bytes.h"

/* abi.Kind (low 5 bits of Kind_) and abi.TFlag, the same 1.17 - 1.26. */
enum {
	KIND_ARRAY = 17,
	KIND_CHAN = 18,
	KIND_MAP = 21,
	KIND_PTR = 22,
	KIND_SLICE = 23,
	KIND_STRUCT = 25,
	KIND_MASK = 0x1f,
	TFLAG_UNCOMMON = 1 << 0,
	TFLAG_EXTRA_STAR = 1 << 1,
	TFLAG_NAMED = 1 << 2,
};

/* 64-bit descriptor sizes and offsets (facts §6.1, §6.2). */
enum {
	TYPE_SIZE = 48,        /* _type / abi.Type */
	TYPE_OFF_STR = 40,
	TYPE_OFF_ELEM = 48,    /* PtrType/SliceType/ArrayType/ChanType Elem, MapType Key */
	TYPE_OFF_ELEM2 = 56,   /* MapType Elem; StructType Fields.ptr */
	TYPE_OFF_LEN = 64,     /* StructType Fields.len */
	TYPE_READ = 72,        /* header plus the words above */
	STRUCTFIELD_SIZE = 24, /* {Name, Typ, Offset} */
};

/* Bounds.  Names: the runtime's field names and type strings are far
 * shorter; a longer type string (a big generic instantiation, a func
 * literal type) is skipped in the walk and gives a field no type_name.
 * Fields: runtime.m has ~100.  Structs: the by-value closure of
 * g/m/p/schedt/moduledata is ~100. */
#define MAX_NAME 4096
#define MAX_FIELDS 4096
#define MAX_STRUCTS 4096
#define MAX_TYPELINKS (1u << 24)
#define TYPELINK_CHUNK 1024
#define SCAN_CHUNK 65536

struct tdesc {
	uint64_t addr;
	uint64_t size;  /* Size_ */
	uint8_t tflag, kind;
	int32_t str;
	uint64_t words[3]; /* at +48, +56, +64, where they lie inside [types, etypes) */
	unsigned nwords;
};


struct reader {
	gopclntab_read_fn *read;
	void *ctx;
	uint64_t types, etypes;
	int minor;
	const char *const *names;
	size_t nnames;
	uint64_t *found;       /* descriptor address of names[i]; 0: not found */
	size_t nmissing;       /* non-NULL names not found yet */
	/* the graph walk */
	uint64_t *seen;        /* open-addressing set of visited addresses, 0 = empty */
	size_t seen_cap, nseen, max_seen;
	/* StructFields the walk may still read: distinct structs have disjoint
	 * field arrays inside [types, etypes), so at most (etypes-types)/24 in
	 * all; this keeps a crafted graph from re-reading large arrays. */
	uint64_t fields_budget;
	uint64_t *stack;
	size_t nstack, stack_cap;
	/* the result */
	struct gr_layouts *l;
	size_t structs_cap;
	struct gr_struct_queue queue; /* structs embedded by value, by address */
	char name[MAX_NAME + 1];
};

static bool in_types(const struct reader *r, uint64_t addr, uint64_t len)
{
	return addr >= r->types && addr < r->etypes && len <= r->etypes - addr;
}

static struct gc_error *read_mem(struct reader *r, uint64_t addr, void *buf,
				 size_t len, const char *what)
{
	if (!in_types(r, addr, len))
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: %s at 0x%llx (+%zu) lies outside [0x%llx, 0x%llx)",
				       what, (unsigned long long)addr, len,
				       (unsigned long long)r->types,
				       (unsigned long long)r->etypes);
	if (!r->read(r->ctx, addr, buf, len))
		return gc_error_create(GC_ERR_FAULT,
				       "type descriptors: %s at 0x%llx (%zu bytes) is unreadable",
				       what, (unsigned long long)addr, len);
	return NULL;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;
	gc_get_u64(p, 8, 0, &v);
	return v;
}

/* Reads the descriptor header at addr and the words after it that lie in
 * the range (which ones a kind has is the caller's business). */
static struct gc_error *read_type(struct reader *r, uint64_t addr, struct tdesc *ret)
{
	uint8_t buf[TYPE_READ];
	memset(ret, 0, sizeof(*ret));
	/* Every runtime descriptor is pointer-aligned (it holds pointers). */
	if (addr % 8 != 0)
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: descriptor address 0x%llx is not 8-aligned",
				       (unsigned long long)addr);
	size_t len = TYPE_READ;
	if (in_types(r, addr, TYPE_SIZE) && r->etypes - addr < len)
		len = (size_t)(r->etypes - addr);
	struct gc_error *err = read_mem(r, addr, buf, len < TYPE_SIZE ? TYPE_SIZE : len,
					"type descriptor");
	if (err)
		return err;
	ret->addr = addr;
	ret->size = le64(buf);
	ret->tflag = buf[20];
	ret->kind = buf[23] & KIND_MASK;
	ret->str = (int32_t)((uint32_t)buf[TYPE_OFF_STR] | (uint32_t)buf[41] << 8 |
			     (uint32_t)buf[42] << 16 | (uint32_t)buf[43] << 24);
	ret->nwords = (unsigned)((len - TYPE_SIZE) / 8);
	for (unsigned i = 0; i < ret->nwords; i++)
		ret->words[i] = le64(buf + TYPE_SIZE + 8 * i);
	return NULL;
}

/* Word i (0: +48, 1: +56, 2: +64) of t, or an error when t ends before it. */
static struct gc_error *type_word(const struct tdesc *t, unsigned i, uint64_t *ret)
{
	if (i >= t->nwords)
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: descriptor 0x%llx (kind %u) runs past etypes",
				       (unsigned long long)t->addr, t->kind);
	*ret = t->words[i];
	return NULL;
}

/* Decodes the name (abi.Name: flag byte, uvarint length, bytes; go1.17+)
 * at addr into r->name.  *len_ret is its length; *too_long_ret when it is
 * longer than MAX_NAME (r->name is then not set). */
static struct gc_error *read_name(struct reader *r, uint64_t addr, size_t *len_ret,
				  bool *too_long_ret)
{
	uint8_t hdr[11];
	*too_long_ret = false;
	*len_ret = 0;
	size_t hlen = sizeof(hdr);
	if (in_types(r, addr, 2) && r->etypes - addr < hlen)
		hlen = (size_t)(r->etypes - addr);
	struct gc_error *err = read_mem(r, addr, hdr, hlen < 2 ? 2 : hlen, "name");
	if (err)
		return err;
	uint64_t n;
	size_t vlen;
	if (!gc_get_uvarint(hdr, hlen, 1, &n, &vlen))
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: name at 0x%llx has a bad length",
				       (unsigned long long)addr);
	if (n > MAX_NAME) {
		*too_long_ret = true;
		return NULL;
	}
	err = read_mem(r, addr + 1 + vlen, r->name, (size_t)n, "name bytes");
	if (err)
		return err;
	r->name[n] = '\0';
	if (memchr(r->name, '\0', (size_t)n))
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: name at 0x%llx holds a NUL byte",
				       (unsigned long long)addr);
	*len_ret = (size_t)n;
	return NULL;
}

/* Decodes t's type string (Str, a nameOff from types) into r->name, without
 * the leading '*' that TFlagExtraStar marks as not part of it.
 * *too_long_ret as for read_name. */
static struct gc_error *type_string(struct reader *r, const struct tdesc *t,
				    bool *too_long_ret)
{
	if (t->str < 0)
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: descriptor 0x%llx has a negative Str",
				       (unsigned long long)t->addr);
	size_t len;
	struct gc_error *err = read_name(r, r->types + (uint64_t)t->str, &len,
					 too_long_ret);
	if (err || *too_long_ret)
		return err;
	if (t->tflag & TFLAG_EXTRA_STAR) {
		if (len == 0 || r->name[0] != '*')
			return gc_error_create(GC_ERR_FORMAT,
					       "type descriptors: descriptor 0x%llx has TFlagExtraStar but Str \"%s\"",
					       (unsigned long long)t->addr, r->name);
		memmove(r->name, r->name + 1, len);
	}
	return NULL;
}

/* Where a named type's uncommontype lies: right after its kind's
 * descriptor (facts §6.2; reflect.Type.uncommon).  0 for maps, whose
 * descriptor size changed with the swiss maps of go1.24. */
static uint64_t uncommon_offset(uint8_t kind)
{
	switch (kind) {
	case KIND_ARRAY: return 72;     /* Elem, Slice, Len */
	case KIND_CHAN: return 64;      /* Elem, Dir */
	case 19 /* Func */: return 56;  /* InCount, OutCount, padding */
	case 20 /* Interface */: return 80; /* PkgPath, Methods */
	case KIND_MAP: return 0;
	case KIND_PTR: return 56;
	case KIND_SLICE: return 56;
	case KIND_STRUCT: return 80;
	default: return TYPE_SIZE;
	}
}

static char *concat3(const char *a, size_t alen, const char *b, size_t blen,
		     const char *c)
{
	size_t clen = strlen(c);
	char *s = malloc(alen + blen + clen + 1);
	if (s) {
		memcpy(s, a, alen);
		memcpy(s + alen, b, blen);
		memcpy(s + alen + blen, c, clen + 1);
	}
	return s;
}

#define MAX_SPELL_DEPTH 8

/* *ret = malloc'd name of t as Go's DWARF spells it, where that is cheap:
 * the type string, with a named type's package name replaced by its import
 * path ("atomic.Uint32" -> "runtime/internal/atomic.Uint32", from the
 * uncommontype's PkgPath), and so inside pointer, slice and array types.
 * NULL (no error) when a name is longer than MAX_NAME. */
static struct gc_error *spell(struct reader *r, const struct tdesc *t, int depth,
			      char **ret)
{
	*ret = NULL;
	bool too_long;
	struct gc_error *err = type_string(r, t, &too_long);
	if (err || too_long)
		return err;
	char *s = strdup(r->name);
	if (!s)
		return &gc_error_nomem;
	size_t len = strlen(s);
	uint64_t uoff = uncommon_offset(t->kind);
	if ((t->tflag & (TFLAG_NAMED | TFLAG_UNCOMMON)) == (TFLAG_NAMED | TFLAG_UNCOMMON) &&
	    uoff) {
		/* package name: the identifier before the first '.' */
		size_t dot = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		uint8_t b[4];
		uint32_t pkgpath;
		if (dot == 0 || dot >= len || s[dot] != '.')
			goto out;
		err = read_mem(r, t->addr + uoff, b, 4, "uncommontype");
		if (err)
			goto out;
		gc_get_u32(b, 4, 0, &pkgpath);
		if (pkgpath == 0 || pkgpath >= r->etypes - r->types)
			goto out;
		size_t plen;
		err = read_name(r, r->types + pkgpath, &plen, &too_long);
		if (err || too_long || plen == 0 ||
		    (plen == dot && memcmp(r->name, s, dot) == 0))
			goto out;
		char *full = concat3(r->name, plen, "", 0, s + dot);
		if (!full) {
			err = &gc_error_nomem;
			goto out;
		}
		free(s);
		s = full;
	} else if (!(t->tflag & TFLAG_NAMED) && depth < MAX_SPELL_DEPTH &&
		   (t->kind == KIND_PTR || t->kind == KIND_SLICE || t->kind == KIND_ARRAY)) {
		/* "*", "[]" or "[N]" followed by the element's type string */
		uint64_t eaddr = 0;
		struct tdesc e;
		size_t elen;
		if ((err = type_word(t, 0, &eaddr)) || (err = read_type(r, eaddr, &e)) ||
		    (err = type_string(r, &e, &too_long)) || too_long)
			goto out;
		elen = strlen(r->name);
		if (elen >= len || strcmp(s + len - elen, r->name) != 0)
			goto out;
		char *es;
		err = spell(r, &e, depth + 1, &es);
		if (err || !es)
			goto out;
		char *full = concat3(s, len - elen, es, strlen(es), "");
		free(es);
		if (!full) {
			err = &gc_error_nomem;
			goto out;
		}
		free(s);
		s = full;
	}
out:
	if (err) {
		free(s);
		return err;
	}
	*ret = s;
	return NULL;
}

/* ---- finding the wanted named structs ---- */

/* If t is a named struct whose name is wanted and not yet found, records it. */
static struct gc_error *check_wanted(struct reader *r, const struct tdesc *t)
{
	if (t->kind != KIND_STRUCT || !(t->tflag & TFLAG_NAMED))
		return NULL;
	bool too_long;
	struct gc_error *err = type_string(r, t, &too_long);
	if (err || too_long)
		return err;
	bool hit = false; /* names[] may repeat a name; it counts once */
	for (size_t i = 0; i < r->nnames; i++) {
		if (!r->found[i] && r->names[i] && strcmp(r->names[i], r->name) == 0) {
			r->found[i] = t->addr;
			hit = true;
		}
	}
	r->nmissing -= hit;
	return NULL;
}

static size_t seen_slot(const struct reader *r, uint64_t addr)
{
	return (size_t)((addr >> 3) * 0x9e3779b97f4a7c15ull) & (r->seen_cap - 1);
}

/* Adds addr to the seen set; *added_ret false when it was there. */
static struct gc_error *seen_add(struct reader *r, uint64_t addr, bool *added_ret)
{
	*added_ret = false;
	if (r->seen_cap) {
		for (size_t i = seen_slot(r, addr);; i = (i + 1) & (r->seen_cap - 1)) {
			if (r->seen[i] == addr)
				return NULL;
			if (r->seen[i] == 0)
				break;
		}
	}
	if (r->nseen >= r->max_seen)
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: more than %zu distinct descriptors referred to in [0x%llx, 0x%llx)",
				       r->max_seen, (unsigned long long)r->types,
				       (unsigned long long)r->etypes);
	if (2 * (r->nseen + 1) > r->seen_cap) {
		size_t cap = r->seen_cap ? 2 * r->seen_cap : 1024;
		uint64_t *old = r->seen;
		size_t old_cap = r->seen_cap;
		r->seen = calloc(cap, sizeof(*r->seen));
		if (!r->seen) {
			r->seen = old;
			return &gc_error_nomem;
		}
		r->seen_cap = cap;
		for (size_t j = 0; j < old_cap; j++) {
			if (!old[j])
				continue;
			size_t i = seen_slot(r, old[j]);
			while (r->seen[i])
				i = (i + 1) & (cap - 1);
			r->seen[i] = old[j];
		}
		free(old);
	}
	size_t i = seen_slot(r, addr);
	while (r->seen[i])
		i = (i + 1) & (r->seen_cap - 1);
	r->seen[i] = addr;
	r->nseen++;
	*added_ret = true;
	return NULL;
}

/* Queues the descriptor at addr for the walk unless it was seen. */
static struct gc_error *push(struct reader *r, uint64_t addr, const char *what)
{
	if (!in_types(r, addr, TYPE_SIZE))
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: %s 0x%llx lies outside [0x%llx, 0x%llx)",
				       what, (unsigned long long)addr,
				       (unsigned long long)r->types,
				       (unsigned long long)r->etypes);
	bool added;
	struct gc_error *err = seen_add(r, addr, &added);
	if (err || !added)
		return err;
	if (r->nstack == r->stack_cap) {
		size_t cap = r->stack_cap ? 2 * r->stack_cap : 1024;
		uint64_t *s = realloc(r->stack, cap * sizeof(*s));
		if (!s)
			return &gc_error_nomem;
		r->stack = s;
		r->stack_cap = cap;
	}
	r->stack[r->nstack++] = addr;
	return NULL;
}

/* Reads the Fields slice of struct descriptor t: *ret (malloc'd, owned by
 * the caller) holds *n_ret StructFields of STRUCTFIELD_SIZE bytes. */
static struct gc_error *read_fields(struct reader *r, const struct tdesc *t,
				    uint8_t **ret, size_t *n_ret)
{
	*ret = NULL;
	*n_ret = 0;
	uint64_t ptr = 0, n = 0;
	struct gc_error *err = type_word(t, 1, &ptr);
	if (!err)
		err = type_word(t, 2, &n);
	if (err)
		return err;
	if (n > MAX_FIELDS)
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: struct 0x%llx has %llu fields (at most %d expected)",
				       (unsigned long long)t->addr, (unsigned long long)n,
				       MAX_FIELDS);
	if (n == 0)
		return NULL;
	uint8_t *buf = malloc((size_t)n * STRUCTFIELD_SIZE);
	if (!buf)
		return &gc_error_nomem;
	err = read_mem(r, ptr, buf, (size_t)n * STRUCTFIELD_SIZE, "struct fields");
	if (err) {
		free(buf);
		return err;
	}
	*ret = buf;
	*n_ret = (size_t)n;
	return NULL;
}

/* Visits one descriptor: records it if wanted, queues what it refers to. */
static struct gc_error *visit(struct reader *r, uint64_t addr)
{
	struct tdesc t;
	struct gc_error *err = read_type(r, addr, &t);
	if (err)
		return err;
	uint64_t w = 0;
	switch (t.kind) {
	case KIND_PTR:
	case KIND_SLICE:
	case KIND_ARRAY:
	case KIND_CHAN:
		if (!(err = type_word(&t, 0, &w)))
			err = push(r, w, "element type");
		return err;
	case KIND_MAP:
		if (!(err = type_word(&t, 0, &w)))
			err = push(r, w, "map key type");
		if (!err && !(err = type_word(&t, 1, &w)))
			err = push(r, w, "map element type");
		return err;
	case KIND_STRUCT: {
		err = check_wanted(r, &t);
		if (err)
			return err;
		uint8_t *fields;
		size_t n;
		err = read_fields(r, &t, &fields, &n);
		if (!err && n > r->fields_budget)
			err = gc_error_create(GC_ERR_FORMAT,
					      "type descriptors: struct fields of the descriptors reached add up to more than fit in [0x%llx, 0x%llx)",
					      (unsigned long long)r->types,
					      (unsigned long long)r->etypes);
		if (!err)
			r->fields_budget -= n;
		for (size_t i = 0; !err && i < n; i++)
			err = push(r, le64(fields + i * STRUCTFIELD_SIZE + 8), "field type");
		free(fields);
		return err;
	}
	default:
		return NULL;
	}
}

/* Walks the descriptor graph from the typelinks entries until every wanted
 * name is found or the graph is exhausted. */
static struct gc_error *walk(struct reader *r, uint64_t typelinks, uint64_t ntypelinks)
{
	int32_t chunk[TYPELINK_CHUNK];
	uint8_t raw[TYPELINK_CHUNK * 4];
	for (uint64_t i = 0; i < ntypelinks && r->nmissing; i += TYPELINK_CHUNK) {
		size_t k = ntypelinks - i < TYPELINK_CHUNK ? (size_t)(ntypelinks - i) : TYPELINK_CHUNK;
		/* typelinks is outside [types, etypes): read directly. */
		if (!r->read(r->ctx, typelinks + 4 * i, raw, 4 * k))
			return gc_error_create(GC_ERR_FAULT,
					       "type descriptors: typelinks[%llu:%llu] at 0x%llx is unreadable",
					       (unsigned long long)i, (unsigned long long)(i + k),
					       (unsigned long long)(typelinks + 4 * i));
		for (size_t j = 0; j < k; j++) {
			uint32_t u;
			gc_get_u32(raw, sizeof(raw), 4 * j, &u);
			chunk[j] = (int32_t)u;
		}
		for (size_t j = 0; j < k; j++) {
			if (chunk[j] < 0)
				return gc_error_create(GC_ERR_FORMAT,
						       "type descriptors: typelinks[%llu] = %d is negative",
						       (unsigned long long)(i + j), chunk[j]);
			struct gc_error *err = push(r, r->types + (uint64_t)chunk[j], "typelinks entry");
			if (err)
				return err;
			/* Depth-first from each root keeps the stack small. */
			while (r->nstack && r->nmissing) {
				err = visit(r, r->stack[--r->nstack]);
				if (err)
					return err;
			}
		}
	}
	return NULL;
}

/* Scans the 8-aligned words of [types, etypes) for named struct descriptors
 * (TFlagNamed|ExtraStar|Uncommon, kind Struct) of the names not found yet. */
static struct gc_error *scan(struct reader *r)
{
	uint8_t *buf = malloc(SCAN_CHUNK + TYPE_SIZE);
	if (!buf)
		return &gc_error_nomem;
	struct gc_error *err = NULL;
	uint64_t start = (r->types + 7) & ~(uint64_t)7;
	uint64_t span = r->etypes - r->types;
	for (uint64_t a = start; r->nmissing && a < r->etypes && r->etypes - a >= TYPE_SIZE;
	     a += SCAN_CHUNK) {
		size_t len = r->etypes - a < SCAN_CHUNK + TYPE_SIZE ?
			     (size_t)(r->etypes - a) : SCAN_CHUNK + TYPE_SIZE;
		err = read_mem(r, a, buf, len, "type descriptors");
		if (err)
			break;
		for (size_t o = 0; o < SCAN_CHUNK && o + TYPE_SIZE <= len && r->nmissing; o += 8) {
			const uint8_t *p = buf + o;
			uint8_t want = TFLAG_NAMED | TFLAG_EXTRA_STAR | TFLAG_UNCOMMON;
			if ((p[23] & KIND_MASK) != KIND_STRUCT || (p[20] & want) != want)
				continue;
			uint32_t str;
			gc_get_u32(p, TYPE_SIZE, TYPE_OFF_STR, &str);
			if (str >= span)
				continue;
			struct tdesc t;
			err = read_type(r, a + o, &t);
			if (!err) {
				/* Anything that merely looks like a header is skipped,
				 * not an error: the scan reads every word. */
				struct gc_error *e = check_wanted(r, &t);
				if (e == &gc_error_nomem)
					err = e;
				else
					gc_error_destroy(e);
			}
			if (err)
				break;
		}
		if (err)
			break;
	}
	free(buf);
	return err;
}

/* ---- building the set ---- */

static struct gc_error *add_pending(struct reader *r, uint64_t addr, const char *name)
{
	return gr_struct_queue_add(&r->queue, r->l, addr, name, MAX_STRUCTS, "type descriptors");
}

static struct gc_error *read_field(struct reader *r, struct gr_struct *s,
				   const uint8_t *raw, struct gr_field *f)
{
	uint64_t name_addr = le64(raw), typ = le64(raw + 8), word = le64(raw + 16);
	size_t len;
	bool too_long;
	struct gc_error *err = read_name(r, name_addr, &len, &too_long);
	if (err)
		return gc_error_prefix(err, "field %zu of %s", (size_t)(f - s->fields), s->name);
	if (too_long)
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: field %zu of %s has a name longer than %d bytes",
				       (size_t)(f - s->fields), s->name, MAX_NAME);
	if (!(f->name = strdup(r->name)))
		return &gc_error_nomem;
	/* go1.17-1.18: offsetAnon = offset<<1 | embedded; go1.19+: Offset. */
	f->offset = r->minor <= 18 ? word >> 1 : word;
	struct tdesc t;
	err = read_type(r, typ, &t);
	if (!err)
		err = spell(r, &t, 0, &f->type_name);
	if (err)
		return gc_error_prefix(err, "type of %s.%s", s->name, f->name);
	f->size = t.size;
	if (f->offset > s->size || f->size > s->size - f->offset)
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: %s.%s at %llu (%llu bytes) lies outside its struct (%llu bytes)",
				       s->name, f->name, (unsigned long long)f->offset,
				       (unsigned long long)f->size, (unsigned long long)s->size);
	if (t.kind == KIND_STRUCT && f->type_name)
		err = add_pending(r, typ, f->type_name);
	return err;
}

/* Appends the struct descriptor at addr, named sname (ownership taken). */
static struct gc_error *read_struct(struct reader *r, uint64_t addr, char *sname)
{
	struct gr_layouts *l = r->l;
	if (l->nstructs == r->structs_cap) {
		if (r->structs_cap >= MAX_STRUCTS) {
			free(sname);
			return gc_error_create(GC_ERR_LIMIT,
					       "type descriptors: more than %d struct types wanted",
					       MAX_STRUCTS);
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
	s->type_addr = addr;

	struct tdesc t;
	struct gc_error *err = read_type(r, addr, &t);
	if (err)
		return gc_error_prefix(err, "%s", sname);
	if (t.kind != KIND_STRUCT)
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: %s at 0x%llx has kind %u, not struct",
				       sname, (unsigned long long)addr, t.kind);
	s->size = t.size;
	uint8_t *raw;
	size_t n;
	err = read_fields(r, &t, &raw, &n);
	if (err)
		return gc_error_prefix(err, "%s", sname);
	if (n) {
		s->fields = calloc(n, sizeof(*s->fields));
		if (!s->fields) {
			free(raw);
			return &gc_error_nomem;
		}
	}
	for (size_t i = 0; i < n && !err; i++) {
		s->nfields++; /* from here on gr_layouts_destroy frees its strings */
		err = read_field(r, s, raw + i * STRUCTFIELD_SIZE, &s->fields[i]);
	}
	free(raw);
	return err;
}

static struct gc_error *read_pending(struct reader *r)
{
	uint64_t addr;
	char *sname;
	while (gr_struct_queue_next(&r->queue, r->l, &addr, &sname)) {
		struct gc_error *err = read_struct(r, addr, sname);
		if (err)
			return err;
	}
	return NULL;
}

static struct gc_error *build(struct reader *r)
{
	for (size_t i = 0; i < r->nnames; i++) {
		if (!r->found[i] || gr_layouts_struct(r->l, r->names[i]))
			continue;
		char *sname = strdup(r->names[i]);
		if (!sname)
			return &gc_error_nomem;
		struct gc_error *err = read_struct(r, r->found[i], sname);
		if (!err)
			err = read_pending(r);
		if (err)
			return err;
	}
	return NULL;
}

struct gc_error *gr_layouts_from_types(gopclntab_read_fn *read, void *ctx,
				       uint64_t types, uint64_t etypes,
				       uint64_t typelinks, uint64_t ntypelinks,
				       int minor, unsigned flags,
				       const char *const *names, size_t n,
				       struct gr_layouts **ret)
{
	*ret = NULL;
	if (minor < 17)
		return gc_error_create(GC_ERR_UNSUPPORTED,
				       "type descriptors: go1.%d names (2-byte lengths) are not supported",
				       minor);
	if (!read || types == 0 || etypes <= types)
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: bad range [0x%llx, 0x%llx)",
				       (unsigned long long)types, (unsigned long long)etypes);
	/* Each typelinks entry names a distinct descriptor of at least 48
	 * bytes inside [types, etypes). */
	if (ntypelinks > MAX_TYPELINKS || ntypelinks * TYPE_SIZE > etypes - types)
		return gc_error_create(GC_ERR_FORMAT,
				       "type descriptors: %llu typelinks cannot fit in [0x%llx, 0x%llx)",
				       (unsigned long long)ntypelinks, (unsigned long long)types,
				       (unsigned long long)etypes);
	struct reader r = {
		.read = read,
		.ctx = ctx,
		.types = types,
		.etypes = etypes,
		.minor = minor,
		.names = names,
		.nnames = names ? n : 0,
		.max_seen = (size_t)((etypes - types) / TYPE_SIZE),
		.fields_budget = (etypes - types) / STRUCTFIELD_SIZE,
	};
	struct gc_error *err = NULL;
	r.l = calloc(1, sizeof(*r.l));
	r.found = calloc(r.nnames ? r.nnames : 1, sizeof(*r.found));
	if (!r.l || !r.found) {
		err = &gc_error_nomem;
		goto out;
	}
	r.l->source = GR_SOURCE_TYPES;
	for (size_t i = 0; i < r.nnames; i++) {
		bool dup = false;
		for (size_t j = 0; j < i && r.names[i]; j++)
			dup |= r.names[j] && strcmp(r.names[i], r.names[j]) == 0;
		r.nmissing += r.names[i] && !dup;
	}
	err = walk(&r, typelinks, ntypelinks);
	if (!err && r.nmissing && (flags & GR_TYPES_SCAN))
		err = scan(&r);
	if (!err)
		err = build(&r);
out:
	gr_struct_queue_deinit(&r.queue);
	free(r.seen);
	free(r.stack);
	free(r.found);
	if (err) {
		gr_layouts_destroy(r.l);
		return err;
	}
	*ret = r.l;
	return NULL;
}
