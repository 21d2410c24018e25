/* gocore report: one self-contained HTML page (README.md, "gocore report").
 *
 * The page is report.html (built into the binary, build/gen/report_html.c)
 * with the data spliced in where it says GOCORE-DATA: one
 * <script type="application/json"> element per section, each parsed on its
 * own by the page so that a section cut short by a failure leaves the others
 * readable.  The sections are the commands' own JSON (overview, threads,
 * waits) and the goroutine groups of summary in a compact form of their own
 * (functions and files interned, each group's goroutines, leaked ones and
 * labels).  Everything passes through one filter (struct page) that
 *   - escapes <, > and & inside JSON strings, so that nothing in a core can
 *     close the script element;
 *   - writes runs of integers ([7,8,9,...], the goid lists) as a string
 *     "#..." of base-36 deltas, a run of equal deltas as "d*n" (the page
 *     expands them on demand): a million goids then take a few bytes;
 *   - keeps at most a bound of elements of a section's top-level array
 *     (largest first in waits), counting the rest, so the page stays a size
 *     a browser opens whatever the core holds.
 * What gocore says on stderr while it reads the core is captured and shown
 * in the page too (the gaps), and still reaches stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../common/parallel.h"
#include "../../goruntime/labels.h"
#include "../../goruntime/traceback.h"
#include "commands.h"
#include "progress.h"

#ifndef GOCORE_VERSION
#define GOCORE_VERSION "unknown"
#endif

/* build/gen/report_html.c: report.html's bytes. */
extern const unsigned char gocore_report_html[];
extern const size_t gocore_report_html_len;

/* Bounds of the page, whatever the core holds. */
enum {
	REPORT_MAX_WAITS = 5000,          /* wait objects listed */
	REPORT_MAX_THREADS = 20000,       /* threads listed */
	REPORT_MAX_GROUP_LABELS = 8,      /* distinct labels shown per group */
	REPORT_MAX_LABELS = 4096,         /* distinct key=value pairs counted */
	REPORT_MAX_LABEL_TEXT = 256,      /* bytes of one key=value shown */
	REPORT_MAX_STDERR = 1 << 20,      /* bytes of captured stderr shown */
	REPORT_MAX_INTS = 1 << 24,        /* integers of one array compacted */
};

/* ---- stderr capture ---- */

static int saved_stderr = -1; /* the real stderr while captured */
static int capture_fd = -1;   /* a memfd holding what was said */

void report_capture_stderr(void)
{
	fflush(stderr);
	int fd = memfd_create("gocore-stderr", MFD_CLOEXEC);
	if (fd < 0)
		return; /* no capture: the page says only what it read */
	int saved = dup(STDERR_FILENO);
	if (saved < 0 || dup2(fd, STDERR_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		close(fd);
		return;
	}
	saved_stderr = saved;
	capture_fd = fd;
}

void report_release_stderr(char **text)
{
	if (text)
		*text = NULL;
	if (capture_fd < 0)
		return;
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
	off_t size = lseek(capture_fd, 0, SEEK_END);
	char buf[65536];
	size_t kept = 0;
	char *t = text && size > 0 ? malloc(size < REPORT_MAX_STDERR ? (size_t)size + 1
								    : REPORT_MAX_STDERR + 1)
				   : NULL;
	if (size > 0 && lseek(capture_fd, 0, SEEK_SET) == 0) {
		ssize_t r;
		while ((r = read(capture_fd, buf, sizeof(buf))) > 0) {
			/* Replayed whole; kept up to the bound. */
			fwrite(buf, 1, (size_t)r, stderr);
			if (t && kept < REPORT_MAX_STDERR) {
				size_t k = (size_t)r < REPORT_MAX_STDERR - kept ? (size_t)r
									 : REPORT_MAX_STDERR - kept;
				memcpy(t + kept, buf, k);
				kept += k;
			}
		}
	}
	close(capture_fd);
	capture_fd = -1;
	fflush(stderr);
	if (t) {
		t[kept] = '\0';
		*text = t;
	}
}

/* ---- the page filter ---- */

struct page {
	FILE *out;
	int depth;          /* of [ and { outside strings, within the section */
	bool in_str, esc;
	/* A '[' whose elements are so far all integers: held back. */
	bool ints;
	uint64_t *v;
	size_t nv, cap;
	uint64_t cur;
	bool have_digit;
	/* The top-level array's bound. */
	size_t max_top, top, skipped;
	bool skipping;
	bool nomem;         /* an array was left as written: out of memory */
};

static void put_b36(FILE *out, uint64_t x)
{
	char b[16];
	int n = 0;
	do {
		b[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[x % 36];
		x /= 36;
	} while (x);
	while (n)
		fputc(b[--n], out);
}

static void put_delta(FILE *out, uint64_t prev, uint64_t x)
{
	if (x >= prev) {
		put_b36(out, x - prev);
	} else {
		fputc('-', out);
		put_b36(out, prev - x);
	}
}

/* The held-back integers, as written or compacted. */
static void flush_ints(struct page *pg, bool closed)
{
	FILE *out = pg->out;
	if (closed && pg->nv >= 16) {
		fputs("\"#", out);
		uint64_t prev = 0;
		for (size_t i = 0; i < pg->nv;) {
			size_t run = 1;
			uint64_t d = pg->v[i] - prev;
			if (pg->v[i] >= prev)
				while (i + run < pg->nv && pg->v[i + run] >= pg->v[i + run - 1] &&
				       pg->v[i + run] - pg->v[i + run - 1] == d)
					run++;
			if (i)
				fputc(',', out);
			put_delta(out, prev, pg->v[i]);
			if (run > 1) {
				fputc('*', out);
				put_b36(out, run);
			}
			prev = pg->v[i + run - 1];
			i += run;
		}
		fputc('"', out);
	} else {
		fputc('[', out);
		for (size_t i = 0; i < pg->nv; i++)
			fprintf(out, "%s%" PRIu64, i ? "," : "", pg->v[i]);
		if (pg->have_digit)
			fprintf(out, "%s%" PRIu64, pg->nv ? "," : "", pg->cur);
		if (closed)
			fputc(']', out);
	}
	pg->ints = false;
	pg->nv = 0;
	pg->have_digit = false;
	pg->cur = 0;
}

static void page_char(struct page *pg, char c);

/* One character of the JSON the section writes. */
static void page_char(struct page *pg, char c)
{
	FILE *out = pg->out;
	if (pg->in_str) {
		if (!pg->skipping) {
			if (!pg->esc && (c == '<' || c == '>' || c == '&'))
				fprintf(out, "\\u%04x", (unsigned)c);
			else
				fputc(c, out);
		}
		if (pg->esc)
			pg->esc = false;
		else if (c == '\\')
			pg->esc = true;
		else if (c == '"')
			pg->in_str = false;
		return;
	}
	if (pg->ints) {
		if (c >= '0' && c <= '9' && (!pg->have_digit || pg->cur <= UINT64_MAX / 10 - 9)) {
			pg->cur = pg->cur * 10 + (uint64_t)(c - '0');
			pg->have_digit = true;
			return;
		}
		if ((c == ',' || c == ']') && pg->have_digit && pg->nv < REPORT_MAX_INTS) {
			if (pg->nv == pg->cap) {
				size_t ncap = pg->cap ? 2 * pg->cap : 256;
				uint64_t *nvp = realloc(pg->v, ncap * sizeof(*nvp));
				if (!nvp) {
					pg->nomem = true;
					flush_ints(pg, false);
					page_char(pg, c);
					return;
				}
				pg->v = nvp;
				pg->cap = ncap;
			}
			pg->v[pg->nv++] = pg->cur;
			pg->cur = 0;
			pg->have_digit = false;
			if (c == ']') {
				flush_ints(pg, true);
				pg->depth--;
			}
			return;
		}
		if (c == ']' && !pg->have_digit && pg->nv == 0) {
			fputs("[]", out);
			pg->ints = false;
			pg->depth--;
			return;
		}
		/* Not an array of integers after all. */
		flush_ints(pg, false);
	}
	if (c == '"') {
		pg->in_str = true;
		if (!pg->skipping)
			fputc(c, out);
		return;
	}
	if (pg->max_top && pg->depth == 1 && c == ',') {
		if (pg->skipping) {
			pg->skipped++;
			return;
		}
		if (++pg->top >= pg->max_top) {
			pg->skipping = true;
			pg->skipped = 1;
			return;
		}
	}
	if (c == '[' || c == '{') {
		pg->depth++;
		if (c == '[' && !pg->skipping && pg->depth > 1) {
			pg->ints = true;
			return;
		}
	} else if (c == ']' || c == '}') {
		pg->depth--;
		if (pg->depth == 0)
			pg->skipping = false;
	}
	if (!pg->skipping)
		fputc(c, out);
}

static ssize_t page_write(void *cookie, const char *buf, size_t size)
{
	struct page *pg = cookie;
	for (size_t i = 0; i < size; i++)
		page_char(pg, buf[i]);
	return ferror(pg->out) ? -1 : (ssize_t)size;
}

/* Starts a section: <script type="application/json" id="d-NAME">, and a
 * stream the section's JSON is written to.  NULL when out of memory. */
static FILE *section_begin(struct page *pg, const char *name, size_t max_top)
{
	uint64_t *v = pg->v;
	size_t cap = pg->cap;
	bool nomem = pg->nomem;
	*pg = (struct page){.out = pg->out, .v = v, .cap = cap, .max_top = max_top, .nomem = nomem};
	fprintf(pg->out, "<script type=\"application/json\" id=\"d-%s\">", name);
	FILE *f = fopencookie(pg, "w", (cookie_io_functions_t){.write = page_write});
	if (f)
		setvbuf(f, NULL, _IOFBF, 1 << 16);
	return f;
}

/* Ends it: the element, and how many top-level elements the bound left
 * out (data-more). */
static void section_end(struct page *pg, FILE *f, const char *name)
{
	fclose(f);
	if (pg->ints)
		flush_ints(pg, false);
	fputs("</script>\n", pg->out);
	if (pg->skipped)
		fprintf(pg->out, "<script type=\"application/json\" id=\"d-%s-more\">%zu</script>\n",
			name, pg->skipped);
}

/* ---- the groups ---- */

/* Interned strings: an index per distinct string, in first-seen order. */
struct strtab {
	const char **v;
	size_t n;
	size_t *slots; /* index + 1; 0: empty */
	size_t nslots;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The index of s, SIZE_MAX when it is not there. */
static size_t strtab_find(const struct strtab *t, const char *s)
{
	if (!t->nslots)
		return SIZE_MAX;
	for (size_t h = str_hash(s) & (t->nslots - 1); t->slots[h]; h = (h + 1) & (t->nslots - 1))
		if (strcmp(t->v[t->slots[h] - 1], s) == 0)
			return t->slots[h] - 1;
	return SIZE_MAX;
}

/* The index of s, added when new; SIZE_MAX when out of memory. */
static size_t strtab_add(struct strtab *t, const char *s)
{
	if (2 * (t->n + 1) > t->nslots) {
		size_t nn = t->nslots ? 2 * t->nslots : 1024;
		size_t *ns = calloc(nn, sizeof(*ns));
		const char **nv = realloc(t->v, nn / 2 * sizeof(*nv));
		if (!ns || !nv) {
			free(ns);
			if (nv)
				t->v = nv;
			return SIZE_MAX;
		}
		t->v = nv;
		for (size_t i = 0; i < t->n; i++) {
			size_t h = str_hash(t->v[i]) & (nn - 1);
			while (ns[h])
				h = (h + 1) & (nn - 1);
			ns[h] = i + 1;
		}
		free(t->slots);
		t->slots = ns;
		t->nslots = nn;
	}
	size_t h = str_hash(s) & (t->nslots - 1);
	while (t->slots[h]) {
		if (strcmp(t->v[t->slots[h] - 1], s) == 0)
			return t->slots[h] - 1;
		h = (h + 1) & (t->nslots - 1);
	}
	t->v[t->n] = s;
	t->slots[h] = ++t->n;
	return t->n - 1;
}

static void strtab_free(struct strtab *t)
{
	free(t->v);
	free(t->slots);
}

/* Counted label pairs ("key=value"), owned copies. */
struct label_count {
	char *text;
	size_t count;
};

struct labels_seen {
	struct strtab tab;
	size_t *count;      /* by index */
	bool full;          /* REPORT_MAX_LABELS reached: some not counted */
};

/* Per group: its distinct labels (indexes into labels_seen), its leaked and
 * undecided goroutines. */
struct group_extra {
	size_t labels[REPORT_MAX_GROUP_LABELS];
	size_t nlabels;
	bool more_labels;
	size_t leaked, undecided;
	size_t leaked_off; /* into the leaked goid array */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct goid_group {
	uint64_t goid;
	size_t group;
};

static int cmp_goid_group(const void *a, const void *b)
{
	return cmp_u64(a, b);
}

/* The goroutine groups and what the report adds to them, as the section
 * "groups":
 *   {"funcs":[...],"std":[0|1 per func],"files":[...],"labels":[["k=v",count],...],
 *    "labels_partial":bool,"leaks":{...}|null,
 *    "groups":[{"n":count,"s":state,"g":[goids],"w":[min,max],
 *               "gap":text|null,"f":[[func,file,line,inlined],...],
 *               "l":[label index...],"lm":bool,"k":leaked,"kg":[goids],
 *               "u":undecided,"wm":[minutes per goid, when they differ]}]}
 * Returns false when out of memory (the section is then cut short). */
static bool write_groups(struct session *s, const struct gr_groups *groups,
			 const struct gr_leaks *l, FILE *f)
{
	const struct gr_process *p = s->proc;
	bool ok = false;
	struct strtab funcs = {0}, files = {0};
	struct labels_seen ls = {0};
	bool *fstd = NULL; /* by function index: the standard library's */
	size_t nfstd = 0;
	struct group_extra *ex = calloc(groups->n ? groups->n : 1, sizeof(*ex));
	struct goid_group *gg = malloc((groups->ngoroutines ? groups->ngoroutines : 1) *
				       sizeof(*gg));
	uint64_t *leaked = malloc((groups->ngoroutines ? groups->ngoroutines : 1) *
				  sizeof(*leaked));
	if (!ex || !gg || !leaked)
		goto out;
	size_t ng = 0;
	for (size_t i = 0; i < groups->n; i++)
		for (size_t k = 0; k < groups->v[i].count && ng < groups->ngoroutines; k++)
			gg[ng++] = (struct goid_group){groups->v[i].goids[k], i};
	qsort(gg, ng, sizeof(*gg), cmp_goid_group);
	/* Leaked counts first (to place each group's leaked goids), labels
	 * alongside. */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			size_t off = 0;
			for (size_t i = 0; i < groups->n; i++) {
				ex[i].leaked_off = off;
				off += ex[i].leaked;
				ex[i].leaked = 0;
			}
		}
		for (size_t i = 0; i < gr_process_ngoroutines(p); i++) {
			const struct gr_goroutine *g = gr_process_goroutine(p, i);
			struct goid_group key = {g->goid, 0};
			struct goid_group *hit = bsearch(&key, gg, ng, sizeof(*gg), cmp_goid_group);
			if (!hit)
				continue;
			struct group_extra *e = &ex[hit->group];
			enum gr_leak_verdict v = l ? gr_leaks_verdict(l, g) : GR_LEAK_UNDECIDED;
			if (v == GR_LEAK_LEAKED) {
				if (pass == 1)
					leaked[e->leaked_off + e->leaked] = g->goid;
				e->leaked++;
			} else if (v == GR_LEAK_UNDECIDED && pass == 0 && l) {
				e->undecided++;
			}
			if (pass == 1)
				continue;
			struct gr_labels lab;
			struct gc_error *err = gr_goroutine_labels(p, g, &lab);
			if (err == &gc_error_nomem) {
				gr_labels_free(&lab);
				goto out;
			}
			gc_error_destroy(err);
			for (size_t k = 0; k < lab.n; k++) {
				char text[REPORT_MAX_LABEL_TEXT];
				snprintf(text, sizeof(text), "%s=%s", lab.v[k].key, lab.v[k].value);
				/* Counted when seen before; added below the bound. */
				size_t idx = strtab_find(&ls.tab, text);
				if (idx == SIZE_MAX) {
					if (ls.tab.n >= REPORT_MAX_LABELS) {
						ls.full = true;
						continue;
					}
					char *copy = strdup(text);
					size_t *nc = copy ? realloc(ls.count, (ls.tab.n + 1) * sizeof(*nc))
							  : NULL;
					if (nc)
						ls.count = nc;
					if (!nc || (idx = strtab_add(&ls.tab, copy)) == SIZE_MAX) {
						free(copy);
						gr_labels_free(&lab);
						goto out;
					}
					ls.count[idx] = 0;
				}
				ls.count[idx]++;
				bool have = false;
				for (size_t j = 0; j < e->nlabels; j++)
					have |= e->labels[j] == idx;
				if (!have && e->nlabels < REPORT_MAX_GROUP_LABELS)
					e->labels[e->nlabels++] = idx;
				else if (!have)
					e->more_labels = true;
			}
			gr_labels_free(&lab);
		}
	}
	for (size_t i = 0; i < groups->n; i++)
		for (size_t k = 0; k < groups->v[i].nframes; k++) {
			const struct gr_lframe *fr = &groups->v[i].frames[k];
			size_t before = funcs.n;
			if (strtab_add(&funcs, fr->func) == SIZE_MAX ||
			    strtab_add(&files, fr->file) == SIZE_MAX)
				goto out;
			if (funcs.n == before)
				continue;
			if (funcs.n > nfstd) {
				size_t n = nfstd ? 2 * nfstd : 256;
				bool *nf = realloc(fstd, n * sizeof(*nf));
				if (!nf)
					goto out;
				fstd = nf;
				nfstd = n;
			}
			fstd[funcs.n - 1] = gr_func_is_std(fr->sym ? fr->sym : fr->func);
		}
	fputs("{\"funcs\":[", f);
	for (size_t i = 0; i < funcs.n; i++) {
		fputs(i ? "," : "", f);
		gr_json_string(f, funcs.v[i]);
	}
	/* Which functions are the user's, as --color tells them apart
	 * (gr_func_is_std, by the symbol: "panic" is runtime.gopanic). */
	fputs("],\"std\":[", f);
	for (size_t i = 0; i < funcs.n; i++)
		fprintf(f, "%s%d", i ? "," : "", fstd[i]);
	fputs("],\"files\":[", f);
	for (size_t i = 0; i < files.n; i++) {
		fputs(i ? "," : "", f);
		gr_json_string(f, files.v[i]);
	}
	fputs("],\"labels\":[", f);
	for (size_t i = 0; i < ls.tab.n; i++) {
		fputs(i ? ",[" : "[", f);
		gr_json_string(f, ls.tab.v[i]);
		fprintf(f, ",%zu]", ls.count[i]);
	}
	fprintf(f, "],\"labels_partial\":%s,\"groups\":[", ls.full ? "true" : "false");
	for (size_t i = 0; i < groups->n; i++) {
		const struct gr_group *gr = &groups->v[i];
		const struct group_extra *e = &ex[i];
		fprintf(f, "%s{\"n\":%zu,\"s\":", i ? ",\n" : "", gr->count);
		gr_json_string(f, gr->state);
		fputs(",\"g\":[", f);
		for (size_t k = 0; k < gr->count; k++)
			fprintf(f, "%s%" PRIu64, k ? "," : "", gr->goids[k]);
		fprintf(f, "],\"w\":[%" PRId64 ",%" PRId64 "],\"gap\":", gr->wait_min, gr->wait_max);
		const char *gap = gr_stack_gap(gr->unwind_flags);
		if (gap)
			gr_json_string(f, gap);
		else
			fputs("null", f);
		fputs(",\"f\":[", f);
		for (size_t k = 0; k < gr->nframes; k++) {
			const struct gr_lframe *fr = &gr->frames[k];
			fprintf(f, "%s[%zu,%zu,%" PRId32 ",%d]", k ? "," : "",
				strtab_add(&funcs, fr->func), strtab_add(&files, fr->file), fr->line,
				fr->inlined);
		}
		fputs("],\"l\":[", f);
		for (size_t k = 0; k < e->nlabels; k++)
			fprintf(f, "%s%zu", k ? "," : "", e->labels[k]);
		fprintf(f, "],\"lm\":%s,\"k\":%zu,\"kg\":[", e->more_labels ? "true" : "false",
			e->leaked);
		qsort(leaked + e->leaked_off, e->leaked, sizeof(*leaked), cmp_u64);
		for (size_t k = 0; k < e->leaked; k++)
			fprintf(f, "%s%" PRIu64, k ? "," : "", leaked[e->leaked_off + k]);
		fprintf(f, "],\"u\":%zu", e->undecided);
		/* Each goroutine's wait, when the group's differ: minutes in
		 * goid order (-1: unknown). */
		if (gr->wait_max >= 1 && gr->wait_min != gr->wait_max) {
			fputs(",\"wm\":[", f);
			for (size_t k = 0; k < gr->count; k++) {
				const struct gr_goroutine *g = gr_process_find_goroutine(p, gr->goids[k]);
				int64_t m = -1;
				if (!g || !gr_goroutine_wait_minutes(p, g, &m))
					m = -1;
				fprintf(f, "%s%" PRId64, k ? "," : "", m);
			}
			fputc(']', f);
		}
		fputc('}', f);
	}
	fputs("]}", f);
	ok = true;
out:
	for (size_t i = 0; i < ls.tab.n; i++)
		free((char *)ls.tab.v[i]);
	strtab_free(&ls.tab);
	free(ls.count);
	strtab_free(&funcs);
	strtab_free(&files);
	free(fstd);
	free(ex);
	free(gg);
	free(leaked);
	return ok;
}

/* ---- the command ---- */

/* Writes a plain JSON string section from text (NULL: null). */
static void text_section(struct page *pg, const char *name, const char *text)
{
	FILE *f = section_begin(pg, name, 0);
	if (!f)
		return;
	if (text)
		gr_json_string(f, text);
	else
		fputs("null", f);
	section_end(pg, f, name);
}

int cmd_report(struct session *s, const struct cmd_options *o)
{
	char *tmp, *target;
	int rc;
	FILE *out = cmd_open_output(s, o->output, "the report", &tmp, &target, &rc);
	if (!out) {
		report_release_stderr(NULL);
		return rc;
	}
	const unsigned char *html = gocore_report_html;
	const char *mark = "<!--GOCORE-DATA-->";
	const unsigned char *at = memmem(html, gocore_report_html_len, mark, strlen(mark));
	size_t head = at ? (size_t)(at - html) : gocore_report_html_len;
	fwrite(html, 1, head, out);

	struct page pg = {.out = out};
	FILE *saved_out = s->out;
	struct cmd_options jo = {.json = true, .filter = GR_FILTER_ALL};
	int worst = EXIT_OK;
	struct gc_error *err = NULL;

	/* The heap walk first: its messages are said once. */
	int lrc = EXIT_OK;
	struct gr_leaks *l = cmd_find_leaks(s, GR_LEAKS_HOLDERS, &lrc);
	if (!l)
		s->gaps = true;

	/* The commands' own JSON, each in its section; waits needs the walk. */
	static const struct {
		const char *name;
		int (*cmd)(struct session *, const struct cmd_options *);
		size_t max_top;
		bool needs_leaks;
	} sections[] = {
		{"overview", cmd_overview, 0, false},
		{"threads", cmd_threads, REPORT_MAX_THREADS, false},
		{"waits", cmd_waits, REPORT_MAX_WAITS, true},
	};
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (sections[i].needs_leaks && !l)
			continue;
		FILE *f = section_begin(&pg, sections[i].name, sections[i].max_top);
		if (!f) {
			err = &gc_error_nomem;
			break;
		}
		s->out = f;
		int r = sections[i].cmd(s, &jo);
		s->out = saved_out;
		section_end(&pg, f, sections[i].name);
		if (r != EXIT_OK && worst == EXIT_OK)
			worst = r;
	}
	struct gr_groups *groups = NULL;
	if (!err) {
		struct progress pr;
		progress_start(&pr, "grouped");
		err = gr_groups_build_jobs(s->proc, NULL, 0, NULL, NULL, gc_parallel_cpus(),
					   progress_callback, &pr, &groups);
		progress_end(&pr);
	}
	if (!err) {
		cmd_note_group_gaps(s, groups);
		FILE *f = section_begin(&pg, "groups", 0);
		if (!f || !write_groups(s, groups, l, f))
			err = &gc_error_nomem;
		if (f)
			section_end(&pg, f, "groups");
	}
	gr_groups_destroy(groups);
	free(pg.v);
	pg.v = NULL;
	pg.cap = 0;
	if (pg.nomem && !err)
		err = &gc_error_nomem;

	text_section(&pg, "version", GOCORE_VERSION);
	/* Last: everything said on stderr up to here. */
	if (err)
		fprintf(stderr, "gocore: %s\n", err->message);
	char *said;
	report_release_stderr(&said);
	text_section(&pg, "stderr", said ? said : "");
	free(said);
	free(pg.v);
	if (at)
		fwrite(at + strlen(mark), 1, gocore_report_html_len - head - strlen(mark), out);

	int werr = ferror(out) ? errno : 0;
	if (fclose(out) != 0 && !werr)
		werr = errno ? errno : EIO;
	if (werr) {
		fprintf(stderr, "gocore: %s: %s\n", o->output, strerror(werr));
		if (tmp)
			unlink(tmp);
		rc = EXIT_OUTPUT;
	} else if (tmp && rename(tmp, target) != 0) {
		fprintf(stderr, "gocore: %s: renaming %s over it: %s\n", o->output, tmp,
			strerror(errno));
		unlink(tmp);
		rc = EXIT_OUTPUT;
	} else if (err) {
		/* Out of memory: the page holds what was gathered before. */
		gc_error_destroy(err);
		rc = EXIT_INPUT;
	} else {
		/* A section that could not be made is a gap the page shows. */
		if (worst != EXIT_OK || lrc != EXIT_OK)
			s->gaps = true;
		rc = EXIT_OK;
	}
	free(tmp);
	free(target);
	return rc;
}
