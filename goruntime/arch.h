/* What differs per CPU architecture, in one table per architecture
 * (arch_amd64.c; arm64, riscv64 and loong64 to come).  Nothing outside an
 * arch_*.c file names a register of its architecture: the rest of
 * goruntime/ and analyzer/ ask the table.
 *
 * Sources: Linux include/uapi/linux/elfcore.h (struct elf_prstatus),
 * arch/<arch>/include/uapi/asm/ptrace.h and sigcontext.h; Go's
 * runtime/traceback.go (the unwinder's frame rules), internal/goarch
 * (PCQuantum, MinFrameSize) and runtime/signal_linux_<arch>.go. */
#ifndef GOCORE_GORUNTIME_ARCH_H
#define GOCORE_GORUNTIME_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The words of a thread's general registers, in the order the kernel
 * writes them into NT_PRSTATUS's pr_reg (the architecture's
 * elf_gregset_t); GR_REGS_MAX covers the largest (loong64, 45 words). */
enum { GR_REGS_MAX = 48 };
struct gr_regs {
	uint64_t r[GR_REGS_MAX];
};

enum { GR_NO_REG = -1 };

/* Called by gr_arch.code_refs for each data address an instruction forms
 * (a global the code loads, stores or takes the address of).  Returns
 * false to stop the scan. */
typedef bool gr_code_ref_fn(void *ctx, uint64_t addr);

/* For the code_refs decoders: the registers an address-forming
 * instruction (ADRP, AUIPC, PCALAU12I...) set, each value kept for reach
 * instructions after the one that set it (the compiler emits the pair
 * adjacent). */
struct gr_regtrack {
	uint64_t val[32];
	size_t set_at[32];
	uint32_t valid;     /* bit r: val[r] is known */
	size_t reach;
};

/* Instruction k set r to v. */
static inline void gr_regtrack_set(struct gr_regtrack *t, unsigned r, uint64_t v, size_t k)
{
	t->val[r & 31] = v;
	t->set_at[r & 31] = k;
	t->valid |= 1u << (r & 31);
}

/* r's value at instruction k: known, and set at most reach instructions
 * before. */
static inline bool gr_regtrack_get(const struct gr_regtrack *t, unsigned r, size_t k,
				   uint64_t *v)
{
	if (!(t->valid >> (r & 31) & 1) || k - t->set_at[r & 31] > t->reach)
		return false;
	*v = t->val[r & 31];
	return true;
}

/* Instruction k wrote r: its value is forgotten, unless k set it. */
static inline void gr_regtrack_written(struct gr_regtrack *t, unsigned r, size_t k)
{
	if (t->valid >> (r & 31) & 1 && t->set_at[r & 31] != k)
		t->valid &= ~(1u << (r & 31));
}

struct gr_arch {
	const char *name;        /* GOARCH, e.g. "amd64" */
	uint16_t elf_machine;    /* e_machine of its ELF files */
	/* NT_PRSTATUS: pr_reg holds nregs 8-byte words, named reg_names[]
	 * (the names the runtime's dumpregs prints). */
	unsigned nregs;
	const char *const *reg_names;
	/* Word indexes in gr_regs of the program counter, the stack pointer,
	 * the link register (GR_NO_REG when calls push the return address)
	 * and the register holding the current g (GR_NO_REG when it is in
	 * thread-local storage). */
	int reg_pc, reg_sp, reg_lr, reg_g;
	/* internal/goarch PCQuantum: "created by" backs gopc up by this. */
	unsigned pc_quantum;
	/* internal/goarch MinFrameSize: 0 when a call pushes the return
	 * address (the frame then ends 8 bytes above sp + pcsp: the return
	 * address sits in the frame's last word), else the bytes at sp that
	 * hold the saved link register (traceback.go's usesLR).  Arguments
	 * start that far above the frame pointer. */
	unsigned min_frame_size;
	/* internal/goarch StackAlign: an injected call (sigpanic,
	 * asyncPreempt) on a link-register arch moved sp down by
	 * alignUp(min_frame_size, stack_align). */
	unsigned stack_align;
	/* The kernel's signal frame, from the frame pointer (gr_arch_fp) of
	 * runtime.sigtramp's frame: where the siginfo_t is, and the
	 * interrupted pc and sp in the ucontext's mcontext. */
	uint64_t sig_info, sig_pc, sig_sp;
	/* The interrupted link register there (link-register arches). */
	uint64_t sig_lr;
	/* The runtime's sigctxt.sigcode() is a uint32 (riscv64, loong64), not
	 * a uint64: si_code -6 prints as 4294967290, not as
	 * 18446744073709551610. */
	bool sigcode32;
	/* Scans the machine code at code[0..n), which sits at address pc:
	 * calls ref for each data address its instructions form.  When
	 * bound_ret is non-NULL and still -1, the immediate of the first
	 * compare of a register with a constant is stored there (the bound
	 * waitReason.String checks).  Returns false when ref stopped it. */
	bool (*code_refs)(const uint8_t *code, size_t n, uint64_t pc, gr_code_ref_fn *ref,
			  void *ctx, int64_t *bound_ret);
};

extern const struct gr_arch gr_arch_amd64, gr_arch_arm64, gr_arch_riscv64, gr_arch_loong64;

/* The architecture of ELF files with this e_machine, or NULL. */
const struct gr_arch *gr_arch_for_machine(uint16_t machine);

static inline uint64_t gr_regs_pc(const struct gr_arch *a, const struct gr_regs *r)
{
	return r->r[a->reg_pc];
}

static inline uint64_t gr_regs_sp(const struct gr_arch *a, const struct gr_regs *r)
{
	return r->r[a->reg_sp];
}

/* The link register, 0 where calls push the return address. */
static inline uint64_t gr_regs_lr(const struct gr_arch *a, const struct gr_regs *r)
{
	return a->reg_lr == GR_NO_REG ? 0 : r->r[a->reg_lr];
}

/* si_code as the runtime's sigcode() gives it. */
static inline uint64_t gr_arch_sigcode(const struct gr_arch *a, int32_t code)
{
	return a->sigcode32 ? (uint64_t)(uint32_t)code : (uint64_t)(int64_t)code;
}

/* traceback.go's usesLR. */
static inline bool gr_arch_uses_lr(const struct gr_arch *a)
{
	return a->min_frame_size != 0;
}

/* The frame pointer (the caller's sp) of a frame at sp whose pcsp delta is
 * delta (traceback.go: fp = sp + pcsp, plus the pushed return address on
 * architectures without a link register). */
static inline uint64_t gr_arch_fp(const struct gr_arch *a, uint64_t sp, int32_t delta)
{
	return sp + (uint64_t)delta + (a->min_frame_size ? 0 : 8);
}


#endif
