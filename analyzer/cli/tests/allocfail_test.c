/* Allocation-failure injection (as libbacktrace's tests do): a real core of
 * $GOCORE_FIXTURES/crashcore is opened with session_open(), the path the
 * CLI takes, with the Nth allocation made to fail for N = 1, 2, ... until an
 * open completes with nothing injected.  Every injected failure must
 * surface, with the exit code the CLI would give (main.c: a success with
 * gaps is 3): either as an error, exit 2 with "out of memory" on stderr, or
 * as a visible degradation, exit 3 with a warning on stderr.  None may be
 * tolerated (exit 0, as if nothing happened).  Once the session is closed
 * every allocation made since the start must be freed.  Then the same for
 * the commands (goroutines, --json, -v, --color, summary, overview, threads,
 * pprof, leaks, waits), each run over a fresh session opened without
 * failures.
 *
 * The allocator is wrapped with the linker's --wrap, so only allocations
 * made by gocore's own code (this file and libgocore.a) are counted and
 * failed; libelf's and libdwarf's are not (they are shared libraries).  Link
 * with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=reallocarray,
 *   --wrap=free,--wrap=strdup,--wrap=strndup,--wrap=vasprintf,
 *   --wrap=asprintf,--wrap=open_memstream
 * Built without those flags the test skips (the __real_ symbols are weak).
 *
 * The commands run on one thread (GOCORE_JOBS=1), so that the Nth
 * allocation is the same one from run to run.
 *
 * GOCORE_ALLOCFAIL_CORE and GOCORE_ALLOCFAIL_EXE use another core;
 * GOCORE_ALLOCFAIL_VERBOSE=1 leaves gocore's stderr on the terminal (it is
 * otherwise kept in a file, shown when a check fails). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../commands.h"
#include "../session.h"
#include "../../tests/testutil.h"

/* ---- the wrapped allocator ---- */

extern void *__real_malloc(size_t n) __attribute__((weak));
extern void *__real_calloc(size_t n, size_t size) __attribute__((weak));
extern void *__real_realloc(void *p, size_t n) __attribute__((weak));
extern void *__real_reallocarray(void *p, size_t n, size_t size) __attribute__((weak));
extern void __real_free(void *p) __attribute__((weak));
extern int __real_vasprintf(char **ret, const char *fmt, va_list ap) __attribute__((weak));
extern FILE *__real_open_memstream(char **ptr, size_t *size) __attribute__((weak));

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_reallocarray(void *p, size_t n, size_t size);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_vasprintf(char **ret, const char *fmt, va_list ap);
int __wrap_asprintf(char **ret, const char *fmt, ...);
FILE *__wrap_open_memstream(char **ptr, size_t *size);

/* Live allocations made through the wrappers: an open-addressing set of
 * pointers, each with the address of the code that allocated it.  Frees of
 * pointers not in the set (made by libc or libelf) pass through. */
#define SLOTS (1u << 20)
#define TOMBSTONE ((void *)1)
static struct slot {
	void *p;
	void *caller;
} slots[SLOTS];
static size_t live;

static struct injection {
	bool armed;
	unsigned long count;   /* allocation attempts since arming */
	unsigned long fail_at; /* this one fails */
	bool failed;
	void *failed_caller;
} inj;

static size_t slot_hash(const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 44) & (SLOTS - 1);
}

static void track(void *p, void *caller)
{
	if (!p)
		return;
	size_t i = slot_hash(p);
	while (slots[i].p && slots[i].p != TOMBSTONE)
		i = (i + 1) & (SLOTS - 1);
	slots[i] = (struct slot){p, caller};
	if (++live > SLOTS / 2)
		abort(); /* the set is full: raise SLOTS */
}

static bool untrack(void *p)
{
	if (!p)
		return false;
	for (size_t i = slot_hash(p); slots[i].p; i = (i + 1) & (SLOTS - 1))
		if (slots[i].p == p) {
			slots[i].p = TOMBSTONE;
			live--;
			return true;
		}
	return false;
}

static bool fail_now(void *caller)
{
	if (!inj.armed)
		return false;
	if (++inj.count != inj.fail_at)
		return false;
	inj.failed = true;
	inj.failed_caller = caller;
	return true;
}

#define CALLER __builtin_return_address(0)

/* A code address as an offset into this executable (PIE), for
 * `addr2line -f -i -e TEST OFFSET`. */
extern char __executable_start;
static unsigned long code_offset(const void *pc)
{
	return (unsigned long)((const char *)pc - &__executable_start);
}

/* Sites (allocating code) whose failure did not surface, each printed
 * once. */
static const void *tolerated_sites[256];
static size_t ntolerated_sites;
static void note_tolerated(const char *what, unsigned long n, const void *site, int rc)
{
	for (size_t i = 0; i < ntolerated_sites; i++)
		if (tolerated_sites[i] == site)
			return;
	if (ntolerated_sites < 256)
		tolerated_sites[ntolerated_sites++] = site;
	print_message("  %s: allocation %lu (at +0x%lx) failed and it %s\n", what, n,
		      code_offset(site),
		      rc == EXIT_OK     ? "still succeeded (exit 0)"
		      : rc == EXIT_GAPS ? "exited 3 without a warning"
					: "exited 2 without saying \"out of memory\"");
}

void *__wrap_malloc(size_t n)
{
	if (fail_now(CALLER))
		return NULL;
	void *p = __real_malloc(n);
	track(p, CALLER);
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	if (fail_now(CALLER))
		return NULL;
	void *p = __real_calloc(n, size);
	track(p, CALLER);
	return p;
}

void *__wrap_realloc(void *old, size_t n)
{
	if (fail_now(CALLER))
		return NULL;
	bool mine = untrack(old);
	void *p = __real_realloc(old, n);
	if (p)
		track(p, CALLER);
	else if (mine)
		track(old, CALLER);
	return p;
}

void *__wrap_reallocarray(void *old, size_t n, size_t size)
{
	if (fail_now(CALLER))
		return NULL;
	bool mine = untrack(old);
	void *p = __real_reallocarray(old, n, size);
	if (p)
		track(p, CALLER);
	else if (mine)
		track(old, CALLER);
	return p;
}

void __wrap_free(void *p)
{
	untrack(p);
	__real_free(p);
}

char *__wrap_strdup(const char *s)
{
	if (fail_now(CALLER))
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = __real_malloc(n);
	if (p) {
		memcpy(p, s, n);
		track(p, CALLER);
	}
	return p;
}

char *__wrap_strndup(const char *s, size_t max)
{
	if (fail_now(CALLER))
		return NULL;
	size_t n = strnlen(s, max);
	char *p = __real_malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
		track(p, CALLER);
	}
	return p;
}

int __wrap_vasprintf(char **ret, const char *fmt, va_list ap)
{
	if (fail_now(CALLER))
		return -1;
	int n = __real_vasprintf(ret, fmt, ap);
	if (n >= 0)
		track(*ret, CALLER);
	return n;
}

int __wrap_asprintf(char **ret, const char *fmt, ...)
{
	if (fail_now(CALLER))
		return -1;
	va_list ap;
	va_start(ap, fmt);
	int n = __real_vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n >= 0)
		track(*ret, CALLER);
	return n;
}

/* The buffer is libc's (realloc'd by the stream): not tracked, but the
 * open itself can fail. */
FILE *__wrap_open_memstream(char **ptr, size_t *size)
{
	if (fail_now(CALLER))
		return NULL;
	return __real_open_memstream(ptr, size);
}

static bool wrapped(void)
{
	return __real_malloc && __real_calloc && __real_realloc && __real_free &&
	       __real_reallocarray && __real_vasprintf && __real_open_memstream;
}

/* ---- harness ---- */

static struct {
	char *dir, *core, *exe;
	char *err_path;     /* where gocore's stderr goes during the runs */
	int saved_stderr, saved_stdout;
} fx;

/* gocore writes messages to stderr and command output to stdout: send them
 * to a file and /dev/null while failures are injected. */
static void quiet(void)
{
	fflush(stdout);
	fflush(stderr);
	if (getenv("GOCORE_ALLOCFAIL_VERBOSE"))
		return;
	fx.saved_stdout = dup(1);
	fx.saved_stderr = dup(2);
	int null = open("/dev/null", O_WRONLY);
	int err = open(fx.err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(null >= 0 && err >= 0 && fx.saved_stdout >= 0 && fx.saved_stderr >= 0);
	dup2(null, 1);
	dup2(err, 2);
	close(null);
	close(err);
}

static void loud(void)
{
	fflush(stdout);
	fflush(stderr);
	if (getenv("GOCORE_ALLOCFAIL_VERBOSE"))
		return;
	dup2(fx.saved_stdout, 1);
	dup2(fx.saved_stderr, 2);
	close(fx.saved_stdout);
	close(fx.saved_stderr);
}

static void arm(unsigned long fail_at)
{
	inj = (struct injection){.armed = true, .fail_at = fail_at};
}

static void disarm(void)
{
	inj.armed = false;
}

/* Prints up to 10 allocations still live that were made after mark (by
 * slot order; callers as addresses: addr2line -f -e TEST ADDR). */
static size_t report_leaks(void *const *before, size_t nbefore)
{
	size_t shown = 0;
	for (size_t i = 0; i < SLOTS && shown < 10; i++) {
		void *p = slots[i].p;
		if (!p || p == TOMBSTONE)
			continue;
		bool old = false;
		for (size_t k = 0; k < nbefore && !old; k++)
			old = before[k] == p;
		if (old)
			continue;
		print_message("    leaked %p, allocated at +0x%lx\n", p, code_offset(slots[i].caller));
		shown++;
	}
	return shown;
}

/* The pointers live now (malloc'd with the real allocator, not tracked). */
static void **snapshot(size_t *n_ret)
{
	void **v = __real_malloc((live + 1) * sizeof(*v));
	assert_non_null(v);
	size_t n = 0;
	for (size_t i = 0; i < SLOTS; i++)
		if (slots[i].p && slots[i].p != TOMBSTONE)
			v[n++] = slots[i].p;
	*n_ret = n;
	return v;
}

struct tally {
	unsigned long points;    /* allocation points failed in turn */
	unsigned long errors;    /* ... that made it exit 2, "out of memory" */
	unsigned long degraded;  /* ... that made it exit 3 with a warning */
	unsigned long tolerated; /* ... that did not surface (anything else) */
	unsigned long leaks;     /* runs that left allocations behind */
};

/* The exit code main.c gives for rc and the session's gaps. */
static int exit_code(int rc, const struct session *s)
{
	return rc == EXIT_OK && s->gaps ? EXIT_GAPS : rc;
}

/* Counts one injected failure by how it surfaced: rc is the exit code, and
 * gocore's stderr of the run is in fx.err_path. */
static void judge(struct tally *t, const char *what, unsigned long n, int rc);

static int setup(void **state)
{
	(void)state;
	if (!wrapped())
		return 0;
	memset(&fx, 0, sizeof(fx));
	fx.dir = tu_tmpdir();
	assert_true(asprintf(&fx.err_path, "%s/gocore-stderr.txt", fx.dir) > 0);
	const char *core = getenv("GOCORE_ALLOCFAIL_CORE");
	if (core && *core) {
		fx.core = strdup(core);
		const char *exe = getenv("GOCORE_ALLOCFAIL_EXE");
		fx.exe = exe && *exe ? strdup(exe) : NULL;
		return 0;
	}
	char *fixture = tu_fixture("crashcore");
	char real_exe[PATH_MAX];
	if (!realpath(fixture, real_exe))
		fail_msg("realpath %s: %s", fixture, strerror(errno));
	free(fixture);
	fx.exe = strdup(real_exe);
	char *oracle = NULL;
	assert_true(asprintf(&oracle, "%s/oracle.txt", fx.dir) > 0);
	fx.core = tu_crash_core(fx.exe, "crash", fx.dir, oracle);
	free(oracle);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (!fx.dir)
		return 0;
	free(fx.core);
	free(fx.exe);
	free(fx.err_path);
	tu_rmdir(fx.dir);
	memset(&fx, 0, sizeof(fx));
	return 0;
}

static void show_stderr(void)
{
	char *tail = tu_file_tail(fx.err_path);
	print_message("  gocore's stderr ended with:\n%s\n", tail);
	free(tail);
}

static bool stderr_has(const char *what)
{
	if (getenv("GOCORE_ALLOCFAIL_VERBOSE"))
		return true; /* stderr went to the terminal */
	size_t n;
	FILE *f = fopen(fx.err_path, "rb");
	if (!f)
		return false;
	char *buf = __real_malloc(1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	bool found = strstr(buf, what) != NULL;
	__real_free(buf);
	return found;
}

static void judge(struct tally *t, const char *what, unsigned long n, int rc)
{
	t->points++;
	if (rc == EXIT_INPUT && stderr_has("out of memory")) {
		t->errors++;
	} else if (rc == EXIT_GAPS && stderr_has("gocore: ")) {
		t->degraded++;
	} else {
		t->tolerated++;
		note_tolerated(what, n, inj.failed_caller, rc);
	}
}

/* ---- session_open ---- */

static void test_session_open(void **state)
{
	(void)state;
	if (!wrapped())
		skip(); /* not linked with --wrap: see the top of this file */
	/* Once without failures: the open must work, and whatever the first
	 * open caches for good is allocated before the baseline. */
	struct session s;
	quiet();
	int rc = session_open(&s, fx.core, fx.exe, NULL, false, 0);
	session_close(&s);
	loud();
	if (rc != EXIT_OK) {
		show_stderr();
		fail_msg("session_open(%s, %s) fails without injected failures: %d", fx.core,
			 fx.exe ? fx.exe : "(from the core)", rc);
	}
	size_t nbase;
	void **base = snapshot(&nbase);
	struct tally t = {0};
	for (unsigned long n = 1;; n++) {
		size_t live0 = live;
		quiet();
		arm(n);
		rc = session_open(&s, fx.core, fx.exe, NULL, false, 0);
		rc = exit_code(rc, &s);
		session_close(&s);
		disarm();
		loud();
		if (!inj.failed) {
			if (rc != EXIT_OK) {
				show_stderr();
				fail_msg("session_open without an injected failure (N = %lu): %d", n, rc);
			}
			break;
		}
		judge(&t, "session_open", n, rc);
		if (live != live0) {
			t.leaks++;
			print_message("  allocation %lu (at +0x%lx) failed: %zu allocation(s) leaked\n",
				      n, code_offset(inj.failed_caller), live - live0);
			report_leaks(base, nbase);
			/* Forget them, so that the next run is judged alone. */
			__real_free(base);
			base = snapshot(&nbase);
		}
	}
	__real_free(base);
	print_message("session_open: %lu allocation points failed in turn: %lu errors (exit 2), "
		      "%lu degraded (exit 3), %lu not surfaced, %lu leaking\n", t.points, t.errors,
		      t.degraded, t.tolerated, t.leaks);
	assert_true(t.points > 0);
	assert_int_equal(t.tolerated, 0);
	assert_int_equal(t.leaks, 0);
}

/* ---- the commands, over a session opened without failures ---- */

struct command {
	const char *name;
	int (*run)(struct session *s, const struct cmd_options *o);
	struct cmd_options o;
};

static void test_commands(void **state)
{
	(void)state;
	if (!wrapped())
		skip();
	char *pprof_path = NULL;
	assert_true(asprintf(&pprof_path, "%s/profile.pb.gz", fx.dir) > 0);
	char *report_path = NULL;
	assert_true(asprintf(&report_path, "%s/report.html", fx.dir) > 0);
	/* The heap walk's ~1,200 allocation points come with each command
	 * that walks the heap; overview and leaks are run once each (in their
	 * JSON and --summary forms), their text printing allocating nothing
	 * the others do not. */
	const struct command cmds[] = {
		{"goroutines", cmd_goroutines, {.filter = GR_FILTER_ALL}},
		{"goroutines -v", cmd_goroutines, {.filter = GR_FILTER_ALL, .frame_addrs = true}},
		{"goroutines --json", cmd_goroutines, {.filter = GR_FILTER_ALL, .json = true}},
		{"goroutines --color", cmd_goroutines, {.filter = GR_FILTER_ALL, .color = true}},
		{"summary", cmd_summary, {.filter = GR_FILTER_ALL}},
		{"summary --color", cmd_summary, {.filter = GR_FILTER_ALL, .color = true}},
		{"summary --json", cmd_summary, {.filter = GR_FILTER_ALL, .json = true}},
		{"overview --json", cmd_overview, {.filter = GR_FILTER_ALL, .json = true}},
		{"threads", cmd_threads, {.filter = GR_FILTER_ALL}},
		{"threads --json", cmd_threads, {.filter = GR_FILTER_ALL, .json = true}},
		{"pprof", cmd_pprof, {.filter = GR_FILTER_ALL, .output = pprof_path}},
		{"leaks --json", cmd_leaks, {.filter = GR_FILTER_ALL, .json = true}},
		{"leaks --summary --color", cmd_leaks,
		 {.filter = GR_FILTER_ALL, .summary = true, .color = true}},
		{"waits --json", cmd_waits, {.filter = GR_FILTER_ALL, .json = true}},
		{"report", cmd_report, {.filter = GR_FILTER_ALL, .output = report_path}},
	};
	/* Each run gets a session of its own, opened without failures, so
	 * that what a command caches in the process (the printer's renderings,
	 * names) is allocated anew, under injection, every time. */
	struct session s;
	int rc;
	unsigned long total = 0, total_leaks = 0, total_tolerated = 0;
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		/* A first run caches what lives as long as gocore (buffers). */
		quiet();
		rc = session_open(&s, fx.core, fx.exe, NULL, false, 0);
		if (rc == EXIT_OK)
			rc = exit_code(cmds[c].run(&s, &cmds[c].o), &s);
		session_close(&s);
		loud();
		if (rc != EXIT_OK) {
			show_stderr();
			fail_msg("%s fails without injected failures: %d", cmds[c].name, rc);
		}
		size_t nbase;
		void **base = snapshot(&nbase);
		struct tally t = {0};
		for (unsigned long n = 1;; n++) {
			size_t live0 = live;
			quiet();
			rc = session_open(&s, fx.core, fx.exe, NULL, false, 0);
			if (rc != EXIT_OK) {
				loud();
				show_stderr();
				fail_msg("session_open fails without injected failures: %d", rc);
			}
			arm(n);
			rc = cmds[c].run(&s, &cmds[c].o);
			disarm();
			fflush(stdout);
			fflush(stderr);
			rc = exit_code(rc, &s);
			session_close(&s);
			loud();
			if (!inj.failed)
				break;
			judge(&t, cmds[c].name, n, rc);
			if (live != live0) {
				t.leaks++;
				print_message("  %s: allocation %lu (at +0x%lx) failed: %zu allocation(s) "
					      "leaked\n", cmds[c].name, n,
					      code_offset(inj.failed_caller), live - live0);
				report_leaks(base, nbase);
				__real_free(base);
				base = snapshot(&nbase);
			}
		}
		__real_free(base);
		print_message("%s: %lu allocation points failed in turn: %lu errors (exit 2), %lu "
			      "degraded (exit 3), %lu not surfaced, %lu leaking\n", cmds[c].name,
			      t.points, t.errors, t.degraded, t.tolerated, t.leaks);
		total += t.points;
		total_leaks += t.leaks;
		total_tolerated += t.tolerated;
	}
	free(pprof_path);
	free(report_path);
	print_message("commands: %lu allocation points in all\n", total);
	assert_int_equal(total_tolerated, 0);
	assert_int_equal(total_leaks, 0);
}

int main(void)
{
	/* The Nth allocation is the same one in every run only on one thread:
	 * the commands would use every CPU (common/parallel.h). */
	setenv("GOCORE_JOBS", "1", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_open),
		cmocka_unit_test(test_commands),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
