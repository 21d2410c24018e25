/* The type-descriptor reader and the globals finder on every binary of the
 * npm corpus (tests/npm-corpus.list: real, stripped, third-party Go
 * 1.19-1.27 programs), checked against facts that do not come from gocore:
 *
 * - runtime.g, runtime.m and runtime.moduledata offsets and sizes computed
 *   from each release's src/runtime (runtime2.go, symtab.go; github.com/
 *   golang/go at that release), copied into the tables below;
 * - the moduledata's values against the ELF section headers the Go linker
 *   wrote (.text; .go.module's size in 1.26+);
 * - the globals against the runtime's own dump of the same crash
 *   (cache/npm/NAME/oracle.txt: the goroutine ids it printed), the core's
 *   threads (NT_PRSTATUS notes), the wait-reason strings of facts §4.2 and
 *   the Go version the list names.
 *
 * Not named *_test.c: `make unit` must not pick it up, since the corpus is
 * fetched first (tests/npm-corpus.sh NAME, run by tests/npm-e2e.sh).  Inputs:
 * GOCORE_NPM_LIST (default tests/npm-corpus.list) and GOCORE_NPM_DIR
 * (default cache/npm), relative to the current directory: run it from the
 * repository root, as npm-corpus.sh resolves a relative GOCORE_NPM_DIR from
 * there.  A missing cache entry is a failure, not a skip.
 *
 * Build (from the repository root, after `make`; the Makefile's
 * $(ALL_CFLAGS) works the same):
 *   cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
 *      -Wstrict-prototypes -Wmissing-prototypes -I/usr/include/libdwarf -O2 -g \
 *      -o build/goruntime/tests/corpus_check goruntime/tests/corpus_check.c \
 *      build/libgocore.a -lcmocka -ldwarf -lelf -lz
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../analyzer/elfcore.h"
#include "../../analyzer/elfexe.h"
#include "../../analyzer/image.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/addrspace.h"
#include "../../analyzer/elfcore.h"
#include "../../analyzer/elfexe.h"
#include "../../gopclntab/gopclntab.h"
#include "../globals.h"
#include "../layout.h"
#include "../moduledata.h"

/* ---- facts (go-runtime-facts.md), indexed by Go minor ---- */

#define MIN_MINOR 18
#define MAX_MINOR 26  /* the last release the facts cover */
#define NCOL (MAX_MINOR - MIN_MINOR + 1)
#define NONE UINT64_MAX

/* The minor whose facts describe minor's runtime.g.  go1.27: the g struct is
 * identical to 1.26's (docs/traceback-versions.md §11, from CAFxX/go master
 * e4283592e5; it "differs in comments only"). */
static int g_facts_minor(int minor)
{
	return minor == 27 ? 26 : minor;
}

/* §3.2, runtime.g, columns 1.18 ... 1.26.  Identical within every minor
 * (checked by the facts' authors up to 1.24.5 / 1.25.3). */
static const struct {
	const char *path;
	uint64_t off[NCOL];
} g_facts[] = {
	/*                      18    19    20    21    22    23    24    25    26 */
	{"stack.lo",     {  0,    0,    0,    0,    0,    0,    0,    0,    0}},
	{"stack.hi",     {  8,    8,    8,    8,    8,    8,    8,    8,    8}},
	{"_panic",       { 32,   32,   32,   32,   32,   32,   32,   32,   32}},
	{"m",            { 48,   48,   48,   48,   48,   48,   48,   48,   48}},
	{"sched.sp",     { 56,   56,   56,   56,   56,   56,   56,   56,   56}},
	{"sched.pc",     { 64,   64,   64,   64,   64,   64,   64,   64,   64}},
	{"sched.ctxt",   { 80,   80,   80,   80,   80,   80,   80,   80,   80}},
	/* gobuf.ret was removed in 1.25 (§3.1). */
	{"sched.bp",     {104,  104,  104,  104,  104,  104,  104,   96,   96}},
	{"syscallsp",    {112,  112,  112,  112,  112,  112,  112,  104,  104}},
	{"syscallpc",    {120,  120,  120,  120,  120,  120,  120,  112,  112}},
	{"syscallbp",    {NONE, NONE, NONE, NONE, NONE, 128,  128,  120,  120}},
	{"atomicstatus", {144,  144,  144,  144,  144,  152,  152,  144,  144}},
	{"goid",         {152,  152,  152,  152,  152,  160,  160,  152,  152}},
	{"waitsince",    {168,  168,  168,  168,  168,  176,  176,  168,  168}},
	{"waitreason",   {176,  176,  176,  176,  176,  184,  184,  176,  176}},
	{"lockedm",      {232,  232,  232,  208,  208,  216,  216,  208,  208}},
	{"parentGoid",   {NONE, NONE, NONE, 272,  272,  280,  280,  272,  280}},
	{"gopc",         {296,  296,  296,  280,  280,  288,  288,  280,  288}},
	{"startpc",      {312,  312,  312,  296,  296,  304,  304,  296,  304}},
	{"labels",       {360,  360,  360,  344,  344,  352,  352,  344,  352}},
};
/* sizeof(runtime.g); 1.26 is 448 + xRegPerG (8 on amd64). */
static const uint64_t g_size[NCOL] = {392, 392, 392, 408, 424, 432, 440, 440, 456};

/* §3.3, runtime.m (linux).  Patch releases changed m in 1.18.2, 1.18.8,
 * 1.19.3 (no offset changes), 1.23.5 (g0StackAccurate, in padding: no
 * change to the fields below) and 1.23.12 (allpSnapshot: alllink moves from
 * 328 to 352, sizeof from 1760 to 1784).  1.24.6+, 1.25.4+ and 1.26.x were
 * not checked by the facts; procid, curg and id precede every field those
 * changes touched, alllink and sizeof do not. */
struct m_facts {
	uint64_t g0, procid, curg, id, alllink, size;
};

/* False when the facts do not cover that release's m. */
static bool m_facts_for(int minor, int patch, struct m_facts *f)
{
	static const struct m_facts col[NCOL] = {
		/* g0 procid curg  id  alllink size */
		{0, 72, 192, 232, 336, 1008},  /* 1.18 */
		{0, 72, 192, 232, 336, 1008},  /* 1.19 */
		{0, 72, 192, 232, 336, 1000},  /* 1.20 */
		{0, 72, 192, 232, 336, 1008},  /* 1.21 */
		{0, 72, 192, 232, 328, 2024},  /* 1.22 */
		{0, 72, 192, 232, 328, 1760},  /* 1.23.0 - 1.23.11 */
		{0, 72, 192, 232, 328, 1808},  /* 1.24 */
		{0, 64, 184, 224, 344, 1816},  /* 1.25 */
		{0, 64, 184, 232, 352, 1824},  /* 1.26 */
	};
	if (minor < MIN_MINOR || minor > MAX_MINOR)
		return false;
	*f = col[minor - MIN_MINOR];
	if (minor == 23 && patch >= 12) {
		f->alllink = 352;
		f->size = 1784;
	}
	return true;
}

/* §2.1, runtime.moduledata: text, types, gofunc and sizeof.  go1.27 is not
 * in the facts. */
static bool md_facts_for(int minor, uint64_t *text, uint64_t *types, uint64_t *gofunc,
			 uint64_t *size)
{
	static const uint64_t sizes[NCOL] = {552, 552, 568, 592, 592, 584, 584, 584, 592};
	if (minor < MIN_MINOR || minor > MAX_MINOR)
		return false;
	*text = 176;
	*types = minor <= 19 ? 280 : 296;
	*gofunc = minor <= 19 ? 304 : 320;
	*size = sizes[minor - MIN_MINOR];
	return true;
}

/* §4.2: len(waitReasonStrings) and a few entries, per release.  go1.23.4
 * and later 1.23.x append "GC weak to strong wait" (37).  go1.27: the
 * waitReasons are identical to 1.26's (docs/traceback-versions.md §11), so
 * 1.26's table is assumed. */
struct wr_check {
	size_t index;
	const char *s;
};

static size_t wr_facts(int minor, int patch, struct wr_check *c)
{
	size_t n = 0, len = 0;
	c[n++] = (struct wr_check){0, ""};
	c[n++] = (struct wr_check){1, "GC assist marking"};
	c[n++] = (struct wr_check){2, "IO wait"};
	if (minor == 27)
		minor = 26;
	switch (minor) {
	case 18:
	case 19:
		len = 27;
		c[n++] = (struct wr_check){3, "chan receive (nil chan)"};
		c[n++] = (struct wr_check){14, "chan receive"};
		c[n++] = (struct wr_check){18, "semacquire"};
		c[n++] = (struct wr_check){21, "timer goroutine (idle)"};
		c[n++] = (struct wr_check){24, "GC worker (idle)"};
		c[n++] = (struct wr_check){26, "debug call"};
		break;
	case 20:
	case 21:
		len = 32;
		c[n++] = (struct wr_check){3, "chan receive (nil chan)"};
		c[n++] = (struct wr_check){14, "chan receive"};
		c[n++] = (struct wr_check){18, "semacquire"};
		c[n++] = (struct wr_check){21, "sync.Mutex.Lock"};
		c[n++] = (struct wr_check){24, "trace reader (blocked)"};
		c[n++] = (struct wr_check){31, "stopping the world"};
		break;
	case 22:
	case 23:
		len = minor == 23 && patch >= 4 ? 38 : 37;
		c[n++] = (struct wr_check){3, "chan receive (nil chan)"};
		c[n++] = (struct wr_check){14, "chan receive"};
		c[n++] = (struct wr_check){18, "semacquire"};
		c[n++] = (struct wr_check){21, "sync.Mutex.Lock"};
		c[n++] = (struct wr_check){24, "trace reader (blocked)"};
		c[n++] = (struct wr_check){36, "coroutine"};
		if (len == 38)
			c[n++] = (struct wr_check){37, "GC weak to strong wait"};
		break;
	case 24:
		len = 44;
		c[n++] = (struct wr_check){3, "chan receive (nil chan)"};
		c[n++] = (struct wr_check){14, "chan receive"};
		c[n++] = (struct wr_check){18, "semacquire"};
		c[n++] = (struct wr_check){21, "sync.Mutex.Lock"};
		c[n++] = (struct wr_check){24, "sync.WaitGroup.Wait"};
		c[n++] = (struct wr_check){43, "select (synctest)"};
		break;
	case 25:
		len = 47;
		c[n++] = (struct wr_check){3, "chan receive (nil chan)"};
		c[n++] = (struct wr_check){14, "chan receive"};
		c[n++] = (struct wr_check){18, "GOMAXPROCS updater (idle)"};
		c[n++] = (struct wr_check){21, "sync.Cond.Wait"};
		c[n++] = (struct wr_check){24, "sync.RWMutex.Lock"};
		c[n++] = (struct wr_check){42, "chan receive (durable)"};
		c[n++] = (struct wr_check){46, "cleanup wait"};
		break;
	case 26:
		len = 47;
		c[n++] = (struct wr_check){3, "dumping heap"};
		c[n++] = (struct wr_check){14, "sleep"};
		c[n++] = (struct wr_check){18, "select"};
		c[n++] = (struct wr_check){21, "sync.Cond.Wait"};
		c[n++] = (struct wr_check){24, "sync.RWMutex.Lock"};
		c[n++] = (struct wr_check){42, "chan receive (durable)"};
		c[n++] = (struct wr_check){46, "cleanup wait"};
		break;
	default:
		fail_msg("go1.%d: no wait-reason facts", minor);
	}
	c[n] = (struct wr_check){SIZE_MAX, NULL};
	return len;
}

/* ---- the corpus list ---- */

struct entry {
	char name[128];
	char version[64];  /* "go1.19.3" */
	int minor, patch;
};

static struct entry *entries;
static size_t nentries;

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

/* Reads GOCORE_NPM_LIST; fails (no test can run) when it is unreadable or
 * names no binary. */
static void read_list(void)
{
	const char *path = env_or("GOCORE_NPM_LIST", "tests/npm-corpus.list");
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "corpus_check: %s: %s (run from the repository root, or set "
			"GOCORE_NPM_LIST)\n", path, strerror(errno));
		exit(1);
	}
	char line[1024];
	size_t lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		struct entry e;
		memset(&e, 0, sizeof(e));
		char spec[256];
		if (sscanf(p, "%127s %255s %63s", e.name, spec, e.version) != 3 ||
		    sscanf(e.version, "go1.%d.%d", &e.minor, &e.patch) < 1) {
			fprintf(stderr, "corpus_check: %s:%zu: want NAME SPEC GO-VERSION BIN "
				"RUN-MODE, got: %s", path, lineno, line);
			exit(1);
		}
		struct entry *ne = realloc(entries, (nentries + 1) * sizeof(*ne));
		if (!ne) {
			fprintf(stderr, "corpus_check: out of memory\n");
			exit(1);
		}
		entries = ne;
		entries[nentries++] = e;
	}
	fclose(f);
	if (nentries == 0) {
		fprintf(stderr, "corpus_check: %s names no binary\n", path);
		exit(1);
	}
}

/* ---- one core with its executable, as analyzer/cli/session.c opens them ---- */

struct session {
	const struct entry *e;
	char dir[512];
	struct ga_core *core;
	struct ga_exe *exe;
	struct gc_addrspace *as;
	uint64_t bias;
	struct gr_range data[16];
	size_t ndata;
	const uint8_t *tab;
	size_t tabsize;
	uint64_t tabaddr;
	uint64_t md;
	struct gr_moduledata_types mt;
	struct gr_layouts *layouts;
	struct gopclntab *pcln;
};

static void check(struct gc_error *err, const struct session *s, const char *what)
{
	if (err)
		fail_msg("%s: %s: %s", s->e->name, what, err->message);
}

static bool as_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return gc_addrspace_read(ctx, addr, buf, len) == GC_READ_OK;
}

static void cache_path(const struct session *s, const char *file, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", s->dir, file);
	assert_true(n > 0 && (size_t)n < len);
	if (access(buf, R_OK) != 0)
		fail_msg("%s: %s is missing (%s): run `tests/npm-corpus.sh %s` first (it "
			 "fetches the binary and crashes it into %s/)", s->e->name, buf,
			 strerror(errno), s->e->name, s->dir);
}

/* The pclntab: the .gopclntab section, else a scan of the loadable segments
 * for its magic (locate.c's gr_file_pclntab). */
static void locate_pclntab(struct session *s)
{
	const struct ga_exe *exe = s->exe;
	const struct ga_exe_section *sec = ga_exe_section(exe, ".gopclntab");
	if (sec && ga_exe_section_data(exe, sec)) {
		s->tab = ga_exe_section_data(exe, sec);
		s->tabsize = sec->size;
		s->tabaddr = sec->addr + s->bias;
		return;
	}
	for (size_t i = 0; i < exe->nsegments && !s->tab; i++) {
		const struct ga_exe_segment *seg = &exe->segments[i];
		if (seg->offset > exe->size || seg->filesz > exe->size - seg->offset)
			continue;
		size_t off = gopclntab_scan(exe->data + seg->offset, seg->filesz, 0);
		if (off != (size_t)-1) {
			s->tab = exe->data + seg->offset + off;
			s->tabsize = seg->filesz - off;
			s->tabaddr = seg->vaddr + off + s->bias;
		}
	}
	if (!s->tab)
		fail_msg("%s: %s: no pclntab", s->e->name, exe->path);
}

static const char *const layout_names[] = {
	"runtime.g", "runtime.m", "runtime.gobuf", "runtime.stack",
	"runtime.moduledata", "runtime._panic",
};

static void session_open(const struct entry *e, struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->e = e;
	int n = snprintf(s->dir, sizeof(s->dir), "%s/%s",
			 env_or("GOCORE_NPM_DIR", "cache/npm"), e->name);
	assert_true(n > 0 && (size_t)n < sizeof(s->dir));
	char core[600], exe[600], oracle[600];
	cache_path(s, "core", core, sizeof(core));
	cache_path(s, "exe", exe, sizeof(exe));
	cache_path(s, "oracle.txt", oracle, sizeof(oracle));
	if (e->minor < MIN_MINOR || e->minor > 27)
		fail_msg("%s: %s: no facts for this release", e->name, e->version);

	check(ga_core_open(core, &s->core), s, "ga_core_open");
	check(ga_exe_open(exe, &s->exe), s, "ga_exe_open");
	check(gc_addrspace_create(&s->as), s, "gc_addrspace_create");
	s->bias = ga_load_bias(s->exe, ga_core_exe_mapping(s->core));
	check(ga_core_add_segments(s->core, s->as, 0), s, "core segments");
	check(ga_exe_add_segments(s->exe, s->as, 1, s->bias), s, "exe segments");
	for (size_t i = 0; i < s->exe->nsegments && s->ndata < 16; i++) {
		const struct ga_exe_segment *seg = &s->exe->segments[i];
		if (seg->flags & 2 /* PF_W */) {
			s->data[s->ndata].start = seg->vaddr + s->bias;
			s->data[s->ndata].end = seg->vaddr + s->bias + seg->memsz;
			s->ndata++;
		}
	}
	locate_pclntab(s);
	check(gr_find_moduledata(as_read, s->as, s->tabaddr, s->data, s->ndata, &s->md), s,
	      "gr_find_moduledata");
	check(gr_moduledata_types(as_read, s->as, s->md, e->minor, &s->mt), s,
	      "gr_moduledata_types");
	check(gr_layouts_from_types(as_read, s->as, s->mt.types, s->mt.etypes, s->mt.typelinks,
				    s->mt.ntypelinks, e->minor, GR_TYPES_SCAN, layout_names,
				    sizeof(layout_names) / sizeof(layout_names[0]), &s->layouts),
	      s, "gr_layouts_from_types");
	assert_int_equal(s->layouts->source, GR_SOURCE_TYPES);
}

static void session_close(struct session *s)
{
	gopclntab_destroy(s->pcln);
	gr_layouts_destroy(s->layouts);
	gc_addrspace_destroy(s->as);
	ga_exe_close(s->exe);
	ga_core_close(s->core);
}

static uint64_t offset_of(const struct session *s, const char *sname, const char *path)
{
	uint64_t off;
	return gr_layouts_offset(s->layouts, sname, path, &off) ? off : NONE;
}

static uint64_t size_of(const struct session *s, const char *sname)
{
	const struct gr_struct *st = gr_layouts_struct(s->layouts, sname);
	if (!st)
		fail_msg("%s: the type descriptors have no %s", s->e->name, sname);
	return st->size;
}

/* Collects mismatches so that one run reports all of them. */
struct verdict {
	size_t checked, bad;
	char msg[4096];
	size_t len;
};

static void expect_off(const struct session *s, struct verdict *v, const char *sname,
		       const char *path, uint64_t want)
{
	uint64_t got = offset_of(s, sname, path);
	v->checked++;
	if (got == want)
		return;
	v->bad++;
	char g[32], w[32];
	snprintf(g, sizeof(g), got == NONE ? "none" : "%" PRIu64, got);
	snprintf(w, sizeof(w), want == NONE ? "none" : "%" PRIu64, want);
	int n = snprintf(v->msg + v->len, sizeof(v->msg) - v->len,
			 "\n  %s.%s: type descriptors %s, facts %s", sname, path, g, w);
	if (n > 0 && (size_t)n < sizeof(v->msg) - v->len)
		v->len += (size_t)n;
}

static void expect_size(const struct session *s, struct verdict *v, const char *sname,
			uint64_t want)
{
	uint64_t got = size_of(s, sname);
	v->checked++;
	if (got == want)
		return;
	v->bad++;
	int n = snprintf(v->msg + v->len, sizeof(v->msg) - v->len,
			 "\n  sizeof(%s): type descriptors %" PRIu64 ", facts %" PRIu64, sname,
			 got, want);
	if (n > 0 && (size_t)n < sizeof(v->msg) - v->len)
		v->len += (size_t)n;
}

/* ---- the layout checks ---- */

static void check_layouts(struct session *s)
{
	const struct entry *e = s->e;
	struct verdict v = {0};
	int gm = g_facts_minor(e->minor);
	for (size_t i = 0; i < sizeof(g_facts) / sizeof(g_facts[0]); i++)
		expect_off(s, &v, "runtime.g", g_facts[i].path, g_facts[i].off[gm - MIN_MINOR]);
	expect_size(s, &v, "runtime.g", g_size[gm - MIN_MINOR]);

	struct m_facts mf;
	if (m_facts_for(e->minor, e->patch, &mf)) {
		expect_off(s, &v, "runtime.m", "g0", mf.g0);
		expect_off(s, &v, "runtime.m", "procid", mf.procid);
		expect_off(s, &v, "runtime.m", "curg", mf.curg);
		expect_off(s, &v, "runtime.m", "id", mf.id);
		expect_off(s, &v, "runtime.m", "alllink", mf.alllink);
		expect_size(s, &v, "runtime.m", mf.size);
	} else if (e->minor == 27 && m_facts_for(26, 0, &mf)) {
		/* go1.27 added fields to m after curg (signalSecret, cheaprand64;
		 * docs/traceback-versions.md §11), so only g0, procid and curg
		 * keep their 1.26 offsets for certain; id is not in the facts. */
		expect_off(s, &v, "runtime.m", "g0", mf.g0);
		expect_off(s, &v, "runtime.m", "procid", mf.procid);
		expect_off(s, &v, "runtime.m", "curg", mf.curg);
	}

	uint64_t text, types, gofunc, mdsize;
	if (md_facts_for(e->minor, &text, &types, &gofunc, &mdsize)) {
		expect_off(s, &v, "runtime.moduledata", "text", text);
		expect_off(s, &v, "runtime.moduledata", "types", types);
		expect_off(s, &v, "runtime.moduledata", "gofunc", gofunc);
		expect_size(s, &v, "runtime.moduledata", mdsize);
	} else {
		/* go1.27 is past the facts: text keeps its 1.17-1.26 offset
		 * (fields before it never changed); the rest is checked by value
		 * below. */
		expect_off(s, &v, "runtime.moduledata", "text", 176);
	}
	print_message("%s (%s): m.id %" PRIu64 ", m.alllink %" PRIu64 ", sizeof(m) %" PRIu64
		      ", moduledata.gofunc %" PRIu64 ", sizeof(moduledata) %" PRIu64 "\n",
		      e->name, e->version, offset_of(s, "runtime.m", "id"),
		      offset_of(s, "runtime.m", "alllink"), size_of(s, "runtime.m"),
		      offset_of(s, "runtime.moduledata", "gofunc"),
		      size_of(s, "runtime.moduledata"));
	if (v.bad)
		fail_msg("%s (%s): %zu of %zu layout facts disagree:%s", e->name, e->version,
			 v.bad, v.checked, v.msg);
	print_message("%s (%s): %zu layout facts agree (g size %" PRIu64 ")\n", e->name,
		      e->version, v.checked, size_of(s, "runtime.g"));

	/* The moduledata's values against what the linker wrote elsewhere. */
	uint64_t off = offset_of(s, "runtime.moduledata", "text"), v_text, v_types;
	assert_true(gc_addrspace_u64(s->as, s->md + off, &v_text));
	const struct ga_exe_section *sec = ga_exe_section(s->exe, ".text");
	if (sec && v_text != sec->addr + s->bias)
		fail_msg("%s: moduledata.text 0x%" PRIx64 ", .text at 0x%" PRIx64, e->name,
			 v_text, sec->addr + s->bias);
	off = offset_of(s, "runtime.moduledata", "types");
	assert_true(off != NONE);
	assert_true(gc_addrspace_u64(s->as, s->md + off, &v_types));
	if (v_types != s->mt.types)
		fail_msg("%s: moduledata.types at %" PRIu64 " reads 0x%" PRIx64
			 ", gr_moduledata_types read 0x%" PRIx64, e->name, off, v_types,
			 s->mt.types);
	/* 1.26+ give the moduledata a section of its own, exactly its size. */
	sec = ga_exe_section(s->exe, ".go.module");
	if (e->minor >= 26 && !sec)
		fail_msg("%s: go1.%d without a .go.module section", e->name, e->minor);
	if (sec) {
		if (s->md != sec->addr + s->bias)
			fail_msg("%s: moduledata found at 0x%" PRIx64 ", .go.module at 0x%" PRIx64,
				 e->name, s->md, sec->addr + s->bias);
		if (size_of(s, "runtime.moduledata") != sec->size)
			fail_msg("%s: sizeof(runtime.moduledata) %" PRIu64
				 ", .go.module is %" PRIu64 " bytes", e->name,
				 size_of(s, "runtime.moduledata"), sec->size);
	}
}

/* ---- the globals checks ---- */

/* Distinct goids >= 1 of the goroutine headers in a runtime dump:
 * "goroutine N [" (<= 1.21) or "goroutine N gp=0x... [" (1.22+). */
static size_t oracle_goroutines(const struct session *s)
{
	char path[600];
	cache_path(s, "oracle.txt", path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	uint64_t *seen = NULL;
	size_t nseen = 0;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "goroutine ", 10) != 0)
			continue;
		char *end;
		errno = 0;
		unsigned long long goid = strtoull(line + 10, &end, 10);
		if (end == line + 10 || *end != ' ' || errno || goid == 0 || !strchr(end, '['))
			continue;
		bool dup = false;
		for (size_t i = 0; i < nseen && !dup; i++)
			dup = seen[i] == goid;
		if (dup)
			continue;
		uint64_t *ns = realloc(seen, (nseen + 1) * sizeof(*ns));
		assert_non_null(ns);
		seen = ns;
		seen[nseen++] = goid;
	}
	fclose(f);
	free(seen);
	if (nseen == 0)
		fail_msg("%s: no goroutine headers; re-run tests/npm-corpus.sh %s", path,
			 s->e->name);
	return nseen;
}

/* Reads the Go string header at addr into buf (NUL-terminated). */
static void read_gostring(const struct session *s, uint64_t addr, char *buf, size_t max)
{
	uint64_t ptr, len;
	if (!gc_addrspace_u64(s->as, addr, &ptr) || !gc_addrspace_u64(s->as, addr + 8, &len) ||
	    len >= max)
		fail_msg("%s: no Go string header (of at most %zu bytes) at 0x%" PRIx64,
			 s->e->name, max - 1, addr);
	if (len && gc_addrspace_read(s->as, ptr, buf, len) != GC_READ_OK)
		fail_msg("%s: string at 0x%" PRIx64 " (%" PRIu64 " bytes) unreadable",
			 s->e->name, ptr, len);
	buf[len] = '\0';
}

static void check_globals(struct session *s)
{
	const struct entry *e = s->e;
	uint64_t text, gofunc;
	uint64_t off_text = offset_of(s, "runtime.moduledata", "text");
	uint64_t off_gofunc = offset_of(s, "runtime.moduledata", "gofunc");
	assert_true(off_text != NONE && off_gofunc != NONE);
	assert_true(gc_addrspace_u64(s->as, s->md + off_text, &text));
	assert_true(gc_addrspace_u64(s->as, s->md + off_gofunc, &gofunc));
	struct gopclntab_config pc = {
		.data = s->tab, .size = s->tabsize, .addr = s->tabaddr, .text_start = text,
		.gofunc = gofunc, .read = as_read, .read_ctx = s->as,
	};
	check(gopclntab_create(&pc, &s->pcln), s, "gopclntab_create");

	struct gr_globals g;
	check(gr_find_globals(&gr_arch_amd64, s->pcln, s->as, s->layouts, e->minor, s->data, s->ndata, &g), s,
	      "gr_find_globals");
	if (!g.allgs || !g.allglen || !g.allm || !g.sched || !g.waitreasons || !g.buildversion)
		fail_msg("%s: gr_find_globals missed some: allgs 0x%" PRIx64 " allglen 0x%" PRIx64
			 " allm 0x%" PRIx64 " sched 0x%" PRIx64 " waitReasonStrings 0x%" PRIx64
			 " buildVersion 0x%" PRIx64, e->name, g.allgs, g.allglen, g.allm, g.sched,
			 g.waitreasons, g.buildversion);

	/* allgs: the non-dead goroutines are those the runtime dumped. */
	uint64_t status_off = offset_of(s, "runtime.g", "atomicstatus");
	uint64_t goid_off = offset_of(s, "runtime.g", "goid");
	uint64_t ptr, len, cap, glen;
	assert_true(gc_addrspace_u64(s->as, g.allgs, &ptr));
	assert_true(gc_addrspace_u64(s->as, g.allgs + 8, &len));
	assert_true(gc_addrspace_u64(s->as, g.allgs + 16, &cap));
	assert_true(gc_addrspace_u64(s->as, g.allglen, &glen));
	assert_true(len <= cap && len < (1u << 20));
	assert_int_equal(glen, len);
	size_t live = 0;
	uint64_t maxgoid = 0;
	for (uint64_t i = 0; i < len; i++) {
		uint64_t gp, goid;
		uint32_t st;
		if (!gc_addrspace_u64(s->as, ptr + 8 * i, &gp) ||
		    !gc_addrspace_u32(s->as, gp + status_off, &st) ||
		    !gc_addrspace_u64(s->as, gp + goid_off, &goid))
			fail_msg("%s: allgs[%" PRIu64 "] unreadable", e->name, i);
		if (i == 0 && goid != 1)
			fail_msg("%s: allgs[0] has goid %" PRIu64 ", not 1", e->name, goid);
		if (goid > maxgoid)
			maxgoid = goid;
		st &= ~0x1000u;  /* _Gscan */
		/* tracebackothers skips _Gdead (6) and, from 1.26, _Gdeadextra
		 * (11; facts §4.1). */
		if (st == 6 || (e->minor >= 26 && st == 11))
			continue;
		live++;
	}
	size_t dumped = oracle_goroutines(s);
	if (live != dumped)
		fail_msg("%s: %zu non-dead goroutines in allgs (len %" PRIu64
			 "), the runtime's dump has %zu", e->name, live, len, dumped);

	/* sched.goidgen (schedt's first field in 1.17-1.27) covers every goid. */
	uint64_t goidgen;
	assert_true(gc_addrspace_u64(s->as, g.sched, &goidgen));
	if (goidgen < maxgoid)
		fail_msg("%s: sched.goidgen %" PRIu64 " < largest goid %" PRIu64, e->name,
			 goidgen, maxgoid);

	/* allm: one M per thread of the core. */
	uint64_t alllink = offset_of(s, "runtime.m", "alllink");
	uint64_t procid_off = offset_of(s, "runtime.m", "procid");
	assert_true(alllink != NONE && procid_off != NONE);
	uint64_t m;
	assert_true(gc_addrspace_u64(s->as, g.allm, &m));
	size_t nm = 0, matched = 0;
	for (; m && nm < 100000; nm++) {
		uint64_t procid;
		if (!gc_addrspace_u64(s->as, m + procid_off, &procid))
			fail_msg("%s: m 0x%" PRIx64 " unreadable", e->name, m);
		for (size_t i = 0; i < s->core->nthreads; i++)
			matched += (uint64_t)s->core->threads[i].lwp == procid;
		if (!gc_addrspace_u64(s->as, m + alllink, &m))
			fail_msg("%s: m.alllink unreadable", e->name);
	}
	if (nm != s->core->nthreads || matched != nm)
		fail_msg("%s: allm lists %zu Ms (%zu with a core thread's id as procid); the "
			 "core has %zu threads", e->name, nm, matched, s->core->nthreads);

	/* waitReasonStrings: facts §4.2. */
	struct wr_check wc[16];
	size_t wlen = wr_facts(e->minor, e->patch, wc);
	if (g.nwaitreasons != wlen)
		fail_msg("%s: waitReasonStrings has %zu entries, facts §4.2 say %zu for %s",
			 e->name, g.nwaitreasons, wlen, e->version);
	size_t nstr = 0;
	for (size_t i = 0; wc[i].s; i++, nstr++) {
		char str[256];
		read_gostring(s, g.waitreasons + 16 * wc[i].index, str, sizeof(str));
		if (strcmp(str, wc[i].s) != 0)
			fail_msg("%s: waitReasonStrings[%zu] is \"%s\", facts §4.2 say \"%s\"",
				 e->name, wc[i].index, str, wc[i].s);
	}

	/* buildVersion: the list's version. */
	char ver[128];
	read_gostring(s, g.buildversion, ver, sizeof(ver));
	if (strcmp(ver, e->version) != 0)
		fail_msg("%s: runtime.buildVersion reads \"%s\", the list says %s", e->name,
			 ver, e->version);

	print_message("%s (%s): allgs len %" PRIu64 ", %zu live = %zu in the dump; allm %zu "
		      "Ms = %zu core threads; %zu wait reasons (%zu strings checked); "
		      "buildVersion ok\n", e->name, e->version, len, live, dumped, nm,
		      s->core->nthreads, g.nwaitreasons, nstr);
}

/* The session of the running test, closed by teardown even when a check
 * fails (cmocka longjmps out of the test). */
static struct session current;

static void test_binary(void **state)
{
	session_open(*state, &current);
	check_layouts(&current);
	check_globals(&current);
}

static int teardown(void **state)
{
	(void)state;
	session_close(&current);
	memset(&current, 0, sizeof(current));
	return 0;
}

int main(void)
{
	read_list();
	struct CMUnitTest *tests = calloc(nentries, sizeof(*tests));
	if (!tests) {
		fprintf(stderr, "corpus_check: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < nentries; i++) {
		tests[i].name = entries[i].name;
		tests[i].test_func = test_binary;
		tests[i].teardown_func = teardown;
		tests[i].initial_state = &entries[i];
	}
	int rc = _cmocka_run_group_tests("npm corpus", tests, nentries, NULL, NULL);
	free(tests);
	free(entries);
	return rc;
}
