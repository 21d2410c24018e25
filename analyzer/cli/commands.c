/* The gocore commands.  See commands.h and README.md. */
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/parallel.h"
#include "../../goruntime/buildinfo.h"
#include "../../goruntime/leaks.h"
#include "../../goruntime/panic.h"
#include "../../goruntime/pprof.h"
#include "../../goruntime/signal.h"
#include "../../goruntime/traceback.h"
#include "../../goruntime/unwind.h"
#include "colour.h"
#include "progress.h"

/* ---- output errors ---- */

/* EXIT_OUTPUT, after saying why stdout failed (errnum: the write's errno,
 * read right after the failing call). */
static int output_failed(int errnum)
{
	fprintf(stderr, "gocore: writing the output: %s\n",
		strerror(errnum ? errnum : EIO));
	return EXIT_OUTPUT;
}

/* Where a text output goes: the session's stream, or with --color a stream
 * that colours its lines on their way there (colour.h); NULL when out of
 * memory.  With colour off nothing stands between the printers and
 * s->out. */
static FILE *text_open(const struct session *s, const struct cmd_options *o,
		       enum colour_layout layout)
{
	return o->color ? colour_open(s->out, layout) : s->out;
}

/* Closes what text_open opened, and returns rc, or EXIT_OUTPUT after
 * saying why when the coloured text could not be written out. */
static int text_close(const struct session *s, FILE *out, int rc)
{
	if (!out || out == s->out)
		return rc;
	errno = 0;
	if (colour_close(out) != 0 && rc == EXIT_OK)
		return output_failed(errno);
	return rc;
}

/* ---- goroutines, stack ---- */

/* A goroutine JSON leaves partial: a gap, explained on stderr as the text
 * output explains its own. */
static void json_gap(void *ctx, const struct gr_goroutine *g, unsigned flags)
{
	struct session *s = ctx;
	s->gaps = true;
	fprintf(stderr, "gocore: goroutine %" PRIu64 ": %s\n", g->goid, gr_stack_gap(flags));
}

static int print_goroutines(struct session *s, const struct gr_goroutine *const *gs, size_t n,
			    const struct cmd_options *o)
{
	if (o->json) {
		struct gc_error *err = gr_write_goroutines_json_jobs(
			s->proc, gs, n, n > 1 ? gc_parallel_cpus() : 1, s->out, json_gap, s);
		int errnum = errno;
		if (err && err->code != GC_ERR_IO)
			return session_fail(err);
		gc_error_destroy(err);
		if (err || ferror(s->out))
			return output_failed(errnum);
		fputc('\n', s->out);
		return EXIT_OK;
	}
	struct gr_print_options popts = {.frame_addrs = o->frame_addrs};
	FILE *out = text_open(s, o, COLOUR_TRACEBACK);
	if (!out)
		return session_fail(&gc_error_nomem);
	struct progress pr;
	progress_start(&pr, "printed");
	unsigned gaps = 0;
	/* On every CPU; the output is the same as on one. */
	struct gc_error *err = gr_print_goroutines(s->proc, gs, n, &popts,
						   n > 1 ? gc_parallel_cpus() : 1, out,
						   ga_say_to_file, stderr, progress_callback, &pr,
						   &gaps);
	int errnum = errno;
	progress_end(&pr);
	if (gaps)
		s->gaps = true;
	int rc = EXIT_OK;
	if (err) {
		/* A full disk or a closed pipe: stopped at once. */
		if (err->code == GC_ERR_IO) {
			gc_error_destroy(err);
			rc = output_failed(errnum);
		} else {
			rc = session_fail(err);
		}
	}
	return text_close(s, out, rc);
}

int cmd_goroutines(struct session *s, const struct cmd_options *o)
{
	const struct gr_goroutine **gs;
	size_t n;
	struct gc_error *err = gr_filter_select(s->proc, &o->filter, &gs, &n);
	if (err)
		return session_fail(err);
	int rc = print_goroutines(s, gs, n, o);
	free(gs);
	return rc;
}

int cmd_stack(struct session *s, uint64_t goid, const struct cmd_options *o)
{
	const struct gr_goroutine *g = gr_process_find_goroutine(s->proc, goid);
	if (!g) {
		fprintf(stderr, "gocore: %s: no goroutine %" PRIu64 " (`gocore goroutines` lists "
			"them)\n", s->core->path, goid);
		return EXIT_INPUT;
	}
	return print_goroutines(s, &g, 1, o);
}

/* ---- summary, pprof ---- */

/* A group whose stacks could not be walked whole is a gap: say so. */
void cmd_note_group_gaps(struct session *s, const struct gr_groups *groups)
{
	for (size_t i = 0; i < groups->n; i++) {
		const struct gr_group *g = &groups->v[i];
		const char *gap = gr_stack_gap(g->unwind_flags);
		if (!gap)
			continue;
		s->gaps = true;
		fprintf(stderr, "gocore: %zu goroutine%s (goroutine %" PRIu64 "%s): %s\n", g->count,
			g->count == 1 ? "" : "s", g->goids[0], g->count > 1 ? " and others" : "",
			gap);
	}
}

int cmd_summary(struct session *s, const struct cmd_options *o)
{
	struct gr_groups *groups;
	struct progress pr;
	progress_start(&pr, "grouped");
	struct gr_group_by by = {.label_key = o->group_label};
	struct gc_error *err = gr_groups_build_jobs(s->proc, NULL, 0, &o->filter, &by,
						    gc_parallel_cpus(), progress_callback, &pr,
						    &groups);
	progress_end(&pr);
	if (err)
		return session_fail(err);
	cmd_note_group_gaps(s, groups);
	FILE *out = o->json ? s->out : text_open(s, o, COLOUR_SUMMARY);
	if (!out) {
		gr_groups_destroy(groups);
		return session_fail(&gc_error_nomem);
	}
	bool ok = o->json ? gr_groups_write_json(groups, out) : gr_groups_print_text(groups, out);
	int errnum = errno;
	if (ok && o->json)
		fputc('\n', s->out);
	gr_groups_destroy(groups);
	return text_close(s, out, ok ? EXIT_OK : output_failed(errnum));
}

/* Where pprof writes: never over the core or the executable being read.
 * A regular file (or a new one) is written as a temporary file beside it,
 * renamed over it once complete (*tmp_ret and *target_ret, to be freed), so
 * that a failed run leaves no half-written profile and keeps an old one;
 * anything else (/dev/stdout, a pipe) is written in place (*tmp_ret NULL).
 * Returns the open stream, or NULL after saying why (*rc_ret: the exit
 * code). */
FILE *cmd_open_output(const struct session *s, const char *path, const char *noun,
		      char **tmp_ret, char **target_ret, int *rc_ret)
{
	*tmp_ret = *target_ret = NULL;
	*rc_ret = EXIT_OUTPUT;
	struct stat st, exe_st;
	bool exists = stat(path, &st) == 0;
	if (exists) {
		const char *what = NULL;
		if ((uint64_t)st.st_dev == s->core->file_dev && (uint64_t)st.st_ino == s->core->file_ino)
			what = "the core";
		else if (fstat(s->exe->fd, &exe_st) == 0 && st.st_dev == exe_st.st_dev &&
			 st.st_ino == exe_st.st_ino)
			what = "the executable";
		else if (s->go != s->exe && fstat(s->go->fd, &exe_st) == 0 &&
			 st.st_dev == exe_st.st_dev && st.st_ino == exe_st.st_ino)
			what = "the Go library";
		if (what) {
			fprintf(stderr, "gocore: %s: this is %s being read (%s); refusing to write "
				"%s over it\n", path, what, noun,
				what[4] == 'c' ? s->core->path : what[4] == 'G' ? s->go->path
									 : s->exe->path);
			return NULL;
		}
		if (!S_ISREG(st.st_mode)) {
			FILE *f = fopen(path, "wb");
			if (!f)
				fprintf(stderr, "gocore: %s: %s\n", path, strerror(errno));
			return f;
		}
	}
	/* A symbolic link keeps pointing where it did: replace its target. */
	char *target = exists ? realpath(path, NULL) : strdup(path);
	if (!target) {
		*rc_ret = exists && errno != ENOMEM ? EXIT_OUTPUT : EXIT_INPUT;
		fprintf(stderr, "gocore: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	const char *slash = strrchr(target, '/');
	char *tmp = NULL;
	if (asprintf(&tmp, "%.*s%s.gocore-XXXXXX", slash ? (int)(slash + 1 - target) : 0,
		     target, slash ? slash + 1 : target) < 0) {
		free(target);
		*rc_ret = session_fail(&gc_error_nomem);
		return NULL;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	FILE *f = NULL;
	if (fd < 0) {
		fprintf(stderr, "gocore: %s: cannot create a temporary file beside it: %s\n", path,
			strerror(errno));
	} else {
		/* mkostemp makes it 0600; a profile gets fopen's 0666 & ~umask. */
		mode_t mask = umask(0);
		umask(mask);
		fchmod(fd, 0666 & ~mask);
		if (!(f = fdopen(fd, "wb"))) {
			int errnum = errno;
			close(fd);
			unlink(tmp);
			if (errnum == ENOMEM) {
				*rc_ret = session_fail(&gc_error_nomem);
			} else {
				fprintf(stderr, "gocore: %s: %s\n", path, strerror(errnum));
			}
		}
	}
	if (!f) {
		free(tmp);
		free(target);
		return NULL;
	}
	*tmp_ret = tmp;
	*target_ret = target;
	return f;
}

int cmd_pprof(struct session *s, const struct cmd_options *o)
{
	char *tmp, *target;
	int rc;
	FILE *f = cmd_open_output(s, o->output, "the profile", &tmp, &target, &rc);
	if (!f)
		return rc;
	struct gr_groups *groups;
	struct progress pr;
	progress_start(&pr, "grouped");
	/* Like the runtime's goroutine profile, samples carry their labels. */
	struct gr_group_by by = {.all_labels = true};
	struct gc_error *err = gr_groups_build_jobs(s->proc, NULL, 0, &o->filter, &by,
						    gc_parallel_cpus(), progress_callback, &pr,
						    &groups);
	progress_end(&pr);
	if (!err) {
		cmd_note_group_gaps(s, groups);
		struct gr_pprof_mapping map = {s->go->path, s->go->go_build_id};
		err = gr_write_pprof(groups, &map, f);
		gr_groups_destroy(groups);
	}
	if (fclose(f) != 0 && !err)
		err = gc_error_create(GC_ERR_IO, "%s: %s", o->output, strerror(errno));
	if (!err && tmp && rename(tmp, target) != 0)
		err = gc_error_create(GC_ERR_IO, "%s: renaming %s over it: %s", o->output, tmp,
				      strerror(errno));
	if (err && tmp)
		unlink(tmp);
	free(tmp);
	free(target);
	if (err) {
		bool io = err->code == GC_ERR_IO;
		rc = session_fail(err);
		return io ? EXIT_OUTPUT : rc;
	}
	return EXIT_OK;
}

/* ---- overview ---- */

static void json_kv_str(FILE *out, const char *key, const char *value, bool comma)
{
	fprintf(out, "%s\"%s\":", comma ? "," : "", key);
	if (value)
		gr_json_string(out, value);
	else
		fputs("null", out);
}

struct state_count {
	const char *state;
	size_t n;
};

static int cmp_state_count(const void *a, const void *b)
{
	const struct state_count *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->state, y->state);
}

/* Goroutines per header state, most frequent first. */
static struct state_count *count_states(const struct gr_process *p, size_t *n_ret)
{
	size_t n = gr_process_ngoroutines(p), k = 0;
	struct state_count *v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *st = gr_goroutine_state(p, gr_process_goroutine(p, i));
		size_t j = 0;
		while (j < k && strcmp(v[j].state, st) != 0)
			j++;
		if (j == k)
			v[k++] = (struct state_count){st, 0};
		v[j].n++;
	}
	qsort(v, k, sizeof(*v), cmp_state_count);
	*n_ret = k;
	return v;
}

static const char *source_name(enum gr_layout_source src)
{
	switch (src) {
	case GR_SOURCE_DWARF: return "DWARF";
	case GR_SOURCE_TYPES: return "type descriptors";
	case GR_SOURCE_FACTS: return "facts";
	default: return "none";
	}
}

/* The signal that started the crash: the one gr_crash_read found, else
 * the one the core's first thread was handling, else the core's own. */
static int fatal_signal(const struct session *s, const struct gr_crash *crash)
{
	if (crash->signo)
		return crash->signo;
	int handled = s->core->nthreads ? gr_thread_handled_signal(s->proc, &s->core->threads[0]) : 0;
	if (handled)
		return handled;
	return s->core->siginfo.present ? s->core->siginfo.signo : 0;
}

static int64_t gomaxprocs(const struct session *s)
{
	uint64_t addr;
	uint32_t v;
	if (ga_exe_symbol(s->go, "runtime.gomaxprocs", &addr, NULL) &&
	    gc_addrspace_u32(s->as, addr + s->bias, &v))
		return (int32_t)v;
	return -1;
}

/* overview's leak line: the goroutines `leaks` lists (-1: the walk
 * failed, said on stderr), those it could not decide, and those the
 * runtime's own leak check had marked (_Gleaked, Go 1.26+). */
struct leak_counts {
	long long leaked, undecided;
	size_t runtime_marked;
};

static void count_leaks(struct session *s, struct leak_counts *c)
{
	struct gr_leaks *l;
	c->leaked = c->undecided = -1;
	c->runtime_marked = 0;
	for (size_t i = 0; i < gr_process_ngoroutines(s->proc); i++)
		c->runtime_marked += gr_goroutine_leaked(s->proc, gr_process_goroutine(s->proc, i));
	struct gc_error *err = NULL;
	if (s->leaks)
		l = s->leaks;
	else if (!(err = gr_leaks_find(s->proc, 0, &l)))
		s->leaks = l, s->leaks_flags = 0;
	if (err) {
		/* A gap of the overview (exit 3), said like the others. */
		fprintf(stderr, "gocore: leaked goroutines unknown: %s\n", err->message);
		gc_error_destroy(err);
		s->gaps = true;
		return;
	}
	const struct gr_leak_stats *st = gr_leaks_stats(l);
	c->leaked = (long long)st->leaked;
	c->undecided = (long long)st->undecided;
}

int cmd_overview(struct session *s, const struct cmd_options *o)
{
	/* Build IDs, symbols and build info are those of the file with the Go
	 * code: the executable, or the Go library of a non-Go executable. */
	const struct ga_exe *exe = s->go;
	const char *lib = s->golib.lib ? s->golib.lib->path : NULL;
	const struct gr_process *p = s->proc;
	struct gr_buildinfo bi = {0};
	struct gc_error *err = gr_buildinfo_read(&exe->image, s->as, s->bias, &bi);
	if (err && err->code == GC_ERR_NOMEM)
		return session_fail(err);
	bool have_bi = !err;
	struct leak_counts lc;
	count_leaks(s, &lc);
	gc_error_destroy(err);
	char gnu_id[2 * sizeof(exe->build_id) + 1] = "";
	for (size_t i = 0; i < exe->build_id_len; i++)
		sprintf(gnu_id + 2 * i, "%02x", exe->build_id[i]);
	enum gr_layout_source src;
	bool checked;
	size_t bad;
	gr_process_layout_report(p, &src, &checked, &bad);
	size_t nstates = 0;
	struct state_count *states = count_states(p, &nstates);
	if (!states) {
		if (have_bi)
			gr_buildinfo_deinit(&bi);
		return session_fail(&gc_error_nomem);
	}
	struct gr_crash crash;
	err = gr_crash_read(p, &crash);
	if (err == &gc_error_nomem) {
		free(states);
		if (have_bi)
			gr_buildinfo_deinit(&bi);
		return session_fail(err);
	}
	if (err) {
		fprintf(stderr, "gocore: warning: panic message: %s\n", err->message);
		gc_error_destroy(err);
		err = NULL;
	}
	const struct gr_goroutine *crashed = crash.g;
	char *panic = crash.message, *sigline = crash.signal_line;
	size_t plen = strlen(panic);
	while (plen && panic[plen - 1] == '\n')
		panic[--plen] = '\0';
	int sig = fatal_signal(s, &crash);
	const char *signame = sig ? gr_signal_name(sig) : NULL;
	const struct gr_image_siginfo *si = &s->core->siginfo;
	/* The thread the crash began on; else the one the kernel names first
	 * (it took the core's signal). */
	int32_t lwp = crash.thread && crash.thread->core ? crash.thread->core->lwp
		      : s->core->nthreads		   ? s->core->threads[0].lwp
							   : 0;
	int64_t procs = gomaxprocs(s);

	if (o->json) {
		FILE *out = s->out;
		fputc('{', out);
		json_kv_str(out, "exe", s->exe->path, false);
		json_kv_str(out, "go_library", lib, true);
		json_kv_str(out, "go_build_id", exe->go_build_id, true);
		json_kv_str(out, "build_id", *gnu_id ? gnu_id : NULL, true);
		json_kv_str(out, "go_version", gr_process_go_version(p), true);
		json_kv_str(out, "module", have_bi ? bi.module : NULL, true);
		json_kv_str(out, "main_package", have_bi ? bi.path : NULL, true);
		json_kv_str(out, "goarch", s->core->arch->name, true);
		if (procs >= 0)
			fprintf(out, ",\"gomaxprocs\":%" PRId64, procs);
		else
			fputs(",\"gomaxprocs\":null", out);
		fprintf(out, ",\"threads\":%zu,\"goroutines\":%zu,\"states\":{", s->core->nthreads,
			gr_process_ngoroutines(p));
		for (size_t i = 0; i < nstates; i++) {
			if (i)
				fputc(',', out);
			gr_json_string(out, states[i].state);
			fprintf(out, ":%zu", states[i].n);
		}
		fputc('}', out);
		if (lc.leaked >= 0)
			fprintf(out, ",\"leaked\":%lld,\"leaked_undecided\":%lld", lc.leaked,
				lc.undecided);
		else
			fputs(",\"leaked\":null,\"leaked_undecided\":null", out);
		fprintf(out, ",\"runtime_leaked\":%zu", lc.runtime_marked);
		json_kv_str(out, "signal", signame, true);
		json_kv_str(out, "signal_line", sigline ? sigline : "", true);
		json_kv_str(out, "core_signal", si->present ? gr_signal_name(si->signo) : NULL, true);
		if (si->present)
			fprintf(out, ",\"core_signal_code\":%" PRId32 ",\"core_signal_addr\":\"0x%" PRIx64 "\"",
				si->code, si->addr);
		fprintf(out, ",\"crashing_thread\":%" PRId32, lwp);
		if (crash.m_id >= 0)
			fprintf(out, ",\"crashing_m\":%" PRId64, crash.m_id);
		else
			fputs(",\"crashing_m\":null", out);
		if (crashed)
			fprintf(out, ",\"crashing_goroutine\":%" PRIu64, crashed->goid);
		else
			fputs(",\"crashing_goroutine\":null", out);
		json_kv_str(out, "panic", panic ? panic : "", true);
		json_kv_str(out, "layouts", source_name(src), true);
		fprintf(out, ",\"layouts_cross_checked\":%s,\"layout_disagreements\":%zu",
			checked ? "true" : "false", bad);
		json_kv_str(out, "globals", gr_process_globals_source(p), true);
		fprintf(out, ",\"stripped\":%s}\n", exe->has_symtab ? "false" : "true");
	} else {
		fprintf(s->out, "executable:   %s\n", s->exe->path);
		if (lib && strcmp(lib, s->golib.recorded) != 0)
			fprintf(s->out, "Go library:   %s (the core maps %s)\n", lib, s->golib.recorded);
		else if (lib)
			fprintf(s->out, "Go library:   %s\n", lib);
		if (exe->go_build_id)
			fprintf(s->out, "Go build ID:  %s\n", exe->go_build_id);
		if (*gnu_id)
			fprintf(s->out, "GNU build ID: %s\n", gnu_id);
		fprintf(s->out, "Go version:   %s\n", gr_process_go_version(p));
		fprintf(s->out, "module:       %s\n", have_bi && *bi.module ? bi.module
					 : have_bi             ? "(none)"
							       : "(no build information)");
		if (have_bi && *bi.path)
			fprintf(s->out, "main package: %s\n", bi.path);
		fprintf(s->out, "GOARCH:       %s\n", s->core->arch->name);
		if (procs >= 0)
			fprintf(s->out, "GOMAXPROCS:   %" PRId64 "\n", procs);
		else
			fprintf(s->out, "GOMAXPROCS:   unknown (no symbols)\n");
		fprintf(s->out, "symbols:      %s%s\n", exe->has_symtab ? "yes" : "stripped",
		       exe->nsections ? "" : ", no section headers");
		fprintf(s->out, "layouts:      %s", src == GR_SOURCE_DWARF   ? "DWARF"
					   : src == GR_SOURCE_TYPES ? "the runtime's type descriptors (no DWARF)"
								    : source_name(src));
		if (checked)
			fprintf(s->out, ", cross-checked with the type descriptors: %s",
			       bad ? "DISAGREE (see warnings)" : "agree");
		fprintf(s->out, "\nglobals:      found by %s\n", gr_process_globals_source(p));
		fprintf(s->out, "threads:      %zu\n", s->core->nthreads);
		fprintf(s->out, "goroutines:   %zu", gr_process_ngoroutines(p));
		for (size_t i = 0; i < nstates; i++)
			fprintf(s->out, "%s%zu %s", i ? ", " : " (", states[i].n, states[i].state);
		fprintf(s->out, "%s\n", nstates ? ")" : "");
		if (lc.leaked < 0)
			fprintf(s->out, "leaked:       unknown (see the warning)");
		else if (lc.leaked == 0)
			fprintf(s->out, "leaked:       none");
		else
			fprintf(s->out, "leaked:       %lld goroutine%s (gocore leaks lists them)", lc.leaked,
			       lc.leaked == 1 ? "" : "s");
		if (lc.undecided > 0)
			fprintf(s->out, ", %lld undecided", lc.undecided);
		if (lc.runtime_marked)
			fprintf(s->out, "; the runtime's leak profile had marked %zu", lc.runtime_marked);
		fputc('\n', s->out);
		if (sigline && *sigline)
			fprintf(s->out, "signal:       %s\n", sigline);
		else if (signame)
			fprintf(s->out, "signal:       %s%s%s\n", signame,
			       gr_signal_description(sig) && *gr_signal_description(sig) ? ": " : "",
			       gr_signal_description(sig) ? gr_signal_description(sig) : "");
		if (si->present && si->signo != sig)
			fprintf(s->out, "core signal:  %s (the runtime's crash after printing its dump)\n",
			       gr_signal_name(si->signo) ? gr_signal_name(si->signo) : "?");
		char m[32] = "";
		if (crash.m_id >= 0)
			snprintf(m, sizeof(m), "M %" PRId64 ", ", crash.m_id);
		if (crashed)
			fprintf(s->out, "crashed:      goroutine %" PRIu64 " on %sthread LWP %" PRId32 "\n",
			       crashed->goid, m, lwp);
		else
			fprintf(s->out, "crashed:      %sthread LWP %" PRId32 " (no goroutine: a system stack)\n",
			       m, lwp);
		if (panic && *panic) {
			/* Indent continuation lines under the label. */
			fputs("message:      ", s->out);
			for (const char *c = panic; *c; c++) {
				fputc(*c, s->out);
				if (*c == '\n' && c[1])
					fputs("              ", s->out);
			}
			fputc('\n', s->out);
		}
	}
	gr_crash_deinit(&crash);
	free(states);
	if (have_bi)
		gr_buildinfo_deinit(&bi);
	return EXIT_OK;
}

/* ---- threads ---- */

int cmd_threads(struct session *s, const struct cmd_options *o)
{
	const struct gr_arch *arch = s->core->arch;
	const struct gr_process *p = s->proc;
	const struct ga_core *core = s->core;
	const struct gopclntab *t = gr_process_pclntab(p);
	size_t nm = gr_process_nthreads(p), ng = gr_process_ngoroutines(p);
	/* Each core thread's M and that M's current goroutine. */
	const struct gr_thread **ms = calloc(core->nthreads ? core->nthreads : 1, sizeof(*ms));
	uint64_t *goid = calloc(core->nthreads ? core->nthreads : 1, sizeof(*goid));
	if (!ms || !goid) {
		free(ms);
		free(goid);
		return session_fail(&gc_error_nomem);
	}
	/* Linear in threads and goroutines: a core may hold tens of
	 * thousands of each. */
	for (size_t i = 0; i < nm; i++) {
		const struct gr_thread *th = gr_process_thread(p, i);
		if (th->core && th->core >= core->threads && th->core < core->threads + core->nthreads)
			ms[th->core - core->threads] = th;
	}
	for (size_t j = 0; j < ng; j++) {
		const struct gr_goroutine *g = gr_process_goroutine(p, j);
		const struct gr_thread *th = gr_process_thread_of(p, g);
		if (th && th->core && th->core >= core->threads &&
		    th->core < core->threads + core->nthreads && ms[th->core - core->threads] == th)
			goid[th->core - core->threads] = g->goid;
	}
	if (o->json)
		fputc('[', s->out);
	else
		fprintf(s->out, "%-8s %-4s %-9s %-18s %s\n", "LWP", "M", "GOROUTINE", "PC", "LOCATION");
	for (size_t k = 0; k < core->nthreads; k++) {
		const struct gr_image_thread *th = &core->threads[k];
		uint64_t pc = gr_image_thread_pc(&s->image, th);
		struct gopclntab_func f;
		const char *file = NULL;
		int32_t line = 0;
		bool inf = gopclntab_find_func(t, pc, &f);
		if (inf)
			gopclntab_file_line(t, &f, pc, &file, &line);
		/* The kernel writes the thread that took the fatal signal first. */
		const char *sig = k == 0 && core->siginfo.present ? gr_signal_name(core->siginfo.signo)
								  : NULL;
		if (o->json) {
			fprintf(s->out, "%s{\"lwp\":%" PRId32, k ? "," : "", th->lwp);
			if (ms[k])
				fprintf(s->out, ",\"m\":%" PRId64, ms[k]->m_id);
			else
				fputs(",\"m\":null", s->out);
			if (goid[k])
				fprintf(s->out, ",\"goroutine\":%" PRIu64, goid[k]);
			else
				fputs(",\"goroutine\":null", s->out);
			fprintf(s->out, ",\"pc\":\"0x%" PRIx64 "\"", pc);
			json_kv_str(s->out, "func", inf ? f.name : NULL, true);
			json_kv_str(s->out, "file", inf ? file : NULL, true);
			fprintf(s->out, ",\"line\":%" PRId32, line);
			json_kv_str(s->out, "signal", sig, true);
			if (o->frame_addrs) { /* -v: every register */
				fputs(",\"registers\":{", s->out);
				for (unsigned r = 0; r < arch->nregs && r < GR_REGS_MAX; r++)
					fprintf(s->out, "%s\"%s\":\"0x%" PRIx64 "\"", r ? "," : "",
						arch->reg_names[r], th->regs.r[r]);
				fputc('}', s->out);
			}
			fputc('}', s->out);
			continue;
		}
		char m[24] = "-", g[24] = "-", where[512];
		if (ms[k])
			snprintf(m, sizeof(m), "%" PRId64, ms[k]->m_id);
		if (goid[k])
			snprintf(g, sizeof(g), "%" PRIu64, goid[k]);
		if (inf)
			snprintf(where, sizeof(where), "%s+0x%" PRIx64 " %s:%" PRId32, f.name,
				 pc - f.entry, file ? file : "?", line);
		else
			snprintf(where, sizeof(where), "? (not Go code)");
		fprintf(s->out, "%-8" PRId32 " %-4s %-9s 0x%-16" PRIx64 " %s%s%s%s\n", th->lwp, m, g, pc, where,
		       sig ? "  <- " : "", sig ? sig : "", sig ? " (killed the process)" : "");
		/* -v: every register, by its architecture's names, four a line. */
		for (unsigned r = 0; o->frame_addrs && r < arch->nregs && r < GR_REGS_MAX; r++) {
			bool last = r % 4 == 3 || r + 1 == arch->nregs;
			char v[24];
			snprintf(v, sizeof(v), "0x%" PRIx64, th->regs.r[r]);
			fprintf(s->out, "%s%-8s %-*s%s", r % 4 ? "  " : "    ", arch->reg_names[r], last ? 0 : 18,
			       v, last ? "\n" : "");
		}
	}
	if (o->json)
		fputs("]\n", s->out);
	free(ms);
	free(goid);
	return EXIT_OK;
}

/* ---- leaks, waits ---- */

/* The heap walk's verdicts, once per session (overview, waits and report
 * all want them); the session owns them.  NULL after saying why (*rc). */
struct gr_leaks *cmd_find_leaks(struct session *s, unsigned flags, int *rc)
{
	if (s->leaks && (s->leaks_flags & flags) == flags)
		return s->leaks;
	gr_leaks_destroy(s->leaks);
	s->leaks = NULL;
	struct gr_leaks *l;
	struct progress pr;
	progress_start(&pr, "walked");
	struct gc_error *err = gr_leaks_find(s->proc, flags, &l);
	progress_end(&pr);
	if (err) {
		*rc = session_fail(err);
		return NULL;
	}
	s->leaks = l;
	s->leaks_flags = flags;
	const struct gr_leak_stats *st = gr_leaks_stats(l);
	if (st->no_spans) {
		s->gaps = true;
		fprintf(stderr, "gocore: %s: no heap span found (their runtime.mspan records are "
			"not in the core, or not where the layout says); the goroutines blocked "
			"on a channel or a sync primitive are \"undecided\"\n", s->core->path);
	} else if (st->missing_bytes) {
		s->gaps = true;
		fprintf(stderr, "gocore: %s: %" PRIu64 " bytes of the process's memory are not in "
			"the core; only goroutines blocked on a nil channel or in select {} are "
			"called leaked, the others are \"undecided\"\n", s->core->path,
			st->missing_bytes);
	}
	return l;
}

struct wait_json_ctx {
	const struct gr_process *p;
	struct gr_leaks *l;
};

/* One object a goroutine waits on, as JSON. */
static void write_wait_obj(FILE *out, const struct gr_wait *w, const struct gr_wait_obj *o)
{
	fputs("{\"kind\":", out);
	gr_json_string(out, gr_wait_kind_name(w->kind));
	fprintf(out, ",\"addr\":\"0x%" PRIx64 "\"", o->addr);
	if (o->dir)
		fprintf(out, ",\"dir\":\"%s\"", o->dir == GR_DIR_RECV ? "receive" : "send");
	fputc('}', out);
}

static void waits_on_json(void *ctx, const struct gr_goroutine *g, FILE *out)
{
	struct wait_json_ctx *c = ctx;
	struct gr_wait w;
	gr_leaks_wait(c->l, g, &w);
	fputs(",\"waits_on\":[", out);
	for (size_t k = 0; k < w.nobjs; k++) {
		if (k)
			fputc(',', out);
		write_wait_obj(out, &w, &w.objs[k]);
	}
	if (w.nobjs == 0 && (w.kind == GR_WAIT_NIL_CHAN || w.kind == GR_WAIT_SELECT_NO_CASES)) {
		fputs("{\"kind\":", out);
		gr_json_string(out, gr_wait_kind_name(w.kind));
		fputs(",\"addr\":null}", out);
	}
	fputc(']', out);
}

static void leak_note(const struct session *s, const struct gr_leaks *l)
{
	const struct gr_leak_stats *st = gr_leaks_stats(l);
	fprintf(stderr, "gocore: %zu leaked goroutine%s (%zu blocked on a channel or a sync "
		"primitive, %zu undecided); heap walk: %zu spans, %" PRIu64 " of %" PRIu64
		" objects reached in %u rounds; globals scanned %s; stack frames: %" PRIu64
		" by stack maps, %" PRIu64 " word by word; heap objects: %" PRIu64
		" by the runtime's pointer records, %" PRIu64 " word by word\n",
		st->leaked, st->leaked == 1 ? "" : "s", st->candidates, st->undecided, st->spans,
		st->marked, st->objects, st->rounds,
		st->globals_precise ? "precisely (GC bitmaps)" : "word by word",
		st->frames_precise, st->frames_words, st->heap_precise, st->heap_words);
	(void)s;
}

int cmd_leaks(struct session *s, const struct cmd_options *o)
{
	int rc = EXIT_OK;
	struct gr_leaks *l = cmd_find_leaks(s, 0, &rc);
	if (!l)
		return rc;
	const struct gr_goroutine **gs;
	size_t n;
	struct gc_error *err = gr_filter_select(s->proc, &o->filter, &gs, &n);
	if (err) {
		return session_fail(err);
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (gr_leaks_verdict(l, gs[i]) == GR_LEAK_LEAKED)
			gs[k++] = gs[i];
	n = k;
	leak_note(s, l);
	if (o->summary) {
		struct gr_groups *groups;
		struct gr_group_by by = {.label_key = o->group_label};
		err = gr_groups_build_jobs(s->proc, gs, n, NULL, &by, gc_parallel_cpus(), NULL,
					   NULL, &groups);
		if (err) {
			free(gs);
			return session_fail(err);
		}
		cmd_note_group_gaps(s, groups);
		FILE *out = o->json ? s->out : text_open(s, o, COLOUR_SUMMARY);
		if (!out) {
			free(gs);
			gr_groups_destroy(groups);
			return session_fail(&gc_error_nomem);
		}
		bool ok = o->json ? gr_groups_write_json(groups, out)
				  : gr_groups_print_text(groups, out);
		int errnum = errno;
		if (ok && o->json)
			fputc('\n', s->out);
		gr_groups_destroy(groups);
		rc = text_close(s, out, ok ? EXIT_OK : output_failed(errnum));
	} else if (o->json) {
		struct wait_json_ctx c = {s->proc, l};
		/* On one thread: gr_leaks_wait reads through l's caches. */
		err = gr_write_goroutines_json_extra(s->proc, gs, n, 1, s->out, json_gap, s,
						     waits_on_json, &c);
		int errnum = errno;
		if (err && err->code != GC_ERR_IO) {
			rc = session_fail(err);
		} else {
			gc_error_destroy(err);
			rc = err || ferror(s->out) ? output_failed(errnum) : EXIT_OK;
			if (rc == EXIT_OK)
				fputc('\n', s->out);
		}
	} else {
		rc = print_goroutines(s, gs, n, o);
	}
	free(gs);
	return rc;
}

/* waits: one entry per (object, goroutine). */
struct wentry {
	uint64_t addr;
	uint8_t cls;     /* 0 chan, 1 sync, 2 sleep, 3 io, 4 nil chan / no cases */
	uint8_t kind;
	uint8_t dir;
	bool select;
	uint32_t gi;     /* order of the goroutine in the selection */
	const struct gr_goroutine *g;
	int64_t aux;
};

static uint8_t kind_class(enum gr_wait_kind k)
{
	switch (k) {
	case GR_WAIT_CHAN_RECV:
	case GR_WAIT_CHAN_SEND:
	case GR_WAIT_SELECT: return 0;
	case GR_WAIT_SLEEP: return 2;
	case GR_WAIT_IO: return 3;
	case GR_WAIT_NIL_CHAN:
	case GR_WAIT_SELECT_NO_CASES: return 4;
	default: return 1;
	}
}

static int by_object(const void *a, const void *b)
{
	const struct wentry *x = a, *y = b;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->cls >= 2 && x->gi != y->gi)  /* one entry per sleeper, per I/O waiter */
		return x->gi < y->gi ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->gi < y->gi ? -1 : x->gi > y->gi;
}

struct wgroup {
	size_t first, n;
};

static const struct wentry *wents_sorted;

static int by_size(const void *a, const void *b)
{
	const struct wgroup *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return by_object(&wents_sorted[x->first], &wents_sorted[y->first]);
}

static const char *class_name(const struct wentry *e)
{
	if (e->cls == 0)
		return "chan";
	return gr_wait_kind_name((enum gr_wait_kind)e->kind);
}

/* The goids of e[0..n) waiting in direction dir (-1: any), in a select or
 * not (sel 1 or 0; -1: either), separated by sep; in brackets for JSON. */
static void write_goids(FILE *out, const struct wentry *e, size_t n, int dir, int sel,
			bool json)
{
	if (json)
		fputc('[', out);
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if ((dir >= 0 && e[i].dir != dir) || (sel >= 0 && e[i].select != (sel != 0)))
			continue;
		if (!first)
			fputc(json ? ',' : ' ', out);
		fprintf(out, "%" PRIu64, e[i].g->goid);
		first = false;
	}
	if (json)
		fputc(']', out);
}

static int count_leaked(const struct gr_leaks *l, const struct wentry *e, size_t n)
{
	int k = 0;
	for (size_t i = 0; i < n; i++)
		k += gr_leaks_verdict(l, e[i].g) == GR_LEAK_LEAKED;
	return k;
}

/* The function of g's frame that holds the stack word at addr, or NULL. */
struct frame_find {
	uint64_t addr;
	const char *name;
};

static bool frame_holding(void *ctx, const struct gr_frame *fr)
{
	struct frame_find *f = ctx;
	if (f->addr >= fr->sp && f->addr < fr->fp + 8 * 8) {
		f->name = fr->fn.name;
		return f->addr >= fr->fp;  /* arguments: the callee's, or go on */
	}
	return true;
}

/* One holder: a JSON object, or a text phrase ("main.reg (a global)"). */
static void write_one_holder(struct session *s, const struct gr_holder *h, bool json)
{
	const struct gr_process *p = s->proc;
	uint64_t off = 0;
	const char *name = NULL;
	if (h->kind == GR_HELD_BY_GLOBAL)
		name = gr_process_symbol_at(p, h->where, &off);
	const struct gr_goroutine *g = h->kind == GR_HELD_BY_STACK
					       ? gr_process_find_goroutine(p, h->goid) : NULL;
	struct frame_find ff = {h->where, NULL};
	if (g)
		gr_unwind(p, g, 4096, frame_holding, &ff, NULL);
	if (json) {
		static const char *const kinds[] = {"", "global", "stack", "thread", "finalizer",
						    "object"};
		fprintf(s->out, "{\"kind\":\"%s\"", kinds[h->kind]);
		if (h->kind == GR_HELD_BY_GLOBAL) {
			fputs(",\"name\":", s->out);
			if (name) {
				char b[512];
				snprintf(b, sizeof(b), off ? "%s+%" PRIu64 : "%s", name, off);
				gr_json_string(s->out, b);
			} else {
				fputs("null", s->out);
			}
		} else if (h->kind == GR_HELD_BY_STACK) {
			fprintf(s->out, ",\"goroutine\":%" PRIu64 ",\"func\":", h->goid);
			if (ff.name)
				gr_json_string(s->out, ff.name);
			else
				fputs("null", s->out);
		} else if (h->kind == GR_HELD_BY_THREAD) {
			fprintf(s->out, ",\"lwp\":%" PRIu64, h->goid);
		}
		if (h->where)
			fprintf(s->out, ",\"addr\":\"0x%" PRIx64 "\"", h->where);
		fputc('}', s->out);
		return;
	}
	switch (h->kind) {
	case GR_HELD_BY_GLOBAL:
		if (name && off)
			fprintf(s->out, "%s+%" PRIu64 " (a global)", name, off);
		else if (name)
			fprintf(s->out, "%s (a global)", name);
		else
			fprintf(s->out, "a global at 0x%" PRIx64, h->where);
		break;
	case GR_HELD_BY_STACK:
		fprintf(s->out, "goroutine %" PRIu64 "'s stack", h->goid);
		if (ff.name)
			fprintf(s->out, " (%s)", ff.name);
		break;
	case GR_HELD_BY_THREAD:
		fprintf(s->out, "thread LWP %" PRIu64, h->goid);
		break;
	case GR_HELD_BY_FINALIZER:
		fputs("a finalizer or cleanup", s->out);
		break;
	case GR_HELD_BY_OBJECT:
		fprintf(s->out, "the heap object at 0x%" PRIx64, h->where);
		break;
	default:
		fputs("something unknown", s->out);
		break;
	}
}

#define SHOWN_CHAIN 4   /* heap objects of a chain shown */

/* What kept the object at addr, as text (JSON when json): the holder,
 * and when it is a heap object the root that kept it and the heap
 * objects between. */
static void write_holder(struct session *s, const struct gr_leaks *l, uint64_t addr, bool json)
{
	struct gr_holder h, root;
	if (!gr_leaks_holder(l, addr, &h)) {
		if (json)
			fputs(",\"held_by\":null", s->out);
		return;
	}
	uint64_t through[SHOWN_CHAIN];
	size_t n = h.kind == GR_HELD_BY_OBJECT
			   ? gr_leaks_holder_chain(l, addr, &root, through, SHOWN_CHAIN) : 0;
	size_t k = n < SHOWN_CHAIN ? n : SHOWN_CHAIN;
	if (json) {
		fputs(",\"held_by\":", s->out);
		write_one_holder(s, &h, true);
		if (h.kind == GR_HELD_BY_OBJECT) {
			fputs(",\"held_by_root\":", s->out);
			if (root.kind)
				write_one_holder(s, &root, true);
			else
				fputs("null", s->out);
			fprintf(s->out, ",\"through_objects\":%zu", n);
		}
		return;
	}
	fputs("\n\theld by ", s->out);
	if (h.kind != GR_HELD_BY_OBJECT || !n) {
		write_one_holder(s, &h, false);
		return;
	}
	if (root.kind)
		write_one_holder(s, &root, false);
	else
		fputs("a root gocore did not record", s->out);
	fprintf(s->out, ", through %zu heap object%s:", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < k; i++)
		fprintf(s->out, "%s 0x%" PRIx64, i ? " ->" : (n > k ? " ... ->" : ""), through[i]);
}

/* Writes one group; false when out of memory. */
static bool write_wait_group(struct session *s, const struct gr_leaks *l, const struct wentry *e,
			     size_t n, bool json, bool first)
{
	const struct gr_process *p = s->proc;
	int64_t now = gr_process_now(p);
	/* A sleep in a synctest bubble runs on the bubble's fake clock. */
	int64_t bnow = 0;
	bool bubbled = e->cls == 2 && gr_goroutine_bubble_now(p, e->g, &bnow);
	if (bubbled)
		now = bnow;
	int leaked = count_leaked(l, e, n);
	struct gr_chan ch;
	bool have_chan = e->cls == 0 && gr_chan_read(gr_leaks_waits(l), e->addr, &ch);
	if (have_chan && ch.nomem) {
		gr_chan_free(&ch);
		return false;
	}
	/* An object in a global: its name, from the symbol table. */
	char global[256] = "";
	uint64_t goff = 0;
	const char *gname = e->cls <= 1 ? gr_process_symbol_at(p, e->addr, &goff) : NULL;
	if (gname && goff)
		snprintf(global, sizeof(global), "%s+%" PRIu64, gname, goff);
	else if (gname)
		snprintf(global, sizeof(global), "%s", gname);
	if (json) {
		fputs(first ? "\n{\"kind\":" : ",\n{\"kind\":", s->out);
		gr_json_string(s->out, class_name(e));
		if (e->cls == 3 || e->cls == 4 || (e->cls == 2 && !e->addr))
			fputs(",\"addr\":null", s->out);
		else
			fprintf(s->out, ",\"addr\":\"0x%" PRIx64 "\"", e->addr);
		if (e->cls <= 1) {
			fputs(",\"global\":", s->out);
			if (*global)
				gr_json_string(s->out, global);
			else
				fputs("null", s->out);
		}
		fputs(",\"goroutines\":", s->out);
		write_goids(s->out, e, n, -1, -1, true);
		fprintf(s->out, ",\"leaked\":%d", leaked);
		if (e->cls <= 1)
			write_holder(s, l, e->addr, true);
		if (e->cls == 0) {
			fputs(",\"receive\":", s->out);
			write_goids(s->out, e, n, GR_DIR_RECV, -1, true);
			fputs(",\"send\":", s->out);
			write_goids(s->out, e, n, GR_DIR_SEND, -1, true);
			fputs(",\"select\":", s->out);
			write_goids(s->out, e, n, -1, 1, true);
			if (have_chan) {
				fputs(",\"elem_type\":", s->out);
				if (ch.elemtype)
					gr_json_string(s->out, ch.elemtype);
				else
					fputs("null", s->out);
				fprintf(s->out, ",\"cap\":%" PRIu64 ",\"len\":%" PRIu64 ",\"closed\":%s",
					ch.cap, ch.len, ch.closed ? "true" : "false");
			}
		} else if (e->cls == 1) {
			fputs(",\"wait\":", s->out);
			gr_json_string(s->out, gr_wait_kind_name((enum gr_wait_kind)e->kind));
		} else if (e->cls == 2) {
			if (e->aux)
				fprintf(s->out, ",\"when_ns\":%" PRId64, e->aux);
			else
				fputs(",\"when_ns\":null", s->out);
			if (e->aux && now)
				fprintf(s->out, ",\"fires_in_ns\":%" PRId64, e->aux - now);
			else
				fputs(",\"fires_in_ns\":null", s->out);
			fprintf(s->out, ",\"clock\":\"%s\"", bubbled ? "bubble" : "process");
		} else if (e->cls == 3) {
			if (e->aux >= 0)
				fprintf(s->out, ",\"fd\":%" PRId64 ",\"mode\":\"%s\"", e->aux,
					e->dir == GR_DIR_SEND ? "write" : "read");
			else
				fputs(",\"fd\":null", s->out);
		}
		fputc('}', s->out);
	} else {
		if (e->cls == 4) {
			fprintf(s->out, "%s: %zu goroutine%s: ", gr_wait_kind_name((enum gr_wait_kind)e->kind), n,
			       n == 1 ? "" : "s");
			write_goids(s->out, e, n, -1, -1, false);
		} else if (e->cls == 2) {
			fprintf(s->out, "sleep: goroutine ");
			write_goids(s->out, e, n, -1, -1, false);
			if (e->aux && now) {
				int64_t d = e->aux - now;
				int64_t a = d < 0 ? -d : d;
				fprintf(s->out, ", fires %" PRId64 ".%03" PRId64 " s %s the crash%s",
					a / 1000000000, a / 1000000 % 1000,
					d < 0 ? "before (overdue)" : "after",
					bubbled ? " on its synctest bubble's fake clock" : "");
			} else if (e->aux) {
				fprintf(s->out, ", fires at nanotime %" PRId64 " (the crash's nanotime is not in "
				       "the core)", e->aux);
			}
		} else if (e->cls == 3) {
			fprintf(s->out, "io: goroutine ");
			write_goids(s->out, e, n, -1, -1, false);
			if (e->aux >= 0)
				fprintf(s->out, ", fd %" PRId64 " (%s)", e->aux,
				       e->dir == GR_DIR_SEND ? "write" : "read");
		} else {
			fprintf(s->out, "%s 0x%" PRIx64, class_name(e), e->addr);
			if (*global)
				fprintf(s->out, " (%s)", global);
			if (have_chan)
				fprintf(s->out, " (chan %s, cap %" PRIu64 ", len %" PRIu64 "%s)",
				       ch.elemtype ? ch.elemtype : "?", ch.cap, ch.len,
				       ch.closed ? ", closed" : "");
			fprintf(s->out, ": %zu goroutine%s", n, n == 1 ? "" : "s");
			if (leaked)
				fprintf(s->out, ", %d leaked", leaked);
			if (e->cls == 0) {
				static const char *const what[] = {"receive", "send"};
				for (int d = 0; d < 2; d++) {
					bool any = false;
					for (size_t i = 0; i < n; i++)
						any |= e[i].dir == d + 1 && !e[i].select;
					if (any) {
						fprintf(s->out, "\n\t%s: ", what[d]);
						write_goids(s->out, e, n, d + 1, 0, false);
					}
				}
				bool any = false;
				for (size_t i = 0; i < n; i++)
					any |= e[i].select;
				if (any) {
					fprintf(s->out, "\n\tselect: ");
					write_goids(s->out, e, n, -1, 1, false);
				}
			} else {
				fprintf(s->out, ": ");
				write_goids(s->out, e, n, -1, -1, false);
			}
			if (!leaked)
				write_holder(s, l, e->addr, false);
		}
		if (leaked && (e->cls >= 2 || e->cls == 4))
			fprintf(s->out, " (leaked)");
		fputc('\n', s->out);
	}
	if (have_chan)
		gr_chan_free(&ch);
	return true;
}

int cmd_waits(struct session *s, const struct cmd_options *o)
{
	int rc = EXIT_OK;
	struct gr_leaks *l = cmd_find_leaks(s, GR_LEAKS_HOLDERS, &rc);
	if (!l)
		return rc;
	const struct gr_process *p = s->proc;
	const struct gr_goroutine **gs;
	size_t n;
	struct gc_error *err = gr_filter_select(p, &o->filter, &gs, &n);
	if (err) {
		return session_fail(err);
	}
	struct wentry *e = NULL;
	size_t ne = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		size_t gi = i;
		struct gr_wait w;
		gr_leaks_wait(l, gs[i], &w);
		if (w.kind == GR_WAIT_NONE)
			continue;
		size_t k = w.nobjs ? w.nobjs : 1;
		if (ne + k > cap) {
			size_t nc = cap ? 2 * cap : 256;
			while (nc < ne + k)
				nc *= 2;
			struct wentry *v = realloc(e, nc * sizeof(*v));
			if (!v) {
				free(e);
				free(gs);
				return session_fail(&gc_error_nomem);
			}
			e = v;
			cap = nc;
		}
		for (size_t j = 0; j < k; j++) {
			const struct gr_wait_obj *ob = w.nobjs ? &w.objs[j] : NULL;
			e[ne++] = (struct wentry){
				.addr = ob ? ob->addr : 0, .cls = kind_class(w.kind),
				.kind = (uint8_t)w.kind, .dir = ob ? (uint8_t)ob->dir : 0,
				.select = w.kind == GR_WAIT_SELECT, .gi = (uint32_t)gi, .g = gs[i],
				.aux = w.kind == GR_WAIT_IO ? w.fd : w.when,
			};
		}
	}
	free(gs);
	if (ne)
		qsort(e, ne, sizeof(*e), by_object);
	struct wgroup *g = malloc((ne ? ne : 1) * sizeof(*g));
	if (!g) {
		free(e);
		return session_fail(&gc_error_nomem);
	}
	size_t ng = 0;
	for (size_t i = 0; i < ne;) {
		size_t j = i + 1;
		while (j < ne && e[j].cls == e[i].cls &&
		       (e[i].cls >= 2 ? e[j].gi == e[i].gi : e[j].addr == e[i].addr) &&
		       (e[i].cls != 4 || e[j].kind == e[i].kind))
			j++;
		g[ng++] = (struct wgroup){i, j - i};
		i = j;
	}
	wents_sorted = e;
	if (ng)
		qsort(g, ng, sizeof(*g), by_size);
	if (o->json)
		fputc('[', s->out);
	bool ok = true;
	for (size_t i = 0; i < ng && ok; i++)
		ok = write_wait_group(s, l, &e[g[i].first], g[i].n, o->json, i == 0);
	if (o->json && ok)
		fputs(ng ? "\n]\n" : "]\n", s->out);
	int errnum = errno;
	rc = !ok ? session_fail(&gc_error_nomem) : ferror(s->out) ? output_failed(errnum) : EXIT_OK;
	free(g);
	free(e);
	return rc;
}
