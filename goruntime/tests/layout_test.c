/* Tests for goruntime/layout.c and layout_dwarf.c.
 *
 * The DWARF tests read $GOCORE_FIXTURES/layout, built by `make unit` from
 * testdata/layout/main.go with the machine's Go (Debian bookworm: go1.19),
 * and check the offsets against go-runtime-facts.md §2.1/§3 (1.19 column).
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

#include "../layout.h"

/* ---- generic lookups on a hand-built set ---- */

static struct gr_field stack_fields[] = {
	{ (char *)"lo", 0, 8, (char *)"uintptr" },
	{ (char *)"hi", 8, 8, (char *)"uintptr" },
};
static struct gr_field gobuf_fields[] = {
	{ (char *)"sp", 0, 8, (char *)"uintptr" },
	{ (char *)"pc", 8, 8, (char *)"uintptr" },
	{ (char *)"bp", 48, 8, (char *)"uintptr" },
};
static struct gr_field g_fields[] = {
	{ (char *)"stack", 0, 16, (char *)"runtime.stack" },
	{ (char *)"m", 48, 8, (char *)"*runtime.m" },
	{ (char *)"sched", 56, 56, (char *)"runtime.gobuf" },
	{ (char *)"goid", 152, 8, (char *)"int64" },
	{ (char *)"notype", 200, 0, NULL },
	{ (char *)"loop", 300, 8, (char *)"runtime.loop" },
};
/* A struct containing itself: impossible in Go, but a set built from
 * corrupt data may have it; lookups must stay bounded. */
static struct gr_field loop_fields[] = {
	{ (char *)"self", 1, 8, (char *)"runtime.loop" },
};
static struct gr_field huge_fields[] = {
	{ (char *)"a", UINT64_MAX - 1, 8, (char *)"runtime.huge" },
};
static struct gr_struct hand_structs[] = {
	{ (char *)"runtime.g", 392, 6, g_fields, 0 },
	{ (char *)"runtime.gobuf", 56, 3, gobuf_fields, 0 },
	{ (char *)"runtime.stack", 16, 2, stack_fields, 0 },
	{ (char *)"runtime.loop", 8, 1, loop_fields, 0 },
	{ (char *)"runtime.huge", 8, 1, huge_fields, 0 },
};
static const struct gr_layouts hand = {
	GR_SOURCE_FACTS, sizeof(hand_structs) / sizeof(hand_structs[0]), hand_structs,
};

static void test_generic_struct(void **state)
{
	(void)state;
	const struct gr_struct *s = gr_layouts_struct(&hand, "runtime.gobuf");
	assert_non_null(s);
	assert_int_equal(s->size, 56);
	assert_null(gr_layouts_struct(&hand, "runtime.m"));
	assert_null(gr_layouts_struct(&hand, ""));
	assert_null(gr_layouts_struct(&hand, NULL));
	assert_null(gr_layouts_struct(NULL, "runtime.g"));
}

static void test_generic_paths(void **state)
{
	(void)state;
	uint64_t off = 12345, size = 12345;
	assert_true(gr_layouts_offset(&hand, "runtime.g", "goid", &off));
	assert_int_equal(off, 152);
	assert_true(gr_layouts_offset(&hand, "runtime.g", "sched.sp", &off));
	assert_int_equal(off, 56);
	assert_true(gr_layouts_field(&hand, "runtime.g", "sched.bp", &off, &size));
	assert_int_equal(off, 104);
	assert_int_equal(size, 8);
	assert_true(gr_layouts_field(&hand, "runtime.g", "stack.hi", &off, &size));
	assert_int_equal(off, 8);
	assert_true(gr_layouts_field(&hand, "runtime.g", "sched", &off, &size));
	assert_int_equal(off, 56);
	assert_int_equal(size, 56);
	assert_true(gr_layouts_field(&hand, "runtime.g", "notype", &off, &size));
	assert_int_equal(off, 200);
	assert_int_equal(size, 0);
	/* NULL out-parameters are allowed */
	assert_true(gr_layouts_field(&hand, "runtime.g", "sched.pc", NULL, NULL));

	off = 777;
	assert_false(gr_layouts_offset(&hand, "runtime.g", "nosuch", &off));
	assert_false(gr_layouts_offset(&hand, "runtime.g", "sched.nosuch", &off));
	assert_false(gr_layouts_offset(&hand, "runtime.g", "sched.sp.x", &off));
	assert_false(gr_layouts_offset(&hand, "runtime.g", "m.id", &off));   /* pointer, not by value */
	assert_false(gr_layouts_offset(&hand, "runtime.g", "notype.x", &off));
	assert_false(gr_layouts_offset(&hand, "runtime.g", "", &off));
	assert_false(gr_layouts_offset(&hand, "runtime.g", ".sched", &off));
	assert_false(gr_layouts_offset(&hand, "runtime.g", "sched.", &off));
	assert_false(gr_layouts_offset(&hand, "runtime.g", "sched..sp", &off));
	assert_false(gr_layouts_offset(&hand, "runtime.g", "sch", &off));     /* prefix of a name */
	assert_false(gr_layouts_offset(&hand, "runtime.g", "schedx", &off));
	assert_false(gr_layouts_offset(&hand, "runtime.g", NULL, &off));
	assert_false(gr_layouts_offset(&hand, "runtime.m", "id", &off));
	assert_false(gr_layouts_offset(&hand, NULL, "id", &off));
	assert_false(gr_layouts_offset(NULL, "runtime.g", "goid", &off));
	assert_int_equal(off, 777); /* untouched on failure */

	/* self-containing struct: a long path is refused, not looped on */
	char path[1024] = "loop";
	for (int i = 0; i < 100; i++)
		strcat(path, ".self");
	assert_false(gr_layouts_offset(&hand, "runtime.g", path, &off));
	assert_true(gr_layouts_offset(&hand, "runtime.g", "loop.self.self", &off));
	assert_int_equal(off, 302);
	/* offsets that overflow are refused */
	assert_false(gr_layouts_offset(&hand, "runtime.huge", "a.a", &off));
	assert_true(gr_layouts_offset(&hand, "runtime.huge", "a", &off));
	assert_int_equal(off, UINT64_MAX - 1);
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	assert_non_null(p);
	return p;
}

static void test_generic_destroy(void **state)
{
	(void)state;
	gr_layouts_destroy(NULL);

	struct gr_layouts *l = calloc(1, sizeof(*l));
	assert_non_null(l);
	l->source = GR_SOURCE_TYPES;
	l->nstructs = 2;
	l->structs = calloc(2, sizeof(*l->structs));
	assert_non_null(l->structs);
	l->structs[0].name = xstrdup("runtime.gobuf");
	l->structs[0].size = 56;
	l->structs[0].nfields = 2;
	l->structs[0].fields = calloc(2, sizeof(struct gr_field));
	assert_non_null(l->structs[0].fields);
	l->structs[0].fields[0].name = xstrdup("sp");
	l->structs[0].fields[0].type_name = xstrdup("uintptr");
	l->structs[0].fields[1].name = xstrdup("pc");
	l->structs[0].fields[1].offset = 8;
	l->structs[1].name = xstrdup("runtime.empty");
	uint64_t off;
	assert_true(gr_layouts_offset(l, "runtime.gobuf", "pc", &off));
	assert_int_equal(off, 8);
	assert_false(gr_layouts_offset(l, "runtime.empty", "x", &off));
	gr_layouts_destroy(l); /* ASan/LSan builds check that all of it is freed */
}

/* ---- DWARF ---- */

static const char *const wanted_names[] = {
	"runtime.g", "runtime.m", "runtime.gobuf", "runtime.stack",
	"runtime._panic", "runtime._defer", "runtime.moduledata",
	"runtime.funcval", "runtime.p", "runtime.schedt",
};
#define NWANTED (sizeof(wanted_names) / sizeof(wanted_names[0]))

/* Path of the layout fixture; fails the test when it is not there. */
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

static struct gr_layouts *load(const char *path, const char *const *names,
			       size_t n, double *ms_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	struct gr_layouts *l = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct gc_error *err = gr_layouts_from_dwarf(fd, path, names, n, &l);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	if (ms_ret)
		*ms_ret = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			  (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (err)
		fail_msg("gr_layouts_from_dwarf(%s): %s", path, err->message);
	assert_non_null(l);
	assert_int_equal(l->source, GR_SOURCE_DWARF);
	return l;
}

static void expect_offset(const struct gr_layouts *l, const char *sname,
			  const char *path, uint64_t want)
{
	uint64_t off;
	if (!gr_layouts_offset(l, sname, path, &off))
		fail_msg("%s.%s: not found", sname, path);
	if (off != want)
		fail_msg("%s.%s: offset %llu, want %llu", sname, path,
			 (unsigned long long)off, (unsigned long long)want);
}

static void expect_type(const struct gr_layouts *l, const char *sname,
			const char *fname, const char *want_type, uint64_t want_size)
{
	const struct gr_struct *s = gr_layouts_struct(l, sname);
	assert_non_null(s);
	for (size_t i = 0; i < s->nfields; i++) {
		const struct gr_field *f = &s->fields[i];
		if (strcmp(f->name, fname) != 0)
			continue;
		if (!f->type_name || strcmp(f->type_name, want_type) != 0)
			fail_msg("%s.%s: type %s, want %s", sname, fname,
				 f->type_name ? f->type_name : "(none)", want_type);
		if (f->size != want_size)
			fail_msg("%s.%s: size %llu, want %llu", sname, fname,
				 (unsigned long long)f->size, (unsigned long long)want_size);
		return;
	}
	fail_msg("%s has no field %s", sname, fname);
}

static void expect_size(const struct gr_layouts *l, const char *sname, uint64_t want)
{
	const struct gr_struct *s = gr_layouts_struct(l, sname);
	if (!s)
		fail_msg("%s not loaded", sname);
	if (s->size != want)
		fail_msg("sizeof(%s) = %llu, want %llu", sname,
			 (unsigned long long)s->size, (unsigned long long)want);
}

static void test_dwarf_go119(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof(path));
	double ms;
	struct gr_layouts *l = load(path, wanted_names, NWANTED, &ms);
	print_message("gr_layouts_from_dwarf(%zu names): %.2f ms, %zu structs\n",
		      NWANTED, ms, l->nstructs);
	for (size_t i = 0; i < NWANTED; i++) {
		if (!gr_layouts_struct(l, wanted_names[i]))
			fail_msg("%s not loaded", wanted_names[i]);
	}

	/* §3.1, §3.2 and Appendix A, go1.19 column */
	expect_size(l, "runtime.g", 392);
	expect_size(l, "runtime.gobuf", 56);
	expect_size(l, "runtime.stack", 16);
	expect_offset(l, "runtime.g", "stack.lo", 0);
	expect_offset(l, "runtime.g", "stack.hi", 8);
	expect_offset(l, "runtime.g", "_panic", 32);
	expect_offset(l, "runtime.g", "_defer", 40);
	expect_offset(l, "runtime.g", "m", 48);
	expect_offset(l, "runtime.g", "sched", 56);
	expect_offset(l, "runtime.g", "sched.sp", 56);
	expect_offset(l, "runtime.g", "sched.pc", 64);
	expect_offset(l, "runtime.g", "sched.g", 72);
	expect_offset(l, "runtime.g", "sched.lr", 96);
	expect_offset(l, "runtime.g", "sched.bp", 104);
	expect_offset(l, "runtime.g", "syscallsp", 112);
	expect_offset(l, "runtime.g", "syscallpc", 120);
	expect_offset(l, "runtime.g", "atomicstatus", 144);
	expect_offset(l, "runtime.g", "goid", 152);
	expect_offset(l, "runtime.g", "waitsince", 168);
	expect_offset(l, "runtime.g", "waitreason", 176);
	expect_offset(l, "runtime.g", "lockedm", 232);
	expect_offset(l, "runtime.g", "gopc", 296);
	expect_offset(l, "runtime.g", "startpc", 312);
	expect_offset(l, "runtime.g", "labels", 360);
	expect_offset(l, "runtime.g", "gcAssistBytes", 384);
	expect_offset(l, "runtime.gobuf", "bp", 48);

	uint64_t off, size;
	assert_true(gr_layouts_field(l, "runtime.g", "atomicstatus", &off, &size));
	assert_int_equal(size, 4); /* uint32 up to go1.19 */
	assert_true(gr_layouts_field(l, "runtime.g", "waitreason", &off, &size));
	assert_int_equal(size, 1);
	assert_true(gr_layouts_field(l, "runtime.g", "goid", &off, &size));
	assert_int_equal(size, 8);
	assert_false(gr_layouts_offset(l, "runtime.g", "nosuchfield", &off));
	assert_false(gr_layouts_offset(l, "runtime.g", "m.curg", &off)); /* pointer */

	/* member type names and sizes */
	expect_type(l, "runtime.g", "m", "*runtime.m", 8);
	expect_type(l, "runtime.g", "sched", "runtime.gobuf", 56);
	expect_type(l, "runtime.g", "stack", "runtime.stack", 16);
	expect_type(l, "runtime.g", "_panic", "*runtime._panic", 8);
	expect_type(l, "runtime.g", "syscallsp", "uintptr", 8);
	expect_type(l, "runtime.g", "lockedm", "runtime.muintptr", 8);
	expect_type(l, "runtime.g", "writebuf", "[]uint8", 24);
	expect_type(l, "runtime.m", "curg", "*runtime.g", 8);
	expect_type(l, "runtime.m", "procid", "uint64", 8);
	expect_type(l, "runtime.m", "g0", "*runtime.g", 8);

	/* §3.3, go1.19 column */
	expect_size(l, "runtime.m", 1008);
	expect_offset(l, "runtime.m", "g0", 0);
	expect_offset(l, "runtime.m", "morebuf", 8);
	expect_offset(l, "runtime.m", "morebuf.sp", 8);
	expect_offset(l, "runtime.m", "procid", 72);
	expect_offset(l, "runtime.m", "gsignal", 80);
	expect_offset(l, "runtime.m", "tls", 136);
	expect_offset(l, "runtime.m", "curg", 192);
	expect_offset(l, "runtime.m", "p", 208);
	expect_offset(l, "runtime.m", "id", 232);
	expect_offset(l, "runtime.m", "alllink", 336);
	expect_offset(l, "runtime.m", "lockedg", 352);
	expect_offset(l, "runtime.m", "vdsoSP", 800);
	expect_offset(l, "runtime.m", "vdsoPC", 808);
	expect_offset(l, "runtime.m", "locksHeld", 848);
	assert_true(gr_layouts_field(l, "runtime.m", "tls", &off, &size));
	assert_int_equal(size, 48); /* [6]uintptr */

	/* §2.1, go1.19 column */
	expect_size(l, "runtime.moduledata", 552);
	expect_offset(l, "runtime.moduledata", "pcHeader", 0);
	expect_offset(l, "runtime.moduledata", "funcnametab", 8);
	expect_offset(l, "runtime.moduledata", "cutab", 32);
	expect_offset(l, "runtime.moduledata", "filetab", 56);
	expect_offset(l, "runtime.moduledata", "pctab", 80);
	expect_offset(l, "runtime.moduledata", "pclntable", 104);
	expect_offset(l, "runtime.moduledata", "ftab", 128);
	expect_offset(l, "runtime.moduledata", "ftab.len", 136);
	expect_offset(l, "runtime.moduledata", "minpc", 160);
	expect_offset(l, "runtime.moduledata", "text", 176);
	expect_offset(l, "runtime.moduledata", "etext", 184);
	expect_offset(l, "runtime.moduledata", "types", 280);
	expect_offset(l, "runtime.moduledata", "etypes", 288);
	expect_offset(l, "runtime.moduledata", "rodata", 296);
	expect_offset(l, "runtime.moduledata", "gofunc", 304);
	expect_offset(l, "runtime.moduledata", "textsectmap", 312);
	expect_offset(l, "runtime.moduledata", "typelinks", 336);
	expect_offset(l, "runtime.moduledata", "modulename", 448);
	expect_offset(l, "runtime.moduledata", "next", 544);
	expect_type(l, "runtime.moduledata", "pcHeader", "*runtime.pcHeader", 8);
	expect_type(l, "runtime.moduledata", "ftab", "[]runtime.functab", 24);
	expect_type(l, "runtime.moduledata", "modulename", "string", 16);

	/* runtime2.go, go1.19: _panic{argp, arg, link, pc, sp, recovered,
	 * aborted, goexit}; _defer{started, heap, openDefer, sp, pc, fn,
	 * _panic, link, fd, varp, framepc}; funcval{fn} */
	expect_size(l, "runtime._panic", 56);
	expect_offset(l, "runtime._panic", "argp", 0);
	expect_offset(l, "runtime._panic", "arg", 8);
	expect_offset(l, "runtime._panic", "link", 24);
	expect_offset(l, "runtime._panic", "pc", 32);
	expect_offset(l, "runtime._panic", "sp", 40);
	/* Go emits "interface {}" as a typedef of runtime.eface; the struct is
	 * added under the member's type name so paths go through it. */
	expect_type(l, "runtime._panic", "arg", "interface {}", 16);
	expect_offset(l, "runtime._panic", "arg._type", 8);
	expect_offset(l, "runtime._panic", "arg.data", 16);
	expect_size(l, "runtime._defer", 72);
	expect_offset(l, "runtime._defer", "sp", 8);
	expect_offset(l, "runtime._defer", "pc", 16);
	expect_offset(l, "runtime._defer", "fn", 24);
	expect_offset(l, "runtime._defer", "link", 40);
	expect_type(l, "runtime._defer", "fn", "func()", 8);
	expect_size(l, "runtime.funcval", 8);
	expect_offset(l, "runtime.funcval", "fn", 0);
	assert_non_null(gr_layouts_struct(l, "runtime.p"));
	assert_non_null(gr_layouts_struct(l, "runtime.schedt"));
	expect_offset(l, "runtime.p", "id", 0);

	gr_layouts_destroy(l);
}

static void test_dwarf_subset_and_missing(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof(path));

	/* Only runtime.g asked: the structs it holds by value come along,
	 * the ones it points to do not. */
	const char *const one[] = { "runtime.g" };
	struct gr_layouts *l = load(path, one, 1, NULL);
	assert_non_null(gr_layouts_struct(l, "runtime.g"));
	assert_non_null(gr_layouts_struct(l, "runtime.gobuf"));
	assert_non_null(gr_layouts_struct(l, "runtime.stack"));
	assert_null(gr_layouts_struct(l, "runtime.m"));
	expect_offset(l, "runtime.g", "sched.sp", 56);
	gr_layouts_destroy(l);

	/* A name not in the binary is left out; the rest still comes. */
	const char *const some[] = { "runtime.nosuchtype", "runtime.gobuf" };
	double ms;
	l = load(path, some, 2, &ms);
	print_message("full walk (one name missing): %.2f ms\n", ms);
	assert_null(gr_layouts_struct(l, "runtime.nosuchtype"));
	expect_size(l, "runtime.gobuf", 56);
	gr_layouts_destroy(l);

	/* Nothing asked: an empty set. */
	l = load(path, NULL, 0, NULL);
	assert_int_equal(l->nstructs, 0);
	gr_layouts_destroy(l);
}

/* Runs cmd with /bin/sh; fails the test with its output if it fails. */
static void run(const char *cmd)
{
	int status = system(cmd);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("command failed (status %d): %s", status, cmd);
}

static char tmpdir[256];

static void make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/gocore-layout-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		fail_msg("mkdtemp %s: %s", tmpdir, strerror(errno));
}

static void remove_tmpdir(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		print_message("could not remove %s\n", tmpdir);
}

static void expect_load_error(const char *path, enum gc_error_code code,
			      const char *substr)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	struct gr_layouts *l = (struct gr_layouts *)1;
	struct gc_error *err = gr_layouts_from_dwarf(fd, path, wanted_names,
						     NWANTED, &l);
	close(fd);
	if (!err)
		fail_msg("%s: loaded, want error %d", path, (int)code);
	assert_null(l);
	if (err->code != code || (substr && !strstr(err->message, substr)))
		fail_msg("%s: error %d \"%s\", want %d containing \"%s\"", path,
			 (int)err->code, err->message, (int)code, substr ? substr : "");
	gc_error_destroy(err);
}

static void test_dwarf_stripped(void **state)
{
	(void)state;
	if (system("command -v go >/dev/null 2>&1") != 0)
		fail_msg("`go` is not on PATH; this test builds a Go binary with "
			 "-ldflags=-w (Debian: apt-get install golang-go)");
	const char *src = getenv("GOCORE_TESTDATA");
	if (!src || !*src)
		src = "testdata";
	char mainpath[4096];
	snprintf(mainpath, sizeof(mainpath), "%s/layout/main.go", src);
	if (access(mainpath, R_OK) != 0)
		fail_msg("%s not found; run from the repository root or set "
			 "GOCORE_TESTDATA", mainpath);

	make_tmpdir();
	char cmd[8192], bin[512];
	snprintf(bin, sizeof(bin), "%s/layout-w", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && GOFLAGS=-mod=mod go build -ldflags=-w -o '%s' ./layout",
		 src, bin);
	run(cmd);
	expect_load_error(bin, GC_ERR_NOT_FOUND, "no DWARF (built with -ldflags=-w?)");
	assert_non_null(strstr(bin, "layout-w")); /* message names the file */
	remove_tmpdir();
}

/* A file that is not ELF at all. */
static void test_dwarf_not_elf(void **state)
{
	(void)state;
	make_tmpdir();
	char path[512];
	snprintf(path, sizeof(path), "%s/notelf", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not an ELF file\n", f);
	fclose(f);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct gr_layouts *l = NULL;
	struct gc_error *err = gr_layouts_from_dwarf(fd, path, wanted_names,
						     NWANTED, &l);
	close(fd);
	assert_non_null(err);
	assert_null(l);
	assert_true(err->code == GC_ERR_NOT_FOUND || err->code == GC_ERR_FORMAT);
	assert_non_null(strstr(err->message, path));
	gc_error_destroy(err);
	remove_tmpdir();
}

/* Corrupt copies of the fixture's (decompressed) .debug_info: each must
 * load or fail with GC_ERR_FORMAT/GC_ERR_LIMIT, never crash or leak (run
 * under `make SANITIZE=1` to check the latter). */
static void test_dwarf_corrupt(void **state)
{
	(void)state;
	char path[4096];
	fixture_path(path, sizeof(path));
	if (system("command -v objcopy >/dev/null 2>&1") != 0)
		fail_msg("objcopy (binutils) is not on PATH; it is needed to "
			 "decompress the fixture's DWARF");
	make_tmpdir();
	char plain[512], cmd[8192];
	snprintf(plain, sizeof(plain), "%s/plain", tmpdir);
	snprintf(cmd, sizeof(cmd), "objcopy --decompress-debug-sections '%s' '%s'",
		 path, plain);
	run(cmd);

	/* The uncompressed copy reads the same. */
	struct gr_layouts *l = load(plain, wanted_names, NWANTED, NULL);
	expect_offset(l, "runtime.g", "sched.bp", 104);
	gr_layouts_destroy(l);

	/* Find .debug_info's file range with readelf rather than by hand. */
	snprintf(cmd, sizeof(cmd),
		 "readelf -W -S '%s' | sed -n 's/.*\\.debug_info *PROGBITS *[0-9a-f]* \\([0-9a-f]*\\) \\([0-9a-f]*\\).*/\\1 \\2/p'",
		 plain);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	unsigned long long sec_off = 0, sec_size = 0;
	int got = fscanf(p, "%llx %llx", &sec_off, &sec_size);
	pclose(p);
	if (got != 2 || sec_size < 4096)
		fail_msg("could not find .debug_info in %s", plain);

	FILE *in = fopen(plain, "rb");
	assert_non_null(in);
	struct stat st;
	assert_int_equal(fstat(fileno(in), &st), 0);
	unsigned char *orig = malloc((size_t)st.st_size);
	assert_non_null(orig);
	assert_int_equal(fread(orig, 1, (size_t)st.st_size, in), (size_t)st.st_size);
	fclose(in);

	char bad[512];
	snprintf(bad, sizeof(bad), "%s/bad", tmpdir);
	unsigned seed = 1;
	int nerr = 0, nok = 0;
	for (int iter = 0; iter < 60; iter++) {
		FILE *out = fopen(bad, "wb");
		assert_non_null(out);
		unsigned char *copy = malloc((size_t)st.st_size);
		assert_non_null(copy);
		memcpy(copy, orig, (size_t)st.st_size);
		/* first iterations hit the first CU header, then anywhere */
		int nbytes = 1 + (int)(rand_r(&seed) % 8);
		for (int k = 0; k < nbytes; k++) {
			unsigned long long at = iter < 12 ? (unsigned long long)iter
				: rand_r(&seed) % sec_size;
			copy[sec_off + at] = (unsigned char)rand_r(&seed);
		}
		assert_int_equal(fwrite(copy, 1, (size_t)st.st_size, out), (size_t)st.st_size);
		fclose(out);
		free(copy);

		int fd = open(bad, O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		struct gr_layouts *bl = NULL;
		struct gc_error *err = gr_layouts_from_dwarf(fd, bad, wanted_names,
							     NWANTED, &bl);
		close(fd);
		if (err) {
			if (err->code != GC_ERR_FORMAT && err->code != GC_ERR_LIMIT)
				fail_msg("iteration %d: error %d: %s", iter,
					 (int)err->code, err->message);
			assert_non_null(strstr(err->message, bad));
			assert_null(bl);
			gc_error_destroy(err);
			nerr++;
		} else {
			assert_non_null(bl);
			gr_layouts_destroy(bl);
			nok++;
		}
	}
	print_message("corrupt .debug_info: %d rejected, %d read\n", nerr, nok);
	free(orig);
	remove_tmpdir();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generic_struct),
		cmocka_unit_test(test_generic_paths),
		cmocka_unit_test(test_generic_destroy),
		cmocka_unit_test(test_dwarf_go119),
		cmocka_unit_test(test_dwarf_subset_and_missing),
		cmocka_unit_test(test_dwarf_stripped),
		cmocka_unit_test(test_dwarf_not_elf),
		cmocka_unit_test(test_dwarf_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
