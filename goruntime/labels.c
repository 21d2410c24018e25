/* pprof labels, GODEBUG settings and synctest bubbles.  See labels.h. */
#include "labels.h"

#include <stdlib.h>
#include <string.h>


#define NO_OFF UINT64_MAX

static const struct gc_addrspace *mem(const struct gr_process *p)
{
	return gr_process_memory(p);
}

static uint64_t field_or(const struct gr_process *p, const char *s, const char *path,
			 uint64_t fallback)
{
	uint64_t off;
	return gr_layouts_offset(gr_process_layouts(p), s, path, &off) ? off : fallback;
}

/* ---- labels ---- */

void gr_labels_free(struct gr_labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Copies the Go string whose header is at addr.  NULL error with *ok false
 * when it cannot be read (or is longer than the bound). */
static struct gc_error *read_string(const struct gr_process *p, uint64_t addr, char **ret,
				    size_t *len_ret, bool *ok)
{
	uint64_t ptr, len;
	*ok = false;
	if (!gc_addrspace_u64(mem(p), addr, &ptr) || !gc_addrspace_u64(mem(p), addr + 8, &len) ||
	    len > GR_LABEL_STRING_MAX)
		return NULL;
	char *s = malloc(len + 1);
	if (!s)
		return &gc_error_nomem;
	if (len && gc_addrspace_read(mem(p), ptr, s, len) != GC_READ_OK) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	*ret = s;
	*len_ret = len;
	*ok = true;
	return NULL;
}

/* Appends the label whose key and value string headers are at kaddr and
 * vaddr. */
static struct gc_error *add_label(const struct gr_process *p, struct gr_labels *l,
				  uint64_t kaddr, uint64_t vaddr)
{
	if (l->n >= GR_LABELS_MAX) {
		l->gap = "more labels than gocore reads (1024)";
		return NULL;
	}
	struct gr_label lab = {0};
	bool ok;
	struct gc_error *err = read_string(p, kaddr, &lab.key, &lab.key_len, &ok);
	if (!err && ok)
		err = read_string(p, vaddr, &lab.value, &lab.value_len, &ok);
	if (err || !ok) {
		free(lab.key);
		if (!err)
			l->gap = "a label's key or value is not in the core";
		return err;
	}
	if (l->n % 16 == 0) {
		struct gr_label *nv = realloc(l->v, (l->n + 16) * sizeof(*nv));
		if (!nv) {
			free(lab.key);
			free(lab.value);
			return &gc_error_nomem;
		}
		l->v = nv;
	}
	l->v[l->n++] = lab;
	return NULL;
}

/* Go 1.24+: g.labels -> struct { list []label }, label = {key, value string}. */
static struct gc_error *labels_list(const struct gr_process *p, uint64_t set,
				    struct gr_labels *l)
{
	uint64_t ptr, len;
	if (!gc_addrspace_u64(mem(p), set, &ptr) || !gc_addrspace_u64(mem(p), set + 8, &len)) {
		l->gap = "the label list is not in the core";
		return NULL;
	}
	if (len > GR_LABELS_MAX) {
		l->gap = "more labels than gocore reads (1024)";
		len = GR_LABELS_MAX;
	}
	for (uint64_t i = 0; i < len && !l->gap; i++) {
		struct gc_error *err = add_label(p, l, ptr + i * 32, ptr + i * 32 + 16);
		if (err)
			return err;
	}
	return NULL;
}

/* Go 1.18-1.23: g.labels -> labelMap (map[string]string) -> hmap.  The
 * bucket of a map[string]string is a compiler-made type with no descriptor:
 * tophash [8]uint8, keys [8]string, elems [8]string, overflow pointer
 * (runtime/map.go, bucketCnt = 8). */
enum {
	BUCKET_CNT = 8,
	BUCKET_KEYS = 8,
	BUCKET_ELEMS = BUCKET_KEYS + BUCKET_CNT * 16,
	BUCKET_OVERFLOW = BUCKET_ELEMS + BUCKET_CNT * 16,
	BUCKET_SIZE = BUCKET_OVERFLOW + 8,
	MIN_TOPHASH = 5,        /* below: empty or evacuated slots */
	MAX_B = 12,             /* 4096 buckets: far beyond GR_LABELS_MAX */
	MAX_OVERFLOW_CHAIN = 64,
	SAME_SIZE_GROW = 8,     /* hmap.flags */
};

static struct gc_error *map_buckets(const struct gr_process *p, uint64_t buckets, uint64_t nb,
				    struct gr_labels *l)
{
	for (uint64_t i = 0; i < nb && !l->gap; i++) {
		uint64_t b = buckets + i * BUCKET_SIZE;
		for (int chain = 0; b && !l->gap; chain++) {
			if (chain >= MAX_OVERFLOW_CHAIN) {
				l->gap = "a label map's overflow chain is too long (cyclic?)";
				break;
			}
			uint8_t top[BUCKET_CNT];
			uint64_t next;
			if (gc_addrspace_read(mem(p), b, top, sizeof(top)) != GC_READ_OK ||
			    !gc_addrspace_u64(mem(p), b + BUCKET_OVERFLOW, &next)) {
				l->gap = "a label map bucket is not in the core";
				break;
			}
			for (int s = 0; s < BUCKET_CNT && !l->gap; s++) {
				if (top[s] < MIN_TOPHASH)
					continue;
				struct gc_error *err = add_label(p, l, b + BUCKET_KEYS + s * 16,
								 b + BUCKET_ELEMS + s * 16);
				if (err)
					return err;
			}
			b = next;
		}
	}
	return NULL;
}

static struct gc_error *labels_map(const struct gr_process *p, uint64_t lm, struct gr_labels *l)
{
	uint64_t h, count, buckets, oldbuckets;
	uint8_t flags, B;
	uint64_t o_count = field_or(p, "runtime.hmap", "count", 0);
	uint64_t o_flags = field_or(p, "runtime.hmap", "flags", 8);
	uint64_t o_B = field_or(p, "runtime.hmap", "B", 9);
	uint64_t o_buckets = field_or(p, "runtime.hmap", "buckets", 16);
	uint64_t o_old = field_or(p, "runtime.hmap", "oldbuckets", 24);
	if (!gc_addrspace_u64(mem(p), lm, &h)) {
		l->gap = "the label map is not in the core";
		return NULL;
	}
	if (!h)
		return NULL;
	if (!gc_addrspace_u64(mem(p), h + o_count, &count) ||
	    !gc_addrspace_u8(mem(p), h + o_flags, &flags) || !gc_addrspace_u8(mem(p), h + o_B, &B) ||
	    !gc_addrspace_u64(mem(p), h + o_buckets, &buckets) ||
	    !gc_addrspace_u64(mem(p), h + o_old, &oldbuckets)) {
		l->gap = "the label map is not in the core";
		return NULL;
	}
	if (count == 0)
		return NULL;
	if (B > MAX_B) {
		l->gap = "a label map claims more buckets than gocore reads";
		return NULL;
	}
	struct gc_error *err = map_buckets(p, buckets, (uint64_t)1 << B, l);
	/* While the map grows, entries not yet evacuated are still in the old
	 * array (tophash >= MIN_TOPHASH there); evacuated ones are marked. */
	if (!err && oldbuckets && !l->gap) {
		uint64_t nold = (flags & SAME_SIZE_GROW) || B == 0 ? (uint64_t)1 << B
								   : (uint64_t)1 << (B - 1);
		err = map_buckets(p, oldbuckets, nold, l);
	}
	if (!err && !l->gap && l->n != count)
		l->gap = "the label map's entries do not add up to its count";
	return err;
}

static int cmp_label(const void *a, const void *b)
{
	const struct gr_label *x = a, *y = b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);
	if (c)
		return c;
	return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

struct gc_error *gr_goroutine_labels(const struct gr_process *p, const struct gr_goroutine *g,
				     struct gr_labels *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!g->labels)
		return NULL;
	struct gc_error *err;
	if (gr_process_go_minor(p) >= 24) {
		err = labels_list(p, g->labels, ret);
	} else {
		err = labels_map(p, g->labels, ret);
		if (!err && ret->n > 1)
			qsort(ret->v, ret->n, sizeof(*ret->v), cmp_label);
	}
	if (err)
		gr_labels_free(ret);
	return err;
}

/* ---- GODEBUG settings ---- */

/* runtime1.go: dbgVar{name string; value *int32; atomic *atomic.Int32; def
 * int32}.  dbgvars' entries are static composite literals in the data
 * segment (moduledata.data..edata), so the entry is found by its name's
 * string header there, without symbols. */
bool gr_process_debug_var(const struct gr_process *p, const char *name, int32_t *ret)
{
	uint64_t md = gr_process_moduledata(p);
	uint64_t o_data, o_edata, data, edata;
	if (!md || !gr_layouts_offset(gr_process_layouts(p), "runtime.moduledata", "data", &o_data) ||
	    !gr_layouts_offset(gr_process_layouts(p), "runtime.moduledata", "edata", &o_edata) ||
	    !gc_addrspace_u64(mem(p), md + o_data, &data) ||
	    !gc_addrspace_u64(mem(p), md + o_edata, &edata) || edata <= data ||
	    edata - data > (uint64_t)1 << 30)
		return false;
	size_t nlen = strlen(name);
	data = (data + 7) & ~(uint64_t)7;
	while (data + 32 <= edata) {
		size_t avail;
		const uint8_t *b = gc_addrspace_span(mem(p), data, edata - data, &avail);
		if (!b || avail < 32) {
			data += 8;
			continue;
		}
		for (size_t off = 0; off + 32 <= avail; off += 8) {
			uint64_t sptr, slen;
			memcpy(&slen, b + off + 8, 8);
			if (slen != nlen)
				continue;
			memcpy(&sptr, b + off, 8);
			char buf[64];
			if (nlen >= sizeof(buf) || gc_addrspace_read(mem(p), sptr, buf, nlen) != GC_READ_OK ||
			    memcmp(buf, name, nlen) != 0)
				continue;
			uint64_t value, atomic;
			memcpy(&value, b + off + 16, 8);
			memcpy(&atomic, b + off + 24, 8);
			uint64_t where = atomic ? atomic : value;
			uint32_t v;
			if (where && gc_addrspace_u32(mem(p), where, &v)) {
				*ret = (int32_t)v;
				return true;
			}
		}
		data += avail & ~(size_t)7;
	}
	return false;
}

/* ---- synctest ---- */

bool gr_goroutine_bubble_id(const struct gr_process *p, const struct gr_goroutine *g,
			    uint64_t *ret)
{
	if (!g->bubble)
		return false;
	int minor = gr_process_go_minor(p);
	if (minor >= 25) {
		/* synctestBubble{mu mutex; timers timers; id uint64; ...}: +72 when
		 * no layout says otherwise (docs/traceback-versions.md §9). */
		uint64_t off = field_or(p, "runtime.synctestBubble", "id", 72);
		return gc_addrspace_u64(mem(p), g->bubble + off, ret);
	}
	/* 1.24: ", synctest group " root.goid; synctestGroup.root at +88. */
	uint64_t root, goid_off;
	uint64_t off = field_or(p, "runtime.synctestGroup", "root", 88);
	if (!gr_layouts_offset(gr_process_layouts(p), "runtime.g", "goid", &goid_off))
		return false;
	return gc_addrspace_u64(mem(p), g->bubble + off, &root) && root &&
	       gc_addrspace_u64(mem(p), root + goid_off, ret);
}

bool gr_goroutine_bubble_now(const struct gr_process *p, const struct gr_goroutine *g,
			     int64_t *ret)
{
	int minor = gr_process_go_minor(p);
	if (!g->bubble || minor < 24)
		return false;
	/* now int64 follows id (1.25+) and precedes root (1.24): +80 in
	 * both when no layout says otherwise. */
	uint64_t off = minor >= 25 ? field_or(p, "runtime.synctestBubble", "now", 80)
				   : field_or(p, "runtime.synctestGroup", "now", 80);
	uint64_t v;
	if (!gc_addrspace_u64(mem(p), g->bubble + off, &v))
		return false;
	*ret = (int64_t)v;
	return true;
}

/* ---- quoting (print.go printquoted) ---- */

/* Decodes one rune as Go's for-range does: invalid input gives U+FFFD
 * and a width of 1. */
static uint32_t decode_rune(const unsigned char *s, size_t len, size_t *width)
{
	unsigned char c = s[0];
	*width = 1;
	if (c < 0x80)
		return c;
	size_t n;
	uint32_t r, min;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, r = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, r = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, r = c & 0x07, min = 0x10000;
	} else {
		return 0xfffd;
	}
	if (len < n)
		return 0xfffd;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		r = r << 6 | (s[i] & 0x3f);
	}
	if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		return 0xfffd;
	*width = n;
	return r;
}

static void hex_digits(struct obuf *out, uint64_t v, int mindigits)
{
	char tmp[17];
	int i = sizeof(tmp);
	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v || (int)sizeof(tmp) - i < mindigits);
	ob_mem(out, tmp + i, sizeof(tmp) - i);
}

void gr_append_quoted(struct obuf *out, const char *str, size_t len, int minor)
{
	const unsigned char *s = (const unsigned char *)str;
	ob_char(out, '"');
	for (size_t i = 0; i < len;) {
		size_t w;
		uint32_t r = decode_rune(s + i, len - i, &w);
		if (r == 0xfffd && w == 1 && minor >= 27) {
			/* 1.27: an invalid byte, not a real U+FFFD, shows as \xNN. */
			ob_str(out, "\\x");
			hex_digits(out, s[i], 2);
			i += w;
			continue;
		}
		i += w;
		switch (r) {
		case '\n': ob_str(out, "\\n"); continue;
		case '\r': ob_str(out, "\\r"); continue;
		case '\t': ob_str(out, "\\t"); continue;
		case '\\': ob_str(out, "\\\\"); continue;
		case '"': ob_str(out, "\\\""); continue;
		}
		if (r >= ' ' && r <= '~') {
			ob_char(out, (char)r);
		} else if (r < 127) {
			ob_str(out, "\\x");
			hex_digits(out, r, 2);
		} else if (r < 0x10000) {
			ob_str(out, "\\u");
			hex_digits(out, r, 4);
		} else {
			ob_str(out, "\\U");
			hex_digits(out, r, 8);
		}
	}
	ob_char(out, '"');
}

bool gr_string_needs_quoting(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '/' || c == '_'))
			return true;
	}
	return false;
}
