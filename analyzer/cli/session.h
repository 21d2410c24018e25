/* A gocore session: a core, its executable (and the Go library a non-Go
 * executable loaded), the address space over them and the Go process read
 * from them.  Opening one checks that the files belong to the core, and
 * says on stderr what it had to work around. */
#ifndef GOCORE_ANALYZER_SESSION_H
#define GOCORE_ANALYZER_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../../goruntime/leaks.h"
#include "../../goruntime/process.h"
#include "../../common/addrspace.h"
#include "../elfcore.h"
#include "../image.h"
#include "../elfexe.h"
#include "../mapped.h"

/* Exit codes (README.md). */
enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_INPUT = 2, EXIT_GAPS = 3, EXIT_OUTPUT = 4 };

struct session {
	struct ga_core *core;
	struct ga_exe *exe;       /* the core's executable */
	/* The Go library (-buildmode=c-shared) when the executable has no Go
	 * code, or --lib named one; NULL when the Go code is the
	 * executable's (a Go program, or a C program with a c-archive). */
	struct ga_golib golib;
	struct ga_exe *go;        /* the file with the Go code: golib.lib, else exe */
	struct gc_addrspace *as;
	struct gc_addrspace *exe_as; /* --force on a mismatch: the executable alone */
	struct gr_image image;    /* what proc reads: the core, go and as */
	struct gr_process *proc;
	uint64_t bias;  /* load bias of go (a PIE, a shared library) */
	bool gaps;      /* something could not be read: exit 3 */
	FILE *out;      /* where the commands write: stdout (report: its page) */
	/* The heap walk's verdicts (leaks.h), made on first use with
	 * leaks_flags; session_close frees them. */
	struct gr_leaks *leaks;
	unsigned leaks_flags;
};

/* Opens core_path and its executable (exe_path, or the path the core
 * records when NULL).  When the executable has no Go pclntab, the Go code
 * is looked for among the files the core maps (mapped.h); lib_path (--lib)
 * names the Go library instead, for when its recorded path is gone.
 * Returns EXIT_OK, or EXIT_INPUT after printing why on stderr; force goes
 * on when the executable or library does not match; only_goid, when
 * nonzero, reads just that goroutine (see gr_open_config).  The session
 * must be closed with session_close() either way. */
int session_open(struct session *s, const char *core_path, const char *exe_path,
		 const char *lib_path, bool force, uint64_t only_goid);
void session_close(struct session *s);

/* Prints "gocore: <message>" for err, frees it, and returns EXIT_INPUT. */
int session_fail(struct gc_error *err);

#endif
