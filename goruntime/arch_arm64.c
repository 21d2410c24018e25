/* arm64: the registers, the frame and signal-frame rules, and the decoder
 * of the instruction pairs that form a global's address.  See arch.h.
 *
 * Sources: Linux arch/arm64/include/uapi/asm/ptrace.h (user_pt_regs, the
 * NT_PRSTATUS order) and sigcontext.h, arch/arm64/kernel/signal.c
 * (rt_sigframe: siginfo, then the ucontext whose mcontext starts 176 bytes
 * in); Go's internal/goarch/goarch_arm64.go (PCQuantum 4, MinFrameSize 8,
 * StackAlign 16), runtime/signal_arm64.go and cmd/internal/obj/arm64
 * (REGG = R28; ADRP/ADD/LDR as the assembler and linker emit them). */
#include "arch.h"

static const char *const arm64_regs[] = {
	"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9",
	"r10", "r11", "r12", "r13", "r14", "r15", "r16", "r17", "r18", "r19",
	"r20", "r21", "r22", "r23", "r24", "r25", "r26", "r27", "r28", "r29",
	"lr", "sp", "pc", "pstate",
};
enum { ARM64_G = 28, ARM64_LR = 30, ARM64_SP = 31, ARM64_PC = 32 };

/* How far back (in instructions) an ADRP's or ADD's value is still taken
 * for the next instruction of its pair: the compiler emits them adjacent. */
enum { PAIR_REACH = 2 };

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The scale of a load or store with an unsigned 12-bit offset, 0 for any
 * other instruction: LDR/STR of 8, 4, 2 or 1 bytes, LDRSW. */
static unsigned ldst_scale(uint32_t w)
{
	switch (w & 0xffc00000u) {
	case 0xf9400000u: case 0xf9000000u: return 8;  /* LDR/STR X */
	case 0xb9400000u: case 0xb9000000u: case 0xb9800000u: return 4; /* W, LDRSW */
	case 0x79400000u: case 0x79000000u: return 2;  /* H */
	case 0x39400000u: case 0x39000000u: return 1;  /* B */
	default: return 0;
	}
}

static bool arm64_code_refs(const uint8_t *code, size_t n, uint64_t pc, gr_code_ref_fn *ref,
			    void *ctx, int64_t *bound_ret)
{
	struct gr_regtrack t = {.reach = PAIR_REACH};
	bool want_bound = bound_ret && *bound_ret < 0;
	for (size_t i = 0; i + 4 <= n; i += 4) {
		uint32_t w = le32(code + i);
		size_t k = i / 4;
		unsigned rd = w & 31, rn = (w >> 5) & 31;
		uint64_t vn = 0;
		bool have_rn = gr_regtrack_get(&t, rn, k, &vn);
		if ((w & 0x9f000000u) == 0x90000000u) {
			/* ADRP: page of pc + sext(immhi:immlo) << 12. */
			uint64_t imm = ((uint64_t)((w >> 5) & 0x7ffff) << 2) | ((w >> 29) & 3);
			int64_t off = (int64_t)(imm << 43) >> 31; /* sign-extend 21 bits, << 12 */
			gr_regtrack_set(&t, rd, ((pc + i) & ~(uint64_t)0xfff) + (uint64_t)off, k);
			continue;
		}
		if ((w & 0xffc00000u) == 0x91000000u && have_rn) {
			/* ADD Xd, Xn, #imm12 after ADRP: the address itself. */
			uint64_t a = vn + ((w >> 10) & 0xfff);
			if (!ref(ctx, a))
				return false;
			gr_regtrack_set(&t, rd, a, k);
			continue;
		}
		unsigned scale = ldst_scale(w);
		if (scale && have_rn) {
			/* LDR/STR Rt, [Xn, #imm12 * scale]. */
			if (!ref(ctx, vn + ((w >> 10) & 0xfff) * scale))
				return false;
		}
		/* CMP Wn/Xn, #imm (SUBS with the zero register as destination). */
		if (want_bound && (w & 0x7f00001fu) == 0x7100001fu) {
			int64_t imm = (w >> 10) & 0xfff;
			*bound_ret = (w >> 22) & 1 ? imm << 12 : imm;
			want_bound = false;
		}
		if (rd < 31)
			gr_regtrack_written(&t, rd, k); /* most instructions write rd: forget it */
	}
	return true;
}

/* The kernel's rt_sigframe on arm64, at the sp sigtramp was entered with
 * (sigtramp's frame pointer: link-register arches count no pushed return
 * address): siginfo (128 bytes), then the ucontext; its mcontext
 * (struct sigcontext) starts at +176: fault_address, regs[31], sp, pc. */
enum { UC = 128, MC = UC + 176, MC_REGS = MC + 8 };

const struct gr_arch gr_arch_arm64 = {
	.name = "arm64",
	.elf_machine = 183, /* EM_AARCH64 */
	.nregs = sizeof(arm64_regs) / sizeof(arm64_regs[0]),
	.reg_names = arm64_regs,
	.reg_pc = ARM64_PC,
	.reg_sp = ARM64_SP,
	.reg_lr = ARM64_LR,
	.reg_g = ARM64_G,
	.pc_quantum = 4,
	.min_frame_size = 8,
	.stack_align = 16,
	.sig_info = 0,
	.sig_pc = MC_REGS + 8 * 32,
	.sig_sp = MC_REGS + 8 * 31,
	.sig_lr = MC_REGS + 8 * 30,
	.code_refs = arm64_code_refs,
};
