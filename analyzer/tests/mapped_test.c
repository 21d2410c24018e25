/* Unit tests for the files a core maps (mapped.c, and the NT_FILE grouping
 * of elfcore.c): synthetic cores whose NT_FILE table names synthetic ELF
 * files and the Go fixtures $GOCORE_FIXTURES/crashcore and layout (Go
 * executables stand in for Go libraries: what is looked for is a pclntab);
 * the first-page check by Go build ID, GNU build ID and bytes; load biases
 * from mappings; finding and placing the Go library, and their messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <stdbool.h>

#include "../../common/error.h"
#include "../../common/addrspace.h"
#include "../elfcore.h"
#include "../elfexe.h"
#include "../mapped.h"
#include "testutil.h"


/* A note; names of linkers' build-ID notes are padded to 4 bytes ("Go\0\0",
 * namesz 4, as the Go linker writes it), the kernel's are not ("CORE",
 * namesz 5). */
static void put_note(struct img *m, const char *name, uint32_t type, const void *desc,
		     uint32_t descsz)
{
	uint32_t namesz = strlen(name) < 4 ? 4 : (uint32_t)strlen(name) + 1;
	uint32_t h[3] = {namesz, descsz, type};
	put(m, h, sizeof(h));
	put(m, name, strlen(name));
	put_zero(m, namesz - strlen(name) + (4 - namesz % 4) % 4);
	put(m, desc, descsz);
	put_zero(m, (4 - descsz % 4) % 4);
}

/* A one-page x86-64 ET_DYN file: two PT_LOADs (offset 0 at 0, offset
 * 0x13000 at 0x13000), then the notes asked for, then filler. */
static struct img make_elf(const char *go_id, const char *gnu_id, uint8_t filler)
{
	struct img m = {0};
	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 2;
	put(&m, &eh, sizeof(eh));
	Elf64_Phdr ph[2] = {
		{.p_type = PT_LOAD, .p_flags = PF_R, .p_offset = 0, .p_vaddr = 0,
		 .p_filesz = 0x1000, .p_memsz = 0x1000, .p_align = 0x1000},
		{.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x13000,
		 .p_vaddr = 0x13000, .p_filesz = 0, .p_memsz = 0x1000, .p_align = 0x1000},
	};
	put(&m, ph, sizeof(ph));
	if (gnu_id)
		put_note(&m, "GNU", NT_GNU_BUILD_ID, gnu_id, (uint32_t)strlen(gnu_id));
	if (go_id)
		put_note(&m, "Go", 4, go_id, (uint32_t)strlen(go_id));
	while (m.len < 4096)
		put(&m, &filler, 1);
	return m;
}

/* A core whose NT_FILE lists (path, start, file offset) entries and whose
 * one PT_LOAD at page_at holds page (4096 bytes; none when NULL). */
struct entry {
	const char *path;
	uint64_t start, offset;
};

static struct img make_core(const struct entry *e, size_t n, uint64_t page_at,
			    const uint8_t *page)
{
	struct img m = {0};
	put_zero(&m, sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr));
	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = page ? 2 : 1;
	memcpy(m.p, &eh, sizeof(eh));

	struct img f = {0};
	uint64_t hdr[2] = {n, 4096};
	put(&f, hdr, sizeof(hdr));
	for (size_t i = 0; i < n; i++) {
		uint64_t ent[3] = {e[i].start, e[i].start + 0x1000, e[i].offset / 4096};
		put(&f, ent, sizeof(ent));
	}
	for (size_t i = 0; i < n; i++)
		put(&f, e[i].path, strlen(e[i].path) + 1);
	size_t notes = m.len;
	put_note(&m, "CORE", NT_FILE, f.p, (uint32_t)f.len);
	free(f.p);
	size_t notes_end = m.len, load = m.len;
	if (page)
		put(&m, page, 4096);
	Elf64_Phdr ph[2] = {
		{.p_type = PT_NOTE, .p_offset = notes, .p_filesz = notes_end - notes, .p_align = 4},
		{.p_type = PT_LOAD, .p_flags = PF_R, .p_offset = load, .p_vaddr = page_at,
		 .p_filesz = 4096, .p_memsz = 4096, .p_align = 0x1000},
	};
	memcpy(m.p + sizeof(Elf64_Ehdr), ph, sizeof(ph));
	return m;
}

static struct ga_core *open_core(const struct img *m)
{
	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open_memory(m->p, m->len, "core.synthetic", &core);
	if (err)
		fail_msg("ga_core_open_memory: %s", err->message);
	return core;
}

static struct ga_exe *open_exe(const struct img *m, const char *name)
{
	struct ga_exe *exe = NULL;
	struct gc_error *err = ga_exe_open_memory(m->p, m->len, name, &exe);
	if (err)
		fail_msg("ga_exe_open_memory: %s", err->message);
	return exe;
}

static struct gc_addrspace *core_space(const struct ga_core *core)
{
	struct gc_addrspace *as;
	assert_null(gc_addrspace_create(&as));
	assert_null(ga_core_add_segments(core, as, 0));
	return as;
}

/* ---- NT_FILE grouped by file ---- */

static void test_mapped_files(void **state)
{
	(void)state;
	const struct entry e[] = {
		{"/usr/bin/python3", 0x400000, 0},
		{"/usr/bin/python3", 0x401000, 0x1000},
		{"/tmp/x/libgo.so (deleted)", 0x7f0000013000, 0x13000},
		{"/lib/libc.so.6", 0x7e0000000000, 0},
		{"/tmp/x/libgo.so (deleted)", 0x7f0000000000, 0},
		{"/lib/libc.so.6", 0x7e0000001000, 0x1000},
	};
	struct img cm = make_core(e, 6, 0, NULL);
	struct ga_core *core = open_core(&cm);
	struct ga_mapped_file *files;
	size_t n;
	assert_null(ga_core_mapped_files(core, &files, &n));
	assert_int_equal(n, 3);
	assert_string_equal(files[0].path, "/usr/bin/python3");
	assert_int_equal(files[0].nmappings, 2);
	assert_int_equal(files[0].first->start, 0x400000);
	assert_string_equal(files[1].path, "/lib/libc.so.6");
	assert_string_equal(files[2].path, "/tmp/x/libgo.so (deleted)");
	assert_int_equal(files[2].lowest->start, 0x7f0000000000);
	assert_int_equal(files[2].first->start, 0x7f0000000000);
	const struct ga_mapping *m = ga_core_file_mapping(core, "/lib/libc.so.6");
	assert_non_null(m);
	assert_int_equal(m->start, 0x7e0000000000);
	assert_null(ga_core_file_mapping(core, "/lib/none.so"));
	free(files);
	ga_core_close(core);
	free(cm.p);
}

/* ---- first page, build IDs ---- */

static void test_first_page(void **state)
{
	(void)state;
	const uint64_t at = 0x7f0000000000;
	struct img core_page = make_elf("go-id-A", "\x01\x02\x03\x04", 0xaa);
	const struct entry e[] = {{"/tmp/libgo.so", at, 0}};
	struct img cm = make_core(e, 1, at, core_page.p);
	struct ga_core *core = open_core(&cm);
	struct gc_addrspace *as = core_space(core);
	const struct ga_mapping *m = ga_core_file_mapping(core, "/tmp/libgo.so");
	char cid[64], fid[64];
	struct {
		const char *go, *gnu;
		uint8_t filler;
		enum ga_first_page want;
	} cases[] = {
		{"go-id-A", "\x01\x02\x03\x04", 0xaa, GA_PAGE_MATCH},
		{"go-id-A", "\x09\x09\x09\x09", 0xbb, GA_PAGE_MATCH},  /* Go ID first */
		{"go-id-B", "\x01\x02\x03\x04", 0xaa, GA_PAGE_BUILD_ID},
		{NULL, "\x01\x02\x03\x04", 0xbb, GA_PAGE_MATCH},       /* stripped C file */
		{NULL, "\x01\x02\x03\x05", 0xaa, GA_PAGE_GNU_BUILD_ID},
		{NULL, NULL, 0xaa, GA_PAGE_DIFFERS},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct img fm = make_elf(cases[i].go, cases[i].gnu, cases[i].filler);
		struct ga_exe *f = open_exe(&fm, "libgo.so");
		enum ga_first_page r = ga_first_page_check(as, f, m, cid, fid, sizeof(cid));
		if (r != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, r, cases[i].want);
		if (r == GA_PAGE_BUILD_ID) {
			assert_string_equal(cid, "go-id-A");
			assert_string_equal(fid, "go-id-B");
		}
		if (r == GA_PAGE_GNU_BUILD_ID) {
			assert_string_equal(cid, "01020304");
			assert_string_equal(fid, "01020305");
		}
		assert_int_equal(ga_first_page_check(as, f, NULL, cid, fid, sizeof(cid)),
				 GA_PAGE_UNVERIFIED);
		ga_exe_close(f);
		free(fm.p);
	}
	/* A mapping whose first page the core lacks. */
	const struct entry e2[] = {{"/tmp/libgo.so", at + 0x100000, 0}};
	struct img cm2 = make_core(e2, 1, at, core_page.p);
	struct ga_core *core2 = open_core(&cm2);
	struct gc_addrspace *as2 = core_space(core2);
	struct ga_exe *f = open_exe(&core_page, "libgo.so");
	assert_int_equal(ga_first_page_check(as2, f, &core2->mappings[0], cid, fid, sizeof(cid)),
			 GA_PAGE_UNVERIFIED);
	ga_exe_close(f);
	gc_addrspace_destroy(as2);
	ga_core_close(core2);
	free(cm2.p);
	gc_addrspace_destroy(as);
	ga_core_close(core);
	free(cm.p);
	free(core_page.p);
}

/* ---- load bias ---- */

static void test_bias(void **state)
{
	(void)state;
	struct img fm = make_elf(NULL, NULL, 0);
	struct ga_exe *f = open_exe(&fm, "libgo.so");
	const struct entry e[] = {
		{"/a/libgo.so", 0x7f0000000000, 0},       /* the PT_LOAD at offset 0 */
		{"/a/libgo.so", 0x7f0000013000, 0x13000},
		{"/b/libgo.so", 0x7f1000013000, 0x13000}, /* only the text mapping */
		{"/c/libgo.so", 0x7f2000000000, 0x5000},  /* no segment there */
	};
	struct img cm = make_core(e, 4, 0, NULL);
	struct ga_core *core = open_core(&cm);
	struct ga_mapped_file *files;
	size_t n;
	assert_null(ga_core_mapped_files(core, &files, &n));
	assert_int_equal(n, 3);
	uint64_t bias = 0;
	assert_true(ga_mapped_bias(f, &files[0], &bias));
	assert_int_equal(bias, 0x7f0000000000);
	assert_true(ga_mapped_bias(f, &files[1], &bias));
	assert_int_equal(bias, 0x7f1000000000);
	assert_false(ga_mapped_bias(f, &files[2], &bias));
	free(files);
	ga_core_close(core);
	free(cm.p);
	ga_exe_close(f);
	free(fm.p);
}

/* ---- finding and placing the Go library ---- */

/* The fixture's absolute path, as NT_FILE would record it. */
static char *abs_fixture(const char *name)
{
	char *rel = tu_fixture(name), *abs = realpath(rel, NULL);
	if (!abs)
		fail_msg("realpath %s: %s", rel, strerror(errno));
	free(rel);
	return abs;
}

static void test_find(void **state)
{
	(void)state;
	char *go1 = abs_fixture("crashcore"), *go2 = abs_fixture("layout");
	char *dir = tu_tmpdir(), *text = NULL, *c = NULL;
	if (asprintf(&text, "%s/locale-archive", dir) < 0 || asprintf(&c, "%s/libc.so", dir) < 0)
		fail_msg("out of memory");
	tu_write_file(text, "not ELF\n", 8);
	struct img cfile = make_elf(NULL, "\x01\x02", 0);
	tu_write_file(c, cfile.p, cfile.len);
	struct ga_golib g;
	struct gc_error *err;

	/* One Go file among the others: found, with its bias (ET_EXEC at its
	 * link address: 0). */
	const struct entry one[] = {
		{"/usr/bin/host", 0x1000, 0}, {text, 0x100000, 0}, {c, 0x200000, 0},
		{go1, 0x400000, 0}, {"/gone/libold.so", 0x300000, 0},
		{"/gone/libdel.so (deleted)", 0x310000, 0}, {"/memfd:x (deleted)", 0x320000, 0},
	};
	struct img cm = make_core(one, 7, 0, NULL);
	struct ga_core *core = open_core(&cm);
	err = ga_golib_find(core, "/usr/bin/host", "host", &g);
	if (err)
		fail_msg("ga_golib_find: %s", err->message);
	assert_non_null(g.lib);
	assert_string_equal(g.recorded, go1);
	assert_int_equal(g.bias, 0);
	assert_non_null(g.map);
	ga_golib_deinit(&g);
	ga_golib_deinit(NULL);
	ga_core_close(core);
	free(cm.p);

	/* None: the message names the executable, the core and the files
	 * that are gone, and says --lib. */
	const struct entry none[] = {
		{"/usr/bin/host", 0x1000, 0}, {c, 0x200000, 0}, {"/gone/libold.so", 0x300000, 0},
		{"/gone/libdel.so (deleted)", 0x310000, 0},
	};
	struct img cm2 = make_core(none, 4, 0, NULL);
	core = open_core(&cm2);
	err = ga_golib_find(core, "/usr/bin/host", "host", &g);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_NOT_FOUND);
	assert_null(g.lib);
	if (!strstr(err->message, "core.synthetic: host is not a Go program") ||
	    !strstr(err->message, "none of the 1 other") ||
	    !strstr(err->message, "/gone/libold.so, /gone/libdel.so (deleted)") ||
	    !strstr(err->message, "--lib PATH"))
		fail_msg("unexpected message: %s", err->message);
	gc_error_destroy(err);
	ga_core_close(core);
	free(cm2.p);

	/* Two: refused, both named. */
	const struct entry two[] = {
		{"/usr/bin/host", 0x1000, 0}, {go1, 0x400000, 0}, {go2, 0x7f0000000000, 0},
	};
	struct img cm3 = make_core(two, 3, 0, NULL);
	core = open_core(&cm3);
	err = ga_golib_find(core, "/usr/bin/host", "host", &g);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_UNSUPPORTED);
	if (!strstr(err->message, "2 Go libraries") || !strstr(err->message, go1) ||
	    !strstr(err->message, go2))
		fail_msg("unexpected message: %s", err->message);
	gc_error_destroy(err);
	ga_core_close(core);
	free(cm3.p);

	unlink(text);
	unlink(c);
	free(text);
	free(c);
	free(cfile.p);
	tu_rmdir(dir);
	free(go1);
	free(go2);
}

static void test_place(void **state)
{
	(void)state;
	char *go1 = tu_fixture("crashcore"), *go2 = tu_fixture("layout");
	size_t size;
	uint8_t *bytes = tu_read_file(go1, &size);
	assert_true(size >= 4096);
	const struct entry e[] = {
		{"/usr/bin/host", 0x1000, 0}, {"/gone/crashcore (deleted)", 0x400000, 0},
	};
	/* The core holds the first page of the library that is gone. */
	struct img cm = make_core(e, 2, 0x400000, bytes);
	struct ga_core *core = open_core(&cm);
	struct gc_addrspace *as = core_space(core);
	struct ga_golib g;
	assert_null(ga_golib_place(core, as, "/usr/bin/host", go1, false, NULL, NULL, &g));
	assert_string_equal(g.recorded, "/gone/crashcore (deleted)");
	assert_string_equal(g.lib->path, go1);
	assert_int_equal(g.bias, 0);
	ga_golib_deinit(&g);

	/* Another Go binary is not placed, --force or not. */
	for (int force = 0; force < 2; force++) {
		struct gc_error *err = ga_golib_place(core, as, "/usr/bin/host", go2, force, NULL, NULL, &g);
		assert_non_null(err);
		assert_int_equal(err->code, GC_ERR_MISMATCH);
		if (!strstr(err->message, "does not belong to core.synthetic") ||
		    !strstr(err->message, go2))
			fail_msg("unexpected message: %s", err->message);
		gc_error_destroy(err);
		assert_null(g.lib);
	}
	/* Not Go at all. */
	struct gc_error *err = ga_golib_place(core, as, "/usr/bin/host", "/bin/sh", false, NULL, NULL, &g);
	assert_non_null(err);
	if (!strstr(err->message, "not a Go library"))
		fail_msg("unexpected message: %s", err->message);
	gc_error_destroy(err);
	gc_addrspace_destroy(as);
	ga_core_close(core);
	free(cm.p);
	free(bytes);
	free(go1);
	free(go2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapped_files), cmocka_unit_test(test_first_page),
		cmocka_unit_test(test_bias),         cmocka_unit_test(test_find),
		cmocka_unit_test(test_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
