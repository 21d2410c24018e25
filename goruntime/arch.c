/* The architectures gocore reads.  See arch.h. */
#include "arch.h"

static const struct gr_arch *const arches[] = {&gr_arch_amd64, &gr_arch_arm64,
						&gr_arch_riscv64, &gr_arch_loong64};

const struct gr_arch *gr_arch_for_machine(uint16_t machine)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (arches[i]->elf_machine == machine)
			return arches[i];
	return NULL;
}
