/* Tests for goruntime/frames.c, report.c and pprof.c (the triage outputs),
 * with the Go runtime itself as the oracle.
 *
 * The group setup crashes $GOCORE_FIXTURES/report (testdata/report, built by
 * `make unit`) under GOTRACEBACK=crash: its stderr is the runtime's own dump
 * of every goroutine (with fp/sp/pc after each physical frame) and the core
 * is that of the same crash.  Frames, groups, JSON, the pprof profile and
 * the filters are all checked against what the oracle text says, parsed and
 * grouped here independently.  The JSON is parsed by python3 and the profile
 * read by `go tool pprof`; both must be installed (`make unit` checks).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>


#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/addrspace.h"
#include "../../analyzer/elfcore.h"
#include "../../analyzer/elfexe.h"
#include "../../analyzer/image.h"
#include "../../analyzer/tests/testutil.h"
#include "../frames.h"
#include "../pprof.h"
#include "../process.h"
#include "../report.h"
#include "../traceback.h"
#include "../unwind.h"

#define UNAVAILABLE "\tgoroutine running on other thread; stack unavailable"

/* ---- the oracle ---- */

struct oframe {
	char func[256];    /* as printed, without "(args)" */
	char file[1024];
	int32_t line;
	bool inlined;      /* printed "(...)" */
	bool has_addr;     /* physical: " fp=… sp=… pc=…" */
	uint64_t sp, pc;
};

struct oblock {
	uint64_t goid;
	char state[256];   /* the bracket's first item: the state text */
	bool locked;
	int64_t minutes;   /* ", N minutes"; -1 when absent */
	bool running, unavailable, elided;
	struct oframe *frames;
	size_t nframes;
	bool has_creator;
	char creator[256], creator_file[1024];
	int32_t creator_line;
	char key[8192];    /* state + frames, for grouping */
};

struct fixture {
	char *dir, *exe_path, *core_path;
	struct oblock *blocks;
	size_t nblocks;
	struct ga_core *core;
	struct ga_exe *exe;
	struct gc_addrspace *as;
	struct gr_process *proc;
};

static struct fixture fx;

static bool parse_hex_after(const char *s, const char *tag, uint64_t *ret)
{
	const char *at = strstr(s, tag);
	if (!at)
		return false;
	*ret = strtoull(at + strlen(tag), NULL, 16);
	return true;
}

/* "\tfile:line[ +0x…][ fp=… sp=… pc=…]" */
static void parse_file_line(const char *line, char *file, size_t fsize, int32_t *ln,
			    struct oframe *fr)
{
	assert_true(line[0] == '\t');
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", line + 1);
	if (fr) {
		uint64_t pc, sp;
		fr->has_addr = parse_hex_after(buf, " sp=0x", &sp) && parse_hex_after(buf, " pc=0x", &pc);
		if (fr->has_addr) {
			fr->pc = pc;
			fr->sp = sp;
		}
	}
	char *sp = strchr(buf, ' ');
	if (sp)
		*sp = '\0';
	char *colon = strrchr(buf, ':');
	assert_non_null(colon);
	*colon = '\0';
	snprintf(file, fsize, "%s", buf);
	*ln = (int32_t)strtol(colon + 1, NULL, 10);
}

static struct oblock *oracle_block(uint64_t goid)
{
	for (size_t k = 0; k < fx.nblocks; k++)
		if (fx.blocks[k].goid == goid)
			return &fx.blocks[k];
	return NULL;
}

/* The goroutine blocks of the dump (the first block of each goid; goroutine
 * 0, the Ms' system stacks, left out). */
static void parse_oracle(char *text)
{
	size_t cap = 0;
	struct oblock *cur = NULL;
	char *save = NULL;
	char *prev = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; prev = line,
		  line = strtok_r(NULL, "\n", &save)) {
		(void)prev;
		unsigned long long goid;
		int off = 0;
		if (sscanf(line, "goroutine %llu [%n", &goid, &off) == 1 && off > 0) {
			cur = NULL;
			if (goid == 0 || oracle_block(goid))
				continue;
			if (fx.nblocks == cap) {
				cap = cap ? 2 * cap : 32;
				fx.blocks = realloc(fx.blocks, cap * sizeof(*fx.blocks));
				assert_non_null(fx.blocks);
			}
			cur = &fx.blocks[fx.nblocks++];
			memset(cur, 0, sizeof(*cur));
			cur->goid = goid;
			cur->minutes = -1;
			char bracket[256];
			snprintf(bracket, sizeof(bracket), "%s", line + off);
			char *close = strstr(bracket, "]:");
			assert_non_null(close);
			*close = '\0';
			/* Items split on ", " (panicparse does the same). */
			char *item = bracket;
			for (int i = 0; item; i++) {
				char *next = strstr(item, ", ");
				if (next) {
					*next = '\0';
					next += 2;
				}
				long long m;
				char rest[32];
				if (i == 0)
					snprintf(cur->state, sizeof(cur->state), "%s", item);
				else if (!strcmp(item, "locked to thread"))
					cur->locked = true;
				else if (sscanf(item, "%lld %31s", &m, rest) == 2 &&
					 !strcmp(rest, "minutes"))
					cur->minutes = m;
				item = next;
			}
			cur->running = !strcmp(cur->state, "running");
			cur->frames = calloc(512, sizeof(*cur->frames));
			assert_non_null(cur->frames);
			continue;
		}
		if (!cur)
			continue;
		if (!strcmp(line, UNAVAILABLE)) {
			cur->unavailable = true;
		} else if (!strcmp(line, "...additional frames elided...")) {
			cur->elided = true;
		} else if (!strncmp(line, "created by ", 11)) {
			cur->has_creator = true;
			snprintf(cur->creator, sizeof(cur->creator), "%s", line + 11);
			char *in = strstr(cur->creator, " in goroutine ");
			if (in)
				*in = '\0';
			char *fl = strtok_r(NULL, "\n", &save);
			assert_non_null(fl);
			parse_file_line(fl, cur->creator_file, sizeof(cur->creator_file),
					&cur->creator_line, NULL);
		} else if (line[0] != '\t') {
			if (!strncmp(line, "panic: ", 7) || !strncmp(line, "[signal", 7))
				continue;
			assert_true(cur->nframes < 512);
			struct oframe *fr = &cur->frames[cur->nframes++];
			const char *paren = strrchr(line, '(');
			assert_non_null(paren);
			size_t nl = (size_t)(paren - line);
			assert_true(nl < sizeof(fr->func));
			memcpy(fr->func, line, nl);
			fr->inlined = !strcmp(paren, "(...)");
			char *fl = strtok_r(NULL, "\n", &save);
			assert_non_null(fl);
			parse_file_line(fl, fr->file, sizeof(fr->file), &fr->line, fr);
		}
	}
	for (size_t k = 0; k < fx.nblocks; k++) {
		struct oblock *b = &fx.blocks[k];
		size_t n = (size_t)snprintf(b->key, sizeof(b->key), "%s|", b->state);
		for (size_t j = 0; j < b->nframes && n < sizeof(b->key); j++)
			n += (size_t)snprintf(b->key + n, sizeof(b->key) - n, "%s %s:%d|",
					      b->frames[j].func, b->frames[j].file,
					      (int)b->frames[j].line);
		assert_true(n < sizeof(b->key));
	}
}

static void check(struct gc_error *err, const char *what)
{
	if (err)
		fail_msg("%s: %s", what, err->message);
}

/* Fails unless cmd (a shell command) exits 0: the tools this test needs. */
static void require_tool(const char *cmd, const char *what)
{
	char *full = NULL;
	assert_true(asprintf(&full, "%s >/dev/null 2>&1", cmd) > 0);
	int rc = system(full);
	free(full);
	if (rc != 0)
		fail_msg("%s is needed by this test and `%s` failed (install it: "
			 "scripts/deps.sh test)", what, cmd);
}

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	require_tool("python3 -c 'import json'", "python3");
	require_tool("go tool pprof -h", "go tool pprof (golang-go)");
	char *fixture = tu_fixture("report");
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
	text = realloc(text, n + 1);
	assert_non_null(text);
	text[n] = '\0';
	parse_oracle((char *)text);
	free(text);
	if (fx.nblocks < 17)
		fail_msg("the oracle (%s/oracle.txt) has %zu goroutine blocks; "
			 "testdata/report parks 13 goroutines besides the runtime's", fx.dir,
			 fx.nblocks);

	check(ga_core_open(fx.core_path, &fx.core), "core");
	check(ga_exe_open(fx.exe_path, &fx.exe), "executable");
	const struct ga_mapping *map = ga_core_exe_mapping(fx.core);
	uint64_t bias = ga_load_bias(fx.exe, map);
	check(gc_addrspace_create(&fx.as), "address space");
	check(ga_core_add_segments(fx.core, fx.as, 0), "core segments");
	check(ga_exe_add_segments(fx.exe, fx.as, 1, bias), "exe segments");
	static struct gr_image img;
	ga_image_init(&img, fx.core, fx.exe, fx.as, bias);
	struct gr_open_config cfg = {.image = &img, .warn = ga_warn_to_file, .warn_ctx = stderr};
	check(gr_process_open(&cfg, &fx.proc), "gr_process_open");
	assert_int_equal(gr_process_ngoroutines(fx.proc), fx.nblocks);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gr_process_destroy(fx.proc);
	gc_addrspace_destroy(fx.as);
	ga_exe_close(fx.exe);
	ga_core_close(fx.core);
	for (size_t k = 0; k < fx.nblocks; k++)
		free(fx.blocks[k].frames);
	free(fx.blocks);
	free(fx.core_path);
	if (fx.dir)
		tu_rmdir(fx.dir);
	free(fx.exe_path);
	memset(&fx, 0, sizeof(fx));
	return 0;
}

static const struct gr_goroutine *goroutine(uint64_t goid)
{
	const struct gr_goroutine *g = gr_process_find_goroutine(fx.proc, goid);
	if (!g)
		fail_msg("goroutine %" PRIu64 " of the oracle is not in the core", goid);
	return g;
}

/* Whether the oracle printed b's whole stack (so ours must equal it). */
static bool complete(const struct oblock *b)
{
	return !b->running && !b->unavailable && !b->elided;
}

static char *slurp(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	if (!f)
		fail_msg("popen %s: %s", cmd, strerror(errno));
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t k;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, k, m);
	int rc = pclose(f);
	fclose(m);
	if (rc != 0)
		fail_msg("`%s` failed (status %d); it said:\n%s", cmd, rc, buf);
	return buf;
}

/* ---- gr_func_display_name ---- */

static void test_display_name(void **state)
{
	(void)state;
	char buf[64];
	static const char *const cases[][2] = {
		{"runtime.gopanic", "panic"},
		{"main.lockIn[...]", "main.lockIn[...]"},
		{"main.lockIn[go.shape.string_0]", "main.lockIn[...]"},
		{"main.(*box[go.shape.int]).get", "main.(*box[...]).get"},
		{"main.f[a].g[b]", "main.f[...]"},
		{"main.x]y[z", "main.x]y[z"},
		{"main.main", "main.main"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = gr_func_display_name(cases[i][0], buf, sizeof(buf));
		assert_string_equal(buf, cases[i][1]);
		assert_int_equal(n, strlen(cases[i][1]));
	}
	assert_int_equal(gr_func_display_name("main.f[int]", buf, 5), strlen("main.f[...]"));
	assert_string_equal(buf, "main");
	assert_int_equal(gr_func_display_name("main.f[int]", NULL, 0), 11);
}

/* ---- frames vs the oracle ---- */

static void compare_frames(const struct oblock *b, const struct gr_lframe *f, size_t n)
{
	if (complete(b) && n != b->nframes)
		fail_msg("goroutine %" PRIu64 " [%s]: %zu frames, the oracle has %zu", b->goid,
			 b->state, n, b->nframes);
	if (n < b->nframes)
		fail_msg("goroutine %" PRIu64 " [%s]: %zu frames, fewer than the oracle's %zu",
			 b->goid, b->state, n, b->nframes);
	/* The oracle's running goroutine starts at the panic (the runtime
	 * leaves its own crash frames out); ours may have more inside. */
	size_t off = complete(b) || b->elided ? 0 : n - b->nframes;
	for (size_t j = 0; j < b->nframes; j++) {
		const struct oframe *o = &b->frames[j];
		const struct gr_lframe *g = &f[off + j];
		if (strcmp(o->func, g->func) || strcmp(o->file, g->file) || o->line != g->line ||
		    o->inlined != g->inlined)
			fail_msg("goroutine %" PRIu64 " frame %zu:\n  want %s%s %s:%d\n"
				 "  got  %s%s %s:%d", b->goid, j, o->func, o->inlined ? "(...)" : "",
				 o->file, (int)o->line, g->func, g->inlined ? "(...)" : "", g->file,
				 (int)g->line);
		if (o->has_addr && (o->pc != g->pc || o->sp != g->sp))
			fail_msg("goroutine %" PRIu64 " frame %zu (%s): pc/sp 0x%" PRIx64 "/0x%" PRIx64
				 ", the oracle has 0x%" PRIx64 "/0x%" PRIx64, b->goid, j, g->func,
				 g->pc, g->sp, o->pc, o->sp);
	}
}

static void test_frames(void **state)
{
	(void)state;
	size_t ncomplete = 0, nframes = 0;
	for (size_t k = 0; k < fx.nblocks; k++) {
		const struct oblock *b = &fx.blocks[k];
		const struct gr_goroutine *g = goroutine(b->goid);
		struct gr_lframe *f;
		size_t n;
		unsigned flags;
		check(gr_goroutine_frames(fx.proc, g, SIZE_MAX, &f, &n, &flags), "frames");
		if (b->unavailable) {
			free(f);
			continue;
		}
		assert_int_equal(flags, 0);
		compare_frames(b, f, n);
		ncomplete += complete(b);
		nframes += n;
		/* max cuts the list and says so. */
		if (n > 2) {
			struct gr_lframe *f2;
			size_t n2;
			check(gr_goroutine_frames(fx.proc, g, 2, &f2, &n2, &flags), "frames max 2");
			assert_int_equal(n2, 2);
			assert_true(flags & GR_FRAMES_TRUNCATED);
			assert_string_equal(f2[1].func, f[1].func);
			free(f2);
		}
		free(f);

		const char *func, *file;
		int32_t line;
		uint64_t parent;
		bool has = gr_goroutine_created_by(fx.proc, g, &func, &file, &line, &parent);
		if (has != b->has_creator)
			fail_msg("goroutine %" PRIu64 ": created_by %d, the oracle %d", b->goid,
				 has, b->has_creator);
		if (has) {
			char name[256];
			gr_func_display_name(func, name, sizeof(name));
			assert_string_equal(name, b->creator);
			assert_string_equal(file, b->creator_file);
			assert_int_equal(line, b->creator_line);
		}
	}
	print_message("report: %zu goroutines' frames equal the oracle's (%zu frames)\n",
		      ncomplete, nframes);
	assert_true(ncomplete >= 16);
	/* The crashing goroutine: runtime.gopanic printed as "panic". */
	const struct oblock *b1 = oracle_block(1);
	assert_non_null(b1);
	assert_string_equal(b1->frames[0].func, "panic");
}

/* ---- groups vs the oracle, grouped here ---- */

struct ogroup {
	const char *key;
	uint64_t goids[64];
	size_t count;
};

static int cmp_goid(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Groups the oracle's complete blocks by key; returns the number. */
static size_t oracle_groups(struct ogroup *v, size_t cap)
{
	size_t n = 0;
	for (size_t k = 0; k < fx.nblocks; k++) {
		const struct oblock *b = &fx.blocks[k];
		if (!complete(b))
			continue;
		size_t i = 0;
		while (i < n && strcmp(v[i].key, b->key) != 0)
			i++;
		if (i == n) {
			assert_true(n < cap);
			v[n++] = (struct ogroup){.key = b->key};
		}
		assert_true(v[i].count < 64);
		v[i].goids[v[i].count++] = b->goid;
	}
	/* The dump follows allgs, not goid order (a reused g gets a new goid). */
	for (size_t i = 0; i < n; i++)
		qsort(v[i].goids, v[i].count, sizeof(uint64_t), cmp_goid);
	return n;
}

static const struct gr_goroutine **complete_goroutines(size_t *n_ret)
{
	const struct gr_goroutine **gs = calloc(fx.nblocks, sizeof(*gs));
	assert_non_null(gs);
	size_t n = 0;
	for (size_t k = 0; k < fx.nblocks; k++)
		if (complete(&fx.blocks[k]))
			gs[n++] = goroutine(fx.blocks[k].goid);
	*n_ret = n;
	return gs;
}

static void test_groups(void **state)
{
	(void)state;
	struct ogroup og[256];
	size_t nog = oracle_groups(og, 256);
	size_t ngs;
	const struct gr_goroutine **gs = complete_goroutines(&ngs);
	struct gr_groups *groups;
	check(gr_groups_build(fx.proc, gs, ngs, NULL, &groups), "groups");
	assert_int_equal(groups->ngoroutines, ngs);
	if (groups->n != nog)
		fail_msg("%zu groups, the oracle's stacks make %zu", groups->n, nog);
	bool seen5 = false, seen3 = false, seen2 = false;
	for (size_t i = 0; i < groups->n; i++) {
		const struct gr_group *gr = &groups->v[i];
		if (i)
			assert_true(gr->count < groups->v[i - 1].count ||
				    (gr->count == groups->v[i - 1].count &&
				     gr->goids[0] > groups->v[i - 1].goids[0]));
		/* Its first goid's oracle group has exactly its goids. */
		const struct oblock *b = oracle_block(gr->goids[0]);
		assert_non_null(b);
		const struct ogroup *o = NULL;
		for (size_t j = 0; j < nog && !o; j++)
			if (!strcmp(og[j].key, b->key))
				o = &og[j];
		assert_non_null(o);
		if (o->count != gr->count)
			fail_msg("group of goroutine %" PRIu64 " [%s]: %zu goroutines, the oracle "
				 "%zu", gr->goids[0], gr->state, gr->count, o->count);
		for (size_t j = 0; j < gr->count; j++)
			assert_int_equal(gr->goids[j], o->goids[j]);
		assert_string_equal(gr->state, b->state);
		if (gr->nframes != b->nframes)
			fail_msg("group of goroutine %" PRIu64 " [%s]: %zu frames, the oracle %zu "
				 "(%s)", gr->goids[0], gr->state, gr->nframes, b->nframes, b->key);
		assert_int_equal(gr->unwind_flags, 0);
		seen5 |= gr->count == 5 && !strcmp(gr->state, "chan receive");
		seen3 |= gr->count == 3 && !strcmp(gr->state, "semacquire");
		seen2 |= gr->count == 2 && !strcmp(gr->state, "sleep");
	}
	assert_true(seen5 && seen3 && seen2);
	assert_int_equal(groups->v[0].count, 5);

	/* Text: the header of the largest group, then its frames. */
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_true(gr_groups_print_text(groups, m));
	fclose(m);
	char want[512];
	const struct gr_group *g5 = &groups->v[0];
	int w = snprintf(want, sizeof(want), "5 goroutines [chan receive]:");
	for (size_t j = 0; j < 5; j++)
		w += snprintf(want + w, sizeof(want) - (size_t)w, " %" PRIu64, g5->goids[j]);
	const struct oblock *b5 = oracle_block(g5->goids[0]);
	w += snprintf(want + w, sizeof(want) - (size_t)w, "\n\t%s()\n\t\t%s:%d\n",
		      b5->frames[0].func, b5->frames[0].file, (int)b5->frames[0].line);
	if (strncmp(buf, want, strlen(want)) != 0)
		fail_msg("text summary starts:\n%.300s\nwant:\n%s", buf, want);
	assert_non_null(strstr(buf, "\tmain.take(...)\n"));
	assert_non_null(strstr(buf, "\tmain.lockIn[...]()\n"));
	assert_non_null(strstr(buf, "\n\n1 goroutine ["));
	free(buf);

	/* JSON, read back by python: counts, goids, states, frames. */
	char *path = NULL;
	assert_true(asprintf(&path, "%s/groups.json", fx.dir) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_true(gr_groups_write_json(groups, f));
	assert_int_equal(fclose(f), 0);
	char *cmd = NULL;
	assert_true(asprintf(&cmd, "python3 -c '\n"
		"import json, sys\n"
		"for g in json.load(open(sys.argv[1])):\n"
		"    assert set(g) == {\"count\", \"state\", \"labels\", \"goids\", \"wait_minutes_min\", "
		"\"wait_minutes_max\", \"partial\", \"frames\"}, sorted(g)\n"
		"    assert g[\"count\"] == len(g[\"goids\"]) and g[\"labels\"] == {}\n"
		"    print(g[\"count\"], g[\"goids\"][0], g[\"state\"], len(g[\"frames\"]), "
		"g[\"frames\"][0][\"func\"], sep=\"|\")\n"
		"' '%s'", path) > 0);
	char *out = slurp(cmd);
	char *p = out;
	for (size_t i = 0; i < groups->n; i++) {
		const struct gr_group *gr = &groups->v[i];
		char line[512];
		snprintf(line, sizeof(line), "%zu|%" PRIu64 "|%s|%zu|%s\n", gr->count, gr->goids[0],
			 gr->state, gr->nframes, gr->frames[0].func);
		if (strncmp(p, line, strlen(line)) != 0)
			fail_msg("groups JSON entry %zu: want %s got %.200s", i, line, p);
		p += strlen(line);
	}
	assert_string_equal(p, "");
	free(out);
	free(cmd);
	free(path);
	gr_groups_destroy(groups);
	free(gs);
}

/* ---- goroutines as JSON ---- */

static void test_json(void **state)
{
	(void)state;
	size_t n = gr_process_ngoroutines(fx.proc);
	const struct gr_goroutine **gs = calloc(n, sizeof(*gs));
	assert_non_null(gs);
	for (size_t i = 0; i < n; i++)
		gs[i] = gr_process_goroutine(fx.proc, i);
	char *path = NULL;
	assert_true(asprintf(&path, "%s/goroutines.json", fx.dir) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	check(gr_write_goroutines_json(fx.proc, gs, n, f), "goroutines JSON");
	assert_int_equal(fclose(f), 0);
	/* One line per goroutine and per frame, tab-separated. */
	char *cmd = NULL;
	assert_true(asprintf(&cmd, "python3 -c '\n"
		"import json, sys\n"
		"keys = {\"id\", \"state\", \"wait_reason\", \"wait_minutes\", \"locked_to_thread\", "
		"\"created_by\", \"labels\", \"bubble\", \"durable\", \"leaked\", \"frames\", "
		"\"partial\"}\n"
		"for g in json.load(open(sys.argv[1])):\n"
		"    assert set(g) == keys, sorted(g)\n"
		"    assert g[\"partial\"] is False\n"
		"    assert g[\"labels\"] == {}\n"
		"    assert g[\"bubble\"] is None and g[\"durable\"] is False and g[\"leaked\"] is False\n"
		"    c = g[\"created_by\"]\n"
		"    assert c is None or set(c) == {\"func\", \"file\", \"line\", \"goid\"}, c\n"
		"    print(\"G\", g[\"id\"], g[\"state\"], g[\"wait_reason\"], g[\"wait_minutes\"], "
		"int(g[\"locked_to_thread\"]), \"-\" if c is None else "
		"\"%%s %%s:%%d\" %% (c[\"func\"], c[\"file\"], c[\"line\"]), len(g[\"frames\"]), "
		"sep=\"\\t\")\n"
		"    for fr in g[\"frames\"]:\n"
		"        assert set(fr) == {\"func\", \"file\", \"line\", \"pc\", \"sp\", \"inlined\"}\n"
		"        print(\"F\", fr[\"func\"], \"%%s:%%d\" %% (fr[\"file\"], fr[\"line\"]), "
		"int(fr[\"inlined\"]), int(fr[\"pc\"], 16), int(fr[\"sp\"], 16), sep=\"\\t\")\n"
		"' '%s'", path) > 0);
	char *out = slurp(cmd);
	char *save = NULL;
	char *line = strtok_r(out, "\n", &save);
	size_t ngoroutines = 0, nchecked = 0;
	while (line) {
		unsigned long long id;
		assert_int_equal(sscanf(line, "G\t%llu\t", &id), 1);
		const struct oblock *b = oracle_block(id);
		assert_non_null(b);
		const struct gr_goroutine *g = goroutine(id);
		char want[4096];
		const char *reason = (g->status & ~GR_GSCAN) == GR_GWAITING
					     ? gr_process_waitreason(fx.proc, g->waitreason) : "";
		char creator[1400] = "-";
		if (b->has_creator)
			snprintf(creator, sizeof(creator), "%s %s:%d", b->creator, b->creator_file,
				 (int)b->creator_line);
		snprintf(want, sizeof(want), "G\t%llu\t%s\t%s\t%lld\t%d\t%s\t", id, b->state, reason,
			 (long long)(b->minutes < 0 ? 0 : b->minutes), b->locked, creator);
		if (strncmp(line, want, strlen(want)) != 0)
			fail_msg("goroutine %llu JSON:\n  want %s\n  got  %s", id, want, line);
		if ((g->status & ~GR_GSCAN) == GR_GWAITING)
			assert_string_equal(reason, b->state);
		size_t nf = strtoull(line + strlen(want), NULL, 10);
		struct oframe *got = calloc(nf + 1, sizeof(*got));
		assert_non_null(got);
		for (size_t j = 0; j < nf; j++) {
			line = strtok_r(NULL, "\n", &save);
			assert_non_null(line);
			char fileline[1024];
			int inl;
			unsigned long long pc, sp;
			assert_true(sscanf(line, "F\t%255[^\t]\t%1023[^\t]\t%d\t%llu\t%llu",
					   got[j].func, fileline, &inl, &pc, &sp) == 5);
			char *colon = strrchr(fileline, ':');
			*colon = '\0';
			snprintf(got[j].file, sizeof(got[j].file), "%s", fileline);
			got[j].line = (int32_t)atoi(colon + 1);
			got[j].inlined = inl;
			got[j].pc = pc;
			got[j].sp = sp;
		}
		if (!b->unavailable) {
			struct gr_lframe *lf = calloc(nf + 1, sizeof(*lf));
			for (size_t j = 0; j < nf; j++)
				lf[j] = (struct gr_lframe){.func = got[j].func, .file = got[j].file,
							   .line = got[j].line, .pc = got[j].pc,
							   .sp = got[j].sp, .inlined = got[j].inlined};
			compare_frames(b, lf, nf);
			free(lf);
			nchecked++;
		}
		free(got);
		ngoroutines++;
		line = strtok_r(NULL, "\n", &save);
	}
	assert_int_equal(ngoroutines, n);
	print_message("report: JSON of %zu goroutines parsed; %zu compared frame by frame\n",
		      ngoroutines, nchecked);
	free(out);
	free(cmd);
	free(path);
	free(gs);
}

static void test_json_string(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	gr_json_string(m, "a\"b\\c\n\t\x01\x1f\x7f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
		       "\xff \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82");
	fclose(m);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7f \xc3\xa9 \xe2\x82\xac "
			    "\xf0\x9f\x98\x80 \\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd "
			    "\\ufffd\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\"");
	/* And python reads it back. */
	char *path = NULL, *cmd = NULL;
	assert_true(asprintf(&path, "%s/s.json", fx.dir) > 0);
	tu_write_file(path, buf, len);
	assert_true(asprintf(&cmd, "python3 -c 'import json,sys; "
		"s = json.load(open(sys.argv[1])); print(ascii(s))' '%s'", path) > 0);
	char *out = slurp(cmd);
	assert_string_equal(out, "'a\"b\\\\c\\n\\t\\x01\\x1f\\x7f \\xe9 \\u20ac \\U0001f600 "
			    "\\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\\ufffd "
			    "\\ufffd\\ufffd'\n");
	free(out);
	free(cmd);
	free(path);
	free(buf);
}

static bool has_func(const struct oblock *b, const void *arg);

/* ---- pprof ---- */

static void test_pprof(void **state)
{
	(void)state;
	struct gr_groups *groups;
	check(gr_groups_build(fx.proc, NULL, 0, NULL, &groups), "groups");
	assert_int_equal(groups->ngoroutines, gr_process_ngoroutines(fx.proc));
	char *path = NULL;
	assert_true(asprintf(&path, "%s/goroutine.pb.gz", fx.dir) > 0);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	struct gr_pprof_mapping exe = {.filename = fx.exe_path, .build_id = fx.exe->go_build_id};
	check(gr_write_pprof(groups, &exe, f), "pprof");
	assert_int_equal(fclose(f), 0);
	/* gzip magic. */
	size_t size;
	uint8_t *bytes = tu_read_file(path, &size);
	assert_true(size > 20 && bytes[0] == 0x1f && bytes[1] == 0x8b);
	free(bytes);

	char *cmd = NULL;
	assert_true(asprintf(&cmd, "go tool pprof -raw '%s' 2>&1", path) > 0);
	char *raw = slurp(cmd);
	free(cmd);
	assert_non_null(strstr(raw, "PeriodType: goroutine count"));
	assert_non_null(strstr(raw, "goroutine/count"));
	/* Samples: "   COUNT: LOC LOC ..." lines up to "Locations". */
	char *s = strstr(raw, "Samples:");
	char *locs = strstr(raw, "Locations");
	assert_non_null(s);
	assert_non_null(locs);
	size_t total = 0, nsamples = 0;
	size_t counts[4096] = {0};
	for (char *l = strchr(s, '\n'); l && l < locs; l = strchr(l + 1, '\n')) {
		unsigned long c;
		int off = 0;
		if (sscanf(l + 1, " %lu:%n", &c, &off) == 1 && off > 0) {
			assert_true(nsamples < 4096);
			counts[nsamples++] = c;
			total += c;
		}
	}
	if (total != groups->ngoroutines || nsamples != groups->n)
		fail_msg("pprof -raw: %zu samples totalling %zu; want %zu groups of %zu "
			 "goroutines:\n%.2000s", nsamples, total, groups->n, groups->ngoroutines, raw);
	for (size_t i = 0; i < groups->n; i++)
		assert_int_equal(counts[i], groups->v[i].count);
	/* Inlined frames share their physical frame's Location (pprof -raw
	 * prints the extra lines of a Location indented on their own). */
	static const char *const needles[] = {
		"main.receiver ", "main.take ", "main.lockIn[...] ", "main.sleeper ", "panic ",
		"runtime.gopark ", "M=1 ",
	};
	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		if (!strstr(raw, needles[i]))
			fail_msg("pprof -raw lacks \"%s\":\n%.3000s", needles[i], raw);
	/* main.take inlined into main.receiver: one Location, the oracle's
	 * lines. */
	const struct oblock *rb = NULL;
	for (size_t k = 0; k < fx.nblocks && !rb; k++)
		if (has_func(&fx.blocks[k], "main.take"))
			rb = &fx.blocks[k];
	assert_non_null(rb);
	size_t t = 0;
	while (strcmp(rb->frames[t].func, "main.take") != 0)
		t++;
	char inl[2200];
	snprintf(inl, sizeof(inl), " M=1 main.take %s:%d s=0\n             main.receiver %s:%d s=0\n",
		 rb->frames[t].file, (int)rb->frames[t].line, rb->frames[t + 1].file,
		 (int)rb->frames[t + 1].line);
	if (!strstr(raw, inl))
		fail_msg("pprof -raw lacks the inlined Location\n%s:\n%.3000s", inl, raw);
	free(raw);

	assert_true(asprintf(&cmd, "go tool pprof -top '%s' 2>&1", path) > 0);
	char *top = slurp(cmd);
	free(cmd);
	char want[64];
	snprintf(want, sizeof(want), "of %zu total", groups->ngoroutines);
	if (!strstr(top, want) || !strstr(top, "runtime.gopark"))
		fail_msg("pprof -top: want \"%s\" and runtime.gopark:\n%s", want, top);
	free(top);
	free(path);
	gr_groups_destroy(groups);
}

/* ---- filters ---- */

static size_t select_goids(const struct gr_filter *flt, uint64_t *goids)
{
	const struct gr_goroutine **v;
	size_t n;
	check(gr_filter_select(fx.proc, flt, &v, &n), "select");
	for (size_t i = 0; i < n; i++) {
		goids[i] = v[i]->goid;
		assert_true(gr_filter_match(fx.proc, v[i], flt));
	}
	free(v);
	/* Grouping with the filter keeps the same goroutines. */
	struct gr_groups *groups;
	check(gr_groups_build(fx.proc, NULL, 0, flt, &groups), "groups with filter");
	assert_int_equal(groups->ngoroutines, n);
	gr_groups_destroy(groups);
	return n;
}

static void expect_goids(const char *what, const struct gr_filter *flt,
			 bool (*want)(const struct oblock *, const void *), const void *arg)
{
	uint64_t got[1024];
	size_t n = select_goids(flt, got), nwant = 0;
	for (size_t k = 0; k < fx.nblocks; k++) {
		if (!want(&fx.blocks[k], arg))
			continue;
		bool found = false;
		for (size_t i = 0; i < n; i++)
			found |= got[i] == fx.blocks[k].goid;
		if (!found)
			fail_msg("filter %s: goroutine %" PRIu64 " [%s] not selected", what,
				 fx.blocks[k].goid, fx.blocks[k].state);
		nwant++;
	}
	if (n != nwant)
		fail_msg("filter %s: %zu goroutines selected, the oracle has %zu", what, n, nwant);
	print_message("report: filter %s: %zu goroutines\n", what, n);
}

static bool by_state(const struct oblock *b, const void *arg)
{
	return !strcmp(b->state, arg);
}

static bool has_func(const struct oblock *b, const void *arg)
{
	for (size_t j = 0; j < b->nframes; j++)
		if (!strcmp(b->frames[j].func, arg))
			return true;
	return false;
}

static bool sleep_in_main(const struct oblock *b, const void *arg)
{
	(void)arg;
	return !strcmp(b->state, "sleep") && has_func(b, "main.sleeper");
}

static bool waited(const struct oblock *b, const void *arg)
{
	return b->minutes >= *(const int64_t *)arg;
}

static void test_filters(void **state)
{
	(void)state;
	struct gr_filter flt = GR_FILTER_ALL;
	uint64_t goids[1024];
	assert_int_equal(select_goids(&flt, goids), fx.nblocks);

	flt.state = "chan receive";
	expect_goids("--state 'chan receive'", &flt, by_state, "chan receive");
	flt.state = "semacquire";
	expect_goids("--state semacquire", &flt, by_state, "semacquire");
	flt.state = "no such state";
	assert_int_equal(select_goids(&flt, goids), 0);

	regex_t re;
	assert_int_equal(regcomp(&re, "^main\\.lockIn\\[", REG_EXTENDED | REG_NOSUB), 0);
	flt = GR_FILTER_ALL;
	flt.match = &re;
	flt.have_match = true;
	expect_goids("--match '^main\\.lockIn\\['", &flt, has_func, "main.lockIn[...]");
	regfree(&re);

	/* A file name, and two conditions at once. */
	assert_int_equal(regcomp(&re, "testdata/report/main\\.go$", REG_EXTENDED | REG_NOSUB), 0);
	flt.state = "sleep";
	expect_goids("--state sleep --match main.go", &flt, sleep_in_main, NULL);
	regfree(&re);

	/* Minutes as the header computes them: the oracle printed none. */
	flt = GR_FILTER_ALL;
	flt.min_wait_minutes = 1;
	expect_goids("--min-wait 1", &flt, waited, &flt.min_wait_minutes);
	/* 0: every goroutine whose wait the GC stamped, all parked ones. */
	flt.min_wait_minutes = 0;
	size_t n = select_goids(&flt, goids);
	assert_true(n >= 10);
	for (size_t i = 0; i < n; i++) {
		const struct oblock *b = oracle_block(goids[i]);
		assert_non_null(b);
		assert_false(b->running);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_display_name),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_pprof),
		cmocka_unit_test(test_filters),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
