/* Tests for goruntime/traceback.c (the goroutine printer) and unwind.c (the
 * stack walker), with the Go runtime itself as the oracle.
 *
 * The group setup crashes $GOCORE_FIXTURES/printer (testdata/printer, built
 * by `make unit`) under GOTRACEBACK=crash: its stderr is the runtime's own
 * dump of every goroutine, with " fp=0x… sp=0x… pc=0x…" after each physical
 * frame (traceback.go prints them when the traceback level is 2 or more), and
 * the kernel (or gdb's gcore) leaves the core of that same crash.  The core
 * is opened the way analyzer/cli/session.c does, and every goroutine gocore prints
 * is compared with the oracle's block of the same goid.  Nothing here expects
 * text taken from gocore's own output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>


#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/addrspace.h"
#include "../../analyzer/elfcore.h"
#include "../../analyzer/elfexe.h"
#include "../../analyzer/image.h"
#include "../../analyzer/tests/testutil.h"
#include "../process.h"
#include "../traceback.h"
#include "../unwind.h"

/* runtime: _TracebackMaxFrames (traceback.go, 1.19). */
#define MAX_FRAMES 100
/* traceback.go: what the dump says for a goroutine running on another M. */
#define UNAVAILABLE "\tgoroutine running on other thread; stack unavailable"

/* ---- text helpers ---- */

struct lines {
	char *buf;    /* the text, '\n' replaced by NULs */
	char **v;
	size_t n;
};

/* Splits text (taken over) into lines; a final newline ends the last line. */
static void lines_split(char *text, size_t len, struct lines *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->buf = text;
	size_t cap = 16;
	ret->v = malloc(cap * sizeof(*ret->v));
	assert_non_null(ret->v);
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		if (ret->n == cap) {
			cap *= 2;
			ret->v = realloc(ret->v, cap * sizeof(*ret->v));
			assert_non_null(ret->v);
		}
		if (i < len)
			text[i] = '\0';
		ret->v[ret->n++] = text + start;
		start = i + 1;
	}
}

static void lines_free(struct lines *l)
{
	free(l->buf);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool parse_hex(const char **s, uint64_t *ret)
{
	const char *p = *s;
	if (strncmp(p, "0x", 2) != 0)
		return false;
	p += 2;
	uint64_t v = 0;
	const char *digits = p;
	while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) {
		v = v * 16 + (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
		p++;
	}
	if (p == digits)
		return false;
	*s = p;
	*ret = v;
	return true;
}

/* Whether line ends in " fp=0x… sp=0x… pc=0x…" (lower-case hex, as the
 * runtime's hex() prints); *cut_ret gets the length without it. */
static bool frame_suffix(const char *line, size_t *cut_ret, uint64_t *fp, uint64_t *sp,
			 uint64_t *pc)
{
	const char *at = strstr(line, " fp=0x");
	if (!at)
		return false;
	for (const char *next; (next = strstr(at + 1, " fp=0x"));)
		at = next;
	const char *s = at + 4;
	uint64_t a, b, c;
	if (!parse_hex(&s, &a) || strncmp(s, " sp=", 4) != 0)
		return false;
	s += 4;
	if (!parse_hex(&s, &b) || strncmp(s, " pc=", 4) != 0)
		return false;
	s += 4;
	if (!parse_hex(&s, &c) || *s)
		return false;
	if (cut_ret)
		*cut_ret = (size_t)(at - line);
	if (fp)
		*fp = a;
	if (sp)
		*sp = b;
	if (pc)
		*pc = c;
	return true;
}

/* "goroutine N [state]:" as runtime.goroutineheader prints it (1.19). */
static bool parse_header(const char *line, uint64_t *goid, const char **state,
			 size_t *state_len)
{
	if (strncmp(line, "goroutine ", 10) != 0 || !isdigit((unsigned char)line[10]))
		return false;
	char *end;
	unsigned long long id = strtoull(line + 10, &end, 10);
	if (strncmp(end, " [", 2) != 0)
		return false;
	const char *st = end + 2;
	const char *close = strchr(st, ']');
	if (!close || strcmp(close, "]:") != 0)
		return false;
	*goid = id;
	*state = st;
	*state_len = (size_t)(close - st);
	return true;
}

/* ---- the oracle ---- */

struct frame_addr {
	uint64_t fp, sp, pc;
	char name[256];   /* the function as the oracle spells it */
};

struct oblock {
	uint64_t goid;
	const char *header;
	char state[128];   /* bracket text */
	bool running;
	bool unavailable;  /* running elsewhere: the oracle has no frames */
	const char **raw;  /* the lines under the header, as printed */
	char **lines;      /* the same without the fp/sp/pc suffix */
	size_t nlines;
	struct frame_addr *frames; /* physical frames, innermost first */
	size_t nframes;
};

struct fixture {
	char *dir, *exe_path, *core_path;
	struct lines oracle;
	struct oblock *blocks;
	size_t nblocks;
	struct ga_core *core;
	struct ga_exe *exe;
	struct gc_addrspace *as;
	struct gr_process *proc;
};

static struct fixture fx;

/* The goroutine blocks of the dump: a header, then lines up to a blank one.
 * A goid printed twice counts by its first block. */
static void parse_oracle(void)
{
	size_t cap = 0;
	struct oblock *cur = NULL;
	for (size_t i = 0; i < fx.oracle.n; i++) {
		const char *line = fx.oracle.v[i];
		uint64_t goid;
		const char *st;
		size_t stlen;
		if (parse_header(line, &goid, &st, &stlen)) {
			cur = NULL;
			bool seen = goid == 0;
			for (size_t k = 0; k < fx.nblocks; k++)
				seen |= fx.blocks[k].goid == goid;
			if (seen)
				continue;
			if (fx.nblocks == cap) {
				cap = cap ? 2 * cap : 32;
				fx.blocks = realloc(fx.blocks, cap * sizeof(*fx.blocks));
				assert_non_null(fx.blocks);
			}
			cur = &fx.blocks[fx.nblocks++];
			memset(cur, 0, sizeof(*cur));
			cur->goid = goid;
			cur->header = line;
			assert_true(stlen < sizeof(cur->state));
			memcpy(cur->state, st, stlen);
			cur->running = strncmp(cur->state, "running", 7) == 0;
			cur->raw = (const char **)&fx.oracle.v[i + 1];
			continue;
		}
		if (!cur)
			continue;
		if (!*line) {
			cur = NULL;
			continue;
		}
		cur->nlines++;
	}
	for (size_t k = 0; k < fx.nblocks; k++) {
		struct oblock *b = &fx.blocks[k];
		b->lines = calloc(b->nlines + 1, sizeof(*b->lines));
		b->frames = calloc(b->nlines + 1, sizeof(*b->frames));
		assert_non_null(b->lines);
		assert_non_null(b->frames);
		for (size_t j = 0; j < b->nlines; j++) {
			size_t cut = strlen(b->raw[j]);
			struct frame_addr fa;
			if (frame_suffix(b->raw[j], &cut, &fa.fp, &fa.sp, &fa.pc)) {
				assert_true(j > 0);
				const char *fn = b->raw[j - 1];
				const char *paren = strrchr(fn, '(');
				assert_non_null(paren);
				size_t nl = (size_t)(paren - fn);
				assert_true(nl < sizeof(fa.name));
				memcpy(fa.name, fn, nl);
				fa.name[nl] = '\0';
				b->frames[b->nframes++] = fa;
			}
			b->lines[j] = strndup(b->raw[j], cut);
			assert_non_null(b->lines[j]);
			b->unavailable |= !strcmp(b->raw[j], UNAVAILABLE);
		}
	}
}

static const struct oblock *oracle_block(uint64_t goid)
{
	for (size_t k = 0; k < fx.nblocks; k++)
		if (fx.blocks[k].goid == goid)
			return &fx.blocks[k];
	return NULL;
}

static void check(struct gc_error *err, const char *what)
{
	if (err)
		fail_msg("%s: %s", what, err->message);
}

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	char *fixture = tu_fixture("printer");
	char real_exe[PATH_MAX];
	if (!realpath(fixture, real_exe))
		fail_msg("realpath %s: %s", fixture, strerror(errno));
	free(fixture);
	fx.exe_path = strdup(real_exe);
	fx.dir = tu_tmpdir();
	char *oracle_path = NULL;
	assert_true(asprintf(&oracle_path, "%s/oracle.txt", fx.dir) > 0);
	fx.core_path = tu_crash_core(fx.exe_path, "crash", fx.dir, oracle_path);
	size_t n;
	uint8_t *text = tu_read_file(oracle_path, &n);
	free(oracle_path);
	lines_split((char *)text, n, &fx.oracle);
	parse_oracle();
	if (fx.nblocks < 15)
		fail_msg("the oracle (%s/oracle.txt) has %zu goroutine blocks; "
			 "testdata/printer parks 14 goroutines", fx.dir, fx.nblocks);

	/* As analyzer/cli/session.c session_open does. */
	check(ga_core_open(fx.core_path, &fx.core), "core");
	check(ga_exe_open(fx.exe_path, &fx.exe), "executable");
	assert_int_equal(fx.core->truncated_bytes, 0);
	const struct ga_mapping *map = ga_core_exe_mapping(fx.core);
	uint64_t bias = ga_load_bias(fx.exe, map);
	check(gc_addrspace_create(&fx.as), "address space");
	check(ga_core_add_segments(fx.core, fx.as, 0), "core segments");
	check(ga_exe_add_segments(fx.exe, fx.as, 1, bias), "exe segments");
	static struct gr_image img;
	ga_image_init(&img, fx.core, fx.exe, fx.as, bias);
	struct gr_open_config cfg = {.image = &img, .warn = ga_warn_to_file, .warn_ctx = stderr};
	check(gr_process_open(&cfg, &fx.proc), "gr_process_open");
	assert_int_equal(gr_process_unreadable(fx.proc), 0);
	print_message("printer: %s, %zu goroutines in the core, %zu in the oracle\n",
		      gr_process_go_version(fx.proc), gr_process_ngoroutines(fx.proc), fx.nblocks);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gr_process_destroy(fx.proc);
	gc_addrspace_destroy(fx.as);
	ga_exe_close(fx.exe);
	ga_core_close(fx.core);
	for (size_t k = 0; k < fx.nblocks; k++) {
		for (size_t j = 0; j < fx.blocks[k].nlines; j++)
			free(fx.blocks[k].lines[j]);
		free(fx.blocks[k].lines);
		free(fx.blocks[k].frames);
	}
	free(fx.blocks);
	lines_free(&fx.oracle);
	free(fx.core_path);
	if (fx.dir)
		tu_rmdir(fx.dir);
	free(fx.exe_path);
	memset(&fx, 0, sizeof(fx));
	return 0;
}

/* ---- printing through a memory stream ---- */

struct printed {
	struct lines out;
	char *warn;
	size_t warn_len;
	unsigned gaps;
};

static void print_g(const struct gr_goroutine *g, bool frame_addrs, struct printed *ret)
{
	char *buf = NULL, *wbuf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	FILE *warn = open_memstream(&wbuf, &ret->warn_len);
	assert_non_null(out);
	assert_non_null(warn);
	struct gr_print_options opts = {.frame_addrs = frame_addrs};
	ret->gaps = gr_print_goroutine(fx.proc, g, &opts, out, ga_say_to_file, warn);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(fclose(warn), 0);
	assert_int_equal(strlen(buf), len); /* no NUL in the text */
	lines_split(buf, len, &ret->out);
	ret->warn = wbuf;
}

static void printed_free(struct printed *p)
{
	lines_free(&p->out);
	free(p->warn);
}

static const struct gr_goroutine *goroutine(uint64_t goid)
{
	const struct gr_goroutine *g = gr_process_find_goroutine(fx.proc, goid);
	if (!g)
		fail_msg("goroutine %" PRIu64 " of the oracle is not in the core's allgs", goid);
	return g;
}

/* Compares our body (the lines after the header) with the oracle's: equal
 * for a parked goroutine, the oracle's a tail of ours for a running one.
 * Returns the number of lines compared. */
static size_t compare_body(const struct oblock *b, const struct printed *p,
			   const char *const *want, const char *what)
{
	if (b->unavailable) {
		/* The runtime could not walk a goroutine running on another
		 * thread; we may have: what it did print ("created by") must
		 * still end ours (compare.py --relay-stacks does the same). */
		const char **rest = calloc(b->nlines + 1, sizeof(*rest));
		assert_non_null(rest);
		struct oblock sub = *b;
		sub.unavailable = false;
		sub.nlines = 0;
		for (size_t k = 0; k < b->nlines; k++)
			if (strcmp(want[k], UNAVAILABLE) != 0)
				rest[sub.nlines++] = want[k];
		size_t n = compare_body(&sub, p, rest, what);
		free(rest);
		return n;
	}
	size_t ngot = p->out.n - 1;
	const char *const *got = (const char *const *)p->out.v + 1;
	if (!b->running && ngot != b->nlines) {
		size_t k = 0;
		while (k < ngot && k < b->nlines && !strcmp(want[k], got[k]))
			k++;
		fail_msg("goroutine %" PRIu64 " [%s] (%s): %zu lines, the oracle has %zu; "
			 "first difference at line %zu:\n  want %s\n  got  %s",
			 b->goid, b->state, what, ngot, b->nlines, k + 2,
			 k < b->nlines ? want[k] : "<end>", k < ngot ? got[k] : "<end>");
	}
	if (b->running && ngot < b->nlines)
		fail_msg("goroutine %" PRIu64 " [running] (%s): %zu lines, fewer than the "
			 "oracle's %zu", b->goid, what, ngot, b->nlines);
	size_t off = ngot - b->nlines;
	for (size_t k = 0; k < b->nlines; k++)
		if (strcmp(want[k], got[off + k]) != 0)
			fail_msg("goroutine %" PRIu64 " [%s] (%s): line %zu%s differs:\n"
				 "  want %s\n  got  %s",
				 b->goid, b->state, what, off + k + 2,
				 b->running ? " (of the oracle's tail)" : "", want[k], got[off + k]);
	return b->nlines;
}

/* ---- the oracle itself: what the fixture must make the runtime print ---- */

static bool oracle_has(const char *needle)
{
	for (size_t i = 0; i < fx.oracle.n; i++)
		if (strstr(fx.oracle.v[i], needle))
			return true;
	return false;
}

static void test_oracle_shape(void **state)
{
	(void)state;
	/* Crash mode prints fp/sp/pc for every physical frame of every
	 * goroutine (level >= 2), and only there: not for "(...)" inlined
	 * frames, not for "created by". */
	size_t with = 0;
	for (size_t k = 0; k < fx.nblocks; k++) {
		const struct oblock *b = &fx.blocks[k];
		for (size_t j = 0; j < b->nlines; j++) {
			if (b->raw[j][0] != '\t')
				continue;
			const char *fn = j ? b->raw[j - 1] : "";
			bool physical = strncmp(fn, "created by ", 11) != 0 &&
					(strlen(fn) < 5 || strcmp(fn + strlen(fn) - 5, "(...)") != 0) &&
					strcmp(b->raw[j] + 1, "goroutine running on other thread; "
						"stack unavailable") != 0;
			bool has = frame_suffix(b->raw[j], NULL, NULL, NULL, NULL);
			if (physical != has)
				fail_msg("oracle goroutine %" PRIu64 ": \"%s\" under \"%s\" %s the "
					 "fp/sp/pc suffix", b->goid, b->raw[j], fn,
					 has ? "has" : "lacks");
			with += has;
		}
	}
	assert_true(with > 100);

	/* The cases testdata/printer is there to produce. */
	static const char *const states[] = {
		"running", "chan receive", "chan send", "chan receive (nil chan)", "select",
		"select (no cases)", "sleep", "semacquire", "sync.Cond.Wait", "IO wait",
		"syscall", "chan receive, locked to thread",
	};
	for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
		bool found = false;
		for (size_t k = 0; k < fx.nblocks; k++)
			found |= !strcmp(fx.blocks[k].state, states[s]);
		if (!found)
			fail_msg("no goroutine [%s] in the oracle", states[s]);
	}
	static const char *const needles[] = {
		"main.take(...)",                   /* an inlined frame */
		"...additional frames elided...",   /* the 100-frame limit */
		"main.(*worker).park(",             /* int8/int32/string/struct args */
		"?, {0x",                           /* a stale value, then a string */
		"created by main.main",
	};
	for (size_t s = 0; s < sizeof(needles) / sizeof(needles[0]); s++)
		if (!oracle_has(needles[s]))
			fail_msg("the oracle lacks \"%s\"", needles[s]);
	/* goroutine 1 crashed; any other running one was on another thread. */
	size_t nrunning = 0;
	for (size_t k = 0; k < fx.nblocks; k++) {
		const struct oblock *b = &fx.blocks[k];
		if (b->goid == 1 && (!b->running || b->unavailable))
			fail_msg("oracle goroutine 1 is [%s]%s, not the crashing one", b->state,
				 b->unavailable ? " on another thread" : "");
		if (b->running && b->goid != 1 && !b->unavailable)
			fail_msg("oracle goroutine %" PRIu64 " is running with frames", b->goid);
		nrunning += b->running;
	}
	if (nrunning > 1)
		print_message("printer: %zu goroutines running at the crash\n", nrunning);
	/* Both ways round: the oracle's goroutines are the core's. */
	assert_int_equal(gr_process_ngoroutines(fx.proc), fx.nblocks);
	for (size_t i = 0; i < gr_process_ngoroutines(fx.proc); i++) {
		uint64_t goid = gr_process_goroutine(fx.proc, i)->goid;
		if (!oracle_block(goid))
			fail_msg("goroutine %" PRIu64 " of the core is not in the oracle", goid);
	}
}

/* ---- 1. whole goroutines vs the oracle ---- */

static void test_print_vs_oracle(void **state)
{
	(void)state;
	size_t nparked = 0, nrunning = 0, nlines = 0, naddr_lines = 0;
	for (size_t k = 0; k < fx.nblocks; k++) {
		const struct oblock *b = &fx.blocks[k];
		const struct gr_goroutine *g = goroutine(b->goid);

		struct printed p;
		print_g(g, false, &p);
		if (p.gaps || p.warn_len)
			fail_msg("goroutine %" PRIu64 ": gaps 0x%x, warnings: %s", b->goid, p.gaps,
				 p.warn);
		assert_true(p.out.n >= 1);
		if (strcmp(p.out.v[0], b->header) != 0)
			fail_msg("goroutine %" PRIu64 " header:\n  want %s\n  got  %s", b->goid,
				 b->header, p.out.v[0]);
		nlines += 1 + compare_body(b, &p, (const char *const *)b->lines, "no addresses");
		for (size_t j = 1; j < p.out.n; j++)
			if (frame_suffix(p.out.v[j], NULL, NULL, NULL, NULL))
				fail_msg("goroutine %" PRIu64 ": fp/sp/pc without frame_addrs: %s",
					 b->goid, p.out.v[j]);
		printed_free(&p);

		print_g(g, true, &p);
		assert_int_equal(p.gaps, 0);
		assert_string_equal(p.out.v[0], b->header);
		naddr_lines += 1 + compare_body(b, &p, b->raw, "frame_addrs");
		printed_free(&p);
		if (b->running)
			nrunning++;
		else
			nparked++;
	}
	print_message("printer: %zu parked goroutines equal, %zu running (the oracle a tail of ours); "
		      "%zu lines compared without and %zu with fp/sp/pc\n",
		      nparked, nrunning, nlines, naddr_lines);
	assert_true(nparked >= 17);
	assert_true(nrunning >= 1);
}

/* ---- 2. the header alone ---- */

static char *header_of(const struct gr_goroutine *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	gr_print_header(fx.proc, g, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_header(void **state)
{
	(void)state;
	for (size_t k = 0; k < fx.nblocks; k++) {
		const struct oblock *b = &fx.blocks[k];
		char *got = header_of(goroutine(b->goid));
		char *want = NULL;
		assert_true(asprintf(&want, "%s\n", b->header) > 0);
		if (strcmp(got, want) != 0)
			fail_msg("goroutine %" PRIu64 ":\n  want %s  got  %s", b->goid, want, got);
		free(want);
		free(got);
	}

	/* goroutineheader (traceback.go, 1.19): " (scan)" after the state, ",
	 * N minutes" for waiting/syscall goroutines blocked a minute or more,
	 * ", locked to thread" when lockedm is set. */
	const struct oblock *locked = NULL;
	for (size_t k = 0; k < fx.nblocks; k++)
		if (strstr(fx.blocks[k].state, ", locked to thread"))
			locked = &fx.blocks[k];
	assert_non_null(locked);
	struct gr_goroutine c = *goroutine(locked->goid);
	assert_true(c.lockedm != 0);
	c.lockedm = 0;
	char *got = header_of(&c), *want = NULL;
	assert_true(asprintf(&want, "goroutine %" PRIu64 " [chan receive]:\n", c.goid) > 0);
	assert_string_equal(got, want);
	free(got);
	free(want);
	c.status |= GR_GSCAN;
	got = header_of(&c);
	assert_true(asprintf(&want, "goroutine %" PRIu64 " [chan receive (scan)]:\n", c.goid) > 0);
	assert_string_equal(got, want);
	free(got);
	free(want);
	c.status &= ~(uint32_t)GR_GSCAN;
	int64_t now = gr_process_now(fx.proc);
	if (now <= 0)
		fail_msg("gr_process_now: %" PRId64 "; the header's minutes need the crash's time",
			 now);
	c.waitsince = now - 3 * 60000000000LL - 1;
	got = header_of(&c);
	assert_true(asprintf(&want, "goroutine %" PRIu64 " [chan receive, 3 minutes]:\n", c.goid) > 0);
	assert_string_equal(got, want);
	free(got);
	free(want);
	/* Under a minute: nothing; not waiting: nothing. */
	c.waitsince = now - 59000000000LL;
	got = header_of(&c);
	assert_true(asprintf(&want, "goroutine %" PRIu64 " [chan receive]:\n", c.goid) > 0);
	assert_string_equal(got, want);
	free(got);
	free(want);
	c.waitsince = now - 3 * 60000000000LL - 1;
	c.status = GR_GRUNNABLE;
	got = header_of(&c);
	assert_true(asprintf(&want, "goroutine %" PRIu64 " [runnable]:\n", c.goid) > 0);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

/* ---- 3. the unwinder ---- */

struct collect {
	struct gr_frame *v;
	size_t n, cap;
	size_t stop_at;   /* return false on this frame (1-based); 0: never */
};

static bool collect_frame(void *vctx, const struct gr_frame *fr)
{
	struct collect *c = vctx;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		assert_non_null(c->v);
	}
	c->v[c->n++] = *fr;
	return c->stop_at == 0 || c->n < c->stop_at;
}

/* Field by field: struct padding is not part of the contract. */
static void assert_frames_equal(uint64_t goid, const struct gr_frame *a,
				const struct gr_frame *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].pc != b[i].pc || a[i].sp != b[i].sp || a[i].fp != b[i].fp ||
		    a[i].tracepc != b[i].tracepc || a[i].trap != b[i].trap ||
		    a[i].fn.entry != b[i].fn.entry || a[i].fn.end != b[i].fn.end ||
		    strcmp(a[i].fn.name, b[i].fn.name) != 0)
			fail_msg("goroutine %" PRIu64 " frame %zu: %s pc 0x%" PRIx64 " sp 0x%" PRIx64
				 " vs %s pc 0x%" PRIx64 " sp 0x%" PRIx64, goid, i, a[i].fn.name,
				 a[i].pc, a[i].sp, b[i].fn.name, b[i].pc, b[i].sp);
}

static void check_frames(uint64_t goid, const struct collect *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct gr_frame *f = &c->v[i];
		if (!(f->pc >= f->fn.entry && f->pc < f->fn.end))
			fail_msg("goroutine %" PRIu64 " frame %zu: pc 0x%" PRIx64 " outside %s "
				 "[0x%" PRIx64 ", 0x%" PRIx64 ")", goid, i, f->pc, f->fn.name,
				 f->fn.entry, f->fn.end);
		if (!(f->tracepc >= f->fn.entry && f->tracepc < f->fn.end))
			fail_msg("goroutine %" PRIu64 " frame %zu: tracepc 0x%" PRIx64 " outside %s",
				 goid, i, f->tracepc, f->fn.name);
		if (f->fp <= f->sp)
			fail_msg("goroutine %" PRIu64 " frame %zu (%s): fp 0x%" PRIx64 " <= sp 0x%"
				 PRIx64, goid, i, f->fn.name, f->fp, f->sp);
		if (i && f->sp <= c->v[i - 1].sp)
			fail_msg("goroutine %" PRIu64 " frame %zu (%s): sp 0x%" PRIx64 " not above "
				 "the inner frame's 0x%" PRIx64, goid, i, f->fn.name, f->sp,
				 c->v[i - 1].sp);
		if (i && f->sp != c->v[i - 1].fp)
			fail_msg("goroutine %" PRIu64 " frame %zu (%s): sp 0x%" PRIx64 " is not the "
				 "inner frame's fp 0x%" PRIx64, goid, i, f->fn.name, f->sp,
				 c->v[i - 1].fp);
	}
}

static void test_unwind(void **state)
{
	(void)state;
	size_t nframes_total = 0;
	bool saw_deep = false;
	for (size_t k = 0; k < fx.nblocks; k++) {
		const struct oblock *b = &fx.blocks[k];
		const struct gr_goroutine *g = goroutine(b->goid);

		/* As the printer walks: exactly the oracle's physical frames. */
		struct collect c = {0};
		size_t n = 12345;
		unsigned flags = gr_unwind(fx.proc, g, MAX_FRAMES, collect_frame, &c, &n);
		assert_int_equal(n, c.n);
		if (b->unavailable) {
			/* No oracle for its frames; the walk must still be sane. */
			if (flags & ~(unsigned)GR_UNWIND_NO_THREAD)
				fail_msg("goroutine %" PRIu64 " (running elsewhere): gr_unwind flags "
					 "0x%x", b->goid, flags);
			check_frames(b->goid, &c);
			free(c.v);
			continue;
		}
		if (flags)
			fail_msg("goroutine %" PRIu64 ": gr_unwind flags 0x%x", b->goid, flags);
		if (c.n != b->nframes)
			fail_msg("goroutine %" PRIu64 ": %zu frames, the oracle shows %zu", b->goid,
				 c.n, b->nframes);
		for (size_t i = 0; i < c.n; i++) {
			const struct frame_addr *o = &b->frames[i];
			const struct gr_frame *f = &c.v[i];
			const char *name = strcmp(o->name, "panic") ? o->name : "runtime.gopanic";
			if (f->fp != o->fp || f->sp != o->sp || f->pc != o->pc || strcmp(f->fn.name, name))
				fail_msg("goroutine %" PRIu64 " frame %zu:\n  want %s fp=0x%" PRIx64
					 " sp=0x%" PRIx64 " pc=0x%" PRIx64 "\n  got  %s fp=0x%" PRIx64
					 " sp=0x%" PRIx64 " pc=0x%" PRIx64, b->goid, i, name, o->fp,
					 o->sp, o->pc, f->fn.name, f->fp, f->sp, f->pc);
		}
		check_frames(b->goid, &c);
		nframes_total += c.n;

		/* Without a limit: to runtime.goexit, the top of every goroutine's
		 * stack that the runtime started (goroutine 1 too: runtime.main). */
		struct collect all = {0};
		flags = gr_unwind(fx.proc, g, SIZE_MAX, collect_frame, &all, &n);
		assert_int_equal(flags, 0);
		assert_int_equal(n, all.n);
		assert_true(all.n >= c.n);
		check_frames(b->goid, &all);
		if (strcmp(all.v[all.n - 1].fn.name, "runtime.goexit") != 0)
			fail_msg("goroutine %" PRIu64 ": the outermost frame is %s, not runtime.goexit",
				 b->goid, all.v[all.n - 1].fn.name);
		assert_frames_equal(b->goid, all.v, c.v, c.n);
		if (b->nframes == MAX_FRAMES) {
			/* main.deep(150): 151 deep frames, chanrecv1, chanrecv, gopark,
			 * main.main.func…, goexit */
			saw_deep = true;
			if (all.n < 150 + 5)
				fail_msg("goroutine %" PRIu64 ": %zu frames without a limit", b->goid,
					 all.n);
		} else {
			assert_int_equal(all.n, c.n);
		}

		/* max limits the count. */
		for (size_t max = 0; max <= 3 && max <= all.n; max++) {
			struct collect lim = {0};
			n = 12345;
			gr_unwind(fx.proc, g, max, collect_frame, &lim, &n);
			assert_int_equal(lim.n, max);
			assert_int_equal(n, max);
			if (max)
				assert_frames_equal(b->goid, lim.v, all.v, max);
			free(lim.v);
		}
		/* A callback returning false stops the walk after that frame. */
		for (size_t stop = 1; stop <= 3 && stop <= all.n; stop++) {
			struct collect st = {.stop_at = stop};
			n = 12345;
			gr_unwind(fx.proc, g, SIZE_MAX, collect_frame, &st, &n);
			assert_int_equal(st.n, stop);
			assert_int_equal(n, stop);
			assert_frames_equal(b->goid, st.v, all.v, stop);
			free(st.v);
		}
		/* NULL nframes_ret is allowed. */
		struct collect again = {0};
		gr_unwind(fx.proc, g, MAX_FRAMES, collect_frame, &again, NULL);
		assert_int_equal(again.n, c.n);
		free(again.v);
		free(all.v);
		free(c.v);
	}
	assert_true(saw_deep);
	print_message("unwind: %zu goroutines, %zu frames equal to the oracle's fp/sp/pc\n",
		      fx.nblocks, nframes_total);
}

/* ---- 4. state strings ---- */

static void test_state(void **state)
{
	(void)state;
	uint8_t chan_receive_reason = 0;
	for (size_t k = 0; k < fx.nblocks; k++) {
		const struct oblock *b = &fx.blocks[k];
		const struct gr_goroutine *g = goroutine(b->goid);
		/* The bracket's first part: the state (no state has ", " in it). */
		char want[128];
		snprintf(want, sizeof(want), "%s", b->state);
		char *comma = strstr(want, ", ");
		if (comma)
			*comma = '\0';
		const char *got = gr_goroutine_state(fx.proc, g);
		if (strcmp(got, want) != 0)
			fail_msg("goroutine %" PRIu64 ": state \"%s\", the oracle says \"%s\"",
				 b->goid, got, want);
		if (!strcmp(want, "chan receive"))
			chan_receive_reason = g->waitreason;
		if (!strcmp(want, "running"))
			assert_int_equal(g->status & ~(uint32_t)GR_GSCAN, GR_GRUNNING);
		else if (!strcmp(want, "syscall"))
			assert_int_equal(g->status & ~(uint32_t)GR_GSCAN, GR_GSYSCALL);
		else if (!strcmp(want, "runnable"))
			assert_int_equal(g->status & ~(uint32_t)GR_GSCAN, GR_GRUNNABLE);
		else
			assert_int_equal(g->status & ~(uint32_t)GR_GSCAN, GR_GWAITING);
	}
	assert_true(chan_receive_reason != 0);
	assert_string_equal(gr_process_waitreason(fx.proc, chan_receive_reason), "chan receive");

	/* gStatusStrings (traceback.go): the text for a status without a wait
	 * reason; "" for the unused 5 and 7 (zero entries of the array), "???"
	 * past its end; the scan bit ignored. */
	struct gr_goroutine c = *gr_process_goroutine(fx.proc, 0);
	static const struct { uint32_t status; const char *text; } st[] = {
		{GR_GIDLE, "idle"}, {GR_GRUNNABLE, "runnable"}, {GR_GRUNNING, "running"},
		{GR_GSYSCALL, "syscall"}, {GR_GWAITING, "waiting"}, {5, ""},
		{GR_GDEAD, "dead"}, {7, ""}, {GR_GCOPYSTACK, "copystack"},
		{GR_GPREEMPTED, "preempted"}, {10, "???"}, {0xfff, "???"},
		{GR_GSCAN | GR_GRUNNABLE, "runnable"}, {GR_GSCAN | GR_GWAITING, "waiting"},
		{0xffffffffu, "???"},
	};
	c.waitreason = 0;
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		c.status = st[i].status;
		assert_string_equal(gr_goroutine_state(fx.proc, &c), st[i].text);
	}
	/* A wait reason names the state only while waiting (goroutineheader). */
	c.waitreason = chan_receive_reason;
	c.status = GR_GWAITING;
	assert_string_equal(gr_goroutine_state(fx.proc, &c), "chan receive");
	c.status = GR_GSCAN | GR_GWAITING;
	assert_string_equal(gr_goroutine_state(fx.proc, &c), "chan receive");
	c.status = GR_GRUNNABLE;
	assert_string_equal(gr_goroutine_state(fx.proc, &c), "runnable");
	/* A wait reason past the table: the status's own text. */
	c.status = GR_GWAITING;
	c.waitreason = 0xff;
	assert_string_equal(gr_goroutine_state(fx.proc, &c), "waiting");
}

/* ---- 5. robustness: goroutines whose registers point at nonsense ---- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Prints g and checks that the result is sane text: the header first, a
 * bounded number of lines, only known gap flags, a warning iff a gap. */
static unsigned print_sane(const struct gr_goroutine *g, size_t *nlines_ret)
{
	struct printed p;
	print_g(g, true, &p);
	char *hdr = header_of(g);
	hdr[strlen(hdr) - 1] = '\0';
	assert_true(p.out.n >= 1);
	assert_string_equal(p.out.v[0], hdr);
	free(hdr);
	assert_int_equal(p.gaps & ~(unsigned)GR_GAP_STACK, 0);
	assert_int_equal(p.gaps != 0, p.warn_len != 0);
	/* 100 physical frames, each with at most 63 inlined ones, two lines
	 * apiece, the elision note, "created by" and a gap note. */
	assert_true(p.out.n <= 1 + 2 * 64 * MAX_FRAMES + 4);
	unsigned gaps = p.gaps;
	if (nlines_ret)
		*nlines_ret = p.out.n;
	printed_free(&p);
	return gaps;
}

static const struct oblock *parked_block(const char *state)
{
	for (size_t k = 0; k < fx.nblocks; k++)
		if (!strcmp(fx.blocks[k].state, state))
			return &fx.blocks[k];
	fail_msg("no goroutine [%s] in the oracle", state);
	return NULL;
}

static void test_robust_registers(void **state)
{
	(void)state;
	const struct oblock *b = parked_block("chan send");
	const struct gr_goroutine *orig = goroutine(b->goid);
	/* "created by" is the block's last two lines. */
	assert_true(b->nlines >= 2);
	assert_true(!strncmp(b->lines[b->nlines - 2], "created by ", 11));
	size_t n;

	/* sp in unmapped memory: the walk faults, the printer says so. */
	struct gr_goroutine c = *orig;
	c.sched_sp = 0x10;
	struct collect col = {0};
	unsigned flags = gr_unwind(fx.proc, &c, MAX_FRAMES, collect_frame, &col, &n);
	assert_true(flags & GR_UNWIND_FAULT);
	assert_int_equal(print_sane(&c, NULL), GR_GAP_STACK);

	/* sp past the top of the address space. */
	c.sched_sp = UINT64_MAX - 7;
	assert_int_equal(print_sane(&c, NULL), GR_GAP_STACK);

	/* A pc outside every function: no frames (gentraceback prints
	 * "runtime: g N: unknown pc" and no frames either), "created by" still
	 * there. */
	c = *orig;
	c.sched_pc = 0xdeadbeef;
	col.n = 0;
	flags = gr_unwind(fx.proc, &c, MAX_FRAMES, collect_frame, &col, &n);
	assert_true(flags & GR_UNWIND_BAD_PC);
	assert_int_equal(n, 0);
	assert_int_equal(col.n, 0);
	struct printed p;
	print_g(&c, true, &p);
	assert_true(p.out.n >= 3);
	for (size_t j = 1; j < p.out.n; j++)
		assert_false(frame_suffix(p.out.v[j], NULL, NULL, NULL, NULL));
	assert_string_equal(p.out.v[p.out.n - 2], b->lines[b->nlines - 2]);
	assert_string_equal(p.out.v[p.out.n - 1], b->lines[b->nlines - 1]);
	assert_int_equal(p.gaps & ~(unsigned)GR_GAP_STACK, 0);
	printed_free(&p);

	/* pc 0 (a call through a nil func): starts from the word at sp. */
	c = *orig;
	c.sched_pc = 0;
	c.sched_sp = 0x10;
	col.n = 0;
	assert_int_equal(gr_unwind(fx.proc, &c, MAX_FRAMES, collect_frame, &col, &n),
			 GR_UNWIND_FAULT);
	print_sane(&c, NULL);

	/* Running on no thread: the runtime's own words for it. */
	c = *orig;
	c.status = GR_GRUNNING;
	c.m = 0;
	assert_int_equal(gr_unwind(fx.proc, &c, MAX_FRAMES, collect_frame, &col, &n),
			 GR_UNWIND_NO_THREAD);
	print_g(&c, false, &p);
	assert_true(p.out.n >= 2);
	assert_string_equal(p.out.v[1], UNAVAILABLE);
	printed_free(&p);
	/* ... and with an m pointer that leads nowhere. */
	c.m = 0xdead0000;
	print_sane(&c, NULL);

	/* In a system call whose saved sp is unmapped. */
	c = *orig;
	c.status = GR_GSYSCALL;
	c.syscallsp = 0x10;
	c.syscallpc = orig->sched_pc;
	assert_int_equal(print_sane(&c, NULL), GR_GAP_STACK);

	/* Stack bounds upside down, or empty: the frame limit stays bounded. */
	c = *orig;
	c.stack_lo = orig->stack_hi;
	c.stack_hi = orig->stack_lo;
	print_sane(&c, NULL);
	c.stack_lo = c.stack_hi = 0;
	print_sane(&c, NULL);
	/* gopc nowhere: no "created by" line, nothing else changes. */
	c = *orig;
	c.gopc = 0xdeadbeef;
	print_g(&c, false, &p);
	assert_int_equal(p.out.n, 1 + b->nlines - 2);
	for (size_t j = 1; j < p.out.n; j++)
		assert_string_equal(p.out.v[j], b->lines[j - 1]);
	printed_free(&p);
	/* A NULL warning stream is allowed. */
	c.sched_sp = 0x10;
	FILE *devnull = fopen("/dev/null", "w");
	assert_non_null(devnull);
	assert_int_equal(gr_print_goroutine(fx.proc, &c, NULL, devnull, NULL, NULL), GR_GAP_STACK);
	fclose(devnull);
	free(col.v);
}

/* sp at every word of a real stack, pc at spread-out text addresses, then
 * random registers: every walk ends, no read goes astray (ASan). */
static void test_robust_sweep(void **state)
{
	(void)state;
	const struct oblock *b = parked_block("chan send");
	const struct gr_goroutine *orig = goroutine(b->goid);
	size_t walks = 0, gaps = 0, lines = 0, n;

	struct gr_goroutine c = *orig;
	for (uint64_t sp = orig->stack_lo - 64; sp < orig->stack_hi + 64; sp += 8) {
		c.sched_sp = sp;
		gaps += print_sane(&c, &n) != 0;
		lines += n;
		walks++;
	}
	uint64_t lo, hi;
	gopclntab_pc_range(gr_process_pclntab(fx.proc), &lo, &hi);
	assert_true(lo < hi);
	c = *orig;
	for (uint64_t pc = lo - 256; pc < hi + 256; pc += 97) {
		c.sched_pc = pc;
		gaps += print_sane(&c, &n) != 0;
		lines += n;
		walks++;
	}
	static const uint32_t statuses[] = {
		GR_GRUNNABLE, GR_GRUNNING, GR_GSYSCALL, GR_GWAITING, GR_GWAITING | GR_GSCAN,
		GR_GPREEMPTED, 5, 0x7fff,
	};
	size_t ng = gr_process_ngoroutines(fx.proc);
	for (int round = 0; round < 3000; round++) {
		c = *gr_process_goroutine(fx.proc, (size_t)(rng() % ng));
		uint64_t r = rng();
		c.status = statuses[r % 8];
		if (r & 0x100)
			c.sched_sp = c.stack_lo + rng() % (c.stack_hi - c.stack_lo + 1);
		if (r & 0x200)
			c.sched_pc = lo + rng() % (hi - lo);
		if (r & 0x400)
			c.sched_sp = rng();
		if (r & 0x800)
			c.sched_pc = rng();
		if (r & 0x1000) {
			c.syscallsp = c.stack_lo + rng() % (c.stack_hi - c.stack_lo + 1);
			c.syscallpc = lo + rng() % (hi - lo);
		}
		if (r & 0x2000)
			c.stack_hi = c.stack_lo + rng() % 0x100000;
		if (r & 0x4000)
			c.m = rng() % 2 ? gr_process_goroutine(fx.proc, 0)->m : rng();
		if (r & 0x8000)
			c.gopc = rng();
		if (r & 0x10000)
			c.waitreason = (uint8_t)rng();
		gaps += print_sane(&c, &n) != 0;
		lines += n;
		walks++;
		struct collect col = {0};
		unsigned flags = gr_unwind(fx.proc, &c, SIZE_MAX, collect_frame, &col, &n);
		assert_int_equal(n, col.n);
		assert_int_equal(flags & ~(unsigned)(GR_UNWIND_NO_THREAD | GR_UNWIND_FAULT |
						     GR_UNWIND_BAD_PC | GR_UNWIND_LIMIT), 0);
		for (size_t i = 0; i < col.n; i++)
			assert_true(col.v[i].pc >= col.v[i].fn.entry && col.v[i].pc < col.v[i].fn.end);
		free(col.v);
	}
	print_message("robustness: %zu walks, %zu with a stack gap, %zu lines printed\n",
		      walks, gaps, lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle_shape),
		cmocka_unit_test(test_print_vs_oracle),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_unwind),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_robust_registers),
		cmocka_unit_test(test_robust_sweep),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
