/* Compressed cores: systemd-coredump's .zst (its default), .lz4 and .xz, and
 * gzip.
 *
 * The format is recognised by its magic bytes, never by the file name.  The
 * core is decompressed once, streaming, into an unlinked temporary file that
 * the caller mmap()s like a plain core: memory stays bounded (fixed 1.25 MiB
 * of buffers plus the decoder's window, see ga_decompress_to_tmpfile) however
 * large the core, and the file is written sparsely (all-zero 4 KiB blocks
 * are left as holes), so the mostly-zero cores of Go programs, whose heap
 * arenas are reserved but barely touched, cost little disk.
 *
 * A compressed file that is truncated or corrupt is not an error: what
 * decompressed before the damage is kept, the core loader then sees a
 * truncated core (which it handles), and a warning says what happened.
 */
#ifndef GOCORE_ANALYZER_DECOMPRESS_H
#define GOCORE_ANALYZER_DECOMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"

enum ga_compression {
	GA_COMPRESSION_NONE,
	GA_COMPRESSION_ZSTD, /* zstd frame, 28 b5 2f fd (RFC 8878) */
	GA_COMPRESSION_LZ4,  /* LZ4 frame format, 04 22 4d 18 (not the legacy format of lz4 -l) */
	GA_COMPRESSION_XZ,   /* xz stream, fd 37 7a 58 5a 00 */
	GA_COMPRESSION_GZIP, /* gzip member with deflate, 1f 8b 08 (RFC 1952) */
};

/* How many leading bytes ga_detect_compression() needs to tell them all. */
#define GA_COMPRESSION_MAGIC_LEN 6

/* The default bound on the decompressed size (1 TiB).  It stops a
 * decompression bomb long before it fills the address space; the disk is
 * bounded anyway by the free space of the temporary directory (the write
 * fails with ENOSPC), and zero blocks cost none.  A real core this large
 * would come from a process with a terabyte of dumped memory. */
#define GA_DECOMPRESS_MAX_SIZE ((uint64_t)1 << 40)

/* The compression whose magic starts the n bytes at head, or
 * GA_COMPRESSION_NONE (also when n is too short to tell). */
enum ga_compression ga_detect_compression(const uint8_t *head, size_t n);

/* "zstd", "lz4", "xz", "gzip" (static strings), or NULL for
 * GA_COMPRESSION_NONE and unknown values. */
const char *ga_compression_name(enum ga_compression c);

/* Decompresses fd_in, read from its current offset to end of file, as format
 * c into a new unlinked temporary file.  The file is created with
 * O_TMPFILE (or mkostemp and unlink where the file system lacks O_TMPFILE)
 * in $TMPDIR when it is set, else in /var/tmp, else in /tmp: /var/tmp first
 * because /tmp is often a tmpfs, which would hold the core in memory
 * (coredumpctl decompresses into /var/tmp for the same reason).
 *
 * Concatenated zstd and LZ4 frames, xz streams and gzip members decompress
 * to the concatenation of their contents.
 *
 * On success returns NULL, sets *fd_ret to the temporary file (read-write,
 * O_CLOEXEC; the caller closes it), *size_ret to its size, and *warning_ret
 * to NULL, or, when the compressed data was truncated or corrupt, to a
 * malloc'd message naming name and the number of bytes recovered (the
 * caller frees it); the file then holds what decompressed before the damage.
 *
 * Errors (nothing is returned through the out-parameters):
 * GC_ERR_IO when reading fd_in fails or no temporary file can be created or
 * written (ENOSPC says to point TMPDIR at a directory with more room);
 * GC_ERR_LIMIT when the output would pass max_size bytes, or the data needs
 * a decoder window larger than the one allowed (128 MiB for zstd, the
 * library default, and for xz): these bound the decoder's memory;
 * GC_ERR_UNSUPPORTED for GA_COMPRESSION_NONE or an unknown c;
 * &gc_error_nomem.  name is used in messages only. */
struct gc_error *ga_decompress_to_tmpfile(const char *name, int fd_in,
					  enum ga_compression c, uint64_t max_size,
					  int *fd_ret, uint64_t *size_ret,
					  char **warning_ret);

/* A look at the output while it is being decompressed (decompressing a
 * bomb is bounded by what its first bytes promise, not by max_size alone).
 * read() copies n bytes of output at off, all produced already, into buf
 * (zeros where the sparse file has holes); false on an I/O error. */
struct ga_decompress_output {
	uint64_t size;   /* bytes produced so far */
	bool end;        /* the compressed data has ended: no more is coming */
	bool (*read)(const struct ga_decompress_output *o, uint64_t off, void *buf, size_t n);
	void *priv;
};

/* Called when the output reaches *need_ret bytes (first: 0, i.e. at the
 * first output) and once more at the end of the data unless *need_ret is
 * UINT64_MAX.  Returns NULL to go on, having set *need_ret to when to be
 * called next (UINT64_MAX: never) and possibly lowered *max_ret, the bound
 * on the output; or an error, which stops the decompression and is
 * returned by ga_decompress_check_tmpfile (GC_ERR_FORMAT: the data is not
 * what it should be). */
typedef struct gc_error *ga_decompress_check_fn(void *ctx, const struct ga_decompress_output *o,
						 uint64_t *need_ret, uint64_t *max_ret);

/* ga_decompress_to_tmpfile, with check looking at the output as it comes
 * (check may be NULL).  Passing the bound lowered by check is GC_ERR_LIMIT
 * with a message saying so. */
struct gc_error *ga_decompress_check_tmpfile(const char *name, int fd_in,
					     enum ga_compression c, uint64_t max_size,
					     ga_decompress_check_fn *check, void *check_ctx,
					     int *fd_ret, uint64_t *size_ret,
					     char **warning_ret);

#endif
