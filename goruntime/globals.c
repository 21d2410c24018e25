/* Finding the runtime's globals from the code that uses them.  See
 * globals.h. */
#include "globals.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define MAX_CODE (64u << 10)   /* bytes of one function decoded */
#define MAX_SCAN (64u << 20)   /* bytes of data scanned for buildVersion */
#define MAX_ALLGLEN (1u << 28)
#define MAX_MS 100000          /* m.alllink steps */
#define CHECK_GS 64            /* allgs entries checked */
#define NO_OFF UINT64_MAX

/* ---- the globals a function references ---- */

struct refs {
	uint64_t *v;
	size_t n, cap;
	/* For waitReason.String: the bound of its first compare with an
	 * immediate, -1 if none. */
	int64_t bound;
};

static void refs_free(struct refs *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static bool refs_has(const struct refs *r, uint64_t a)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i] == a)
			return true;
	return false;
}

static struct gc_error *refs_add(struct refs *r, uint64_t a)
{
	if (refs_has(r, a))
		return NULL;
	if (r->n == r->cap) {
		size_t nc = r->cap ? 2 * r->cap : 32;
		uint64_t *v = realloc(r->v, nc * sizeof(*v));
		if (!v)
			return &gc_error_nomem;
		r->v = v;
		r->cap = nc;
	}
	r->v[r->n++] = a;
	return NULL;
}

struct finder {
	const struct gr_arch *arch;
	const struct gopclntab *t;
	const struct gc_addrspace *as;
	const struct gr_range *data;
	size_t ndata;
	uint8_t *code;  /* MAX_CODE bytes */
	char missing[256];  /* names of the functions not in the binary */
};

static bool in_data(const struct finder *f, uint64_t addr, uint64_t len)
{
	for (size_t i = 0; i < f->ndata; i++)
		if (addr >= f->data[i].start && addr <= f->data[i].end &&
		    len <= f->data[i].end - addr)
			return true;
	return false;
}

struct ref_ctx {
	const struct finder *f;
	struct refs *r;
	struct gc_error *err;
};

static bool add_ref(void *vctx, uint64_t addr)
{
	struct ref_ctx *c = vctx;
	if (!in_data(c->f, addr, 1))
		return true;
	c->err = refs_add(c->r, addr);
	return !c->err;
}

/* Adds to r the data addresses inside the data ranges of the function
 * named name.  A function the binary lacks adds nothing (and is noted). */
static struct gc_error *func_refs(struct finder *f, const char *name, struct refs *r)
{
	struct gopclntab_func fn;
	if (!gopclntab_find_func_by_name(f->t, name, &fn) || fn.end <= fn.entry) {
		size_t used = strlen(f->missing);
		if (strstr(f->missing, name))
			return NULL;
		snprintf(f->missing + used, sizeof(f->missing) - used, "%s%s",
			 used ? ", " : "", name);
		return NULL;
	}
	uint64_t size = fn.end - fn.entry;
	if (size > MAX_CODE)
		size = MAX_CODE;
	/* Text is file-backed: read what is there, up to the first hole. */
	size_t got = 0;
	while (got < size) {
		size_t len = 0;
		const uint8_t *p = gc_addrspace_span(f->as, fn.entry + got, size - got, &len);
		if (!p || !len)
			break;
		memcpy(f->code + got, p, len);
		got += len;
	}
	struct ref_ctx rc = {f, r, NULL};
	int64_t *bound = r->bound < 0 ? &r->bound : NULL;
	f->arch->code_refs(f->code, got, fn.entry, add_ref, &rc, bound);
	return rc.err;
}

static struct gc_error *funcs_refs(struct finder *f, const char *const *names, size_t n,
				   struct refs *r)
{
	for (size_t i = 0; i < n; i++) {
		struct gc_error *err = func_refs(f, names[i], r);
		if (err)
			return err;
	}
	return NULL;
}

/* ---- memory helpers ---- */

static bool u64_at(const struct finder *f, uint64_t addr, uint64_t *ret)
{
	return gc_addrspace_u64(f->as, addr, ret);
}

/* Whether [addr, addr+len) is all readable, walking the ranges. */
static bool readable(const struct finder *f, uint64_t addr, uint64_t len)
{
	while (len) {
		size_t got = 0;
		size_t want = len > (1u << 30) ? (1u << 30) : (size_t)len;
		if (!gc_addrspace_span(f->as, addr, want, &got) || !got)
			return false;
		addr += got;
		len -= got;
	}
	return true;
}

/* A Go string header at addr whose bytes are 1..max printable ASCII; copied
 * NUL-terminated into buf (of max+1 bytes).  An empty string is accepted
 * when allow_empty. */
static bool printable_string(const struct finder *f, uint64_t addr, char *buf, size_t max,
			     bool allow_empty)
{
	uint64_t ptr, len;
	if (!u64_at(f, addr, &ptr) || !u64_at(f, addr + 8, &len))
		return false;
	if (len == 0) {
		buf[0] = '\0';
		return allow_empty;
	}
	if (len > max || gc_addrspace_read(f->as, ptr, buf, (size_t)len) != GC_READ_OK)
		return false;
	for (size_t i = 0; i < len; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return false;
	buf[len] = '\0';
	return true;
}

/* ---- runtime.g and runtime.m ---- */

struct offs {
	uint64_t gsize, lo, hi, status, goid, gm;
	uint64_t msize, g0, alllink;
};

static bool learn_offs(const struct gr_layouts *l, struct offs *o)
{
	if (!l)
		return false;
	const struct gr_struct *g = gr_layouts_struct(l, "runtime.g");
	const struct gr_struct *m = gr_layouts_struct(l, "runtime.m");
	if (!g || !m || g->size == 0 || g->size > 4096 || m->size == 0 || m->size > 16384)
		return false;
	o->gsize = g->size;
	o->msize = m->size;
	return gr_layouts_offset(l, "runtime.g", "stack.lo", &o->lo) &&
	       gr_layouts_offset(l, "runtime.g", "stack.hi", &o->hi) &&
	       gr_layouts_offset(l, "runtime.g", "atomicstatus", &o->status) &&
	       gr_layouts_offset(l, "runtime.g", "goid", &o->goid) &&
	       gr_layouts_offset(l, "runtime.g", "m", &o->gm) &&
	       gr_layouts_offset(l, "runtime.m", "g0", &o->g0) &&
	       gr_layouts_offset(l, "runtime.m", "alllink", &o->alllink) &&
	       o->lo + 8 <= o->gsize && o->hi + 8 <= o->gsize && o->status + 4 <= o->gsize &&
	       o->goid + 8 <= o->gsize && o->gm + 8 <= o->gsize &&
	       o->g0 + 8 <= o->msize && o->alllink + 8 <= o->msize;
}

struct gview {
	uint64_t lo, hi, goid, m;
	uint32_t status;
};

/* Reads the g at addr; false unless it is plausible: 8-aligned, readable,
 * a known status (_Gidle.._Gdeadextra, maybe with _Gscan), and a stack
 * with lo < hi no larger than 1 GiB (the runtime's maxstacksize), or no
 * stack for a dead g (gfput frees odd-sized stacks) or when stackless_ok
 * (the g0 of a cgo extra M, malg(-1), has none until needm). */
static bool read_g(const struct finder *f, const struct offs *o, uint64_t addr,
		   bool stackless_ok, struct gview *g)
{
	uint8_t buf[4096];
	if (!addr || addr % 8 || gc_addrspace_read(f->as, addr, buf, o->gsize) != GC_READ_OK)
		return false;
	memcpy(&g->lo, buf + o->lo, 8);
	memcpy(&g->hi, buf + o->hi, 8);
	memcpy(&g->goid, buf + o->goid, 8);
	memcpy(&g->m, buf + o->gm, 8);
	memcpy(&g->status, buf + o->status, 4);
	uint32_t st = g->status & ~0x1000u;
	if (st > 11)
		return false;
	if ((st == 6 || stackless_ok) && g->lo == 0 && g->hi == 0)
		return true;
	return g->lo < g->hi && g->hi - g->lo <= (1u << 30);
}

/* ---- allgs and allglen ---- */

struct slice {
	uint64_t ptr, len, cap;
};

/* need_g1: allgs[0] must be goroutine 1 (see find_allgs). */
static bool valid_allgs(const struct finder *f, const struct offs *o, uint64_t addr,
			bool need_g1, struct slice *s)
{
	if (addr % 8 || !in_data(f, addr, 24) || !u64_at(f, addr, &s->ptr) ||
	    !u64_at(f, addr + 8, &s->len) || !u64_at(f, addr + 16, &s->cap))
		return false;
	if (s->len == 0 || s->len > s->cap || s->cap > MAX_ALLGLEN || !s->ptr || s->ptr % 8 ||
	    !readable(f, s->ptr, s->len * 8))
		return false;
	uint64_t goids[CHECK_GS + 1];
	size_t n = 0;
	for (uint64_t i = 0; i < s->len && n <= CHECK_GS; i++) {
		if (i == CHECK_GS)
			i = s->len - 1;  /* and the last one */
		uint64_t gp;
		struct gview g;
		if (!u64_at(f, s->ptr + 8 * i, &gp) || !read_g(f, o, gp, false, &g))
			return false;
		if (i == 0 && need_g1 && g.goid != 1)
			return false;
		if (g.goid == 0 && (g.status & ~0x1000u) != 6)
			return false;
		for (size_t k = 0; k < n; k++)
			if (g.goid && goids[k] == g.goid)
				return false;
		goids[n++] = g.goid;
	}
	return true;
}

static const char *const allgs_funcs[] = {
	"runtime.allgadd", "runtime.forEachG", "runtime.forEachGRace", "runtime.checkdead",
};

static struct gc_error *find_allgs(struct finder *f, const struct offs *o,
				   struct gr_globals *ret, struct slice *s)
{
	struct refs all = {.bound = 0}, race = {.bound = 0};
	struct gc_error *err;
	if ((err = funcs_refs(f, allgs_funcs, 4, &all)) ||
	    (err = func_refs(f, "runtime.forEachGRace", &race)))
		goto out;
	for (size_t i = 0; i < all.n && !ret->allgs; i++)
		if (valid_allgs(f, o, all.v[i], true, s))
			ret->allgs = all.v[i];
	/* In a c-archive or c-shared library runtime.main returns at once
	 * (islibrary/isarchive), and goroutine 1's g is reused by a later
	 * goroutine: allgs[0] has another goid.  Then the slice must instead
	 * agree with allgptr, the other word forEachGRace reads
	 * (atomicAllG: allgptr == &allgs[0]). */
	for (size_t i = 0; i < all.n && !ret->allgs; i++) {
		if (!valid_allgs(f, o, all.v[i], false, s))
			continue;
		for (size_t k = 0; k < race.n && !ret->allgs; k++) {
			uint64_t a = race.v[k], v;
			if (a != all.v[i] && a % 8 == 0 && in_data(f, a, 8) && u64_at(f, a, &v) &&
			    v == s->ptr)
				ret->allgs = all.v[i];
		}
	}
	if (!ret->allgs)
		goto out;
	/* allglen: forEachGRace reads only it and allgptr (atomicAllG); allgadd
	 * also touches allglock, whose key could by chance equal len. */
	int best = 0;
	for (size_t i = 0; i < all.n; i++) {
		uint64_t a = all.v[i], v;
		if (a % 8 || (a >= ret->allgs && a < ret->allgs + 24) || !in_data(f, a, 8) ||
		    !u64_at(f, a, &v) || (v != s->len && v + 1 != s->len))
			continue;
		int score = 1 + 2 * refs_has(&race, a) + (v == s->len);
		if (score > best) {
			best = score;
			ret->allglen = a;
		}
	}
out:
	refs_free(&all);
	refs_free(&race);
	return err;
}

/* Goids of allgs, for sched: the largest one, 0 when unreadable. */
static uint64_t max_goid(const struct finder *f, const struct offs *o, const struct slice *s)
{
	if (s->len > (1u << 20))
		return 0;
	uint64_t max = 0;
	for (uint64_t i = 0; i < s->len; i++) {
		uint64_t gp, goid;
		if (!u64_at(f, s->ptr + 8 * i, &gp) || !u64_at(f, gp + o->goid, &goid))
			return 0;
		if (goid > max)
			max = goid;
	}
	return max;
}

/* ---- allm ---- */

static bool valid_allm(const struct finder *f, const struct offs *o, uint64_t addr)
{
	uint64_t m;
	if (addr % 8 || !in_data(f, addr, 8) || !u64_at(f, addr, &m) || !m)
		return false;
	for (size_t n = 0; m; n++) {
		uint64_t g0;
		struct gview g;
		if (n == MAX_MS || m % 8 || !readable(f, m, o->msize) ||
		    !u64_at(f, m + o->g0, &g0) || !read_g(f, o, g0, true, &g) || g.goid != 0 ||
		    g.m != m || !u64_at(f, m + o->alllink, &m))
			return false;
	}
	return true;
}

static const char *const allm_funcs[] = {
	"runtime.mcommoninit", "runtime.mexit", "runtime.schedtrace",
};

static struct gc_error *find_allm(struct finder *f, const struct offs *o,
				  struct gr_globals *ret)
{
	struct refs r = {.bound = 0};
	struct gc_error *err = funcs_refs(f, allm_funcs, 3, &r);
	for (size_t i = 0; !err && i < r.n && !ret->allm; i++)
		if (valid_allm(f, o, r.v[i]))
			ret->allm = r.v[i];
	refs_free(&r);
	return err;
}

/* ---- allp ---- */

/* allp []*p: 1 <= len <= cap <= 1<<16, and every allp[i] a readable p
 * whose id (p's first field, an int32, in every release) is i and whose
 * status is _Pidle.._Pdead (0..4). */
static bool valid_allp(const struct finder *f, uint64_t addr)
{
	uint64_t ptr, len, cap;
	if (addr % 8 || !in_data(f, addr, 24) || !u64_at(f, addr, &ptr) ||
	    !u64_at(f, addr + 8, &len) || !u64_at(f, addr + 16, &cap) || len == 0 ||
	    len > cap || cap > (1u << 16) || ptr % 8)
		return false;
	for (uint64_t i = 0; i < len; i++) {
		uint64_t pp, w;
		if (!u64_at(f, ptr + 8 * i, &pp) || !pp || pp % 8 || !u64_at(f, pp, &w) ||
		    (uint32_t)w != i || (w >> 32) > 4)
			return false;
	}
	return true;
}

static const char *const allp_funcs[] = {"runtime.procresize", "runtime.forEachP"};

static struct gc_error *find_allp(struct finder *f, struct gr_globals *ret)
{
	struct refs r = {.bound = 0};
	struct gc_error *err = funcs_refs(f, allp_funcs, 2, &r);
	for (size_t i = 0; !err && i < r.n && !ret->allp; i++)
		if (valid_allp(f, r.v[i]))
			ret->allp = r.v[i];
	refs_free(&r);
	return err;
}

/* ---- sched ---- */

static const char *const lock_funcs[] = {"runtime.mcommoninit", "runtime.stopm"};

static struct gc_error *find_sched(struct finder *f, const struct gr_layouts *l, int minor,
				   uint64_t maxgoid, struct gr_globals *ret)
{
	/* schedt starts {goidgen, lastpoll, pollUntil uint64; lock mutex} in
	 * go1.17-1.24; go1.25 put pollingNet int32 before lock. */
	uint64_t goidgen = 0, locks_at[2] = {24, 32};
	size_t nlock = 2;
	if (l && gr_layouts_struct(l, "runtime.schedt")) {
		if (!gr_layouts_offset(l, "runtime.schedt", "goidgen", &goidgen) ||
		    !gr_layouts_offset(l, "runtime.schedt", "lock", &locks_at[0]))
			return NULL;
		nlock = 1;
	} else if (minor >= 25) {
		locks_at[0] = 32;
		nlock = 1;
	} else if (minor >= 17) {
		nlock = 1;
	}
	struct refs gen = {.bound = 0}, locks = {.bound = 0};
	struct gc_error *err;
	if ((err = func_refs(f, "runtime.newproc1", &gen)) ||
	    (err = funcs_refs(f, lock_funcs, 2, &locks)))
		goto out;
	for (size_t i = 0; i < gen.n && !ret->sched; i++) {
		uint64_t a = gen.v[i], v;
		if (a % 8 || a < goidgen || !u64_at(f, a, &v) || v == 0 ||
		    (maxgoid && (v < maxgoid || v - maxgoid >= (1u << 20))))
			continue;
		for (size_t k = 0; k < nlock && !ret->sched; k++)
			if (refs_has(&locks, a - goidgen + locks_at[k]) &&
			    in_data(f, a - goidgen, locks_at[k] + 8))
				ret->sched = a - goidgen;
	}
out:
	refs_free(&gen);
	refs_free(&locks);
	return err;
}

/* ---- waitReasonStrings ---- */

/* len(waitReasonStrings) per release (go-runtime-facts.md §4.2); 0 when
 * not known.  Two sizes for 1.23: 1.23.4 appended one. */
static void facts_nwaitreasons(int minor, size_t *a, size_t *b)
{
	*a = *b = 0;
	if (minor >= 17 && minor <= 19)
		*a = *b = 27;
	else if (minor == 20 || minor == 21)
		*a = *b = 32;
	else if (minor == 22)
		*a = *b = 37;
	else if (minor == 23)
		*a = 37, *b = 38;
	else if (minor == 24)
		*a = *b = 44;
	else if (minor == 25 || minor == 26)
		*a = *b = 47;
}

static size_t valid_waitreasons(const struct finder *f, uint64_t addr, int64_t bound)
{
	char buf[65];
	if (addr % 8 || !in_data(f, addr, 48) ||
	    !printable_string(f, addr, buf, 64, true) || buf[0] ||
	    !printable_string(f, addr + 16, buf, 64, false) || strcmp(buf, "GC assist marking") ||
	    !printable_string(f, addr + 32, buf, 64, false) || strcmp(buf, "IO wait"))
		return 0;
	size_t n = 3;
	if (bound >= 3 && bound <= 256) {
		for (; n < (size_t)bound; n++)
			if (!in_data(f, addr + 16 * n, 16) ||
			    !printable_string(f, addr + 16 * n, buf, 64, false))
				return 0;
		return n;
	}
	while (n < 256 && in_data(f, addr + 16 * n, 16) &&
	       printable_string(f, addr + 16 * n, buf, 64, false))
		n++;
	return n;
}

static struct gc_error *find_waitreasons(struct finder *f, int minor, struct gr_globals *ret)
{
	struct refs r = {.bound = -1};
	struct gc_error *err = func_refs(f, "runtime.waitReason.String", &r);
	int64_t bound = r.bound;
	r.bound = 0;
	if (!err)
		err = func_refs(f, "runtime.goroutineheader", &r);
	size_t lo, hi;
	facts_nwaitreasons(minor, &lo, &hi);
	for (size_t i = 0; !err && i < r.n && !ret->waitreasons; i++) {
		size_t n = valid_waitreasons(f, r.v[i], bound);
		if (n && (!lo || n == lo || n == hi)) {
			ret->waitreasons = r.v[i];
			ret->nwaitreasons = n;
		}
	}
	refs_free(&r);
	return err;
}

/* ---- buildVersion ---- */

static bool valid_version(const struct finder *f, uint64_t addr)
{
	char buf[65];
	uint64_t len;
	return addr % 8 == 0 && in_data(f, addr, 16) && u64_at(f, addr + 8, &len) && len >= 4 &&
	       printable_string(f, addr, buf, 64, false) &&
	       (!strncmp(buf, "go1.", 4) || !strncmp(buf, "devel", 5));
}

static const char *const version_funcs[] = {"runtime.schedinit", "runtime.Version"};

static struct gc_error *find_version(struct finder *f, struct gr_globals *ret)
{
	struct refs r = {.bound = 0};
	struct gc_error *err = funcs_refs(f, version_funcs, 2, &r);
	for (size_t i = 0; !err && i < r.n && !ret->buildversion; i++)
		if (valid_version(f, r.v[i]))
			ret->buildversion = r.v[i];
	refs_free(&r);
	if (err || ret->buildversion)
		return err;
	/* No code leads to it: a scan for a header whose length fits and whose
	 * bytes start "go1.". */
	uint64_t budget = MAX_SCAN;
	for (size_t i = 0; i < f->ndata && !ret->buildversion; i++) {
		for (uint64_t a = (f->data[i].start + 7) & ~(uint64_t)7;
		     a >= f->data[i].start && a + 16 <= f->data[i].end && budget >= 8;
		     a += 8, budget -= 8) {
			size_t got;
			const uint8_t *p = gc_addrspace_span(f->as, a, 16, &got);
			if (!p || got < 16) {
				/* Skip an unreadable page quickly. */
				a = (a | 0xfff) - 7;
				continue;
			}
			uint64_t ptr, len;
			memcpy(&ptr, p, 8);
			memcpy(&len, p + 8, 8);
			if (len < 4 || len > 64 || ptr < 4096)
				continue;
			char head[4];
			if (gc_addrspace_read(f->as, ptr, head, 4) != GC_READ_OK ||
			    memcmp(head, "go1.", 4) != 0)
				continue;
			if (valid_version(f, a)) {
				ret->buildversion = a;
				break;
			}
		}
	}
	return NULL;
}

/* ---- maxstacksize ---- */

static struct gc_error *find_maxstack(struct finder *f, struct gr_globals *ret)
{
	static const char name[] = "runtime/debug.setMaxStack";
	struct gopclntab_func fn;
	ret->have_setmaxstack = gopclntab_find_func_by_name(f->t, name, &fn);
	if (!ret->have_setmaxstack)
		return NULL;
	struct refs r = {.bound = 0};
	struct gc_error *err = func_refs(f, name, &r);
	uint64_t v;
	if (!err && r.n == 1 && r.v[0] % 8 == 0 && u64_at(f, r.v[0], &v) && v)
		ret->maxstacksize = r.v[0];
	refs_free(&r);
	return err;
}

/* ---- all ---- */

struct gc_error *gr_find_globals(const struct gr_arch *arch, const struct gopclntab *t,
				 const struct gc_addrspace *as,
				 const struct gr_layouts *layouts, int minor,
				 const struct gr_range *data, size_t ndata,
				 struct gr_globals *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct finder f = {.arch = arch, .t = t, .as = as, .data = data, .ndata = ndata};
	f.code = malloc(MAX_CODE);
	if (!f.code)
		return &gc_error_nomem;
	struct gc_error *err = NULL;
	struct offs o;
	struct slice s = {0};
	uint64_t maxgoid = 0;
	bool have_offs = learn_offs(layouts, &o);
	if (have_offs) {
		if ((err = find_allgs(&f, &o, ret, &s)) || (err = find_allm(&f, &o, ret)))
			goto out;
	}
	if ((err = find_allp(&f, ret)))
		goto out;
	if (have_offs) {
		if (ret->allgs)
			maxgoid = max_goid(&f, &o, &s);
	}
	if ((err = find_sched(&f, layouts, minor, maxgoid, ret)) ||
	    (err = find_waitreasons(&f, minor, ret)) || (err = find_version(&f, ret)) ||
	    (err = find_maxstack(&f, ret)))
		goto out;
	if (!ret->allgs && !ret->allglen && !ret->allm && !ret->sched && !ret->waitreasons &&
	    !ret->buildversion)
		err = gc_error_create(GC_ERR_NOT_FOUND,
				      "no runtime global found from code%s%s%s",
				      have_offs ? "" : " (no runtime.g/runtime.m layout)",
				      f.missing[0] ? "; functions not in the pclntab: " : "",
				      f.missing);
out:
	free(f.code);
	return err;
}
