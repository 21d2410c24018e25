/* The panic and fatal-error lines of a crash, and how the crash began.
 * See panic.h.
 *
 * Sources: runtime/panic.go (printpanics, preprintpanics, throw, fatal,
 * dopanic_m), runtime/stack.go (newstack), of go1.18 to go1.26.  The
 * values in the chain are printed by gvalue.c, a signal's lines come from
 * signal.c.
 */
#include "panic.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/obuf.h"
#include "gvalue.h"
#include "signal.h"
#include "unwind.h"

/* Panics nest one per deferred call that panics again; a chain longer than
 * this is corrupt or cyclic. */
#define MAX_CHAIN 4096

/* ---- the _panic chain ---- */

struct panic_rec {
	uint64_t addr, typ, data, link;
	uint8_t recovered, goexit, repanicked;
};

struct panic_offsets {
	uint64_t arg, link, recovered, goexit, repanicked;
};

static struct gc_error *read_chain(struct gr_reader *c, uint64_t first, struct panic_rec **ret,
				   size_t *n_ret)
{
	struct panic_offsets o = {
		.arg = gr_field_offset(c->l, "runtime._panic", "arg"),
		.link = gr_field_offset(c->l, "runtime._panic", "link"),
		.recovered = gr_field_offset(c->l, "runtime._panic", "recovered"),
		.goexit = gr_field_offset(c->l, "runtime._panic", "goexit"),
		.repanicked = gr_field_offset(c->l, "runtime._panic", "repanicked"),
	};
	*ret = NULL;
	*n_ret = 0;
	if (o.arg == GR_NO_OFFSET || o.link == GR_NO_OFFSET || o.recovered == GR_NO_OFFSET ||
	    o.goexit == GR_NO_OFFSET)
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
		    (o.repanicked != GR_NO_OFFSET &&
		     !gc_addrspace_u8(c->as, a + o.repanicked, &r->repanicked))) {
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
static struct gc_error *print_chain(struct gr_reader *c, struct obuf *b,
				    const struct panic_rec *v, size_t n)
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
		struct gc_error *err = gr_printpanicval(c, b, r->typ, r->data);
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

struct gr_throw {
	/* A runtime.throw/runtime.fatal frame was found, and its message
	 * read; the other fields mean something only then. */
	bool found;
	char *message;     /* throw's argument, malloc'd; NULL when not found */
	/* Where the frame was: on goroutine on_g's stack, else (on_g NULL) on
	 * the stacks of thread, the M that threw (NULL if unknown). */
	const struct gr_goroutine *on_g;
	const struct gr_thread *thread;
	uint64_t sp;       /* the throw frame's sp */
};

struct throw_search {
	struct gr_reader *c;
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
static char *plausible_message(struct gr_reader *c, uint64_t ptr, uint64_t len)
{
	if (!len || len > 4096)
		return NULL;
	char *s = gr_read_go_string(c, ptr, len);
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
	struct gr_reader *c = s->c;
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
static void find_throw(struct gr_reader *c, const struct gr_goroutine *g, struct throw_search *s)
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
	const struct gr_thread *th = gr_signalled_thread(p);
	if (!s->found && th && th->core) {
		walk_from(p, th->core->regs.rip, th->core->regs.rsp, s);
		s->thread = th;
	}
	if (s->found)
		s->message = throw_string(s);
	s->found = s->message != NULL;
}

static void gr_find_throw(struct gr_reader *c, const struct gr_goroutine *g, struct gr_throw *ret)
{
	struct throw_search s;
	find_throw(c, g, &s);
	*ret = (struct gr_throw){
		.found = s.found,
		.message = s.message,
		.on_g = s.on_g,
		.thread = s.thread,
		.sp = s.sp,
	};
}

static void gr_throw_deinit(struct gr_throw *t)
{
	free(t->message);
	t->message = NULL;
}

/* The g whose getg() called fatalthrow: the goroutine whose stack held the
 * throw frame, else the thread's gsignal when the frame is on its stack,
 * else its g0 (dopanic_m prints that g's [signal …] line). */
static uint64_t gr_throwing_g(const struct gr_reader *c, const struct gr_throw *t)
{
	if (t->on_g)
		return t->on_g->addr;
	if (!t->thread)
		return 0;
	if (gr_on_g_stack(c, t->thread->gsignal, t->sp))
		return t->thread->gsignal;
	return t->thread->g0;
}

/* The throw's lines: newstack prints two "runtime: …" lines before
 * throw("stack overflow") (stack.go), naming the limit, sp (gp.sched.sp less
 * the return address morestack's call pushed) and the stack bounds of
 * m.curg, the goroutine that overflowed; then throw's "fatal error: s". */
static void gr_throw_lines(struct gr_reader *c, const struct gr_throw *t, struct obuf *b)
{
	const struct gr_goroutine *cg =
		t->thread ? gr_goroutine_at(c->p, t->thread->curg) : t->on_g;
	uint64_t limit;
	if (!strcmp(t->message, "stack overflow") && cg && cg->sched_sp &&
	    gr_process_max_stack(c->p, &limit)) {
		ob_printf(b, "runtime: goroutine stack exceeds %" PRIu64 "-byte limit\n", limit);
		ob_printf(b, "runtime: sp=0x%" PRIx64 " stack=[0x%" PRIx64 ", 0x%" PRIx64 "]\n",
			  cg->sched_sp - 8, cg->stack_lo, cg->stack_hi);
	}
	/* 1.23+: printindented(s) */
	ob_str(b, "fatal error: ");
	gr_printindented(b, t->message, strlen(t->message), c->minor >= 23);
	ob_str(b, "\n");
}

/* ---- the crash ---- */

const struct gr_goroutine *gr_crashing_goroutine(const struct gr_process *p)
{
	size_t n = gr_process_ngoroutines(p);
	for (size_t i = 0; i < n; i++) {
		const struct gr_goroutine *g = gr_process_goroutine(p, i);
		if (g->panic && (g->status & ~(uint32_t)GR_GSCAN) == GR_GRUNNING)
			return g;
	}
	const struct gr_thread *th = gr_signalled_thread(p);
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
	struct gr_reader c;
	gr_reader_init(&c, p);
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
		struct gr_throw ts;
		gr_find_throw(&c, g, &ts);
		if (ts.found)
			gr_throw_lines(&c, &ts, &b);
		gr_throw_deinit(&ts);
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

/* printpanics' lines for g's panic chain into b. */
static struct gc_error *crash_panic(struct gr_reader *c, const struct gr_goroutine *g,
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
	struct gr_reader c;
	gr_reader_init(&c, p);
	struct obuf b = {0};
	struct gc_error *err = NULL;
	const struct gr_layouts *l = c.l;
	uint64_t o_sig = gr_field_offset(l, "runtime.g", "sig");
	const struct gr_goroutine *g = gr_crashing_goroutine(p);
	struct gr_throw ts = {.found = false};
	struct gr_sigframe f;
	const struct gr_thread *origin;
	uint64_t sig_g = 0;   /* the g whose sig fields give "[signal …]" */
	/* A panic is what happened when its goroutine is the one running;
	 * another goroutine may be panicking but parked in a deferred call. */
	bool running = g && (g->status & ~(uint32_t)GR_GSCAN) == GR_GRUNNING;
	if (g && g->panic && running) {
		err = crash_panic(&c, g, ret, &b);
		sig_g = g->addr;
	} else if (gr_find_throw(&c, g, &ts), ts.found) {
		ret->kind = GR_CRASH_THROW;
		ret->g = g;
		ret->thread = ts.thread;
		gr_throw_lines(&c, &ts, &b);
		sig_g = gr_throwing_g(&c, &ts);
	} else if ((origin = gr_signal_origin(p, &f))) {
		ret->kind = GR_CRASH_SIGNAL;
		ret->thread = origin;
		ret->g = gr_fatalsignal_lines(&c, origin, &f, &b);
		ret->signo = f.signo;
	} else if (g && g->panic) {
		err = crash_panic(&c, g, ret, &b);
		sig_g = g->addr;
	} else {
		ret->g = g;
		ret->thread = g ? gr_process_thread_of(p, g) : NULL;
		if (!ret->thread)
			ret->thread = gr_signalled_thread(p);
	}
	gr_throw_deinit(&ts);
	ret->m_id = ret->thread ? ret->thread->m_id : -1;
	char line[256] = "";
	uint32_t sig = 0;
	if (sig_g && o_sig != GR_NO_OFFSET && gc_addrspace_u32(c.as, sig_g + o_sig, &sig) && sig) {
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

