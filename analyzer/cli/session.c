/* Opening a core and its executable.  See session.h. */
#include "session.h"

#include "../../common/parallel.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void session_close(struct session *s)
{
	gr_leaks_destroy(s->leaks);
	gr_process_destroy(s->proc);
	gc_addrspace_destroy(s->as);
	gc_addrspace_destroy(s->exe_as);
	ga_golib_deinit(&s->golib);
	ga_exe_close(s->exe);
	ga_core_close(s->core);
}

int session_fail(struct gc_error *err)
{
	fprintf(stderr, "gocore: %s\n", err->message);
	gc_error_destroy(err);
	return EXIT_INPUT;
}

/* Checks file f (what: "executable" or "Go library") against the first
 * page of its mapping map in the core (core_as: the core's bytes only).
 * Returns NULL when they match or cannot be compared (then *unverified is
 * set). */
static struct gc_error *check_match(const struct session *s, const struct gc_addrspace *core_as,
				    const struct ga_exe *f, const char *what,
				    const struct ga_mapping *map, bool *unverified)
{
	char core_id[256], file_id[256];
	enum ga_first_page r = core_as ? ga_first_page_check(core_as, f, map, core_id, file_id,
							     sizeof(core_id))
				       : GA_PAGE_UNVERIFIED;
	*unverified = r == GA_PAGE_UNVERIFIED;
	switch (r) {
	case GA_PAGE_BUILD_ID:
		return gc_error_create(GC_ERR_MISMATCH,
				       "%s does not belong to %s: Go build ID %s, but the "
				       "core's %s had %s; use --force to go on anyway",
				       f->path, s->core->path, file_id, what, core_id);
	case GA_PAGE_GNU_BUILD_ID:
		return gc_error_create(GC_ERR_MISMATCH,
				       "%s does not belong to %s: GNU build ID %s, but the "
				       "core's %s had %s; use --force to go on anyway",
				       f->path, s->core->path, file_id, what, core_id);
	case GA_PAGE_DIFFERS:
		return gc_error_create(GC_ERR_MISMATCH,
				       "%s does not belong to %s: the %s's first page "
				       "differs from the copy in the core (another build?); "
				       "use --force to go on anyway",
				       f->path, s->core->path, what);
	default:
		return NULL;
	}
}

/* check_match, then --force and the warnings.  EXIT_OK or EXIT_INPUT.
 * Going on with --force makes everything read afterwards a gap (*forced). */
static int verify(struct session *s, const struct gc_addrspace *core_as,
		  const struct ga_exe *f, const char *what, const struct ga_mapping *map,
		  bool force, bool *forced)
{
	bool unverified;
	struct gc_error *err = check_match(s, core_as, f, what, map, &unverified);
	if (err) {
		if (!force || err == &gc_error_nomem)
			return session_fail(err);
		/* Whatever is read from here on may be wrong: a gap. */
		fprintf(stderr, "gocore: warning: %s (going on: --force; what follows may be "
			"wrong)\n", err->message);
		gc_error_destroy(err);
		s->gaps = *forced = true;
	} else if (unverified) {
		fprintf(stderr, "gocore: warning: cannot check that %s belongs to %s "
			"(its first page is not in the core)\n", f->path, s->core->path);
	}
	return EXIT_OK;
}

/* Finds the Go code: the executable's, else a Go library the core maps
 * (lib_path: --lib).  Sets s->go, s->golib and s->bias. */
static int find_go(struct session *s, const struct gc_addrspace *core_as,
		   const struct ga_mapping *exe_map, const char *lib_path, bool force,
		   bool *forced)
{
	const char *exe_recorded = exe_map ? exe_map->path : NULL;
	struct gc_error *err;
	if (lib_path) {
		if (!core_as)
			return session_fail(gc_error_create(GC_ERR_FORMAT,
							    "%s: cannot read the core's segments to "
							    "place --lib %s", s->core->path, lib_path));
		if ((err = ga_golib_place(s->core, core_as, exe_recorded, lib_path, force,
					  ga_warn_to_file, stderr, &s->golib)))
			return session_fail(err);
	} else {
		const uint8_t *d;
		size_t n;
		uint64_t v;
		if (gr_file_pclntab(&s->exe->image, &d, &n, &v)) {
			s->go = s->exe;
			s->bias = ga_load_bias(s->exe, exe_map);
			return EXIT_OK;
		}
		if ((err = ga_golib_find(s->core, exe_recorded, s->exe->path, &s->golib)))
			return session_fail(err);
		int rc = verify(s, core_as, s->golib.lib, "Go library", s->golib.map, force, forced);
		if (rc != EXIT_OK)
			return rc;
	}
	s->go = s->golib.lib;
	s->bias = s->golib.bias;
	return EXIT_OK;
}

int session_open(struct session *s, const char *core_path, const char *exe_path,
		 const char *lib_path, bool force, uint64_t only_goid)
{
	memset(s, 0, sizeof(*s));
	s->out = stdout;
	struct gc_error *err = ga_core_open(core_path, &s->core);
	if (err)
		return session_fail(err);
	const struct ga_mapping *map = ga_core_exe_mapping(s->core);
	if (!exe_path) {
		if (!map) {
			fprintf(stderr, "gocore: %s: the core does not name its executable; "
				"give it as the last argument\n", core_path);
			return EXIT_INPUT;
		}
		exe_path = map->path;
	}
	if ((err = ga_exe_open(exe_path, &s->exe)))
		return session_fail(gc_error_prefix(err, "executable for %s", core_path));
	if (s->exe->arch != s->core->arch) {
		fprintf(stderr, "gocore: %s is an %s executable, but %s is an %s core\n",
			s->exe->path, s->exe->arch->name, core_path, s->core->arch->name);
		return EXIT_INPUT;
	}
	/* The files are checked against the core's own bytes: an address
	 * space of the core alone.  When the core's segments cannot be
	 * added, the full address space reports it below. */
	struct gc_addrspace *core_as;
	if ((err = gc_addrspace_create(&core_as)))
		return session_fail(err);
	if ((err = ga_core_add_segments(s->core, core_as, 0))) {
		gc_addrspace_destroy(core_as);
		if (err == &gc_error_nomem)
			return session_fail(err);
		gc_error_destroy(err);
		core_as = NULL;
	}
	bool forced = false;
	int rc = verify(s, core_as, s->exe, "executable", map, force, &forced);
	if (rc != EXIT_OK) {
		gc_addrspace_destroy(core_as);
		return rc;
	}
	/* Said before looking for a Go library: a core cut in its notes has
	 * lost the mapped files too. */
	if (s->core->decompress_warning)
		fprintf(stderr, "gocore: warning: %s\n", s->core->decompress_warning);
	if (s->core->note_warning) {
		fprintf(stderr, "gocore: warning: %s\n", s->core->note_warning);
		s->gaps = true;
	}
	if (s->core->truncated_bytes) {
		fprintf(stderr, "gocore: %s: core is truncated: %" PRIu64 " of %" PRIu64
			" bytes missing (ulimit -c or a full disk?); memory there is unavailable\n",
			core_path, s->core->truncated_bytes, s->core->expected_size);
		s->gaps = true;
	}
	rc = find_go(s, core_as, map, lib_path, force, &forced);
	gc_addrspace_destroy(core_as);
	if (rc != EXIT_OK)
		return rc;
	/* The core's bytes first; then the Go code's file, then (for a Go
	 * library) the executable's, which only fills in the host's own
	 * text. */
	if ((err = gc_addrspace_create(&s->as)) ||
	    (err = ga_core_add_segments(s->core, s->as, 0)) ||
	    (err = ga_exe_add_segments(s->go, s->as, 1, s->bias)) ||
	    (s->go != s->exe &&
	     (err = ga_exe_add_segments(s->exe, s->as, 2, ga_load_bias(s->exe, map)))))
		return session_fail(err);
	/* With --force on another build, the Go file's own bytes (its
	 * moduledata, type descriptors) are read apart from the core's. */
	if (forced && ((err = gc_addrspace_create(&s->exe_as)) ||
		       (err = ga_exe_add_segments(s->go, s->exe_as, 0, s->bias))))
		return session_fail(err);
	ga_image_init(&s->image, s->core, s->go, s->as, s->bias);
	struct gr_open_config cfg = {
		.image = &s->image, .warn = ga_warn_to_file, .warn_ctx = stderr,
		.only_goid = only_goid, .forced = forced, .exe_as = s->exe_as,
		.jobs = gc_parallel_cpus(),
	};
	if ((err = gr_process_open(&cfg, &s->proc)))
		return session_fail(err);
	if (gr_process_open_gaps(s->proc))
		s->gaps = true;
	return EXIT_OK;
}
