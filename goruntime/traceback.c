#include "traceback.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "../common/obuf.h"
#include "../common/parallel.h"
#include "labels.h"
#include "unwind.h"

/* traceback.go: gStatusStrings. */
static const char *const gstatus_strings[] = {
	[GR_GIDLE] = "idle",         [GR_GRUNNABLE] = "runnable", [GR_GRUNNING] = "running",
	[GR_GSYSCALL] = "syscall",   [GR_GWAITING] = "waiting",   [5] = NULL,
	[GR_GDEAD] = "dead",         [7] = NULL,                  [GR_GCOPYSTACK] = "copystack",
	[GR_GPREEMPTED] = "preempted",
	/* 1.26+ (runtime2.go _Gleaked, _Gdeadextra) */
	[10] = "leaked",             [11] = "waiting for cgo callback",
};


/* The same as statuses show with a marker: " (durable)" follows any status
 * in 1.25 (see gr_goroutine_durable), " (leaked)" only _Gleaked. */
static const char *const gstatus_durable[] = {
	[GR_GIDLE] = "idle (durable)",       [GR_GRUNNABLE] = "runnable (durable)",
	[GR_GRUNNING] = "running (durable)", [GR_GSYSCALL] = "syscall (durable)",
	[GR_GWAITING] = "waiting (durable)", [GR_GDEAD] = "dead (durable)",
	[GR_GCOPYSTACK] = "copystack (durable)", [GR_GPREEMPTED] = "preempted (durable)",
};

/* The status string, or the wait reason that overrides it: the header's
 * state before any marker.  *by_reason tells which. */
static const char *base_state(const struct gr_process *p, const struct gr_goroutine *g,
			      bool *by_reason)
{
	uint32_t st = g->status & ~(uint32_t)GR_GSCAN;
	int minor = gr_process_go_minor(p);
	size_t nstrings = minor >= 26 ? 12 : 10;
	const char *s = NULL;
	*by_reason = false;
	if (st < nstrings)
		s = gstatus_strings[st];
	if (!s)
		s = st < nstrings ? "" : "???";
	bool leaked = minor >= 26 && st == GR_GLEAKED;
	if ((st == GR_GWAITING || leaked) && g->waitreason != 0) {
		const char *w = gr_process_waitreason(p, g->waitreason);
		if (*w) {
			s = w;
			*by_reason = true;
		}
	}
	return s;
}

/* isIdleInSynctest (runtime2.go; the same set in 1.25-1.27). */
static bool idle_in_synctest(const char *r)
{
	static const char *const idle[] = {
		"chan receive (nil chan)", "chan send (nil chan)", "select (no cases)",
		"sleep", "sync.Cond.Wait", "coroutine", "synctest.Run", "synctest.Wait",
		"chan receive (durable)", "chan send (durable)", "select (durable)",
		"sync.WaitGroup.Wait (durable)",
	};
	for (size_t i = 0; i < sizeof(idle) / sizeof(idle[0]); i++)
		if (strcmp(r, idle[i]) == 0)
			return true;
	return false;
}

bool gr_goroutine_durable(const struct gr_process *p, const struct gr_goroutine *g)
{
	int minor = gr_process_go_minor(p);
	uint32_t st = g->status & ~(uint32_t)GR_GSCAN;
	if (minor < 25 || !g->bubble || (minor >= 26 && st != GR_GWAITING))
		return false;
	bool by_reason;
	const char *state = base_state(p, g, &by_reason);
	size_t sl = strlen(state);
	return idle_in_synctest(gr_process_waitreason(p, g->waitreason)) &&
	       !(sl >= 9 && strcmp(state + sl - 9, "(durable)") == 0);
}

bool gr_goroutine_leaked(const struct gr_process *p, const struct gr_goroutine *g)
{
	return gr_process_go_minor(p) >= 26 && (g->status & ~(uint32_t)GR_GSCAN) == GR_GLEAKED;
}

const char *gr_goroutine_state(const struct gr_process *p, const struct gr_goroutine *g)
{
	bool by_reason;
	const char *s = base_state(p, g, &by_reason);
	bool leaked = gr_goroutine_leaked(p, g), durable = !leaked && gr_goroutine_durable(p, g);
	if (!leaked && !durable)
		return s;
	if (by_reason) {
		const char *m = gr_process_waitreason_marked(p, g->waitreason,
							     leaked ? GR_STATE_LEAKED : GR_STATE_DURABLE);
		return *m ? m : s;
	}
	uint32_t st = g->status & ~(uint32_t)GR_GSCAN;
	if (leaked)
		return "leaked (leaked)";
	return st < sizeof(gstatus_durable) / sizeof(gstatus_durable[0]) && gstatus_durable[st]
		       ? gstatus_durable[st] : s;
}

/* 1.26: ` labels:{"k": "v", …}` inside the brackets, always quoted; 1.27:
 * ` {k: v, …}` after them, quoted only where needed.  Nothing when the list
 * is empty.  A label gocore cannot read ends the list (the dump is already
 * what the core allows; stderr is not the place for one goroutine's gap). */
static void header_labels(const struct gr_process *p, const struct gr_goroutine *g,
			  struct obuf *out)
{
	int minor = gr_process_go_minor(p);
	struct gr_labels l;
	if (gr_goroutine_labels(p, g, &l) == &gc_error_nomem)
		out->failed = true;
	if (l.n) {
		ob_str(out, minor >= 27 ? " {" : " labels:{");
		for (size_t i = 0; i < l.n; i++) {
			const struct gr_label *lab = &l.v[i];
			if (i)
				ob_str(out, ", ");
			if (minor >= 27 && !gr_string_needs_quoting(lab->key, lab->key_len))
				ob_mem(out, lab->key, lab->key_len);
			else
				gr_append_quoted(out, lab->key, lab->key_len, minor);
			ob_str(out, ": ");
			if (minor >= 27 && !gr_string_needs_quoting(lab->value, lab->value_len))
				ob_mem(out, lab->value, lab->value_len);
			else
				gr_append_quoted(out, lab->value, lab->value_len, minor);
		}
		ob_char(out, '}');
	}
	gr_labels_free(&l);
}

static void header(const struct gr_process *p, const struct gr_goroutine *g, struct obuf *out)
{
	uint32_t st = g->status & ~(uint32_t)GR_GSCAN;
	int minor = gr_process_go_minor(p);
	ob_str(out, "goroutine ");
	ob_udec(out, g->goid);
	if (minor >= 22) {
		/* goroutineheader (1.22+): always at crash level. */
		ob_str(out, " gp=");
		ob_hex(out, g->addr);
		int64_t id;
		if (g->m && gr_process_m_id(p, g->m, &id)) {
			ob_str(out, " m=");
			ob_dec(out, id);
			ob_str(out, " mp=");
			ob_hex(out, g->m);
		} else {
			ob_str(out, " m=nil");
		}
	}
	ob_str(out, " [");
	bool by_reason;
	ob_str(out, base_state(p, g, &by_reason));
	if (gr_goroutine_leaked(p, g))
		ob_str(out, " (leaked)");
	if (g->status & GR_GSCAN)
		ob_str(out, " (scan)");
	if (gr_goroutine_durable(p, g))
		ob_str(out, " (durable)");
	int64_t now = gr_process_now(p);
	if ((st == GR_GWAITING || st == GR_GSYSCALL) && g->waitsince != 0 && now > g->waitsince) {
		int64_t minutes = (now - g->waitsince) / 60000000000LL;
		if (minutes >= 1) {
			ob_str(out, ", ");
			ob_dec(out, minutes);
			ob_str(out, " minutes");
		}
	}
	if (g->lockedm)
		ob_str(out, ", locked to thread");
	uint64_t bubble;
	if (minor >= 24 && gr_goroutine_bubble_id(p, g, &bubble)) {
		ob_str(out, minor >= 25 ? ", synctest bubble " : ", synctest group ");
		ob_udec(out, bubble);
	}
	if (minor >= 27)
		ob_char(out, ']');
	if (g->labels && gr_process_header_labels(p))
		header_labels(p, g, out);
	ob_str(out, minor >= 27 ? ":\n" : "]:\n");
}

void gr_print_header(const struct gr_process *p, const struct gr_goroutine *g, FILE *out)
{
	struct obuf ob = {0};
	header(p, g, &ob);
	ob_flush(&ob, out);
	ob_free(&ob);
}

/* printArgs (traceback.go): the argument words described by
 * FUNCDATA_ArgInfo, "?" after values FUNCDATA_ArgLiveInfo calls stale. */
static void print_args(const struct gr_process *p, const struct gr_frame *fr, uint64_t pc,
		       struct obuf *out)
{
	enum { END_SEQ = 0xff, START_AGG = 0xfe, END_AGG = 0xfd, DOTDOTDOT = 0xfc,
	       OFFSET_TOO_LARGE = 0xfb };
	enum { LIMIT = 10, MAX_DEPTH = 5, MAX_LEN = (MAX_DEPTH * 3 + 2) * LIMIT + 1 };
	const struct gopclntab *t = gr_process_pclntab(p);
	const struct gc_addrspace *as = gr_process_memory(p);
	uint64_t addr;
	if (!gopclntab_funcdata(t, &fr->fn, GOPCLNTAB_FUNCDATA_ARGINFO, &addr))
		return;
	size_t avail = 0;
	const uint8_t *info = gc_addrspace_span(as, addr, MAX_LEN, &avail);
	if (!info || !avail)
		return;

	uint64_t live_addr = 0;
	bool have_live = gopclntab_funcdata(t, &fr->fn, GOPCLNTAB_FUNCDATA_ARGLIVEINFO, &live_addr);
	int32_t live_idx = -1;
	if (!gopclntab_pcdata(t, &fr->fn, GOPCLNTAB_PCDATA_ARGLIVEINDEX, pc, &live_idx))
		live_idx = -1;
	uint8_t start_offset = 0xff;
	/* traceback.go: argp = fp + MinFrameSize. */
	uint64_t argoff = gr_process_image(p)->arch->min_frame_size;
	if (have_live && !gc_addrspace_u8(as, live_addr, &start_offset))
		have_live = false;

	bool start = true;
	uint8_t slot = 0;
	for (size_t pi = 0; pi < avail;) {
		uint8_t o = info[pi++];
		if (o == END_SEQ)
			break;
		if (o == START_AGG) {
			if (!start)
				ob_str(out, ", ");
			ob_char(out, '{');
			start = true;
			continue;
		}
		if (o == END_AGG) {
			ob_char(out, '}');
		} else if (o == DOTDOTDOT) {
			if (!start)
				ob_str(out, ", ");
			ob_str(out, "...");
		} else if (o == OFFSET_TOO_LARGE) {
			if (!start)
				ob_str(out, ", ");
			ob_char(out, '_');
		} else {
			if (!start)
				ob_str(out, ", ");
			if (pi >= avail)
				break;
			uint8_t sz = info[pi++];
			uint64_t x = 0;
			if (gr_frame_read_u64(p, fr, fr->fp + argoff + o, &x)) {
				if (sz < 8 && sz > 0)
					x = x << (64 - sz * 8) >> (64 - sz * 8);
				else if (sz == 0)
					x = 0;
				ob_hex(out, x);
			} else {
				ob_str(out, "0x?");
			}
			bool live = true;
			if (have_live && live_idx > 0 && o >= start_offset) {
				uint8_t bits;
				if (gc_addrspace_u8(as, live_addr + (uint64_t)live_idx + slot / 8, &bits))
					live = bits & (1u << (slot % 8));
			}
			if (!live)
				ob_char(out, '?');
			if (o >= start_offset)
				slot++;
		}
		start = false;
	}
}

/* printFuncName (1.21+): generic instantiations shorten to "[...]" from the
 * first '[' to the last ']'.  Go 1.18-1.20 linkers already wrote names that
 * way, so doing it for every release is harmless.  Also runtime.gopanic is
 * printed as "panic". */
static void print_func_name(const char *name, struct obuf *out)
{
	if (strcmp(name, "runtime.gopanic") == 0) {
		ob_str(out, "panic");
		return;
	}
	const char *open = strchr(name, '[');
	const char *close = open ? strrchr(name, ']') : NULL;
	if (!open || !close || close <= open) {
		ob_str(out, name);
		return;
	}
	ob_mem(out, name, (size_t)(open - name));
	ob_str(out, "[...]");
	ob_str(out, close + 1);
}

/* Frame limits: up to 1.20 the first 100 physical frames, with the elision
 * line when exactly 100 lines were printed (traceback1); from 1.21 the first
 * 50 and the last 50 logical frames (tracebackInnerFrames/OuterFrames). */
enum { MAX_FRAMES_OLD = 100, INNER_FRAMES = 50, OUTER_FRAMES = 50 };

/* 1.21+ prints the first 50 logical frames as the walk meets them and
 * keeps the physical frames past them in a ring: once the walk has ended
 * (and the total is known), those holding the last 50 are printed.  One
 * walk, where traceback1 counts the frames in a first one. */
struct tail_frame {
	struct gr_frame fr;
	size_t start;      /* logical index of its first (innermost) frame */
};

struct print_ctx {
	const struct gr_process *p;
	const struct gr_print_options *opts;
	struct render_cache *cache;
	struct obuf *out;
	int minor;
	size_t nprint;     /* lines printed (logical frames) */
	size_t index;      /* logical frames seen */
	size_t total;      /* 1.21+: logical frames in the whole stack, once known */
	bool tail;         /* 1.21+: printing the ring, total known */
	/* At most OUTER_FRAMES physical frames hold the last OUTER_FRAMES
	 * logical ones; one more in case the oldest is needed in part. */
	struct tail_frame ring[OUTER_FRAMES + 1];
	size_t ring_next, ring_n;
	/* The last rendering used, for recursion's same pc again and again;
	 * valid while the cache keeps its array (memo_v). */
	const struct rendered *memo;
	const struct rendered *memo_v;
};

/* Whether logical frame index is printed: every one up to 1.20 (the walk
 * stops at MAX_FRAMES_OLD); from 1.21 the first INNER_FRAMES as the walk
 * goes, then from the ring those of the last OUTER_FRAMES past them. */
static bool frame_shown(struct print_ctx *c)
{
	size_t idx = c->index++;
	if (c->minor < 21)
		return true;
	if (!c->tail)
		return idx < INNER_FRAMES;
	return idx >= INNER_FRAMES &&
	       (c->total <= INNER_FRAMES + OUTER_FRAMES || idx >= c->total - OUTER_FRAMES);
}

/* What a physical frame prints apart from its arguments and addresses,
 * rendered once per (pc, tracepc): a million goroutines share a few
 * thousand PCs.  text holds the inlined frames' lines (inl_end[i] ends the
 * i-th), then "name(", then ")\n\tfile:line +0x..." without the newline. */
struct rendered {
	uint64_t pc, tracepc;
	uint64_t argpc;       /* pc for argument liveness */
	char *text;
	uint32_t *inl_end;
	uint32_t ninl, name_end, len;
};

/* A printer's renderings, by (pc, tracepc). */
struct render_cache {
	struct rendered *v;   /* open addressing; pc == 0 marks a free slot */
	size_t cap, n;
};

/* What one thread prints with: its renderings and its output buffer. */
struct gr_printer {
	const struct gr_process *p;
	struct gr_print_options opts;
	struct render_cache cache;
};

static void cache_clear(struct render_cache *cache)
{
	for (size_t i = 0; i < cache->cap; i++) {
		free(cache->v[i].text);
		free(cache->v[i].inl_end);
	}
	free(cache->v);
	cache->v = NULL;
	cache->cap = cache->n = 0;
}

static size_t cache_slot(uint64_t pc, uint64_t tracepc, size_t cap)
{
	uint64_t h = (pc ^ (tracepc << 1)) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) & (cap - 1);
}

static bool cache_grow(struct render_cache *cache)
{
	size_t ncap = cache->cap ? cache->cap * 2 : 4096;
	struct rendered *nv = calloc(ncap, sizeof(*nv));
	if (!nv)
		return false;
	for (size_t i = 0; i < cache->cap; i++) {
		if (!cache->v[i].pc)
			continue;
		size_t j = cache_slot(cache->v[i].pc, cache->v[i].tracepc, ncap);
		while (nv[j].pc)
			j = (j + 1) & (ncap - 1);
		nv[j] = cache->v[i];
	}
	free(cache->v);
	cache->v = nv;
	cache->cap = ncap;
	return true;
}

/* Renders fr's fixed parts into r (which the caller frees on its own when
 * it is not put in the cache).  False when out of memory. */
static bool render(const struct print_ctx *c, const struct gr_frame *fr, struct rendered *r)
{
	const struct gopclntab *t = gr_process_pclntab(c->p);
	struct gopclntab_inline_frame inl[64];
	size_t n = gopclntab_inline_frames(t, &fr->fn, fr->tracepc, inl, 64);
	struct obuf ob = {0};
	*r = (struct rendered){.pc = fr->pc, .tracepc = fr->tracepc, .argpc = fr->tracepc};
	r->inl_end = malloc((n ? n : 1) * sizeof(*r->inl_end));
	if (!r->inl_end)
		return false;
	for (size_t i = 0; i + 1 < n; i++) {
		print_func_name(inl[i].name, &ob);
		ob_str(&ob, "(...)\n\t");
		ob_str(&ob, inl[i].file);
		ob_char(&ob, ':');
		ob_dec(&ob, inl[i].line);
		ob_char(&ob, '\n');
		r->inl_end[r->ninl++] = (uint32_t)ob.len;
	}
	/* Argument liveness is looked up at the outermost inlined call site
	 * up to 1.20 (the runtime's tracepc after its inline walk), at symPC
	 * from 1.21. */
	const char *file = "?";
	int32_t line = 0;
	if (n > 0) {
		file = inl[n - 1].file;
		line = inl[n - 1].line;
		if (c->minor < 21)
			r->argpc = inl[n - 1].pc;
	} else {
		gopclntab_file_line(t, &fr->fn, fr->tracepc, &file, &line);
	}
	print_func_name(fr->fn.name, &ob);
	ob_char(&ob, '(');
	r->name_end = (uint32_t)ob.len;
	ob_str(&ob, ")\n\t");
	ob_str(&ob, file);
	ob_char(&ob, ':');
	ob_dec(&ob, line);
	if (fr->pc > fr->fn.entry) {
		ob_str(&ob, " +");
		ob_hex(&ob, fr->pc - fr->fn.entry);
	}
	if (ob.failed || ob.len > UINT32_MAX) {
		ob_free(&ob);
		free(r->inl_end);
		return false;
	}
	r->len = (uint32_t)ob.len;
	r->text = ob.p;
	return true;
}

/* The rendering of fr: from the cache, else rendered into *tmp (then
 * *owned is set and the caller frees it).  NULL when out of memory. */
static const struct rendered *rendering(const struct print_ctx *c, const struct gr_frame *fr,
					struct rendered *tmp, bool *owned)
{
	struct render_cache *cache = c->cache;
	*owned = false;
	if (fr->pc && cache->cap) {
		size_t i = cache_slot(fr->pc, fr->tracepc, cache->cap);
		while (cache->v[i].pc) {
			if (cache->v[i].pc == fr->pc && cache->v[i].tracepc == fr->tracepc)
				return &cache->v[i];
			i = (i + 1) & (cache->cap - 1);
		}
	}
	if (!render(c, fr, tmp))
		return NULL;
	/* Keep at most a million renderings (a few hundred MB at worst). */
	bool room = fr->pc && cache->n < (1u << 20);
	if (room && (cache->n + 1) * 2 > cache->cap && !cache_grow(cache)) {
		/* Printed all the same, but the run is to say it ran short. */
		c->out->failed = true;
		room = false;
	}
	if (room) {
		size_t i = cache_slot(fr->pc, fr->tracepc, cache->cap);
		while (cache->v[i].pc)
			i = (i + 1) & (cache->cap - 1);
		cache->v[i] = *tmp;
		cache->n++;
		return &cache->v[i];
	}
	*owned = true;
	return tmp;
}

static bool print_frame(void *vctx, const struct gr_frame *fr)
{
	struct print_ctx *c = vctx;
	struct rendered tmp;
	bool owned = false;
	const struct rendered *r;
	if (c->memo && c->memo_v == c->cache->v && c->memo->pc == fr->pc &&
	    c->memo->tracepc == fr->tracepc) {
		r = c->memo;
	} else {
		r = rendering(c, fr, &tmp, &owned);
		if (!r) {
			c->out->failed = true;
			return false;
		}
		c->memo = owned ? NULL : r;
		c->memo_v = c->cache->v;
	}
	if (c->minor >= 21 && !c->tail && c->index + r->ninl + 1 > INNER_FRAMES) {
		/* Some of its logical frames may be among the last: keep it. */
		c->ring[c->ring_next] = (struct tail_frame){*fr, c->index};
		c->ring_next = (c->ring_next + 1) % (OUTER_FRAMES + 1);
		if (c->ring_n < OUTER_FRAMES + 1)
			c->ring_n++;
	}
	for (uint32_t i = 0, start = 0; i < r->ninl; start = r->inl_end[i++]) {
		if (!frame_shown(c))
			continue;
		ob_mem(c->out, r->text + start, r->inl_end[i] - start);
		c->nprint++;
	}
	if (frame_shown(c)) {
		uint32_t inl_len = r->ninl ? r->inl_end[r->ninl - 1] : 0;
		ob_mem(c->out, r->text + inl_len, r->name_end - inl_len);
		print_args(c->p, fr, r->argpc, c->out);
		ob_mem(c->out, r->text + r->name_end, r->len - r->name_end);
		if (c->opts && c->opts->frame_addrs) {
			ob_str(c->out, " fp=");
			ob_hex(c->out, fr->fp);
			ob_str(c->out, " sp=");
			ob_hex(c->out, fr->sp);
			ob_str(c->out, " pc=");
			ob_hex(c->out, fr->pc);
		}
		ob_char(c->out, '\n');
		c->nprint++;
	}
	if (owned) {
		free(tmp.text);
		free(tmp.inl_end);
	}
	return true;
}

static void print_created_by(const struct gr_process *p, const struct gr_goroutine *g,
			     struct obuf *out)
{
	if (g->goid == 1)
		return;
	const struct gopclntab *t = gr_process_pclntab(p);
	struct gopclntab_func f;
	if (!gopclntab_find_func(t, g->gopc, &f))
		return;
	/* printcreatedby1: back up into the go statement's CALL by PCQuantum
	 * (the pc-line table's: riscv64's is 2 from Go 1.26, 4 before). */
	uint64_t tracepc = g->gopc > f.entry ? g->gopc - gopclntab_quantum(t) : g->gopc;
	const char *file = "?";
	int32_t line = 0;
	gopclntab_file_line(t, &f, tracepc, &file, &line);
	ob_str(out, "created by ");
	print_func_name(f.name, out);
	if (gr_process_go_minor(p) >= 21 && g->parent_goid) {
		ob_str(out, " in goroutine ");
		ob_udec(out, g->parent_goid);
	}
	ob_str(out, "\n\t");
	ob_str(out, file);
	ob_char(out, ':');
	ob_dec(out, line);
	if (g->gopc > f.entry) {
		ob_str(out, " +");
		ob_hex(out, g->gopc - f.entry);
	}
	ob_char(out, '\n');
}

struct gc_error *gr_printer_create(const struct gr_process *p, const struct gr_print_options *opts,
				   struct gr_printer **ret)
{
	struct gr_printer *pr = calloc(1, sizeof(*pr));
	if (!pr)
		return &gc_error_nomem;
	pr->p = p;
	if (opts)
		pr->opts = *opts;
	*ret = pr;
	return NULL;
}

void gr_printer_destroy(struct gr_printer *pr)
{
	if (!pr)
		return;
	cache_clear(&pr->cache);
	free(pr);
}

/* A line about goroutine goid on warn (what: "" or "warning: "). */
static void warn_goroutine(struct obuf *warn, uint64_t goid, const char *what, const char *rest)
{
	if (!warn)
		return;
	ob_str(warn, what);
	ob_str(warn, "goroutine ");
	ob_udec(warn, goid);
	ob_str(warn, ": ");
	ob_str(warn, rest);
	ob_char(warn, '\n');
}

unsigned gr_printer_print(struct gr_printer *pr, const struct gr_goroutine *g, struct obuf *out,
			  struct obuf *warn)
{
	const struct gr_process *p = pr->p;
	const struct gr_print_options *opts = &pr->opts;
	header(p, g, out);
	struct print_ctx c = {.p = p, .opts = opts, .cache = &pr->cache, .out = out,
			      .minor = gr_process_go_minor(p)};
	size_t nframes = 0;
	unsigned flags;
	if (c.minor >= 21) {
		flags = gr_unwind(p, g, SIZE_MAX, print_frame, &c, &nframes);
		c.total = c.index;
		c.tail = true;
		if (c.total > INNER_FRAMES + OUTER_FRAMES) {
			ob_str(out, "...");
			ob_udec(out, c.total - INNER_FRAMES - OUTER_FRAMES);
			ob_str(out, " frames elided...\n");
		}
		size_t first = (c.ring_next + OUTER_FRAMES + 1 - c.ring_n) % (OUTER_FRAMES + 1);
		for (size_t k = 0; k < c.ring_n && !out->failed; k++) {
			const struct tail_frame *t = &c.ring[(first + k) % (OUTER_FRAMES + 1)];
			c.index = t->start;
			print_frame(&c, &t->fr);
		}
	} else {
		flags = gr_unwind(p, g, MAX_FRAMES_OLD, print_frame, &c, &nframes);
	}
	unsigned gaps = 0;
	if (flags & GR_UNWIND_NO_THREAD) {
		/* The runtime's words; for gocore a gap: the thread's registers
		 * did not lead to the goroutine's stack. */
		ob_str(out, "\tgoroutine running on other thread; stack unavailable\n");
		gaps |= GR_GAP_STACK;
		warn_goroutine(warn, g->goid, "", "running, but no thread of the core leads to its "
			       "stack; stack unavailable");
	} else if (c.minor < 21 && c.nprint == MAX_FRAMES_OLD) {
		ob_str(out, "...additional frames elided...\n");
	}
	if (flags & GR_UNWIND_FAULT) {
		gaps |= GR_GAP_STACK;
		if (nframes == 0)
			ob_str(out, "\tstack unavailable: memory not in core\n");
		warn_goroutine(warn, g->goid, "", nframes ? "stack memory not in core; traceback is "
							    "partial"
							  : "stack memory not in core");
	} else if (flags & (GR_UNWIND_BAD_PC | GR_UNWIND_LIMIT)) {
		/* The walk's bound cut the stack: the output says so where the
		 * runtime would say frames were elided. */
		if (flags & GR_UNWIND_LIMIT)
			ob_str(out, "...stack cut: the walk stops at 1 GiB of stack or 134217728 frames...\n");
		/* The runtime says "unexpected return pc" here; the stack is cut
		 * short either way. */
		gaps |= GR_GAP_STACK;
		warn_goroutine(warn, g->goid, "",
			       flags & GR_UNWIND_LIMIT
				       ? "the stack walk did not end within the stack's bounds (at "
					 "most 1 GiB of stack, 134217728 frames); traceback is partial"
				       : "a pc on its stack lies outside every Go function; "
					 "traceback is partial");
	}
	print_created_by(p, g, out);
	if (out->failed) {
		gaps |= GR_GAP_NOMEM;
		warn_goroutine(warn, g->goid, "warning: ", "out of memory formatting it; frames "
			       "may be missing");
	}
	out->failed = false;
	return gaps;
}

/* Hands each line of w to warn (the lines are NUL-terminated in place). */
static void say_lines(struct obuf *w, gr_warn_fn *warn, void *warn_ctx)
{
	if (!warn || !w->len)
		return;
	for (size_t start = 0, i = 0; i < w->len; i++) {
		if (w->p[i] != '\n')
			continue;
		w->p[i] = '\0';
		warn(warn_ctx, w->p + start);
		start = i + 1;
	}
	w->len = 0;
}

unsigned gr_print_goroutine(const struct gr_process *p, const struct gr_goroutine *g,
			    const struct gr_print_options *opts, FILE *file, gr_warn_fn *warn,
			    void *warn_ctx)
{
	struct gr_printer *pr = NULL;
	struct obuf out = {0}, w = {0};
	unsigned gaps;
	if (gr_printer_create(p, opts, &pr)) {
		gaps = GR_GAP_NOMEM;
	} else {
		gaps = gr_printer_print(pr, g, &out, warn ? &w : NULL);
		gr_printer_destroy(pr);
	}
	ob_flush(&out, file);
	say_lines(&w, warn, warn_ctx);
	ob_free(&out);
	ob_free(&w);
	return gaps;
}

/* ---- many goroutines, on every CPU ---- */

/* Goroutines per chunk: enough to amortise the hand-over, few enough that
 * a window of chunks stays small. */
enum { PRINT_CHUNK = 256 };

struct print_run {
	const struct gr_process *p;
	const struct gr_print_options *opts;
	const struct gr_goroutine *const *gs;
	size_t n;
	FILE *out;
	gr_warn_fn *warn;
	void *warn_ctx;
	gr_print_progress_fn *progress;
	void *progress_ctx;
	size_t window;
	struct print_slot {
		struct obuf out, warn;
		unsigned gaps;
	} *slots;
	unsigned gaps;
	bool nomem, write_failed;
	int write_errno;
};

static void *print_worker_init(void *ctx)
{
	struct print_run *r = ctx;
	struct gr_printer *pr = NULL;
	return gr_printer_create(r->p, r->opts, &pr) ? NULL : pr;
}

static void print_worker_fini(void *ctx, void *worker)
{
	gr_printer_destroy(worker);
}

static bool print_work(void *ctx, void *worker, size_t chunk)
{
	struct print_run *r = ctx;
	struct print_slot *s = &r->slots[chunk % r->window];
	s->out.len = s->warn.len = 0;
	s->out.failed = s->warn.failed = false;
	s->gaps = 0;
	size_t end = (chunk + 1) * PRINT_CHUNK < r->n ? (chunk + 1) * PRINT_CHUNK : r->n;
	for (size_t i = chunk * PRINT_CHUNK; i < end; i++) {
		if (i)
			ob_char(&s->out, '\n');
		s->gaps |= gr_printer_print(worker, r->gs[i], &s->out, r->warn ? &s->warn : NULL);
	}
	return true;
}

static bool print_emit(void *ctx, size_t chunk)
{
	struct print_run *r = ctx;
	struct print_slot *s = &r->slots[chunk % r->window];
	if (r->progress)
		r->progress(r->progress_ctx, chunk * PRINT_CHUNK, r->n);
	r->gaps |= s->gaps;
	if (s->out.failed || s->warn.failed)
		r->gaps |= GR_GAP_NOMEM;
	errno = 0;
	bool ok = ob_flush(&s->out, r->out);
	say_lines(&s->warn, r->warn, r->warn_ctx);
	/* A full disk or a closed pipe: stop at once. */
	if (!ok || ferror(r->out)) {
		r->write_failed = true;
		r->write_errno = errno;
		return false;
	}
	return true;
}

struct gc_error *gr_print_goroutines(const struct gr_process *p,
				     const struct gr_goroutine *const *gs, size_t n,
				     const struct gr_print_options *opts, unsigned jobs, FILE *out,
				     gr_warn_fn *warn, void *warn_ctx, gr_print_progress_fn *progress,
				     void *progress_ctx, unsigned *gaps_ret)
{
	*gaps_ret = 0;
	struct print_run r = {
		.p = p, .opts = opts, .gs = gs, .n = n, .out = out, .warn = warn,
		.warn_ctx = warn_ctx,
		.progress = progress, .progress_ctx = progress_ctx,
		.window = jobs > 1 ? 4 * (size_t)jobs : 1,
	};
	r.slots = calloc(r.window, sizeof(*r.slots));
	if (!r.slots)
		return &gc_error_nomem;
	struct gc_parallel pl = {
		.nchunks = (n + PRINT_CHUNK - 1) / PRINT_CHUNK, .jobs = jobs, .window = r.window,
		.ctx = &r, .worker_init = print_worker_init, .worker_fini = print_worker_fini,
		.work = print_work, .emit = print_emit,
	};
	bool ok = gc_parallel_run(&pl);
	for (size_t i = 0; i < r.window; i++) {
		ob_free(&r.slots[i].out);
		ob_free(&r.slots[i].warn);
	}
	free(r.slots);
	*gaps_ret = r.gaps;
	if (r.write_failed) {
		int e = r.write_errno ? r.write_errno : EIO;
		errno = e;
		return gc_error_create(GC_ERR_IO, "writing the output: %s", strerror(e));
	}
	if (!ok)
		return &gc_error_nomem;
	return NULL;
}
