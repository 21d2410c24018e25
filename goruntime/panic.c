/* The panic and fatal-error lines of a crash.  See panic.h.
 *
 * Sources: runtime/panic.go (printpanics, preprintpanics, throw, fatal,
 * dopanic_m), runtime/error.go (printpanicval/printany,
 * printanycustomtype, printindented, boundsError, errorString, plainError,
 * errorAddressString, TypeAssertionError), runtime/print.go (printfloat,
 * printcomplex), runtime/sigtab_linux_generic.go, of go1.18 to go1.26;
 * internal/abi/type.go for the type descriptor.
 */
#include "panic.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/obuf.h"
#include "moduledata.h"
#include "unwind.h"

#define NO_OFF UINT64_MAX
/* Panics nest one per deferred call that panics again; a chain longer than
 * this is corrupt or cyclic. */
#define MAX_CHAIN 4096
/* Longest string value read from the core. */
#define MAX_STRING (1u << 20)

/* printindented (error.go, 1.23+): a tab after every newline. */
static void print_indented(struct obuf *b, const char *s, size_t n, bool indent)
{
	for (size_t i = 0; i < n; i++) {
		ob_char(b, s[i]);
		if (indent && s[i] == '\n')
			ob_char(b, '\t');
	}
}

/* ---- reading the core ---- */

struct ctx {
	const struct gr_process *p;
	const struct gc_addrspace *as;
	const struct gr_layouts *l;
	int minor;
	uint64_t types;  /* moduledata.types; 0 when unknown */
	bool have_types;
	bool nomem;      /* an allocation failed: the message is not to be trusted */
};

static bool read_fn(void *vctx, uint64_t addr, void *buf, size_t len)
{
	return gc_addrspace_read(vctx, addr, buf, len) == GC_READ_OK;
}

/* A Go string (ptr, len) as malloc'd bytes plus NUL; NULL when unreadable
 * or longer than MAX_STRING. */
static char *read_string(struct ctx *c, uint64_t ptr, uint64_t len)
{
	if (len > MAX_STRING)
		return NULL;
	char *s = malloc(len + 1);
	if (!s) {
		c->nomem = true;
		return NULL;
	}
	if (len && gc_addrspace_read(c->as, ptr, s, len) != GC_READ_OK) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

static char *read_string_at(struct ctx *c, uint64_t addr, uint64_t *len_ret)
{
	uint64_t ptr, len;
	if (!gc_addrspace_u64(c->as, addr, &ptr) || !gc_addrspace_u64(c->as, addr + 8, &len))
		return NULL;
	char *s = read_string(c, ptr, len);
	if (s && len_ret)
		*len_ret = len;
	return s;
}

static void ctx_init(struct ctx *c, const struct gr_process *p)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->as = gr_process_memory(p);
	c->l = gr_process_layouts(p);
	c->minor = gr_process_go_minor(p);
}

/* moduledata.types, the base of a type's nameOff, looked up on first use. */
static bool ctx_types(struct ctx *c)
{
	if (c->have_types)
		return c->types != 0;
	c->have_types = true;
	uint64_t md = gr_process_moduledata(c->p);
	struct gr_moduledata_types mt;
	if (!md)
		return false;
	struct gc_error *err = gr_moduledata_types(read_fn, (void *)c->as, md, c->minor, &mt);
	if (err) {
		c->nomem |= err == &gc_error_nomem;
		gc_error_destroy(err);
		return false;
	}
	c->types = mt.types;
	return true;
}

/* ---- type descriptors (internal/abi.Type; runtime._type before 1.21) ----
 * size 0, ptrdata 8, hash 16, tflag 20, align 21, fieldAlign 22, kind 23,
 * equal 24, gcdata 32, str 40 (nameOff), ptrToThis 44: the same in every
 * release 1.18-1.27 on 64-bit. */
enum { TYPE_TFLAG = 20, TYPE_KIND = 23, TYPE_STR = 40 };
enum { TFLAG_EXTRA_STAR = 1 << 1, KIND_MASK = 0x1f };
enum {
	KIND_BOOL = 1, KIND_INT, KIND_INT8, KIND_INT16, KIND_INT32, KIND_INT64,
	KIND_UINT, KIND_UINT8, KIND_UINT16, KIND_UINT32, KIND_UINT64, KIND_UINTPTR,
	KIND_FLOAT32, KIND_FLOAT64, KIND_COMPLEX64, KIND_COMPLEX128,
	KIND_STRING = 24,
};

/* The builtin type of each basic kind, as printany's cases name them. */
static const char *const basic_names[] = {
	[KIND_BOOL] = "bool", [KIND_INT] = "int", [KIND_INT8] = "int8",
	[KIND_INT16] = "int16", [KIND_INT32] = "int32", [KIND_INT64] = "int64",
	[KIND_UINT] = "uint", [KIND_UINT8] = "uint8", [KIND_UINT16] = "uint16",
	[KIND_UINT32] = "uint32", [KIND_UINT64] = "uint64", [KIND_UINTPTR] = "uintptr",
	[KIND_FLOAT32] = "float32", [KIND_FLOAT64] = "float64",
	[KIND_COMPLEX64] = "complex64", [KIND_COMPLEX128] = "complex128",
	[KIND_STRING] = "string",
};

/* rtype.string(): the name at types+str (a flags byte, a uvarint length,
 * the bytes), without the leading '*' when tflagExtraStar is set.
 * malloc'd; NULL when unreadable. */
static char *type_string(struct ctx *c, uint64_t typ, uint8_t *kind_ret)
{
	uint8_t tflag, kind;
	uint32_t str;
	if (!gc_addrspace_u8(c->as, typ + TYPE_TFLAG, &tflag) ||
	    !gc_addrspace_u8(c->as, typ + TYPE_KIND, &kind) ||
	    !gc_addrspace_u32(c->as, typ + TYPE_STR, &str))
		return NULL;
	if (kind_ret)
		*kind_ret = kind & KIND_MASK;
	if (!ctx_types(c))
		return NULL;
	uint64_t name = c->types + (uint64_t)(int64_t)(int32_t)str;
	uint64_t len = 0;
	unsigned shift = 0;
	uint64_t q = name + 1;
	for (int i = 0; i < 10; i++, q++) {
		uint8_t byte;
		if (!gc_addrspace_u8(c->as, q, &byte))
			return NULL;
		len |= (uint64_t)(byte & 0x7f) << shift;
		shift += 7;
		if (!(byte & 0x80)) {
			q++;
			break;
		}
	}
	char *s = read_string(c, q, len);
	if (s && (tflag & TFLAG_EXTRA_STAR) && s[0] == '*')
		memmove(s, s + 1, strlen(s));
	return s;
}

/* ---- printing values as the runtime's print does ---- */

/* printfloat (print.go): "+1.500000e+000". */
static void print_float(struct obuf *b, double v)
{
	if (v != v) {
		ob_str(b, "NaN");
		return;
	}
	if (v + v == v && v > 0) {
		ob_str(b, "+Inf");
		return;
	}
	if (v + v == v && v < 0) {
		ob_str(b, "-Inf");
		return;
	}
	enum { N = 7 };
	char buf[N + 7];
	buf[0] = '+';
	int e = 0;
	if (v == 0) {
		if (1 / v < 0)
			buf[0] = '-';
	} else {
		if (v < 0) {
			v = -v;
			buf[0] = '-';
		}
		while (v >= 10) {
			e++;
			v /= 10;
		}
		while (v < 1) {
			e--;
			v *= 10;
		}
		double h = 5.0;
		for (int i = 0; i < N; i++)
			h /= 10;
		v += h;
		if (v >= 10) {
			e++;
			v /= 10;
		}
	}
	for (int i = 0; i < N; i++) {
		int s = (int)v;
		buf[i + 2] = (char)(s + '0');
		v -= s;
		v *= 10;
	}
	buf[1] = buf[2];
	buf[2] = '.';
	buf[N + 2] = 'e';
	buf[N + 3] = '+';
	if (e < 0) {
		e = -e;
		buf[N + 3] = '-';
	}
	buf[N + 4] = (char)((uint8_t)(e / 100) + '0');
	buf[N + 5] = (char)((uint8_t)(e / 10) % 10 + '0');
	buf[N + 6] = (char)((uint8_t)(e % 10) + '0');
	ob_mem(b, buf, sizeof(buf));
}

/* The value of a basic kind at addr as print() shows it; false when
 * unreadable. */
static bool print_basic(struct ctx *c, struct obuf *b, uint8_t kind, uint64_t addr)
{
	uint8_t v[16];
	static const uint8_t sizes[] = {
		[KIND_BOOL] = 1, [KIND_INT] = 8, [KIND_INT8] = 1, [KIND_INT16] = 2,
		[KIND_INT32] = 4, [KIND_INT64] = 8, [KIND_UINT] = 8, [KIND_UINT8] = 1,
		[KIND_UINT16] = 2, [KIND_UINT32] = 4, [KIND_UINT64] = 8, [KIND_UINTPTR] = 8,
		[KIND_FLOAT32] = 4, [KIND_FLOAT64] = 8, [KIND_COMPLEX64] = 8,
		[KIND_COMPLEX128] = 16,
	};
	if (kind >= sizeof(sizes) || !sizes[kind] ||
	    gc_addrspace_read(c->as, addr, v, sizes[kind]) != GC_READ_OK)
		return false;
	int8_t i8; int16_t i16; int32_t i32; int64_t i64;
	uint16_t u16; uint32_t u32; uint64_t u64;
	float f32[2];
	double f64[2];
	switch (kind) {
	case KIND_BOOL: ob_str(b, v[0] ? "true" : "false"); break;
	case KIND_INT8: memcpy(&i8, v, 1); ob_printf(b, "%d", i8); break;
	case KIND_INT16: memcpy(&i16, v, 2); ob_printf(b, "%d", i16); break;
	case KIND_INT32: memcpy(&i32, v, 4); ob_printf(b, "%" PRId32, i32); break;
	case KIND_INT: case KIND_INT64: memcpy(&i64, v, 8); ob_printf(b, "%" PRId64, i64); break;
	case KIND_UINT8: ob_printf(b, "%u", v[0]); break;
	case KIND_UINT16: memcpy(&u16, v, 2); ob_printf(b, "%u", u16); break;
	case KIND_UINT32: memcpy(&u32, v, 4); ob_printf(b, "%" PRIu32, u32); break;
	case KIND_UINT: case KIND_UINT64: case KIND_UINTPTR:
		memcpy(&u64, v, 8); ob_printf(b, "%" PRIu64, u64); break;
	case KIND_FLOAT32: memcpy(f32, v, 4); print_float(b, f32[0]); break;
	case KIND_FLOAT64: memcpy(f64, v, 8); print_float(b, f64[0]); break;
	case KIND_COMPLEX64:  /* printcomplex: print("(", real, imag, "i)") */
		memcpy(f32, v, 8);
		ob_str(b, "(");
		print_float(b, f32[0]);
		print_float(b, f32[1]);
		ob_str(b, "i)");
		break;
	case KIND_COMPLEX128:
		memcpy(f64, v, 16);
		ob_str(b, "(");
		print_float(b, f64[0]);
		print_float(b, f64[1]);
		ob_str(b, "i)");
		break;
	default:
		return false;
	}
	return true;
}

/* boundsError.Error (error.go); boundsConvert's text changed in 1.20. */
static void print_bounds_error(struct ctx *c, struct obuf *b, int64_t x, int64_t y, bool is_signed,
		      uint8_t code)
{
	static const char *const fmts[] = {
		"index out of range [%x] with length %y",
		"slice bounds out of range [:%x] with length %y",
		"slice bounds out of range [:%x] with capacity %y",
		"slice bounds out of range [%x:%y]",
		"slice bounds out of range [::%x] with length %y",
		"slice bounds out of range [::%x] with capacity %y",
		"slice bounds out of range [:%x:%y]",
		"slice bounds out of range [%x:%y:]",
		"cannot convert slice with length %y to pointer to array with length %x",
	};
	static const char *const negfmts[] = {
		"index out of range [%x]",
		"slice bounds out of range [:%x]",
		"slice bounds out of range [:%x]",
		"slice bounds out of range [%x:]",
		"slice bounds out of range [::%x]",
		"slice bounds out of range [::%x]",
		"slice bounds out of range [:%x:]",
		"slice bounds out of range [%x::]",
		NULL,
	};
	if (code >= sizeof(fmts) / sizeof(fmts[0])) {
		ob_printf(b, "runtime error: bounds error code %u (x=%" PRId64 ", y=%" PRId64 ")",
			  code, x, y);
		return;
	}
	const char *f = fmts[code];
	if (code == 8 && c->minor >= 20)
		f = "cannot convert slice with length %y to array or pointer to array with length %x";
	if (is_signed && x < 0 && negfmts[code])
		f = negfmts[code];
	ob_str(b, "runtime error: ");
	for (; *f; f++) {
		if (*f != '%') {
			ob_char(b, *f);
			continue;
		}
		f++;
		/* appendIntStr: '-' then the magnitude, for signed values */
		if (*f == 'x' && is_signed && x < 0)
			ob_printf(b, "-%" PRIu64, (uint64_t)0 - (uint64_t)x);
		else if (*f == 'x')
			ob_printf(b, "%" PRIu64, (uint64_t)x);
		else if (y < 0)
			ob_printf(b, "-%" PRIu64, (uint64_t)0 - (uint64_t)y);
		else
			ob_printf(b, "%" PRId64, y);
	}
}

/* The Error() text of the runtime's own error types, which the runtime
 * would have printed (preprintpanics calls Error on them).  false when the
 * type is not one of them or its value is unreadable. */
static bool print_runtime_error(struct ctx *c, struct obuf *b, const char *ts, uint64_t data,
			     bool indent)
{
	uint64_t len = 0;
	char *s = NULL;
	if (strcmp(ts, "runtime.boundsError") == 0) {
		uint64_t x, y;
		uint8_t sg, code;
		if (!gc_addrspace_u64(c->as, data, &x) || !gc_addrspace_u64(c->as, data + 8, &y) ||
		    !gc_addrspace_u8(c->as, data + 16, &sg) || !gc_addrspace_u8(c->as, data + 17, &code))
			return false;
		print_bounds_error(c, b, (int64_t)x, (int64_t)y, sg != 0, code);
		return true;
	}
	bool prefix = true;
	if (strcmp(ts, "runtime.plainError") == 0)
		prefix = false;
	else if (strcmp(ts, "runtime.errorString") != 0 &&
		 strcmp(ts, "runtime.errorAddressString") != 0) /* msg is its first field */
		goto assertion;
	if (!(s = read_string_at(c, data, &len)))
		return false;
	if (prefix)
		ob_str(b, "runtime error: ");
	print_indented(b, s, len, indent);
	free(s);
	return true;
assertion:
	if (strcmp(ts, "*runtime.TypeAssertionError") != 0)
		return false;
	/* TypeAssertionError.Error; the "(types from different packages)"
	 * variant is not told apart from "scopes" here. */
	uint64_t inter, concrete, asserted;
	if (!gc_addrspace_u64(c->as, data, &inter) || !gc_addrspace_u64(c->as, data + 8, &concrete) ||
	    !gc_addrspace_u64(c->as, data + 16, &asserted) ||
	    !(s = read_string_at(c, data + 24, &len)))
		return false;
	char *is = inter ? type_string(c, inter, NULL) : strdup("interface");
	char *as = type_string(c, asserted, NULL);
	char *cs = concrete ? type_string(c, concrete, NULL) : NULL;
	bool ok = is && as && (!concrete || cs);
	if (ok && !concrete) {
		ob_printf(b, "interface conversion: %s is nil, not %s", is, as);
	} else if (ok && len == 0) {
		ob_str(b, "interface conversion: ");
		ob_str(b, is);
		ob_str(b, " is ");
		ob_str(b, cs);
		ob_str(b, ", not ");
		ob_str(b, as);
		if (strcmp(cs, as) == 0)
			ob_str(b, " (types from different scopes)");
	} else if (ok) {
		ob_str(b, "interface conversion: ");
		ob_str(b, cs);
		ob_str(b, " is not ");
		ob_str(b, as);
		ob_str(b, ": missing method ");
		ob_str(b, s);
	}
	free(is);
	free(as);
	free(cs);
	free(s);
	return ok;
}

/* printpanicval (printany before 1.23) of the eface (typ, data). */
static struct gc_error *print_value(struct ctx *c, struct obuf *b, uint64_t typ, uint64_t data)
{
	bool indent = c->minor >= 23;
	if (!typ) {
		ob_str(b, "nil");
		return NULL;
	}
	uint8_t kind = 0;
	char *ts = type_string(c, typ, &kind);
	if (!ts)
		return gc_error_create(GC_ERR_FAULT,
				       "the panic value's type descriptor at 0x%" PRIx64
				       " is not in the core", typ);
	struct gc_error *err = NULL;
	bool basic = kind < sizeof(basic_names) / sizeof(basic_names[0]) && basic_names[kind];
	if (basic && strcmp(ts, basic_names[kind]) == 0) {
		/* one of printany's builtin cases */
		if (kind == KIND_STRING) {
			uint64_t len;
			char *s = read_string_at(c, data, &len);
			if (!s)
				goto fault;
			print_indented(b, s, len, indent);
			free(s);
		} else if (!print_basic(c, b, kind, data)) {
			goto fault;
		}
	} else if (print_runtime_error(c, b, ts, data, indent)) {
		/* done */
	} else if (basic) {
		/* printanycustomtype */
		ob_str(b, ts);
		if (kind == KIND_STRING) {
			uint64_t len;
			char *s = read_string_at(c, data, &len);
			if (!s)
				goto fault;
			ob_str(b, "(\"");
			print_indented(b, s, len, indent);
			ob_str(b, "\")");
			free(s);
		} else if (kind == KIND_COMPLEX64 || kind == KIND_COMPLEX128) {
			if (!print_basic(c, b, kind, data))
				goto fault;
		} else {
			ob_str(b, "(");
			if (!print_basic(c, b, kind, data))
				goto fault;
			ob_str(b, ")");
		}
	} else {
		ob_printf(b, "(%s) 0x%" PRIx64, ts, data);
	}
	free(ts);
	return err;
fault:
	err = gc_error_create(GC_ERR_FAULT, "the panic value (%s) at 0x%" PRIx64
			      " is not in the core", ts, data);
	free(ts);
	return err;
}

/* ---- the _panic chain ---- */

struct panic_rec {
	uint64_t addr, typ, data, link;
	uint8_t recovered, goexit, repanicked;
};

struct panic_offsets {
	uint64_t arg, link, recovered, goexit, repanicked;
};

static uint64_t off_or(const struct gr_layouts *l, const char *s, const char *f)
{
	uint64_t off;
	return l && gr_layouts_offset(l, s, f, &off) ? off : NO_OFF;
}

static struct gc_error *read_chain(struct ctx *c, uint64_t first, struct panic_rec **ret,
				   size_t *n_ret)
{
	struct panic_offsets o = {
		.arg = off_or(c->l, "runtime._panic", "arg"),
		.link = off_or(c->l, "runtime._panic", "link"),
		.recovered = off_or(c->l, "runtime._panic", "recovered"),
		.goexit = off_or(c->l, "runtime._panic", "goexit"),
		.repanicked = off_or(c->l, "runtime._panic", "repanicked"),
	};
	*ret = NULL;
	*n_ret = 0;
	if (o.arg == NO_OFF || o.link == NO_OFF || o.recovered == NO_OFF || o.goexit == NO_OFF)
		return gc_error_create(GC_ERR_NOT_FOUND,
				       "the layout of runtime._panic (arg, link, recovered, "
				       "goexit) is not known for this binary");
	struct panic_rec *v = NULL;
	size_t n = 0, cap = 0;
	for (uint64_t a = first; a; a = v[n - 1].link) {
		if (n == MAX_CHAIN) {
			free(v);
			return gc_error_create(GC_ERR_FORMAT,
					       "the panic chain from 0x%" PRIx64
					       " has more than %d entries (cyclic?)", first, MAX_CHAIN);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			struct panic_rec *nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				free(v);
				return &gc_error_nomem;
			}
			v = nv;
		}
		struct panic_rec *r = &v[n];
		memset(r, 0, sizeof(*r));
		r->addr = a;
		if (!gc_addrspace_u64(c->as, a + o.arg, &r->typ) ||
		    !gc_addrspace_u64(c->as, a + o.arg + 8, &r->data) ||
		    !gc_addrspace_u64(c->as, a + o.link, &r->link) ||
		    !gc_addrspace_u8(c->as, a + o.recovered, &r->recovered) ||
		    !gc_addrspace_u8(c->as, a + o.goexit, &r->goexit) ||
		    (o.repanicked != NO_OFF && !gc_addrspace_u8(c->as, a + o.repanicked, &r->repanicked))) {
			free(v);
			return gc_error_create(GC_ERR_FAULT,
					       "runtime._panic at 0x%" PRIx64 " is not in the core", a);
		}
		n++;
		for (size_t i = 0; i + 1 < n; i++)
			if (v[i].addr == a) {
				free(v);
				return gc_error_create(GC_ERR_FORMAT,
						       "the panic chain from 0x%" PRIx64
						       " loops at 0x%" PRIx64, first, a);
			}
	}
	*ret = v;
	*n_ret = n;
	return NULL;
}

/* printpanics: the oldest panic first (it recurses on link before
 * printing). */
static struct gc_error *print_chain(struct ctx *c, struct obuf *b, const struct panic_rec *v,
				    size_t n)
{
	for (size_t k = n; k-- > 0;) {
		const struct panic_rec *r = &v[k];
		if (k + 1 < n) {
			const struct panic_rec *link = &v[k + 1];
			/* 1.25+: a panic that re-raised its link's value is not
			 * printed twice (preprintpanics marks the link). */
			if (link->repanicked)
				continue;
			if (!link->goexit)
				ob_str(b, "\t");
		}
		if (r->goexit)
			continue;
		ob_str(b, "panic: ");
		struct gc_error *err = print_value(c, b, r->typ, r->data);
		if (err)
			return err;
		bool repanicked = c->minor >= 26 ? r->recovered && r->repanicked : r->repanicked;
		if (repanicked)
			ob_str(b, " [recovered, repanicked]");
		else if (r->recovered)
			ob_str(b, " [recovered]");
		ob_str(b, "\n");
	}
	return NULL;
}

/* ---- throws ---- */

/* The thread the core's final signal was delivered to: the first in note
 * order, i.e. the lowest address in the core's thread array (the kernel
 * sets pr_cursig on every thread of a group dump, so it does not tell). */
static const struct gr_thread *signalled_thread(const struct gr_process *p)
{
	const struct gr_thread *best = NULL;
	for (size_t i = 0; i < gr_process_nthreads(p); i++) {
		const struct gr_thread *t = gr_process_thread(p, i);
		if (!t->core)
			continue;
		if (!best || t->core < best->core)
			best = t;
	}
	return best;
}

struct throw_search {
	struct ctx *c;
	uint64_t throw_entry, fatal_entry;    /* runtime.throw, runtime.fatal */
	uint64_t closure[2];                  /* their .func1 */
	uint64_t sp, fp, entry;               /* the frame found */
	bool found;
	/* Where: on goroutine g's stack (on_g), else on the stacks of thread
	 * (from its registers); thread is the M that threw, NULL if unknown. */
	const struct gr_goroutine *on_g;
	const struct gr_thread *thread;
	char *message;                        /* throw's argument, malloc'd */
};

static bool throw_frame(void *vctx, const struct gr_frame *fr)
{
	struct throw_search *s = vctx;
	if (fr->fn.entry && (fr->fn.entry == s->throw_entry || fr->fn.entry == s->fatal_entry)) {
		s->sp = fr->sp;
		s->fp = fr->fp;
		s->entry = fr->fn.entry;
		s->found = true;
		return false;
	}
	return true;
}

/* From pc/sp through signal frames, on one stack: the registers of the
 * thread the signal was delivered to (a throw on the system stack, like the
 * deadlock check), or the sched a goroutine saved when it switched to the
 * system stack (a throw on a goroutine's stack: sched.pc is then
 * systemstack_switch, whose caller is fatalthrow). */
static void walk_from(const struct gr_process *p, uint64_t pc, uint64_t sp,
		      struct throw_search *s)
{
	enum { UC_MCONTEXT = 40, UC_REG_RSP = 15, UC_REG_RIP = 16 };
	const struct gopclntab *t = gr_process_pclntab(p);
	const struct gc_addrspace *as = gr_process_memory(p);
	for (int i = 0; i < 256 && !s->found; i++) {
		struct gopclntab_func f;
		int32_t delta;
		if (!gopclntab_find_func(t, pc, &f) || !gopclntab_pcsp(t, &f, pc, &delta) || delta < 0)
			return;
		uint64_t fp = sp + (uint64_t)delta + 8;
		struct gr_frame fr = {.pc = pc, .sp = sp, .fp = fp, .fn = f};
		if (!throw_frame(s, &fr))
			return;
		if (f.entry == gr_process_sigtramp(p)) {
			if (!gc_addrspace_u64(as, fp + UC_MCONTEXT + 8 * UC_REG_RIP, &pc) ||
			    !gc_addrspace_u64(as, fp + UC_MCONTEXT + 8 * UC_REG_RSP, &sp))
				return;
			continue;
		}
		if (f.flag & 1 /* FUNCFLAG_TOPFRAME */)
			return;
		if (!gc_addrspace_u64(as, fp - 8, &pc))
			return;
		sp = fp;
	}
}

/* A Go string (ptr, len) that looks like a throw message: non-empty, at
 * most 4 KiB, readable, text. */
static char *plausible_message(struct ctx *c, uint64_t ptr, uint64_t len)
{
	if (!len || len > 4096)
		return NULL;
	char *s = read_string(c, ptr, len);
	if (!s)
		return NULL;
	for (uint64_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') {
			free(s);
			return NULL;
		}
	return s;
}

/* throw(s)/fatal(s) hand s to systemstack in a closure built in their own
 * frame: {F: throw.func1, s.ptr, s.len}.  Its argument spill slot is the
 * second choice: the register ABI leaves it stale unless the function
 * spilled s there. */
static char *throw_string(struct throw_search *s)
{
	struct ctx *c = s->c;
	uint64_t closure = s->entry == s->throw_entry ? s->closure[0] : s->closure[1];
	if (closure && s->fp > s->sp && s->fp - s->sp <= 4096) {
		for (uint64_t a = s->sp; a + 24 <= s->fp; a += 8) {
			uint64_t w, ptr, len;
			if (!gc_addrspace_u64(c->as, a, &w) || w != closure ||
			    !gc_addrspace_u64(c->as, a + 8, &ptr) ||
			    !gc_addrspace_u64(c->as, a + 16, &len))
				continue;
			char *m = plausible_message(c, ptr, len);
			if (m)
				return m;
		}
	}
	uint64_t ptr, len;
	if (gc_addrspace_u64(c->as, s->fp, &ptr) && gc_addrspace_u64(c->as, s->fp + 8, &len))
		return plausible_message(c, ptr, len);
	return NULL;
}

static uint64_t func_entry(const struct gr_process *p, const char *name)
{
	struct gopclntab_func f;
	return gopclntab_find_func_by_name(gr_process_pclntab(p), name, &f) ? f.entry : 0;
}

/* Looks for a runtime.throw/fatal frame on g's stack (g may be NULL), then
 * on the stacks of the thread the final signal was delivered to; fills s
 * (s->found, s->message) when one is found with a readable message. */
static void find_throw(struct ctx *c, const struct gr_goroutine *g, struct throw_search *s)
{
	const struct gr_process *p = c->p;
	*s = (struct throw_search){
		.c = c,
		.throw_entry = func_entry(p, "runtime.throw"),
		.fatal_entry = func_entry(p, "runtime.fatal"),
		.closure = {func_entry(p, "runtime.throw.func1"), func_entry(p, "runtime.fatal.func1")},
	};
	if (!s->throw_entry && !s->fatal_entry)
		return;
	if (g)
		gr_unwind(p, g, 64, throw_frame, s, NULL);
	if (!s->found && g && g->sched_sp)
		walk_from(p, g->sched_pc, g->sched_sp, s);
	if (s->found) {
		s->on_g = g;
		s->thread = gr_process_thread_of(p, g);
	}
	const struct gr_thread *th = signalled_thread(p);
	if (!s->found && th && th->core) {
		walk_from(p, th->core->regs.rip, th->core->regs.rsp, s);
		s->thread = th;
	}
	if (s->found)
		s->message = throw_string(s);
	s->found = s->message != NULL;
}

/* [lo, hi) of the stack of the g at gaddr; false when unreadable. */
static bool g_stack(const struct ctx *c, uint64_t gaddr, uint64_t *lo, uint64_t *hi)
{
	uint64_t olo = off_or(c->l, "runtime.g", "stack.lo"), ohi = off_or(c->l, "runtime.g", "stack.hi");
	return gaddr && olo != NO_OFF && ohi != NO_OFF && gc_addrspace_u64(c->as, gaddr + olo, lo) &&
	       gc_addrspace_u64(c->as, gaddr + ohi, hi) && *lo < *hi;
}

static bool in_g_stack(const struct ctx *c, uint64_t gaddr, uint64_t sp)
{
	uint64_t lo, hi;
	return g_stack(c, gaddr, &lo, &hi) && sp >= lo && sp < hi;
}

static const struct gr_goroutine *goroutine_at(const struct gr_process *p, uint64_t addr)
{
	size_t n = gr_process_ngoroutines(p);
	for (size_t i = 0; addr && i < n; i++)
		if (gr_process_goroutine(p, i)->addr == addr)
			return gr_process_goroutine(p, i);
	return NULL;
}

/* The g whose getg() called fatalthrow: the goroutine whose stack held the
 * throw frame, else the thread's gsignal when the frame is on its stack,
 * else its g0 (dopanic_m prints that g's [signal …] line). */
static uint64_t throwing_g(const struct throw_search *s)
{
	if (s->on_g)
		return s->on_g->addr;
	if (!s->thread)
		return 0;
	if (in_g_stack(s->c, s->thread->gsignal, s->sp))
		return s->thread->gsignal;
	return s->thread->g0;
}

/* The throw's lines: newstack prints two "runtime: …" lines before
 * throw("stack overflow") (stack.go), naming the limit, sp (gp.sched.sp less
 * the return address morestack's call pushed) and the stack bounds of
 * m.curg, the goroutine that overflowed; then throw's "fatal error: s". */
static void throw_lines(struct ctx *c, const struct throw_search *s, struct obuf *b)
{
	const struct gr_goroutine *cg =
		s->thread ? goroutine_at(c->p, s->thread->curg) : s->on_g;
	uint64_t limit;
	if (!strcmp(s->message, "stack overflow") && cg && cg->sched_sp &&
	    gr_process_max_stack(c->p, &limit)) {
		ob_printf(b, "runtime: goroutine stack exceeds %" PRIu64 "-byte limit\n", limit);
		ob_printf(b, "runtime: sp=0x%" PRIx64 " stack=[0x%" PRIx64 ", 0x%" PRIx64 "]\n",
			  cg->sched_sp - 8, cg->stack_lo, cg->stack_hi);
	}
	/* 1.23+: printindented(s) */
	ob_str(b, "fatal error: ");
	print_indented(b, s->message, strlen(s->message), c->minor >= 23);
	ob_str(b, "\n");
}

/* ---- API ---- */

const struct gr_goroutine *gr_crashing_goroutine(const struct gr_process *p)
{
	size_t n = gr_process_ngoroutines(p);
	for (size_t i = 0; i < n; i++) {
		const struct gr_goroutine *g = gr_process_goroutine(p, i);
		if (g->panic && (g->status & ~(uint32_t)GR_GSCAN) == GR_GRUNNING)
			return g;
	}
	const struct gr_thread *th = signalled_thread(p);
	if (th && th->curg)
		for (size_t i = 0; i < n; i++)
			if (gr_process_goroutine(p, i)->addr == th->curg)
				return gr_process_goroutine(p, i);
	for (size_t i = 0; i < n; i++)
		if (gr_process_goroutine(p, i)->panic)
			return gr_process_goroutine(p, i);
	return NULL;
}

struct gc_error *gr_panic_message(const struct gr_process *p, const struct gr_goroutine *g,
				  char **ret)
{
	*ret = NULL;
	struct ctx c;
	ctx_init(&c, p);
	struct obuf b = {0};
	struct gc_error *err = NULL;
	if (g && g->panic) {
		struct panic_rec *v;
		size_t n;
		if (!(err = read_chain(&c, g->panic, &v, &n))) {
			err = print_chain(&c, &b, v, n);
			free(v);
		}
	} else {
		struct throw_search ts;
		find_throw(&c, g, &ts);
		if (ts.found)
			throw_lines(&c, &ts, &b);
		free(ts.message);
	}
	if (b.failed || c.nomem) {
		/* Whatever else went wrong may have come from that. */
		gc_error_destroy(err);
		err = &gc_error_nomem;
	}
	if (err) {
		ob_free(&b);
		return g ? gc_error_prefix(err, "goroutine %" PRIu64 "'s panic", g->goid) : err;
	}
	*ret = ob_take(&b);
	return *ret ? NULL : &gc_error_nomem;
}

/* sigtab_linux_generic.go (the same table in 1.18-1.27). */
static const char *const sigtable[][2] = {
	{"SIGNONE", "no trap"},
	{"SIGHUP", "terminal line hangup"},
	{"SIGINT", "interrupt"},
	{"SIGQUIT", "quit"},
	{"SIGILL", "illegal instruction"},
	{"SIGTRAP", "trace trap"},
	{"SIGABRT", "abort"},
	{"SIGBUS", "bus error"},
	{"SIGFPE", "floating-point exception"},
	{"SIGKILL", "kill"},
	{"SIGUSR1", "user-defined signal 1"},
	{"SIGSEGV", "segmentation violation"},
	{"SIGUSR2", "user-defined signal 2"},
	{"SIGPIPE", "write to broken pipe"},
	{"SIGALRM", "alarm clock"},
	{"SIGTERM", "termination"},
	{"SIGSTKFLT", "stack fault"},
	{"SIGCHLD", "child status has changed"},
	{"SIGCONT", "continue"},
	{"SIGSTOP", "stop, unblockable"},
	{"SIGTSTP", "keyboard stop"},
	{"SIGTTIN", "background read from tty"},
	{"SIGTTOU", "background write to tty"},
	{"SIGURG", "urgent condition on socket"},
	{"SIGXCPU", "cpu limit exceeded"},
	{"SIGXFSZ", "file size limit exceeded"},
	{"SIGVTALRM", "virtual alarm clock"},
	{"SIGPROF", "profiling alarm clock"},
	{"SIGWINCH", "window size change"},
	{"SIGIO", "i/o now possible"},
	{"SIGPWR", "power failure restart"},
	{"SIGSYS", "bad system call"},
};

static const char *const rt_names[] = {
	"signal 32", "signal 33", "signal 34", "signal 35", "signal 36", "signal 37",
	"signal 38", "signal 39", "signal 40", "signal 41", "signal 42", "signal 43",
	"signal 44", "signal 45", "signal 46", "signal 47", "signal 48", "signal 49",
	"signal 50", "signal 51", "signal 52", "signal 53", "signal 54", "signal 55",
	"signal 56", "signal 57", "signal 58", "signal 59", "signal 60", "signal 61",
	"signal 62", "signal 63", "signal 64",
};

const char *gr_signal_name(int signo)
{
	if (signo >= 0 && signo < 32)
		return sigtable[signo][0];
	if (signo >= 32 && signo <= 64)
		return rt_names[signo - 32];
	return NULL;
}

const char *gr_signal_description(int signo)
{
	if (signo >= 0 && signo < 32)
		return sigtable[signo][1];
	if (signo >= 32 && signo <= 64)
		return "";
	return NULL;
}

int gr_format_signal_line(char *buf, size_t size, uint32_t sig, uint64_t code,
			  uint64_t addr, uint64_t pc)
{
	/* dopanic_m: print("[signal ", signame(sig)) or hex(sig) when the
	 * table has no entry, then the three hex words. */
	char name[96];
	if (sig < 32)
		snprintf(name, sizeof(name), "%s: %s", sigtable[sig][0], sigtable[sig][1]);
	else if (sig <= 64)
		snprintf(name, sizeof(name), "signal %" PRIu32, sig);
	else
		snprintf(name, sizeof(name), "0x%" PRIx32, sig);
	return snprintf(buf, size, "[signal %s code=0x%" PRIx64 " addr=0x%" PRIx64
			 " pc=0x%" PRIx64 "]", name, code, addr, pc);
}

struct gc_error *gr_signal_line(const struct gr_process *p, const struct gr_goroutine *g,
				char **ret)
{
	*ret = NULL;
	const struct gr_layouts *l = gr_process_layouts(p);
	uint64_t o_sig = off_or(l, "runtime.g", "sig"), o_c0 = off_or(l, "runtime.g", "sigcode0"),
		 o_c1 = off_or(l, "runtime.g", "sigcode1"), o_pc = off_or(l, "runtime.g", "sigpc");
	if (o_sig == NO_OFF || o_c0 == NO_OFF || o_c1 == NO_OFF || o_pc == NO_OFF)
		return gc_error_create(GC_ERR_NOT_FOUND,
				       "the layout of runtime.g has no sig/sigcode0/sigcode1/sigpc");
	const struct gc_addrspace *as = gr_process_memory(p);
	uint32_t sig;
	uint64_t c0, c1, pc;
	if (!gc_addrspace_u32(as, g->addr + o_sig, &sig) || !gc_addrspace_u64(as, g->addr + o_c0, &c0) ||
	    !gc_addrspace_u64(as, g->addr + o_c1, &c1) || !gc_addrspace_u64(as, g->addr + o_pc, &pc))
		return gc_error_create(GC_ERR_FAULT, "goroutine %" PRIu64 " (g at 0x%" PRIx64
				       ") is not in the core", g->goid, g->addr);
	char buf[256] = "";
	if (sig)
		gr_format_signal_line(buf, sizeof(buf), sig, c0, c1, pc);
	*ret = strdup(buf);
	return *ret ? NULL : &gc_error_nomem;
}

int gr_core_signal_line(char *buf, size_t size, const struct gc_siginfo *si,
			const struct gc_thread *th)
{
	if (!si || !si->present) {
		if (size)
			buf[0] = '\0';
		return 0;
	}
	return gr_format_signal_line(buf, size, (uint32_t)si->signo,
				     (uint64_t)(int64_t)si->code, si->addr, th ? th->regs.rip : 0);
}

/* ---- how the crash began ---- */

enum { SIG_QUIT = 3, SIG_ILL = 4, SIG_BUS = 7, SIG_FPE = 8, SIG_SEGV = 11 };

/* The signals sighandler turns into a dump when it does not turn them into
 * a panic: the sigtable entries with _SigThrow or _SigPanic
 * (sigtab_linux_generic.go, the same in 1.18-1.27). */
static bool dump_signal(int signo)
{
	switch (signo) {
	case 3: case 4: case 5: case 6: case 7: case 8: case 11: case 16: case 31:
		return true;
	}
	return false;
}

/* The SIGQUIT a crashing M relays to the next one (signal_unix.go:
 * raiseproc(_SIGQUIT), i.e. kill(getpid(), SIGQUIT): SI_USER from the
 * process itself). */
static bool relayed(const struct gr_process *p, const struct gr_sigframe *f)
{
	int32_t pid = gr_process_pid(p);
	return f->signo == SIG_QUIT && f->code == 0 && pid && f->pid == pid;
}

/* The thread whose signal started a signal dump: the thread in the Go
 * handler of a dump signal that no other M relayed to it; among several,
 * the first in the core's note order.  Only relayed SIGQUITs (a process
 * that sent itself SIGQUIT with kill): the first thread in note order,
 * which crashes first from Go 1.22 (before, the last M of the relay
 * crashes and the first cannot be told from the others).  *frame gets its
 * outermost dump signal. */
static const struct gr_thread *signal_origin(const struct gr_process *p,
					     struct gr_sigframe *frame)
{
	const struct gr_thread *best = NULL;
	bool best_relay = true;
	for (size_t i = 0; i < gr_process_nthreads(p); i++) {
		const struct gr_thread *t = gr_process_thread(p, i);
		if (!t->core)
			continue;
		struct gr_sigframe f[8];
		size_t n = gr_thread_signal_frames(p, t->core, f, sizeof(f) / sizeof(f[0]));
		size_t k = n;
		while (k > 0 && !dump_signal(f[k - 1].signo))
			k--;
		if (!k)
			continue;
		bool r = relayed(p, &f[k - 1]);
		if (!best || (best_relay && !r) || (best_relay == r && t->core < best->core)) {
			best = t;
			best_relay = r;
			*frame = f[k - 1];
		}
	}
	return best;
}

/* fatalsignal (signal_unix.go; inline in sighandler before 1.21): the
 * signal's name, "PC=… m=… sigcode=…" (" addr=…" for SIGSEGV/SIGBUS from
 * 1.22), "signal arrived during cgo execution" when the M was in a cgo call
 * on its g0, and the instruction bytes of a SIGILL/SIGFPE.  Returns the
 * goroutine the runtime then prints first (curg when the signal interrupted
 * it, or interrupted C code it called), NULL for none (g0: "goroutine 0"). */
static const struct gr_goroutine *signal_lines(struct ctx *c, const struct gr_thread *t,
					       const struct gr_sigframe *f, struct obuf *b)
{
	const struct gr_process *p = c->p;
	const struct gr_m_offsets *mo = gr_process_m_offsets(p);
	/* sigtable's name: "SIGSEGV: segmentation violation" (dump signals
	 * are all below 32, where the table has a description). */
	const char *name = gr_signal_name(f->signo), *desc = gr_signal_description(f->signo);
	ob_printf(b, "%s: %s\n", name ? name : "?", desc ? desc : "");
	ob_printf(b, "PC=0x%" PRIx64 " m=%" PRId64 " sigcode=%" PRIu64, f->rip, t->m_id,
		  (uint64_t)(int64_t)f->code);
	if (c->minor >= 22 && (f->signo == SIG_SEGV || f->signo == SIG_BUS))
		ob_printf(b, " addr=0x%" PRIx64, f->addr);
	ob_str(b, "\n");
	/* Which g the signal interrupted (getg() in sigtrampgo): curg when sp
	 * was on its stack, or when it was in a vDSO call made from it (the
	 * runtime moves sp to g0's stack for those, m.vdsoSP holds the
	 * goroutine's); else the system stack, g0 (or gsignal). */
	const struct gr_goroutine *cg = goroutine_at(p, t->curg);
	uint64_t vdsosp = 0;
	if (mo->vdsosp != NO_OFF)
		gc_addrspace_u64(c->as, t->m + mo->vdsosp, &vdsosp);
	bool on_curg = cg && ((f->rsp >= cg->stack_lo && f->rsp < cg->stack_hi) ||
			      (vdsosp && vdsosp >= cg->stack_lo && vdsosp < cg->stack_hi));
	uint8_t incgo = 0;
	if (mo->incgo != NO_OFF)
		gc_addrspace_u8(c->as, t->m + mo->incgo, &incgo);
	bool cgo = !on_curg && cg && incgo && !in_g_stack(c, t->gsignal, f->rsp);
	if (cgo)
		ob_str(b, "signal arrived during cgo execution\n");
	if (f->signo == SIG_ILL || f->signo == SIG_FPE) {
		/* 16 bytes, but not past the end of pc's page. */
		uint8_t code[16];
		size_t n = sizeof(code);
		if (n > 4096 - f->rip % 4096)
			n = 4096 - f->rip % 4096;
		if (gc_addrspace_read(c->as, f->rip, code, n) == GC_READ_OK) {
			ob_str(b, "instruction bytes:");
			for (size_t i = 0; i < n; i++)
				ob_printf(b, " 0x%x", code[i]);
			ob_str(b, "\n");
		}
	}
	return on_curg || cgo ? cg : NULL;
}

/* printpanics' lines for g's panic chain into b. */
static struct gc_error *crash_panic(struct ctx *c, const struct gr_goroutine *g,
				    struct gr_crash *ret, struct obuf *b)
{
	ret->kind = GR_CRASH_PANIC;
	ret->g = g;
	ret->thread = gr_process_thread_of(c->p, g);
	struct panic_rec *v;
	size_t n;
	struct gc_error *err = read_chain(c, g->panic, &v, &n);
	if (!err) {
		err = print_chain(c, b, v, n);
		free(v);
	}
	return err ? gc_error_prefix(err, "goroutine %" PRIu64 "'s panic", g->goid) : NULL;
}

struct gc_error *gr_crash_read(const struct gr_process *p, struct gr_crash *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct ctx c;
	ctx_init(&c, p);
	struct obuf b = {0};
	struct gc_error *err = NULL;
	const struct gr_layouts *l = c.l;
	uint64_t o_sig = off_or(l, "runtime.g", "sig");
	const struct gr_goroutine *g = gr_crashing_goroutine(p);
	struct throw_search ts = {.found = false};
	struct gr_sigframe f;
	const struct gr_thread *origin;
	uint64_t sig_g = 0;   /* the g whose sig fields give "[signal …]" */
	/* A panic is what happened when its goroutine is the one running;
	 * another goroutine may be panicking but parked in a deferred call. */
	bool running = g && (g->status & ~(uint32_t)GR_GSCAN) == GR_GRUNNING;
	if (g && g->panic && running) {
		err = crash_panic(&c, g, ret, &b);
		sig_g = g->addr;
	} else if (find_throw(&c, g, &ts), ts.found) {
		ret->kind = GR_CRASH_THROW;
		ret->g = g;
		ret->thread = ts.thread;
		throw_lines(&c, &ts, &b);
		sig_g = throwing_g(&ts);
	} else if ((origin = signal_origin(p, &f))) {
		ret->kind = GR_CRASH_SIGNAL;
		ret->thread = origin;
		ret->g = signal_lines(&c, origin, &f, &b);
		ret->signo = f.signo;
	} else if (g && g->panic) {
		err = crash_panic(&c, g, ret, &b);
		sig_g = g->addr;
	} else {
		ret->g = g;
		ret->thread = g ? gr_process_thread_of(p, g) : NULL;
		if (!ret->thread)
			ret->thread = signalled_thread(p);
	}
	free(ts.message);
	ret->m_id = ret->thread ? ret->thread->m_id : -1;
	char line[256] = "";
	uint32_t sig = 0;
	if (sig_g && o_sig != NO_OFF && gc_addrspace_u32(c.as, sig_g + o_sig, &sig) && sig) {
		struct gr_goroutine tmp = {.addr = sig_g};
		char *sl = NULL;
		struct gc_error *e2 = gr_signal_line(p, &tmp, &sl);
		if (!e2 && sl)
			snprintf(line, sizeof(line), "%s", sl);
		c.nomem |= e2 == &gc_error_nomem;
		gc_error_destroy(e2);
		free(sl);
		if (sig < 65)
			ret->signo = (int)sig;
	}
	ret->signal_line = strdup(line);
	if (err && err != &gc_error_nomem)
		b.len = 0;   /* What could not be read is left out of the message. */
	ret->message = ob_take(&b);
	if (err == &gc_error_nomem || c.nomem || !ret->message || !ret->signal_line) {
		gc_error_destroy(err);
		gr_crash_deinit(ret);
		return &gc_error_nomem;
	}
	return err;
}

void gr_crash_deinit(struct gr_crash *c)
{
	free(c->message);
	free(c->signal_line);
	c->message = c->signal_line = NULL;
}
