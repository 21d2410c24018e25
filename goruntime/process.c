/* Opening and closing a Go process image, the helpers its steps share,
 * and the accessors of what opening learned.  See process.h; the steps are
 * in the files process_int.h names. */
#include "process_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "labels.h"

/* ---- helpers (process_int.h) ---- */

void gr_warn(const struct gr_process *p, const char *fmt, ...)
{
	if (!p->cfg.warn)
		return;
	char small[512], *msg = small;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(small)) {
		/* A long one (a list of threads): whole when memory allows. */
		char *big = malloc((size_t)n + 1);
		if (big) {
			va_start(ap, fmt);
			vsnprintf(big, (size_t)n + 1, fmt, ap);
			va_end(ap);
			msg = big;
		}
	}
	p->cfg.warn(p->cfg.warn_ctx, msg);
	if (msg != small)
		free(msg);
}

bool gr_symbol(const struct gr_process *p, const char *name, uint64_t *addr_ret,
	       uint64_t *size_ret)
{
	uint64_t v, sz;
	if (!gr_image_symbol(&p->img->file, name, &v, &sz))
		return false;
	*addr_ret = v + p->img->bias;
	if (size_ret)
		*size_ret = sz;
	return true;
}

const char *gr_process_symbol_at(const struct gr_process *p, uint64_t addr, uint64_t *off_ret)
{
	const struct gr_image_file *f = &p->img->file;
	uint64_t v;
	const char *name = f->symbol_at && addr >= p->img->bias
				   ? f->symbol_at(f->symbol_ctx, addr - p->img->bias, &v)
				   : NULL;
	if (name && off_ret)
		*off_ret = addr - p->img->bias - v;
	return name;
}

bool gr_read_gostring(const struct gc_addrspace *as, uint64_t addr, char *buf, size_t max)
{
	uint64_t ptr, len;
	if (!gc_addrspace_u64(as, addr, &ptr) || !gc_addrspace_u64(as, addr + 8, &len))
		return false;
	if (len >= max)
		return false;
	if (len && gc_addrspace_read(as, ptr, buf, len) != GC_READ_OK)
		return false;
	buf[len] = '\0';
	return true;
}

bool gr_read_memory(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return gc_addrspace_read(ctx, addr, buf, len) == GC_READ_OK;
}

/* ---- open/close ---- */

/* With a forced mismatch (gr_open_config.forced), what the executable says
 * is not in the core: the error becomes a gap with no goroutines.  Returns
 * err when it stays an error, NULL when forgiven (err freed). */
static struct gc_error *forgive(struct gr_process *p, struct gc_error *err)
{
	if (!p->cfg.forced || err == &gc_error_nomem)
		return err;
	gr_warn(p, "%s (the executable does not match the core: no goroutine is listed)",
		err->message);
	gc_error_destroy(err);
	free(p->gs);
	p->gs = NULL;
	p->ngs = 0;
	p->gaps++;
	return gr_sort_by_goid(p);
}

struct gc_error *gr_process_open(const struct gr_open_config *config, struct gr_process **ret)
{
	struct gr_process *p = calloc(1, sizeof(*p));
	if (!p)
		return &gc_error_nomem;
	p->cfg = *config;
	p->img = config->image;
	p->md_as = config->forced && config->exe_as ? config->exe_as : p->img->memory;
	struct gc_error *err;

	const uint8_t *tab = NULL;
	size_t tabsize = 0;
	uint64_t tabaddr = 0;
	if ((err = gr_locate_pclntab(p, &tab, &tabsize, &tabaddr)))
		goto fail;
	if ((err = gr_find_version(p)))
		goto fail;
	if (!p->minor) {
		err = gc_error_create(GC_ERR_UNSUPPORTED,
				      "%s: cannot tell which Go release built it (no build "
				      "information, no runtime.buildVersion)", config->image->file.path);
		goto fail;
	}
	if (p->minor < 18 || p->minor > 27) {
		err = gc_error_create(GC_ERR_UNSUPPORTED,
				      "%s: built by %s; this gocore reads Go 1.18 to 1.27 programs",
				      config->image->file.path, p->version);
		goto fail;
	}

	struct gr_moduledata md;
	if ((err = gr_locate_moduledata(p, tabaddr, &md)))
		goto fail;
	p->moduledata = md.addr;
	if ((err = gr_learn_layouts(p, md.addr)))
		goto fail;
	if ((err = gr_resolve_offsets(p)) || (err = gr_read_moduledata(p, &md)))
		goto fail;
	struct gopclntab_config pc = {
		.data = tab, .size = tabsize, .addr = tabaddr,
		.text_start = md.text, .gofunc = md.gofunc,
		.read = gr_read_memory, .read_ctx = (void *)p->img->memory,
	};
	if ((err = gopclntab_create(&pc, &p->pcln))) {
		err = gc_error_prefix(err, "%s", config->image->file.path);
		goto fail;
	}
	gr_learn_funcids(p);
	bool have_globals = true;
	if ((err = gr_locate_globals(p))) {
		if ((err = forgive(p, err)))
			goto fail;
		have_globals = false;
	}
	if ((err = gr_read_waitreasons(p)))
		goto fail;
	if (have_globals && (err = gr_read_allgs(p)) && (err = forgive(p, err)))
		goto fail;
	gr_estimate_now(p);
	if ((err = gr_read_threads(p)))
		goto fail;
	int32_t tl;
	if (p->minor >= 26 && gr_process_debug_var(p, "tracebacklabels", &tl))
		p->header_labels = tl == 1;
	else if (p->minor >= 26)
		gr_warn(p, "%s: the runtime's GODEBUG table (tracebacklabels) was not found; "
			"headers are printed without labels", p->img->file.path);
	*ret = p;
	return NULL;
fail:
	gr_process_destroy(p);
	return err;
}

void gr_process_destroy(struct gr_process *p)
{
	if (!p)
		return;
	gopclntab_destroy(p->pcln);
	gr_layouts_destroy(p->layouts);
	free(p->gs);
	free(p->order);
	free(p->threads);
	free(p->curg_index);
	for (size_t i = 0; i < p->nwaitreasons * GR_STATE_MARKS; i++)
		free(p->waitreasons[i]);
	free(p->waitreasons);
	free(p);
}

const char *gr_process_go_version(const struct gr_process *p) { return p->version; }
int gr_process_go_minor(const struct gr_process *p) { return p->minor; }
enum gr_layout_source gr_process_layout_source(const struct gr_process *p)
{
	return p->layouts ? p->layouts->source : GR_SOURCE_NONE;
}
const struct gopclntab *gr_process_pclntab(const struct gr_process *p) { return p->pcln; }

void gr_process_layout_report(const struct gr_process *p, enum gr_layout_source *source_ret,
			      bool *cross_checked_ret, size_t *disagreements_ret)
{
	*source_ret = gr_process_layout_source(p);
	*cross_checked_ret = p->have_types && *source_ret == GR_SOURCE_DWARF;
	*disagreements_ret = p->layout_disagreements;
}

const char *gr_process_globals_source(const struct gr_process *p)
{
	return p->globals_from_code ? "code" : "symbols";
}
const struct gc_addrspace *gr_process_memory(const struct gr_process *p) { return p->img->memory; }
const struct gr_image *gr_process_image(const struct gr_process *p) { return p->img; }
size_t gr_process_open_gaps(const struct gr_process *p) { return p->unreadable + p->gaps; }
bool gr_process_header_labels(const struct gr_process *p) { return p->header_labels; }

bool gr_process_symbol(const struct gr_process *p, const char *name, uint64_t *addr_ret)
{
	return gr_symbol(p, name, addr_ret, NULL);
}

int32_t gr_process_pid(const struct gr_process *p) { return p->img->pid; }

bool gr_process_max_stack(const struct gr_process *p, uint64_t *limit_ret)
{
	/* proc.go main(): maxstacksize = 1000000000 on 64-bit systems, and
	 * maxstackceiling = 2 * maxstacksize; only runtime/debug.SetMaxStack
	 * changes maxstacksize afterwards. */
	const uint64_t def = 1000000000;
	uint64_t size = def, ceiling = 2 * def, addr, v;
	if (p->glob.maxstacksize) {
		if (!gc_addrspace_u64(p->img->memory, p->glob.maxstacksize, &size))
			return false;
	} else if (p->glob.have_setmaxstack) {
		return false;
	}
	if (gr_symbol(p, "runtime.maxstackceiling", &addr, NULL) &&
	    gc_addrspace_u64(p->img->memory, addr, &v))
		ceiling = v;
	/* newstack prints the smaller of the two. */
	*limit_ret = size < ceiling ? size : ceiling;
	return true;
}

uint64_t gr_process_moduledata(const struct gr_process *p) { return p->moduledata; }
const struct gr_layouts *gr_process_layouts(const struct gr_process *p) { return p->layouts; }
