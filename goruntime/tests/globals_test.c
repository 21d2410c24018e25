/* Tests for goruntime/globals.c: finding runtime.allgs, allglen, allm,
 * sched, waitReasonStrings and buildVersion from code, checked against the
 * symbol table of the same build.
 *
 * The group setup crashes $GOCORE_FIXTURES/crashcore (testdata/crashcore,
 * built by `make unit` with symbols and DWARF), makes a `strip`ped copy of
 * it (stripping moves no data, so the same core serves both), and builds the
 * same source twice more into a temporary directory: with -ldflags=-w
 * (symbols, no DWARF) and with -ldflags='-s -w' (neither).  Those two have
 * the same segment layout, which the test checks, so the -w build's symbols
 * are the truth for a core of the -s -w build.  The -s -w core's runtime
 * dump (its stderr) also gives the number of live goroutines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../analyzer/elfcore.h"
#include "../../analyzer/elfexe.h"
#include "../../analyzer/image.h"

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/addrspace.h"
#include "../../analyzer/elfcore.h"
#include "../../analyzer/elfexe.h"
#include "../../analyzer/tests/testutil.h"
#include "../../gopclntab/gopclntab.h"
#include "../globals.h"
#include "../layout.h"
#include "../moduledata.h"

#define MINOR 19  /* Debian bookworm's Go builds the fixtures */

/* One core opened with one executable, as analyzer/cli/session.c does. */
struct session {
	struct ga_core *core;
	struct ga_exe *exe;
	struct gc_addrspace *as;
	uint64_t bias;
	struct gopclntab *pcln;
	uint64_t md;
	struct gr_range data[16];
	size_t ndata;
};

static struct {
	char *dir;
	char *fixture;      /* unstripped, DWARF */
	char *fixture_core;
	char *strip_exe;    /* strip(1) copy of fixture */
	char *w_exe;        /* -ldflags=-w: symbols, no DWARF */
	char *sw_exe;       /* -ldflags='-s -w' */
	char *sw_core;
	size_t sw_live;     /* goroutines in the -s -w crash's own dump */
} fx;

static void check(struct gc_error *err, const char *what)
{
	if (err)
		fail_msg("%s: %s", what, err->message);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		fail_msg("cannot run %s", cmd);
	char out[4096];
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int rc = pclose(p);
	if (rc != 0)
		fail_msg("`%s` failed (status %d):\n%s", cmd, rc, out);
}

static bool as_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return gc_addrspace_read(ctx, addr, buf, len) == GC_READ_OK;
}

/* Opens exe with core (NULL: the executable's file-backed bytes only). */
static void session_open(const char *core, const char *exe, struct session *s)
{
	memset(s, 0, sizeof(*s));
	if (core)
		check(ga_core_open(core, &s->core), core);
	check(ga_exe_open(exe, &s->exe), exe);
	check(gc_addrspace_create(&s->as), "address space");
	if (s->core) {
		s->bias = ga_load_bias(s->exe, ga_core_exe_mapping(s->core));
		check(ga_core_add_segments(s->core, s->as, 0), "core segments");
	}
	check(ga_exe_add_segments(s->exe, s->as, 1, s->bias), "exe segments");
	for (size_t i = 0; i < s->exe->nsegments && s->ndata < 16; i++) {
		const struct ga_exe_segment *seg = &s->exe->segments[i];
		if (seg->flags & 2 /* PF_W */) {
			s->data[s->ndata].start = seg->vaddr + s->bias;
			s->data[s->ndata].end = seg->vaddr + s->bias + seg->memsz;
			s->ndata++;
		}
	}
	/* The pclntab by its magic: stripped copies may lack section headers'
	 * names as well. */
	const uint8_t *tab = NULL;
	size_t tabsize = 0;
	uint64_t tabaddr = 0;
	for (size_t i = 0; i < s->exe->nsegments && !tab; i++) {
		const struct ga_exe_segment *seg = &s->exe->segments[i];
		if (seg->offset > s->exe->size || seg->filesz > s->exe->size - seg->offset)
			continue;
		size_t off = gopclntab_scan(s->exe->data + seg->offset, seg->filesz, 0);
		if (off != (size_t)-1) {
			tab = s->exe->data + seg->offset + off;
			tabsize = seg->filesz - off;
			tabaddr = seg->vaddr + off + s->bias;
		}
	}
	if (!tab)
		fail_msg("%s: no pclntab", exe);
	check(gr_find_moduledata(as_read, s->as, tabaddr, s->data, s->ndata, &s->md),
	      "gr_find_moduledata");
	uint64_t text = 0, gofunc = 0;
	/* moduledata.text and .gofunc in go1.18-1.19 (go-runtime-facts §2.1). */
	if (!gc_addrspace_u64(s->as, s->md + 176, &text) ||
	    !gc_addrspace_u64(s->as, s->md + 304, &gofunc))
		fail_msg("%s: moduledata at 0x%" PRIx64 " unreadable", exe, s->md);
	struct gopclntab_config pc = {
		.data = tab, .size = tabsize, .addr = tabaddr, .text_start = text,
		.gofunc = gofunc, .read = as_read, .read_ctx = s->as,
	};
	check(gopclntab_create(&pc, &s->pcln), "gopclntab_create");
}

static void session_close(struct session *s)
{
	gopclntab_destroy(s->pcln);
	gc_addrspace_destroy(s->as);
	ga_exe_close(s->exe);
	ga_core_close(s->core);
}

static const char *const layout_names[] = {"runtime.g", "runtime.m", "runtime.schedt"};

static struct gr_layouts *types_layouts(const struct session *s)
{
	struct gr_moduledata_types mt;
	check(gr_moduledata_types(as_read, s->as, s->md, MINOR, &mt), "gr_moduledata_types");
	struct gr_layouts *l = NULL;
	check(gr_layouts_from_types(as_read, s->as, mt.types, mt.etypes, mt.typelinks,
				    mt.ntypelinks, MINOR, GR_TYPES_SCAN, layout_names, 3, &l),
	      "gr_layouts_from_types");
	assert_non_null(gr_layouts_struct(l, "runtime.g"));
	assert_null(gr_layouts_struct(l, "runtime.schedt"));  /* no descriptor */
	return l;
}

static struct gr_layouts *dwarf_layouts(const struct session *s)
{
	struct gr_layouts *l = NULL;
	check(gr_layouts_from_dwarf(s->exe->fd, s->exe->path, layout_names, 3, &l),
	      "gr_layouts_from_dwarf");
	assert_non_null(gr_layouts_struct(l, "runtime.schedt"));
	return l;
}

static void find(const struct session *s, const struct gr_layouts *l, int minor,
		 struct gr_globals *g)
{
	double t0 = now_ms();
	check(gr_find_globals(&gr_arch_amd64, s->pcln, s->as, l, minor, s->data, s->ndata, g),
	      "gr_find_globals");
	print_message("%s: gr_find_globals %.1f ms\n", s->exe->path, now_ms() - t0);
}

/* The address the symbol table of truth gives name, at s's bias. */
static uint64_t sym(const struct ga_exe *truth, const struct session *s, const char *name,
		    uint64_t *size_ret)
{
	uint64_t v, size;
	if (!ga_exe_symbol(truth, name, &v, &size))
		fail_msg("%s: no symbol %s", truth->path, name);
	if (size_ret)
		*size_ret = size;
	return v + s->bias;
}

#define EXPECT(found, truth, name)                                                  \
	do {                                                                        \
		if ((found) != (truth))                                             \
			fail_msg("%s: found 0x%" PRIx64 ", the symbol is at 0x%" PRIx64, \
				 name, (uint64_t)(found), (uint64_t)(truth));        \
	} while (0)

/* Every global against the symbols of truth. */
static void expect_all(const struct session *s, const struct ga_exe *truth,
		       const struct gr_globals *g, bool with_layouts)
{
	uint64_t wsize;
	if (with_layouts) {
		EXPECT(g->allgs, sym(truth, s, "runtime.allgs", NULL), "runtime.allgs");
		EXPECT(g->allglen, sym(truth, s, "runtime.allglen", NULL), "runtime.allglen");
		EXPECT(g->allm, sym(truth, s, "runtime.allm", NULL), "runtime.allm");
	} else {
		assert_int_equal(g->allgs, 0);
		assert_int_equal(g->allglen, 0);
		assert_int_equal(g->allm, 0);
	}
	EXPECT(g->sched, sym(truth, s, "runtime.sched", NULL), "runtime.sched");
	EXPECT(g->waitreasons, sym(truth, s, "runtime.waitReasonStrings", &wsize),
	       "runtime.waitReasonStrings");
	assert_int_equal(g->nwaitreasons, wsize / 16);
	assert_int_equal(g->nwaitreasons, 27);  /* go1.19, go-runtime-facts §4.2 */
	EXPECT(g->buildversion, sym(truth, s, "runtime.buildVersion", NULL),
	       "runtime.buildVersion");
}

/* Non-dead goroutines in allgs, with l's g offsets. */
static size_t live_goroutines(const struct session *s, const struct gr_layouts *l,
			      const struct gr_globals *g)
{
	uint64_t ptr, len, status_off;
	assert_true(gr_layouts_offset(l, "runtime.g", "atomicstatus", &status_off));
	assert_true(gc_addrspace_u64(s->as, g->allgs, &ptr));
	assert_true(gc_addrspace_u64(s->as, g->allgs + 8, &len));
	size_t live = 0;
	for (uint64_t i = 0; i < len; i++) {
		uint64_t gp;
		uint32_t st;
		assert_true(gc_addrspace_u64(s->as, ptr + 8 * i, &gp));
		assert_true(gc_addrspace_u32(s->as, gp + status_off, &st));
		live += (st & ~0x1000u) != 6 /* _Gdead */;
	}
	return live;
}

/* Distinct goids >= 1 of "goroutine N [" lines in a runtime dump. */
static size_t dump_goroutines(const char *path)
{
	size_t n;
	char *text = (char *)tu_read_file(path, &n);
	text = realloc(text, n + 1);
	assert_non_null(text);
	text[n] = '\0';
	uint64_t seen[1024];
	size_t nseen = 0;
	for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long goid;
		if (sscanf(line, "goroutine %llu [", &goid) != 1 || goid == 0)
			continue;
		bool dup = false;
		for (size_t i = 0; i < nseen; i++)
			dup |= seen[i] == goid;
		if (!dup && nseen < 1024)
			seen[nseen++] = goid;
	}
	free(text);
	return nseen;
}

static char *read_gostring(const struct session *s, uint64_t addr)
{
	uint64_t ptr, len;
	assert_true(gc_addrspace_u64(s->as, addr, &ptr));
	assert_true(gc_addrspace_u64(s->as, addr + 8, &len));
	assert_true(len < 256);
	char *buf = calloc(1, len + 1);
	assert_non_null(buf);
	assert_int_equal(gc_addrspace_read(s->as, ptr, buf, len), GC_READ_OK);
	return buf;
}

/* ---- setup ---- */

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	char *fixture = tu_fixture("crashcore");
	char real[PATH_MAX];
	if (!realpath(fixture, real))
		fail_msg("realpath %s: %s", fixture, strerror(errno));
	free(fixture);
	fx.fixture = strdup(real);
	if (access("testdata/crashcore/main.go", R_OK) != 0)
		fail_msg("testdata/crashcore/main.go not found; run the test from the "
			 "repository root (`make unit`)");
	fx.dir = tu_tmpdir();
	char *cmd = NULL, *path = NULL;

	/* The fixture's core. */
	if (asprintf(&path, "%s/a", fx.dir) < 0 || mkdir(path, 0700) != 0)
		fail_msg("mkdir %s", path ? path : "");
	char *err_path = NULL;
	assert_true(asprintf(&err_path, "%s/stderr.txt", path) > 0);
	fx.fixture_core = tu_crash_core(fx.fixture, "crash", path, err_path);
	free(err_path);
	free(path);

	/* strip(1) copy. */
	assert_true(asprintf(&fx.strip_exe, "%s/crashcore.strip", fx.dir) > 0);
	assert_true(asprintf(&cmd, "strip -o '%s' '%s' 2>&1", fx.strip_exe, fx.fixture) > 0);
	run(cmd);
	free(cmd);

	/* -w and -s -w builds. */
	double t0 = now_ms();
	assert_true(asprintf(&fx.w_exe, "%s/crashcore.w", fx.dir) > 0);
	assert_true(asprintf(&fx.sw_exe, "%s/crashcore.sw", fx.dir) > 0);
	assert_true(asprintf(&cmd,
			     "cd testdata && GOFLAGS=-mod=mod go build -ldflags=-w -o '%s' ./crashcore 2>&1 && "
			     "GOFLAGS=-mod=mod go build -ldflags='-s -w' -o '%s' ./crashcore 2>&1",
			     fx.w_exe, fx.sw_exe) > 0);
	run(cmd);
	free(cmd);
	print_message("built -w and -s -w copies (%.0f ms)\n", now_ms() - t0);
	if (asprintf(&path, "%s/b", fx.dir) < 0 || mkdir(path, 0700) != 0)
		fail_msg("mkdir %s", path ? path : "");
	assert_true(asprintf(&err_path, "%s/stderr.txt", path) > 0);
	fx.sw_core = tu_crash_core(fx.sw_exe, "crash", path, err_path);
	fx.sw_live = dump_goroutines(err_path);
	if (fx.sw_live < 10)
		fail_msg("%s: the runtime's dump names %zu goroutines; crashcore parks 9 "
			 "besides main", err_path, fx.sw_live);
	free(err_path);
	free(path);
	return 0;
}

/* Removes a directory tree made by setup (two levels). */
static int teardown(void **state)
{
	(void)state;
	char *cmd = NULL;
	if (fx.dir && asprintf(&cmd, "rm -rf '%s'", fx.dir) > 0 && system(cmd) != 0)
		print_message("could not remove %s\n", fx.dir);
	free(cmd);
	free(fx.dir);
	free(fx.fixture);
	free(fx.fixture_core);
	free(fx.strip_exe);
	free(fx.w_exe);
	free(fx.sw_exe);
	free(fx.sw_core);
	return 0;
}

/* ---- tests ---- */

/* The fixture itself: layouts from DWARF (schedt included). */
static void test_unstripped_dwarf(void **state)
{
	(void)state;
	struct session s;
	session_open(fx.fixture_core, fx.fixture, &s);
	assert_true(s.exe->has_symtab);
	struct gr_layouts *l = dwarf_layouts(&s);
	struct gr_globals g;
	find(&s, l, MINOR, &g);
	expect_all(&s, s.exe, &g, true);
	gr_layouts_destroy(l);
	session_close(&s);
}

/* The same with layouts from the type descriptors (no schedt: the sched
 * offsets are the built-in ones). */
static void test_unstripped_types(void **state)
{
	(void)state;
	struct session s;
	session_open(fx.fixture_core, fx.fixture, &s);
	struct gr_layouts *l = types_layouts(&s);
	struct gr_globals g;
	find(&s, l, MINOR, &g);
	expect_all(&s, s.exe, &g, true);
	/* Without the minor: the same answer. */
	find(&s, l, 0, &g);
	expect_all(&s, s.exe, &g, true);
	gr_layouts_destroy(l);
	session_close(&s);
}

/* strip(1)'s copy with the fixture's core: same addresses as the symbols. */
static void test_strip_copy(void **state)
{
	(void)state;
	struct session s;
	session_open(fx.fixture_core, fx.strip_exe, &s);
	if (s.exe->has_symtab || s.exe->has_dwarf)
		fail_msg("%s still has a symbol table or DWARF after strip", fx.strip_exe);
	struct ga_exe *truth;
	check(ga_exe_open(fx.fixture, &truth), fx.fixture);
	struct gr_layouts *l = types_layouts(&s);
	struct gr_globals g;
	find(&s, l, MINOR, &g);
	expect_all(&s, truth, &g, true);
	gr_layouts_destroy(l);
	ga_exe_close(truth);
	session_close(&s);
}

/* go build -ldflags='-s -w': its own core, the -w build's symbols. */
static void test_go_stripped(void **state)
{
	(void)state;
	struct session s;
	session_open(fx.sw_core, fx.sw_exe, &s);
	if (s.exe->has_symtab || s.exe->has_dwarf)
		fail_msg("%s has a symbol table or DWARF despite -s -w", fx.sw_exe);
	struct ga_exe *truth;
	check(ga_exe_open(fx.w_exe, &truth), fx.w_exe);
	/* -s drops only the unloaded .symtab: the loaded segments must match,
	 * or the -w build's symbols are no truth for the -s -w core. */
	assert_int_equal(truth->nsegments, s.exe->nsegments);
	for (size_t i = 0; i < truth->nsegments; i++)
		if (truth->segments[i].vaddr != s.exe->segments[i].vaddr ||
		    truth->segments[i].memsz != s.exe->segments[i].memsz)
			fail_msg("%s and %s differ in PT_LOAD %zu (0x%" PRIx64 "+0x%" PRIx64
				 " vs 0x%" PRIx64 "+0x%" PRIx64 ")", fx.w_exe, fx.sw_exe, i,
				 truth->segments[i].vaddr, truth->segments[i].memsz,
				 s.exe->segments[i].vaddr, s.exe->segments[i].memsz);
	struct gr_layouts *l = types_layouts(&s);
	struct gr_globals g;
	find(&s, l, MINOR, &g);
	expect_all(&s, truth, &g, true);
	/* What they hold agrees with the runtime's own dump. */
	assert_int_equal(live_goroutines(&s, l, &g), fx.sw_live);
	uint64_t glen, len;
	assert_true(gc_addrspace_u64(s.as, g.allglen, &glen));
	assert_true(gc_addrspace_u64(s.as, g.allgs + 8, &len));
	assert_int_equal(glen, len);
	char *v = read_gostring(&s, g.buildversion);
	if (strncmp(v, "go1.19", 6) != 0)
		fail_msg("buildVersion reads \"%s\"", v);
	free(v);
	const char *want[] = {"", "GC assist marking", "IO wait"};
	for (size_t i = 0; i < 3; i++) {
		char *w = read_gostring(&s, g.waitreasons + 16 * i);
		assert_string_equal(w, want[i]);
		free(w);
	}
	char *last = read_gostring(&s, g.waitreasons + 16 * 26);
	assert_string_equal(last, "debug call");  /* go1.19's last, §4.2 */
	free(last);
	gr_layouts_destroy(l);
	ga_exe_close(truth);
	session_close(&s);
}

/* No layouts: what needs no g/m layout is still found. */
static void test_no_layouts(void **state)
{
	(void)state;
	struct session s;
	session_open(fx.fixture_core, fx.fixture, &s);
	struct gr_globals g;
	find(&s, NULL, MINOR, &g);
	expect_all(&s, s.exe, &g, false);
	session_close(&s);
}

/* A minor whose wait-reason table has another length: the table is refused. */
static void test_wrong_minor(void **state)
{
	(void)state;
	struct session s;
	session_open(fx.fixture_core, fx.fixture, &s);
	struct gr_layouts *l = dwarf_layouts(&s);
	struct gr_globals g;
	find(&s, l, 20, &g);
	assert_int_equal(g.waitreasons, 0);
	assert_int_equal(g.nwaitreasons, 0);
	EXPECT(g.allgs, sym(s.exe, &s, "runtime.allgs", NULL), "runtime.allgs");
	gr_layouts_destroy(l);
	session_close(&s);
}

/* The executable without its core: .bss is absent, so the slices and lists
 * there cannot be validated and are not returned; initialised data is. */
static void test_no_core(void **state)
{
	(void)state;
	struct session s;
	session_open(NULL, fx.fixture, &s);
	struct gr_layouts *l = dwarf_layouts(&s);
	struct gr_globals g;
	find(&s, l, MINOR, &g);
	assert_int_equal(g.allgs, 0);
	assert_int_equal(g.allglen, 0);
	assert_int_equal(g.allm, 0);
	assert_int_equal(g.sched, 0);
	EXPECT(g.waitreasons, sym(s.exe, &s, "runtime.waitReasonStrings", NULL),
	       "runtime.waitReasonStrings");
	EXPECT(g.buildversion, sym(s.exe, &s, "runtime.buildVersion", NULL),
	       "runtime.buildVersion");
	gr_layouts_destroy(l);
	session_close(&s);
}

/* Garbage: the real pclntab over an address space whose text and data are
 * pseudo-random bytes (or all ones).  Nothing may crash, and nothing random
 * may pass for a global. */
static void test_garbage(void **state)
{
	(void)state;
	struct session s;
	session_open(fx.fixture_core, fx.fixture, &s);
	struct gr_layouts *l = dwarf_layouts(&s);
	for (unsigned seed = 0; seed < 6; seed++) {
		struct gc_addrspace *as;
		check(gc_addrspace_create(&as), "address space");
		uint8_t *bufs[8] = {0};
		for (size_t i = 0; i < s.exe->nsegments && i < 8; i++) {
			const struct ga_exe_segment *seg = &s.exe->segments[i];
			bufs[i] = malloc(seg->memsz);
			assert_non_null(bufs[i]);
			uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);
			for (uint64_t k = 0; k < seg->memsz; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				bufs[i][k] = seed == 5 ? 0xff : (uint8_t)x;
			}
			check(gc_addrspace_add(as, 0, seg->vaddr + s.bias, seg->memsz, bufs[i],
					       seg->memsz, "garbage"), "add");
		}
		struct gr_globals g;
		struct gc_error *err = gr_find_globals(&gr_arch_amd64, s.pcln, as, l, MINOR, s.data, s.ndata, &g);
		if (err) {
			assert_int_equal(err->code, GC_ERR_NOT_FOUND);
			gc_error_destroy(err);
		}
		assert_int_equal(g.allgs, 0);
		assert_int_equal(g.allglen, 0);
		assert_int_equal(g.allm, 0);
		assert_int_equal(g.sched, 0);
		assert_int_equal(g.waitreasons, 0);
		assert_int_equal(g.buildversion, 0);
		gc_addrspace_destroy(as);
		for (size_t i = 0; i < 8; i++)
			free(bufs[i]);
	}
	/* And no data ranges at all. */
	struct gr_globals g;
	struct gc_error *err = gr_find_globals(&gr_arch_amd64, s.pcln, s.as, l, MINOR, NULL, 0, &g);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_NOT_FOUND);
	gc_error_destroy(err);
	gr_layouts_destroy(l);
	session_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unstripped_dwarf),
		cmocka_unit_test(test_unstripped_types),
		cmocka_unit_test(test_strip_copy),
		cmocka_unit_test(test_go_stripped),
		cmocka_unit_test(test_no_layouts),
		cmocka_unit_test(test_wrong_minor),
		cmocka_unit_test(test_no_core),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
