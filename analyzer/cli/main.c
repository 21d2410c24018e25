/* gocore: what every goroutine of a Go program was doing when it dumped core.
 * Options and command dispatch; see README.md for the commands, options and
 * exit codes. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "session.h"

#ifndef GOCORE_VERSION
#define GOCORE_VERSION "unknown"
#endif

static const char usage_text[] =
	"usage: gocore [--version] [--help] <command> [options] <core> [<exe>]\n"
	"\n"
	"Reads a Linux core dump of a Go program and prints what its goroutines\n"
	"were doing, in the Go runtime's own traceback format.\n"
	"\n"
	"commands:\n"
	"  goroutines <core> [<exe>]        every goroutine, in goid order\n"
	"  stack <goid> <core> [<exe>]      one goroutine\n"
	"  overview <core> [<exe>]          the program, its Go release, the crash\n"
	"  summary <core> [<exe>]           goroutines grouped by state and stack\n"
	"  pprof -o FILE <core> [<exe>]     a goroutine profile for go tool pprof\n"
	"  threads <core> [<exe>]           one line per OS thread\n"
	"  waits <core> [<exe>]             blocked goroutines by what they wait on\n"
	"  leaks <core> [<exe>]             goroutines that can never wake\n"
	"  report -o FILE.html <core> [<exe>]  a self-contained HTML report\n"
	"\n"
	"options:\n"
	"  --json             JSON output (all commands but pprof and report)\n"
	"  --state STATE      only goroutines in this state, e.g. 'chan send'\n"
	"  --match REGEXP     only goroutines with a frame whose function or file matches\n"
	"  --min-wait MINUTES only goroutines blocked at least this long\n"
	"  --label KEY[=VALUE] only goroutines with this pprof label (and value)\n"
	"                     (the four filters: goroutines, summary, pprof, waits, leaks)\n"
	"  --group-by label=KEY  summary, leaks --summary: also split groups by this\n"
	"                     label's value\n"
	"  --summary          leaks: grouped as summary groups them\n"
	"  -o, --output FILE  where pprof writes the profile, report the HTML page\n"
	"  --color=WHEN       colour for goroutines, stack, summary and leaks text:\n"
	"                     auto (when stdout is a terminal and NO_COLOR is unset\n"
	"                     or empty; the default), always or never; JSON and\n"
	"                     the other commands never have colour\n"
	"  -c, --core CORE    the core; then only [<exe>] follows the command (the\n"
	"                     form coredumpctl's --debugger uses: <exe> -c <core>)\n"
	"  -v, --verbose      add \" fp=… sp=… pc=…\" to each frame, as crash dumps do;\n"
	"                     threads: every register\n"
	"  -f, --force        go on when the executable does not match the core\n"
	"      --lib PATH     the Go library (-buildmode=c-shared) of a non-Go\n"
	"                     executable, when the path the core records is gone\n"
	"  -h, --help         this text (also: gocore <command> --help)\n"
	"      --version      print gocore's version\n"
	"\n"
	"<exe> defaults to the executable path recorded in the core.  When it has\n"
	"no Go code, the Go library it loaded is found among the core's mapped files.\n"
	"exit codes: 0 success, 1 usage, 2 input cannot be analysed,\n"
	"            3 success with gaps (each gap explained on stderr),\n"
	"            4 the output could not be written\n";

static const char goroutines_help[] =
	"usage: gocore goroutines [--json] [--state STATE] [--match REGEXP]\n"
	"                         [--min-wait MINUTES] [--label KEY[=VALUE]] [-v]\n"
	"                         [--color=WHEN] [--force] [--lib PATH] <core> [<exe>]\n"
	"\n"
	"Prints every goroutine of the process, in goid order, exactly as the Go\n"
	"runtime prints them in a GOTRACEBACK=crash dump (system goroutines too),\n"
	"separated by blank lines.  With --json, an array of goroutine objects\n"
	"(README.md describes the schema).  --color=auto|always|never: colour on\n"
	"a terminal (auto, the default, unless NO_COLOR is set); the text is the\n"
	"same.\n";

static const char stack_help[] =
	"usage: gocore stack [--json] [-v] [--color=WHEN] [--force] [--lib PATH]\n"
	"                    <goid> <core> [<exe>]\n"
	"\n"
	"Prints one goroutine, as `gocore goroutines` would.  Exits 2 when the\n"
	"goroutine does not exist.\n";

static const char overview_help[] =
	"usage: gocore overview [--json] [--force] [--lib PATH] <core> [<exe>]\n"
	"\n"
	"Prints what the core is: the executable (and the Go library a non-Go\n"
	"executable loaded) with the Go code's build IDs, the Go release that\n"
	"built it, its module, GOARCH, GOMAXPROCS, threads, goroutines by state,\n"
	"the signal that started the crash, the crashing thread and goroutine,\n"
	"the panic message or fatal error, and how gocore learned the runtime's\n"
	"data layouts.\n";

static const char summary_help[] =
	"usage: gocore summary [--json] [--state STATE] [--match REGEXP]\n"
	"                      [--min-wait MINUTES] [--label KEY[=VALUE]]\n"
	"                      [--group-by label=KEY] [--color=WHEN] [--force]\n"
	"                      [--lib PATH] <core> [<exe>]\n"
	"\n"
	"Groups goroutines with the same state and the same stack (function and\n"
	"file:line of every frame), largest group first, with their count, goids\n"
	"and wait times.  --group-by label=KEY also splits them by the value of\n"
	"the pprof label KEY, shown as {KEY: VALUE} after the state.\n";

static const char pprof_help[] =
	"usage: gocore pprof -o FILE [--state STATE] [--match REGEXP]\n"
	"                    [--min-wait MINUTES] [--label KEY[=VALUE]] [--force]\n"
	"                    [--lib PATH] <core> [<exe>]\n"
	"\n"
	"Writes a goroutine profile (profile.proto, gzipped) that `go tool pprof`\n"
	"opens: one sample per group of identical stacks and pprof labels, with\n"
	"the labels on the sample, inlined frames included.\n";

static const char threads_help[] =
	"usage: gocore threads [--json] [-v] [--force] [--lib PATH] <core> [<exe>]\n"
	"\n"
	"One line per OS thread: its LWP id, the Go M running on it, that M's\n"
	"current goroutine, where the thread stopped, and the signal that killed\n"
	"the process on the thread that received it.  -v adds every register,\n"
	"by its architecture's names (in JSON, a \"registers\" object).\n";

static const char report_help[] =
	"usage: gocore report -o FILE.html [--force] [--lib PATH] <core> [<exe>]\n"
	"\n"
	"Writes one self-contained HTML page (no external scripts, styles, fonts\n"
	"or requests): the overview, the goroutine groups of `summary` (each\n"
	"expands to its stack), a search box, the threads, pprof labels, what\n"
	"goroutines wait on and the leaked ones, and every gap gocore found.\n";

static const char waits_help[] =
	"usage: gocore waits [--json] [--state STATE] [--match REGEXP]\n"
	"                    [--min-wait MINUTES] [--label KEY[=VALUE]] [--force]\n"
	"                    [--lib PATH] <core> [<exe>]\n"
	"\n"
	"Groups the blocked goroutines by the object they wait on, largest group\n"
	"first: channels (element type, capacity, length, closed, who sends and\n"
	"who receives, selects), semaphores of sync.Mutex, RWMutex and WaitGroup,\n"
	"sync.Cond notify lists, sleeps (when they fire) and network waits (the\n"
	"file descriptor), and how many of each group's goroutines are leaked\n"
	"(see leaks).\n";

static const char leaks_help[] =
	"usage: gocore leaks [--json] [--summary] [--state STATE] [--match REGEXP]\n"
	"                    [--min-wait MINUTES] [--label KEY[=VALUE]] [--color=WHEN]\n"
	"                    [--force] [--lib PATH] <core> [<exe>]\n"
	"\n"
	"Prints the goroutines that can never wake, by the criterion of Go's\n"
	"goroutine leak profile: blocked on a channel or a sync primitive that no\n"
	"goroutine able to run can still reach (README.md explains the heap walk).\n"
	"Text as `goroutines` prints them; --json as `goroutines --json`, each\n"
	"object with a \"waits_on\" array; --summary grouped as `summary` does.\n";

enum command { CMD_GOROUTINES, CMD_STACK, CMD_OVERVIEW, CMD_SUMMARY, CMD_PPROF, CMD_THREADS,
	       CMD_WAITS, CMD_LEAKS, CMD_REPORT };

static const struct {
	const char *name;
	const char *help;
	bool json, filters;
} commands[] = {
	[CMD_GOROUTINES] = {"goroutines", goroutines_help, true, true},
	[CMD_STACK] = {"stack", stack_help, true, false},
	[CMD_OVERVIEW] = {"overview", overview_help, true, false},
	[CMD_SUMMARY] = {"summary", summary_help, true, true},
	[CMD_PPROF] = {"pprof", pprof_help, false, true},
	[CMD_THREADS] = {"threads", threads_help, true, false},
	[CMD_WAITS] = {"waits", waits_help, true, true},
	[CMD_LEAKS] = {"leaks", leaks_help, true, true},
	[CMD_REPORT] = {"report", report_help, false, false},
};

static int usage_error(const char *msg, const char *help)
{
	fprintf(stderr, "gocore: %s\n\n%s", msg, help);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	enum { OPT_VERSION = 256, OPT_JSON, OPT_STATE, OPT_MATCH, OPT_MIN_WAIT, OPT_LABEL,
	       OPT_GROUP_BY, OPT_LIB, OPT_SUMMARY, OPT_COLOR };
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{"verbose", no_argument, NULL, 'v'},
		{"force", no_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, OPT_JSON},
		{"state", required_argument, NULL, OPT_STATE},
		{"match", required_argument, NULL, OPT_MATCH},
		{"min-wait", required_argument, NULL, OPT_MIN_WAIT},
		{"label", required_argument, NULL, OPT_LABEL},
		{"group-by", required_argument, NULL, OPT_GROUP_BY},
		{"lib", required_argument, NULL, OPT_LIB},
		{"summary", no_argument, NULL, OPT_SUMMARY},
		{"color", required_argument, NULL, OPT_COLOR},
		{"colour", required_argument, NULL, OPT_COLOR},
		{"core", required_argument, NULL, 'c'},
		{0, 0, 0, 0},
	};
	bool force = false, help = false, filtered = false;
	const char *match = NULL, *lib = NULL, *core_opt = NULL, *color = "auto";
	struct cmd_options o = {.filter = GR_FILTER_ALL};
	int c;
	/* Options may come before or after the command (getopt permutes). */
	while ((c = getopt_long(argc, argv, "hvfo:c:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': help = true; break;
		case OPT_VERSION: printf("gocore %s\n", GOCORE_VERSION); return EXIT_OK;
		case 'v': o.frame_addrs = true; break;
		case 'f': force = true; break;
		case 'o': o.output = optarg; break;
		case 'c':
			if (!*optarg)
				return usage_error("--core needs the path of a core", usage_text);
			core_opt = optarg;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
				return usage_error("--color takes auto, always or never", usage_text);
			color = optarg;
			break;
		case OPT_JSON: o.json = true; break;
		case OPT_SUMMARY: o.summary = true; break;
		case OPT_STATE: o.filter.state = optarg; filtered = true; break;
		case OPT_MATCH: match = optarg; filtered = true; break;
		case OPT_MIN_WAIT: {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || *end || !*optarg || v < 0)
				return usage_error("--min-wait needs a number of minutes (0 or more)",
						   usage_text);
			o.filter.min_wait_minutes = v;
			filtered = true;
			break;
		}
		case OPT_LABEL: {
			/* KEY or KEY=VALUE; the key is everything before the first '='. */
			char *eq = strchr(optarg, '=');
			if (eq == optarg || !*optarg)
				return usage_error("--label needs KEY or KEY=VALUE", usage_text);
			if (eq)
				*eq = '\0';
			o.filter.label_key = optarg;
			o.filter.label_value = eq ? eq + 1 : NULL;
			filtered = true;
			break;
		}
		case OPT_LIB:
			if (!*optarg)
				return usage_error("--lib needs the path of a Go library", usage_text);
			lib = optarg;
			break;
		case OPT_GROUP_BY:
			if (strncmp(optarg, "label=", 6) != 0 || !optarg[6])
				return usage_error("--group-by takes label=KEY", usage_text);
			o.group_label = optarg + 6;
			break;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	int nargs = argc - optind;
	char **args = argv + optind;
	if (nargs == 0) {
		fputs(usage_text, help ? stdout : stderr);
		return help ? EXIT_OK : EXIT_USAGE;
	}
	int cmd = -1;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(args[0], commands[i].name) == 0)
			cmd = (int)i;
	if (cmd < 0) {
		fprintf(stderr, "gocore: unknown command '%s'\n\n%s", args[0], usage_text);
		return EXIT_USAGE;
	}
	const char *help_text = commands[cmd].help;
	if (help) {
		fputs(help_text, stdout);
		return EXIT_OK;
	}
	if (o.json && !commands[cmd].json)
		return usage_error("--json does not apply to this command", help_text);
	if (filtered && !commands[cmd].filters)
		return usage_error("--state, --match, --min-wait and --label apply to goroutines, "
				   "summary, pprof, waits and leaks", help_text);
	if (o.summary && cmd != CMD_LEAKS)
		return usage_error("--summary applies to leaks only", help_text);
	if (o.group_label && cmd != CMD_SUMMARY && !(cmd == CMD_LEAKS && o.summary))
		return usage_error("--group-by applies to summary only", help_text);
	if (o.frame_addrs && cmd != CMD_GOROUTINES && cmd != CMD_STACK && cmd != CMD_THREADS)
		return usage_error("-v applies to goroutines, stack and threads", help_text);
	bool wants_output = cmd == CMD_PPROF || cmd == CMD_REPORT;
	if (wants_output != (o.output != NULL))
		return usage_error(wants_output ? (cmd == CMD_PPROF ? "pprof needs -o FILE"
								    : "report needs -o FILE.html")
						: "-o applies to pprof and report only",
				   help_text);
	if (strcmp(color, "always") == 0) {
		o.color = true;
	} else if (strcmp(color, "auto") == 0) {
		const char *no_color = getenv("NO_COLOR");
		o.color = isatty(STDOUT_FILENO) && !(no_color && *no_color);
	}
	uint64_t goid = 0;
	if (cmd == CMD_STACK) {
		char *end;
		errno = 0;
		if (nargs < 2 || (goid = strtoull(args[1], &end, 10), errno || *end || !*args[1]))
			return usage_error("stack needs a goroutine id (a decimal number)", help_text);
		args++;
		nargs--;
	}
	/* With -c CORE (coredumpctl's call: <exe> -c <core>), the core is the
	 * option and only the executable may follow the command. */
	const char *core_path, *exe_path;
	if (core_opt) {
		if (nargs > 2)
			return usage_error("with -c CORE, only <exe> may follow the command",
					   help_text);
		core_path = core_opt;
		exe_path = nargs == 2 ? args[1] : NULL;
	} else {
		if (nargs < 2 || nargs > 3) {
			fputs(help_text, stderr);
			return EXIT_USAGE;
		}
		core_path = args[1];
		exe_path = nargs == 3 ? args[2] : NULL;
	}
	regex_t re;
	if (match) {
		int e = regcomp(&re, match, REG_EXTENDED | REG_NOSUB);
		if (e) {
			char msg[256];
			regerror(e, &re, msg, sizeof(msg));
			fprintf(stderr, "gocore: --match '%s': %s\n", match, msg);
			return EXIT_USAGE;
		}
		o.filter.match = &re;
		o.filter.have_match = true;
	}
	struct session s;
	/* The report shows what gocore says while reading the core. */
	if (cmd == CMD_REPORT)
		report_capture_stderr();
	int rc = session_open(&s, core_path, exe_path, lib, force,
			      cmd == CMD_STACK ? goid : 0);
	if (rc == EXIT_OK) {
		switch (cmd) {
		case CMD_GOROUTINES: rc = cmd_goroutines(&s, &o); break;
		case CMD_STACK: rc = cmd_stack(&s, goid, &o); break;
		case CMD_OVERVIEW: rc = cmd_overview(&s, &o); break;
		case CMD_SUMMARY: rc = cmd_summary(&s, &o); break;
		case CMD_PPROF: rc = cmd_pprof(&s, &o); break;
		case CMD_THREADS: rc = cmd_threads(&s, &o); break;
		case CMD_WAITS: rc = cmd_waits(&s, &o); break;
		case CMD_LEAKS: rc = cmd_leaks(&s, &o); break;
		case CMD_REPORT: rc = cmd_report(&s, &o); break;
		}
	}
	report_release_stderr(NULL); /* when the session did not open */
	int errnum = fflush(stdout) != 0 ? errno : 0;
	if ((errnum || ferror(stdout)) && rc == EXIT_OK) {
		fprintf(stderr, "gocore: writing the output: %s\n", strerror(errnum ? errnum : EIO));
		rc = EXIT_OUTPUT;
	}
	if (rc == EXIT_OK && s.gaps)
		rc = EXIT_GAPS;
	session_close(&s);
	if (match)
		regfree(&re);
	return rc;
}
