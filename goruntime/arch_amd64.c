/* amd64: the registers, the frame and signal-frame rules, and the
 * instruction decoder that finds the globals a function uses.  See arch.h.
 *
 * Sources: Linux arch/x86/include/asm/user_64.h (user_regs_struct, the
 * NT_PRSTATUS order), arch/x86/include/uapi/asm/sigcontext.h and Go's
 * runtime/defs_linux_amd64.go (ucontext), runtime/sys_linux_amd64.s
 * (sigtramp), and Intel's SDM vol. 2 opcode maps. */
#include "arch.h"

#include <string.h>

static const char *const amd64_regs[] = {
	"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
	"rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp",
	"ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
};
enum { AMD64_RIP = 16, AMD64_RSP = 19 };

/* ---- amd64 instruction lengths ----
 *
 * Enough of the encoding to walk the code the Go compiler emits (legacy
 * prefixes, REX, the one- and two-byte opcode maps, 0F38/0F3A, VEX) and
 * to see each instruction's RIP-relative memory operand (ModRM mod=00
 * rm=101: disp32 from the end of the instruction). */

enum {
	OP_MODRM = 1 << 0,
	OP_IMM8 = 1 << 1,
	OP_IMM16 = 1 << 2,
	OP_IMMZ = 1 << 3,   /* 32 bits, 16 with a 66 prefix */
	OP_IMM32 = 1 << 4,  /* rel32: 32 bits whatever the prefix */
	OP_IMMV = 1 << 5,   /* B8-BF: 64 bits with REX.W, else Z */
	OP_MOFFS = 1 << 6,  /* A0-A3: 64-bit absolute address */
	OP_GRP3 = 1 << 7,   /* F6/F7: immediate only for /0 and /1 */
	OP_BAD = 1 << 8,
};

static unsigned op1_flags(uint8_t op)
{
	if (op < 0x40) {
		switch (op & 7) {
		case 0: case 1: case 2: case 3: return OP_MODRM;
		case 4: return OP_IMM8;
		case 5: return OP_IMMZ;
		default: return OP_BAD; /* push/pop seg, daa...: invalid in 64-bit mode */
		}
	}
	if (op >= 0x50 && op <= 0x5f) return 0;
	if (op >= 0x70 && op <= 0x7f) return OP_IMM8;
	if (op >= 0x84 && op <= 0x8f) return OP_MODRM;
	if (op >= 0x90 && op <= 0x9f) return op == 0x9a ? OP_BAD : 0;
	if (op >= 0xa0 && op <= 0xa3) return OP_MOFFS;
	if (op >= 0xb0 && op <= 0xb7) return OP_IMM8;
	if (op >= 0xb8 && op <= 0xbf) return OP_IMMV;
	if (op >= 0xd8 && op <= 0xdf) return OP_MODRM;
	if (op >= 0xe0 && op <= 0xe7) return OP_IMM8;
	switch (op) {
	case 0x63: return OP_MODRM;
	case 0x68: return OP_IMMZ;
	case 0x69: return OP_MODRM | OP_IMMZ;
	case 0x6a: return OP_IMM8;
	case 0x6b: return OP_MODRM | OP_IMM8;
	case 0x6c: case 0x6d: case 0x6e: case 0x6f: return 0;
	case 0x80: case 0x83: return OP_MODRM | OP_IMM8;
	case 0x81: return OP_MODRM | OP_IMMZ;
	case 0xa4: case 0xa5: case 0xa6: case 0xa7: return 0;
	case 0xa8: return OP_IMM8;
	case 0xa9: return OP_IMMZ;
	case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf: return 0;
	case 0xc0: case 0xc1: case 0xc6: return OP_MODRM | OP_IMM8;
	case 0xc2: case 0xca: return OP_IMM16;
	case 0xc3: case 0xc9: case 0xcb: case 0xcc: case 0xcf: return 0;
	case 0xc7: return OP_MODRM | OP_IMMZ;
	case 0xc8: return OP_IMM16 | OP_IMM8;
	case 0xcd: return OP_IMM8;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: return OP_MODRM;
	case 0xd7: return 0;
	case 0xe8: case 0xe9: return OP_IMM32;
	case 0xeb: return OP_IMM8;
	case 0xec: case 0xed: case 0xee: case 0xef: return 0;
	case 0xf1: case 0xf4: case 0xf5: return 0;
	case 0xf6: case 0xf7: return OP_MODRM | OP_GRP3;
	case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd: return 0;
	case 0xfe: case 0xff: return OP_MODRM;
	default: return OP_BAD;
	}
}

/* The 0F map. */
static unsigned op2_flags(uint8_t op)
{
	if (op <= 0x03 || op == 0x0d || (op >= 0x10 && op <= 0x23) ||
	    (op >= 0x28 && op <= 0x2f) || (op >= 0x40 && op <= 0x6f) ||
	    (op >= 0x74 && op <= 0x76) || (op >= 0x78 && op <= 0x7f) ||
	    (op >= 0x90 && op <= 0x9f) || op >= 0xd0)
		return OP_MODRM;
	if ((op >= 0x70 && op <= 0x73) || op == 0x0f || op == 0xa4 || op == 0xac ||
	    op == 0xba || op == 0xc2 || (op >= 0xc4 && op <= 0xc6))
		return OP_MODRM | OP_IMM8;
	if (op >= 0x80 && op <= 0x8f)
		return OP_IMM32;
	if ((op >= 0x05 && op <= 0x09) || op == 0x0b || op == 0x0e || (op >= 0x30 && op <= 0x37) ||
	    op == 0x77 || (op >= 0xa0 && op <= 0xa2) || (op >= 0xa8 && op <= 0xaa) ||
	    (op >= 0xc8 && op <= 0xcf))
		return 0;
	if (op == 0xa3 || op == 0xa5 || (op >= 0xab && op <= 0xaf && op != 0xac) ||
	    (op >= 0xb0 && op <= 0xbf) || op == 0xc0 || op == 0xc1 || op == 0xc3 || op == 0xc7)
		return OP_MODRM;
	return OP_BAD;
}

struct insn {
	unsigned len;
	unsigned map;     /* 0: one-byte, 1: 0F, 2: 0F38, 3: 0F3A */
	uint8_t op;
	bool has_modrm;
	uint8_t mod, reg;  /* ModRM fields (reg without REX.R) */
	bool rip;          /* a RIP-relative memory operand */
	uint64_t target;   /* its address */
	int64_t imm;       /* the immediate, sign-extended (0 if none) */
};

/* Decodes the instruction at b[0..n), which sits at address pc.  Returns
 * false for an invalid or truncated encoding. */
static bool decode(const uint8_t *b, size_t n, uint64_t pc, struct insn *ret)
{
	memset(ret, 0, sizeof(*ret));
	size_t i = 0;
	bool opsize = false, rexw = false;
	for (;; i++) {
		if (i >= n || i >= 15)
			return false;
		uint8_t c = b[i];
		if (c == 0x66)
			opsize = true;
		else if (!(c == 0xf0 || c == 0xf2 || c == 0xf3 || c == 0x2e || c == 0x36 ||
			   c == 0x3e || c == 0x26 || c == 0x64 || c == 0x65 || c == 0x67))
			break;
	}
	if ((b[i] & 0xf0) == 0x40) {
		rexw = b[i] & 8;
		if (++i >= n)
			return false;
	}
	unsigned flags;
	uint8_t op = b[i++];
	if (op == 0xc4 || op == 0xc5) {
		/* VEX: C5 [R vvvv L pp], C4 [RXB mmmmm] [W vvvv L pp]. */
		unsigned map = 1;
		if (op == 0xc4) {
			if (i + 2 > n)
				return false;
			map = b[i] & 0x1f;
			i += 2;
		} else {
			if (i + 1 > n)
				return false;
			i += 1;
		}
		if (i >= n || map < 1 || map > 3)
			return false;
		op = b[i++];
		ret->map = map;
		flags = map == 1 ? op2_flags(op) : map == 2 ? OP_MODRM : OP_MODRM | OP_IMM8;
		if (flags & (OP_BAD | OP_IMM32))
			return false;
	} else if (op == 0x0f) {
		if (i >= n)
			return false;
		op = b[i++];
		if (op == 0x38 || op == 0x3a) {
			if (i >= n)
				return false;
			ret->map = op == 0x38 ? 2 : 3;
			flags = op == 0x38 ? OP_MODRM : OP_MODRM | OP_IMM8;
			op = b[i++];
		} else {
			ret->map = 1;
			flags = op2_flags(op);
		}
	} else {
		flags = op1_flags(op);
	}
	if (flags & OP_BAD)
		return false;
	ret->op = op;
	int64_t disp = 0;
	if (flags & OP_MODRM) {
		if (i >= n)
			return false;
		uint8_t m = b[i++];
		ret->has_modrm = true;
		ret->mod = m >> 6;
		ret->reg = (m >> 3) & 7;
		uint8_t rm = m & 7;
		size_t dlen = 0;
		if (ret->mod != 3 && rm == 4) {
			if (i >= n)
				return false;
			uint8_t sib = b[i++];
			if (ret->mod == 0 && (sib & 7) == 5)
				dlen = 4;
		}
		if (ret->mod == 0 && rm == 5) {
			dlen = 4;
			ret->rip = true;
		} else if (ret->mod == 1) {
			dlen = 1;
		} else if (ret->mod == 2) {
			dlen = 4;
		}
		if (i + dlen > n)
			return false;
		if (dlen == 4) {
			int32_t d;
			memcpy(&d, b + i, 4);
			disp = d;
		}
		i += dlen;
		if ((flags & OP_GRP3) && ret->reg <= 1)
			flags |= op == 0xf6 ? OP_IMM8 : OP_IMMZ;
	}
	size_t ilen = 0;
	if (flags & OP_IMM16)
		ilen += 2;
	if (flags & OP_IMM8)
		ilen += 1;
	if (flags & OP_IMMZ)
		ilen += opsize ? 2 : 4;
	if (flags & OP_IMM32)
		ilen += 4;
	if (flags & OP_IMMV)
		ilen += rexw ? 8 : opsize ? 2 : 4;
	if (flags & OP_MOFFS)
		ilen += 8;
	if (i + ilen > n)
		return false;
	if (ilen == 1)
		ret->imm = (int8_t)b[i];
	else if (ilen == 4) {
		int32_t v;
		memcpy(&v, b + i, 4);
		ret->imm = v;
	}
	i += ilen;
	ret->len = (unsigned)i;
	if (ret->rip)
		ret->target = pc + i + (uint64_t)disp;
	return true;
}


/* RIP-relative operands are the only way Go's amd64 code forms a global's
 * address (LEA, MOV, CMP... disp32(%rip)). */
static bool amd64_code_refs(const uint8_t *code, size_t n, uint64_t pc, gr_code_ref_fn *ref,
			    void *ctx, int64_t *bound_ret)
{
	bool want_bound = bound_ret && *bound_ret < 0;
	for (size_t off = 0; off < n;) {
		struct insn in;
		if (!decode(code + off, n - off, pc + off, &in)) {
			off++;  /* resynchronise; candidates are validated anyway */
			continue;
		}
		if (in.rip && !ref(ctx, in.target))
			return false;
		/* CMP AL/EAX, imm; CMP r/m, imm (80/81/83 /7) on a register. */
		if (want_bound && in.map == 0 &&
		    (in.op == 0x3c || in.op == 0x3d ||
		     ((in.op == 0x80 || in.op == 0x81 || in.op == 0x83) && in.mod == 3 && in.reg == 7))) {
			*bound_ret = in.op == 0x3c || in.op == 0x80 ? (uint8_t)in.imm : in.imm;
			want_bound = false;
		}
		off += in.len;
	}
	return true;
}

/* The kernel's rt_sigframe on amd64 (arch/x86/include/asm/sigframe.h):
 * the return address (sa_restorer), then the ucontext -- uc_flags,
 * uc_link, uc_stack (24 bytes), then mcontext's gregs[] in <sys/ucontext.h>
 * REG_* order (REG_RSP 15, REG_RIP 16), the 256-byte sigcontext and an
 * 8-byte sigset -- then the siginfo_t, 304 bytes into the ucontext.  The
 * frame pointer of sigtramp's frame is where the ucontext starts. */
enum { UC_MCONTEXT = 40, UC_REG_RSP = 15, UC_REG_RIP = 16, UC_SIZE = 304 };

const struct gr_arch gr_arch_amd64 = {
	.name = "amd64",
	.elf_machine = 62, /* EM_X86_64 */
	.nregs = sizeof(amd64_regs) / sizeof(amd64_regs[0]),
	.reg_names = amd64_regs,
	.reg_pc = AMD64_RIP,
	.reg_sp = AMD64_RSP,
	.reg_lr = GR_NO_REG,
	.reg_g = GR_NO_REG, /* R14 in Go code (ABIInternal), but TLS at fs_base-8 is the g of record */
	.pc_quantum = 1,
	.min_frame_size = 0,
	.stack_align = 8,
	.sig_info = UC_SIZE,
	.sig_pc = UC_MCONTEXT + 8 * UC_REG_RIP,
	.sig_sp = UC_MCONTEXT + 8 * UC_REG_RSP,
	.code_refs = amd64_code_refs,
};
