/* The process image goruntime/ reads: what a core and the file holding
 * the Go code give, without their file formats.
 *
 * This is goruntime's whole view of its input.  analyzer/ fills one from
 * an ELF core and executable (analyzer/image.c); a test or a fuzzer can
 * fill one by hand over buffers, with no ELF file at all (libdrgn and
 * libbacktrace take their input the same way).  Everything it points to
 * must outlive the gr_process opened on it.
 */
#ifndef GOCORE_GORUNTIME_IMAGE_H
#define GOCORE_GORUNTIME_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addrspace.h"
#include "arch.h"

/* One thread of the process as the core saw it. */
struct gr_image_thread {
	int32_t lwp;      /* its kernel thread id (NT_PRSTATUS pr_pid) */
	int32_t cursig;   /* the signal pending on it (pr_cursig) */
	struct gr_regs regs;
};

/* The signal that ended the process (NT_SIGINFO). */
struct gr_image_siginfo {
	bool present;
	/* Only signo is known (a core with no NT_SIGINFO: the signal pending
	 * on its first thread, pr_cursig). */
	bool only_signo;
	int32_t signo, code, errno_;
	uint64_t addr;     /* si_addr for SIGSEGV/SIGBUS/SIGILL/SIGFPE */
	int32_t pid, uid;  /* sender, for kill()-style signals */
};

/* A loadable segment of the file with the Go code, at link-time
 * addresses. */
struct gr_image_segment {
	uint64_t vaddr, memsz, filesz;
	uint32_t flags;        /* GR_SEG_X, GR_SEG_W, GR_SEG_R */
	const uint8_t *data;   /* its filesz bytes in the file; NULL when the
				* file lacks them */
};
enum { GR_SEG_X = 1, GR_SEG_W = 2, GR_SEG_R = 4 };

/* A named section of that file (none when it has no section headers). */
struct gr_image_section {
	const char *name;
	uint64_t addr, size;   /* link-time address */
	const uint8_t *data;   /* its size bytes in the file; NULL for one
				* that occupies none (.bss) or lies outside it */
};

/* The file holding the Go code: the executable, or the Go shared library
 * (-buildmode=c-shared) a non-Go executable loaded. */
struct gr_image_file {
	const char *path;      /* for messages */
	const struct gr_image_segment *segments;
	size_t nsegments;
	const struct gr_image_section *sections;
	size_t nsections;
	/* Looks name up in the symbol table: its link-time value and size.
	 * NULL, or false for every name, when the file is stripped. */
	bool (*symbol)(const void *ctx, const char *name, uint64_t *value_ret,
		       uint64_t *size_ret);
	/* The symbol whose extent holds the link-time address addr, and its
	 * value; NULL (or no callback) when none does. */
	const char *(*symbol_at)(const void *ctx, uint64_t addr, uint64_t *value_ret);
	const void *symbol_ctx;
	/* A descriptor of the file for libdwarf; -1 when it has no DWARF. */
	int dwarf_fd;
};

struct gr_image {
	const struct gr_arch *arch;
	const char *core_path;    /* the core, for messages */
	/* The process's memory: the core's bytes, and the files' where the
	 * core has none (text, rodata). */
	const struct gc_addrspace *memory;
	struct gr_image_file file;
	uint64_t bias;            /* where file was loaded minus its link address */
	/* The threads; the first is the one that took the fatal signal. */
	const struct gr_image_thread *threads;
	size_t nthreads;
	struct gr_image_siginfo siginfo;
	int32_t pid;              /* 0 when unknown */
	/* Bytes of memory the core should hold but does not (cut short by
	 * RLIMIT_CORE or a full disk); 0 for a whole core. */
	uint64_t truncated_bytes;
};

/* The section of f with that name, or NULL. */
const struct gr_image_section *gr_image_section(const struct gr_image_file *f,
						const char *name);

/* Looks a symbol up in f's symbol table (link-time value, no bias). */
static inline bool gr_image_symbol(const struct gr_image_file *f, const char *name,
				   uint64_t *value_ret, uint64_t *size_ret)
{
	return f->symbol && f->symbol(f->symbol_ctx, name, value_ret, size_ret);
}

/* The program counter and stack pointer of a thread. */
static inline uint64_t gr_image_thread_pc(const struct gr_image *img,
					  const struct gr_image_thread *t)
{
	return gr_regs_pc(img->arch, &t->regs);
}
static inline uint64_t gr_image_thread_sp(const struct gr_image *img,
					  const struct gr_image_thread *t)
{
	return gr_regs_sp(img->arch, &t->regs);
}

#endif
