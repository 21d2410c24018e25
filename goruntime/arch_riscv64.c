/* riscv64: the registers, the frame and signal-frame rules, and the decoder
 * of the instruction pairs that form a global's address.  See arch.h.
 *
 * Sources: Linux arch/riscv/include/uapi/asm/ptrace.h (user_regs_struct:
 * pc, then x1-x31; the NT_PRSTATUS order), uapi/asm/sigcontext.h and
 * kernel/signal.c (rt_sigframe: siginfo, then the ucontext whose mcontext,
 * a user_regs_struct, starts 176 bytes in); Go's internal/goarch
 * (MinFrameSize 8, StackAlign 8; PCQuantum 4, 2 from Go 1.26: the
 * pc-line table's quantum is used), runtime/signal_riscv64.go, and
 * cmd/internal/obj/riscv (REG_G = X27; AUIPC+ADDI/LD as the linker
 * relocates them, never compressed). */
#include "arch.h"

static const char *const riscv64_regs[] = {
	"pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1",
	"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
	"s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
	"t3", "t4", "t5", "t6",
};
enum { RV_PC = 0, RV_RA = 1, RV_SP = 2, RV_G = 27 };

enum { PAIR_REACH = 3 }; /* instructions an AUIPC's value is kept for */

static int64_t sext(uint64_t v, unsigned bits)
{
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static bool riscv64_code_refs(const uint8_t *code, size_t n, uint64_t pc, gr_code_ref_fn *ref,
			      void *ctx, int64_t *bound_ret)
{
	struct gr_regtrack t = {.reach = PAIR_REACH};
	/* LI rd, N (ADDI rd, zero, N): a compare with a constant is LI then
	 * BLTU/BGEU on riscv64 (waitReason.String: li t1, N; bltu t0, t1). */
	int64_t li[32];
	bool li_valid[32] = {false};
	bool want_bound = bound_ret && *bound_ret < 0;
	size_t k = 0;
	for (size_t i = 0; i + 2 <= n; k++) {
		uint32_t w = (uint32_t)code[i] | (uint32_t)code[i + 1] << 8;
		if ((w & 3) != 3) { /* a compressed (16-bit) instruction */
			i += 2;
			continue;
		}
		if (i + 4 > n)
			break;
		w |= (uint32_t)code[i + 2] << 16 | (uint32_t)code[i + 3] << 24;
		unsigned op = w & 0x7f, rd = (w >> 7) & 31, rs1 = (w >> 15) & 31;
		unsigned f3 = (w >> 12) & 7;
		uint64_t v1 = 0;
		bool have = gr_regtrack_get(&t, rs1, k, &v1);
		if (op == 0x17) { /* AUIPC rd, imm20: pc + (imm20 << 12) */
			if (rd != 0)
				gr_regtrack_set(&t, rd, pc + i + (uint64_t)sext(w & 0xfffff000u, 32), k);
			i += 4;
			continue;
		}
		int64_t imm_i = sext(w >> 20, 12);
		unsigned rs2 = (w >> 20) & 31;
		if (op == 0x63 && (f3 == 6 || f3 == 7) && want_bound &&
		    (li_valid[rs2] || li_valid[rs1])) { /* BLTU/BGEU against an LI */
			*bound_ret = li_valid[rs2] ? li[rs2] : li[rs1];
			want_bound = false;
		}
		if (op == 0x13 && f3 == 0 && rs1 == 0 && rd != 0) { /* LI rd, imm */
			li[rd] = imm_i;
			li_valid[rd] = true;
			gr_regtrack_written(&t, rd, k);
			i += 4;
			continue;
		}
		if (op != 0x23 && op != 0x63 && rd != 0)
			li_valid[rd] = false;
		if (op == 0x13 && f3 == 0 && have) { /* ADDI rd, rs1, imm */
			if (!ref(ctx, v1 + (uint64_t)imm_i))
				return false;
			gr_regtrack_written(&t, rd, k);
		} else if (op == 0x03 && have) { /* LB/LH/LW/LD/LBU/LHU/LWU */
			if (!ref(ctx, v1 + (uint64_t)imm_i))
				return false;
			gr_regtrack_written(&t, rd, k);
		} else if (op == 0x23 && have) { /* SB/SH/SW/SD: S-immediate */
			int64_t imm_s = sext(((w >> 25) << 5) | ((w >> 7) & 31), 12);
			if (!ref(ctx, v1 + (uint64_t)imm_s))
				return false;
		} else if (op == 0x13 && f3 == 3 && want_bound) { /* SLTIU rd, rs1, imm */
			*bound_ret = imm_i;
			want_bound = false;
			gr_regtrack_written(&t, rd, k);
		} else if (op != 0x23 && op != 0x63) { /* not a store or a branch: rd written */
			gr_regtrack_written(&t, rd, k);
		}
		i += 4;
	}
	return true;
}

/* rt_sigframe at sigtramp's entry sp: siginfo (128 bytes), then the
 * ucontext; its mcontext (a user_regs_struct: pc, ra, sp...) at +176. */
enum { MC = 128 + 176 };

const struct gr_arch gr_arch_riscv64 = {
	.name = "riscv64",
	.elf_machine = 243, /* EM_RISCV */
	.nregs = sizeof(riscv64_regs) / sizeof(riscv64_regs[0]),
	.reg_names = riscv64_regs,
	.reg_pc = RV_PC,
	.reg_sp = RV_SP,
	.reg_lr = RV_RA,
	.reg_g = RV_G,
	.pc_quantum = 4,
	.min_frame_size = 8,
	.stack_align = 8,
	.sig_info = 0,
	.sig_pc = MC + 8 * RV_PC,
	.sig_sp = MC + 8 * RV_SP,
	.sig_lr = MC + 8 * RV_RA,
	.sigcode32 = true, /* runtime/signal_linux_riscv64.go */
	.code_refs = riscv64_code_refs,
};
