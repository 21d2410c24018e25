#include "unwind.h"

#include <stdint.h>
#include <string.h>

/* FUNCFLAG bits (runtime/symtab.go). */
enum { FUNCFLAG_TOPFRAME = 1, FUNCFLAG_SPWRITE = 2 };

struct walk {
	const struct gr_process *p;
	const uint8_t *stack;        /* the goroutine's stack, when contiguous */
	/* The bytes of the last address-space window a stack word came from
	 * ([span_lo, span_hi) at span), for stacks not in one piece. */
	const uint8_t *span;
	uint64_t span_lo, span_hi;
	const struct gr_goroutine *g;
	const struct gopclntab *t;
	const struct gc_addrspace *as;
	const struct gr_arch *arch;
	int fid_sigpanic, fid_systemstack, fid_morestack, fid_mcall, fid_cgocallback;
	int fid_asyncpreempt, fid_debugcall, minor;
	uint64_t sigtramp_entry;
};

/* A word on the goroutine's stack straight from the mapped core, else via
 * the address space (keeping the window it came from for the next one). */
static bool stack_u64(struct walk *w, uint64_t addr, uint64_t *ret)
{
	if (w->stack && addr >= w->g->stack_lo && addr <= w->g->stack_hi - 8) {
		memcpy(ret, w->stack + (addr - w->g->stack_lo), 8);
		return true;
	}
	if (w->span && addr >= w->span_lo && addr < w->span_hi && w->span_hi - addr >= 8) {
		memcpy(ret, w->span + (addr - w->span_lo), 8);
		return true;
	}
	size_t n = 0;
	const uint8_t *p = gc_addrspace_span(w->as, addr, SIZE_MAX, &n);
	if (p && n >= 8) {
		w->span = p;
		w->span_lo = addr;
		w->span_hi = addr + n;
		memcpy(ret, p, 8);
		return true;
	}
	return gc_addrspace_u64(w->as, addr, ret);
}

bool gr_frame_read_u64(const struct gr_process *p, const struct gr_frame *fr, uint64_t addr,
		       uint64_t *ret)
{
	if (fr->stack && addr >= fr->stack_lo && addr <= fr->stack_hi - 8) {
		memcpy(ret, fr->stack + (addr - fr->stack_lo), 8);
		return true;
	}
	return gc_addrspace_u64(gr_process_memory(p), addr, ret);
}

static bool on_stack(const struct gr_goroutine *g, uint64_t sp)
{
	return sp >= g->stack_lo && sp < g->stack_hi;
}

/* Reads the g fields sched.sp/pc of another g (curg) through the g layout. */
static bool load_sched(const struct walk *w, uint64_t *pc, uint64_t *sp)
{
	*pc = w->g->sched_pc;
	*sp = w->g->sched_sp;
	return *sp != 0;
}

/* From a thread's registers, finds where the goroutine's own frames start:
 * skips frames on g0/gsignal stacks, following signal frames and
 * systemstack/morestack/mcall switches.  Returns false when none found. */
/* The caller's pc of a frame (traceback.go resolveInternal): on amd64 the
 * word below fp; on a link-register arch the link register while the
 * innermost frame has not saved it yet (lr as given), else the word its
 * prologue saved at sp.  False when that word cannot be read. */
bool gr_caller_pc(const struct gr_arch *a, const struct gc_addrspace *as, uint64_t sp,
		  uint64_t fp, bool innermost, uint64_t *lr)
{
	if (!gr_arch_uses_lr(a))
		return gc_addrspace_u64(as, fp - 8, lr);
	if ((innermost && sp < fp) || *lr == 0)
		return gc_addrspace_u64(as, sp, lr);
	return true;
}

static bool caller_pc(const struct walk *w, uint64_t sp, uint64_t fp, bool innermost,
		      uint64_t *lr)
{
	if (!gr_arch_uses_lr(w->arch))
		return stack_u64((struct walk *)w, fp - 8, lr);
	if ((innermost && sp < fp) || *lr == 0)
		return stack_u64((struct walk *)w, sp, lr);
	return true;
}

static bool thread_start(const struct walk *w, const struct gr_image_thread *th,
			 uint64_t *pc_ret, uint64_t *sp_ret, uint64_t *lr_ret, bool *inner_ret,
			 bool *trap_ret, struct gopclntab_func *fn_ret, bool *keepfn_ret)
{
	const struct gr_arch *a = w->arch;
	uint64_t pc = gr_regs_pc(a, &th->regs), sp = gr_regs_sp(a, &th->regs);
	uint64_t lr = gr_regs_lr(a, &th->regs);
	bool trap = true, innermost = true;
	*keepfn_ret = false;
	/* Each system frame moves sp up its own stack; a few stack switches at
	 * most.  The bound covers a 1 MiB system stack of minimal frames. */
	for (int steps = 0; steps < 1 << 17; steps++) {
		if (on_stack(w->g, sp)) {
			*pc_ret = pc;
			*sp_ret = sp;
			*lr_ret = lr;
			*inner_ret = innermost;
			*trap_ret = trap;
			return true;
		}
		struct gopclntab_func f;
		if (!gopclntab_find_func(w->t, pc, &f))
			return false;
		int32_t delta;
		if (!gopclntab_pcsp(w->t, &f, pc, &delta) || delta < 0)
			return false;
		uint64_t fp = gr_arch_fp(a, sp, delta);
		if (f.entry == w->sigtramp_entry) {
			/* The kernel's signal frame: the interrupted pc and sp
			 * are in its ucontext. */
			uint64_t spc, ssp, slr = 0;
			if (!gc_addrspace_u64(w->as, fp + a->sig_pc, &spc) ||
			    !gc_addrspace_u64(w->as, fp + a->sig_sp, &ssp) ||
			    (gr_arch_uses_lr(a) && !gc_addrspace_u64(w->as, fp + a->sig_lr, &slr)))
				return false;
			pc = spc;
			sp = ssp;
			lr = slr;
			trap = true;
			innermost = true;
			continue;
		}
		/* traceback.go: on a link-register arch, systemstack not yet
		 * in its frame (pcsp 0) is unwound like any other. */
		if (f.funcid == w->fid_systemstack && w->fid_systemstack >= 0 &&
		    !(gr_arch_uses_lr(a) && delta == 0)) {
			/* gentraceback: systemstack returns normally; follow the
			 * switch back to curg's saved sp, keeping this frame. */
			uint64_t spc, ssp;
			if (!load_sched(w, &spc, &ssp))
				return false;
			*pc_ret = pc;
			*sp_ret = ssp;
			*lr_ret = 0;
			*inner_ret = false;
			*trap_ret = false;
			*fn_ret = f;
			*keepfn_ret = true;
			return on_stack(w->g, ssp);
		}
		if ((f.funcid == w->fid_morestack && w->fid_morestack >= 0) ||
		    (f.funcid == w->fid_mcall && w->fid_mcall >= 0)) {
			if (!load_sched(w, &pc, &sp))
				return false;
			lr = w->g->sched_lr;
			trap = false;
			innermost = false;
			continue;
		}
		if (f.flag & FUNCFLAG_TOPFRAME)
			return false;
		if (!gr_arch_uses_lr(a))
			lr = 0;
		if (!caller_pc(w, sp, fp, innermost, &lr))
			return false;
		pc = lr;
		sp = fp;
		lr = 0;
		trap = false;
		innermost = false;
	}
	return false;
}

static unsigned walk(const struct gr_process *p, const struct gr_goroutine *g, size_t skip,
		     size_t max, gr_frame_fn *cb, void *ctx, size_t *nframes_ret);

/* How many innermost frames of a running goroutine belong to the crash
 * itself: the runtime's dump starts at the caller of fatalpanic/fatalthrow
 * (panic.go: traceback from getcallerpc/getcallersp), so frames up to that
 * one (raise, dieFromSignal, crash...) are not the goroutine's own work. */
struct fatal_scan {
	const struct gr_process *p;
	size_t n, skip;
};

static bool scan_fatal(void *vctx, const struct gr_frame *fr)
{
	struct fatal_scan *s = vctx;
	s->n++;
	if (gr_process_is_fatal(s->p, fr->fn.entry))
		s->skip = s->n;
	return s->n < 16;
}

size_t gr_thread_signal_frames(const struct gr_process *p, const struct gr_image_thread *th,
			       struct gr_sigframe *frames, size_t max)
{
	/* siginfo_t: si_signo, si_errno, si_code, padding, then the union:
	 * {si_pid, si_uid} for kill/tgkill, si_addr for faults. */
	enum { SI_SIGNO = 0, SI_CODE = 8, SI_PID = 16, SI_ADDR = 16 };
	const struct gopclntab *t = gr_process_pclntab(p);
	const struct gc_addrspace *as = gr_process_memory(p);
	const struct gr_arch *a = gr_process_image(p)->arch;
	uint64_t sigtramp = gr_process_sigtramp(p);
	uint64_t pc = gr_regs_pc(a, &th->regs), sp = gr_regs_sp(a, &th->regs);
	uint64_t lr = gr_regs_lr(a, &th->regs);
	bool innermost = true;
	size_t n = 0;
	for (int steps = 0; sigtramp && steps < 512 && n < max; steps++) {
		struct gopclntab_func f;
		int32_t delta;
		if (!gopclntab_find_func(t, pc, &f) || !gopclntab_pcsp(t, &f, pc, &delta) ||
		    delta < 0)
			break;
		uint64_t fp = gr_arch_fp(a, sp, delta);
		if (f.entry == sigtramp) {
			uint64_t si = fp + a->sig_info;
			uint32_t signo, code, pid;
			uint64_t addr, spc, ssp;
			if (!gc_addrspace_u32(as, si + SI_SIGNO, &signo) || signo == 0 || signo > 64 ||
			    !gc_addrspace_u32(as, si + SI_CODE, &code) ||
			    !gc_addrspace_u32(as, si + SI_PID, &pid) ||
			    !gc_addrspace_u64(as, si + SI_ADDR, &addr) ||
			    !gc_addrspace_u64(as, fp + a->sig_pc, &spc) ||
			    !gc_addrspace_u64(as, fp + a->sig_sp, &ssp) ||
			    (gr_arch_uses_lr(a) && !gc_addrspace_u64(as, fp + a->sig_lr, &lr)))
				break;
			frames[n++] = (struct gr_sigframe){
				.signo = (int)signo, .code = (int32_t)code, .pid = (int32_t)pid,
				.addr = addr, .pc = spc, .sp = ssp,
			};
			pc = spc;
			sp = ssp;
			innermost = true;
			continue;
		}
		if (f.flag & FUNCFLAG_TOPFRAME)
			break;
		if (!gr_caller_pc(a, as, sp, fp, innermost, &lr))
			break;
		pc = lr;
		sp = fp;
		lr = 0;
		innermost = false;
	}
	return n;
}

int gr_thread_handled_signal(const struct gr_process *p, const struct gr_image_thread *th)
{
	struct gr_sigframe f[8];
	size_t n = gr_thread_signal_frames(p, th, f, sizeof(f) / sizeof(f[0]));
	return n ? f[n - 1].signo : 0;
}

unsigned gr_unwind(const struct gr_process *p, const struct gr_goroutine *g,
		   size_t max, gr_frame_fn *cb, void *ctx, size_t *nframes_ret)
{
	size_t skip = 0;
	if ((g->status & ~(uint32_t)GR_GSCAN) == GR_GRUNNING && !g->syscallsp) {
		struct fatal_scan s = {.p = p};
		walk(p, g, 0, SIZE_MAX, scan_fatal, &s, NULL);
		skip = s.skip;
	}
	return walk(p, g, skip, max, cb, ctx, nframes_ret);
}

static unsigned walk(const struct gr_process *p, const struct gr_goroutine *g, size_t skip,
		     size_t max, gr_frame_fn *cb, void *ctx, size_t *nframes_ret)
{
	struct walk w = {
		.p = p, .g = g, .t = gr_process_pclntab(p), .as = gr_process_memory(p),
		.arch = gr_process_image(p)->arch,
		.fid_sigpanic = gr_process_funcid(p, GR_FID_SIGPANIC),
		.fid_systemstack = gr_process_funcid(p, GR_FID_SYSTEMSTACK),
		.fid_morestack = gr_process_funcid(p, GR_FID_MORESTACK),
		.fid_mcall = gr_process_funcid(p, GR_FID_MCALL),
		.fid_cgocallback = gr_process_funcid(p, GR_FID_CGOCALLBACK),
		.fid_asyncpreempt = gr_process_funcid(p, GR_FID_ASYNCPREEMPT),
		.fid_debugcall = gr_process_funcid(p, GR_FID_DEBUGCALLV2),
		.minor = gr_process_go_minor(p),
	};
	w.sigtramp_entry = gr_process_sigtramp(p);
	/* Go stacks are at most 1 GiB (maxstacksize); larger bounds are junk. */
	if (g->stack_hi > g->stack_lo && g->stack_hi - g->stack_lo <= (1u << 30) &&
	    g->stack_hi - g->stack_lo >= 8)
		w.stack = gc_addrspace_ptr(w.as, g->stack_lo, g->stack_hi - g->stack_lo);
	size_t n = 0;
	unsigned flags = 0;
	if (nframes_ret)
		*nframes_ret = 0;

	uint64_t pc, sp, link = 0;   /* link: the link register (usesLR) */
	bool trap = false, keepfn = false, innermost = true;
	struct gopclntab_func f;
	uint32_t status = g->status & ~(uint32_t)GR_GSCAN;
	const struct gr_thread *th = NULL;
	const struct gr_m_offsets *mo = gr_process_m_offsets(p);
	uint64_t vdsosp = 0, vdsopc = 0;
	if (g->m && mo->vdsosp != UINT64_MAX && mo->vdsopc != UINT64_MAX) {
		gc_addrspace_u64(w.as, g->m + mo->vdsosp, &vdsosp);
		gc_addrspace_u64(w.as, g->m + mo->vdsopc, &vdsopc);
	}
	if (g->syscallsp) {
		pc = g->syscallpc;
		sp = g->syscallsp;
	} else if (status == GR_GRUNNING && vdsosp) {
		pc = vdsopc;
		sp = vdsosp;
	} else if (status == GR_GRUNNING) {
		th = gr_process_thread_of(p, g);
		if (!th || !th->core ||
		    !thread_start(&w, th->core, &pc, &sp, &link, &innermost, &trap, &f, &keepfn))
			return GR_UNWIND_NO_THREAD;
	} else {
		pc = g->sched_pc;
		sp = g->sched_sp;
		link = g->sched_lr;
	}
	uint64_t pc0 = pc, sp0 = sp;

	if (pc == 0) {
		/* A nil function call: start in the caller's frame, whose pc
		 * is at sp (traceback.go initAt); where a call pushed it,
		 * the caller's sp is above it. */
		if (!gc_addrspace_u64(w.as, sp, &pc))
			return GR_UNWIND_FAULT;
		if (!gr_arch_uses_lr(w.arch))
			sp += 8;
		link = 0;
	}
	if (!keepfn && !gopclntab_find_func(w.t, pc, &f))
		return GR_UNWIND_BAD_PC;

	bool waspanic = false;
	uint64_t memo_pc = 0, memo_sp_pc = 0, memo_sp_entry = 0;
	struct gopclntab_func memo_fn;
	int32_t memo_delta = 0;
	/* sp rises with every frame on one stack: the stack's size bounds the
	 * number of frames, and so does the largest stack the runtime allows
	 * (the g's bounds are the core's word, not a fact). */
	uint64_t limit = (g->stack_hi > g->stack_lo ? (g->stack_hi - g->stack_lo) / 8 : 0) + 16;
	if (limit > GR_MAX_PHYSICAL_FRAMES)
		limit = GR_MAX_PHYSICAL_FRAMES;
	uint64_t sp_first = sp;
	for (uint64_t iter = 0; n < max; iter++) {
		/* Frames are on one stack, which is at most GR_MAX_STACK_BYTES. */
		if (iter >= limit || sp - sp_first > GR_MAX_STACK_BYTES) {
			flags |= GR_UNWIND_LIMIT;
			break;
		}
		if (!f.pcsp)
			break;
		uint8_t flag = f.flag;
		/* gentraceback: after following systemstack's switch back to
		 * the goroutine's stack, its SP write no longer matters. */
		if (iter == 0 && keepfn)
			flag &= (uint8_t)~FUNCFLAG_SPWRITE;
		if (f.funcid == w.fid_cgocallback && w.fid_cgocallback >= 0)
			flag &= (uint8_t)~FUNCFLAG_SPWRITE;
		if (pc == pc0 && sp == sp0 && pc0 == g->syscallpc && sp0 == g->syscallsp)
			flag &= (uint8_t)~FUNCFLAG_SPWRITE;
		int32_t delta;
		if (pc == memo_sp_pc && f.entry == memo_sp_entry) {
			delta = memo_delta;
		} else if (!gopclntab_pcsp(w.t, &f, pc, &delta) || delta < 0) {
			flags |= GR_UNWIND_BAD_PC;
			break;
		}
		memo_sp_pc = pc;
		memo_sp_entry = f.entry;
		memo_delta = delta;
		uint64_t fp = gr_arch_fp(w.arch, sp, delta);
		uint64_t lr = link;
		bool have_caller = false;
		struct gopclntab_func caller;
		if (!(flag & (FUNCFLAG_TOPFRAME | FUNCFLAG_SPWRITE))) {
			if (!caller_pc(&w, sp, fp, iter == 0 && innermost, &lr)) {
				flags |= GR_UNWIND_FAULT;
			} else {
				/* Recursion returns to one pc again and again. */
				if (lr && lr == memo_pc) {
					caller = memo_fn;
					have_caller = true;
				} else {
					have_caller = gopclntab_find_func(w.t, lr, &caller);
					if (have_caller) {
						memo_pc = lr;
						memo_fn = caller;
					}
				}
				if (!have_caller)
					flags |= GR_UNWIND_BAD_PC;
			}
		}
		struct gr_frame fr = {
			.pc = pc, .sp = sp, .fp = fp, .fn = f, .trap = trap, .tracepc = pc,
			.stack = w.stack, .stack_lo = g->stack_lo, .stack_hi = g->stack_hi,
		};
		/* traceback.go: back up into the CALL instruction unless the PC
		 * came from a trap, is a function entry, or the callee was an
		 * injected call (1.21+: unwinder.symPC). */
		if (!trap && pc > f.entry && !waspanic)
			fr.tracepc = pc - 1;
		if (skip) {
			skip--;
		} else {
			n++;
			if (!cb(ctx, &fr))
				break;
		}
		/* The next frame's pc is where execution stopped, not a return
		 * address, after an injected call: sigpanic always; from 1.21
		 * (traceback.go unwinder.next) also asyncPreempt and
		 * debugCallV2. */
		waspanic = (f.funcid == w.fid_sigpanic && w.fid_sigpanic >= 0) ||
			   (w.minor >= 21 && ((f.funcid == w.fid_asyncpreempt && w.fid_asyncpreempt >= 0) ||
					      (f.funcid == w.fid_debugcall && w.fid_debugcall >= 0)));
		if (!have_caller)
			break;
		if (pc == lr && sp == fp)
			break;
		pc = lr;
		sp = fp;
		f = caller;
		trap = false;
		link = 0;
		if (waspanic && gr_arch_uses_lr(w.arch)) {
			/* traceback.go next(): the injected call's frame sits
			 * below the interrupted function's, which may not have
			 * saved its link register yet: that is at sp. */
			uint64_t x;
			if (!stack_u64(&w, sp, &x)) {
				flags |= GR_UNWIND_FAULT;
				break;
			}
			sp += (w.arch->min_frame_size + w.arch->stack_align - 1) /
			      w.arch->stack_align * w.arch->stack_align;
			int32_t d;
			if (gopclntab_pcsp(w.t, &f, pc, &d) && d == 0)
				link = x;
		}
	}
	if (nframes_ret)
		*nframes_ret = n;
	return flags;
}
