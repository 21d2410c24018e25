/* Linux x86-64 ELF core files (libelf): segments and notes.
 *
 * The file is mmap()ed read-only; nothing is loaded whole.  Truncated cores
 * load: segments that run past the end of file are recorded with the bytes
 * that remain, and gc_core_truncated_bytes() says how much is missing.
 */
#ifndef GOCORE_ANALYZER_ELFCORE_H
#define GOCORE_ANALYZER_ELFCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "addrspace.h"

/* struct user_regs_struct of x86-64, in kernel order (sys/user.h). */
struct gc_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
	uint64_t fs_base, gs_base, ds, es, fs, gs;
};

struct gc_thread {
	int32_t pid;     /* LWP id (pr_pid) */
	int32_t cursig;  /* pr_cursig: signal pending on this thread */
	struct gc_regs regs;
};

struct gc_mapping {      /* one NT_FILE entry */
	uint64_t start, end, file_offset; /* file_offset in bytes */
	const char *path;
};

struct gc_siginfo {
	bool present;
	int32_t signo, code, errno_;
	uint64_t addr;   /* si_addr for SIGSEGV/SIGBUS/SIGILL/SIGFPE */
	int32_t pid, uid; /* sender, for kill()-style signals */
};

struct gc_core {
	const char *path;
	const uint8_t *data;  /* the mmap()ed file */
	size_t size;
	struct gc_thread *threads;   /* in note order; the first is the one that got the signal */
	size_t nthreads;
	struct gc_mapping *mappings; /* from NT_FILE */
	size_t nmappings;
	struct gc_siginfo siginfo;
	bool have_prpsinfo;
	int32_t pid;
	char fname[17];        /* pr_fname */
	char psargs[81];       /* pr_psargs */
	uint64_t truncated_bytes; /* bytes of PT_LOAD/PT_NOTE data past end of file */
	uint64_t expected_size;   /* size the file should have */
	/* private */
	void *priv;
};

/* Opens and parses the core at path.  On success *ret owns the mapping.
 * GC_ERR_IO when the file cannot be opened; GC_ERR_FORMAT when it is not an
 * x86-64 ELF core, with a message naming path.  A truncated core is not an
 * error: see truncated_bytes. */
struct gc_error *gc_core_open(const char *path, struct gc_core **ret);

/* Like gc_core_open over bytes already in memory (tests, fuzzing); the bytes
 * must outlive the core.  name is used in messages. */
struct gc_error *gc_core_open_memory(const uint8_t *data, size_t size,
				     const char *name, struct gc_core **ret);

void gc_core_close(struct gc_core *core);

/* Adds the core's PT_LOAD segments to as in the given tier. */
struct gc_error *gc_core_add_segments(const struct gc_core *core,
				      struct gc_addrspace *as, unsigned tier);

/* The NT_FILE mapping with the lowest start whose path is the executable
 * (first mapping at file offset 0 of the main executable, per NT_FILE order),
 * or NULL. */
const struct gc_mapping *gc_core_exe_mapping(const struct gc_core *core);

#endif
