/* Signals in a Go crash.  See signal.h.
 *
 * Sources: runtime/sigtab_linux_generic.go, runtime/signal_unix.go
 * (sighandler, fatalsignal, sigtrampgo), runtime/panic.go (dopanic_m), of
 * go1.18 to go1.26.
 */
#include "signal.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../common/obuf.h"
#include "gvalue.h"
#include "unwind.h"

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
	uint64_t o_sig = gr_field_offset(l, "runtime.g", "sig"),
		 o_c0 = gr_field_offset(l, "runtime.g", "sigcode0"),
		 o_c1 = gr_field_offset(l, "runtime.g", "sigcode1"),
		 o_pc = gr_field_offset(l, "runtime.g", "sigpc");
	if (o_sig == GR_NO_OFFSET || o_c0 == GR_NO_OFFSET || o_c1 == GR_NO_OFFSET ||
	    o_pc == GR_NO_OFFSET)
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

int gr_core_signal_line(char *buf, size_t size, const struct gr_image *img,
			const struct gr_image_thread *th)
{
	const struct gr_image_siginfo *si = &img->siginfo;
	if (!si->present || si->only_signo) {
		if (size)
			buf[0] = '\0';
		return 0;
	}
	return gr_format_signal_line(buf, size, (uint32_t)si->signo,
				     gr_arch_sigcode(img->arch, si->code), si->addr,
				     th ? gr_image_thread_pc(img, th) : 0);
}

/* The thread the core's final signal was delivered to: the first in note
 * order, i.e. the lowest address in the core's thread array (the kernel
 * sets pr_cursig on every thread of a group dump, so it does not tell). */
const struct gr_thread *gr_signalled_thread(const struct gr_process *p)
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

/* ---- signal dumps ---- */

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
const struct gr_thread *gr_signal_origin(const struct gr_process *p, struct gr_sigframe *frame)
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
const struct gr_goroutine *gr_fatalsignal_lines(struct gr_reader *c, const struct gr_thread *t,
						const struct gr_sigframe *f, struct obuf *b)
{
	const struct gr_process *p = c->p;
	const struct gr_m_offsets *mo = gr_process_m_offsets(p);
	/* sigtable's name: "SIGSEGV: segmentation violation" (dump signals
	 * are all below 32, where the table has a description). */
	const char *name = gr_signal_name(f->signo), *desc = gr_signal_description(f->signo);
	ob_printf(b, "%s: %s\n", name ? name : "?", desc ? desc : "");
	ob_printf(b, "PC=0x%" PRIx64 " m=%" PRId64 " sigcode=%" PRIu64, f->pc, t->m_id,
		  gr_arch_sigcode(gr_process_image(c->p)->arch, f->code));
	if (c->minor >= 22 && (f->signo == SIG_SEGV || f->signo == SIG_BUS))
		ob_printf(b, " addr=0x%" PRIx64, f->addr);
	ob_str(b, "\n");
	/* Which g the signal interrupted (getg() in sigtrampgo): curg when sp
	 * was on its stack, or when it was in a vDSO call made from it (the
	 * runtime moves sp to g0's stack for those, m.vdsoSP holds the
	 * goroutine's); else the system stack, g0 (or gsignal). */
	const struct gr_goroutine *cg = gr_goroutine_at(p, t->curg);
	uint64_t vdsosp = 0;
	if (mo->vdsosp != GR_NO_OFFSET)
		gc_addrspace_u64(c->as, t->m + mo->vdsosp, &vdsosp);
	bool on_curg = cg && ((f->sp >= cg->stack_lo && f->sp < cg->stack_hi) ||
			      (vdsosp && vdsosp >= cg->stack_lo && vdsosp < cg->stack_hi));
	uint8_t incgo = 0;
	if (mo->incgo != GR_NO_OFFSET)
		gc_addrspace_u8(c->as, t->m + mo->incgo, &incgo);
	bool cgo = !on_curg && cg && incgo && !gr_on_g_stack(c, t->gsignal, f->sp);
	if (cgo)
		ob_str(b, "signal arrived during cgo execution\n");
	if (f->signo == SIG_ILL || f->signo == SIG_FPE) {
		/* 16 bytes, but not past the end of pc's page. */
		uint8_t code[16];
		size_t n = sizeof(code);
		if (n > 4096 - f->pc % 4096)
			n = 4096 - f->pc % 4096;
		if (gc_addrspace_read(c->as, f->pc, code, n) == GC_READ_OK) {
			ob_str(b, "instruction bytes:");
			for (size_t i = 0; i < n; i++)
				ob_printf(b, " 0x%x", code[i]);
			ob_str(b, "\n");
		}
	}
	return on_curg || cgo ? cg : NULL;
}
