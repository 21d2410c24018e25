/* runtime.throw and runtime.fatal in a core.  See throw.h.
 *
 * Sources: runtime/panic.go (throw, fatal, fatalthrow, dopanic_m),
 * runtime/stack.go (newstack), of go1.18 to go1.26.
 */
#include "throw.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "signal.h"
#include "unwind.h"

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
static void walk_from(const struct gr_process *p, uint64_t pc, uint64_t sp, uint64_t lr,
		      struct throw_search *s)
{
	bool innermost = true;
	const struct gr_arch *a = gr_process_image(p)->arch;
	const struct gopclntab *t = gr_process_pclntab(p);
	const struct gc_addrspace *as = gr_process_memory(p);
	for (int i = 0; i < 256 && !s->found; i++) {
		struct gopclntab_func f;
		int32_t delta;
		if (!gopclntab_find_func(t, pc, &f) || !gopclntab_pcsp(t, &f, pc, &delta) || delta < 0)
			return;
		uint64_t fp = gr_arch_fp(a, sp, delta);
		struct gr_frame fr = {.pc = pc, .sp = sp, .fp = fp, .fn = f};
		if (!throw_frame(s, &fr))
			return;
		if (f.entry == gr_process_sigtramp(p)) {
			if (!gc_addrspace_u64(as, fp + a->sig_pc, &pc) ||
			    !gc_addrspace_u64(as, fp + a->sig_sp, &sp) ||
			    (gr_arch_uses_lr(a) && !gc_addrspace_u64(as, fp + a->sig_lr, &lr)))
				return;
			innermost = true;
			continue;
		}
		if (f.flag & 1 /* FUNCFLAG_TOPFRAME */)
			return;
		if (!gr_caller_pc(a, as, sp, fp, innermost, &lr))
			return;
		pc = lr;
		sp = fp;
		lr = 0;
		innermost = false;
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
 * frame: {F: throw.func1, s.ptr, s.len} (on arm64 one word more sits
 * between F and s in the frame).  Its argument spill slot, at argp = fp +
 * MinFrameSize, is the second choice: the register ABI leaves it stale
 * unless the function spilled s there. */
static char *throw_string(struct throw_search *s)
{
	struct gr_reader *c = s->c;
	uint64_t closure = s->entry == s->throw_entry ? s->closure[0] : s->closure[1];
	if (closure && s->fp > s->sp && s->fp - s->sp <= 4096) {
		for (uint64_t a = s->sp; a + 24 <= s->fp; a += 8) {
			uint64_t w;
			if (!gc_addrspace_u64(c->as, a, &w) || w != closure)
				continue;
			for (uint64_t at = a + 8; at <= a + 16 && at + 16 <= s->fp; at += 8) {
				uint64_t ptr, len;
				if (!gc_addrspace_u64(c->as, at, &ptr) ||
				    !gc_addrspace_u64(c->as, at + 8, &len))
					continue;
				char *m = plausible_message(c, ptr, len);
				if (m)
					return m;
			}
		}
	}
	uint64_t ptr, len, argp = s->fp + gr_process_image(c->p)->arch->min_frame_size;
	if (gc_addrspace_u64(c->as, argp, &ptr) && gc_addrspace_u64(c->as, argp + 8, &len))
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
		walk_from(p, g->sched_pc, g->sched_sp, g->sched_lr, s);
	if (s->found) {
		s->on_g = g;
		s->thread = gr_process_thread_of(p, g);
	}
	const struct gr_thread *th = gr_signalled_thread(p);
	if (!s->found && th && th->core) {
		const struct gr_arch *a = gr_process_image(p)->arch;
		walk_from(p, gr_regs_pc(a, &th->core->regs), gr_regs_sp(a, &th->core->regs),
			  gr_regs_lr(a, &th->core->regs), s);
		s->thread = th;
	}
	if (s->found)
		s->message = throw_string(s);
	s->found = s->message != NULL;
}

void gr_find_throw(struct gr_reader *c, const struct gr_goroutine *g, struct gr_throw *ret)
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

void gr_throw_deinit(struct gr_throw *t)
{
	free(t->message);
	t->message = NULL;
}

/* The g whose getg() called fatalthrow: the goroutine whose stack held the
 * throw frame, else the thread's gsignal when the frame is on its stack,
 * else its g0 (dopanic_m prints that g's [signal …] line). */
uint64_t gr_throwing_g(const struct gr_reader *c, const struct gr_throw *t)
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
 * throw("stack overflow") (stack.go), naming the limit, sp (gp.sched.sp,
 * less the return address morestack's call pushed on amd64) and the stack bounds of
 * m.curg, the goroutine that overflowed; then throw's "fatal error: s". */
void gr_throw_lines(struct gr_reader *c, const struct gr_throw *t, struct obuf *b)
{
	const struct gr_goroutine *cg =
		t->thread ? gr_goroutine_at(c->p, t->thread->curg) : t->on_g;
	uint64_t limit;
	if (!strcmp(t->message, "stack overflow") && cg && cg->sched_sp &&
	    gr_process_max_stack(c->p, &limit)) {
		ob_printf(b, "runtime: goroutine stack exceeds %" PRIu64 "-byte limit\n", limit);
		ob_printf(b, "runtime: sp=0x%" PRIx64 " stack=[0x%" PRIx64 ", 0x%" PRIx64 "]\n",
			  cg->sched_sp - (gr_arch_uses_lr(gr_process_image(c->p)->arch) ? 0 : 8),
			  cg->stack_lo, cg->stack_hi);
	}
	/* 1.23+: printindented(s) */
	ob_str(b, "fatal error: ");
	gr_printindented(b, t->message, strlen(t->message), c->minor >= 23);
	ob_str(b, "\n");
}
