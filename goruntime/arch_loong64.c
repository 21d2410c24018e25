/* loong64: the registers, the frame and signal-frame rules, and the
 * decoder of the instruction pairs that form a global's address.  See
 * arch.h.
 *
 * Sources: Linux arch/loongarch/include/uapi/asm/ptrace.h (user_pt_regs:
 * r0-r31, orig_a0, csr_era = pc, csr_badv, 10 reserved; ELF_NGREG 45, the
 * NT_PRSTATUS order), uapi/asm/sigcontext.h and kernel/signal.c
 * (rt_sigframe: siginfo, then the ucontext whose sigcontext starts 176
 * bytes in: sc_pc, sc_regs[32]); Go's internal/goarch (PCQuantum 4,
 * MinFrameSize 8, StackAlign 8), runtime/signal_loong64.go and
 * cmd/internal/obj/loong64 (REGG = R22; PCALAU12I, PCADDU12I before Go
 * 1.21, + ADDI.D/LD.D as the linker relocates them). */
#include "arch.h"

static const char *const loong64_regs[] = {
	"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9",
	"r10", "r11", "r12", "r13", "r14", "r15", "r16", "r17", "r18", "r19",
	"r20", "r21", "r22", "r23", "r24", "r25", "r26", "r27", "r28", "r29",
	"r30", "r31", "orig_a0", "pc", "badv",
	"reserved0", "reserved1", "reserved2", "reserved3", "reserved4",
	"reserved5", "reserved6", "reserved7", "reserved8", "reserved9",
};
enum { LA_RA = 1, LA_SP = 3, LA_G = 22, LA_PC = 33 };

enum { PAIR_REACH = 3 };

static int64_t sext(uint64_t v, unsigned bits)
{
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static bool loong64_code_refs(const uint8_t *code, size_t n, uint64_t pc, gr_code_ref_fn *ref,
			      void *ctx, int64_t *bound_ret)
{
	struct gr_regtrack t = {.reach = PAIR_REACH};
	bool want_bound = bound_ret && *bound_ret < 0;
	for (size_t i = 0; i + 4 <= n; i += 4) {
		uint32_t w = (uint32_t)code[i] | (uint32_t)code[i + 1] << 8 |
			     (uint32_t)code[i + 2] << 16 | (uint32_t)code[i + 3] << 24;
		size_t k = i / 4;
		unsigned rd = w & 31, rj = (w >> 5) & 31;
		uint64_t vj = 0;
		bool have = gr_regtrack_get(&t, rj, k, &vj);
		uint32_t op7 = w & 0xfe000000u;
		if (op7 == 0x1a000000u || op7 == 0x1c000000u) {
			/* PCALAU12I (page of pc) / PCADDU12I (pc) + si20 << 12 */
			int64_t hi = sext((uint64_t)((w >> 5) & 0xfffff) << 12, 32);
			uint64_t base = op7 == 0x1a000000u ? (pc + i) & ~(uint64_t)0xfff : pc + i;
			if (rd != 0)
				gr_regtrack_set(&t, rd, base + (uint64_t)hi, k);
			continue;
		}
		int64_t si12 = sext((w >> 10) & 0xfff, 12);
		switch (w & 0xffc00000u) {
		case 0x02c00000u: /* ADDI.D */
		case 0x28000000u: case 0x28400000u: case 0x28800000u: case 0x28c00000u: /* LD.B/H/W/D */
		case 0x2a000000u: case 0x2a400000u: case 0x2a800000u: /* LD.BU/HU/WU */
		case 0x29000000u: case 0x29400000u: case 0x29800000u: case 0x29c00000u: /* ST.B/H/W/D */
			if (have && !ref(ctx, vj + (uint64_t)si12))
				return false;
			break;
		case 0x02400000u: /* SLTUI rd, rj, si12 */
			if (want_bound) {
				*bound_ret = si12;
				want_bound = false;
			}
			break;
		}
		/* Every instruction but a store (ST.B/H/W/D) writes rd. */
		if ((w & 0xff000000u) != 0x29000000u)
			gr_regtrack_written(&t, rd, k);
	}
	return true;
}

/* rt_sigframe at sigtramp's entry sp: siginfo (128 bytes), then the
 * ucontext; its sigcontext at +176: sc_pc, then sc_regs[32]. */
enum { SC = 128 + 176, SC_REGS = SC + 8 };

const struct gr_arch gr_arch_loong64 = {
	.name = "loong64",
	.elf_machine = 258, /* EM_LOONGARCH */
	.nregs = sizeof(loong64_regs) / sizeof(loong64_regs[0]),
	.reg_names = loong64_regs,
	.reg_pc = LA_PC,
	.reg_sp = LA_SP,
	.reg_lr = LA_RA,
	.reg_g = LA_G,
	.pc_quantum = 4,
	.min_frame_size = 8,
	.stack_align = 8,
	.sig_info = 0,
	.sig_pc = SC,
	.sig_sp = SC_REGS + 8 * LA_SP,
	.sig_lr = SC_REGS + 8 * LA_RA,
	.sigcode32 = true, /* runtime/signal_linux_loong64.go */
	.code_refs = loong64_code_refs,
};
