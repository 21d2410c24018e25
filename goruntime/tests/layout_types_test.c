/* Tests for goruntime/layout_types.c and moduledata.c.
 *
 * Reads $GOCORE_FIXTURES/layout (built by `make unit` from
 * testdata/layout/main.go with the machine's Go, Debian bookworm: go1.19) and
 * the same program built here with -ldflags='-s -w' (no DWARF, no .symtab).
 * Memory is read from the executable's PT_LOAD segments: type descriptors
 * are in rodata and moduledata in .noptrdata, so no core is needed.  The
 * layouts from the type descriptors are cross-checked against the DWARF
 * layouts of the unstripped file, field by field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../analyzer/elfexe.h"
#include "../layout.h"
#include "../moduledata.h"

static const char *const wanted_names[] = {
	"runtime.g", "runtime.m", "runtime.gobuf", "runtime.stack",
	"runtime.moduledata", "runtime._panic", "runtime.schedt",
};
#define NWANTED (sizeof(wanted_names) / sizeof(wanted_names[0]))

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* ---- inputs: the fixture, a stripped build of it, the Go version ---- */

static void fixture_path(char *buf, size_t len)
{
	const char *dir = getenv("GOCORE_FIXTURES");
	if (!dir || !*dir)
		fail_msg("GOCORE_FIXTURES is not set; run the unit tests with "
			 "`make unit`, which builds testdata/*/main.go into it");
	int n = snprintf(buf, len, "%s/layout", dir);
	assert_true(n > 0 && (size_t)n < len);
	if (access(buf, R_OK) != 0)
		fail_msg("fixture %s missing (%s); `make unit` builds it from "
			 "testdata/layout/main.go", buf, strerror(errno));
}

/* Runs cmd, returns its first output line (static buffer); fails the test
 * when it cannot run or exits non-zero. */
static const char *run(const char *cmd)
{
	static char out[8192];
	FILE *f = popen(cmd, "r");
	if (!f)
		fail_msg("popen(%s): %s", cmd, strerror(errno));
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	int st = pclose(f);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("`%s` failed (status %d; is Go installed? `scripts/deps.sh test`):\n%s",
			 cmd, st, out);
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	return out;
}

/* Go 1.x minor version of the toolchain that built the fixtures. */
static int go_minor(void)
{
	static int minor = -1;
	if (minor < 0) {
		const char *v = run("go env GOVERSION 2>&1");
		if (sscanf(v, "go1.%d", &minor) != 1)
			fail_msg("cannot parse `go env GOVERSION` output \"%s\"", v);
	}
	return minor;
}

static char stripped_dir[64];

/* Builds testdata/layout with -ldflags='-s -w' into a temporary directory
 * (once) and returns its path. */
static const char *stripped_path(void)
{
	static char path[128];
	if (path[0])
		return path;
	if (access("testdata/layout/main.go", R_OK) != 0)
		fail_msg("testdata/layout/main.go not found from %s; run the test "
			 "from the repository root (`make unit`)", getcwd(path, sizeof(path)));
	snprintf(stripped_dir, sizeof(stripped_dir), "/tmp/gocore-layout-types-XXXXXX");
	if (!mkdtemp(stripped_dir))
		fail_msg("mkdtemp: %s", strerror(errno));
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "cd testdata && GOFLAGS=-mod=mod go build -ldflags='-s -w' -o '%s/layout' ./layout 2>&1",
		 stripped_dir);
	double t0 = now_ms();
	run(cmd);
	print_message("built stripped fixture (%.0f ms)\n", now_ms() - t0);
	snprintf(path, sizeof(path), "%s/layout", stripped_dir);
	return path;
}

/* ---- memory: the file-backed bytes of the executable's PT_LOAD segments ---- */

static bool exe_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const uint8_t *p = ga_exe_vaddr_ptr(ctx, addr, len);
	if (!p)
		return false;
	memcpy(buf, p, len);
	return true;
}

struct input {
	struct ga_exe *exe;
	uint64_t md;
	struct gr_moduledata_types mt;
};

/* Finds moduledata in the writable segments from the pclntab address. */
static uint64_t scan_moduledata(const struct ga_exe *exe)
{
	const struct ga_exe_section *sec = ga_exe_section(exe, ".gopclntab");
	if (!sec)
		fail_msg("%s: no .gopclntab section", exe->path);
	struct gr_range ranges[16];
	size_t n = 0;
	for (size_t i = 0; i < exe->nsegments && n < 16; i++) {
		if (exe->segments[i].flags & 2 /* PF_W */) {
			ranges[n].start = exe->segments[i].vaddr;
			ranges[n].end = exe->segments[i].vaddr + exe->segments[i].filesz;
			n++;
		}
	}
	uint64_t md;
	struct gc_error *err = gr_find_moduledata(exe_read, (void *)exe, sec->addr,
						  ranges, n, &md);
	if (err)
		fail_msg("%s: gr_find_moduledata: %s", exe->path, err->message);
	return md;
}

static void input_open(const char *path, struct input *in)
{
	memset(in, 0, sizeof(*in));
	struct gc_error *err = ga_exe_open(path, &in->exe);
	if (err)
		fail_msg("ga_exe_open(%s): %s", path, err->message);
	if (in->exe->has_symtab) {
		if (!ga_exe_symbol(in->exe, "runtime.firstmoduledata", &in->md, NULL))
			fail_msg("%s: no runtime.firstmoduledata symbol", path);
		/* The finder must agree with the symbol. */
		assert_int_equal(scan_moduledata(in->exe), in->md);
	} else {
		in->md = scan_moduledata(in->exe);
	}
	err = gr_moduledata_types(exe_read, in->exe, in->md, go_minor(), &in->mt);
	if (err)
		fail_msg("%s: gr_moduledata_types: %s", path, err->message);
}

static struct gr_layouts *types_load(const struct input *in, unsigned flags,
				     const char *const *names, size_t n, double *ms_ret)
{
	struct gr_layouts *l = NULL;
	double t0 = now_ms();
	struct gc_error *err = gr_layouts_from_types(exe_read, in->exe, in->mt.types,
						     in->mt.etypes, in->mt.typelinks,
						     in->mt.ntypelinks, go_minor(), flags,
						     names, n, &l);
	if (ms_ret)
		*ms_ret = now_ms() - t0;
	if (err)
		fail_msg("gr_layouts_from_types(%s): %s", in->exe->path, err->message);
	assert_non_null(l);
	assert_int_equal(l->source, GR_SOURCE_TYPES);
	return l;
}

static struct gr_layouts *dwarf_load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	struct gr_layouts *l = NULL;
	struct gc_error *err = gr_layouts_from_dwarf(fd, path, wanted_names, NWANTED, &l);
	close(fd);
	if (err)
		fail_msg("gr_layouts_from_dwarf(%s): %s", path, err->message);
	return l;
}

/* ---- comparing sets ---- */

struct tally {
	size_t structs, fields, type_names_equal;
};

/* Compares struct sname in want (DWARF) and got: same size, same fields in
 * the same order with the same names, offsets and sizes.  Type names are
 * counted, and must match when the field's type is a struct of the set. */
static void compare_struct(const struct gr_layouts *want, const struct gr_layouts *got,
			   const char *sname, bool exact_types, struct tally *t)
{
	const struct gr_struct *w = gr_layouts_struct(want, sname);
	const struct gr_struct *g = gr_layouts_struct(got, sname);
	if (!w || !g)
		fail_msg("%s: in reference %s, in result %s", sname, w ? "yes" : "no",
			 g ? "yes" : "no");
	if (w->size != g->size)
		fail_msg("sizeof(%s): %llu from DWARF, %llu from types", sname,
			 (unsigned long long)w->size, (unsigned long long)g->size);
	if (w->nfields != g->nfields)
		fail_msg("%s: %zu fields from DWARF, %zu from types", sname,
			 w->nfields, g->nfields);
	for (size_t i = 0; i < w->nfields; i++) {
		const struct gr_field *a = &w->fields[i], *b = &g->fields[i];
		if (strcmp(a->name, b->name) != 0 || a->offset != b->offset || a->size != b->size)
			fail_msg("%s field %zu: DWARF %s@%llu (%llu bytes), types %s@%llu (%llu bytes)",
				 sname, i, a->name, (unsigned long long)a->offset,
				 (unsigned long long)a->size, b->name,
				 (unsigned long long)b->offset, (unsigned long long)b->size);
		bool same = a->type_name && b->type_name && strcmp(a->type_name, b->type_name) == 0;
		if (same) {
			t->type_names_equal++;
		} else if (exact_types || gr_layouts_struct(want, a->type_name)) {
			/* struct types by value must carry the same name; a
			 * non-struct's spelling may differ from DWARF's */
			if (exact_types || !a->type_name || strncmp(a->type_name, "runtime.", 8) == 0)
				fail_msg("%s.%s: type %s from DWARF, %s from types", sname, a->name,
					 a->type_name ? a->type_name : "(none)",
					 b->type_name ? b->type_name : "(none)");
			print_message("  type name differs: %s.%s: DWARF \"%s\", types \"%s\"\n",
				      sname, a->name, a->type_name, b->type_name ? b->type_name : "(none)");
		} else {
			print_message("  type name differs: %s.%s: DWARF \"%s\", types \"%s\"\n",
				      sname, a->name, a->type_name ? a->type_name : "(none)",
				      b->type_name ? b->type_name : "(none)");
		}
	}
	t->structs++;
	t->fields += w->nfields;
}

/* ---- tests ---- */

static void test_moduledata_types(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof(path));
	struct input in;
	input_open(path, &in);
	print_message("go1.%d moduledata 0x%llx: types [0x%llx, 0x%llx) (%llu KiB), %llu typelinks\n",
		      go_minor(), (unsigned long long)in.md, (unsigned long long)in.mt.types,
		      (unsigned long long)in.mt.etypes,
		      (unsigned long long)((in.mt.etypes - in.mt.types) >> 10),
		      (unsigned long long)in.mt.ntypelinks);
	assert_true(in.mt.ntypelinks > 0);
	/* The offsets used here agree with the DWARF layout of moduledata. */
	struct gr_layouts *d = dwarf_load(path);
	uint64_t off;
	assert_true(gr_layouts_offset(d, "runtime.moduledata", "types", &off));
	uint64_t v;
	assert_true(exe_read(in.exe, in.md + off, &v, 8));
	assert_int_equal(v, in.mt.types);
	assert_true(gr_layouts_offset(d, "runtime.moduledata", "typelinks.len", &off));
	assert_true(exe_read(in.exe, in.md + off, &v, 8));
	assert_int_equal(v, in.mt.ntypelinks);
	gr_layouts_destroy(d);

	struct gr_moduledata_types mt;
	struct gc_error *err = gr_moduledata_types(exe_read, in.exe, in.md, 16, &mt);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_UNSUPPORTED);
	gc_error_destroy(err);
	uint64_t md;
	struct gr_range none = { 0x1000, 0x2000 };
	const struct ga_exe_section *sec = ga_exe_section(in.exe, ".gopclntab");
	assert_non_null(sec);
	err = gr_find_moduledata(exe_read, in.exe, sec->addr, &none, 1, &md);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_NOT_FOUND);
	gc_error_destroy(err);
	err = gr_find_moduledata(exe_read, in.exe, in.mt.types, &none, 1, &md);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_FORMAT); /* not a pclntab header */
	gc_error_destroy(err);
	ga_exe_close(in.exe);
}

static void test_types_crosscheck_dwarf(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof(path));
	struct input in;
	input_open(path, &in);
	struct gr_layouts *d = dwarf_load(path);

	/* The typelinks graph alone. */
	double ms_walk, ms_scan;
	struct gr_layouts *w = types_load(&in, 0, wanted_names, NWANTED, &ms_walk);
	size_t nmissing = 0;
	char missing[256] = "";
	for (size_t i = 0; i < NWANTED; i++) {
		if (!gr_layouts_struct(w, wanted_names[i])) {
			nmissing++;
			strncat(missing, " ", sizeof(missing) - strlen(missing) - 1);
			strncat(missing, wanted_names[i], sizeof(missing) - strlen(missing) - 1);
		}
	}
	print_message("typelinks graph: %.2f ms, %zu structs, not reachable:%s\n",
		      ms_walk, w->nstructs, nmissing ? missing : " (none)");
	/* go1.19: runtime.schedt is only the type of the global runtime.sched;
	 * no descriptor refers to it. */
	assert_non_null(gr_layouts_struct(w, "runtime.g"));
	assert_non_null(gr_layouts_struct(w, "runtime.m"));

	/* The scan finds nothing more in go1.19: no descriptor of
	 * runtime.schedt is emitted at all (the type is only that of the global
	 * runtime.sched, whose GC bitmap the linker writes; nothing converts it
	 * to an interface, allocates it or points to it). */
	struct gr_layouts *l = types_load(&in, GR_TYPES_SCAN, wanted_names, NWANTED, &ms_scan);
	print_message("typelinks graph + scan: %.2f ms, %zu structs\n", ms_scan, l->nstructs);
	struct tally t = { 0 };
	for (size_t i = 0; i < NWANTED; i++) {
		if (!gr_layouts_struct(l, wanted_names[i])) {
			print_message("  %s: no type descriptor in the binary\n", wanted_names[i]);
			if (strcmp(wanted_names[i], "runtime.schedt") != 0)
				fail_msg("%s not found in the type descriptors", wanted_names[i]);
			assert_non_null(gr_layouts_struct(d, wanted_names[i]));
			continue;
		}
		compare_struct(d, l, wanted_names[i], false, &t);
	}
	print_message("cross-checked %zu wanted structs, %zu fields (names, offsets, sizes); "
		      "%zu type names equal to DWARF's\n", t.structs, t.fields, t.type_names_equal);
	assert_true(t.structs >= NWANTED - 1);
	/* Nested structs held by value, wherever both sources have them. */
	struct tally tn = { 0 };
	size_t only_dwarf = 0;
	for (size_t i = 0; i < d->nstructs; i++) {
		const char *s = d->structs[i].name;
		bool top = false;
		for (size_t j = 0; j < NWANTED; j++)
			top |= strcmp(s, wanted_names[j]) == 0;
		if (top)
			continue;
		if (!gr_layouts_struct(l, s)) {
			only_dwarf++;
			print_message("  only from DWARF: %s\n", s);
			continue;
		}
		compare_struct(d, l, s, false, &tn);
	}
	print_message("cross-checked %zu nested structs, %zu fields; %zu DWARF-only structs\n",
		      tn.structs, tn.fields, only_dwarf);
	/* The by-value structs of the ones the walk found are the same as with
	 * the scan. */
	for (size_t i = 0; i < w->nstructs; i++) {
		struct tally tw = { 0 };
		compare_struct(l, w, w->structs[i].name, true, &tw);
	}

	/* What the goroutine reader uses. */
	uint64_t off;
	assert_true(gr_layouts_offset(l, "runtime.g", "sched.sp", &off));
	assert_int_equal(off, 56);
	assert_true(gr_layouts_offset(l, "runtime.g", "stack.hi", &off));
	assert_int_equal(off, 8);

	gr_layouts_destroy(w);
	gr_layouts_destroy(l);
	gr_layouts_destroy(d);
	ga_exe_close(in.exe);
}

static void compare_sets(const struct gr_layouts *a, const struct gr_layouts *b)
{
	assert_int_equal(a->nstructs, b->nstructs);
	struct tally t = { 0 };
	for (size_t i = 0; i < a->nstructs; i++) {
		assert_string_equal(a->structs[i].name, b->structs[i].name);
		compare_struct(a, b, a->structs[i].name, true, &t);
	}
}

static void test_types_stripped(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof(path));
	const char *spath = stripped_path();
	struct input in, sin;
	input_open(path, &in);
	input_open(spath, &sin);
	assert_false(sin.exe->has_symtab);
	assert_false(sin.exe->has_dwarf);
	int fd = open(spath, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct gr_layouts *none = NULL;
	struct gc_error *err = gr_layouts_from_dwarf(fd, spath, wanted_names, NWANTED, &none);
	close(fd);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_NOT_FOUND);
	gc_error_destroy(err);

	double ms;
	struct gr_layouts *a = types_load(&in, GR_TYPES_SCAN, wanted_names, NWANTED, NULL);
	struct gr_layouts *b = types_load(&sin, GR_TYPES_SCAN, wanted_names, NWANTED, &ms);
	print_message("stripped: moduledata 0x%llx, %llu typelinks, %zu structs in %.2f ms\n",
		      (unsigned long long)sin.md, (unsigned long long)sin.mt.ntypelinks,
		      b->nstructs, ms);
	compare_sets(a, b);
	for (size_t i = 0; i < NWANTED; i++)
		assert_true(gr_layouts_struct(b, wanted_names[i]) ||
			    strcmp(wanted_names[i], "runtime.schedt") == 0);
	gr_layouts_destroy(a);
	gr_layouts_destroy(b);
	a = types_load(&in, 0, wanted_names, NWANTED, NULL);
	b = types_load(&sin, 0, wanted_names, NWANTED, NULL);
	compare_sets(a, b);
	gr_layouts_destroy(a);
	gr_layouts_destroy(b);
	ga_exe_close(in.exe);
	ga_exe_close(sin.exe);
}

/* Timing of each part: the walk for runtime.g alone, the scan alone. */
static void test_types_timing(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof(path));
	struct input in;
	input_open(path, &in);
	const char *const g[] = { "runtime.g" };
	const char *const schedt[] = { "runtime.schedt" };
	const char *const nosuch[] = { "runtime.nosuch" };
	double ms_g, ms_schedt, ms_nosuch_walk, ms_nosuch_scan, ms_scan_only;
	struct gr_layouts *l = types_load(&in, 0, g, 1, &ms_g);
	assert_non_null(gr_layouts_struct(l, "runtime.g"));
	assert_non_null(gr_layouts_struct(l, "runtime.gobuf"));
	assert_null(gr_layouts_struct(l, "runtime.m")); /* pointed to, not held */
	gr_layouts_destroy(l);
	/* The scan alone (no typelinks) finds the same named structs as the
	 * graph: the descriptors are 8-aligned and recognisable. */
	struct input scan_only = in;
	scan_only.mt.ntypelinks = 0;
	struct gr_layouts *a = types_load(&in, 0, wanted_names, NWANTED, NULL);
	struct gr_layouts *b = types_load(&scan_only, GR_TYPES_SCAN, wanted_names, NWANTED,
					  &ms_scan_only);
	compare_sets(a, b);
	gr_layouts_destroy(a);
	gr_layouts_destroy(b);
	l = types_load(&in, GR_TYPES_SCAN, schedt, 1, &ms_schedt);
	assert_null(gr_layouts_struct(l, "runtime.schedt")); /* not in go1.19 binaries */
	gr_layouts_destroy(l);
	/* A missing name costs the whole graph, then the whole scan. */
	l = types_load(&in, 0, nosuch, 1, &ms_nosuch_walk);
	assert_int_equal(l->nstructs, 0);
	gr_layouts_destroy(l);
	l = types_load(&in, GR_TYPES_SCAN, nosuch, 1, &ms_nosuch_scan);
	assert_int_equal(l->nstructs, 0);
	gr_layouts_destroy(l);
	print_message("runtime.g: %.2f ms; wanted structs by scan only: %.2f ms; "
		      "runtime.schedt (graph + scan): %.2f ms; absent name: whole graph "
		      "%.2f ms, graph + whole scan %.2f ms\n",
		      ms_g, ms_scan_only, ms_schedt, ms_nosuch_walk, ms_nosuch_scan);
	/* No names: nothing walked, an empty set. */
	l = types_load(&in, GR_TYPES_SCAN, NULL, 0, NULL);
	assert_int_equal(l->nstructs, 0);
	gr_layouts_destroy(l);
	/* Repeated names count once. */
	const char *const twice[] = { "runtime.stack", NULL, "runtime.stack" };
	l = types_load(&in, 0, twice, 3, NULL);
	assert_int_equal(l->nstructs, 1);
	gr_layouts_destroy(l);
	ga_exe_close(in.exe);
}

static void expect_error(struct gc_error *err, struct gr_layouts *l, const char *what)
{
	if (!err)
		fail_msg("%s: no error", what);
	assert_null(l);
	assert_non_null(err->message);
	gc_error_destroy(err);
}

static void test_types_bad_arguments(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof(path));
	struct input in;
	input_open(path, &in);
	const struct gr_moduledata_types *m = &in.mt;
	struct gr_layouts *l = (void *)1;
	struct gc_error *err;
	err = gr_layouts_from_types(exe_read, in.exe, m->types, m->etypes, m->typelinks,
				    m->ntypelinks, 16, 0, wanted_names, NWANTED, &l);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_UNSUPPORTED);
	expect_error(err, l, "go1.16");
	l = (void *)1;
	err = gr_layouts_from_types(exe_read, in.exe, m->etypes, m->types, m->typelinks,
				    m->ntypelinks, 19, 0, wanted_names, NWANTED, &l);
	expect_error(err, l, "etypes < types");
	l = (void *)1;
	err = gr_layouts_from_types(exe_read, in.exe, m->types, m->types + 4096, m->typelinks,
				    m->ntypelinks, 19, 0, wanted_names, NWANTED, &l);
	expect_error(err, l, "too many typelinks for the range");
	l = (void *)1;
	/* typelinks pointing elsewhere (at the descriptors themselves) */
	err = gr_layouts_from_types(exe_read, in.exe, m->types, m->etypes, m->types + 8,
				    m->ntypelinks, 19, 0, wanted_names, NWANTED, &l);
	expect_error(err, l, "typelinks at the wrong address");
	l = (void *)1;
	/* a range cut short: typelinks and descriptors refer past it */
	err = gr_layouts_from_types(exe_read, in.exe, m->types,
				    m->types + (m->etypes - m->types) / 4, m->typelinks,
				    m->ntypelinks, 19, GR_TYPES_SCAN, wanted_names, NWANTED, &l);
	expect_error(err, l, "etypes too small");
	l = (void *)1;
	/* the wrong version for the field offsets: runtime.g's fields at half
	 * their offsets still fit, but sizes do not line up with DWARF's */
	err = gr_layouts_from_types(exe_read, in.exe, m->types, m->etypes, m->typelinks,
				    m->ntypelinks, 18, 0, wanted_names, NWANTED, &l);
	if (!err) {
		uint64_t off;
		assert_true(gr_layouts_offset(l, "runtime.g", "sched", &off));
		assert_int_equal(off, 28);
		gr_layouts_destroy(l);
	} else {
		gc_error_destroy(err);
	}
	ga_exe_close(in.exe);
}

/* ---- corrupt memory ---- */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

struct noisy {
	const struct ga_exe *exe;
	uint64_t seed;
	unsigned one_in;     /* corrupt one byte in this many; 0: all random */
	uint64_t lo, hi;     /* only inside [lo, hi) */
	unsigned long reads;
};

static bool noisy_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct noisy *n = ctx;
	n->reads++;
	uint8_t *b = buf;
	if (n->one_in == 0) {
		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)mix(n->seed ^ (addr + i));
		return true;
	}
	if (!exe_read((void *)n->exe, addr, buf, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		uint64_t a = addr + i;
		if (a < n->lo || a >= n->hi)
			continue;
		uint64_t h = mix(n->seed * 0x9e3779b97f4a7c15ull ^ a);
		if (h % n->one_in == 0)
			b[i] ^= (uint8_t)(h >> 32 | 1);
	}
	return true;
}

static void test_types_corrupt(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof(path));
	struct input in;
	input_open(path, &in);
	const struct gr_moduledata_types *m = &in.mt;
	double t0 = now_ms();

	/* Every byte random: always an error. */
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct noisy n = { in.exe, seed, 0, 0, 0, 0 };
		struct gr_layouts *l = NULL;
		struct gc_error *err = gr_layouts_from_types(noisy_read, &n, m->types, m->etypes,
							     m->typelinks, m->ntypelinks, 19,
							     seed & 1 ? GR_TYPES_SCAN : 0,
							     wanted_names, NWANTED, &l);
		expect_error(err, l, "random memory");
	}

	/* Real memory with some bytes of the descriptors flipped: an error or a
	 * result, never a crash (ASan/UBSan builds check). */
	size_t nerr = 0, nok = 0;
	unsigned long reads = 0;
	const unsigned rates[] = { 50, 1000, 20000, 200000 };
	for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++) {
		for (uint64_t seed = 1; seed <= 40; seed++) {
			struct noisy n = { in.exe, seed, rates[k], m->types, m->etypes, 0 };
			struct gr_layouts *l = NULL;
			struct gc_error *err = gr_layouts_from_types(
				noisy_read, &n, m->types, m->etypes, m->typelinks,
				m->ntypelinks, 19, seed & 1 ? GR_TYPES_SCAN : 0,
				wanted_names, NWANTED, &l);
			reads += n.reads;
			if (err) {
				assert_null(l);
				gc_error_destroy(err);
				nerr++;
			} else {
				assert_non_null(l);
				for (size_t i = 0; i < l->nstructs; i++)
					for (size_t j = 0; j < l->structs[i].nfields; j++)
						assert_true(l->structs[i].fields[j].offset +
							    l->structs[i].fields[j].size <=
							    l->structs[i].size);
				gr_layouts_destroy(l);
				nok++;
			}
		}
	}
	/* Corrupt typelinks array and random arguments. */
	for (uint64_t seed = 1; seed <= 100; seed++) {
		struct noisy n = { in.exe, seed, 8, m->typelinks, m->typelinks + 4 * m->ntypelinks, 0 };
		uint64_t types = m->types + (mix(seed) % 3 == 0 ? (mix(seed + 7) % 64) : 0);
		struct gr_layouts *l = NULL;
		struct gc_error *err = gr_layouts_from_types(noisy_read, &n, types, m->etypes,
							     m->typelinks, m->ntypelinks, 17 + (int)(seed % 10),
							     GR_TYPES_SCAN, wanted_names, NWANTED, &l);
		if (err) {
			assert_null(l);
			gc_error_destroy(err);
			nerr++;
		} else {
			gr_layouts_destroy(l);
			nok++;
		}
	}
	print_message("corrupt descriptors: %zu errors, %zu results, %lu reads, %.0f ms\n",
		      nerr, nok, reads, now_ms() - t0);
	ga_exe_close(in.exe);
}

static int cleanup(void **state)
{
	(void)state;
	if (stripped_dir[0]) {
		char p[128];
		snprintf(p, sizeof(p), "%s/layout", stripped_dir);
		unlink(p);
		rmdir(stripped_dir);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moduledata_types),
		cmocka_unit_test(test_types_crosscheck_dwarf),
		cmocka_unit_test(test_types_stripped),
		cmocka_unit_test(test_types_timing),
		cmocka_unit_test(test_types_bad_arguments),
		cmocka_unit_test(test_types_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, cleanup);
}
