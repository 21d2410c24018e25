/* Unit tests for the executable loader: the crashcore fixture (segments,
 * sections, symbols, Go build ID), the same binary without section headers,
 * a synthetic executable with both build ID notes, truncated copies and
 * garbage. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <stdbool.h>

#include "../../common/error.h"
#include "../../common/addrspace.h"
#include "../elfexe.h"
#include "testutil.h"

static struct ga_exe *open_fixture(char **path_ret)
{
	char *path = tu_fixture("crashcore");
	struct ga_exe *exe = NULL;
	struct gc_error *err = ga_exe_open(path, &exe);
	if (err)
		fail_msg("%s", err->message);
	*path_ret = path;
	return exe;
}

static const struct ga_exe_segment *segment_of(const struct ga_exe *exe, uint64_t addr)
{
	for (size_t k = 0; k < exe->nsegments; k++) {
		const struct ga_exe_segment *s = &exe->segments[k];
		if (addr >= s->vaddr && addr - s->vaddr < s->memsz)
			return s;
	}
	return NULL;
}

static void test_fixture(void **state)
{
	(void)state;
	char *path;
	struct ga_exe *exe = open_fixture(&path);
	assert_string_equal(exe->path, path);
	assert_true(exe->fd >= 0);
	assert_int_equal(exe->e_type, ET_EXEC);
	assert_non_null(segment_of(exe, exe->entry));
	assert_int_equal(exe->nsegments, 3); /* text, rodata, data (Go's linker) */
	assert_true(exe->nsections > 10);
	assert_true(exe->has_symtab);
	assert_true(exe->has_dwarf);
	assert_non_null(exe->go_build_id);
	assert_true(strlen(exe->go_build_id) > 10);
	assert_non_null(strchr(exe->go_build_id, '/'));
	print_message("elfexe: %zu segments, %zu sections, Go build ID %s\n", exe->nsegments,
		      exe->nsections, exe->go_build_id);

	const struct ga_exe_section *text = ga_exe_section(exe, ".text");
	const struct ga_exe_section *pcln = ga_exe_section(exe, ".gopclntab");
	assert_non_null(text);
	assert_non_null(pcln);
	assert_int_equal(text->type, SHT_PROGBITS);
	assert_null(ga_exe_section(exe, ".nonexistent"));
	const uint8_t *pd = ga_exe_section_data(exe, pcln);
	assert_non_null(pd);
	/* Go 1.18+ pclntab magic 0xfffffff0 (1.20: 0xfffffff1) */
	uint32_t magic;
	memcpy(&magic, pd, 4);
	assert_true(magic == 0xfffffff0 || magic == 0xfffffff1);
	assert_ptr_equal(ga_exe_vaddr_ptr(exe, pcln->addr, 4), pd);
	const struct ga_exe_section *bss = ga_exe_section(exe, ".bss");
	assert_non_null(bss);
	assert_null(ga_exe_section_data(exe, bss));

	const char *names[] = {"runtime.allgs", "runtime.firstmoduledata", "main.main",
			       "runtime.main", "main.crash"};
	for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++) {
		uint64_t value = 0, size = 0;
		if (!ga_exe_symbol(exe, names[k], &value, &size))
			fail_msg("symbol %s not found", names[k]);
		const struct ga_exe_segment *s = segment_of(exe, value);
		if (!s)
			fail_msg("%s = 0x%llx is outside every segment", names[k],
				 (unsigned long long)value);
		if (strchr(names[k], '.') && (!strncmp(names[k], "main.", 5) ||
					      !strcmp(names[k], "runtime.main"))) {
			assert_true(s->flags & PF_X);
			assert_true(value >= text->addr && value < text->addr + text->size);
			assert_ptr_equal(ga_exe_vaddr_ptr(exe, value, 1),
					 exe->data + text->offset + (value - text->addr));
		}
	}
	assert_false(ga_exe_symbol(exe, "main.nonexistent", NULL, NULL));
	assert_false(ga_exe_symbol(exe, "", NULL, NULL));
	assert_true(ga_exe_symbol(exe, "runtime.allgs", NULL, NULL));

	/* vaddr_ptr stays within filesz */
	const struct ga_exe_segment *data = NULL;
	for (size_t k = 0; k < exe->nsegments; k++)
		if (exe->segments[k].memsz > exe->segments[k].filesz)
			data = &exe->segments[k];
	assert_non_null(data);
	assert_non_null(ga_exe_vaddr_ptr(exe, data->vaddr + data->filesz - 8, 8));
	assert_null(ga_exe_vaddr_ptr(exe, data->vaddr + data->filesz - 8, 9));
	assert_null(ga_exe_vaddr_ptr(exe, data->vaddr + data->filesz, 1));
	assert_null(ga_exe_vaddr_ptr(exe, 0, 1));
	assert_null(ga_exe_vaddr_ptr(exe, UINT64_MAX, 2));

	/* In an address space, biased as if PIE-loaded elsewhere. */
	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	const uint64_t bias = 0x10000000;
	assert_null(ga_exe_add_segments(exe, as, 1, bias));
	uint64_t mm;
	assert_true(ga_exe_symbol(exe, "main.main", &mm, NULL));
	uint8_t b[16];
	assert_int_equal(gc_addrspace_read(as, mm + bias, b, sizeof(b)), GC_READ_OK);
	assert_memory_equal(b, ga_exe_vaddr_ptr(exe, mm, sizeof(b)), sizeof(b));
	/* bss is left out */
	assert_int_equal(gc_addrspace_read(as, data->vaddr + data->filesz + bias, b, 1),
			 GC_READ_UNMAPPED);
	struct gc_error *err = ga_exe_add_segments(exe, as, 1, UINT64_MAX - 0x1000);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_FORMAT);
	gc_error_destroy(err);
	gc_addrspace_destroy(as);

	ga_exe_close(exe);
	ga_exe_close(NULL);
	free(path);
}

static void check_no_sections(const struct ga_exe *full, const struct ga_exe *ns)
{
	assert_int_equal(ns->nsections, 0);
	assert_null(ga_exe_section(ns, ".text"));
	assert_false(ns->has_symtab);
	assert_false(ns->has_dwarf);
	assert_false(ga_exe_symbol(ns, "main.main", NULL, NULL));
	assert_int_equal(ns->entry, full->entry);
	assert_int_equal(ns->nsegments, full->nsegments);
	for (size_t k = 0; k < full->nsegments; k++)
		assert_memory_equal(&ns->segments[k], &full->segments[k], sizeof(ns->segments[k]));
	assert_non_null(ns->go_build_id);
	assert_string_equal(ns->go_build_id, full->go_build_id);
	const uint8_t *p = ga_exe_vaddr_ptr(ns, full->entry, 16);
	assert_non_null(p);
	assert_memory_equal(p, ga_exe_vaddr_ptr(full, full->entry, 16), 16);
}

static void test_no_section_headers(void **state)
{
	(void)state;
	char *path;
	struct ga_exe *full = open_fixture(&path);
	size_t size;
	uint8_t *img = tu_read_file(path, &size);
	/* what strip --strip-section-headers leaves, for our purposes */
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	eh->e_shoff = 0;
	eh->e_shnum = 0;
	eh->e_shstrndx = SHN_UNDEF;
	struct ga_exe *ns = NULL;
	struct gc_error *err = ga_exe_open_memory(img, size, "nosections", &ns);
	if (err)
		fail_msg("%s", err->message);
	assert_int_equal(ns->fd, -1);
	check_no_sections(full, ns);
	ga_exe_close(ns);

	/* the same through a file */
	char *dir = tu_tmpdir();
	char *copy = NULL;
	assert_true(asprintf(&copy, "%s/nosections", dir) > 0);
	tu_write_file(copy, img, size);
	err = ga_exe_open(copy, &ns);
	if (err)
		fail_msg("%s", err->message);
	check_no_sections(full, ns);
	ga_exe_close(ns);

	/* binutils >= 2.41 can do it for real */
	char *stripped = NULL, *cmd = NULL;
	assert_true(asprintf(&stripped, "%s/stripped", dir) > 0);
	assert_true(asprintf(&cmd, "strip --strip-section-headers -o '%s' '%s' 2>/dev/null",
			     stripped, path) > 0);
	if (system(cmd) == 0) {
		err = ga_exe_open(stripped, &ns);
		if (err)
			fail_msg("%s", err->message);
		assert_int_equal(ns->nsections, 0);
		assert_string_equal(ns->go_build_id, full->go_build_id);
		ga_exe_close(ns);
		print_message("elfexe: opened a strip --strip-section-headers copy\n");
	} else {
		print_message("elfexe: strip lacks --strip-section-headers; "
			      "tested a copy with e_shoff/e_shnum zeroed\n");
	}
	free(cmd);
	free(stripped);
	free(copy);
	tu_rmdir(dir);
	free(img);
	ga_exe_close(full);
	free(path);
}

/* A small ELF executable: one PT_LOAD, a PT_NOTE with a GNU build ID and a
 * Go build ID note, no sections. */
static size_t build_tiny(uint8_t *img, size_t cap, uint16_t type, uint64_t note_align)
{
	memset(img, 0, cap);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = type;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = 0x401000;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	size_t off = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr); /* 176, 8-aligned */
	size_t notes = off;
	uint32_t a = (uint32_t)note_align;
	/* GNU build ID */
	uint32_t h1[3] = {4, 20, NT_GNU_BUILD_ID};
	memcpy(img + off, h1, 12);
	memcpy(img + off + 12, "GNU", 4);
	off += 16;
	for (int k = 0; k < 20; k++)
		img[off + (size_t)k] = (uint8_t)(0xa0 + k);
	off += (20 + a - 1) / a * a;
	/* Go build ID: name "Go\0\0" */
	const char *gid = "abc/def/ghi";
	uint32_t h2[3] = {4, (uint32_t)strlen(gid), 4};
	memcpy(img + off, h2, 12);
	memcpy(img + off + 12, "Go\0", 4);
	off += 16;
	memcpy(img + off, gid, strlen(gid));
	off += (strlen(gid) + a - 1) / a * a;
	size_t notes_end = off;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr));
	ph[0] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = notes, .p_vaddr = 0x400000 + notes,
			     .p_filesz = notes_end - notes, .p_memsz = notes_end - notes,
			     .p_align = note_align};
	size_t total = 0x1100;
	assert_true(total <= cap);
	ph[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0,
			     .p_vaddr = 0x400000, .p_filesz = total, .p_memsz = total + 0x1000,
			     .p_align = 0x1000};
	memset(img + 0x1000, 0xc3, 0x100);
	return total;
}

static void test_tiny(void **state)
{
	(void)state;
	static uint8_t img[0x2000];
	for (int variant = 0; variant < 3; variant++) {
		uint16_t type = variant == 1 ? ET_DYN : ET_EXEC;
		uint64_t align = variant == 2 ? 8 : 4;
		size_t n = build_tiny(img, sizeof(img), type, align);
		struct ga_exe *exe = NULL;
		struct gc_error *err = ga_exe_open_memory(img, n, "tiny", &exe);
		if (err)
			fail_msg("variant %d: %s", variant, err->message);
		assert_int_equal(exe->e_type, type);
		assert_int_equal(exe->entry, 0x401000);
		assert_int_equal(exe->nsegments, 1);
		assert_int_equal(exe->nsections, 0);
		assert_int_equal(exe->build_id_len, 20);
		assert_int_equal(exe->build_id[0], 0xa0);
		assert_int_equal(exe->build_id[19], 0xa0 + 19);
		assert_non_null(exe->go_build_id);
		assert_string_equal(exe->go_build_id, "abc/def/ghi");
		assert_false(exe->has_symtab);
		const uint8_t *p = ga_exe_vaddr_ptr(exe, 0x401000, 0x100);
		assert_ptr_equal(p, img + 0x1000);
		assert_null(ga_exe_vaddr_ptr(exe, 0x401000, 0x101)); /* past filesz */
		ga_exe_close(exe);
	}
}

static void expect_error(const uint8_t *p, size_t n, enum gc_error_code code, const char *want)
{
	struct ga_exe *exe = NULL;
	struct gc_error *err = ga_exe_open_memory(p, n, "bad", &exe);
	if (!err)
		fail_msg("opened; expected an error saying \"%s\"", want);
	assert_int_equal(err->code, code);
	if (!strstr(err->message, want))
		fail_msg("message \"%s\" lacks \"%s\"", err->message, want);
	gc_error_destroy(err);
}

static void test_bad_input(void **state)
{
	(void)state;
	static uint8_t img[0x2000];
	expect_error(NULL, 0, GC_ERR_FORMAT, "bad: empty file");
	expect_error((const uint8_t *)"#!/bin/sh\n", 10, GC_ERR_FORMAT, "bad: not an ELF file");
	size_t n = build_tiny(img, sizeof(img), ET_CORE, 4);
	expect_error(img, n, GC_ERR_FORMAT,
		     "bad: ELF type ET_CORE, not an executable (ET_EXEC) or PIE (ET_DYN)");
	n = build_tiny(img, sizeof(img), ET_REL, 4);
	expect_error(img, n, GC_ERR_FORMAT, "ELF type ET_REL");
	n = build_tiny(img, sizeof(img), ET_EXEC, 4);
	((Elf64_Ehdr *)img)->e_machine = EM_386;
	expect_error(img, n, GC_ERR_FORMAT, "ELF machine 3, not one gocore reads");
	n = build_tiny(img, sizeof(img), ET_EXEC, 4);
	img[EI_CLASS] = ELFCLASS32;
	expect_error(img, n, GC_ERR_FORMAT, "not 64-bit");
	n = build_tiny(img, sizeof(img), ET_EXEC, 4);
	((Elf64_Ehdr *)img)->e_phoff = 0x100000;
	expect_error(img, n, GC_ERR_FORMAT, "bad: program headers");

	struct ga_exe *exe = NULL;
	struct gc_error *err = ga_exe_open("/nonexistent/exe", &exe);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_IO);
	assert_non_null(strstr(err->message, "/nonexistent/exe"));
	gc_error_destroy(err);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void exercise(const uint8_t *p, size_t n)
{
	struct ga_exe *exe = NULL;
	struct gc_error *err = ga_exe_open_memory(p, n, "fuzz", &exe);
	if (err) {
		assert_true(err == &gc_error_nomem || strncmp(err->message, "fuzz: ", 6) == 0);
		gc_error_destroy(err);
		return;
	}
	ga_exe_symbol(exe, "main.main", NULL, NULL);
	for (size_t k = 0; k < exe->nsections; k++)
		ga_exe_section_data(exe, &exe->sections[k]);
	for (size_t k = 0; k < exe->nsegments; k++)
		ga_exe_vaddr_ptr(exe, exe->segments[k].vaddr, 8);
	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	gc_error_destroy(ga_exe_add_segments(exe, as, 1, 0));
	gc_addrspace_destroy(as);
	ga_exe_close(exe);
}

/* The fixture cut at many lengths, and mutated: never a crash. */
static void test_truncated_and_mutated(void **state)
{
	(void)state;
	char *path = tu_fixture("crashcore");
	size_t size;
	uint8_t *img = tu_read_file(path, &size);
	size_t nok = 0, nerr = 0;
	for (int k = 0; k <= 200; k++) {
		size_t cut = k < 100 ? (size_t)k * 8 : size / 100 * (size_t)(k - 100);
		if (k == 200)
			cut = size;
		uint8_t *p = malloc(cut ? cut : 1);
		memcpy(p, img, cut);
		struct ga_exe *exe = NULL;
		struct gc_error *err = ga_exe_open_memory(p, cut, "cut", &exe);
		if (err) {
			assert_true(strncmp(err->message, "cut: ", 5) == 0);
			gc_error_destroy(err);
			nerr++;
		} else {
			exercise(p, cut);
			ga_exe_close(exe);
			nok++;
		}
		free(p);
	}
	print_message("elfexe: %zu cuts rejected, %zu opened\n", nerr, nok);
	assert_true(nok >= 1);

	/* random byte changes in the headers of a copy without the
	 * (large) tail, and of the whole image's header area */
	size_t head = 0x2000;
	for (int round = 0; round < 300; round++) {
		uint8_t *p = malloc(size);
		memcpy(p, img, size);
		int flips = 1 + (int)(rng() % 6);
		for (int f = 0; f < flips; f++) {
			size_t at = (size_t)(rng() % head);
			p[at] = (uint8_t)rng();
		}
		/* and sometimes in the section header table at the end */
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
		if (round % 2 && eh->e_shoff < size) {
			size_t at = (size_t)(eh->e_shoff + rng() % (size - eh->e_shoff));
			p[at] = (uint8_t)rng();
		}
		exercise(p, size);
		free(p);
	}
	free(img);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_no_section_headers),
		cmocka_unit_test(test_tiny),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_truncated_and_mutated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
