/* The process image of an ELF core.  See image.h. */
#include "image.h"

#include <stdio.h>

void ga_image_init(struct gr_image *img, const struct ga_core *core, const struct ga_exe *go,
		   const struct gc_addrspace *as, uint64_t bias)
{
	*img = (struct gr_image){
		.arch = core->arch,
		.core_path = core->path,
		.memory = as,
		.file = go->image,
		.bias = bias,
		.threads = core->threads,
		.nthreads = core->nthreads,
		.siginfo = core->siginfo,
		.pid = core->pid,
		.truncated_bytes = core->truncated_bytes,
	};
}

void ga_warn_to_file(void *ctx, const char *message)
{
	fprintf(ctx, "gocore: warning: %s\n", message);
}

void ga_say_to_file(void *ctx, const char *message)
{
	fprintf(ctx, "gocore: %s\n", message);
}

uint64_t ga_load_bias(const struct ga_exe *exe, const struct ga_mapping *map)
{
	if (exe->e_type != 3 /* ET_DYN */ || !map || exe->nsegments == 0)
		return 0;
	uint64_t lowest = UINT64_MAX;
	for (size_t i = 0; i < exe->nsegments; i++)
		if (exe->segments[i].vaddr < lowest)
			lowest = exe->segments[i].vaddr;
	return map->start - (lowest & ~0xfffull);
}
