/* Opening a core and its executable.  See session.h. */
#include "session.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void session_close(struct session *s)
{
	gr_process_destroy(s->proc);
	gc_addrspace_destroy(s->as);
	gc_addrspace_destroy(s->exe_as);
	gc_exe_close(s->exe);
	gc_core_close(s->core);
}

int session_fail(struct gc_error *err)
{
	fprintf(stderr, "gocore: %s\n", err->message);
	gc_error_destroy(err);
	return EXIT_INPUT;
}

/* The load bias of a PIE: where the first PT_LOAD landed minus its link
 * address (both page-aligned). */
uint64_t session_load_bias(const struct gc_exe *exe, const struct gc_mapping *map)
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
	struct gc_error *err = gc_addrspace_create(&core_as);
	if (err)
		return err;
	if ((err = gc_core_add_segments(s->core, core_as, 0))) {
		gc_addrspace_destroy(core_as);
		if (err == &gc_error_nomem)
			return err;
		/* The full address space reports the same problem later. */
		gc_error_destroy(err);
		return NULL;
	} else {
		in_core = gc_addrspace_span(core_as, map->start, 4096, &n);
	}
	size_t cmp = n < s->exe->size ? n : s->exe->size;
	err = NULL;
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

int session_open(struct session *s, const char *core_path, const char *exe_path,
		 bool force, uint64_t only_goid)
{
	memset(s, 0, sizeof(*s));
	struct gc_error *err = gc_core_open(core_path, &s->core);
	if (err)
		return session_fail(err);
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
		return session_fail(gc_error_prefix(err, "executable for %s", core_path));
	bool unverified;
	bool forced = false;
	if ((err = check_match(s, map, &unverified))) {
		if (!force || err == &gc_error_nomem)
			return session_fail(err);
		/* Whatever is read from here on may be wrong: a gap. */
		fprintf(stderr, "gocore: warning: %s (going on: --force; what follows may be "
			"wrong)\n", err->message);
		gc_error_destroy(err);
		s->gaps = forced = true;
	} else if (unverified) {
		fprintf(stderr, "gocore: warning: cannot check that %s belongs to %s "
			"(its first page is not in the core)\n", exe_path, core_path);
	}
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
	uint64_t bias = s->bias = session_load_bias(s->exe, map);
	if ((err = gc_addrspace_create(&s->as)) ||
	    (err = gc_core_add_segments(s->core, s->as, 0)) ||
	    (err = gc_exe_add_segments(s->exe, s->as, 1, bias)))
		return session_fail(err);
	if (forced && ((err = gc_addrspace_create(&s->exe_as)) ||
		       (err = gc_exe_add_segments(s->exe, s->exe_as, 0, bias))))
		return session_fail(err);
	struct gr_open_config cfg = {
		.core = s->core, .exe = s->exe, .as = s->as, .bias = bias, .warnings = stderr,
		.only_goid = only_goid, .forced = forced, .exe_as = s->exe_as,
	};
	if ((err = gr_process_open(&cfg, &s->proc)))
		return session_fail(err);
	if (gr_process_open_gaps(s->proc))
		s->gaps = true;
	return EXIT_OK;
}

