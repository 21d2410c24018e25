/* Linux x86-64 ELF core files (libelf): segments and notes.
 *
 * The file is mmap()ed read-only; nothing is loaded whole.  Truncated cores
 * load: segments that run past the end of file are recorded with the bytes
 * that remain, and ga_core_truncated_bytes() says how much is missing.
 */
#ifndef GOCORE_ANALYZER_ELFCORE_H
#define GOCORE_ANALYZER_ELFCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "../common/addrspace.h"
#include "../goruntime/image.h"
#include "decompress.h"

struct ga_mapping {      /* one NT_FILE entry */
	uint64_t start, end, file_offset; /* file_offset in bytes */
	const char *path;
};

struct ga_core_segment { /* one PT_LOAD */
	uint64_t vaddr, memsz, offset, filesz;
	uint64_t avail;  /* bytes of [offset, offset+filesz) present in the file */
	uint32_t flags;  /* PF_R/PF_W/PF_X */
};

struct ga_core {
	const char *path;
	const uint8_t *data;  /* the mmap()ed file */
	size_t size;
	const struct gr_arch *arch;  /* from e_machine */
	/* In note order, the one that got the signal first (the kernel writes
	 * it first; in a core without NT_SIGINFO, as qemu-user writes them,
	 * the thread with a pending signal is moved first). */
	struct gr_image_thread *threads;
	size_t nthreads;
	struct ga_mapping *mappings; /* from NT_FILE */
	size_t nmappings;
	struct ga_core_segment *segments; /* PT_LOAD, in program header order */
	size_t nsegments;
	struct gr_image_siginfo siginfo;
	uint64_t at_entry;     /* AT_ENTRY from NT_AUXV: the executable's entry
				* point as loaded (PIE bias = at_entry - e_entry);
				* 0 when absent */
	bool have_prpsinfo;
	int32_t pid;
	char fname[17];        /* pr_fname */
	char psargs[81];       /* pr_psargs */
	uint64_t truncated_bytes; /* bytes of PT_LOAD/PT_NOTE data past end of file */
	uint64_t expected_size;   /* size the file should have */
	/* "zstd", "lz4", "xz" or "gzip" when the file was compressed: data then
	 * maps a decompressed copy (decompress.h) and size, truncated_bytes and
	 * expected_size are those of the decompressed core.  NULL for a plain
	 * core. */
	const char *compression;
	/* When the compressed data was truncated or corrupt: a message naming
	 * path and how many bytes were recovered (the core is then usually
	 * truncated too); else NULL.  Owned by the core. */
	const char *decompress_warning;
	/* When the notes could not all be read (a note whose sizes run past
	 * its PT_NOTE or whose contents do not fit its type, too many PT_NOTE
	 * segments, or no thread note at all): a message naming path and the
	 * note's offset and type; what came before it is kept, the rest is
	 * not read.  NULL otherwise.  Owned by the core.  A gap (exit 3). */
	const char *note_warning;
	/* The file at path (the compressed one when compressed): its device
	 * and inode, so that an output file is never written over it. */
	uint64_t file_dev, file_ino;
	/* private */
	void *priv;
};

/* Opens and parses the core at path.  On success *ret owns the mapping.
 * A file compressed with zstd, lz4, xz or gzip (told by its magic) is first
 * decompressed into an unlinked temporary file, which is mapped instead:
 * see compression and decompress_warning, and ga_decompress_to_tmpfile() for
 * its errors.  GC_ERR_IO when the file cannot be opened; GC_ERR_FORMAT when
 * it is not an x86-64 ELF core, with a message naming path.  A truncated
 * core is not an error: see truncated_bytes. */
struct gc_error *ga_core_open(const char *path, struct ga_core **ret);

/* Like ga_core_open over bytes already in memory (tests, fuzzing); the bytes
 * must outlive the core.  name is used in messages. */
struct gc_error *ga_core_open_memory(const uint8_t *data, size_t size,
				     const char *name, struct ga_core **ret);

/* Unmaps and frees core; NULL is a no-op.  Pointers into the core (paths,
 * segment bytes in an address space) die with it. */
void ga_core_close(struct ga_core *core);


/* The check ga_core_open makes while it decompresses a compressed core (a
 * ga_decompress_check_fn of decompress.h, for ga_decompress_check_tmpfile):
 * an x86-64 ELF core header at once (GC_ERR_FORMAT otherwise), then program
 * headers that end within 256 MiB (GC_ERR_LIMIT), then no more output than
 * the furthest segment or note they describe (or the section headers just
 * past it) plus 1 MiB.  ctx points to a zeroed ga_core_stream_check whose
 * name is set; the other fields are the check's own. */
struct ga_core_stream_check {
	const char *name;        /* for messages */
	uint64_t phoff, phend;   /* phend: 0 while unknown (PN_XNUM) */
	uint16_t phentsize;
	bool xnum;
	uint64_t k;              /* program headers read */
	uint64_t data_start;     /* PN_XNUM: lowest segment offset, where the table ends */
	uint64_t accounted;      /* furthest end of what the headers describe */
	uint64_t sh_end;         /* end of the section headers, 0 if none */
};
struct gc_error *ga_core_check_stream(void *ctx, const struct ga_decompress_output *o,
				      uint64_t *need_ret, uint64_t *max_ret);

/* Adds the core's PT_LOAD segments to as in the given tier: each as
 * [vaddr, vaddr+memsz) with its first avail bytes backed (p_filesz == 0
 * segments, such as text the kernel did not dump, are mapped but not
 * available, so reads fall through to lower tiers).  core must outlive as.
 * Returns NULL, &gc_error_nomem or GC_ERR_FORMAT (a segment wraps). */
struct gc_error *ga_core_add_segments(const struct ga_core *core,
				      struct gc_addrspace *as, unsigned tier);

/* The NT_FILE mapping of the main executable at file offset 0 with the
 * lowest start, or NULL.  The executable's path is that of the NT_FILE entry
 * containing AT_ENTRY (NT_AUXV) when there is one, else that of the first
 * NT_FILE entry (the kernel lists mappings by address and the executable is
 * mapped lowest in ordinary layouts, PIE included). */
const struct ga_mapping *ga_core_exe_mapping(const struct ga_core *core);

/* The NT_FILE mapping of path at file offset 0 with the lowest start, or
 * NULL. */
const struct ga_mapping *ga_core_file_mapping(const struct ga_core *core, const char *path);

/* One file of the NT_FILE table: its entries grouped by path. */
struct ga_mapped_file {
	const char *path;                /* as NT_FILE records it: a file deleted
					  * while mapped ends in " (deleted)" */
	const struct ga_mapping *first;  /* lowest-start entry at file offset 0,
					  * or NULL */
	const struct ga_mapping *lowest; /* lowest-start entry */
	size_t nmappings;
};

/* The distinct files of the core's NT_FILE table, ordered by their lowest
 * address.  *ret is malloc'd (NULL when *n_ret is 0) and points into core.
 * Returns NULL or &gc_error_nomem. */
struct gc_error *ga_core_mapped_files(const struct ga_core *core,
				      struct ga_mapped_file **ret, size_t *n_ret);

#endif
