#include "frames.h"

#include <stdlib.h>
#include <string.h>

#include "../common/obuf.h"
#include "unwind.h"

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

/* cmd/go's search.IsStandardImportPath, applied to the package path a
 * function's name starts with. */
bool gr_func_is_std_len(const char *name, size_t len)
{
	/* The compiler's functions of a type ("type:.eq.main.T"; "type..eq."
	 * before Go 1.20) go by the type's package; an unnamed type's
	 * ("type:.eq.[2]interface {}") are nobody's. */
	if (has_prefix(name, len, "type:.") || has_prefix(name, len, "type..")) {
		const char *alg = name + 6, *end = name + len;
		const char *dot = memchr(alg, '.', (size_t)(end - alg));
		if (!dot || dot + 1 == end)
			return true;
		char c = dot[1];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
			return true;
		return gr_func_is_std_len(dot + 1, (size_t)(end - dot - 1));
	}
	if (has_prefix(name, len, "type:") || has_prefix(name, len, "go:"))
		return true;
	/* A receiver "(*T)" or generic arguments "[go.shape.int]" may hold
	 * dots and slashes of other packages: the path ends before them. */
	size_t lim = 0;
	while (lim < len && name[lim] != '(' && name[lim] != '[')
		lim++;
	const char *slash = memchr(name, '/', lim);
	size_t elem;
	if (slash) {
		elem = (size_t)(slash - name);
	} else {
		/* One element: the package is everything before the first dot. */
		const char *dot = memchr(name, '.', lim);
		elem = dot ? (size_t)(dot - name) : lim;
		if ((elem == 4 && memcmp(name, "main", 4) == 0) ||
		    (elem == 22 && memcmp(name, "command-line-arguments", 22) == 0))
			return false;
	}
	if (elem == 0)
		return false;
	return memchr(name, '.', elem) == NULL;
}

bool gr_func_is_std(const char *name)
{
	return gr_func_is_std_len(name, strlen(name));
}

/* traceback.go printFuncName (1.21+) and traceback.c print_func_name. */
size_t gr_func_display_name(const char *name, char *buf, size_t n)
{
	const char *head = name, *tail = "";
	size_t head_len = strlen(name);
	const char *mid = "";
	if (strcmp(name, "runtime.gopanic") == 0) {
		head = "panic";
		head_len = 5;
	} else {
		const char *open = strchr(name, '[');
		const char *close = strrchr(name, ']');
		if (open && close && close > open) {
			head_len = (size_t)(open - name);
			mid = "[...]";
			tail = close + 1;
		}
	}
	size_t mid_len = strlen(mid), tail_len = strlen(tail);
	size_t total = head_len + mid_len + tail_len;
	if (n == 0)
		return total;
	size_t pos = 0;
	const char *parts[3] = {head, mid, tail};
	size_t lens[3] = {head_len, mid_len, tail_len};
	for (int i = 0; i < 3 && pos + 1 < n; i++) {
		size_t k = lens[i] < n - 1 - pos ? lens[i] : n - 1 - pos;
		memcpy(buf + pos, parts[i], k);
		pos += k;
	}
	buf[pos] = '\0';
	return total;
}

/* Whether the display name differs from the symbol name (needs storage). */
static const char *display_static(const char *name)
{
	if (name[0] == 'r' && strcmp(name, "runtime.gopanic") == 0)
		return "panic";
	const char *open = strchr(name, '[');
	if (!open)
		return name;
	const char *close = strrchr(name, ']');
	if (open && close && close > open)
		return NULL;
	return name;
}

/* What collect_frame learns of one physical frame from the pc-line table
 * (its inlined callees and itself: names, files, lines), by (function,
 * tracepc); a million goroutines share a few thousand of them. */
enum { LINE_CACHE_BITS = 14, LINE_CACHE_INL = 6 };
struct line_entry {
	uint64_t entry, tracepc;
	uint8_t n;   /* logical frames, 0: empty slot */
	const char *name[LINE_CACHE_INL], *file[LINE_CACHE_INL];
	int32_t line[LINE_CACHE_INL];
};

struct gr_frames_cache {
	struct line_entry *v;  /* 1 << LINE_CACHE_BITS slots */
};

struct gc_error *gr_frames_cache_create(struct gr_frames_cache **ret)
{
	struct gr_frames_cache *c = calloc(1, sizeof(*c));
	if (c)
		c->v = calloc((size_t)1 << LINE_CACHE_BITS, sizeof(*c->v));
	if (!c || !c->v) {
		free(c);
		return &gc_error_nomem;
	}
	*ret = c;
	return NULL;
}

void gr_frames_cache_destroy(struct gr_frames_cache *c)
{
	if (c) {
		free(c->v);
		free(c);
	}
}

struct collect {
	const struct gr_process *p;
	struct gr_frames_cache *cache; /* may be NULL */
	size_t max;
	struct gr_lframe *v;   /* func == NULL: the name is at names + name_off[i] */
	size_t *name_off;
	size_t n, cap;
	struct obuf names;     /* the names that differ from the symbol's, each NUL-ended */
	bool truncated, nomem;
};

static bool push(struct collect *c, const char *sym, const char *file, int32_t line,
		 const struct gr_frame *fr, bool inlined)
{
	if (c->n == c->max) {
		c->truncated = true;
		return false;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct gr_lframe *v = realloc(c->v, cap * sizeof(*v));
		if (!v) {
			c->nomem = true;
			return false;
		}
		c->v = v;
		size_t *off = realloc(c->name_off, cap * sizeof(*off));
		if (!off) {
			c->nomem = true;
			return false;
		}
		c->name_off = off;
		c->cap = cap;
	}
	const char *disp = display_static(sym);
	size_t off = 0;
	if (!disp) {
		size_t len = gr_func_display_name(sym, NULL, 0);
		if (!ob_reserve(&c->names, len + 1)) {
			c->nomem = true;
			return false;
		}
		off = c->names.len;
		gr_func_display_name(sym, c->names.p + off, len + 1);
		c->names.len += len + 1;
	}
	c->v[c->n] = (struct gr_lframe){
		.func = disp, .sym = sym, .file = file ? file : "?", .line = line,
		.pc = fr->pc, .sp = fr->sp, .inlined = inlined,
	};
	c->name_off[c->n] = off;
	c->n++;
	return true;
}

/* As traceback.c print_frame: the inlined callees at tracepc, then the
 * physical frame with the outermost call site's file and line. */
static bool collect_frame(void *vctx, const struct gr_frame *fr)
{
	struct collect *c = vctx;
	struct line_entry *e = NULL;
	if (c->cache) {
		uint64_t h = (fr->tracepc ^ (fr->fn.entry << 7)) * 0x9e3779b97f4a7c15ull;
		e = &c->cache->v[h >> (64 - LINE_CACHE_BITS)];
		if (e->n && e->tracepc == fr->tracepc && e->entry == fr->fn.entry) {
			for (uint8_t i = 0; i < e->n; i++)
				if (!push(c, e->name[i], e->file[i], e->line[i], fr, i + 1 < e->n))
					return false;
			return true;
		}
	}
	const struct gopclntab *t = gr_process_pclntab(c->p);
	struct gopclntab_inline_frame inl[64];
	size_t n = gopclntab_inline_frames(t, &fr->fn, fr->tracepc, inl, 64);
	for (size_t i = 0; i + 1 < n; i++)
		if (!push(c, inl[i].name, inl[i].file, inl[i].line, fr, true))
			return false;
	const char *file = "?";
	int32_t line = 0;
	if (n > 0) {
		file = inl[n - 1].file;
		line = inl[n - 1].line;
	} else {
		gopclntab_file_line(t, &fr->fn, fr->tracepc, &file, &line);
	}
	size_t total = n ? n : 1;
	if (e && total <= LINE_CACHE_INL) {
		/* The strings live in the pc-line table: they outlive the cache. */
		for (size_t i = 0; i + 1 < total; i++) {
			e->name[i] = inl[i].name;
			e->file[i] = inl[i].file ? inl[i].file : "?";
			e->line[i] = inl[i].line;
		}
		e->name[total - 1] = fr->fn.name;
		e->file[total - 1] = file ? file : "?";
		e->line[total - 1] = line;
		e->entry = fr->fn.entry;
		e->tracepc = fr->tracepc;
		e->n = (uint8_t)total;
	}
	return push(c, fr->fn.name, file, line, fr, false);
}

struct gc_error *gr_goroutine_frames(const struct gr_process *p, const struct gr_goroutine *g,
				     size_t max, struct gr_lframe **frames_ret, size_t *n_ret,
				     unsigned *unwind_flags_ret)
{
	return gr_goroutine_frames_cached(p, g, max, NULL, frames_ret, n_ret, unwind_flags_ret);
}

struct gc_error *gr_goroutine_frames_cached(const struct gr_process *p,
					    const struct gr_goroutine *g, size_t max,
					    struct gr_frames_cache *cache,
					    struct gr_lframe **frames_ret, size_t *n_ret,
					    unsigned *unwind_flags_ret)
{
	*frames_ret = NULL;
	*n_ret = 0;
	if (unwind_flags_ret)
		*unwind_flags_ret = 0;
	if (max > GR_MAX_GOROUTINE_FRAMES)
		max = GR_MAX_GOROUTINE_FRAMES;
	struct collect c = {.p = p, .cache = cache, .max = max};
	unsigned flags = 0;
	if (max > 0)
		flags = gr_unwind(p, g, SIZE_MAX, collect_frame, &c, NULL);
	if (c.nomem) {
		free(c.v);
		free(c.name_off);
		ob_free(&c.names);
		return &gc_error_nomem;
	}
	if (c.truncated)
		flags |= GR_FRAMES_TRUNCATED;
	struct gr_lframe *out = NULL;
	if (c.n) {
		/* One block: the frames, then the abbreviated names. */
		out = malloc(c.n * sizeof(*out) + c.names.len);
		if (!out) {
			free(c.v);
			free(c.name_off);
			ob_free(&c.names);
			return &gc_error_nomem;
		}
		char *names = (char *)(out + c.n);
		if (c.names.len)
			memcpy(names, c.names.p, c.names.len);
		for (size_t i = 0; i < c.n; i++) {
			out[i] = c.v[i];
			if (!out[i].func)
				out[i].func = names + c.name_off[i];
		}
	}
	free(c.v);
	free(c.name_off);
	ob_free(&c.names);
	*frames_ret = out;
	*n_ret = c.n;
	if (unwind_flags_ret)
		*unwind_flags_ret = flags;
	return NULL;
}

_Static_assert(GR_MAX_PHYSICAL_FRAMES == 134217728 && GR_MAX_STACK_BYTES == 1u << 30,
	       "gr_stack_gap's message");
_Static_assert(GR_MAX_GOROUTINE_FRAMES == 10000, "gr_stack_gap's message");
_Static_assert(GR_MAX_GROUPED_FRAMES == 2097152, "gr_stack_gap's message");

const char *gr_stack_gap(unsigned flags)
{
	if (flags & GR_UNWIND_NO_THREAD)
		return "goroutine running on other thread; stack unavailable";
	if (flags & GR_UNWIND_FAULT)
		return "stack partial: memory not in core";
	if (flags & GR_UNWIND_BAD_PC)
		return "stack partial: a pc lies outside every Go function";
	if (flags & GR_UNWIND_LIMIT)
		return "stack partial: the walk did not end within the stack's bounds "
		       "(at most 1 GiB of stack, 134217728 frames)";
	if (flags & GR_FRAMES_TRUNCATED)
		return "stack partial: more than 10000 frames; the innermost 10000 are kept";
	if (flags & GR_FRAMES_BUDGET)
		return "stack partial: the frames kept for all groups reached their bound "
		       "(2097152); this group's stack is cut";
	return NULL;
}

/* traceback.c print_created_by (traceback.go printcreatedby1). */
bool gr_goroutine_created_by(const struct gr_process *p, const struct gr_goroutine *g,
			     const char **func, const char **file, int32_t *line,
			     uint64_t *goid)
{
	if (g->goid == 1)
		return false;
	const struct gopclntab *t = gr_process_pclntab(p);
	struct gopclntab_func f;
	if (!gopclntab_find_func(t, g->gopc, &f))
		return false;
	/* printcreatedby1: back up into the go statement's CALL by PCQuantum
	 * (the pc-line table's: riscv64's is 2 from Go 1.26, 4 before). */
	uint64_t tracepc = g->gopc > f.entry ? g->gopc - gopclntab_quantum(t) : g->gopc;
	const char *fl = "?";
	int32_t ln = 0;
	gopclntab_file_line(t, &f, tracepc, &fl, &ln);
	if (func)
		*func = f.name;
	if (file)
		*file = fl ? fl : "?";
	if (line)
		*line = ln;
	if (goid)
		*goid = gr_process_go_minor(p) >= 21 ? g->parent_goid : 0;
	return true;
}
