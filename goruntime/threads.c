/* The Go threads: the Ms of runtime.allm, each matched to its thread in
 * the core, and the running goroutines' Ms.  See process_int.h. */
#include "process_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- hash tables ---- */

/* Open addressing over 64-bit keys (LWPs, M and g addresses): a slot holds
 * an index + 1, 0 when empty; nslots is a power of two. */
static size_t key_slot(uint64_t key, size_t nslots)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & (nslots - 1);
}

static size_t slots_for(size_t n)
{
	size_t nslots = 16;
	while (nslots < 2 * n)
		nslots *= 2;
	return nslots;
}

/* A set of M addresses, for cycles in allm. */
struct mset {
	uint64_t *v;   /* 0: empty (an M is never at 0) */
	size_t n, nslots;
};

/* Adds m; *seen_ret says it was there already.  False when out of memory. */
static bool mset_add(struct mset *s, uint64_t m, bool *seen_ret)
{
	*seen_ret = false;
	if (2 * (s->n + 1) > s->nslots) {
		size_t nslots = slots_for(s->n + 1);
		uint64_t *v = calloc(nslots, sizeof(*v));
		if (!v)
			return false;
		for (size_t i = 0; i < s->nslots; i++) {
			if (!s->v[i])
				continue;
			size_t k = key_slot(s->v[i], nslots);
			while (v[k])
				k = (k + 1) & (nslots - 1);
			v[k] = s->v[i];
		}
		free(s->v);
		s->v = v;
		s->nslots = nslots;
	}
	size_t k = key_slot(m, s->nslots);
	for (; s->v[k]; k = (k + 1) & (s->nslots - 1))
		if (s->v[k] == m) {
			*seen_ret = true;
			return true;
		}
	s->v[k] = m;
	s->n++;
	return true;
}

/* ---- the core's threads ---- */

/* The core's threads by LWP.  NULL when out of memory. */
static uint32_t *lwp_index(const struct gr_image *core, size_t *nslots_ret)
{
	size_t nslots = slots_for(core->nthreads);
	uint32_t *idx = calloc(nslots, sizeof(*idx));
	if (!idx)
		return NULL;
	for (size_t i = 0; i < core->nthreads && i < UINT32_MAX; i++) {
		size_t k = key_slot((uint32_t)core->threads[i].lwp, nslots);
		while (idx[k])
			k = (k + 1) & (nslots - 1);
		idx[k] = (uint32_t)(i + 1);
	}
	*nslots_ret = nslots;
	return idx;
}

/* The first core thread (in note order) whose LWP is procid, or NULL. */
static const struct gr_image_thread *find_lwp(const struct gr_image *core, const uint32_t *idx,
					size_t nslots, uint64_t procid)
{
	if (procid == 0 || procid > UINT32_MAX)
		return NULL;
	for (size_t k = key_slot(procid, nslots); idx[k]; k = (k + 1) & (nslots - 1))
		if ((uint64_t)(uint32_t)core->threads[idx[k] - 1].lwp == procid)
			return &core->threads[idx[k] - 1];
	return NULL;
}

/* ---- allm ---- */

/* The list is bounded by the number of core threads plus slack for Ms whose
 * threads are gone (cgo's extra Ms) and must not come back to an M it
 * listed. */
struct gc_error *gr_read_threads(struct gr_process *p)
{
	const struct gc_addrspace *as = p->img->memory;
	const struct gr_image *core = p->img;
	const struct gr_m_offsets *mo = &p->mo;
	uint64_t allm = p->glob.allm, m;
	if (!allm || !gc_addrspace_u64(as, allm, &m))
		return NULL;
	if (p->m_alllink == NO_OFF || mo->procid == NO_OFF || mo->curg == NO_OFF)
		return NULL;
	size_t limit = core->nthreads + 10000, capn = 0, nslots = 0;
	struct mset seen = {0};
	uint32_t *lwps = lwp_index(core, &nslots);
	struct gc_error *err = lwps ? NULL : &gc_error_nomem;
	size_t missing = 0;
	uint64_t missing_lwp[4];
	while (m && !err) {
		bool again;
		if (p->nthreads == limit) {
			gr_warn(p, "%s: runtime.allm lists more than %zu Ms (the core's %zu "
				"threads and 10000 more); the rest are ignored", core->core_path,
				limit, core->nthreads);
			p->gaps++;
			break;
		}
		if (!mset_add(&seen, m, &again)) {
			err = &gc_error_nomem;
			break;
		}
		if (again) {
			gr_warn(p, "%s: runtime.allm is cyclic: after %zu Ms it comes back to the "
				"M at 0x%" PRIx64 "; those %zu are used", core->core_path,
				p->nthreads, m, p->nthreads);
			p->gaps++;
			break;
		}
		if (p->nthreads == capn) {
			size_t nc = capn ? 2 * capn : 64;
			struct gr_thread *t = reallocarray(p->threads, nc, sizeof(*t));
			if (!t) {
				err = &gc_error_nomem;
				break;
			}
			p->threads = t;
			capn = nc;
		}
		struct gr_thread *t = &p->threads[p->nthreads];
		memset(t, 0, sizeof(*t));
		t->m = m;
		uint64_t id = 0;
		if (!gc_addrspace_u64(as, m + mo->procid, &t->procid) ||
		    !gc_addrspace_u64(as, m + mo->curg, &t->curg)) {
			gr_warn(p, "%s: runtime.allm: the M at 0x%" PRIx64 " is not in the core; "
				"the Ms after it are unknown", core->core_path, m);
			p->gaps++;
			break;
		}
		if (mo->id != NO_OFF && gc_addrspace_u64(as, m + mo->id, &id))
			t->m_id = (int64_t)id;
		if (mo->g0 != NO_OFF)
			gc_addrspace_u64(as, m + mo->g0, &t->g0);
		if (mo->gsignal != NO_OFF)
			gc_addrspace_u64(as, m + mo->gsignal, &t->gsignal);
		t->core = find_lwp(core, lwps, nslots, t->procid);
		/* An M that has had a thread (procid set by minit) but whose
		 * thread the core lacks: the core lost threads. */
		if (!t->core && t->procid && core->nthreads) {
			if (missing < 4)
				missing_lwp[missing] = t->procid;
			missing++;
		}
		p->nthreads++;
		if (!gc_addrspace_u64(as, m + p->m_alllink, &m)) {
			gr_warn(p, "%s: runtime.allm: the link of the M at 0x%" PRIx64 " is not "
				"in the core; the Ms after it are unknown", core->core_path, t->m);
			p->gaps++;
			break;
		}
	}
	free(seen.v);
	free(lwps);
	if (err)
		return err;
	if (missing) {
		char list[96] = "";
		for (size_t i = 0, len = 0; i < missing && i < 4; i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%" PRIu64,
						i ? ", " : "", missing_lwp[i]);
		gr_warn(p, "%s: %zu of the process's %zu Go threads are missing from the core's "
			"thread notes (LWP %s%s)", core->core_path, missing, p->nthreads, list,
			missing > 4 ? ", ..." : "");
		p->gaps++;
	}
	/* Running goroutines find their M through its curg. */
	p->curg_slots = slots_for(p->nthreads);
	p->curg_index = calloc(p->curg_slots, sizeof(*p->curg_index));
	if (!p->curg_index)
		return &gc_error_nomem;
	for (size_t i = 0; i < p->nthreads; i++) {
		if (!p->threads[i].curg)
			continue;
		size_t k = key_slot(p->threads[i].curg, p->curg_slots);
		while (p->curg_index[k])
			k = (k + 1) & (p->curg_slots - 1);
		p->curg_index[k] = (uint32_t)(i + 1);
	}
	return NULL;
}

/* ---- accessors (process.h) ---- */

const struct gr_m_offsets *gr_process_m_offsets(const struct gr_process *p) { return &p->mo; }
size_t gr_process_nthreads(const struct gr_process *p) { return p->nthreads; }

bool gr_process_m_id(const struct gr_process *p, uint64_t m, int64_t *ret)
{
	uint64_t v;
	if (p->mo.id == NO_OFF || !gc_addrspace_u64(p->img->memory, m + p->mo.id, &v))
		return false;
	*ret = (int64_t)v;
	return true;
}

const struct gr_thread *gr_process_thread(const struct gr_process *p, size_t i)
{
	return i < p->nthreads ? &p->threads[i] : NULL;
}

const struct gr_thread *gr_process_thread_of(const struct gr_process *p,
					     const struct gr_goroutine *g)
{
	if (!p->curg_index || !g->addr)
		return NULL;
	/* Entries of one key lie along its probe sequence in list order. */
	for (size_t k = key_slot(g->addr, p->curg_slots); p->curg_index[k];
	     k = (k + 1) & (p->curg_slots - 1)) {
		const struct gr_thread *t = &p->threads[p->curg_index[k] - 1];
		if (t->curg == g->addr && (!g->m || t->m == g->m))
			return t;
	}
	return NULL;
}
