/* Where the runtime's state lies in the image: the pclntab,
 * runtime.firstmoduledata, and the runtime's globals (allgs, allm, sched,
 * waitReasonStrings...).  See process_int.h. */
#include "process_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "globals.h"
#include "moduledata.h"

/* ---- the pclntab ---- */

bool gr_file_pclntab(const struct gr_image_file *f, const uint8_t **data_ret, size_t *size_ret,
		     uint64_t *vaddr_ret)
{
	const struct gr_image_section *sec = gr_image_section(f, ".gopclntab");
	if (!sec)
		sec = gr_image_section(f, ".data.rel.ro.gopclntab");
	if (sec) {
		const uint8_t *d = sec->data;
		if (d) {
			*data_ret = d;
			*size_ret = sec->size;
			*vaddr_ret = sec->addr;
			return true;
		}
	}
	for (size_t i = 0; i < f->nsegments; i++) {
		const struct gr_image_segment *s = &f->segments[i];
		if (!s->data)
			continue;
		const uint8_t *base = s->data;
		size_t off = gopclntab_scan(base, s->filesz, 0);
		if (off != (size_t)-1) {
			*data_ret = base + off;
			*size_ret = s->filesz - off;
			*vaddr_ret = s->vaddr + off;
			return true;
		}
	}
	return false;
}

struct gc_error *gr_locate_pclntab(struct gr_process *p, const uint8_t **data_ret,
				   size_t *size_ret, uint64_t *addr_ret)
{
	const struct gr_image_file *exe = &p->img->file;
	uint64_t vaddr;
	if (gr_file_pclntab(exe, data_ret, size_ret, &vaddr)) {
		*addr_ret = vaddr + p->img->bias;
		return NULL;
	}
	return gc_error_create(GC_ERR_NOT_FOUND, "%s: %s is not a Go program (no Go pclntab)",
			       p->img->core_path, exe->path);
}

/* ---- runtime.firstmoduledata ---- */

static bool md_field(const struct gr_process *p, const struct gr_moduledata *md,
		     const char *name, uint64_t *ret)
{
	uint64_t off;
	if (!gr_layouts_offset(p->layouts, "runtime.moduledata", name, &off))
		return false;
	return gc_addrspace_u64(p->md_as, md->addr + off, ret);
}

/* The executable's writable segments at run-time addresses (data, bss):
 * where moduledata and the runtime's globals live.  The caller frees
 * *ret; false when out of memory. */
static bool writable_ranges(const struct gr_process *p, struct gr_range **ret, size_t *n_ret)
{
	const struct gr_image_file *exe = &p->img->file;
	struct gr_range *ranges = calloc(exe->nsegments ? exe->nsegments : 1, sizeof(*ranges));
	if (!ranges)
		return false;
	size_t n = 0;
	for (size_t i = 0; i < exe->nsegments; i++) {
		const struct gr_image_segment *s = &exe->segments[i];
		if (s->flags & GR_SEG_W)
			ranges[n++] = (struct gr_range){s->vaddr + p->img->bias,
							s->vaddr + p->img->bias + s->memsz};
	}
	*ret = ranges;
	*n_ret = n;
	return true;
}

/* The symbol, else a scan of the writable segments for the word that
 * points at the pclntab header followed by funcnametab's pointer
 * (go-runtime-facts §2.2). */
struct gc_error *gr_locate_moduledata(struct gr_process *p, uint64_t pclntab_addr,
				      struct gr_moduledata *md)
{
	memset(md, 0, sizeof(*md));
	if (gr_symbol(p, "runtime.firstmoduledata", &md->addr, NULL))
		return NULL;
	const struct gr_image_file *exe = &p->img->file;
	struct gr_range *ranges;
	size_t n;
	if (!writable_ranges(p, &ranges, &n))
		return &gc_error_nomem;
	struct gc_error *err = gr_find_moduledata(gr_read_memory, (void *)p->md_as, pclntab_addr,
						  ranges, n, &md->addr);
	free(ranges);
	if (err)
		return gc_error_prefix(err, "%s: cannot find runtime.firstmoduledata",
				       exe->path);
	return NULL;
}

struct gc_error *gr_read_moduledata(struct gr_process *p, struct gr_moduledata *md)
{
	if (!md_field(p, md, "text", &md->text) || !md_field(p, md, "minpc", &md->minpc) ||
	    !md_field(p, md, "maxpc", &md->maxpc))
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: runtime.firstmoduledata at 0x%" PRIx64 " is unreadable",
				       p->img->file.path, md->addr);
	md_field(p, md, "gofunc", &md->gofunc);
	return NULL;
}

/* ---- the runtime's globals ---- */

/* From the symbol table when there is one, else from the code that uses
 * them (globals.c). */
struct gc_error *gr_locate_globals(struct gr_process *p)
{
	struct gr_globals *gl = &p->glob;
	uint64_t size;
	if (gr_symbol(p, "runtime.allgs", &gl->allgs, NULL)) {
		gr_symbol(p, "runtime.allglen", &gl->allglen, NULL);
		gr_symbol(p, "runtime.allm", &gl->allm, NULL);
		gr_symbol(p, "runtime.allp", &gl->allp, NULL);
		gr_symbol(p, "runtime.sched", &gl->sched, NULL);
		if (gr_symbol(p, "runtime.waitReasonStrings", &gl->waitreasons, &size) &&
		    size % 16 == 0)
			gl->nwaitreasons = size / 16;
		gr_symbol(p, "runtime.maxstacksize", &gl->maxstacksize, NULL);
		struct gopclntab_func fn;
		gl->have_setmaxstack =
			gopclntab_find_func_by_name(p->pcln, "runtime/debug.setMaxStack", &fn);
		return NULL;
	}
	const struct gr_image_file *exe = &p->img->file;
	struct gr_range *ranges;
	size_t n;
	if (!writable_ranges(p, &ranges, &n))
		return &gc_error_nomem;
	struct gc_error *err = gr_find_globals(p->img->arch, p->pcln, p->img->memory, p->layouts,
					       p->minor, ranges, n, gl);
	free(ranges);
	p->globals_from_code = true;
	if (err)
		return gc_error_prefix(err, "%s: no symbols, and the runtime's globals could not "
				       "be found from its code", exe->path);
	if (!gl->waitreasons)
		gr_warn(p, "%s: runtime.waitReasonStrings not found; wait reasons print as "
			"\"waiting\"", exe->path);
	if (!gl->allm) {
		/* (A cyclic or overlong allm is not taken for allm.) */
		gr_warn(p, "%s: runtime.allm not found from the code (or its list of Ms is not "
			"one); threads are not matched to Ms, running goroutines have no stack",
			exe->path);
		p->gaps++;
	}
	return NULL;
}
