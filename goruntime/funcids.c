/* The runtime functions the unwinder and the printer must recognize: the
 * funcIDs of well-known ones, runtime.sigtramp, and the fatal panic and
 * throw functions.  See process_int.h. */
#include "process_int.h"

#include <string.h>

void gr_learn_funcids(struct gr_process *p)
{
	static const char *const names[GR_FID_COUNT] = {
		[GR_FID_GOEXIT] = "runtime.goexit",
		[GR_FID_MSTART] = "runtime.mstart",
		[GR_FID_RT0_GO] = "runtime.rt0_go",
		[GR_FID_SYSTEMSTACK] = "runtime.systemstack",
		[GR_FID_SYSTEMSTACK_SWITCH] = "runtime.systemstack_switch",
		[GR_FID_MORESTACK] = "runtime.morestack",
		[GR_FID_MCALL] = "runtime.mcall",
		[GR_FID_SIGPANIC] = "runtime.sigpanic",
		[GR_FID_GOPANIC] = "runtime.gopanic",
		[GR_FID_PANICWRAP] = "runtime.panicwrap",
		[GR_FID_ASYNCPREEMPT] = "runtime.asyncPreempt",
		[GR_FID_DEBUGCALLV2] = "runtime.debugCallV2",
		[GR_FID_CGOCALLBACK] = "runtime.cgocallback",
	};
	for (int i = 0; i < GR_FID_COUNT; i++)
		p->funcids[i] = -1;
	uint64_t n = gopclntab_nfunc(p->pcln);
	for (uint64_t i = 0; i < n; i++) {
		struct gopclntab_func f;
		if (!gopclntab_func_at(p->pcln, i, &f) || strncmp(f.name, "runtime.", 8) != 0)
			continue;
		if (strcmp(f.name, "runtime.sigtramp") == 0)
			p->sigtramp = f.entry;
		else if (strcmp(f.name, "runtime.fatalpanic") == 0)
			p->fatal[0] = f.entry;
		else if (strcmp(f.name, "runtime.fatalthrow") == 0)
			p->fatal[1] = f.entry;
		for (int k = 0; k < GR_FID_COUNT; k++)
			if (names[k] && strcmp(f.name, names[k]) == 0)
				p->funcids[k] = f.funcid;
	}
	/* funcID_wrapper has no function of its own name: in every release from
	 * 1.17 to 1.26 it directly follows funcID_systemstack_switch
	 * (go-runtime-facts §1.4). */
	if (p->funcids[GR_FID_SYSTEMSTACK_SWITCH] > 0)
		p->funcids[GR_FID_WRAPPER] = p->funcids[GR_FID_SYSTEMSTACK_SWITCH] + 1;
}

/* ---- accessors (process.h) ---- */

int gr_process_funcid(const struct gr_process *p, enum gr_funcid_name which)
{
	return p->funcids[which];
}

uint64_t gr_process_sigtramp(const struct gr_process *p) { return p->sigtramp; }
bool gr_process_is_fatal(const struct gr_process *p, uint64_t entry)
{
	return entry && (entry == p->fatal[0] || entry == p->fatal[1]);
}
