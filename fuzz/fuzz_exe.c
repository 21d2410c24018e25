/* libFuzzer target: an ELF executable (analyzer/elfexe.c) from memory:
 * sections, symbols, build IDs, segments in an address space.
 * Seeds: fuzz/seeds.sh (the first 64 KiB of real Go executables, and whole
 * small synthetic ELF files). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../common/addrspace.h"
#include "../analyzer/elfexe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const section_names[] = {
	".text", ".rodata", ".gopclntab", ".noptrdata", ".data", ".bss", ".noptrbss",
	".go.buildinfo", ".go.module", ".typelink", ".note.go.buildid", ".symtab", "",
};
static const char *const symbol_names[] = {
	"runtime.allgs", "runtime.allglen", "runtime.allm", "runtime.sched",
	"runtime.buildVersion", "runtime.firstmoduledata", "main.main", "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ga_exe *exe = NULL;
	struct gc_error *err = ga_exe_open_memory(data, size, "fuzz.exe", &exe);
	if (err) {
		gc_error_destroy(err);
		return 0;
	}
	volatile size_t sink = exe->build_id_len;
	if (exe->go_build_id)
		sink += strlen(exe->go_build_id);
	for (size_t i = 0; i < sizeof(section_names) / sizeof(section_names[0]); i++) {
		const struct ga_exe_section *s = ga_exe_section(exe, section_names[i]);
		if (!s)
			continue;
		const uint8_t *p = ga_exe_section_data(exe, s);
		if (p && s->size)
			sink += p[0] + p[s->size - 1];
		p = ga_exe_vaddr_ptr(exe, s->addr, s->size > 4096 ? 4096 : s->size);
		if (p && s->size)
			sink += p[0];
	}
	for (size_t i = 0; i < exe->nsections; i++) {
		sink += strlen(exe->sections[i].name);
		const uint8_t *p = ga_exe_section_data(exe, &exe->sections[i]);
		if (p && exe->sections[i].size)
			sink += p[exe->sections[i].size - 1];
	}
	for (size_t i = 0; i < sizeof(symbol_names) / sizeof(symbol_names[0]); i++) {
		uint64_t v, sz;
		if (ga_exe_symbol(exe, symbol_names[i], &v, &sz)) {
			const uint8_t *p = ga_exe_vaddr_ptr(exe, v, sz > 64 ? 64 : sz ? sz : 1);
			if (p)
				sink += p[0];
		}
	}
	for (size_t i = 0; i < exe->nsegments; i++) {
		const struct ga_exe_segment *s = &exe->segments[i];
		const uint8_t *p = ga_exe_vaddr_ptr(exe, s->vaddr, 8);
		if (p)
			sink += p[7];
		p = ga_exe_vaddr_ptr(exe, s->vaddr + s->filesz - 1, 1);
		if (p)
			sink += p[0];
		(void)ga_exe_vaddr_ptr(exe, s->vaddr + s->memsz - 1, 2);
		(void)ga_exe_vaddr_ptr(exe, s->vaddr, (size_t)-1);
	}
	(void)ga_exe_vaddr_ptr(exe, exe->entry, 16);
	(void)ga_exe_vaddr_ptr(exe, UINT64_MAX - 3, 8);

	struct gc_addrspace *as = NULL;
	if (!gc_addrspace_create(&as)) {
		uint64_t bias = exe->e_type == 3 /* ET_DYN */ ? 0x555555554000ULL : 0;
		err = ga_exe_add_segments(exe, as, 1, bias);
		gc_error_destroy(err);
		uint64_t v;
		for (size_t i = 0; i < exe->nsegments; i++)
			(void)gc_addrspace_u64(as, exe->segments[i].vaddr + bias, &v);
		(void)gc_addrspace_u64(as, exe->entry + bias, &v);
		gc_addrspace_destroy(as);
	}
	(void)sink;
	ga_exe_close(exe);
	return 0;
}
