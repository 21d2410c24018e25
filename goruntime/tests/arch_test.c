/* Tests for goruntime/arch*.c and image.c on hand-built inputs: no core,
 * no ELF file, no Go toolchain.
 *
 * The amd64 facts are those of arch-facts.md §1-§4 (Linux
 * arch/x86/include/asm/user_64.h, Go's runtime/defs_linux_amd64.go); the
 * instruction bytes are what Go's assembler emits for the forms named. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "../arch.h"
#include "../image.h"
#include "../process.h"
#include "../unwind.h"

struct refs {
	uint64_t v[16];
	size_t n;
	size_t stop_after;
};

static bool take(void *ctx, uint64_t addr)
{
	struct refs *r = ctx;
	if (r->n < 16)
		r->v[r->n++] = addr;
	return !r->stop_after || r->n < r->stop_after;
}

static void test_amd64_table(void **state)
{
	(void)state;
	const struct gr_arch *a = gr_arch_for_machine(62);
	assert_ptr_equal(a, &gr_arch_amd64);
	assert_null(gr_arch_for_machine(3)); /* i386: not read */
	assert_int_equal(a->nregs, 27);        /* user_regs_struct */
	assert_string_equal(a->reg_names[a->reg_pc], "rip");
	assert_int_equal(a->reg_pc, 16);
	assert_string_equal(a->reg_names[a->reg_sp], "rsp");
	assert_int_equal(a->reg_sp, 19);
	assert_string_equal(a->reg_names[21], "fs_base");
	assert_int_equal(a->reg_lr, GR_NO_REG);
	assert_int_equal(a->pc_quantum, 1);
	/* ucontext: mcontext at +40, rip = gregs[16], rsp = gregs[15]; the
	 * siginfo follows the 304-byte ucontext. */
	assert_int_equal(a->sig_pc, 40 + 8 * 16);
	assert_int_equal(a->sig_sp, 40 + 8 * 15);
	assert_int_equal(a->sig_info, 304);

	struct gr_regs r = {0};
	r.r[16] = 0x401000;
	r.r[19] = 0xc000050f80;
	assert_int_equal(gr_regs_pc(a, &r), 0x401000);
	assert_int_equal(gr_regs_sp(a, &r), 0xc000050f80);
}

static void test_amd64_frames(void **state)
{
	(void)state;
	const struct gr_arch *a = &gr_arch_amd64;
	/* CALL pushed the return address: the frame ends 8 bytes above
	 * sp + pcsp, the return address is its last word. */
	assert_int_equal(gr_arch_fp(a, 0x1000, 0x18), 0x1020);
	assert_int_equal(gr_arch_fp(a, 0x1000, 0), 0x1008);
	/* A synthetic stack: the return address is the word below fp,
	 * whatever lr says. */
	uint64_t stack[8] = {0x11, 0x22, 0x33, 0x44 /* at 0x1018 */, 0x55};
	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	assert_null(gc_addrspace_add(as, 0, 0x1000, sizeof(stack), (const uint8_t *)stack,
				     sizeof(stack), "stack"));
	uint64_t lr = 0x999;
	assert_true(gr_caller_pc(a, as, 0x1000, 0x1020, true, &lr));
	assert_int_equal(lr, 0x44);
	assert_false(gr_caller_pc(a, as, 0x2000, 0x2020, false, &lr)); /* unmapped */
	gc_addrspace_destroy(as);
}

static void test_arm64_frames(void **state)
{
	(void)state;
	const struct gr_arch *a = gr_arch_for_machine(183);
	assert_ptr_equal(a, &gr_arch_arm64);
	assert_int_equal(a->nregs, 34); /* user_pt_regs: x0-x30, sp, pc, pstate */
	assert_string_equal(a->reg_names[a->reg_pc], "pc");
	assert_int_equal(a->reg_pc, 32);
	assert_int_equal(a->reg_sp, 31);
	assert_int_equal(a->reg_lr, 30);
	assert_int_equal(a->reg_g, 28);
	assert_int_equal(a->pc_quantum, 4);
	/* rt_sigframe at sigtramp's entry sp: siginfo at +0, mcontext regs
	 * from +312: pc at +568, sp at +560, lr (x30) at +552. */
	assert_int_equal(a->sig_info, 0);
	assert_int_equal(a->sig_pc, 568);
	assert_int_equal(a->sig_sp, 560);
	assert_int_equal(a->sig_lr, 552);
	/* No pushed return address: fp = sp + pcsp. */
	assert_int_equal(gr_arch_fp(a, 0x1000, 0x20), 0x1020);
	uint64_t stack[8] = {0x4455 /* saved LR at sp */, 0x22};
	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	assert_null(gc_addrspace_add(as, 0, 0x1000, sizeof(stack), (const uint8_t *)stack,
				     sizeof(stack), "stack"));
	/* Innermost, frame not set up (sp == fp): the link register. */
	uint64_t lr = 0x777;
	assert_true(gr_caller_pc(a, as, 0x1000, 0x1000, true, &lr));
	assert_int_equal(lr, 0x777);
	/* Innermost with a frame: its prologue saved LR at sp. */
	lr = 0x777;
	assert_true(gr_caller_pc(a, as, 0x1000, 0x1020, true, &lr));
	assert_int_equal(lr, 0x4455);
	/* Outer frames (lr 0): always the saved word. */
	lr = 0;
	assert_true(gr_caller_pc(a, as, 0x1000, 0x1000, false, &lr));
	assert_int_equal(lr, 0x4455);
	gc_addrspace_destroy(as);
}

static void test_arm64_code_refs(void **state)
{
	(void)state;
	/* Go's forms (cmd/internal/obj/arm64): MOVD $sym, R0 = ADRP R0;
	 * ADD R0, R0, #lo.  MOVD sym, R1 (1.20+) = ADRP R27; LDR R1, [R27,
	 * #lo].  CMP $42, R2 = SUBS XZR, X2, #42. */
	static const uint8_t code[] = {
		0x00, 0x00, 0x00, 0xb0, /* ADRP X0, page+0x1000 @0x400000 */
		0x00, 0x40, 0x02, 0x91, /* ADD  X0, X0, #0x90 */
		0x1b, 0x00, 0x00, 0xb0, /* ADRP X27, page+0x1000 @0x400008 */
		0x61, 0x0f, 0x40, 0xf9, /* LDR  X1, [X27, #0x18] */
		0x5f, 0xa8, 0x00, 0xf1, /* CMP  X2, #42 */
		0xc0, 0x03, 0x5f, 0xd6, /* RET */
	};
	struct refs r = {0};
	int64_t bound = -1;
	assert_true(gr_arch_arm64.code_refs(code, sizeof(code), 0x400000, take, &r, &bound));
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0], 0x401000 + 0x90);
	assert_int_equal(r.v[1], 0x401000 + 0x18);
	assert_int_equal(bound, 42);
}

static void test_amd64_code_refs(void **state)
{
	(void)state;
	static const uint8_t code[] = {
		0x48, 0x8d, 0x05, 0x00, 0x10, 0x00, 0x00, /* LEA 0x1000(%rip), %rax  @0x400000 */
		0x48, 0x8b, 0x0d, 0xf0, 0xff, 0xff, 0xff, /* MOV -0x10(%rip), %rcx  @0x400007 */
		0x83, 0xf8, 0x2a,                         /* CMP $0x2a, %eax         @0x40000e */
		0x48, 0x89, 0xc3,                         /* MOV %rax, %rbx (no operand in memory) */
		0x3d, 0x00, 0x01, 0x00, 0x00,             /* CMP $0x100, %eax (a later compare) */
		0xc3,                                     /* RET */
	};
	struct refs r = {0};
	int64_t bound = -1;
	assert_true(gr_arch_amd64.code_refs(code, sizeof(code), 0x400000, take, &r, &bound));
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0], 0x400007 + 0x1000);
	assert_int_equal(r.v[1], 0x40000e - 0x10);
	assert_int_equal(bound, 42); /* the first compare only */

	/* A callback that stops the scan. */
	struct refs one = {.stop_after = 1};
	assert_false(gr_arch_amd64.code_refs(code, sizeof(code), 0x400000, take, &one, NULL));
	assert_int_equal(one.n, 1);

	/* Cut in the middle of an instruction: what decodes is still seen,
	 * and the scan ends without reading past n. */
	struct refs cut = {0};
	assert_true(gr_arch_amd64.code_refs(code, 10, 0x400000, take, &cut, NULL));
	assert_int_equal(cut.n, 1);
}

static void test_riscv64_loong64_tables(void **state)
{
	(void)state;
	const struct gr_arch *rv = gr_arch_for_machine(243), *la = gr_arch_for_machine(258);
	assert_ptr_equal(rv, &gr_arch_riscv64);
	assert_ptr_equal(la, &gr_arch_loong64);
	/* riscv64 user_regs_struct: pc, then x1..x31 (ra, sp, ... s11 = x27 = g). */
	assert_int_equal(rv->nregs, 32);
	assert_int_equal(rv->reg_pc, 0);
	assert_int_equal(rv->reg_lr, 1);
	assert_int_equal(rv->reg_sp, 2);
	assert_int_equal(rv->reg_g, 27);
	assert_string_equal(rv->reg_names[27], "s11");
	/* loong64: r0..r31, orig_a0, era (the pc), badv, 10 reserved. */
	assert_int_equal(la->nregs, 45);
	assert_int_equal(la->reg_pc, 33);
	assert_int_equal(la->reg_lr, 1);
	assert_int_equal(la->reg_sp, 3);
	assert_int_equal(la->reg_g, 22);
	/* Signal frames (arch-facts §3): pc at S+304 on both; sp at S+320
	 * (riscv64) and S+336 (loong64); ra at S+312 and S+320. */
	assert_int_equal(rv->sig_pc, 304);
	assert_int_equal(rv->sig_sp, 320);
	assert_int_equal(rv->sig_lr, 312);
	assert_int_equal(la->sig_pc, 304);
	assert_int_equal(la->sig_sp, 336);
	assert_int_equal(la->sig_lr, 320);
	/* sigcode() is a uint32 there, a uint64 on amd64 and arm64. */
	assert_int_equal(gr_arch_sigcode(rv, -6), 4294967290u);
	assert_int_equal(gr_arch_sigcode(&gr_arch_arm64, -6), (uint64_t)-6);

	/* AUIPC t0, 0x1 (+0x1000); ADDI a0, t0, 0x10; LD a1, 8(t0) (after a
	 * compressed NOP); SLTIU a2, a3, 42. */
	static const uint8_t rvcode[] = {
		0x97, 0x12, 0x00, 0x00, /* auipc t0, 0x1          @0x10000 */
		0x13, 0x85, 0x02, 0x01, /* addi  a0, t0, 16 */
		0x01, 0x00,             /* c.nop */
		0x83, 0xb5, 0x82, 0x00, /* ld    a1, 8(t0) */
		0x13, 0xb6, 0xa6, 0x02, /* sltiu a2, a3, 42 */
	};
	struct refs r = {0};
	int64_t bound = -1;
	assert_true(rv->code_refs(rvcode, sizeof(rvcode), 0x10000, take, &r, &bound));
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0], 0x11000 + 16);
	assert_int_equal(r.v[1], 0x11000 + 8);
	assert_int_equal(bound, 42);

	/* waitReason.String's bound as Go's riscv64 code checks it: andi t0,
	 * a0, 255; li t1, 37; bltu t0, t1. */
	static const uint8_t rvbound[] = {
		0x93, 0x72, 0xf5, 0x0f, /* andi t0, a0, 255 */
		0x13, 0x03, 0x50, 0x02, /* li   t1, 37 (addi t1, zero, 37) */
		0x63, 0xe4, 0x62, 0x00, /* bltu t0, t1, +8 */
	};
	bound = -1;
	struct refs none = {0};
	assert_true(rv->code_refs(rvbound, sizeof(rvbound), 0x10000, take, &none, &bound));
	assert_int_equal(none.n, 0);
	assert_int_equal(bound, 37);

	/* PCALAU12I t0 (r12), 0x1: page + 0x1000; ADDI.D a0 (r4), r12, 0x10;
	 * LD.D a1 (r5), r12, 8. */
	static const uint8_t lacode[] = {
		0x2c, 0x00, 0x00, 0x1a, /* pcalau12i $r12, 1     @0x120040 */
		0x84, 0x41, 0xc0, 0x02, /* addi.d    $r4, $r12, 16 */
		0x85, 0x21, 0xc0, 0x28, /* ld.d      $r5, $r12, 8 */
	};
	struct refs l = {0};
	assert_true(la->code_refs(lacode, sizeof(lacode), 0x120040, take, &l, NULL));
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0], 0x121000 + 16);
	assert_int_equal(l.v[1], 0x121000 + 8);
}

static void test_image_sections(void **state)
{
	(void)state;
	static const uint8_t bytes[] = "\xff Go buildinf:";
	const struct gr_image_section secs[] = {
		{.name = ".text", .addr = 0x401000, .size = 0x100, .data = NULL},
		{.name = ".go.buildinfo", .addr = 0x500000, .size = sizeof(bytes), .data = bytes},
	};
	struct gr_image_file f = {.path = "synthetic", .sections = secs, .nsections = 2,
				  .dwarf_fd = -1};
	const struct gr_image_section *s = gr_image_section(&f, ".go.buildinfo");
	assert_non_null(s);
	assert_int_equal(s->addr, 0x500000);
	assert_null(gr_image_section(&f, ".gopclntab"));
	uint64_t v;
	assert_false(gr_image_symbol(&f, "runtime.allgs", &v, NULL)); /* stripped */
	/* No section, no segment: no pclntab, so no Go code. */
	const uint8_t *d;
	size_t n;
	assert_false(gr_file_pclntab(&f, &d, &n, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_amd64_table),
		cmocka_unit_test(test_amd64_frames),
		cmocka_unit_test(test_amd64_code_refs),
		cmocka_unit_test(test_arm64_frames),
		cmocka_unit_test(test_arm64_code_refs),
		cmocka_unit_test(test_riscv64_loong64_tables),
		cmocka_unit_test(test_image_sections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
