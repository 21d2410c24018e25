/* gocore: what every goroutine of a Go program was doing when it dumped core.
 * See README.md for the commands, options and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../goruntime/buildinfo.h"
#include "../goruntime/process.h"
#include "../goruntime/traceback.h"
#include "addrspace.h"
#include "elfcore.h"
#include "elfexe.h"

#ifndef GOCORE_VERSION
#define GOCORE_VERSION "unknown"
#endif

/* Exit codes (README.md). */
enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_INPUT = 2, EXIT_GAPS = 3 };

static const char usage_text[] =
	"usage: gocore [--version] [--help] <command> [options] <core> [<exe>]\n"
	"\n"
	"Reads a Linux core dump of a Go program and prints what its goroutines\n"
	"were doing, in the Go runtime's own traceback format.\n"
	"\n"
	"commands:\n"
	"  goroutines <core> [<exe>]      every goroutine, in goid order\n"
	"  stack <goid> <core> [<exe>]    one goroutine\n"
	"  overview <core> [<exe>]        the program, its Go release, how gocore read it\n"
	"\n"
	"options:\n"
	"  -v, --verbose   add \" fp=… sp=… pc=…\" to each frame, as crash dumps do\n"
	"  -f, --force     go on when the executable does not match the core\n"
	"  -h, --help      this text (also: gocore <command> --help)\n"
	"      --version   print gocore's version\n"
	"\n"
	"<exe> defaults to the executable path recorded in the core.\n"
	"exit codes: 0 success, 1 usage, 2 input cannot be analysed,\n"
	"            3 success with gaps (each gap explained on stderr)\n";

static const char goroutines_help[] =
	"usage: gocore goroutines [-v] [--force] <core> [<exe>]\n"
	"\n"
	"Prints every goroutine of the process, in goid order, exactly as the Go\n"
	"runtime prints them in a GOTRACEBACK=crash dump (system goroutines too),\n"
	"separated by blank lines.\n";

static const char stack_help[] =
	"usage: gocore stack [-v] [--force] <goid> <core> [<exe>]\n"
	"\n"
	"Prints one goroutine, as `gocore goroutines` would.  Exits 2 when the\n"
	"goroutine does not exist.\n";

static const char overview_help[] =
	"usage: gocore overview [--force] <core> [<exe>]\n"
	"\n"
	"Prints what the core is: the executable and its build IDs, the Go release\n"
	"that built it, its module, GOARCH, how gocore learned the runtime's data\n"
	"layouts (DWARF, or the runtime's own type descriptors, and whether the two\n"
	"were cross-checked), and how many goroutines it has.\n";

struct session {
	struct gc_core *core;
	struct gc_exe *exe;
	struct gc_addrspace *as;
	struct gr_process *proc;
	uint64_t bias;
	bool gaps;
};

static void session_close(struct session *s)
{
	gr_process_destroy(s->proc);
	gc_addrspace_destroy(s->as);
	gc_exe_close(s->exe);
	gc_core_close(s->core);
}

static int fail(struct gc_error *err)
{
	fprintf(stderr, "gocore: %s\n", err->message);
	int code = err->code == GC_ERR_NOMEM ? EXIT_INPUT : EXIT_INPUT;
	gc_error_destroy(err);
	return code;
}

/* The load bias of a PIE: where the first PT_LOAD landed minus its link
 * address (both page-aligned). */
static uint64_t load_bias(const struct gc_exe *exe, const struct gc_mapping *map)
{
	if (exe->e_type != 3 /* ET_DYN */ || !map || exe->nsegments == 0)
		return 0;
	uint64_t lowest = UINT64_MAX;
	for (size_t i = 0; i < exe->nsegments; i++)
		if (exe->segments[i].vaddr < lowest)
			lowest = exe->segments[i].vaddr;
	return map->start - (lowest & ~0xfffull);
}

/* Finds the Go build ID note (name "Go", type 4) in an ELF image's first
 * page: the Go linker places it right after the headers so that cores keep
 * it.  Copies it into buf (NUL-terminated); false when absent. */
static bool first_page_go_build_id(const uint8_t *page, size_t n, char *buf, size_t max)
{
	for (size_t off = 0; off + 16 <= n; off += 4) {
		uint32_t namesz, descsz, type;
		memcpy(&namesz, page + off, 4);
		memcpy(&descsz, page + off + 4, 4);
		memcpy(&type, page + off + 8, 4);
		if (namesz != 4 || type != 4 || memcmp(page + off + 12, "Go\0\0", 4) != 0)
			continue;
		if (descsz == 0 || descsz >= max || descsz > n - off - 16)
			return false;
		memcpy(buf, page + off + 16, descsz);
		buf[descsz] = '\0';
		return true;
	}
	return false;
}

/* Compares the executable's first page with the copy the core holds (the
 * kernel dumps the first page of ELF mappings).  Returns NULL when they
 * match or cannot be compared (then *unverified is set). */
static struct gc_error *check_match(const struct session *s, const struct gc_mapping *map,
				    bool *unverified)
{
	*unverified = true;
	if (!map)
		return NULL;
	size_t n = 0;
	const uint8_t *in_core = NULL;
	/* Only the core's own bytes count: look in tier 0 by reading through a
	 * core-only address space. */
	struct gc_addrspace *core_as;
	if (gc_addrspace_create(&core_as))
		return NULL;
	if (!gc_core_add_segments(s->core, core_as, 0))
		in_core = gc_addrspace_span(core_as, map->start, 4096, &n);
	size_t cmp = n < s->exe->size ? n : s->exe->size;
	struct gc_error *err = NULL;
	if (in_core && cmp >= 64) {
		*unverified = false;
		/* The Go build ID decides when both pages carry one: `strip`
		 * rewrites the ELF header but keeps the note. */
		char core_id[256], exe_id[256];
		bool ids = first_page_go_build_id(in_core, cmp, core_id, sizeof(core_id)) &&
			   first_page_go_build_id(s->exe->data, cmp, exe_id, sizeof(exe_id));
		if (ids && strcmp(core_id, exe_id) != 0)
			err = gc_error_create(GC_ERR_MISMATCH,
					      "%s does not belong to %s: Go build ID %s, but the "
					      "core's executable had %s; use --force to go on anyway",
					      s->exe->path, s->core->path, exe_id, core_id);
		else if (!ids && memcmp(in_core, s->exe->data, cmp) != 0)
			err = gc_error_create(GC_ERR_MISMATCH,
					      "%s does not belong to %s: the executable's first page "
					      "differs from the copy in the core (another build?); "
					      "use --force to go on anyway",
					      s->exe->path, s->core->path);
	}
	gc_addrspace_destroy(core_as);
	return err;
}

static int open_session(struct session *s, const char *core_path, const char *exe_path,
			bool force)
{
	memset(s, 0, sizeof(*s));
	struct gc_error *err = gc_core_open(core_path, &s->core);
	if (err)
		return fail(err);
	const struct gc_mapping *map = gc_core_exe_mapping(s->core);
	if (!exe_path) {
		if (!map) {
			fprintf(stderr, "gocore: %s: the core does not name its executable; "
				"give it as the last argument\n", core_path);
			return EXIT_INPUT;
		}
		exe_path = map->path;
	}
	if ((err = gc_exe_open(exe_path, &s->exe)))
		return fail(gc_error_prefix(err, "executable"));
	bool unverified;
	if ((err = check_match(s, map, &unverified))) {
		if (!force)
			return fail(err);
		fprintf(stderr, "gocore: warning: %s (going on: --force)\n", err->message);
		gc_error_destroy(err);
	} else if (unverified) {
		fprintf(stderr, "gocore: warning: cannot check that %s belongs to %s "
			"(its first page is not in the core)\n", exe_path, core_path);
	}
	if (s->core->truncated_bytes) {
		fprintf(stderr, "gocore: %s: core is truncated: %" PRIu64 " of %" PRIu64
			" bytes missing (ulimit -c or a full disk?); memory there is unavailable\n",
			core_path, s->core->truncated_bytes, s->core->expected_size);
		s->gaps = true;
	}
	uint64_t bias = s->bias = load_bias(s->exe, map);
	if ((err = gc_addrspace_create(&s->as)) ||
	    (err = gc_core_add_segments(s->core, s->as, 0)) ||
	    (err = gc_exe_add_segments(s->exe, s->as, 1, bias)))
		return fail(err);
	struct gr_open_config cfg = {
		.core = s->core, .exe = s->exe, .as = s->as, .bias = bias, .warnings = stderr,
	};
	if ((err = gr_process_open(&cfg, &s->proc)))
		return fail(err);
	if (gr_process_unreadable(s->proc))
		s->gaps = true;
	return EXIT_OK;
}

static int cmd_goroutines(struct session *s, const struct gr_print_options *opts)
{
	size_t n = gr_process_ngoroutines(s->proc);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc('\n', stdout);
		if (gr_print_goroutine(s->proc, gr_process_goroutine(s->proc, i), opts, stdout,
				       stderr))
			s->gaps = true;
	}
	return EXIT_OK;
}

static const char *source_name(enum gr_layout_source src)
{
	switch (src) {
	case GR_SOURCE_DWARF: return "DWARF";
	case GR_SOURCE_TYPES: return "the runtime's type descriptors (no DWARF)";
	case GR_SOURCE_FACTS: return "per-release facts";
	default: return "none";
	}
}

static int cmd_overview(struct session *s)
{
	const struct gc_exe *exe = s->exe;
	printf("executable:   %s\n", exe->path);
	if (exe->go_build_id)
		printf("Go build ID:  %s\n", exe->go_build_id);
	if (exe->build_id_len) {
		printf("GNU build ID: ");
		for (size_t i = 0; i < exe->build_id_len; i++)
			printf("%02x", exe->build_id[i]);
		putchar('\n');
	}
	printf("Go version:   %s\n", gr_process_go_version(s->proc));
	struct gr_buildinfo bi;
	struct gc_error *err = gr_buildinfo_read(exe, s->as, s->bias, &bi);
	if (!err) {
		printf("module:       %s\n", *bi.module ? bi.module : "(none)");
		if (*bi.path)
			printf("main package: %s\n", bi.path);
		gr_buildinfo_deinit(&bi);
	} else {
		printf("module:       (no build information)\n");
		gc_error_destroy(err);
	}
	printf("GOARCH:       amd64\n");
	printf("symbols:      %s%s\n", exe->has_symtab ? "yes" : "stripped",
	       exe->nsections ? "" : ", no section headers");
	enum gr_layout_source src;
	bool checked;
	size_t bad;
	gr_process_layout_report(s->proc, &src, &checked, &bad);
	printf("layouts:      %s", source_name(src));
	if (checked)
		printf(", cross-checked with the type descriptors: %s",
		       bad ? "DISAGREE (see warnings)" : "agree");
	putchar('\n');
	printf("globals:      found by %s\n", gr_process_globals_source(s->proc));
	printf("threads:      %zu\n", s->core->nthreads);
	printf("goroutines:   %zu\n", gr_process_ngoroutines(s->proc));
	return EXIT_OK;
}

static int cmd_stack(struct session *s, uint64_t goid, const struct gr_print_options *opts)
{
	const struct gr_goroutine *g = gr_process_find_goroutine(s->proc, goid);
	if (!g) {
		fprintf(stderr, "gocore: %s: no goroutine %" PRIu64 " (the process has %zu "
			"goroutines; `gocore goroutines` lists them)\n", s->core->path, goid,
			gr_process_ngoroutines(s->proc));
		return EXIT_INPUT;
	}
	if (gr_print_goroutine(s->proc, g, opts, stdout, stderr))
		s->gaps = true;
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"verbose", no_argument, NULL, 'v'},
		{"force", no_argument, NULL, 'f'},
		{0, 0, 0, 0},
	};
	bool force = false, help = false;
	struct gr_print_options opts = {0};
	int c;
	/* Options may come before or after the command. */
	while ((c = getopt_long(argc, argv, "hvf", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': help = true; break;
		case 'V': printf("gocore %s\n", GOCORE_VERSION); return EXIT_OK;
		case 'v': opts.frame_addrs = true; break;
		case 'f': force = true; break;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	int nargs = argc - optind;
	char **args = argv + optind;
	if (nargs == 0) {
		fputs(usage_text, help ? stdout : stderr);
		return help ? EXIT_OK : EXIT_USAGE;
	}
	const char *cmd = args[0];
	const char *help_text = strcmp(cmd, "goroutines") == 0 ? goroutines_help
				: strcmp(cmd, "stack") == 0    ? stack_help
				: strcmp(cmd, "overview") == 0 ? overview_help
							       : NULL;
	if (!help_text) {
		fprintf(stderr, "gocore: unknown command '%s'\n\n%s", cmd, usage_text);
		return EXIT_USAGE;
	}
	if (help) {
		fputs(help_text, stdout);
		return EXIT_OK;
	}
	uint64_t goid = 0;
	if (strcmp(cmd, "stack") == 0) {
		char *end;
		errno = 0;
		if (nargs < 2 || (goid = strtoull(args[1], &end, 10), errno || *end || !*args[1])) {
			fprintf(stderr, "gocore: stack needs a goroutine id (a decimal number)\n\n%s",
				stack_help);
			return EXIT_USAGE;
		}
		args++;
		nargs--;
	}
	if (nargs < 2 || nargs > 3) {
		fputs(help_text, stderr);
		return EXIT_USAGE;
	}
	struct session s;
	int rc = open_session(&s, args[1], nargs == 3 ? args[2] : NULL, force);
	if (rc == EXIT_OK)
		rc = strcmp(cmd, "stack") == 0      ? cmd_stack(&s, goid, &opts)
		     : strcmp(cmd, "overview") == 0 ? cmd_overview(&s)
						    : cmd_goroutines(&s, &opts);
	if (fflush(stdout) != 0 && rc == EXIT_OK) {
		fprintf(stderr, "gocore: writing output: %s\n", strerror(errno));
		rc = EXIT_INPUT;
	}
	if (rc == EXIT_OK && s.gaps)
		rc = EXIT_GAPS;
	session_close(&s);
	return rc;
}
