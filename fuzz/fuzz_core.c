/* libFuzzer target: an ELF core file (analyzer/elfcore.c) from memory, its
 * segments in an address space, and reads through it.
 * Seeds: fuzz/seeds.sh (the first 64 KiB of real cores: ELF header, program
 * headers and notes; segments then run past the end, as in truncated cores). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/addrspace.h"
#include "../analyzer/elfcore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open_memory(data, size, "fuzz.core", &core);
	if (err) {
		gc_error_destroy(err);
		return 0;
	}
	(void)ga_core_exe_mapping(core);
	/* Touch everything the parser handed out. */
	volatile size_t sink = 0;
	struct ga_mapped_file *files = NULL;
	size_t nfiles = 0;
	if (!ga_core_mapped_files(core, &files, &nfiles)) {
		for (size_t i = 0; i < nfiles; i++)
			sink += files[i].nmappings + (files[i].first ? 1 : 0) +
				(size_t)files[i].lowest->start;
		free(files);
	}
	for (size_t i = 0; i < core->nmappings; i++)
		sink += core->mappings[i].path ? strlen(core->mappings[i].path) : 0;
	for (size_t i = 0; i < core->nthreads; i++)
		sink += (size_t)gr_regs_pc(core->arch, &core->threads[i].regs);
	sink += strlen(core->fname) + strlen(core->psargs);

	struct gc_addrspace *as = NULL;
	if (!gc_addrspace_create(&as)) {
		err = ga_core_add_segments(core, as, 0);
		gc_error_destroy(err);
		uint8_t buf[64];
		for (size_t i = 0; i < core->nsegments; i++) {
			const struct ga_core_segment *s = &core->segments[i];
			uint64_t addrs[] = {s->vaddr, s->vaddr + s->memsz - 8,
					    s->vaddr + s->filesz / 2, s->vaddr + s->avail - 1};
			for (size_t k = 0; k < sizeof(addrs) / sizeof(addrs[0]); k++) {
				uint64_t v;
				size_t len;
				(void)gc_addrspace_read(as, addrs[k], buf, sizeof(buf));
				(void)gc_addrspace_u64(as, addrs[k], &v);
				const uint8_t *p = gc_addrspace_span(as, addrs[k], 4096, &len);
				if (p && len)
					sink += p[len - 1];
				p = gc_addrspace_ptr(as, addrs[k], 16);
				if (p)
					sink += p[15];
			}
		}
		for (size_t i = 0; i < core->nthreads; i++) {
			uint64_t v;
			(void)gc_addrspace_u64(as, gr_regs_sp(core->arch, &core->threads[i].regs), &v);
			(void)gc_addrspace_read(as, gr_regs_pc(core->arch, &core->threads[i].regs), buf, 16);
		}
		sink += gc_addrspace_missing_bytes(as, 0);
		gc_addrspace_destroy(as);
	}
	(void)sink;
	ga_core_close(core);
	return 0;
}
