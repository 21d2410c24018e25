/* Tests for goruntime/panic.c, throw.c, signal.c and gvalue.c, with the Go
 * runtime itself as the oracle.
 *
 * testdata/panics crashes in the way its argument names (built by `make
 * unit` into $GOCORE_FIXTURES/panics).  Each mode is run under
 * GOTRACEBACK=crash: its stderr begins with what the runtime printed before
 * the goroutine dump ("panic: …" lines or "fatal error: …", then for a
 * signal "[signal …]", then a blank line), and the kernel (or gdb's gcore)
 * leaves the core of that same crash.  For every mode:
 *   - gr_panic_message(crashing goroutine) must equal the oracle's lines
 *     before the blank line, without the "[signal …]" line, byte for byte;
 *   - gr_signal_line must equal the oracle's "[signal …]" line, or be ""
 *     when the oracle has none;
 *   - for panics, gr_crashing_goroutine must be the goroutine the oracle
 *     dumps first ("goroutine N [running]:").
 * The same core is then read through a stripped copy of the executable
 * (layouts from the type descriptors, moduledata found without symbols) and
 * must give the same text.  Values with Error/String methods need no
 * special case: preprintpanics has replaced them by their strings before
 * the core was written, so they too are compared exactly.
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

#include "../../common/addrspace.h"
#include "../../analyzer/elfcore.h"
#include "../../analyzer/elfexe.h"
#include "../../analyzer/tests/testutil.h"
#include "../panic.h"
#include "../process.h"
#include "../signal.h"

static void check(struct gc_error *err, const char *what)
{
	if (err)
		fail_msg("%s: %s", what, err->message);
}

struct session {
	struct ga_core *core;
	struct ga_exe *exe;
	struct gc_addrspace *as;
	struct gr_image image;
	struct gr_process *proc;
};

static void open_session(struct session *s, const char *core, const char *exe)
{
	memset(s, 0, sizeof(*s));
	check(ga_core_open(core, &s->core), "core");
	check(ga_exe_open(exe, &s->exe), "executable");
	uint64_t bias = ga_load_bias(s->exe, ga_core_exe_mapping(s->core));
	check(gc_addrspace_create(&s->as), "address space");
	check(ga_core_add_segments(s->core, s->as, 0), "core segments");
	check(ga_exe_add_segments(s->exe, s->as, 1, bias), "exe segments");
	ga_image_init(&s->image, s->core, s->exe, s->as, bias);
	struct gr_open_config cfg = {.image = &s->image, .warn = ga_warn_to_file, .warn_ctx = stderr};
	check(gr_process_open(&cfg, &s->proc), "gr_process_open");
}

static void close_session(struct session *s)
{
	gr_process_destroy(s->proc);
	gc_addrspace_destroy(s->as);
	ga_exe_close(s->exe);
	ga_core_close(s->core);
}

/* What the runtime printed before the dump, split: the panic/fatal lines
 * (each with its '\n'), the "[signal …]" line (no '\n', "" if none), and
 * the goid of the first "goroutine N" header (0 if none). */
struct oracle {
	char *message;
	char *signal;
	uint64_t first_goid;
};

static void parse_oracle(const char *text, struct oracle *o)
{
	const char *end = strstr(text, "\n\n");
	if (!end)
		fail_msg("the oracle has no blank line after its first lines:\n%s", text);
	size_t n = (size_t)(end - text) + 1;
	o->message = strndup(text, n);
	o->signal = strdup("");
	char *sig = strstr(o->message, "[signal ");
	if (sig && (sig == o->message || sig[-1] == '\n')) {
		free(o->signal);
		o->signal = strndup(sig, strcspn(sig, "\n"));
		*sig = '\0';
	}
	o->first_goid = 0;
	const char *g = strstr(end, "\ngoroutine ");
	if (g)
		o->first_goid = strtoull(g + 11, NULL, 10);
}

/* The panics fixture, realpath'd (malloc'd). */
static char *fixture(void)
{
	char *f = tu_fixture("panics");
	char real[PATH_MAX];
	if (!realpath(f, real))
		fail_msg("realpath %s: %s", f, strerror(errno));
	free(f);
	return strdup(real);
}

/* A stripped copy of exe in dir (symbols and DWARF gone), malloc'd path. */
static char *stripped_copy(const char *exe, const char *dir)
{
	char *out = NULL, *cmd = NULL;
	if (asprintf(&out, "%s/stripped", dir) < 0 ||
	    asprintf(&cmd, "strip -o '%s' '%s'", out, exe) < 0)
		fail_msg("out of memory");
	int rc = system(cmd);
	free(cmd);
	if (rc != 0)
		fail_msg("`strip` (binutils) failed with status %d: it is needed to read the "
			 "core through a stripped executable", rc);
	return out;
}

struct result {
	char *message, *signal;
	uint64_t goid;
};

static void read_result(struct session *s, struct result *r)
{
	const struct gr_goroutine *g = gr_crashing_goroutine(s->proc);
	r->goid = g ? g->goid : 0;
	check(gr_panic_message(s->proc, g, &r->message), "gr_panic_message");
	if (g)
		check(gr_signal_line(s->proc, g, &r->signal), "gr_signal_line");
	else
		r->signal = strdup("");
}

static void run_mode(const char *mode, bool is_panic)
{
	char *exe = fixture();
	char *dir = tu_tmpdir();
	char *oracle_path = NULL;
	if (asprintf(&oracle_path, "%s/oracle.txt", dir) < 0)
		fail_msg("out of memory");
	char *core = tu_crash_core(exe, mode, dir, oracle_path);
	size_t n;
	char *text = (char *)tu_read_file(oracle_path, &n);
	text = realloc(text, n + 1);
	text[n] = '\0';
	struct oracle o;
	parse_oracle(text, &o);

	struct session s;
	open_session(&s, core, exe);
	struct result r;
	read_result(&s, &r);
	print_message("%-10s oracle %s%s%s", mode, o.message, *o.signal ? o.signal : "",
		      *o.signal ? "\n" : "");
	assert_string_equal(r.message, o.message);
	assert_string_equal(r.signal, o.signal);
	if (is_panic) {
		assert_true(o.first_goid != 0);
		assert_int_equal(r.goid, o.first_goid);
	}
	/* The core's own signal: the runtime's crash() raises SIGABRT. */
	char line[256];
	assert_true(s.core->siginfo.present);
	gr_core_signal_line(line, sizeof(line), &s.image, &s.core->threads[0]);
	assert_true(strncmp(line, "[signal SIGABRT: abort code=0x", 30) == 0);
	close_session(&s);

	/* Through a stripped executable: type-descriptor layouts. */
	char *stripped = stripped_copy(exe, dir);
	open_session(&s, core, stripped);
	struct result r2;
	read_result(&s, &r2);
	assert_int_equal(gr_process_layout_source(s.proc), GR_SOURCE_TYPES);
	assert_string_equal(r2.message, o.message);
	assert_string_equal(r2.signal, o.signal);
	assert_int_equal(r2.goid, r.goid);
	close_session(&s);

	free(r.message);
	free(r.signal);
	free(r2.message);
	free(r2.signal);
	free(o.message);
	free(o.signal);
	free(stripped);
	free(text);
	free(core);
	free(oracle_path);
	free(exe);
	tu_rmdir(dir);
}

#define PANIC_TEST(name) \
	static void test_##name(void **state) { (void)state; run_mode(#name, true); }
#define FATAL_TEST(name) \
	static void test_##name(void **state) { (void)state; run_mode(#name, false); }

PANIC_TEST(string)
PANIC_TEST(multiline)
PANIC_TEST(error)
PANIC_TEST(wrapped)
PANIC_TEST(customerr)
PANIC_TEST(index)
PANIC_TEST(negindex)
PANIC_TEST(slicecap)
PANIC_TEST(sliceb)
PANIC_TEST(nilmap)
PANIC_TEST(myint)
PANIC_TEST(mystr)
PANIC_TEST(myfloat)
PANIC_TEST(mybool)
PANIC_TEST(int)
PANIC_TEST(float)
PANIC_TEST(uint8)
PANIC_TEST(complex)
PANIC_TEST(struct)
PANIC_TEST(pointer)
PANIC_TEST(stringer)
PANIC_TEST(nilderef)
PANIC_TEST(nilfunc)
PANIC_TEST(assert)
PANIC_TEST(chain)
PANIC_TEST(recovered)
PANIC_TEST(goroutine)
FATAL_TEST(deadlock)
FATAL_TEST(unlock)
/* newstack's two "runtime: …" lines: the limit debug.SetMaxStack set, read
 * through runtime.maxstacksize, or without symbols through the global
 * runtime/debug.setMaxStack writes. */
FATAL_TEST(overflow)

static void test_signal_names(void **state)
{
	(void)state;
	assert_string_equal(gr_signal_name(11), "SIGSEGV");
	assert_string_equal(gr_signal_description(11), "segmentation violation");
	assert_string_equal(gr_signal_name(6), "SIGABRT");
	assert_string_equal(gr_signal_description(8), "floating-point exception");
	assert_string_equal(gr_signal_name(33), "signal 33");
	assert_null(gr_signal_name(65));
	assert_null(gr_signal_description(-1));
	char buf[128];
	gr_format_signal_line(buf, sizeof(buf), 11, 1, 0, 0x45a2e7);
	assert_string_equal(buf, "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x45a2e7]");
	gr_format_signal_line(buf, sizeof(buf), 0x41, 0, 0, 1);
	assert_string_equal(buf, "[signal 0x41 code=0x0 addr=0x0 pc=0x1]");
	/* A synthetic image: no core, only its signal and one thread. */
	struct gr_image img = {
		.arch = &gr_arch_amd64,
		.siginfo = {.present = true, .signo = 6, .code = -6},
	};
	struct gr_image_thread th = {0};
	th.regs.r[gr_arch_amd64.reg_pc] = 0x4601a1;
	gr_core_signal_line(buf, sizeof(buf), &img, &th);
	assert_string_equal(buf, "[signal SIGABRT: abort code=0xfffffffffffffffa addr=0x0 pc=0x4601a1]");
	img.siginfo.present = false;
	assert_int_equal(gr_core_signal_line(buf, sizeof(buf), &img, &th), 0);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_string),    cmocka_unit_test(test_multiline),
		cmocka_unit_test(test_error),     cmocka_unit_test(test_wrapped),
		cmocka_unit_test(test_customerr), cmocka_unit_test(test_index),
		cmocka_unit_test(test_negindex),  cmocka_unit_test(test_slicecap),
		cmocka_unit_test(test_sliceb),    cmocka_unit_test(test_nilmap),
		cmocka_unit_test(test_myint),     cmocka_unit_test(test_mystr),
		cmocka_unit_test(test_myfloat),   cmocka_unit_test(test_mybool),
		cmocka_unit_test(test_int),       cmocka_unit_test(test_float),
		cmocka_unit_test(test_uint8),     cmocka_unit_test(test_complex),
		cmocka_unit_test(test_struct),    cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_stringer),  cmocka_unit_test(test_nilderef),
		cmocka_unit_test(test_nilfunc),   cmocka_unit_test(test_assert),
		cmocka_unit_test(test_chain),     cmocka_unit_test(test_recovered),
		cmocka_unit_test(test_goroutine), cmocka_unit_test(test_deadlock),
		cmocka_unit_test(test_unlock),    cmocka_unit_test(test_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
