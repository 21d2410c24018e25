/* libFuzzer target: struct layouts from the runtime's type descriptors
 * (goruntime/layout_types.c), for every Go minor 17..27.
 *
 * Input: a 24-byte header, then the memory image, mapped at MEM_BASE:
 *   [0,4)   types     - MEM_BASE  (u32 LE)
 *   [4,8)   etypes    - MEM_BASE
 *   [8,12)  typelinks - MEM_BASE  (the int32 offsets array)
 *   [12,16) ntypelinks
 *   [16]    flags: bit 0 = GR_TYPES_SCAN
 *   [17,24) unused
 * Seeds (fuzz/seeds.sh): a real binary's [runtime.types, runtime.etypes)
 * followed by its .typelink section. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../common/bytes.h"
#include "../goruntime/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_BASE 0x462000ULL
#define HDR 24

struct mem {
	const uint8_t *data;
	size_t size;
};

static bool mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct mem *m = ctx;
	if (addr < MEM_BASE || !gc_in_bounds(m->size, addr - MEM_BASE, len))
		return false;
	memcpy(buf, m->data + (addr - MEM_BASE), len);
	return true;
}

static const char *const names[] = {
	"runtime.g", "runtime.m", "runtime.gobuf", "runtime.stack",
	"runtime.moduledata", "runtime._panic", "runtime.schedt", "runtime.p",
	"runtime.hchan", "runtime.sudog", "runtime.mspan",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t types, etypes, typelinks, ntypelinks;
	uint8_t flags;
	if (!gc_get_u32(data, size, 0, &types) || !gc_get_u32(data, size, 4, &etypes) ||
	    !gc_get_u32(data, size, 8, &typelinks) || !gc_get_u32(data, size, 12, &ntypelinks) ||
	    !gc_get_u8(data, size, 16, &flags) || size < HDR)
		return 0;
	struct mem m = {data + HDR, size - HDR};
	volatile size_t sink = 0;
	for (int minor = 17; minor <= 27; minor++) {
		struct gr_layouts *l = NULL;
		struct gc_error *err = gr_layouts_from_types(
			mem_read, &m, MEM_BASE + types, MEM_BASE + etypes, MEM_BASE + typelinks,
			ntypelinks, minor, flags & 1 ? GR_TYPES_SCAN : 0, names,
			sizeof(names) / sizeof(names[0]), &l);
		if (err) {
			gc_error_destroy(err);
			continue;
		}
		for (size_t i = 0; i < l->nstructs; i++) {
			const struct gr_struct *s = &l->structs[i];
			sink += strlen(s->name) + s->size;
			for (size_t j = 0; j < s->nfields; j++)
				sink += strlen(s->fields[j].name) +
					(s->fields[j].type_name ? strlen(s->fields[j].type_name) : 0);
		}
		uint64_t off, sz;
		(void)gr_layouts_field(l, "runtime.g", "sched.sp", &off, &sz);
		(void)gr_layouts_offset(l, "runtime.m", "g0", &off);
		(void)gr_layouts_offset(l, "runtime.g", "stack.hi", &off);
		gr_layouts_destroy(l);
	}
	(void)sink;
	return 0;
}
