/* Streaming decompression of compressed cores into a sparse temporary file.
 *
 * One loop per library, each over the same two pieces: a source that reads
 * the compressed file IN_BUF bytes at a time, and a sink that the decoder
 * writes straight into and that flushes OUT_BUF bytes at a time at
 * OUT_BUF-aligned file offsets, so that the all-zero SPARSE_BLOCK blocks it
 * skips line up with the file system's blocks and become holes.
 */
#include "decompress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

enum {
	IN_BUF = 256 << 10,
	OUT_BUF = 1 << 20,    /* a multiple of SPARSE_BLOCK */
	SPARSE_BLOCK = 4096,  /* the usual file system block */
};

/* zstd's own default limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 128 MiB), set
 * explicitly: zstd --long=31 frames would need 2 GiB. */
#define ZSTD_WINDOWLOG_MAX 27

/* xz(1): -9 needs 65 MiB to decompress, the default -6 needs 9 MiB. */
#define XZ_MEMLIMIT ((uint64_t)128 << 20)

enum ga_compression ga_detect_compression(const uint8_t *head, size_t n)
{
	if (n >= 4 && memcmp(head, "\x28\xb5\x2f\xfd", 4) == 0)
		return GA_COMPRESSION_ZSTD;
	if (n >= 4 && memcmp(head, "\x04\x22\x4d\x18", 4) == 0)
		return GA_COMPRESSION_LZ4;
	if (n >= 6 && memcmp(head, "\xfd\x37\x7a\x58\x5a\x00", 6) == 0)
		return GA_COMPRESSION_XZ;
	if (n >= 3 && memcmp(head, "\x1f\x8b\x08", 3) == 0)
		return GA_COMPRESSION_GZIP;
	return GA_COMPRESSION_NONE;
}

const char *ga_compression_name(enum ga_compression c)
{
	switch (c) {
	case GA_COMPRESSION_ZSTD: return "zstd";
	case GA_COMPRESSION_LZ4: return "lz4";
	case GA_COMPRESSION_XZ: return "xz";
	case GA_COMPRESSION_GZIP: return "gzip";
	default: return NULL;
	}
}

struct source {
	int fd;
	uint8_t *buf;
	size_t len, pos;   /* buf[pos, len) not yet given to the decoder */
	uint64_t base;     /* offset in the compressed file of buf[0] */
	uint64_t total;    /* size of the compressed file; 0 when unknown */
	bool eof;
};

struct sink {
	int fd;
	const char *dir;   /* where the temporary file is, for messages */
	uint8_t *buf;
	size_t len;        /* bytes in buf */
	uint64_t off;      /* offset in the output of buf[0] */
	uint64_t max;
};

struct run {
	const char *name;
	const char *format;
	struct source src;
	struct sink out;
	char *warning;
	ga_decompress_check_fn *check;
	void *check_ctx;
	uint64_t check_need;  /* output size at which to call check next */
	uint64_t max_size;    /* the caller's bound: check may set out.max below it */
	bool check_lowered;   /* check set out.max */
};

static uint64_t src_offset(const struct run *r)
{
	return r->src.base + r->src.pos;
}

static uint64_t out_size(const struct run *r)
{
	return r->out.off + r->out.len;
}

/* Refills the source when the decoder has taken all of it. */
static struct gc_error *source_fill(struct run *r)
{
	struct source *s = &r->src;
	if (s->pos < s->len || s->eof)
		return NULL;
	s->base += s->len;
	s->len = s->pos = 0;
	for (;;) {
		ssize_t n = read(s->fd, s->buf, IN_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return gc_error_create(GC_ERR_IO, "%s: read at byte %llu: %s", r->name,
					       (unsigned long long)s->base, strerror(errno));
		s->len = (size_t)n;
		s->eof = n == 0;
		return NULL;
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

static struct gc_error *write_error(struct run *r, int errnum)
{
	bool full = errnum == ENOSPC || errnum == EDQUOT || errnum == EFBIG;
	return gc_error_create(GC_ERR_IO,
			       "%s: writing the decompressed core to a temporary file in %s, "
			       "%llu bytes in: %s%s",
			       r->name, r->out.dir, (unsigned long long)out_size(r),
			       strerror(errnum),
			       full ? "; set TMPDIR to a directory with room for the core" : "");
}

static struct gc_error *pwrite_all(struct run *r, const uint8_t *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t k = pwrite(r->out.fd, p, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return write_error(r, k < 0 ? errno : ENOSPC);
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return NULL;
}

/* Writes the non-zero blocks of the buffer and empties it. */
static struct gc_error *sink_flush(struct run *r)
{
	struct sink *s = &r->out;
	size_t k = 0;
	while (k < s->len) {
		size_t blk = s->len - k < SPARSE_BLOCK ? s->len - k : SPARSE_BLOCK;
		if (all_zero(s->buf + k, blk)) {
			k += blk;
			continue;
		}
		size_t start = k;
		for (k += blk; k < s->len; k += blk) {
			blk = s->len - k < SPARSE_BLOCK ? s->len - k : SPARSE_BLOCK;
			if (all_zero(s->buf + k, blk))
				break;
		}
		struct gc_error *err = pwrite_all(r, s->buf + start, k - start, s->off + start);
		if (err)
			return err;
	}
	s->off += s->len;
	s->len = 0;
	return NULL;
}

/* Where the decoder writes next: never empty. */
static struct gc_error *sink_space(struct run *r, uint8_t **p_ret, size_t *avail_ret)
{
	if (r->out.len == OUT_BUF) {
		struct gc_error *err = sink_flush(r);
		if (err)
			return err;
	}
	*p_ret = r->out.buf + r->out.len;
	*avail_ret = OUT_BUF - r->out.len;
	return NULL;
}

static struct gc_error *over_bound(const struct run *r)
{
	if (r->check_lowered)
		return gc_error_create(GC_ERR_LIMIT,
				       "%s: decompresses to more than the %llu bytes its ELF "
				       "headers account for (with a margin): a decompression "
				       "bomb, or a damaged core", r->name,
				       (unsigned long long)r->out.max);
	return gc_error_create(GC_ERR_LIMIT,
			       "%s: decompresses to more than %llu bytes, the limit "
			       "(a decompression bomb, or not a core)",
			       r->name, (unsigned long long)r->out.max);
}

/* The output for check: the file below out.off (holes read as zeros, and
 * so does the unwritten zero tail), the buffer above. */
static bool output_read(const struct ga_decompress_output *o, uint64_t off, void *buf, size_t n)
{
	const struct run *r = o->priv;
	uint8_t *b = buf;
	if (off > o->size || n > o->size - off)
		return false;
	while (n && off < r->out.off) {
		size_t k = r->out.off - off < n ? (size_t)(r->out.off - off) : n;
		ssize_t got = pread(r->out.fd, b, k, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return false;
		if (got == 0) { /* past the written end: zeros not yet written */
			memset(b, 0, k);
			got = (ssize_t)k;
		}
		b += got;
		off += (uint64_t)got;
		n -= (size_t)got;
	}
	if (n)
		memcpy(b, r->out.buf + (off - r->out.off), n);
	return true;
}

static struct gc_error *run_check(struct run *r, bool end)
{
	if (!r->check || r->check_need == UINT64_MAX || (!end && out_size(r) < r->check_need))
		return NULL;
	struct ga_decompress_output o = {out_size(r), end, output_read, r};
	uint64_t max = r->out.max;
	struct gc_error *err = r->check(r->check_ctx, &o, &r->check_need, &max);
	if (!err && max != r->out.max) {
		r->out.max = max < r->max_size ? max : r->max_size;
		r->check_lowered = max < r->max_size;
	}
	if (!err && out_size(r) > r->out.max)
		return over_bound(r);
	return err;
}

static struct gc_error *sink_commit(struct run *r, size_t n)
{
	r->out.len += n;
	if (out_size(r) > r->out.max)
		return over_bound(r);
	return run_check(r, false);
}

/* Sets the warning; returns NULL or &gc_error_nomem. */
static struct gc_error *warn(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static struct gc_error *warn(struct run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&r->warning, fmt, ap);
	va_end(ap);
	if (n < 0) {
		r->warning = NULL;
		return &gc_error_nomem;
	}
	return NULL;
}

static struct gc_error *warn_corrupt(struct run *r, const char *why)
{
	char of[32] = "";
	if (r->src.total)
		snprintf(of, sizeof(of), " of %llu", (unsigned long long)r->src.total);
	return warn(r, "%s: %s data is corrupt at byte %llu%s (%s); reading the %llu bytes "
		    "decompressed before it", r->name, r->format,
		    (unsigned long long)src_offset(r), of, why,
		    (unsigned long long)out_size(r));
}

static struct gc_error *warn_truncated(struct run *r)
{
	return warn(r, "%s: %s data ends early, at byte %llu (the compressed file is "
		    "truncated); reading the %llu bytes decompressed", r->name, r->format,
		    (unsigned long long)src_offset(r), (unsigned long long)out_size(r));
}

/* zstd: ZSTD_decompressStream() returns 0 exactly when a frame is complete
 * and flushed, and starts the next frame on the next call. */
static struct gc_error *run_zstd(struct run *r)
{
	ZSTD_DCtx *z = ZSTD_createDCtx();
	if (!z)
		return &gc_error_nomem;
	ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, ZSTD_WINDOWLOG_MAX);
	struct gc_error *err = NULL;
	size_t hint = 1;   /* non-zero: inside a frame */
	bool drain = true; /* the decoder may hold output */
	for (;;) {
		if ((err = source_fill(r)))
			break;
		if (r->src.pos == r->src.len && !drain)
			break;
		uint8_t *p;
		size_t avail;
		if ((err = sink_space(r, &p, &avail)))
			break;
		ZSTD_inBuffer in = {r->src.buf, r->src.len, r->src.pos};
		ZSTD_outBuffer out = {p, avail, 0};
		size_t ret = ZSTD_decompressStream(z, &out, &in);
		bool progress = in.pos != r->src.pos || out.pos != 0;
		r->src.pos = in.pos;
		if ((err = sink_commit(r, out.pos)))
			break;
		if (ZSTD_isError(ret)) {
			if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge)
				err = gc_error_create(GC_ERR_LIMIT,
						      "%s: zstd frame at byte %llu needs a window "
						      "larger than the %u MiB allowed",
						      r->name, (unsigned long long)src_offset(r),
						      1u << (ZSTD_WINDOWLOG_MAX - 20));
			else
				err = warn_corrupt(r, ZSTD_getErrorName(ret));
			break;
		}
		if (!progress && r->src.pos < r->src.len) {
			err = warn_corrupt(r, "the decoder made no progress");
			break;
		}
		/* Only a call that did something says where the frame is: the
		 * drain call after a frame ended exactly at the end of the
		 * output buffer has no input and returns the next frame
		 * header's size, which is not truncation. */
		if (progress)
			hint = ret;
		drain = out.pos == out.size;
	}
	if (!err && !r->warning && hint != 0)
		err = warn_truncated(r);
	ZSTD_freeDCtx(z);
	return err;
}

/* LZ4 frames: LZ4F_decompress() returns 0 at the end of a frame and
 * decodes the next one on the next call. */
static struct gc_error *run_lz4(struct run *r)
{
	LZ4F_dctx *d = NULL;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
		return &gc_error_nomem;
	struct gc_error *err = NULL;
	size_t hint = 1;
	bool drain = true;
	for (;;) {
		if ((err = source_fill(r)))
			break;
		if (r->src.pos == r->src.len && !drain)
			break;
		uint8_t *p;
		size_t avail;
		if ((err = sink_space(r, &p, &avail)))
			break;
		size_t srcsz = r->src.len - r->src.pos, dstsz = avail;
		size_t ret = LZ4F_decompress(d, p, &dstsz, r->src.buf + r->src.pos, &srcsz, NULL);
		r->src.pos += srcsz;
		if ((err = sink_commit(r, dstsz)))
			break;
		if (LZ4F_isError(ret)) {
			err = warn_corrupt(r, LZ4F_getErrorName(ret));
			break;
		}
		if (srcsz == 0 && dstsz == 0 && r->src.pos < r->src.len) {
			err = warn_corrupt(r, "the decoder made no progress");
			break;
		}
		/* As for zstd: the drain call with no input after a frame ends
		 * returns the next frame header's size (7). */
		if (srcsz || dstsz)
			hint = ret;
		drain = dstsz == avail;
	}
	if (!err && !r->warning && hint != 0)
		err = warn_truncated(r);
	LZ4F_freeDecompressionContext(d);
	return err;
}

static const char *lzma_reason(lzma_ret ret)
{
	switch (ret) {
	case LZMA_FORMAT_ERROR: return "not in the xz format";
	case LZMA_OPTIONS_ERROR: return "unsupported compression options";
	case LZMA_DATA_ERROR: return "compressed data is corrupt";
	default: return "decoder error";
	}
}

/* xz: LZMA_CONCATENATED decodes stream after stream (and stream padding)
 * and reports LZMA_STREAM_END only once LZMA_FINISH says the input ended. */
static struct gc_error *run_xz(struct run *r)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret ret = lzma_stream_decoder(&s, XZ_MEMLIMIT, LZMA_CONCATENATED);
	if (ret == LZMA_MEM_ERROR)
		return &gc_error_nomem;
	if (ret != LZMA_OK)
		return gc_error_create(GC_ERR_UNSUPPORTED, "%s: cannot start the xz decoder (%d)",
				       r->name, (int)ret);
	struct gc_error *err = NULL;
	for (;;) {
		if ((err = source_fill(r)))
			break;
		uint8_t *p;
		size_t avail;
		if ((err = sink_space(r, &p, &avail)))
			break;
		s.next_in = r->src.buf + r->src.pos;
		s.avail_in = r->src.len - r->src.pos;
		s.next_out = p;
		s.avail_out = avail;
		ret = lzma_code(&s, r->src.eof ? LZMA_FINISH : LZMA_RUN);
		r->src.pos = r->src.len - s.avail_in;
		if ((err = sink_commit(r, avail - s.avail_out)))
			break;
		if (ret == LZMA_OK)
			continue;
		if (ret == LZMA_STREAM_END)
			break;
		if (ret == LZMA_BUF_ERROR) /* no progress at LZMA_FINISH */
			err = warn_truncated(r);
		else if (ret == LZMA_MEM_ERROR)
			err = &gc_error_nomem;
		else if (ret == LZMA_MEMLIMIT_ERROR)
			err = gc_error_create(GC_ERR_LIMIT,
					      "%s: xz data at byte %llu needs %llu MiB to decompress, "
					      "more than the %llu MiB allowed",
					      r->name, (unsigned long long)src_offset(r),
					      (unsigned long long)(lzma_memusage(&s) >> 20),
					      (unsigned long long)(XZ_MEMLIMIT >> 20));
		else
			err = warn_corrupt(r, lzma_reason(ret));
		break;
	}
	lzma_end(&s);
	return err;
}

/* gzip: inflate() with windowBits 15+16 reads one member, header and CRC-32
 * and ISIZE trailer included; inflateReset() starts the next member. */
static struct gc_error *run_gzip(struct run *r)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	int ret = inflateInit2(&z, 15 + 16);
	if (ret == Z_MEM_ERROR)
		return &gc_error_nomem;
	if (ret != Z_OK)
		return gc_error_create(GC_ERR_UNSUPPORTED, "%s: cannot start zlib's inflate (%d)",
				       r->name, ret);
	struct gc_error *err = NULL;
	bool member_done = false, later_member = false;
	uint64_t member_out = 0; /* out_size() when the current member began */
	for (;;) {
		if ((err = source_fill(r)))
			break;
		if (member_done) {
			if (r->src.pos == r->src.len)
				break;
			inflateReset(&z);
			member_done = false;
			later_member = true;
			member_out = out_size(r);
		}
		uint8_t *p;
		size_t avail;
		if ((err = sink_space(r, &p, &avail)))
			break;
		z.next_in = r->src.buf + r->src.pos;
		z.avail_in = (uInt)(r->src.len - r->src.pos);
		z.next_out = p;
		z.avail_out = (uInt)avail;
		ret = inflate(&z, Z_NO_FLUSH);
		r->src.pos = r->src.len - z.avail_in;
		if ((err = sink_commit(r, avail - z.avail_out)))
			break;
		if (ret == Z_OK)
			continue;
		if (ret == Z_STREAM_END) {
			member_done = true;
			continue;
		}
		if (ret == Z_BUF_ERROR && r->src.eof) {
			err = warn_truncated(r);
		} else if (ret == Z_MEM_ERROR) {
			err = &gc_error_nomem;
		} else if (ret == Z_DATA_ERROR && later_member && out_size(r) == member_out) {
			/* What follows a complete member is not another one: gzip
			 * itself ignores such trailing garbage (with a warning). */
			err = warn(r, "%s: the data after the gzip stream, at byte %llu, is not "
				   "gzip (%s); ignored it", r->name,
				   (unsigned long long)src_offset(r), z.msg ? z.msg : "bad header");
		} else {
			err = warn_corrupt(r, ret == Z_NEED_DICT ? "needs a preset dictionary" :
					   z.msg ? z.msg : "inflate error");
		}
		break;
	}
	inflateEnd(&z);
	return err;
}

/* An unlinked read-write file in dir. */
static int open_tmpfile(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* O_TMPFILE needs file system support (EOPNOTSUPP; EISDIR before
	 * Linux 3.11): fall back to a named file removed at once. */
	char *tmpl = NULL;
	if (asprintf(&tmpl, "%s/gocore-core-XXXXXX", dir) < 0) {
		errno = ENOMEM;
		return -1;
	}
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd >= 0)
		unlink(tmpl);
	int saved = errno;
	free(tmpl);
	errno = saved;
	return fd;
}

static struct gc_error *create_output(struct run *r)
{
	const char *env = getenv("TMPDIR");
	const char *dirs[2] = {"/var/tmp", "/tmp"};
	size_t ndirs = 2;
	if (env && *env) {
		dirs[0] = env;
		ndirs = 1;
	}
	int errnum = 0;
	for (size_t k = 0; k < ndirs; k++) {
		r->out.dir = dirs[k];
		r->out.fd = open_tmpfile(dirs[k]);
		if (r->out.fd >= 0)
			return NULL;
		errnum = errno;
	}
	return gc_error_create(GC_ERR_IO, "%s: cannot create a temporary file to decompress "
			       "into, in %s%s: %s", r->name, ndirs == 1 ? "$TMPDIR " : "",
			       ndirs == 1 ? dirs[0] : "/var/tmp or /tmp", strerror(errnum));
}

struct gc_error *ga_decompress_to_tmpfile(const char *name, int fd_in,
					  enum ga_compression c, uint64_t max_size,
					  int *fd_ret, uint64_t *size_ret,
					  char **warning_ret)
{
	return ga_decompress_check_tmpfile(name, fd_in, c, max_size, NULL, NULL, fd_ret, size_ret,
					   warning_ret);
}

struct gc_error *ga_decompress_check_tmpfile(const char *name, int fd_in,
					     enum ga_compression c, uint64_t max_size,
					     ga_decompress_check_fn *check, void *check_ctx,
					     int *fd_ret, uint64_t *size_ret,
					     char **warning_ret)
{
	struct gc_error *(*decode)(struct run *);
	switch (c) {
	case GA_COMPRESSION_ZSTD: decode = run_zstd; break;
	case GA_COMPRESSION_LZ4: decode = run_lz4; break;
	case GA_COMPRESSION_XZ: decode = run_xz; break;
	case GA_COMPRESSION_GZIP: decode = run_gzip; break;
	default:
		return gc_error_create(GC_ERR_UNSUPPORTED, "%s: not a known compression (%d)",
				       name, (int)c);
	}
	struct run r = {
		.name = name,
		.format = ga_compression_name(c),
		.src = {.fd = fd_in},
		.out = {.fd = -1, .max = max_size},
		.check = check, .check_ctx = check_ctx, .max_size = max_size,
	};
	struct stat st;
	off_t pos = lseek(fd_in, 0, SEEK_CUR);
	if (fstat(fd_in, &st) == 0 && S_ISREG(st.st_mode) && pos >= 0) {
		r.src.base = (uint64_t)pos;
		r.src.total = (uint64_t)st.st_size;
	}
	r.src.buf = malloc(IN_BUF);
	r.out.buf = malloc(OUT_BUF);
	struct gc_error *err = NULL;
	if (!r.src.buf || !r.out.buf)
		err = &gc_error_nomem;
	if (!err)
		err = create_output(&r);
	if (!err)
		err = decode(&r);
	if (!err)
		err = run_check(&r, true);
	if (!err)
		err = sink_flush(&r);
	/* The holes at the end: the size is what was decompressed. */
	if (!err && ftruncate(r.out.fd, (off_t)r.out.off) != 0)
		err = write_error(&r, errno);
	free(r.src.buf);
	free(r.out.buf);
	if (err) {
		if (r.out.fd >= 0)
			close(r.out.fd);
		free(r.warning);
		return err;
	}
	*fd_ret = r.out.fd;
	*size_ret = r.out.off;
	*warning_ret = r.warning;
	return NULL;
}
