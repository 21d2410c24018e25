/* Walking a goroutine's stack as the runtime's gentraceback does (amd64):
 * pcsp frame sizes, return addresses at fp-8, stops at TOPFRAME/SPWRITE
 * functions; for running goroutines, from the thread's registers through
 * signal frames (the ucontext the kernel saved for runtime.sigtramp) and
 * systemstack/morestack/mcall switches back to the goroutine's own stack. */
#ifndef GOCORE_GORUNTIME_UNWIND_H
#define GOCORE_GORUNTIME_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

#include "process.h"

struct gr_frame {
	uint64_t pc, sp, fp;
	uint64_t tracepc;     /* pc used for file/line/inline lookups */
	struct gopclntab_func fn;
	bool trap;            /* pc is where execution stopped, not a return address */
	/* The goroutine's stack [stack_lo, stack_hi) when the core holds it in
	 * one piece (NULL otherwise), for fast reads of arguments. */
	const uint8_t *stack;
	uint64_t stack_lo, stack_hi;
};

/* Reads the word at addr: from fr's stack bytes when it lies there, else
 * through the address space.  False when unreadable. */
bool gr_frame_read_u64(const struct gr_process *p, const struct gr_frame *fr, uint64_t addr,
		       uint64_t *ret);

/* Why a walk ended early or had gaps. */
enum {
	GR_UNWIND_NO_THREAD = 1,    /* running, but no thread state to start from */
	GR_UNWIND_FAULT = 2,        /* stack memory not in the core */
	GR_UNWIND_BAD_PC = 4,       /* a PC outside every Go function */
	GR_UNWIND_LIMIT = 8,        /* hit a walk bound (GR_MAX_STACK_BYTES,
				     * GR_MAX_PHYSICAL_FRAMES or the frames the
				     * stack's size allows) */
};

/* Bounds on one walk, whatever the g's stack bounds claim: a goroutine's
 * stack is at most 1 GiB (runtime.maxstacksize is 1e9 bytes on 64-bit
 * systems, and stacks grow by doubling), so its frames span at most that
 * many bytes, and as a frame holds at least its 8-byte return address, no
 * real stack has more physical frames than GR_MAX_PHYSICAL_FRAMES. */
#define GR_MAX_STACK_BYTES ((uint64_t)1 << 30)
#define GR_MAX_PHYSICAL_FRAMES (GR_MAX_STACK_BYTES / 8)

/* Called for each physical frame, innermost first; return false to stop. */
typedef bool gr_frame_fn(void *ctx, const struct gr_frame *frame);

/* Walks g's stack, calling cb for at most max physical frames.  Returns the
 * GR_UNWIND_* flags (0 for a complete walk); *nframes_ret (if not NULL) gets
 * the number of frames given to cb. */
unsigned gr_unwind(const struct gr_process *p, const struct gr_goroutine *g,
		   size_t max, gr_frame_fn *cb, void *ctx, size_t *nframes_ret);

/* One signal the Go handler was handling on a thread: the kernel's
 * rt_sigframe above a runtime.sigtramp frame. */
struct gr_sigframe {
	int signo;          /* si_signo, 1-64 */
	int32_t code;       /* si_code (SI_USER 0, SI_TKILL -6, SEGV_MAPERR 1...) */
	int32_t pid;        /* si_pid: the sender of a kill/tgkill */
	uint64_t addr;      /* si_addr: the faulting address of SIGSEGV/SIGBUS... */
	uint64_t pc, sp;    /* where the signal interrupted the thread (ucontext) */
};

/* The signals a thread was handling: walks th's frames from its registers
 * through every runtime.sigtramp frame (continuing from the ucontext the
 * kernel saved), reading the siginfo that follows the ucontext.  Fills at
 * most max frames, innermost first, and returns how many it found (signal
 * frames nest: the runtime's SIGABRT is raised inside the handler of the
 * signal that started the crash; the last one is the outermost). */
/* One step of the frame rule (traceback.go resolveInternal): the caller's
 * pc of the frame at sp whose frame pointer is fp.  Without a link
 * register it is the word below fp.  With one, *lr holds the link
 * register's value on entry (0 when unknown): it stays the answer for an
 * innermost frame that has not saved it yet (sp == fp), else the word at
 * sp, where the prologue saved it, is read.  False when unreadable. */
bool gr_caller_pc(const struct gr_arch *a, const struct gc_addrspace *as, uint64_t sp,
		  uint64_t fp, bool innermost, uint64_t *lr);

size_t gr_thread_signal_frames(const struct gr_process *p, const struct gr_image_thread *th,
			       struct gr_sigframe *frames, size_t max);

/* The signal a thread was handling: the outermost of
 * gr_thread_signal_frames, the one that started it all, or 0 when the
 * thread was not in the Go signal handler. */
int gr_thread_handled_signal(const struct gr_process *p, const struct gr_image_thread *th);

#endif
