/* The files a core maps, as files on disk.  See mapped.h. */
#include "mapped.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../goruntime/process.h"

#define PAGE_MASK 0xfffull
#define DELETED " (deleted)"
/* How many paths an error message lists before "...". */
#define MAX_LISTED 3

/* Finds a note (name, type) in an ELF image's first page, where linkers
 * put their build IDs right after the headers so that cores keep them:
 * the Go linker its "Go" note (type 4, in executables and -buildmode=
 * c-shared libraries alike), GNU ld and the Go linker with -B the "GNU"
 * NT_GNU_BUILD_ID (type 3).  Copies its descriptor into buf; false when
 * absent.  Sets *len_ret to the descriptor's length. */
static bool first_page_note(const uint8_t *page, size_t n, const char name[4], uint32_t want,
			    uint8_t *buf, size_t max, size_t *len_ret)
{
	for (size_t off = 0; off + 16 <= n; off += 4) {
		uint32_t namesz, descsz, type;
		memcpy(&namesz, page + off, 4);
		memcpy(&descsz, page + off + 4, 4);
		memcpy(&type, page + off + 8, 4);
		if (namesz != 4 || type != want || memcmp(page + off + 12, name, 4) != 0)
			continue;
		if (descsz == 0 || descsz >= max || descsz > n - off - 16)
			return false;
		memcpy(buf, page + off + 16, descsz);
		*len_ret = descsz;
		return true;
	}
	return false;
}

/* The build ID the kind of note gives, printable, into out (max bytes). */
static void build_id_text(const uint8_t *id, size_t len, bool hex, char *out, size_t max)
{
	if (!hex) {
		size_t k = len < max ? len : max - 1;
		memcpy(out, id, k);
		out[k] = '\0';
		out[strnlen(out, k)] = '\0';
		return;
	}
	out[0] = '\0';
	for (size_t i = 0; i < len && 2 * i + 3 <= max; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

enum ga_first_page ga_first_page_check(const struct gc_addrspace *core_as,
				       const struct ga_exe *f, const struct ga_mapping *m,
				       char *core_id, char *file_id, size_t idmax)
{
	if (!m)
		return GA_PAGE_UNVERIFIED;
	size_t n = 0;
	const uint8_t *in_core = gc_addrspace_span(core_as, m->start, 4096, &n);
	size_t cmp = n < f->size ? n : f->size;
	if (!in_core || cmp < 64)
		return GA_PAGE_UNVERIFIED;
	/* `strip` rewrites the ELF header but keeps the notes: a build ID
	 * decides when both pages carry the same kind, Go's first. */
	static const struct {
		char name[4];
		uint32_t type;
		enum ga_first_page differs;
	} notes[] = {{"Go\0\0", 4, GA_PAGE_BUILD_ID}, {"GNU\0", 3, GA_PAGE_GNU_BUILD_ID}};
	for (size_t k = 0; k < sizeof(notes) / sizeof(notes[0]); k++) {
		uint8_t cid[256], fid[256];
		size_t clen, flen;
		if (!first_page_note(in_core, cmp, notes[k].name, notes[k].type, cid, sizeof(cid),
				     &clen) ||
		    !first_page_note(f->data, cmp, notes[k].name, notes[k].type, fid, sizeof(fid),
				     &flen))
			continue;
		if (clen == flen && memcmp(cid, fid, clen) == 0)
			return GA_PAGE_MATCH;
		build_id_text(cid, clen, k == 1, core_id, idmax);
		build_id_text(fid, flen, k == 1, file_id, idmax);
		return notes[k].differs;
	}
	return memcmp(in_core, f->data, cmp) == 0 ? GA_PAGE_MATCH : GA_PAGE_DIFFERS;
}

/* The bias that maps m onto a PT_LOAD segment of f starting in m's first
 * page of the file; false when none does. */
static bool bias_from(const struct ga_exe *f, const struct ga_mapping *m, uint64_t *bias_ret)
{
	for (size_t i = 0; i < f->nsegments; i++) {
		const struct ga_exe_segment *s = &f->segments[i];
		if ((s->offset & ~PAGE_MASK) == m->file_offset) {
			*bias_ret = m->start - (s->vaddr & ~PAGE_MASK);
			return true;
		}
	}
	return false;
}

bool ga_mapped_bias(const struct ga_exe *f, const struct ga_mapped_file *mf, uint64_t *bias_ret)
{
	if (mf->first && bias_from(f, mf->first, bias_ret))
		return true;
	return mf->lowest && bias_from(f, mf->lowest, bias_ret);
}

bool ga_mapped_is_go(const struct ga_exe *f)
{
	static const char *const go_sections[] = {
		".gopclntab", ".data.rel.ro.gopclntab", ".go.buildinfo", ".note.go.buildid",
	};
	bool maybe = f->nsections == 0 || f->go_build_id;
	for (size_t i = 0; !maybe && i < sizeof(go_sections) / sizeof(go_sections[0]); i++)
		maybe = ga_exe_section(f, go_sections[i]) != NULL;
	const uint8_t *data;
	size_t size;
	uint64_t vaddr;
	return maybe && gr_file_pclntab(&f->image, &data, &size, &vaddr);
}

void ga_golib_deinit(struct ga_golib *g)
{
	if (!g)
		return;
	ga_exe_close(g->lib);
	free(g->recorded);
	memset(g, 0, sizeof(*g));
}

/* Whether path names a file that was deleted while mapped, as NT_FILE
 * says (the kernel appends " (deleted)"). */
static bool is_deleted(const char *path)
{
	size_t n = strlen(path), d = strlen(DELETED);
	return n > d && strcmp(path + n - d, DELETED) == 0;
}

/* Mapped files that are not files on disk: shared memory, devices. */
static bool is_special(const char *path)
{
	return path[0] != '/' || strncmp(path, "/memfd:", 7) == 0 ||
	       strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/SYSV", 5) == 0;
}

/* A bounded, growing list of paths for messages: "a, b, c and 2 more". */
struct path_list {
	const char *v[MAX_LISTED];
	size_t n;
};

static void list_add(struct path_list *l, const char *path)
{
	if (l->n < MAX_LISTED)
		l->v[l->n] = path;
	l->n++;
}

/* Writes the list into buf (size max). */
static const char *list_str(const struct path_list *l, char *buf, size_t max)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n && i < MAX_LISTED; i++) {
		int w = snprintf(buf + used, max - used, "%s%s", i ? ", " : "", l->v[i]);
		if (w < 0 || (size_t)w >= max - used)
			return buf;
		used += (size_t)w;
	}
	if (l->n > MAX_LISTED)
		snprintf(buf + used, max - used, " and %zu more", l->n - MAX_LISTED);
	return buf;
}

static struct gc_error *golib_take(struct ga_golib *ret, struct ga_exe *lib,
				   const struct ga_mapped_file *mf)
{
	uint64_t bias;
	if (!ga_mapped_bias(lib, mf, &bias))
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: none of its %zu mappings in the core lines up with "
				       "one of its PT_LOAD segments (another file?)",
				       lib->path, mf->nmappings);
	char *rec = strdup(mf->path);
	if (!rec)
		return &gc_error_nomem;
	*ret = (struct ga_golib){.lib = lib, .recorded = rec, .map = mf->first, .bias = bias};
	return NULL;
}

struct gc_error *ga_golib_find(const struct ga_core *core, const char *exe_recorded,
			       const char *exe_path, struct ga_golib *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct ga_mapped_file *files;
	size_t nfiles;
	struct gc_error *err = ga_core_mapped_files(core, &files, &nfiles);
	if (err)
		return err;
	struct path_list gone = {0}, found = {0};
	size_t checked = 0;
	struct ga_exe *lib = NULL;
	const struct ga_mapped_file *lib_file = NULL;
	for (size_t i = 0; i < nfiles; i++) {
		const struct ga_mapped_file *mf = &files[i];
		if ((exe_recorded && strcmp(mf->path, exe_recorded) == 0) || is_special(mf->path))
			continue;
		if (is_deleted(mf->path)) {
			list_add(&gone, mf->path);
			continue;
		}
		struct ga_exe *f;
		if ((err = ga_exe_open(mf->path, &f))) {
			/* Not ELF, not a regular file...: not Go code.  A file
			 * that is gone may have been the library. */
			struct stat st;
			if (err->code == GC_ERR_IO && stat(mf->path, &st) != 0 && errno == ENOENT)
				list_add(&gone, mf->path);
			if (err == &gc_error_nomem)
				goto out;
			gc_error_destroy(err);
			err = NULL;
			continue;
		}
		checked++;
		if (!ga_mapped_is_go(f)) {
			ga_exe_close(f);
			continue;
		}
		list_add(&found, mf->path);
		if (lib) {
			ga_exe_close(f);
		} else {
			lib = f;
			lib_file = mf;
		}
	}
	char names[1024], gnames[1024];
	if (found.n == 1) {
		err = golib_take(ret, lib, lib_file);
		if (!err)
			lib = NULL; /* ret owns it */
	} else if (found.n > 1) {
		err = gc_error_create(GC_ERR_UNSUPPORTED,
				      "%s: the process had %zu Go libraries mapped (%s), each with "
				      "its own Go runtime; name the one to read with --lib PATH",
				      core->path, found.n, list_str(&found, names, sizeof(names)));
	} else {
		err = gc_error_create(
			GC_ERR_NOT_FOUND,
			"%s: %s is not a Go program (no Go pclntab), and none of the %zu other "
			"mapped files gocore could read is a Go library (-buildmode=c-shared)%s%s%s",
			core->path, exe_path, checked,
			gone.n ? "; these mapped files no longer exist: " : "",
			gone.n ? list_str(&gone, gnames, sizeof(gnames)) : "",
			gone.n ? " (if the Go library is one of them, name a copy with --lib PATH)"
			       : "");
	}
out:
	ga_exe_close(lib);
	free(files);
	return err;
}

/* The base name of a recorded path, without " (deleted)", into buf. */
static const char *base_name(const char *path, char *buf, size_t max)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	snprintf(buf, max, "%s", b);
	if (is_deleted(buf))
		buf[strlen(buf) - strlen(DELETED)] = '\0';
	return buf;
}

struct gc_error *ga_golib_place(const struct ga_core *core,
				const struct gc_addrspace *core_as, const char *exe_recorded,
				const char *lib_path, bool force, gr_warn_fn *warn, void *warn_ctx,
				struct ga_golib *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct ga_exe *lib;
	struct gc_error *err = ga_exe_open(lib_path, &lib);
	if (err)
		return gc_error_prefix(err, "--lib");
	if (!ga_mapped_is_go(lib)) {
		err = gc_error_create(GC_ERR_NOT_FOUND, "--lib %s is not a Go library (no Go "
				      "pclntab)", lib_path);
		ga_exe_close(lib);
		return err;
	}
	struct ga_mapped_file *files;
	size_t nfiles;
	if ((err = ga_core_mapped_files(core, &files, &nfiles))) {
		ga_exe_close(lib);
		return err;
	}
	char want[256], have[256], core_id[256] = "", lib_id[256] = "";
	base_name(lib_path, want, sizeof(want));
	const struct ga_mapped_file *match = NULL, *same_name = NULL;
	enum ga_first_page same_name_page = GA_PAGE_UNVERIFIED;
	size_t nsame = 0, ncand = 0;
	for (size_t i = 0; i < nfiles && !match; i++) {
		const struct ga_mapped_file *mf = &files[i];
		if ((exe_recorded && strcmp(mf->path, exe_recorded) == 0) || is_special(mf->path))
			continue;
		ncand++;
		char cid[256] = "", fid[256] = "";
		enum ga_first_page r = ga_first_page_check(core_as, lib, mf->first, cid, fid,
							   sizeof(cid));
		if (r == GA_PAGE_MATCH) {
			match = mf;
		} else if (strcmp(base_name(mf->path, have, sizeof(have)), want) == 0) {
			if (nsame++ == 0) {
				same_name = mf;
				same_name_page = r;
				memcpy(core_id, cid, sizeof(core_id));
				memcpy(lib_id, fid, sizeof(lib_id));
			}
		}
	}
	if (!match && nsame == 1) {
		const char *why = NULL;
		switch (same_name_page) {
		case GA_PAGE_UNVERIFIED:
			if (warn) {
				char msg[8192];
				snprintf(msg, sizeof(msg), "cannot check that %s is the core's %s (its "
					 "first page is not in the core)", lib_path, same_name->path);
				warn(warn_ctx, msg);
			}
			match = same_name;
			break;
		case GA_PAGE_BUILD_ID: why = "Go build ID"; break;
		case GA_PAGE_GNU_BUILD_ID: why = "GNU build ID"; break;
		default: why = "first page"; break;
		}
		if (why && !force) {
			if (same_name_page == GA_PAGE_BUILD_ID ||
			    same_name_page == GA_PAGE_GNU_BUILD_ID)
				err = gc_error_create(GC_ERR_MISMATCH,
						      "%s does not belong to %s: %s %s, but the "
						      "core's %s had %s; use --force to go on anyway",
						      lib_path, core->path, why, lib_id,
						      same_name->path, core_id);
			else
				err = gc_error_create(GC_ERR_MISMATCH,
						      "%s does not belong to %s: its first page differs "
						      "from that of the core's %s (another build?); "
						      "use --force to go on anyway",
						      lib_path, core->path, same_name->path);
		} else if (why) {
			if (warn) {
				char msg[8192];
				snprintf(msg, sizeof(msg), "%s does not match the core's %s (%s "
					 "differs; going on: --force)", lib_path, same_name->path, why);
				warn(warn_ctx, msg);
			}
			match = same_name;
		}
	}
	if (!match && !err)
		err = gc_error_create(GC_ERR_MISMATCH,
				      "%s does not belong to %s: none of the %zu files the core "
				      "maps besides the executable has its first page%s%s%s",
				      lib_path, core->path, ncand,
				      lib->go_build_id ? " (Go build ID " : "",
				      lib->go_build_id ? lib->go_build_id : "",
				      lib->go_build_id ? ")" : "");
	if (!err)
		err = golib_take(ret, lib, match);
	if (err)
		ga_exe_close(lib);
	free(files);
	return err;
}
