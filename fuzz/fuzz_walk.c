/* libFuzzer target: the whole reader over a fuzzed core: gr_process_open
 * (Go version, pclntab, moduledata, layouts from the type descriptors,
 * gr_find_globals from code, allgs, threads), then every goroutine's stack
 * walk (gr_unwind), traceback printing (traceback.c), and the heap walk
 * of leaks and waits (heap spans, wait objects, marking).
 *
 * The input is a core file; the executable is a fixed real one, read once
 * at start-up from $GOCORE_FUZZ_EXE (default cache/fuzz/seeds/walk.exe, put
 * there by fuzz/seeds.sh: the stripped chans test program, so the globals
 * are found from code and the layouts from the type descriptors).  The seeds
 * are real cores of that program compacted by fuzz/mincore.py (zero pages
 * dropped: ~0.5 MiB instead of 46 MiB, same dump). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/addrspace.h"
#include "../analyzer/elfcore.h"
#include "../analyzer/elfexe.h"
#include "../analyzer/image.h"
#include "../goruntime/leaks.h"
#include "../goruntime/process.h"
#include "../goruntime/traceback.h"
#include "../goruntime/unwind.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *exe_bytes;
static size_t exe_size;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("GOCORE_FUZZ_EXE");
	if (!path)
		path = "cache/fuzz/seeds/walk.exe";
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz_walk: cannot open the executable %s "
			"(run fuzz/seeds.sh, or set GOCORE_FUZZ_EXE)\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	exe_bytes = malloc((size_t)n);
	if (!exe_bytes || fread(exe_bytes, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "fuzz_walk: cannot read %s\n", path);
		exit(2);
	}
	exe_size = (size_t)n;
	fclose(f);
	devnull = fopen("/dev/null", "w");
	return 0;
}

static bool count_frame(void *ctx, const struct gr_frame *frame)
{
	size_t *n = ctx;
	(*n)++;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ga_core *core = NULL;
	struct ga_exe *exe = NULL;
	struct gc_addrspace *as = NULL;
	struct gr_process *p = NULL;
	struct gc_error *err = ga_core_open_memory(data, size, "fuzz.core", &core);
	if (err)
		goto out;
	/* Opened per input: ga_exe holds no state a run could change, but a
	 * fresh one keeps each run independent. */
	if ((err = ga_exe_open_memory(exe_bytes, exe_size, "fuzz.exe", &exe)) ||
	    (err = gc_addrspace_create(&as)))
		goto out;
	uint64_t bias = ga_load_bias(exe, ga_core_exe_mapping(core));
	if ((err = ga_core_add_segments(core, as, 0)) ||
	    (err = ga_exe_add_segments(exe, as, 1, bias)))
		goto out;
	struct gr_image img;
	ga_image_init(&img, core, exe, as, bias);
	struct gr_open_config cfg = {.image = &img, .warn = ga_warn_to_file, .warn_ctx = devnull};
	if ((err = gr_process_open(&cfg, &p)))
		goto out;

	volatile size_t sink = strlen(gr_process_go_version(p)) + gr_process_go_minor(p);
	struct gr_print_options opts = {.frame_addrs = true};
	size_t n = gr_process_ngoroutines(p);
	for (size_t i = 0; i < n; i++) {
		const struct gr_goroutine *g = gr_process_goroutine(p, i);
		sink += strlen(gr_goroutine_state(p, g));
		(void)gr_process_thread_of(p, g);
		size_t frames = 0;
		(void)gr_unwind(p, g, 200, count_frame, &frames, NULL);
		(void)gr_print_goroutine(p, g, &opts, devnull, ga_say_to_file, devnull);
		(void)gr_process_find_goroutine(p, g->goid);
	}
	for (size_t i = 0; i < gr_process_nthreads(p); i++) {
		const struct gr_thread *t = gr_process_thread(p, i);
		int64_t id;
		(void)gr_process_m_id(p, t->m, &id);
	}
	for (unsigned r = 0; r < 256; r += 17)
		sink += strlen(gr_process_waitreason(p, (uint8_t)r));
	/* The heap walk: spans from the fuzzed memory, what each goroutine
	 * waits on, marking. */
	struct gr_leaks *leaks = NULL;
	struct gc_error *lerr = gr_leaks_find(p, GR_LEAKS_HOLDERS, &leaks);
	if (!lerr) {
		for (size_t i = 0; i < n; i++) {
			const struct gr_goroutine *g = gr_process_goroutine(p, i);
			struct gr_wait w;
			sink += gr_leaks_verdict(leaks, g);
			gr_leaks_wait(leaks, g, &w);
			struct gr_holder h;
			if (w.nobjs && gr_leaks_holder(leaks, w.objs[0].addr, &h))
				sink += h.kind;
			for (size_t k = 0; k < w.nobjs && k < 4; k++) {
				struct gr_chan c;
				if (w.objs[k].dir && gr_chan_read(gr_leaks_waits(leaks), w.objs[k].addr, &c))
					gr_chan_free(&c);
			}
		}
		gr_leaks_destroy(leaks);
	}
	gc_error_destroy(lerr);
	(void)sink;
out:
	gc_error_destroy(err);
	gr_process_destroy(p);
	gc_addrspace_destroy(as);
	ga_exe_close(exe);
	ga_core_close(core);
	return 0;
}
