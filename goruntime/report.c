#include "report.h"

#include "../common/parallel.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "labels.h"
#include "traceback.h"
#include "unwind.h"

/* ---- filters ---- */

bool gr_goroutine_wait_minutes(const struct gr_process *p, const struct gr_goroutine *g,
			       int64_t *ret)
{
	*ret = 0;
	uint32_t st = g->status & ~(uint32_t)GR_GSCAN;
	int64_t now = gr_process_now(p);
	/* traceback.go goroutineheader. */
	if ((st != GR_GWAITING && st != GR_GSYSCALL) || g->waitsince == 0 || now == 0)
		return false;
	if (now > g->waitsince)
		*ret = (now - g->waitsince) / 60000000000LL;
	return true;
}

static bool frames_match(const regex_t *re, const struct gr_lframe *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (regexec(re, f[i].func, 0, NULL, 0) == 0 ||
		    regexec(re, f[i].sym, 0, NULL, 0) == 0 ||
		    regexec(re, f[i].file, 0, NULL, 0) == 0)
			return true;
	return false;
}

/* The conditions that need no frames. */
static bool match_cheap(const struct gr_process *p, const struct gr_goroutine *g,
			const struct gr_filter *filter)
{
	if (filter->state && strcmp(gr_goroutine_state(p, g), filter->state) != 0)
		return false;
	if (filter->min_wait_minutes >= 0) {
		int64_t m;
		if (!gr_goroutine_wait_minutes(p, g, &m) || m < filter->min_wait_minutes)
			return false;
	}
	if (filter->label_key) {
		if (!g->labels)
			return false;
		struct gr_labels l;
		gr_goroutine_labels(p, g, &l);
		bool ok = false;
		for (size_t i = 0; i < l.n && !ok; i++)
			ok = strcmp(l.v[i].key, filter->label_key) == 0 &&
			     (!filter->label_value || strcmp(l.v[i].value, filter->label_value) == 0);
		gr_labels_free(&l);
		if (!ok)
			return false;
	}
	return true;
}

/* gr_filter_match, with out-of-memory as an error rather than a miss. */
static struct gc_error *filter_match(const struct gr_process *p, const struct gr_goroutine *g,
				     const struct gr_filter *filter, bool *ret)
{
	*ret = true;
	if (!filter)
		return NULL;
	*ret = match_cheap(p, g, filter);
	if (!*ret || !filter->have_match)
		return NULL;
	struct gr_lframe *f;
	size_t n;
	struct gc_error *err = gr_goroutine_frames(p, g, GR_MAX_GOROUTINE_FRAMES, &f, &n, NULL);
	if (err) {
		*ret = false;
		return err;
	}
	*ret = frames_match(filter->match, f, n);
	free(f);
	return NULL;
}

bool gr_filter_match(const struct gr_process *p, const struct gr_goroutine *g,
		     const struct gr_filter *filter)
{
	bool ok;
	gc_error_destroy(filter_match(p, g, filter, &ok));
	return ok;
}

struct gc_error *gr_filter_select(const struct gr_process *p, const struct gr_filter *filter,
				  const struct gr_goroutine ***ret, size_t *n_ret)
{
	*ret = NULL;
	*n_ret = 0;
	size_t total = gr_process_ngoroutines(p), n = 0;
	if (!total)
		return NULL;
	const struct gr_goroutine **v = malloc(total * sizeof(*v));
	if (!v)
		return &gc_error_nomem;
	for (size_t i = 0; i < total; i++) {
		const struct gr_goroutine *g = gr_process_goroutine(p, i);
		bool ok = false;
		struct gc_error *err = g ? filter_match(p, g, filter, &ok) : NULL;
		if (err) {
			free(v);
			return err;
		}
		if (ok)
			v[n++] = g;
	}
	if (!n) {
		free(v);
		return NULL;
	}
	*ret = v;
	*n_ret = n;
	return NULL;
}

/* ---- grouping ---- */

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

/* Content hashes of strings that live as long as the process (names and
 * files in the pclntab), cached by address: a million goroutines share a
 * few thousand of them.  Frames' own copies (generic names shortened to
 * "[...]") are hashed each time, since their addresses get reused. */
struct str_hash_cache {
	const char **key;
	uint64_t *val;
	size_t cap, n;
};

static uint64_t str_hash(struct str_hash_cache *hc, const char *s)
{
	if (hc->cap && hc->n * 2 < hc->cap) {
		size_t i = (size_t)(((uintptr_t)s * 0x9e3779b97f4a7c15ull) >> 20) & (hc->cap - 1);
		while (hc->key[i]) {
			if (hc->key[i] == s)
				return hc->val[i];
			i = (i + 1) & (hc->cap - 1);
		}
		uint64_t h = hash_str(0xcbf29ce484222325ull, s);
		hc->key[i] = s;
		hc->val[i] = h;
		hc->n++;
		return h;
	}
	return hash_str(0xcbf29ce484222325ull, s);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

static uint64_t stack_hash(struct str_hash_cache *hc, const char *state,
			   const struct gr_lframe *f, size_t n)
{
	uint64_t h = hash_str(0xcbf29ce484222325ull, state);
	for (size_t i = 0; i < n; i++) {
		bool stable = f[i].func == f[i].sym || !f[i].sym;
		h = mix(h, stable ? str_hash(hc, f[i].func)
				  : hash_str(0xcbf29ce484222325ull, f[i].func));
		h = mix(h, str_hash(hc, f[i].file));
		h = mix(h, (uint32_t)f[i].line);
	}
	return h;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || strcmp(a, b) == 0;
}

static uint64_t hash_mem(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

static uint64_t labels_hash(uint64_t h, const struct gr_labels *l)
{
	for (size_t i = 0; i < l->n; i++)
		h = hash_mem(hash_mem(h, l->v[i].key, l->v[i].key_len), l->v[i].value,
			     l->v[i].value_len);
	return mix(h, l->n);
}

static bool same_labels(const struct gr_labels *a, const struct gr_labels *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].key_len != b->v[i].key_len || a->v[i].value_len != b->v[i].value_len ||
		    memcmp(a->v[i].key, b->v[i].key, a->v[i].key_len) ||
		    memcmp(a->v[i].value, b->v[i].value, a->v[i].value_len))
			return false;
	return true;
}

/* The labels of g that split groups by (taken over by the group, or
 * freed). */
static struct gc_error *group_labels(const struct gr_process *p, const struct gr_goroutine *g,
				     const struct gr_group_by *by, struct gr_labels *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!by || (!by->all_labels && !by->label_key) || !g->labels)
		return NULL;
	struct gc_error *err = gr_goroutine_labels(p, g, ret);
	if (err || by->all_labels)
		return err;
	size_t keep = 0;
	for (size_t i = 0; i < ret->n; i++) {
		if (!keep && strcmp(ret->v[i].key, by->label_key) == 0) {
			ret->v[keep++] = ret->v[i];
		} else {
			free(ret->v[i].key);
			free(ret->v[i].value);
		}
	}
	ret->n = keep;
	return NULL;
}

static bool same_stack(const struct gr_group *gr, const char *state, const struct gr_lframe *f,
		       size_t n, const struct gr_labels *labels)
{
	if (gr->nframes != n || !same_str(gr->state, state) || !same_labels(&gr->labels, labels))
		return false;
	for (size_t i = 0; i < n; i++)
		if (gr->frames[i].line != f[i].line || !same_str(gr->frames[i].func, f[i].func) ||
		    strcmp(gr->frames[i].file, f[i].file))
			return false;
	return true;
}

struct group_build {
	struct gr_groups *gs;
	size_t stored;         /* frames kept by the groups (GR_MAX_GROUPED_FRAMES) */
	size_t cap;
	size_t *goid_cap;
	uint64_t *hashes;
	uint32_t *slots;       /* open addressing: group index + 1, 0 empty */
	size_t nslots;
	struct str_hash_cache hc;
};

static bool grow_slots(struct group_build *b)
{
	size_t nslots = b->nslots ? 2 * b->nslots : 256;
	uint32_t *slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return false;
	for (size_t i = 0; i < b->gs->n; i++) {
		size_t s = b->hashes[i] & (nslots - 1);
		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = (uint32_t)(i + 1);
	}
	free(b->slots);
	b->slots = slots;
	b->nslots = nslots;
	return true;
}

/* Adds g (frames f and labels, both taken over; its state, and h the hash
 * of state, frames and labels, computed by the caller) to its group. */
static struct gc_error *add_member(struct group_build *b, const struct gr_process *p,
				   const struct gr_goroutine *g, struct gr_lframe *f, size_t n,
				   unsigned flags, const char *state, struct gr_labels labels,
				   uint64_t h)
{
	/* Once the groups keep GR_MAX_GROUPED_FRAMES frames, a goroutine's
	 * stack is cut to what is left before it is grouped (so it may join a
	 * group of the same cut stack): only crafted cores get there. */
	if (n > GR_MAX_GROUPED_FRAMES - b->stored) {
		n = GR_MAX_GROUPED_FRAMES - b->stored;
		flags |= GR_FRAMES_BUDGET;
		h = labels_hash(stack_hash(&b->hc, state, f, n), &labels);
	}
	if ((b->gs->n + 1) * 2 > b->nslots && !grow_slots(b)) {
		free(f);
		gr_labels_free(&labels);
		return &gc_error_nomem;
	}
	size_t s = h & (b->nslots - 1);
	struct gr_group *gr = NULL;
	size_t gi;
	for (; b->slots[s]; s = (s + 1) & (b->nslots - 1)) {
		gi = b->slots[s] - 1;
		if (b->hashes[gi] == h && same_stack(&b->gs->v[gi], state, f, n, &labels)) {
			gr = &b->gs->v[gi];
			break;
		}
	}
	if (!gr) {
		if (b->gs->n == b->cap) {
			size_t cap = b->cap ? 2 * b->cap : 32;
			struct gr_group *v = realloc(b->gs->v, cap * sizeof(*v));
			if (v)
				b->gs->v = v;
			uint64_t *hs = v ? realloc(b->hashes, cap * sizeof(*hs)) : NULL;
			if (hs)
				b->hashes = hs;
			size_t *gc = hs ? realloc(b->goid_cap, cap * sizeof(*gc)) : NULL;
			if (!gc) {
				free(f);
				gr_labels_free(&labels);
				return &gc_error_nomem;
			}
			b->goid_cap = gc;
			b->cap = cap;
		}
		gi = b->gs->n++;
		gr = &b->gs->v[gi];
		*gr = (struct gr_group){.state = state, .frames = f, .nframes = n, .labels = labels};
		labels = (struct gr_labels){0};
		b->hashes[gi] = h;
		b->goid_cap[gi] = 0;
		b->slots[s] = (uint32_t)(gi + 1);
		b->stored += n;
		f = NULL;
	}
	free(f);
	gr_labels_free(&labels);
	if (gr->count == b->goid_cap[gi]) {
		size_t cap = gr->count ? 2 * gr->count : 4;
		uint64_t *v = realloc(gr->goids, cap * sizeof(*v));
		if (!v)
			return &gc_error_nomem;
		gr->goids = v;
		b->goid_cap[gi] = cap;
	}
	gr->goids[gr->count++] = g->goid;
	gr->unwind_flags |= flags;
	int64_t m;
	if (gr_goroutine_wait_minutes(p, g, &m)) {
		if (!gr->nwait_known || m < gr->wait_min)
			gr->wait_min = m;
		if (!gr->nwait_known || m > gr->wait_max)
			gr->wait_max = m;
		gr->nwait_known++;
	}
	b->gs->ngoroutines++;
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Goroutines come in goid order unless the caller gave its own: the
 * groups' goids are then sorted already. */
static bool sorted_u64(const uint64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (v[i] < v[i - 1])
			return false;
	return true;
}

static int cmp_group(const void *a, const void *b)
{
	const struct gr_group *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_u64(&x->goids[0], &y->goids[0]);
}

void gr_groups_destroy(struct gr_groups *groups)
{
	if (!groups)
		return;
	for (size_t i = 0; i < groups->n; i++) {
		free(groups->v[i].goids);
		free(groups->v[i].frames);
		gr_labels_free(&groups->v[i].labels);
	}
	free(groups->v);
	free(groups);
}

struct gc_error *gr_groups_build(const struct gr_process *p,
				 const struct gr_goroutine *const *gs, size_t n,
				 const struct gr_filter *filter, struct gr_groups **ret)
{
	return gr_groups_build_progress(p, gs, n, filter, NULL, NULL, ret);
}

struct gc_error *gr_groups_build_progress(const struct gr_process *p,
					  const struct gr_goroutine *const *gs, size_t n,
					  const struct gr_filter *filter,
					  gr_progress_fn *progress, void *progress_ctx,
					  struct gr_groups **ret)
{
	return gr_groups_build_by(p, gs, n, filter, NULL, progress, progress_ctx, ret);
}

/* Goroutines per chunk of the parallel walks (gc_parallel): each chunk's
 * frames are collected on some thread and taken in goid order. */
enum { GROUP_CHUNK = 256 };

struct walked {
	struct gr_lframe *f;
	size_t nf;
	unsigned flags;
	bool keep;
	/* Worked out on the worker's thread: the header state, the labels
	 * that split groups, and the hash of all three. */
	const char *state;
	struct gr_labels labels;
	uint64_t h;
};

struct group_run {
	const struct gr_process *p;
	const struct gr_goroutine *const *gs;
	size_t n;
	const struct gr_filter *filter;
	const struct gr_group_by *by;
	gr_progress_fn *progress;
	void *progress_ctx;
	struct group_build *b;
	size_t window;
	struct group_slot {
		struct walked w[GROUP_CHUNK];
		struct gc_error *err;
	} *slots;
	struct gc_error *err;
};

static const struct gr_goroutine *nth(const struct gr_process *p,
				      const struct gr_goroutine *const *gs, size_t i)
{
	return gs ? gs[i] : gr_process_goroutine(p, i);
}

/* Each worker's caches: string hashes, and the pc-line table's frames. */
struct group_worker {
	struct str_hash_cache hc;
	struct gr_frames_cache *fc;
};

static void *group_worker_init(void *ctx)
{
	struct group_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->hc.key = calloc(1u << 16, sizeof(*w->hc.key));
	w->hc.val = calloc(1u << 16, sizeof(*w->hc.val));
	w->hc.cap = 1u << 16;
	if (!w->hc.key || !w->hc.val || gr_frames_cache_create(&w->fc)) {
		free(w->hc.key);
		free(w->hc.val);
		free(w);
		return NULL;
	}
	return w;
}

static void group_worker_fini(void *ctx, void *worker)
{
	struct group_worker *w = worker;
	free(w->hc.key);
	free(w->hc.val);
	gr_frames_cache_destroy(w->fc);
	free(w);
}

static bool group_work(void *ctx, void *worker, size_t chunk)
{
	struct group_run *r = ctx;
	struct group_worker *gw = worker;
	struct str_hash_cache *hc = &gw->hc;
	struct group_slot *s = &r->slots[chunk % r->window];
	size_t lo = chunk * GROUP_CHUNK, hi = lo + GROUP_CHUNK < r->n ? lo + GROUP_CHUNK : r->n;
	s->err = NULL;
	for (size_t i = lo; i < hi; i++) {
		struct walked *w = &s->w[i - lo];
		*w = (struct walked){0};
		if (s->err)
			continue;
		const struct gr_goroutine *g = nth(r->p, r->gs, i);
		if (!g || (r->filter && !match_cheap(r->p, g, r->filter)))
			continue;
		if ((s->err = gr_goroutine_frames_cached(r->p, g, GR_MAX_GOROUTINE_FRAMES, gw->fc,
							 &w->f, &w->nf, &w->flags)))
			continue;
		if (r->filter && r->filter->have_match && !frames_match(r->filter->match, w->f, w->nf)) {
			free(w->f);
			w->f = NULL;
			continue;
		}
		if ((s->err = group_labels(r->p, g, r->by, &w->labels)))
			continue;
		w->state = gr_goroutine_state(r->p, g);
		w->h = labels_hash(stack_hash(hc, w->state, w->f, w->nf), &w->labels);
		w->keep = true;
	}
	return true;
}

static bool group_emit(void *ctx, size_t chunk)
{
	struct group_run *r = ctx;
	struct group_slot *s = &r->slots[chunk % r->window];
	size_t lo = chunk * GROUP_CHUNK, hi = lo + GROUP_CHUNK < r->n ? lo + GROUP_CHUNK : r->n;
	if (r->progress)
		r->progress(r->progress_ctx, lo, r->n);
	for (size_t i = lo; i < hi; i++) {
		struct walked *w = &s->w[i - lo];
		if (w->keep && !r->err) {
			r->err = add_member(r->b, r->p, nth(r->p, r->gs, i), w->f, w->nf, w->flags,
					    w->state, w->labels, w->h);
		} else {
			free(w->f);
			gr_labels_free(&w->labels);
		}
		w->f = NULL;
		w->labels = (struct gr_labels){0};
	}
	if (s->err && !r->err)
		r->err = s->err;
	return !r->err;
}

struct gc_error *gr_groups_build_by(const struct gr_process *p,
				    const struct gr_goroutine *const *gs, size_t n,
				    const struct gr_filter *filter, const struct gr_group_by *by,
				    gr_progress_fn *progress, void *progress_ctx,
				    struct gr_groups **ret)
{
	return gr_groups_build_jobs(p, gs, n, filter, by, 1, progress, progress_ctx, ret);
}

struct gc_error *gr_groups_build_jobs(const struct gr_process *p,
				      const struct gr_goroutine *const *gs, size_t n,
				      const struct gr_filter *filter, const struct gr_group_by *by,
				      unsigned jobs, gr_progress_fn *progress, void *progress_ctx,
				      struct gr_groups **ret)
{
	*ret = NULL;
	struct gr_groups *groups = calloc(1, sizeof(*groups));
	if (!groups)
		return &gc_error_nomem;
	gopclntab_pc_range(gr_process_pclntab(p), &groups->text_lo, &groups->text_hi);
	struct group_build b = {.gs = groups};
	b.hc.key = calloc(1u << 16, sizeof(*b.hc.key));
	b.hc.val = calloc(1u << 16, sizeof(*b.hc.val));
	b.hc.cap = 1u << 16;
	struct gc_error *err = b.hc.key && b.hc.val ? NULL : &gc_error_nomem;
	if (!gs)
		n = gr_process_ngoroutines(p);
	struct group_run r = {
		.p = p, .gs = gs, .n = n, .filter = filter, .by = by, .progress = progress,
		.progress_ctx = progress_ctx, .b = &b, .window = jobs > 1 ? 4 * (size_t)jobs : 1,
	};
	if (!err && !(r.slots = calloc(r.window, sizeof(*r.slots))))
		err = &gc_error_nomem;
	if (!err) {
		struct gc_parallel pl = {
			.nchunks = (n + GROUP_CHUNK - 1) / GROUP_CHUNK, .jobs = jobs,
			.window = r.window, .ctx = &r, .worker_init = group_worker_init,
			.worker_fini = group_worker_fini, .work = group_work, .emit = group_emit,
		};
		if (!gc_parallel_run(&pl))
			err = r.err ? r.err : &gc_error_nomem;
		/* What a stopped run left in the slots. */
		for (size_t k = 0; k < r.window; k++)
			for (size_t i = 0; i < GROUP_CHUNK; i++) {
				free(r.slots[k].w[i].f);
				gr_labels_free(&r.slots[k].w[i].labels);
			}
		free(r.slots);
	}
	free(b.hashes);
	free(b.slots);
	free(b.hc.key);
	free(b.hc.val);
	free(b.goid_cap);
	if (err) {
		gr_groups_destroy(groups);
		return err;
	}
	for (size_t i = 0; i < groups->n; i++)
		if (!sorted_u64(groups->v[i].goids, groups->v[i].count))
			qsort(groups->v[i].goids, groups->v[i].count, sizeof(uint64_t), cmp_u64);
	if (groups->n)
		qsort(groups->v, groups->n, sizeof(*groups->v), cmp_group);
	*ret = groups;
	return NULL;
}

/* ---- text ---- */

enum { GOIDS_ALL = 20, GOIDS_HEAD = 10, GOIDS_TAIL = 3 };

bool gr_groups_print_text(const struct gr_groups *groups, FILE *out)
{
	for (size_t i = 0; i < groups->n; i++) {
		const struct gr_group *gr = &groups->v[i];
		if (i)
			fputc('\n', out);
		fprintf(out, "%zu goroutine%s [%s", gr->count, gr->count == 1 ? "" : "s",
			gr->state);
		if (gr->nwait_known && gr->wait_max >= 1) {
			if (gr->wait_min == gr->wait_max)
				fprintf(out, ", %" PRId64 " minutes", gr->wait_max);
			else
				fprintf(out, ", %" PRId64 "-%" PRId64 " minutes", gr->wait_min,
					gr->wait_max);
		}
		fputc(']', out);
		if (gr->labels.n) {
			/* As Go 1.27's headers show labels: quoted where needed. */
			struct obuf ob = {0};
			ob_str(&ob, " {");
			for (size_t k = 0; k < gr->labels.n; k++) {
				const struct gr_label *l = &gr->labels.v[k];
				if (k)
					ob_str(&ob, ", ");
				if (gr_string_needs_quoting(l->key, l->key_len))
					gr_append_quoted(&ob, l->key, l->key_len, 27);
				else
					ob_mem(&ob, l->key, l->key_len);
				ob_str(&ob, ": ");
				if (gr_string_needs_quoting(l->value, l->value_len))
					gr_append_quoted(&ob, l->value, l->value_len, 27);
				else
					ob_mem(&ob, l->value, l->value_len);
			}
			ob_char(&ob, '}');
			ob_flush(&ob, out);
			ob_free(&ob);
		}
		fputc(':', out);
		for (size_t k = 0; k < gr->count; k++) {
			if (gr->count > GOIDS_ALL && k == GOIDS_HEAD) {
				fputs(" ...", out);
				k = gr->count - GOIDS_TAIL;
			}
			fprintf(out, " %" PRIu64, gr->goids[k]);
		}
		fputc('\n', out);
		for (size_t k = 0; k < gr->nframes; k++) {
			const struct gr_lframe *f = &gr->frames[k];
			fprintf(out, "\t%s(%s)\n\t\t%s:%" PRId32 "\n", f->func,
				f->inlined ? "..." : "", f->file, f->line);
		}
		const char *why = gr_stack_gap(gr->unwind_flags);
		if (why)
			fprintf(out, "\t%s\n", why);
	}
	return !ferror(out);
}

/* ---- JSON ---- */

/* Length of the valid UTF-8 sequence at s (RFC 3629), 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t min, cp;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, min = 0x80, cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, min = 0x800, cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, min = 0x10000, cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)   /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void gr_json_string(FILE *out, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	fputc('"', out);
	while (*u) {
		unsigned char c = *u;
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			u++;
			continue;
		}
		if (c < 0x20) {
			switch (c) {
			case '\n': fputs("\\n", out); break;
			case '\t': fputs("\\t", out); break;
			case '\r': fputs("\\r", out); break;
			case '\b': fputs("\\b", out); break;
			case '\f': fputs("\\f", out); break;
			default: fprintf(out, "\\u%04x", c); break;
			}
			u++;
			continue;
		}
		size_t n = utf8_len(u);
		if (!n) {
			fputs("\\ufffd", out);
			u++;
			continue;
		}
		fwrite(u, 1, n, out);
		u += n;
	}
	fputc('"', out);
}

bool gr_groups_write_json(const struct gr_groups *groups, FILE *out)
{
	fputc('[', out);
	for (size_t i = 0; i < groups->n; i++) {
		const struct gr_group *gr = &groups->v[i];
		fprintf(out, "%s{\"count\":%zu,\"state\":", i ? ",\n" : "\n", gr->count);
		gr_json_string(out, gr->state);
		fputs(",\"labels\":{", out);
		for (size_t k = 0; k < gr->labels.n; k++) {
			fputs(k ? "," : "", out);
			gr_json_string(out, gr->labels.v[k].key);
			fputc(':', out);
			gr_json_string(out, gr->labels.v[k].value);
		}
		fputs("},\"goids\":[", out);
		for (size_t k = 0; k < gr->count; k++)
			fprintf(out, "%s%" PRIu64, k ? "," : "", gr->goids[k]);
		fprintf(out, "],\"wait_minutes_min\":%" PRId64 ",\"wait_minutes_max\":%" PRId64
			",\"partial\":%s,\"frames\":[",
			gr->wait_min, gr->wait_max, gr->unwind_flags ? "true" : "false");
		for (size_t k = 0; k < gr->nframes; k++) {
			const struct gr_lframe *f = &gr->frames[k];
			fputs(k ? ",{\"func\":" : "{\"func\":", out);
			gr_json_string(out, f->func);
			fputs(",\"file\":", out);
			gr_json_string(out, f->file);
			fprintf(out, ",\"line\":%" PRId32 "}", f->line);
		}
		fputs("]}", out);
	}
	fputs(groups->n ? "\n]\n" : "]\n", out);
	return !ferror(out);
}

/* Only allocation failure is an error (the object is still complete). */
static struct gc_error *write_goroutine_json(const struct gr_process *p,
					     const struct gr_goroutine *g,
					     const struct gr_lframe *f, size_t n, unsigned flags,
					     gr_json_extra_fn *extra, void *extra_ctx, FILE *out)
{
	uint32_t st = g->status & ~(uint32_t)GR_GSCAN;
	fprintf(out, "{\"id\":%" PRIu64 ",\"state\":", g->goid);
	gr_json_string(out, gr_goroutine_state(p, g));
	const char *reason = "";
	bool waiting = st == GR_GWAITING || (gr_process_go_minor(p) >= 26 && st == GR_GLEAKED);
	if (waiting && g->waitreason)
		reason = gr_process_waitreason(p, g->waitreason);
	fputs(",\"wait_reason\":", out);
	gr_json_string(out, reason);
	int64_t minutes;
	gr_goroutine_wait_minutes(p, g, &minutes);
	fprintf(out, ",\"wait_minutes\":%" PRId64 ",\"locked_to_thread\":%s,\"created_by\":",
		minutes, g->lockedm ? "true" : "false");
	const char *cfunc, *cfile;
	int32_t cline;
	uint64_t cgoid;
	if (gr_goroutine_created_by(p, g, &cfunc, &cfile, &cline, &cgoid)) {
		char buf[512];
		size_t len = gr_func_display_name(cfunc, buf, sizeof(buf));
		char *name = buf;
		if (len >= sizeof(buf) && (name = malloc(len + 1)))
			gr_func_display_name(cfunc, name, len + 1);
		fputs("{\"func\":", out);
		gr_json_string(out, name ? name : buf);
		if (name && name != buf)
			free(name);
		fputs(",\"file\":", out);
		gr_json_string(out, cfile);
		fprintf(out, ",\"line\":%" PRId32 ",\"goid\":", cline);
		if (cgoid)
			fprintf(out, "%" PRIu64 "}", cgoid);
		else
			fputs("null}", out);
	} else {
		fputs("null", out);
	}
	fputs(",\"labels\":{", out);
	struct gr_labels l;
	struct gc_error *err = gr_goroutine_labels(p, g, &l);
	for (size_t k = 0; k < l.n; k++) {
		if (k)
			fputc(',', out);
		gr_json_string(out, l.v[k].key);
		fputc(':', out);
		gr_json_string(out, l.v[k].value);
	}
	gr_labels_free(&l);
	fputs("},\"bubble\":", out);
	uint64_t bubble;
	if (gr_goroutine_bubble_id(p, g, &bubble))
		fprintf(out, "%" PRIu64, bubble);
	else
		fputs("null", out);
	fprintf(out, ",\"durable\":%s,\"leaked\":%s,\"frames\":[",
		gr_goroutine_durable(p, g) ? "true" : "false",
		gr_goroutine_leaked(p, g) ? "true" : "false");
	for (size_t k = 0; k < n; k++) {
		fputs(k ? ",{\"func\":" : "{\"func\":", out);
		gr_json_string(out, f[k].func);
		fputs(",\"file\":", out);
		gr_json_string(out, f[k].file);
		fprintf(out, ",\"line\":%" PRId32 ",\"pc\":\"0x%" PRIx64 "\",\"sp\":\"0x%" PRIx64
			"\",\"inlined\":%s}", f[k].line, f[k].pc, f[k].sp,
			f[k].inlined ? "true" : "false");
	}
	const char *gap = gr_stack_gap(flags);
	fprintf(out, "],\"partial\":%s", gap ? "true" : "false");
	if (gap) {
		fputs(",\"gap\":", out);
		gr_json_string(out, gap);
	}
	if (extra)
		extra(extra_ctx, g, out);
	fputc('}', out);
	return err;
}

struct gc_error *gr_write_goroutines_json(const struct gr_process *p,
					  const struct gr_goroutine *const *gs, size_t n,
					  FILE *out)
{
	return gr_write_goroutines_json_gaps(p, gs, n, out, NULL, NULL);
}

struct gc_error *gr_write_goroutines_json_gaps(const struct gr_process *p,
					       const struct gr_goroutine *const *gs, size_t n,
					       FILE *out, gr_gap_fn *on_gap, void *gap_ctx)
{
	return gr_write_goroutines_json_jobs(p, gs, n, 1, out, on_gap, gap_ctx);
}

struct json_run {
	const struct gr_process *p;
	const struct gr_goroutine *const *gs;
	size_t n;
	FILE *out;
	gr_gap_fn *on_gap;
	void *gap_ctx;
	gr_json_extra_fn *extra;
	void *extra_ctx;
	size_t window;
	struct json_slot {
		char *text;
		size_t len;
		unsigned flags[GROUP_CHUNK];
		struct gc_error *err;
	} *slots;
	struct gc_error *err;
	bool write_failed;
};

static void *json_worker_init(void *ctx)
{
	struct gr_frames_cache *fc;
	return gr_frames_cache_create(&fc) ? NULL : fc;
}

static void json_worker_fini(void *ctx, void *worker)
{
	gr_frames_cache_destroy(worker);
}

static bool json_work(void *ctx, void *worker, size_t chunk)
{
	struct json_run *r = ctx;
	struct json_slot *s = &r->slots[chunk % r->window];
	size_t lo = chunk * GROUP_CHUNK, hi = lo + GROUP_CHUNK < r->n ? lo + GROUP_CHUNK : r->n;
	free(s->text);
	s->text = NULL;
	s->len = 0;
	s->err = NULL;
	FILE *mem = open_memstream(&s->text, &s->len);
	if (!mem) {
		s->err = &gc_error_nomem;
		return true;
	}
	for (size_t i = lo; i < hi && !s->err; i++) {
		struct gr_lframe *f;
		size_t nf;
		unsigned flags;
		if ((s->err = gr_goroutine_frames_cached(r->p, r->gs[i], GR_MAX_GOROUTINE_FRAMES,
							 worker, &f, &nf, &flags)))
			break;
		fputs(i ? ",\n" : "\n", mem);
		s->err = write_goroutine_json(r->p, r->gs[i], f, nf, flags, r->extra, r->extra_ctx,
					      mem);
		free(f);
		s->flags[i - lo] = flags;
	}
	if (fclose(mem) != 0 && !s->err)
		s->err = &gc_error_nomem;
	return true;
}

static bool json_emit(void *ctx, size_t chunk)
{
	struct json_run *r = ctx;
	struct json_slot *s = &r->slots[chunk % r->window];
	if (s->err) {
		r->err = s->err;
		return false;
	}
	size_t lo = chunk * GROUP_CHUNK, hi = lo + GROUP_CHUNK < r->n ? lo + GROUP_CHUNK : r->n;
	if (s->len && fwrite(s->text, 1, s->len, r->out) != s->len)
		r->write_failed = true;
	for (size_t i = lo; i < hi && r->on_gap; i++)
		if (gr_stack_gap(s->flags[i - lo]))
			r->on_gap(r->gap_ctx, r->gs[i], s->flags[i - lo]);
	if (ferror(r->out))
		r->write_failed = true;
	return !r->write_failed;
}

struct gc_error *gr_write_goroutines_json_jobs(const struct gr_process *p,
					       const struct gr_goroutine *const *gs, size_t n,
					       unsigned jobs, FILE *out, gr_gap_fn *on_gap,
					       void *gap_ctx)
{
	return gr_write_goroutines_json_extra(p, gs, n, jobs, out, on_gap, gap_ctx, NULL, NULL);
}

struct gc_error *gr_write_goroutines_json_extra(const struct gr_process *p,
						const struct gr_goroutine *const *gs, size_t n,
						unsigned jobs, FILE *out, gr_gap_fn *on_gap,
						void *gap_ctx, gr_json_extra_fn *extra,
						void *extra_ctx)
{
	struct json_run r = {
		.p = p, .gs = gs, .n = n, .out = out, .on_gap = on_gap, .gap_ctx = gap_ctx,
		.extra = extra, .extra_ctx = extra_ctx,
		.window = jobs > 1 ? 4 * (size_t)jobs : 1,
	};
	r.slots = calloc(r.window, sizeof(*r.slots));
	if (!r.slots)
		return &gc_error_nomem;
	fputc('[', out);
	struct gc_parallel pl = {
		.nchunks = (n + GROUP_CHUNK - 1) / GROUP_CHUNK, .jobs = jobs, .window = r.window,
		.ctx = &r, .worker_init = json_worker_init, .worker_fini = json_worker_fini,
		.work = json_work, .emit = json_emit,
	};
	bool ok = gc_parallel_run(&pl);
	for (size_t k = 0; k < r.window; k++)
		free(r.slots[k].text);
	free(r.slots);
	if (r.err)
		return r.err;
	if (!ok && !r.write_failed)
		return &gc_error_nomem;
	if (ok)
		fputs(n ? "\n]\n" : "]\n", out);
	if (ferror(out))
		return gc_error_create(GC_ERR_IO, "writing the goroutines' JSON failed");
	return NULL;
}
