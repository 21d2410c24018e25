/* Tests for the pure functions of goruntime/frames.h: gr_func_is_std (the
 * standard library or the user's code, as --color and the HTML report
 * tell them apart) and gr_func_display_name, on names as the pc-line
 * table and the dump have them.  No core, no Go toolchain. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "../frames.h"

struct case_ {
	const char *name;
	bool std;
};

static void check(const struct case_ *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool got = gr_func_is_std(v[i].name);
		if (got != v[i].std)
			fail_msg("gr_func_is_std(\"%s\") = %d, want %d", v[i].name, got, v[i].std);
		/* The length form reads no further than it is told. */
		size_t len = strlen(v[i].name);
		char buf[256];
		assert_true(len + 8 < sizeof(buf));
		memcpy(buf, v[i].name, len);
		memcpy(buf + len, "/x.y(.z)", 8); /* would change some answers if read */
		if (gr_func_is_std_len(buf, len) != v[i].std)
			fail_msg("gr_func_is_std_len(\"%s\", %zu) = %d, want %d", v[i].name, len,
				 !v[i].std, v[i].std);
	}
}

static void test_std(void **state)
{
	(void)state;
	static const struct case_ v[] = {
		{"runtime.gopark", true},
		{"runtime.goexit", true},
		{"panic", true}, /* runtime.gopanic as the dump prints it */
		{"sync.(*WaitGroup).Wait", true},
		{"sync.(*Mutex).Lock", true},
		{"sync/atomic.(*Int32).Add", true},
		{"internal/poll.(*FD).Read", true},
		{"internal/poll.runtime_pollWait", true},
		{"net/http.(*conn).serve", true},
		{"net/http.(*Server).Serve.func3", true},
		{"time.Sleep", true},
		{"os/signal.signal_recv", true},
		{"testing.tRunner", true},
		{"slices.SortFunc[...]", true},
		{"slices.SortFunc[go.shape.[]uint8,github.com/x/y.T]", true},
		{"sync/atomic.(*Pointer[...]).Load", true},
		{"iter.Pull[...].func1", true},
		{"vendor/golang.org/x/net/http2/hpack.(*Decoder).Write", true},
		{"cmd/go/internal/work.(*Builder).Do", true},
		/* made by the compiler and the linker */
		{"type:.eq.sync.Mutex", true},
		{"type..eq.net/http.Header", true},
		{"type:.eq.[2]interface {}", true},
		{"type:.eq.*main.T", true},
		{"type:.eq.", true},
		{"type:", true},
		{"go:buildid", true},
		{"go:itab.*main.T,main.I", true},
		/* cmd/go's rule: no dot in the first element, even a module's */
		{"example/foo.Bar", true},
	};
	check(v, sizeof(v) / sizeof(v[0]));
}

static void test_user(void **state)
{
	(void)state;
	static const struct case_ v[] = {
		{"main.main", false},
		{"main.main.func1", false},
		{"main.main.gowrap1", false},
		{"main.(*T).m", false},
		{"main.T.m", false},
		{"main.init.0", false},
		{"main.F[...]", false},
		{"main.F[go.shape.int]", false},
		{"main.Map[go.shape.string,sync.Mutex]", false},
		{"main.(*List[...]).Push", false},
		{"main", false},
		{"command-line-arguments.F", false},
		{"github.com/x/y.F.func1", false},
		{"github.com/x/y.(*Server).run", false},
		{"github.com/x/y/v2.(*Tree[...]).Insert", false},
		{"golang.org/x/sync/errgroup.(*Group).Go.func1", false},
		{"go.uber.org/zap.(*Logger).Info", false},
		{"gopkg.in/yaml%2ev3.Unmarshal", false},
		{"example.com/m.F", false},
		/* the compiler's functions of the user's types */
		{"type:.eq.main.T", false},
		{"type:.hash.main.T", false},
		{"type:.eq.github.com/x/y.T", false},
		{"type..eq.main.T", false},
		{"type:.eq.main.Pair[...]", false},
		/* no package: nothing says it is the standard library's */
		{"(*T).m", false},
		{"", false},
		{"[...]", false},
		/* "main" must be the whole first element */
		{"mainly.F", true},
		{"main/sub.F", true},
	};
	check(v, sizeof(v) / sizeof(v[0]));
}

static void test_display_name(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(gr_func_display_name("runtime.gopanic", buf, sizeof(buf)), 5);
	assert_string_equal(buf, "panic");
	assert_int_equal(gr_func_display_name("main.F[go.shape.int]", buf, sizeof(buf)), 11);
	assert_string_equal(buf, "main.F[...]");
	gr_func_display_name("main.(*List[go.shape.int]).Push", buf, sizeof(buf));
	assert_string_equal(buf, "main.(*List[...]).Push");
	/* snprintf's contract: the full length, a truncated copy */
	assert_int_equal(gr_func_display_name("runtime.gopark", buf, 8), 14);
	assert_string_equal(buf, "runtime");
	/* the display form classifies as its symbol does */
	assert_true(gr_func_is_std("panic") == gr_func_is_std("runtime.gopanic"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_std),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_display_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
