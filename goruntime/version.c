/* Which Go release built the program.  See process_int.h. */
#include "process_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "buildinfo.h"

static void parse_minor(struct gr_process *p)
{
	p->minor = 0;
	int major = 0, minor = 0;
	if (sscanf(p->version, "go%d.%d", &major, &minor) == 2 && major == 1)
		p->minor = minor;
}

struct gc_error *gr_find_version(struct gr_process *p)
{
	uint64_t addr;
	if (gr_symbol(p, "runtime.buildVersion", &addr, NULL) &&
	    gr_read_gostring(p->img->memory, addr, p->version, sizeof(p->version)) &&
	    p->version[0]) {
		parse_minor(p);
		return NULL;
	}
	char *v = NULL;
	struct gc_error *err = gr_buildinfo_version(&p->img->file, p->img->memory, p->img->bias, &v);
	if (err && err != &gc_error_nomem) {
		gc_error_destroy(err);
		/* Some release pipelines drop the build info (esbuild 0.27+);
		 * runtime.buildVersion's bytes still stand alone in rodata. */
		err = gr_version_from_rodata(&p->img->file, &v);
		if (err != &gc_error_nomem) {
			gc_error_destroy(err);
			err = NULL;
		}
	}
	if (err)
		return err;
	if (v) {
		snprintf(p->version, sizeof(p->version), "%s", v);
		free(v);
		parse_minor(p);
	}
	return NULL;
}
