/* The panic lines of a crash, and how the crash began.  See panic.h.
 *
 * Sources: runtime/panic.go (printpanics, preprintpanics, dopanic_m), of
 * go1.18 to go1.26.  The values in the chain are printed by gvalue.c, a
 * throw's lines come from throw.c, a signal's from signal.c.
 */
#include "panic.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/obuf.h"
#include "gvalue.h"
#include "signal.h"
#include "throw.h"
#include "unwind.h"

/* Panics nest one per deferred call that panics again; a chain longer than
 * this is corrupt or cyclic. */
#define MAX_CHAIN 4096

/* ---- the _panic chain ---- */

struct panic_rec {
	uint64_t addr, typ, data, link;
	uint8_t recovered, goexit, repanicked;
};

struct panic_offsets {
	uint64_t arg, link, recovered, goexit, repanicked;
};

static struct gc_error *read_chain(struct gr_reader *c, uint64_t first, struct panic_rec **ret,
				   size_t *n_ret)
{
	struct panic_offsets o = {
		.arg = gr_field_offset(c->l, "runtime._panic", "arg"),
		.link = gr_field_offset(c->l, "runtime._panic", "link"),
		.recovered = gr_field_offset(c->l, "runtime._panic", "recovered"),
		.goexit = gr_field_offset(c->l, "runtime._panic", "goexit"),
		.repanicked = gr_field_offset(c->l, "runtime._panic", "repanicked"),
	};
	*ret = NULL;
	*n_ret = 0;
	if (o.arg == GR_NO_OFFSET || o.link == GR_NO_OFFSET || o.recovered == GR_NO_OFFSET ||
	    o.goexit == GR_NO_OFFSET)
		return gc_error_create(GC_ERR_NOT_FOUND,
				       "the layout of runtime._panic (arg, link, recovered, "
				       "goexit) is not known for this binary");
	struct panic_rec *v = NULL;
	size_t n = 0, cap = 0;
	for (uint64_t a = first; a; a = v[n - 1].link) {
		if (n == MAX_CHAIN) {
			free(v);
			return gc_error_create(GC_ERR_FORMAT,
					       "the panic chain from 0x%" PRIx64
					       " has more than %d entries (cyclic?)", first, MAX_CHAIN);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			struct panic_rec *nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				free(v);
				return &gc_error_nomem;
			}
			v = nv;
		}
		struct panic_rec *r = &v[n];
		memset(r, 0, sizeof(*r));
		r->addr = a;
		if (!gc_addrspace_u64(c->as, a + o.arg, &r->typ) ||
		    !gc_addrspace_u64(c->as, a + o.arg + 8, &r->data) ||
		    !gc_addrspace_u64(c->as, a + o.link, &r->link) ||
		    !gc_addrspace_u8(c->as, a + o.recovered, &r->recovered) ||
		    !gc_addrspace_u8(c->as, a + o.goexit, &r->goexit) ||
		    (o.repanicked != GR_NO_OFFSET &&
		     !gc_addrspace_u8(c->as, a + o.repanicked, &r->repanicked))) {
			free(v);
			return gc_error_create(GC_ERR_FAULT,
					       "runtime._panic at 0x%" PRIx64 " is not in the core", a);
		}
		n++;
		for (size_t i = 0; i + 1 < n; i++)
			if (v[i].addr == a) {
				free(v);
				return gc_error_create(GC_ERR_FORMAT,
						       "the panic chain from 0x%" PRIx64
						       " loops at 0x%" PRIx64, first, a);
			}
	}
	*ret = v;
	*n_ret = n;
	return NULL;
}

/* printpanics: the oldest panic first (it recurses on link before
 * printing). */
static struct gc_error *print_chain(struct gr_reader *c, struct obuf *b,
				    const struct panic_rec *v, size_t n)
{
	for (size_t k = n; k-- > 0;) {
		const struct panic_rec *r = &v[k];
		if (k + 1 < n) {
			const struct panic_rec *link = &v[k + 1];
			/* 1.25+: a panic that re-raised its link's value is not
			 * printed twice (preprintpanics marks the link). */
			if (link->repanicked)
				continue;
			if (!link->goexit)
				ob_str(b, "\t");
		}
		if (r->goexit)
			continue;
		ob_str(b, "panic: ");
		struct gc_error *err = gr_printpanicval(c, b, r->typ, r->data);
		if (err)
			return err;
		bool repanicked = c->minor >= 26 ? r->recovered && r->repanicked : r->repanicked;
		if (repanicked)
			ob_str(b, " [recovered, repanicked]");
		else if (r->recovered)
			ob_str(b, " [recovered]");
		ob_str(b, "\n");
	}
	return NULL;
}

/* ---- the crash ---- */

const struct gr_goroutine *gr_crashing_goroutine(const struct gr_process *p)
{
	size_t n = gr_process_ngoroutines(p);
	for (size_t i = 0; i < n; i++) {
		const struct gr_goroutine *g = gr_process_goroutine(p, i);
		if (g->panic && (g->status & ~(uint32_t)GR_GSCAN) == GR_GRUNNING)
			return g;
	}
	const struct gr_thread *th = gr_signalled_thread(p);
	if (th && th->curg)
		for (size_t i = 0; i < n; i++)
			if (gr_process_goroutine(p, i)->addr == th->curg)
				return gr_process_goroutine(p, i);
	for (size_t i = 0; i < n; i++)
		if (gr_process_goroutine(p, i)->panic)
			return gr_process_goroutine(p, i);
	return NULL;
}

struct gc_error *gr_panic_message(const struct gr_process *p, const struct gr_goroutine *g,
				  char **ret)
{
	*ret = NULL;
	struct gr_reader c;
	gr_reader_init(&c, p);
	struct obuf b = {0};
	struct gc_error *err = NULL;
	if (g && g->panic) {
		struct panic_rec *v;
		size_t n;
		if (!(err = read_chain(&c, g->panic, &v, &n))) {
			err = print_chain(&c, &b, v, n);
			free(v);
		}
	} else {
		struct gr_throw ts;
		gr_find_throw(&c, g, &ts);
		if (ts.found)
			gr_throw_lines(&c, &ts, &b);
		gr_throw_deinit(&ts);
	}
	if (b.failed || c.nomem) {
		/* Whatever else went wrong may have come from that. */
		gc_error_destroy(err);
		err = &gc_error_nomem;
	}
	if (err) {
		ob_free(&b);
		return g ? gc_error_prefix(err, "goroutine %" PRIu64 "'s panic", g->goid) : err;
	}
	*ret = ob_take(&b);
	return *ret ? NULL : &gc_error_nomem;
}

/* printpanics' lines for g's panic chain into b. */
static struct gc_error *crash_panic(struct gr_reader *c, const struct gr_goroutine *g,
				    struct gr_crash *ret, struct obuf *b)
{
	ret->kind = GR_CRASH_PANIC;
	ret->g = g;
	ret->thread = gr_process_thread_of(c->p, g);
	struct panic_rec *v;
	size_t n;
	struct gc_error *err = read_chain(c, g->panic, &v, &n);
	if (!err) {
		err = print_chain(c, b, v, n);
		free(v);
	}
	return err ? gc_error_prefix(err, "goroutine %" PRIu64 "'s panic", g->goid) : NULL;
}

struct gc_error *gr_crash_read(const struct gr_process *p, struct gr_crash *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct gr_reader c;
	gr_reader_init(&c, p);
	struct obuf b = {0};
	struct gc_error *err = NULL;
	const struct gr_layouts *l = c.l;
	uint64_t o_sig = gr_field_offset(l, "runtime.g", "sig");
	const struct gr_goroutine *g = gr_crashing_goroutine(p);
	struct gr_throw ts = {.found = false};
	struct gr_sigframe f;
	const struct gr_thread *origin;
	uint64_t sig_g = 0;   /* the g whose sig fields give "[signal …]" */
	/* A panic is what happened when its goroutine is the one running;
	 * another goroutine may be panicking but parked in a deferred call. */
	bool running = g && (g->status & ~(uint32_t)GR_GSCAN) == GR_GRUNNING;
	if (g && g->panic && running) {
		err = crash_panic(&c, g, ret, &b);
		sig_g = g->addr;
	} else if (gr_find_throw(&c, g, &ts), ts.found) {
		ret->kind = GR_CRASH_THROW;
		ret->g = g;
		ret->thread = ts.thread;
		gr_throw_lines(&c, &ts, &b);
		sig_g = gr_throwing_g(&c, &ts);
	} else if ((origin = gr_signal_origin(p, &f))) {
		ret->kind = GR_CRASH_SIGNAL;
		ret->thread = origin;
		ret->g = gr_fatalsignal_lines(&c, origin, &f, &b);
		ret->signo = f.signo;
	} else if (g && g->panic) {
		err = crash_panic(&c, g, ret, &b);
		sig_g = g->addr;
	} else {
		ret->g = g;
		ret->thread = g ? gr_process_thread_of(p, g) : NULL;
		if (!ret->thread)
			ret->thread = gr_signalled_thread(p);
	}
	gr_throw_deinit(&ts);
	ret->m_id = ret->thread ? ret->thread->m_id : -1;
	char line[256] = "";
	uint32_t sig = 0;
	if (sig_g && o_sig != GR_NO_OFFSET && gc_addrspace_u32(c.as, sig_g + o_sig, &sig) && sig) {
		struct gr_goroutine tmp = {.addr = sig_g};
		char *sl = NULL;
		struct gc_error *e2 = gr_signal_line(p, &tmp, &sl);
		if (!e2 && sl)
			snprintf(line, sizeof(line), "%s", sl);
		c.nomem |= e2 == &gc_error_nomem;
		gc_error_destroy(e2);
		free(sl);
		if (sig < 65)
			ret->signo = (int)sig;
	}
	ret->signal_line = strdup(line);
	if (err && err != &gc_error_nomem)
		b.len = 0;   /* What could not be read is left out of the message. */
	ret->message = ob_take(&b);
	if (err == &gc_error_nomem || c.nomem || !ret->message || !ret->signal_line) {
		gc_error_destroy(err);
		gr_crash_deinit(ret);
		return &gc_error_nomem;
	}
	return err;
}

void gr_crash_deinit(struct gr_crash *c)
{
	free(c->message);
	free(c->signal_line);
	c->message = c->signal_line = NULL;
}

