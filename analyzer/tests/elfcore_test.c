/* Unit tests for the ELF core loader: a synthetic x86-64 core built here
 * (every parsed field checked), the same core truncated every 8 bytes,
 * garbage and mutated input, PN_XNUM, and a real core of
 * $GOCORE_FIXTURES/crashcore (testdata/crashcore) dumped by the kernel. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "../../common/error.h"
#include "../../common/addrspace.h"
#include "../elfcore.h"
#include "../elfexe.h"
#include "testutil.h"


static void set_u16(struct img *m, size_t off, uint16_t v) { memcpy(m->p + off, &v, 2); }
static void set_u32(struct img *m, size_t off, uint32_t v) { memcpy(m->p + off, &v, 4); }
static void set_u64(struct img *m, size_t off, uint64_t v) { memcpy(m->p + off, &v, 8); }

/* Appends a note; returns the offset just past it. */
static size_t put_note(struct img *m, const char *name, uint32_t type, const void *desc,
		       uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	uint32_t h[3] = {namesz, descsz, type};
	put(m, h, sizeof(h));
	put(m, name, namesz);
	put_zero(m, (4 - namesz % 4) % 4);
	put(m, desc, descsz);
	put_zero(m, (4 - descsz % 4) % 4);
	return m->len;
}

/* Offsets the truncation test needs. */
struct synth {
	struct img m;
	size_t notes_off, notes_end;
	size_t prstatus_end[2], prpsinfo_end, siginfo_end, auxv_end, file_end;
	size_t load_off[2];
};

enum {
	LOAD1_VADDR = 0x400000, LOAD1_FILESZ = 0x100, LOAD1_MEMSZ = 0x2000,
	LOAD2_FILESZ = 0x300,
};
static const uint64_t LOAD2_VADDR = 0xc000000000ull;

static void build_prstatus(uint8_t d[336], int32_t pid, int16_t cursig, uint64_t regbase)
{
	memset(d, 0, 336);
	memcpy(d + 12, &cursig, 2);
	memcpy(d + 32, &pid, 4);
	for (int k = 0; k < 27; k++) {
		uint64_t v = regbase + (uint64_t)k;
		memcpy(d + 112 + 8 * k, &v, 8);
	}
}

static void build_synth(struct synth *s)
{
	memset(s, 0, sizeof(*s));
	struct img *m = &s->m;
	put_zero(m, sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr));
	memcpy(m->p, ELFMAG, SELFMAG);
	m->p[EI_CLASS] = ELFCLASS64;
	m->p[EI_DATA] = ELFDATA2LSB;
	m->p[EI_VERSION] = EV_CURRENT;
	set_u16(m, offsetof(Elf64_Ehdr, e_type), ET_CORE);
	set_u16(m, offsetof(Elf64_Ehdr, e_machine), EM_X86_64);
	set_u32(m, offsetof(Elf64_Ehdr, e_version), EV_CURRENT);
	set_u64(m, offsetof(Elf64_Ehdr, e_phoff), sizeof(Elf64_Ehdr));
	set_u16(m, offsetof(Elf64_Ehdr, e_ehsize), sizeof(Elf64_Ehdr));
	set_u16(m, offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf64_Phdr));
	set_u16(m, offsetof(Elf64_Ehdr, e_phnum), 3);

	s->notes_off = m->len;
	uint8_t pr[336];
	build_prstatus(pr, 1001, SIGSEGV, 0x1000);
	s->prstatus_end[0] = put_note(m, "CORE", NT_PRSTATUS, pr, sizeof(pr));
	uint8_t fp[512] = {0};
	put_note(m, "CORE", NT_FPREGSET, fp, sizeof(fp));
	uint8_t xs[64] = {0};
	put_note(m, "LINUX", NT_X86_XSTATE, xs, sizeof(xs));
	build_prstatus(pr, 1002, 0, 0x2000);
	s->prstatus_end[1] = put_note(m, "CORE", NT_PRSTATUS, pr, sizeof(pr));

	uint8_t ps[136] = {0};
	int32_t pid = 1000;
	memcpy(ps + 24, &pid, 4);
	memcpy(ps + 40, "synthetic-name-x", 16); /* fills pr_fname: no NUL */
	strcpy((char *)ps + 56, "synthetic -x arg");
	s->prpsinfo_end = put_note(m, "CORE", NT_PRPSINFO, ps, sizeof(ps));

	uint8_t si[128] = {0};
	int32_t signo = SIGSEGV, err = 0, code = 1; /* SEGV_MAPERR */
	uint64_t addr = 0xdeadbeef;
	memcpy(si, &signo, 4);
	memcpy(si + 4, &err, 4);
	memcpy(si + 8, &code, 4);
	memcpy(si + 16, &addr, 8);
	s->siginfo_end = put_note(m, "CORE", NT_SIGINFO, si, sizeof(si));

	uint64_t auxv[] = {AT_PHDR, 0x400040, AT_ENTRY, 0x401000, AT_NULL, 0};
	s->auxv_end = put_note(m, "CORE", NT_AUXV, auxv, sizeof(auxv));

	struct img f = {0};
	uint64_t hdr[2] = {3, 4096};
	put(&f, hdr, sizeof(hdr));
	uint64_t ent[9] = {
		0x400000, 0x401000, 0,
		0x401000, 0x402000, 1,
		0x7f0000000000, 0x7f0000001000, 2,
	};
	put(&f, ent, sizeof(ent));
	put(&f, "/bin/synthetic", 15);
	put(&f, "/bin/synthetic", 15);
	put(&f, "/lib/libc.so.6", 15);
	s->file_end = put_note(m, "CORE", NT_FILE, f.p, (uint32_t)f.len);
	free(f.p);
	s->notes_end = m->len;

	s->load_off[0] = m->len;
	for (int k = 0; k < LOAD1_FILESZ; k++) {
		uint8_t b = (uint8_t)(k ^ 0x11);
		put(m, &b, 1);
	}
	s->load_off[1] = m->len;
	for (int k = 0; k < LOAD2_FILESZ; k++) {
		uint8_t b = (uint8_t)(k * 3);
		put(m, &b, 1);
	}

	Elf64_Phdr ph[3] = {
		{.p_type = PT_NOTE, .p_offset = s->notes_off,
		 .p_filesz = s->notes_end - s->notes_off, .p_align = 4},
		{.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = s->load_off[0],
		 .p_vaddr = LOAD1_VADDR, .p_filesz = LOAD1_FILESZ, .p_memsz = LOAD1_MEMSZ,
		 .p_align = 0x1000},
		{.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = s->load_off[1],
		 .p_vaddr = LOAD2_VADDR, .p_filesz = LOAD2_FILESZ, .p_memsz = LOAD2_FILESZ,
		 .p_align = 0x1000},
	};
	memcpy(m->p + sizeof(Elf64_Ehdr), ph, sizeof(ph));
}

static struct ga_core *open_ok(const uint8_t *p, size_t n, const char *name)
{
	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open_memory(p, n, name, &core);
	if (err)
		fail_msg("ga_core_open_memory(%zu bytes): %s", n, err->message);
	return core;
}

/* A register of an amd64 thread, by the name the arch table gives it. */
static uint64_t reg(const struct gr_image_thread *t, const char *name)
{
	for (unsigned k = 0; k < gr_arch_amd64.nregs; k++)
		if (strcmp(gr_arch_amd64.reg_names[k], name) == 0)
			return t->regs.r[k];
	fail_msg("no amd64 register %s", name);
	return 0;
}

static void check_full(const struct synth *s, const struct ga_core *core)
{
	assert_string_equal(core->path, "core.1234");
	assert_int_equal(core->nthreads, 2);
	const struct gr_image_thread *t = &core->threads[0];
	assert_int_equal(t->lwp, 1001);
	assert_int_equal(t->cursig, SIGSEGV);
	assert_int_equal(reg(t, "r15"), 0x1000);
	assert_int_equal(reg(t, "rbp"), 0x1004);
	assert_int_equal(reg(t, "rax"), 0x100a);
	assert_int_equal(reg(t, "rdi"), 0x100e);
	assert_int_equal(reg(t, "orig_rax"), 0x100f);
	assert_int_equal(reg(t, "rip"), 0x1010);
	assert_int_equal(reg(t, "cs"), 0x1011);
	assert_int_equal(reg(t, "eflags"), 0x1012);
	assert_int_equal(reg(t, "rsp"), 0x1013);
	assert_int_equal(reg(t, "ss"), 0x1014);
	assert_int_equal(reg(t, "fs_base"), 0x1015);
	assert_int_equal(reg(t, "gs_base"), 0x1016);
	assert_int_equal(reg(t, "gs"), 0x101a);
	t = &core->threads[1];
	assert_int_equal(t->lwp, 1002);
	assert_int_equal(t->cursig, 0);
	assert_int_equal(reg(t, "rip"), 0x2010);
	assert_int_equal(reg(t, "rsp"), 0x2013);

	assert_true(core->have_prpsinfo);
	assert_int_equal(core->pid, 1000);
	assert_string_equal(core->fname, "synthetic-name-x");
	assert_string_equal(core->psargs, "synthetic -x arg");

	assert_true(core->siginfo.present);
	assert_int_equal(core->siginfo.signo, SIGSEGV);
	assert_int_equal(core->siginfo.code, 1);
	assert_int_equal(core->siginfo.errno_, 0);
	assert_int_equal(core->siginfo.addr, 0xdeadbeef);
	assert_int_equal(core->at_entry, 0x401000);

	assert_int_equal(core->nmappings, 3);
	assert_int_equal(core->mappings[1].start, 0x401000);
	assert_int_equal(core->mappings[1].end, 0x402000);
	assert_int_equal(core->mappings[1].file_offset, 4096);
	assert_int_equal(core->mappings[2].file_offset, 8192);
	assert_string_equal(core->mappings[2].path, "/lib/libc.so.6");
	const struct ga_mapping *exe = ga_core_exe_mapping(core);
	assert_non_null(exe);
	assert_ptr_equal(exe, &core->mappings[0]);
	assert_string_equal(exe->path, "/bin/synthetic");

	assert_int_equal(core->nsegments, 2);
	assert_int_equal(core->segments[0].vaddr, LOAD1_VADDR);
	assert_int_equal(core->segments[0].memsz, LOAD1_MEMSZ);
	assert_int_equal(core->segments[0].filesz, LOAD1_FILESZ);
	assert_int_equal(core->segments[0].avail, LOAD1_FILESZ);
	assert_int_equal(core->segments[0].offset, s->load_off[0]);
	assert_int_equal(core->segments[0].flags, PF_R | PF_X);
	assert_int_equal(core->segments[1].vaddr, LOAD2_VADDR);
	assert_int_equal(core->truncated_bytes, 0);
	assert_int_equal(core->expected_size, s->m.len);

	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	assert_null(ga_core_add_segments(core, as, 0));
	uint8_t b[4];
	assert_int_equal(gc_addrspace_read(as, LOAD1_VADDR + 0xfe, b, 2), GC_READ_OK);
	assert_int_equal(b[0], 0xfe ^ 0x11);
	assert_int_equal(gc_addrspace_read(as, LOAD1_VADDR + 0xfe, b, 4), GC_READ_NOT_IN_CORE);
	assert_int_equal(gc_addrspace_read(as, LOAD1_VADDR + LOAD1_MEMSZ, b, 1), GC_READ_UNMAPPED);
	assert_int_equal(gc_addrspace_read(as, LOAD2_VADDR + 0x2ff, b, 1), GC_READ_OK);
	assert_int_equal(b[0], (uint8_t)(0x2ff * 3));
	assert_int_equal(gc_addrspace_missing_bytes(as, 0), LOAD1_MEMSZ - LOAD1_FILESZ);
	gc_addrspace_destroy(as);
}

static void test_synthetic(void **state)
{
	(void)state;
	struct synth s;
	build_synth(&s);
	struct ga_core *core = open_ok(s.m.p, s.m.len, "core.1234");
	check_full(&s, core);
	ga_core_close(core);
	ga_core_close(NULL);

	/* Through a file too. */
	char *dir = tu_tmpdir();
	char *path = NULL;
	assert_true(asprintf(&path, "%s/core.1234", dir) > 0);
	tu_write_file(path, s.m.p, s.m.len);
	struct gc_error *err = ga_core_open(path, &core);
	if (err)
		fail_msg("%s", err->message);
	assert_string_equal(core->path, path);
	assert_int_equal(core->nthreads, 2);
	assert_int_equal(core->expected_size, s.m.len);
	ga_core_close(core);
	free(path);
	tu_rmdir(dir);
	free(s.m.p);
}

/* A bad note stops note parsing with a warning naming its offset and type;
 * the notes before it are kept. */
static void test_bad_notes(void **state)
{
	(void)state;
	struct synth s;
	build_synth(&s);
	struct ga_core *core = open_ok(s.m.p, s.m.len, "core.1234");
	assert_null(core->note_warning);
	ga_core_close(core);

	/* The second thread's note claims a descriptor of 4 GiB. */
	uint8_t *p = malloc(s.m.len);
	assert_non_null(p);
	size_t at = s.prstatus_end[1] - (12 + 8 + 336);
	memcpy(p, s.m.p, s.m.len);
	uint32_t huge = 0xfffffff0;
	memcpy(p + at + 4, &huge, 4);
	core = open_ok(p, s.m.len, "core.1234");
	assert_int_equal(core->nthreads, 1);
	assert_int_equal(core->nmappings, 0); /* NT_FILE came after it */
	assert_non_null(core->note_warning);
	char want[64];
	snprintf(want, sizeof(want), "note at offset 0x%zx (type 0x1, NT_PRSTATUS)", at);
	if (!strstr(core->note_warning, want))
		fail_msg("note_warning \"%s\" lacks \"%s\"", core->note_warning, want);
	assert_non_null(strstr(core->note_warning, "core.1234"));
	ga_core_close(core);

	/* The first thread's descriptor is too short for NT_PRSTATUS. */
	memcpy(p, s.m.p, s.m.len);
	uint32_t small = 100;
	memcpy(p + s.notes_off + 4, &small, 4);
	core = open_ok(p, s.m.len, "core.1234");
	assert_int_equal(core->nthreads, 0);
	assert_non_null(core->note_warning);
	assert_non_null(strstr(core->note_warning, "cannot hold one"));
	ga_core_close(core);

	/* No note at all: no thread, said too. */
	memcpy(p, s.m.p, s.m.len);
	uint64_t zero = 0;
	memcpy(p + sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_filesz), &zero, 8);
	core = open_ok(p, s.m.len, "core.1234");
	assert_int_equal(core->nthreads, 0);
	assert_non_null(core->note_warning);
	assert_non_null(strstr(core->note_warning, "no thread notes"));
	ga_core_close(core);
	free(p);
	free(s.m.p);
}

static void test_truncated(void **state)
{
	(void)state;
	struct synth s;
	build_synth(&s);
	const size_t phend = sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr);
	size_t nok = 0, nerr = 0;
	for (size_t cut = 0; cut <= s.m.len; cut = cut + 8 > s.m.len && cut < s.m.len ? s.m.len : cut + 8) {
		/* an exact-size copy so that ASan sees any read past the cut */
		uint8_t *p = cut ? malloc(cut) : NULL;
		if (cut)
			memcpy(p, s.m.p, cut);
		struct ga_core *core = NULL;
		struct gc_error *err = ga_core_open_memory(p, cut, "core.1234", &core);
		if (cut < phend) {
			if (!err)
				fail_msg("cut at %zu: loaded without program headers", cut);
			assert_int_equal(err->code, GC_ERR_FORMAT);
			assert_true(strncmp(err->message, "core.1234: ", 11) == 0);
			char want[96];
			if (cut == 0)
				snprintf(want, sizeof(want), "empty file");
			else if (cut < sizeof(Elf64_Ehdr))
				snprintf(want, sizeof(want), "truncated at %zu bytes, ELF header needs 64", cut);
			else
				snprintf(want, sizeof(want),
					 "truncated at %zu bytes, program headers need %zu", cut, phend);
			if (!strstr(err->message, want))
				fail_msg("cut at %zu: message \"%s\" lacks \"%s\"", cut, err->message, want);
			gc_error_destroy(err);
			nerr++;
		} else {
			if (err)
				fail_msg("cut at %zu: %s", cut, err->message);
			assert_int_equal(core->expected_size, s.m.len);
			assert_int_equal(core->truncated_bytes, s.m.len - cut);
			size_t nthreads = (cut >= s.prstatus_end[0]) + (cut >= s.prstatus_end[1]);
			assert_int_equal(core->nthreads, nthreads);
			assert_int_equal(core->have_prpsinfo, cut >= s.prpsinfo_end);
			/* Without NT_SIGINFO the first thread's pr_cursig (SIGSEGV)
			 * stands in for it. */
			assert_int_equal(core->siginfo.present, cut >= s.siginfo_end || nthreads > 0);
			assert_int_equal(core->siginfo.only_signo, cut < s.siginfo_end && nthreads > 0);
			assert_int_equal(core->at_entry, cut >= s.auxv_end ? 0x401000 : 0);
			assert_int_equal(core->nmappings, cut >= s.file_end ? 3 : 0);
			assert_int_equal(core->nsegments, 2);
			uint64_t avail0 = cut <= s.load_off[0] ? 0 : cut - s.load_off[0];
			if (avail0 > LOAD1_FILESZ)
				avail0 = LOAD1_FILESZ;
			assert_int_equal(core->segments[0].avail, avail0);
			if (cut == s.m.len)
				check_full(&s, core);

			struct gc_addrspace *as;
			assert_null(gc_addrspace_create(&as));
			assert_null(ga_core_add_segments(core, as, 0));
			uint8_t b;
			enum gc_read_status st = gc_addrspace_read(as, LOAD2_VADDR + 0x10, &b, 1);
			assert_int_equal(st, cut > s.load_off[1] + 0x10 ? GC_READ_OK : GC_READ_NOT_IN_CORE);
			gc_addrspace_destroy(as);
			ga_core_close(core);
			nok++;
		}
		free(p);
		if (cut == s.m.len)
			break;
	}
	print_message("elfcore: %zu cuts rejected, %zu loaded truncated or whole\n", nerr, nok);
	free(s.m.p);
}

static void expect_format_error(const uint8_t *p, size_t n, const char *want)
{
	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open_memory(p, n, "core.1234", &core);
	if (!err)
		fail_msg("loaded; expected an error saying \"%s\"", want);
	assert_int_equal(err->code, GC_ERR_FORMAT);
	if (!strstr(err->message, want))
		fail_msg("message \"%s\" lacks \"%s\"", err->message, want);
	gc_error_destroy(err);
}

static void test_not_a_core(void **state)
{
	(void)state;
	uint8_t z[8] = {0};
	expect_format_error(NULL, 0, "core.1234: empty file");
	expect_format_error(z, 0, "empty file");
	expect_format_error(z, sizeof(z), "core.1234: not an ELF file");
	expect_format_error((const uint8_t *)"\x7f" "ELF", 4, "truncated at 4 bytes");

	struct synth s;
	build_synth(&s);
	set_u16(&s.m, offsetof(Elf64_Ehdr, e_type), ET_EXEC);
	expect_format_error(s.m.p, s.m.len, "core.1234: ELF type ET_EXEC, not a core (ET_CORE)");
	set_u16(&s.m, offsetof(Elf64_Ehdr, e_type), ET_CORE);
	set_u16(&s.m, offsetof(Elf64_Ehdr, e_machine), EM_PPC64);
	expect_format_error(s.m.p, s.m.len, "ELF machine 21, not one gocore reads");
	set_u16(&s.m, offsetof(Elf64_Ehdr, e_machine), EM_X86_64);
	s.m.p[EI_CLASS] = ELFCLASS32;
	expect_format_error(s.m.p, s.m.len, "not 64-bit");
	s.m.p[EI_CLASS] = ELFCLASS64;
	s.m.p[EI_DATA] = ELFDATA2MSB;
	expect_format_error(s.m.p, s.m.len, "not little-endian");
	s.m.p[EI_DATA] = ELFDATA2LSB;
	set_u16(&s.m, offsetof(Elf64_Ehdr, e_phentsize), 32);
	expect_format_error(s.m.p, s.m.len, "program header entry size 32");
	set_u16(&s.m, offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf64_Phdr));
	set_u64(&s.m, offsetof(Elf64_Ehdr, e_phoff), UINT64_MAX - 8);
	expect_format_error(s.m.p, s.m.len, "overflows");
	free(s.m.p);

	/* The fixture executable passed as the core. */
	char *exe = tu_fixture("crashcore");
	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open(exe, &core);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_FORMAT);
	char *want = NULL;
	assert_true(asprintf(&want, "%s: ELF type ET_EXEC, not a core (ET_CORE)", exe) > 0);
	assert_string_equal(err->message, want);
	free(want);
	gc_error_destroy(err);
	free(exe);

	err = ga_core_open("/nonexistent/core.1", &core);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_IO);
	assert_non_null(strstr(err->message, "/nonexistent/core.1"));
	gc_error_destroy(err);
	err = ga_core_open("/", &core);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_IO);
	gc_error_destroy(err);
}

/* More than 65534 segments: e_phnum is PN_XNUM, the count in section 0. */
static void test_pn_xnum(void **state)
{
	(void)state;
	struct synth s;
	build_synth(&s);
	size_t shoff = s.m.len;
	Elf64_Shdr sh0 = {.sh_info = 3};
	put(&s.m, &sh0, sizeof(sh0));
	set_u16(&s.m, offsetof(Elf64_Ehdr, e_phnum), PN_XNUM);
	set_u64(&s.m, offsetof(Elf64_Ehdr, e_shoff), shoff);
	set_u16(&s.m, offsetof(Elf64_Ehdr, e_shentsize), sizeof(Elf64_Shdr));
	struct ga_core *core = open_ok(s.m.p, s.m.len, "core.1234");
	assert_int_equal(core->nthreads, 2);
	assert_int_equal(core->nsegments, 2);
	ga_core_close(core);
	expect_format_error(s.m.p, shoff + 8, "section header 0");
	free(s.m.p);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Loads a core and touches everything it gives; must not crash. */
static void exercise(const uint8_t *p, size_t n)
{
	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open_memory(p, n, "fuzz", &core);
	if (err) {
		assert_non_null(err->message);
		assert_true(strncmp(err->message, "fuzz: ", 6) == 0 || err == &gc_error_nomem);
		gc_error_destroy(err);
		return;
	}
	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	err = ga_core_add_segments(core, as, 0);
	gc_error_destroy(err);
	for (size_t k = 0; k < core->nsegments; k++) {
		uint8_t b[16];
		gc_addrspace_read(as, core->segments[k].vaddr, b, sizeof(b));
	}
	for (size_t k = 0; k < core->nmappings; k++)
		assert_non_null(memchr(core->mappings[k].path, '\0', n));
	const struct ga_mapping *m = ga_core_exe_mapping(core);
	if (m)
		assert_int_equal(m->file_offset, 0);
	gc_addrspace_destroy(as);
	ga_core_close(core);
}

static void test_garbage(void **state)
{
	(void)state;
	/* random bytes, with and without a plausible header in front */
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rng() % 1500);
		uint8_t *p = malloc(n ? n : 1);
		for (size_t k = 0; k < n; k++)
			p[k] = (uint8_t)rng();
		if (round % 2 && n >= 64) {
			memcpy(p, ELFMAG, SELFMAG);
			p[EI_CLASS] = ELFCLASS64;
			p[EI_DATA] = ELFDATA2LSB;
			uint16_t t = ET_CORE, mach = EM_X86_64;
			memcpy(p + 16, &t, 2);
			memcpy(p + 18, &mach, 2);
			uint64_t phoff = rng() % 128;
			memcpy(p + 32, &phoff, 8);
			uint16_t phentsize = 56, phnum = (uint16_t)(rng() % 24);
			memcpy(p + 54, &phentsize, 2);
			memcpy(p + 56, &phnum, 2);
		}
		exercise(p, n);
		free(p);
	}
	/* the synthetic core with random bytes changed */
	struct synth s;
	build_synth(&s);
	for (int round = 0; round < 5000; round++) {
		uint8_t *p = malloc(s.m.len);
		memcpy(p, s.m.p, s.m.len);
		int flips = 1 + (int)(rng() % 8);
		for (int f = 0; f < flips; f++) {
			/* mostly in the headers and notes */
			size_t at = (size_t)(rng() % (rng() % 4 ? s.notes_end : s.m.len));
			p[at] = (uint8_t)rng();
		}
		exercise(p, s.m.len);
		free(p);
	}
	free(s.m.p);
}

/* The real core. */

/* Runs exe with an argument under GOTRACEBACK=crash in dir so that it aborts
 * and dumps a core there (tu_crash_core: the kernel's core, else gdb's
 * gcore).  Returns the core's path. */
static char *dump_core(const char *exe, const char *dir)
{
	char *err = NULL;
	assert_true(asprintf(&err, "%s/stderr.txt", dir) > 0);
	char *core = tu_crash_core(exe, "crash", dir, err);
	free(err);
	return core;
}

static bool in_exe_segment(const struct ga_exe *exe, uint64_t addr, uint32_t flag)
{
	for (size_t k = 0; k < exe->nsegments; k++) {
		const struct ga_exe_segment *s = &exe->segments[k];
		if (addr >= s->vaddr && addr - s->vaddr < s->memsz && (s->flags & flag))
			return true;
	}
	return false;
}

static void test_real_core(void **state)
{
	(void)state;
	char *exe_path = tu_fixture("crashcore");
	char real_exe[PATH_MAX];
	assert_non_null(realpath(exe_path, real_exe));
	char *dir = tu_tmpdir();
	char *core_path = dump_core(real_exe, dir);

	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open(core_path, &core);
	if (err)
		fail_msg("%s", err->message);
	struct ga_exe *exe = NULL;
	err = ga_exe_open(real_exe, &exe);
	if (err)
		fail_msg("%s", err->message);

	assert_int_equal(core->truncated_bytes, 0);
	/* gdb's gcore appends section headers past the last segment. */
	assert_true(core->expected_size <= core->size);
	assert_true(core->nthreads >= 1);
	assert_true(core->nsegments >= 4);
	const struct gr_image_thread *t = &core->threads[0];
	print_message("real core: %zu threads, %zu segments, %zu mappings, %zu bytes; "
		      "thread 0: pid %d rip 0x%llx rsp 0x%llx fs_base 0x%llx\n",
		      core->nthreads, core->nsegments, core->nmappings, core->size, t->lwp,
		      (unsigned long long)reg(t, "rip"), (unsigned long long)reg(t, "rsp"),
		      (unsigned long long)reg(t, "fs_base"));
	assert_int_equal(t->cursig, SIGABRT);
	assert_true(t->lwp > 0);
	assert_true(in_exe_segment(exe, reg(t, "rip"), PF_X)); /* runtime.raise */
	assert_true(reg(t, "rsp") != 0 && reg(t, "rsp") % 8 == 0);
	assert_true(reg(t, "fs_base") != 0);
	for (size_t k = 0; k < core->nthreads; k++) {
		assert_true(core->threads[k].lwp > 0);
		assert_true(reg(&core->threads[k], "rip") != 0);
	}
	assert_true(core->siginfo.present);
	assert_int_equal(core->siginfo.signo, SIGABRT);
	assert_true(core->have_prpsinfo);
	assert_string_equal(core->fname, "crashcore");
	assert_non_null(strstr(core->psargs, "crash"));
	assert_int_equal(core->pid, core->siginfo.pid); /* the runtime signals itself */

	const struct ga_mapping *m = ga_core_exe_mapping(core);
	assert_non_null(m);
	assert_string_equal(m->path, real_exe);
	assert_int_equal(m->file_offset, 0);
	assert_int_equal(core->at_entry, exe->entry); /* not PIE: no bias */
	uint64_t bias = core->at_entry - exe->entry;

	/* Core alone: the kernel dumps only the first page of the text
	 * segment; gdb's gcore (the fallback) dumps all of it. */
	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	assert_null(ga_core_add_segments(core, as, 0));
	uint8_t b[16];
	enum gc_read_status st = gc_addrspace_read(as, exe->entry + bias, b, sizeof(b));
	assert_true(st == GC_READ_NOT_IN_CORE || st == GC_READ_OK);
	assert_int_equal(gc_addrspace_read(as, 0x10, b, 1), GC_READ_UNMAPPED);
	/* With the executable below, the text reads from the exe. */
	assert_null(ga_exe_add_segments(exe, as, 1, bias));
	assert_int_equal(gc_addrspace_read(as, m->start, b, 4), GC_READ_OK);
	assert_memory_equal(b, "\x7f" "ELF", 4);
	assert_int_equal(gc_addrspace_read(as, exe->entry + bias, b, sizeof(b)), GC_READ_OK);
	const uint8_t *want = ga_exe_vaddr_ptr(exe, exe->entry, sizeof(b));
	assert_non_null(want);
	assert_memory_equal(b, want, sizeof(b));
	/* The crashing goroutine's stack is in the core. */
	uint64_t word;
	assert_true(gc_addrspace_u64(as, reg(t, "rsp"), &word));
	/* runtime.allgs holds the goroutines: its slice pointer is readable. */
	uint64_t allgs, allgs_ptr, allgs_len;
	assert_true(ga_exe_symbol(exe, "runtime.allgs", &allgs, NULL));
	assert_true(gc_addrspace_u64(as, allgs + bias, &allgs_ptr));
	assert_true(gc_addrspace_u64(as, allgs + bias + 8, &allgs_len));
	print_message("real core: runtime.allgs = {0x%llx, len %llu}\n",
		      (unsigned long long)allgs_ptr, (unsigned long long)allgs_len);
	assert_true(allgs_len >= 10 && allgs_len < 1000); /* main + 9 + runtime's */
	assert_true(gc_addrspace_u64(as, allgs_ptr, &word));
	gc_addrspace_destroy(as);

	/* The same core truncated in the middle still loads. */
	size_t cut = core->size / 2 + 12345;
	struct ga_core *half = open_ok(core->data, cut, "half");
	assert_int_equal(half->truncated_bytes, core->expected_size - cut);
	/* Threads survive when the notes lie before the cut (the kernel
	 * writes them first; gdb's gcore writes them last). */
	uint64_t phoff, note_end = 0;
	uint16_t phentsize, phnum;
	memcpy(&phoff, core->data + 32, 8);
	memcpy(&phentsize, core->data + 54, 2);
	memcpy(&phnum, core->data + 56, 2);
	for (uint16_t i = 0; i < phnum; i++) {
		const uint8_t *ph = core->data + phoff + (uint64_t)i * phentsize;
		uint32_t type;
		uint64_t off, filesz;
		memcpy(&type, ph, 4);
		memcpy(&off, ph + 8, 8);
		memcpy(&filesz, ph + 32, 8);
		if (type == 4 /* PT_NOTE */ && off + filesz > note_end)
			note_end = off + filesz;
	}
	assert_int_equal(half->nthreads, note_end <= cut ? core->nthreads : 0);
	assert_int_equal(half->expected_size, core->expected_size);
	ga_core_close(half);

	ga_exe_close(exe);
	ga_core_close(core);
	free(core_path);
	tu_rmdir(dir);
	free(exe_path);
}

/* A core of another architecture, built by hand: two threads (pids 3001
 * and 3002), NT_PRSTATUS with that architecture's pr_reg (nregs words,
 * word k = 0x10000 * (thread + 1) + k), NT_PRPSINFO and NT_AUXV; kernel
 * style adds NT_SIGINFO (signo at 0xbad) and NT_FILE, and marks every
 * thread with the signal (as the kernel does); qemu style has neither note
 * and the signal on one thread only, sig_thread. */
static struct img build_arch_core(uint16_t machine, unsigned nregs, bool kernel, int sig_thread,
				  int16_t signo)
{
	struct img m = {0};
	put_zero(&m, sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr));
	memcpy(m.p, ELFMAG, SELFMAG);
	m.p[EI_CLASS] = ELFCLASS64;
	m.p[EI_DATA] = ELFDATA2LSB;
	m.p[EI_VERSION] = EV_CURRENT;
	set_u16(&m, offsetof(Elf64_Ehdr, e_type), ET_CORE);
	set_u16(&m, offsetof(Elf64_Ehdr, e_machine), machine);
	set_u32(&m, offsetof(Elf64_Ehdr, e_version), EV_CURRENT);
	set_u64(&m, offsetof(Elf64_Ehdr, e_phoff), sizeof(Elf64_Ehdr));
	set_u16(&m, offsetof(Elf64_Ehdr, e_ehsize), sizeof(Elf64_Ehdr));
	set_u16(&m, offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf64_Phdr));
	set_u16(&m, offsetof(Elf64_Ehdr, e_phnum), 1);
	size_t notes = m.len;
	for (int t = 0; t < 2; t++) {
		uint8_t pr[112 + 8 * 48 + 8] = {0};
		size_t n = 112 + 8 * (size_t)nregs + 8; /* pr_reg, then pr_fpvalid */
		int16_t cursig = kernel || t == sig_thread ? signo : 0;
		int32_t pid = 3001 + t;
		memcpy(pr + 12, &cursig, 2);
		memcpy(pr + 32, &pid, 4);
		for (unsigned k = 0; k < nregs; k++) {
			uint64_t v = 0x10000 * (uint64_t)(t + 1) + k;
			memcpy(pr + 112 + 8 * k, &v, 8);
		}
		put_note(&m, "CORE", NT_PRSTATUS, pr, (uint32_t)n);
		if (t == 0) {
			uint8_t ps[136] = {0};
			put_note(&m, "CORE", NT_PRPSINFO, ps, sizeof(ps));
			if (kernel) {
				uint8_t si[128] = {0};
				int32_t si_signo = signo, code = 1;
				uint64_t addr = 0xbad;
				memcpy(si, &si_signo, 4);
				memcpy(si + 8, &code, 4);
				memcpy(si + 16, &addr, 8);
				put_note(&m, "CORE", NT_SIGINFO, si, sizeof(si));
			}
			uint64_t auxv[] = {AT_ENTRY, 0x11000, AT_NULL, 0};
			put_note(&m, "CORE", NT_AUXV, auxv, sizeof(auxv));
			if (kernel) {
				struct img f = {0};
				uint64_t hdr[2] = {1, 4096}, ent[3] = {0x10000, 0x20000, 0};
				put(&f, hdr, sizeof(hdr));
				put(&f, ent, sizeof(ent));
				put(&f, "/exe", 5);
				put_note(&m, "CORE", NT_FILE, f.p, (uint32_t)f.len);
				free(f.p);
			}
		}
	}
	Elf64_Phdr ph = {.p_type = PT_NOTE, .p_offset = notes, .p_filesz = m.len - notes,
			 .p_align = 4};
	memcpy(m.p + sizeof(Elf64_Ehdr), &ph, sizeof(ph));
	return m;
}

/* An arm64 core as qemu-user writes one: NT_PRSTATUS (user_pt_regs, 34
 * words: x0-x30, sp, pc, pstate; descsz 392), NT_PRPSINFO and NT_AUXV only,
 * no NT_SIGINFO and no NT_FILE; the signal on the first thread. */
static void test_arm64_qemu_style(void **state)
{
	(void)state;
	struct img m = build_arch_core(EM_AARCH64, 34, false, 0, SIGABRT);
	struct ga_core *core = open_ok(m.p, m.len, "qemu_arm64.core");
	assert_ptr_equal(core->arch, &gr_arch_arm64);
	assert_int_equal(core->nthreads, 2);
	const struct gr_image_thread *t = &core->threads[0];
	assert_int_equal(t->lwp, 3001);
	assert_int_equal(gr_regs_pc(core->arch, &t->regs), 0x10000 + 32);
	assert_int_equal(gr_regs_sp(core->arch, &t->regs), 0x10000 + 31);
	assert_int_equal(gr_regs_lr(core->arch, &t->regs), 0x10000 + 30);
	assert_int_equal(t->regs.r[core->arch->reg_g], 0x10000 + 28);
	assert_int_equal(gr_regs_pc(core->arch, &core->threads[1].regs), 0x20000 + 32);
	/* No NT_SIGINFO: the signal is the first thread's pr_cursig, its
	 * code and address unknown. */
	assert_true(core->siginfo.present);
	assert_true(core->siginfo.only_signo);
	assert_int_equal(core->siginfo.signo, SIGABRT);
	/* No NT_FILE: the executable must be named by the user. */
	assert_null(ga_core_exe_mapping(core));
	assert_null(core->note_warning);
	ga_core_close(core);

	/* A descriptor one word short of arm64's registers is a bad note. */
	struct img m2 = {0};
	put(&m2, m.p, sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr));
	uint8_t short_pr[112 + 8 * 33] = {0};
	put_note(&m2, "CORE", NT_PRSTATUS, short_pr, sizeof(short_pr));
	Elf64_Phdr ph2 = {.p_type = PT_NOTE, .p_offset = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr),
			  .p_filesz = m2.len - sizeof(Elf64_Ehdr) - sizeof(Elf64_Phdr), .p_align = 4};
	memcpy(m2.p + sizeof(Elf64_Ehdr), &ph2, sizeof(ph2));
	core = open_ok(m2.p, m2.len, "short.core");
	assert_int_equal(core->nthreads, 0);
	assert_non_null(core->note_warning);
	ga_core_close(core);
	free(m.p);
	free(m2.p);
}

/* arm64, riscv64 and loong64, kernel- and qemu-style: each register word
 * lands where that architecture's table says. */
static void test_other_arches(void **state)
{
	(void)state;
	const struct {
		uint16_t machine;
		const struct gr_arch *arch;
		unsigned nregs, pc, sp, lr, g;
	} cases[] = {
		{EM_AARCH64, &gr_arch_arm64, 34, 32, 31, 30, 28},
		{243 /* EM_RISCV */, &gr_arch_riscv64, 32, 0, 2, 1, 27},
		{258 /* EM_LOONGARCH */, &gr_arch_loong64, 45, 33, 3, 1, 22},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (int kernel = 0; kernel <= 1; kernel++) {
			struct img m = build_arch_core(cases[c].machine, cases[c].nregs, kernel, 1,
						       SIGSEGV);
			struct ga_core *core = open_ok(m.p, m.len, "arch.core");
			assert_ptr_equal(core->arch, cases[c].arch);
			assert_int_equal(core->arch->nregs, cases[c].nregs);
			assert_int_equal(core->nthreads, 2);
			assert_null(core->note_warning);
			/* The thread that took the signal comes first: the
			 * kernel's first, qemu's second (moved). */
			const struct gr_image_thread *t = &core->threads[0];
			uint64_t base = kernel ? 0x10000 : 0x20000;
			assert_int_equal(t->lwp, kernel ? 3001 : 3002);
			assert_int_equal(gr_regs_pc(core->arch, &t->regs), base + cases[c].pc);
			assert_int_equal(gr_regs_sp(core->arch, &t->regs), base + cases[c].sp);
			assert_int_equal(gr_regs_lr(core->arch, &t->regs), base + cases[c].lr);
			assert_int_equal(t->regs.r[core->arch->reg_g], base + cases[c].g);
			assert_true(core->siginfo.present);
			assert_int_equal(core->siginfo.signo, SIGSEGV);
			assert_int_equal(core->siginfo.only_signo, !kernel);
			if (kernel) {
				assert_int_equal(core->siginfo.addr, 0xbad);
				assert_non_null(ga_core_exe_mapping(core));
			} else {
				assert_null(ga_core_exe_mapping(core));
			}
			ga_core_close(core);
			free(m.p);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_bad_notes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_not_a_core),
		cmocka_unit_test(test_pn_xnum),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_real_core),
		cmocka_unit_test(test_arm64_qemu_style),
		cmocka_unit_test(test_other_arches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
