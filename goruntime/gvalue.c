/* Go values in a core, read and printed as the runtime prints them.  See
 * gvalue.h.
 *
 * Sources: runtime/error.go (printpanicval/printany, printanycustomtype,
 * printindented, boundsError, errorString, plainError, errorAddressString,
 * TypeAssertionError), runtime/print.go (printfloat, printcomplex), of
 * go1.18 to go1.26; internal/abi/type.go for the type descriptor.
 */
#include "gvalue.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moduledata.h"

/* Longest string value read from the core. */
#define MAX_STRING (1u << 20)

/* ---- reading the core ---- */

void gr_reader_init(struct gr_reader *c, const struct gr_process *p)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->as = gr_process_memory(p);
	c->l = gr_process_layouts(p);
	c->minor = gr_process_go_minor(p);
}

uint64_t gr_field_offset(const struct gr_layouts *l, const char *s, const char *f)
{
	uint64_t off;
	return l && gr_layouts_offset(l, s, f, &off) ? off : GR_NO_OFFSET;
}

char *gr_read_go_string(struct gr_reader *c, uint64_t ptr, uint64_t len)
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

char *gr_read_go_string_at(struct gr_reader *c, uint64_t addr, uint64_t *len_ret)
{
	uint64_t ptr, len;
	if (!gc_addrspace_u64(c->as, addr, &ptr) || !gc_addrspace_u64(c->as, addr + 8, &len))
		return NULL;
	char *s = gr_read_go_string(c, ptr, len);
	if (s && len_ret)
		*len_ret = len;
	return s;
}

/* [lo, hi) of the stack of the g at gaddr; false when unreadable. */
static bool g_stack(const struct gr_reader *c, uint64_t gaddr, uint64_t *lo, uint64_t *hi)
{
	uint64_t olo = gr_field_offset(c->l, "runtime.g", "stack.lo"),
		 ohi = gr_field_offset(c->l, "runtime.g", "stack.hi");
	return gaddr && olo != GR_NO_OFFSET && ohi != GR_NO_OFFSET &&
	       gc_addrspace_u64(c->as, gaddr + olo, lo) && gc_addrspace_u64(c->as, gaddr + ohi, hi) &&
	       *lo < *hi;
}

bool gr_on_g_stack(const struct gr_reader *c, uint64_t gaddr, uint64_t sp)
{
	uint64_t lo, hi;
	return g_stack(c, gaddr, &lo, &hi) && sp >= lo && sp < hi;
}

const struct gr_goroutine *gr_goroutine_at(const struct gr_process *p, uint64_t addr)
{
	size_t n = gr_process_ngoroutines(p);
	for (size_t i = 0; addr && i < n; i++)
		if (gr_process_goroutine(p, i)->addr == addr)
			return gr_process_goroutine(p, i);
	return NULL;
}

static bool read_fn(void *vctx, uint64_t addr, void *buf, size_t len)
{
	return gc_addrspace_read(vctx, addr, buf, len) == GC_READ_OK;
}

/* moduledata.types, the base of a type's nameOff, looked up on first use. */
static bool reader_types(struct gr_reader *c)
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
char *gr_type_string(struct gr_reader *c, uint64_t typ, uint8_t *kind_ret)
{
	uint8_t tflag, kind;
	uint32_t str;
	if (!gc_addrspace_u8(c->as, typ + TYPE_TFLAG, &tflag) ||
	    !gc_addrspace_u8(c->as, typ + TYPE_KIND, &kind) ||
	    !gc_addrspace_u32(c->as, typ + TYPE_STR, &str))
		return NULL;
	if (kind_ret)
		*kind_ret = kind & KIND_MASK;
	if (!reader_types(c))
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
	char *s = gr_read_go_string(c, q, len);
	if (s && (tflag & TFLAG_EXTRA_STAR) && s[0] == '*')
		memmove(s, s + 1, strlen(s));
	return s;
}

/* ---- printing values as the runtime's print does ---- */

/* printindented (error.go, 1.23+): a tab after every newline. */
void gr_printindented(struct obuf *b, const char *s, size_t n, bool indent)
{
	for (size_t i = 0; i < n; i++) {
		ob_char(b, s[i]);
		if (indent && s[i] == '\n')
			ob_char(b, '\t');
	}
}

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
static bool print_basic(struct gr_reader *c, struct obuf *b, uint8_t kind, uint64_t addr)
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
static void print_bounds_error(struct gr_reader *c, struct obuf *b, int64_t x, int64_t y,
			       bool is_signed, uint8_t code)
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
static bool print_runtime_error(struct gr_reader *c, struct obuf *b, const char *ts,
				uint64_t data, bool indent)
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
	if (!(s = gr_read_go_string_at(c, data, &len)))
		return false;
	if (prefix)
		ob_str(b, "runtime error: ");
	gr_printindented(b, s, len, indent);
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
	    !(s = gr_read_go_string_at(c, data + 24, &len)))
		return false;
	char *is = inter ? gr_type_string(c, inter, NULL) : strdup("interface");
	char *as = gr_type_string(c, asserted, NULL);
	char *cs = concrete ? gr_type_string(c, concrete, NULL) : NULL;
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
struct gc_error *gr_printpanicval(struct gr_reader *c, struct obuf *b, uint64_t typ,
				  uint64_t data)
{
	bool indent = c->minor >= 23;
	if (!typ) {
		ob_str(b, "nil");
		return NULL;
	}
	uint8_t kind = 0;
	char *ts = gr_type_string(c, typ, &kind);
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
			char *s = gr_read_go_string_at(c, data, &len);
			if (!s)
				goto fault;
			gr_printindented(b, s, len, indent);
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
			char *s = gr_read_go_string_at(c, data, &len);
			if (!s)
				goto fault;
			ob_str(b, "(\"");
			gr_printindented(b, s, len, indent);
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
