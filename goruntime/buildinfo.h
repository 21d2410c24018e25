/* The Go build information blob (.go.buildinfo; runtime/debug.BuildInfo's
 * source): Go version and module information.  Format: src/debug/buildinfo
 * (Go 1.18+ inline varint strings; older releases point at string headers). */
#ifndef GOCORE_GORUNTIME_BUILDINFO_H
#define GOCORE_GORUNTIME_BUILDINFO_H

#include "../common/addrspace.h"
#include "../common/error.h"
#include "image.h"

struct gr_buildinfo {
	char *version;  /* "go1.19.8" */
	char *modinfo;  /* the raw module info text, "" if none */
	char *path;     /* main package path ("path\t..." line), "" if none */
	char *module;   /* main module path ("mod\t..." line), "" if none */
};

/* Finds and decodes the build info of exe.  GC_ERR_NOT_FOUND when there is
 * none.  On success the caller frees *ret with gr_buildinfo_deinit. */
struct gc_error *gr_buildinfo_read(const struct gr_image_file *exe, const struct gc_addrspace *as,
				   uint64_t bias, struct gr_buildinfo *ret);
void gr_buildinfo_deinit(struct gr_buildinfo *bi);

/* Convenience: just the version string (malloc'd into *ret). */
struct gc_error *gr_buildinfo_version(const struct gr_image_file *exe, const struct gc_addrspace *as,
				      uint64_t bias, char **ret);

/* For binaries without build info: the one string in the executable's
 * read-only segments that is exactly a Go release ("go1.N", "go1.N.M",
 * optionally rcN/betaN) standing alone between non-printable bytes, as
 * runtime.buildVersion's bytes do.  GC_ERR_NOT_FOUND when there is none or
 * more than one distinct candidate. */
struct gc_error *gr_version_from_rodata(const struct gr_image_file *exe, char **ret);

#endif
