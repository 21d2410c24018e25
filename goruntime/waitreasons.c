/* The wait reasons the runtime prints in goroutine headers
 * (runtime.waitReasonStrings), plain and with the header's markers.  See
 * process_int.h. */
#include "process_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gc_error *gr_read_waitreasons(struct gr_process *p)
{
	uint64_t addr = p->glob.waitreasons;
	size_t n = p->glob.nwaitreasons;
	if (!addr || !n || n > 256)
		return NULL;
	/* Each reason, then as the header's state shows it with the markers
	 * " (leaked)" (1.26+) and " (durable)" (1.25+): gr_goroutine_state()
	 * hands out these, so they live as long as the process. */
	p->waitreasons = calloc(n * GR_STATE_MARKS, sizeof(char *));
	if (!p->waitreasons)
		return &gc_error_nomem;
	p->nwaitreasons = n;
	for (size_t i = 0; i < n; i++) {
		char buf[128];
		if (!gr_read_gostring(p->img->memory, addr + 16 * i, buf, sizeof(buf)))
			continue;
		char **v = &p->waitreasons[i * GR_STATE_MARKS];
		v[GR_STATE_PLAIN] = strdup(buf);
		if (asprintf(&v[GR_STATE_LEAKED], "%s (leaked)", buf) < 0)
			v[GR_STATE_LEAKED] = NULL;
		if (asprintf(&v[GR_STATE_DURABLE], "%s (durable)", buf) < 0)
			v[GR_STATE_DURABLE] = NULL;
		if (!v[GR_STATE_PLAIN] || !v[GR_STATE_LEAKED] || !v[GR_STATE_DURABLE])
			return &gc_error_nomem;
	}
	return NULL;
}

/* ---- accessors (process.h) ---- */

const char *gr_process_waitreason(const struct gr_process *p, uint8_t reason)
{
	return gr_process_waitreason_marked(p, reason, GR_STATE_PLAIN);
}

const char *gr_process_waitreason_marked(const struct gr_process *p, uint8_t reason,
					 enum gr_state_mark mark)
{
	const char *s = NULL;
	if (reason < p->nwaitreasons)
		s = p->waitreasons[reason * GR_STATE_MARKS + mark];
	return s ? s : "";
}
