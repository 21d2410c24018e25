/* The runtime's data layouts for one process: from DWARF and the type
 * descriptors (cross-checked when both are present), the per-release facts
 * neither gives, and the offsets of the g and m fields the readers use.
 * See process_int.h; the sources themselves are layout_dwarf.c and
 * layout_types.c. */
#include "process_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "moduledata.h"

/* ---- the sources ---- */

static const char *const layout_names[] = {
	"runtime.g", "runtime.m", "runtime.gobuf", "runtime.stack",
	"runtime.moduledata", "runtime._panic", "runtime.schedt",
	/* read when present: synctest (1.24, 1.25+), the label map (-1.23) */
	"runtime.synctestGroup", "runtime.synctestBubble", "runtime.hmap",
};

/* Layout facts the runtime's type descriptors cannot give: runtime.schedt
 * has no descriptor (nothing converts it to an interface).  It begins
 * {goidgen, lastpoll, pollUntil, [pollingNet int32 (1.25+),] lock} in every
 * release 1.17-1.27 (runtime2.go); the lock offsets were confirmed on the
 * 1.19-1.27 npm corpus by globals.c's cross-reference. */
static struct gc_error *add_schedt_facts(struct gr_layouts *l, int minor)
{
	static const char *const names[] = {"goidgen", "lastpoll", "pollUntil", "lock"};
	const uint64_t offs[] = {0, 8, 16, minor >= 25 ? 32 : 24};
	struct gr_struct *ns = realloc(l->structs, (l->nstructs + 1) * sizeof(*ns));
	if (!ns)
		return &gc_error_nomem;
	l->structs = ns;
	struct gr_struct *st = &l->structs[l->nstructs];
	memset(st, 0, sizeof(*st));
	st->name = strdup("runtime.schedt");
	st->fields = calloc(4, sizeof(*st->fields));
	if (!st->name || !st->fields)
		goto nomem;
	for (size_t i = 0; i < 4; i++) {
		st->fields[i].name = strdup(names[i]);
		if (!st->fields[i].name)
			goto nomem;
		st->fields[i].offset = offs[i];
		st->fields[i].size = 8;
		st->nfields++;
	}
	st->size = offs[3] + 8;
	l->nstructs++;
	return NULL;
nomem:
	for (size_t i = 0; st->fields && i < st->nfields; i++)
		free(st->fields[i].name);
	free(st->name);
	free(st->fields);
	return &gc_error_nomem;
}

/* Layouts from the type descriptors the moduledata points at. */
static struct gc_error *layouts_from_types(struct gr_process *p, uint64_t md_addr,
					   struct gr_layouts **ret)
{
	struct gr_moduledata_types mt;
	int minor = p->minor;
	/* The moduledata offsets are per-release facts; the descriptors then
	 * describe runtime.moduledata itself, which confirms them below. */
	struct gc_error *err = gr_moduledata_types(gr_read_memory, (void *)p->md_as, md_addr,
						   minor, &mt);
	if (err)
		return err;
	err = gr_layouts_from_types(gr_read_memory, (void *)p->md_as, mt.types, mt.etypes,
				    mt.typelinks, mt.ntypelinks, minor, GR_TYPES_SCAN, layout_names,
				    sizeof(layout_names) / sizeof(layout_names[0]), ret);
	if (err)
		return err;
	uint64_t off;
	if (gr_layouts_offset(*ret, "runtime.moduledata", "types", &off)) {
		uint64_t types;
		if (!gc_addrspace_u64(p->md_as, md_addr + off, &types) || types != mt.types) {
			gr_layouts_destroy(*ret);
			*ret = NULL;
			return gc_error_create(GC_ERR_FORMAT,
					       "%s: the type descriptors disagree with the "
					       "moduledata layout assumed for %s",
					       p->img->file.path, p->version);
		}
	}
	if (!gr_layouts_struct(*ret, "runtime.schedt") && (err = add_schedt_facts(*ret, minor))) {
		gr_layouts_destroy(*ret);
		*ret = NULL;
		return err;
	}
	return NULL;
}

/* ---- choosing a source ---- */

/* Fields gocore reads; compared between sources when both are present. */
static const char *const checked_fields[][2] = {
	{"runtime.g", "sched.sp"},    {"runtime.g", "sched.pc"},     {"runtime.g", "syscallsp"},
	{"runtime.g", "syscallpc"},   {"runtime.g", "atomicstatus"}, {"runtime.g", "goid"},
	{"runtime.g", "waitsince"},   {"runtime.g", "waitreason"},   {"runtime.g", "m"},
	{"runtime.g", "lockedm"},     {"runtime.g", "gopc"},         {"runtime.g", "startpc"},
	{"runtime.g", "stack.lo"},    {"runtime.g", "stack.hi"},     {"runtime.m", "curg"},
	{"runtime.m", "procid"},      {"runtime.m", "alllink"},      {"runtime.m", "g0"},
	{"runtime.moduledata", "text"}, {"runtime.moduledata", "gofunc"},
	{"runtime.moduledata", "types"},
};

/* Says on the warnings stream where DWARF and the type descriptors disagree;
 * returns the number of disagreements. */
static size_t cross_check(const struct gr_process *p, const struct gr_layouts *a,
			  const struct gr_layouts *b)
{
	size_t bad = 0;
	for (size_t i = 0; i < sizeof(checked_fields) / sizeof(checked_fields[0]); i++) {
		uint64_t x, y;
		bool hx = gr_layouts_offset(a, checked_fields[i][0], checked_fields[i][1], &x);
		bool hy = gr_layouts_offset(b, checked_fields[i][0], checked_fields[i][1], &y);
		if (hx && hy && x == y)
			continue;
		if (!hx && !hy)
			continue;
		bad++;
		gr_warn(p, "%s: layout sources disagree on %s.%s: DWARF %s%" PRIu64
			", type descriptors %s%" PRIu64, p->img->file.path, checked_fields[i][0],
			checked_fields[i][1], hx ? "" : "none/", hx ? x : 0, hy ? "" : "none/",
			hy ? y : 0);
	}
	return bad;
}

struct gc_error *gr_learn_layouts(struct gr_process *p, uint64_t md_addr)
{
	struct gr_layouts *dwarf = NULL, *types = NULL;
	struct gc_error *derr = NULL, *terr = NULL;
	if (p->img->file.dwarf_fd >= 0)
		derr = gr_layouts_from_dwarf(p->img->file.dwarf_fd, p->img->file.path, layout_names,
					     sizeof(layout_names) / sizeof(layout_names[0]),
					     &dwarf);
	terr = layouts_from_types(p, md_addr, &types);
	if (derr == &gc_error_nomem || terr == &gc_error_nomem) {
		/* Not a source that failed: the answer would depend on memory. */
		gr_layouts_destroy(dwarf);
		gr_layouts_destroy(types);
		gc_error_destroy(derr);
		gc_error_destroy(terr);
		return &gc_error_nomem;
	}
	if (dwarf && types)
		p->layout_disagreements = cross_check(p, dwarf, types);
	if (dwarf) {
		p->layouts = dwarf;
		p->have_types = types != NULL;
		gr_layouts_destroy(types);
		gc_error_destroy(derr);
		gc_error_destroy(terr);
		return NULL;
	}
	if (types) {
		if (derr)
			gr_warn(p, "%s (using the type descriptors)", derr->message);
		p->layouts = types;
		gc_error_destroy(derr);
		gc_error_destroy(terr);
		return NULL;
	}
	struct gc_error *err = derr ? derr : terr;
	if (derr && terr) {
		err = gc_error_create(GC_ERR_NOT_FOUND, "%s; and from type descriptors: %s",
				      derr->message, terr->message);
		gc_error_destroy(derr);
		gc_error_destroy(terr);
	} else if (!derr) {
		err = gc_error_prefix(terr, "%s: no DWARF, and the type descriptors are unreadable",
				      p->img->file.path);
	}
	return gc_error_prefix(err, "cannot learn the runtime's layouts");
}

/* ---- the offsets the readers use ---- */

static uint64_t off_or(const struct gr_layouts *l, const char *s, const char *path)
{
	uint64_t off;
	return gr_layouts_offset(l, s, path, &off) ? off : NO_OFF;
}

struct gc_error *gr_resolve_offsets(struct gr_process *p)
{
	const struct gr_layouts *l = p->layouts;
	const struct gr_struct *g = gr_layouts_struct(l, "runtime.g");
	if (!g)
		return gc_error_create(GC_ERR_NOT_FOUND, "%s: no layout for runtime.g",
				       p->img->file.path);
	struct g_offsets *o = &p->go;
	o->size = g->size;
	struct {
		const char *path;
		uint64_t *dst;
		bool required;
	} want[] = {
		{"stack.lo", &o->stack_lo, true},      {"stack.hi", &o->stack_hi, true},
		{"sched.sp", &o->sched_sp, true},      {"sched.pc", &o->sched_pc, true},
		{"sched.bp", &o->sched_bp, false},     {"sched.ctxt", &o->sched_ctxt, false},
		{"sched.lr", &o->sched_lr, false},
		{"syscallsp", &o->syscallsp, true},    {"syscallpc", &o->syscallpc, true},
		{"syscallbp", &o->syscallbp, false},   {"atomicstatus", &o->atomicstatus, true},
		{"goid", &o->goid, true},              {"waitsince", &o->waitsince, true},
		{"waitreason", &o->waitreason, true},  {"m", &o->m, true},
		{"lockedm", &o->lockedm, true},        {"gopc", &o->gopc, true},
		{"startpc", &o->startpc, true},        {"parentGoid", &o->parent_goid, false},
		{"_panic", &o->panic, false},          {"labels", &o->labels, false},
		/* synctest: 1.24's group, 1.25+'s bubble */
		{p->minor >= 25 ? "bubble" : "syncGroup", &o->bubble, false},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		*want[i].dst = off_or(l, "runtime.g", want[i].path);
		if (*want[i].dst == NO_OFF && want[i].required)
			return gc_error_create(GC_ERR_NOT_FOUND,
					       "%s: runtime.g has no field %s",
					       p->img->file.path, want[i].path);
		if (*want[i].dst != NO_OFF && *want[i].dst + 8 > o->size &&
		    strcmp(want[i].path, "waitreason") != 0)
			return gc_error_create(GC_ERR_FORMAT,
					       "%s: runtime.g field %s at %" PRIu64
					       " lies outside its size %" PRIu64,
					       p->img->file.path, want[i].path, *want[i].dst, o->size);
	}
	struct gr_m_offsets *mo = &p->mo;
	mo->g0 = off_or(l, "runtime.m", "g0");
	mo->curg = off_or(l, "runtime.m", "curg");
	mo->procid = off_or(l, "runtime.m", "procid");
	mo->id = off_or(l, "runtime.m", "id");
	mo->gsignal = off_or(l, "runtime.m", "gsignal");
	mo->vdsosp = off_or(l, "runtime.m", "vdsoSP");
	mo->vdsopc = off_or(l, "runtime.m", "vdsoPC");
	mo->throwing = off_or(l, "runtime.m", "throwing");
	mo->tls = off_or(l, "runtime.m", "tls");
	mo->incgo = off_or(l, "runtime.m", "incgo");
	p->m_alllink = off_or(l, "runtime.m", "alllink");
	return NULL;
}

/* ---- layouts read on demand ---- */

struct gc_error *gr_learn_more_layouts(const struct gr_process *p, const char *const *names,
				       size_t n, bool types_only, struct gr_layouts **ret)
{
	*ret = NULL;
	struct gc_error *err = NULL;
	if (!types_only && p->layouts && p->layouts->source == GR_SOURCE_DWARF &&
	    p->img->file.dwarf_fd >= 0) {
		err = gr_layouts_from_dwarf(p->img->file.dwarf_fd, p->img->file.path, names, n,
					    ret);
		if (!err || err == &gc_error_nomem)
			return err;
		gc_error_destroy(err);
		*ret = NULL;
	}
	struct gr_moduledata_types mt;
	if ((err = gr_moduledata_types(gr_read_memory, (void *)p->md_as, p->moduledata, p->minor,
				       &mt)))
		return err;
	return gr_layouts_from_types(gr_read_memory, (void *)p->md_as, mt.types, mt.etypes,
				     mt.typelinks, mt.ntypelinks, p->minor, GR_TYPES_SCAN, names, n,
				     ret);
}
