/* Unit tests for compressed cores (decompress.h and ga_core_open): a real
 * core of $GOCORE_FIXTURES/crashcore compressed with the zstd, lz4, xz and
 * gzip commands must load exactly as the plain core does, also as
 * concatenated frames/members; truncated, corrupt and garbage input must
 * give a truncated core with a warning or an error, never a crash; the
 * output limit, a failing write, and the sparse temporary file; and the
 * peak memory of opening a 160 MiB compressed core, measured in a fresh
 * process.
 *
 * The compressors are required: a missing one fails the test (Debian
 * packages zstd, lz4, xz-utils, gzip). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "../../common/error.h"
#include "../decompress.h"
#include "../elfcore.h"
#include "testutil.h"

struct format {
	enum ga_compression c;
	const char *name;     /* ga_compression_name() */
	const char *ext;
	const char *cmd;      /* compresses stdin to stdout */
	const char *fast_cmd; /* the same at its fastest level, for the big core */
	const char *tool, *package;
};

static const struct format formats[] = {
	{GA_COMPRESSION_ZSTD, "zstd", "zst", "zstd -q -c", "zstd -q -1 -c", "zstd", "zstd"},
	{GA_COMPRESSION_LZ4, "lz4", "lz4", "lz4 -q -c", "lz4 -q -1 -c", "lz4", "lz4"},
	{GA_COMPRESSION_XZ, "xz", "xz", "xz -q -T1 -c", "xz -q -T1 -0 -c", "xz", "xz-utils"},
	{GA_COMPRESSION_GZIP, "gzip", "gz", "gzip -q -c", "gzip -q -1 -c", "gzip", "gzip"},
};
enum { NFORMATS = sizeof(formats) / sizeof(formats[0]) };

/* Set up once: the crashcore core and its compressed copies. */
static char *g_dir, *g_core, *g_exe;
static char *g_compressed[NFORMATS];
static char *g_self; /* this test binary, re-run to measure memory */

static char *path_in(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *path_in(const char *fmt, ...)
{
	char *name = NULL, *path = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&name, fmt, ap) < 0 || asprintf(&path, "%s/%s", g_dir, name) < 0)
		fail_msg("out of memory");
	va_end(ap);
	free(name);
	return path;
}

static void require_tool(const struct format *f)
{
	char *cmd = NULL;
	assert_true(asprintf(&cmd, "command -v %s >/dev/null 2>&1", f->tool) > 0);
	int rc = system(cmd);
	free(cmd);
	if (rc != 0)
		fail_msg("the %s command is missing: install it with "
			 "`apt-get install %s` (compressed-core tests need it)",
			 f->tool, f->package);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs "cmd < in > out"; fails the test when it fails.  Returns seconds. */
static double compress_file(const char *cmd, const char *in, const char *out)
{
	char *sh = NULL;
	assert_true(asprintf(&sh, "%s < '%s' > '%s'", cmd, in, out) > 0);
	double t = now();
	int rc = system(sh);
	t = now() - t;
	if (rc != 0)
		fail_msg("`%s` failed (status 0x%x)", sh, rc);
	free(sh);
	return t;
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		fail_msg("%s: %s", path, strerror(errno));
	return (uint64_t)st.st_size;
}

static struct ga_core *open_ok(const char *path)
{
	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open(path, &core);
	if (err)
		fail_msg("ga_core_open(%s): %s", path, err->message);
	return core;
}

/* Everything ga_core_open parsed, and every byte, must be the same. */
static void assert_same_core(const struct ga_core *want, const struct ga_core *got)
{
	assert_int_equal(got->size, want->size);
	assert_memory_equal(got->data, want->data, want->size);
	assert_int_equal(got->nthreads, want->nthreads);
	assert_memory_equal(got->threads, want->threads, want->nthreads * sizeof(*want->threads));
	assert_int_equal(got->nmappings, want->nmappings);
	for (size_t k = 0; k < want->nmappings; k++) {
		assert_int_equal(got->mappings[k].start, want->mappings[k].start);
		assert_int_equal(got->mappings[k].end, want->mappings[k].end);
		assert_int_equal(got->mappings[k].file_offset, want->mappings[k].file_offset);
		assert_string_equal(got->mappings[k].path, want->mappings[k].path);
	}
	assert_int_equal(got->nsegments, want->nsegments);
	assert_memory_equal(got->segments, want->segments,
			    want->nsegments * sizeof(*want->segments));
	for (size_t k = 0; k < want->nsegments; k++) {
		const struct ga_core_segment *s = &want->segments[k];
		assert_memory_equal(got->data + s->offset, want->data + s->offset, s->avail);
	}
	assert_memory_equal(&got->siginfo, &want->siginfo, sizeof(want->siginfo));
	assert_int_equal(got->at_entry, want->at_entry);
	assert_int_equal(got->have_prpsinfo, want->have_prpsinfo);
	assert_int_equal(got->pid, want->pid);
	assert_string_equal(got->fname, want->fname);
	assert_string_equal(got->psargs, want->psargs);
	assert_int_equal(got->truncated_bytes, want->truncated_bytes);
	assert_int_equal(got->expected_size, want->expected_size);
}

static int setup(void **state)
{
	(void)state;
	for (size_t k = 0; k < NFORMATS; k++)
		require_tool(&formats[k]);
	char *exe = tu_fixture("crashcore");
	g_exe = realpath(exe, NULL);
	assert_non_null(g_exe);
	free(exe);
	g_dir = tu_tmpdir();
	char *err = path_in("stderr.txt");
	g_core = tu_crash_core(g_exe, "crash", g_dir, err);
	free(err);
	print_message("plain core: %s, %llu bytes\n", g_core,
		      (unsigned long long)file_size(g_core));
	for (size_t k = 0; k < NFORMATS; k++) {
		g_compressed[k] = path_in("core.%s", formats[k].ext);
		double t = compress_file(formats[k].cmd, g_core, g_compressed[k]);
		print_message("%s: %llu bytes (compressed in %.2f s)\n", formats[k].cmd,
			      (unsigned long long)file_size(g_compressed[k]), t);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t k = 0; k < NFORMATS; k++)
		free(g_compressed[k]);
	free(g_core);
	free(g_exe);
	if (g_dir)
		tu_rmdir(g_dir);
	return 0;
}

static void test_detect(void **state)
{
	(void)state;
	static const struct {
		const char *head;
		size_t n;
		enum ga_compression want;
	} cases[] = {
		{"\x28\xb5\x2f\xfd\x24\x00", 6, GA_COMPRESSION_ZSTD},
		{"\x28\xb5\x2f\xfd", 4, GA_COMPRESSION_ZSTD},
		{"\x28\xb5\x2f", 3, GA_COMPRESSION_NONE},
		{"\x04\x22\x4d\x18\x64\x40", 6, GA_COMPRESSION_LZ4},
		{"\x02\x21\x4c\x18\x00\x00", 6, GA_COMPRESSION_NONE}, /* lz4 -l legacy */
		{"\xfd\x37\x7a\x58\x5a\x00", 6, GA_COMPRESSION_XZ},
		{"\xfd\x37\x7a\x58\x5a", 5, GA_COMPRESSION_NONE},
		{"\xfd\x37\x7a\x58\x5a\x01", 6, GA_COMPRESSION_NONE},
		{"\x1f\x8b\x08\x00", 4, GA_COMPRESSION_GZIP},
		{"\x1f\x8b\x07\x00", 4, GA_COMPRESSION_NONE}, /* not deflate */
		{"\x7f" "ELF\x02\x01", 6, GA_COMPRESSION_NONE},
		{"", 0, GA_COMPRESSION_NONE},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		assert_int_equal(ga_detect_compression((const uint8_t *)cases[k].head, cases[k].n),
				 cases[k].want);
	for (size_t k = 0; k < NFORMATS; k++)
		assert_string_equal(ga_compression_name(formats[k].c), formats[k].name);
	assert_null(ga_compression_name(GA_COMPRESSION_NONE));

	int fd = -1;
	uint64_t size;
	char *warning;
	struct gc_error *err = ga_decompress_to_tmpfile("x", 0, GA_COMPRESSION_NONE,
							GA_DECOMPRESS_MAX_SIZE, &fd, &size,
							&warning);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_UNSUPPORTED);
	assert_int_equal(fd, -1);
	gc_error_destroy(err);
}

/* Each format loads exactly as the plain core. */
static void test_formats(void **state)
{
	(void)state;
	struct ga_core *plain = open_ok(g_core);
	assert_null(plain->compression);
	assert_null(plain->decompress_warning);
	assert_int_equal(plain->truncated_bytes, 0);
	for (size_t k = 0; k < NFORMATS; k++) {
		double t = now();
		struct ga_core *core = open_ok(g_compressed[k]);
		t = now() - t;
		print_message("%s: opened in %.3f s\n", g_compressed[k], t);
		assert_string_equal(core->compression, formats[k].name);
		assert_null(core->decompress_warning);
		assert_string_equal(core->path, g_compressed[k]);
		assert_same_core(plain, core);
		ga_core_close(core);
	}
	ga_core_close(plain);
}

/* Concatenated frames/members/streams: the plain core split in three at
 * odd offsets, each part compressed alone, the results concatenated. */
static void test_concatenated(void **state)
{
	(void)state;
	size_t size;
	uint8_t *bytes = tu_read_file(g_core, &size);
	size_t cut[4] = {0, size / 3 + 7, size / 3 + 4099, size};
	struct ga_core *plain = open_ok(g_core);
	for (size_t k = 0; k < NFORMATS; k++) {
		char *cat = path_in("cat.%s", formats[k].ext);
		FILE *out = fopen(cat, "wb");
		assert_non_null(out);
		for (int part = 0; part < 3; part++) {
			char *in = path_in("part%d", part), *z = path_in("part%d.%s", part,
									  formats[k].ext);
			tu_write_file(in, bytes + cut[part], cut[part + 1] - cut[part]);
			compress_file(formats[k].cmd, in, z);
			size_t n;
			uint8_t *p = tu_read_file(z, &n);
			assert_int_equal(fwrite(p, 1, n, out), n);
			free(p);
			unlink(in);
			unlink(z);
			free(in);
			free(z);
		}
		assert_int_equal(fclose(out), 0);
		struct ga_core *core = open_ok(cat);
		assert_null(core->decompress_warning);
		assert_same_core(plain, core);
		ga_core_close(core);
		unlink(cat);
		free(cat);
	}
	ga_core_close(plain);
	free(bytes);
}

/* A compressed file cut at n bytes into path; returns path (malloc'd). */
static char *write_cut(const uint8_t *p, size_t n, const char *ext)
{
	char *path = path_in("cut.%s", ext);
	tu_write_file(path, p, n);
	return path;
}

/* Opens path expecting a warning or an error that mentions want; checks
 * that whatever was recovered is a prefix of plain.  Returns the core (or
 * NULL on error) for further checks. */
static struct ga_core *open_damaged(const char *path, const struct ga_core *plain,
				    const char *want)
{
	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open(path, &core);
	if (err) {
		assert_true(err->code == GC_ERR_FORMAT || err->code == GC_ERR_IO);
		if (want && !strstr(err->message, want))
			fail_msg("%s: error \"%s\" does not say \"%s\"", path, err->message, want);
		gc_error_destroy(err);
		return NULL;
	}
	if (want) {
		if (!core->decompress_warning)
			fail_msg("%s: loaded with no warning", path);
		if (!strstr(core->decompress_warning, want))
			fail_msg("%s: warning \"%s\" does not say \"%s\"", path,
				 core->decompress_warning, want);
	}
	if (plain) {
		assert_true(core->size <= plain->size);
		assert_memory_equal(core->data, plain->data, core->size);
	}
	return core;
}

static void test_truncated(void **state)
{
	(void)state;
	struct ga_core *plain = open_ok(g_core);
	for (size_t k = 0; k < NFORMATS; k++) {
		size_t n;
		uint8_t *z = tu_read_file(g_compressed[k], &n);
		/* Every cut in the headers, then at fractions of the file. */
		size_t cuts[64 + 8], ncuts = 0;
		for (size_t c = 1; c <= 64 && c < n; c++)
			cuts[ncuts++] = c;
		const unsigned pct[] = {25, 50, 75, 90, 95, 99};
		for (size_t j = 0; j < sizeof(pct) / sizeof(pct[0]); j++)
			cuts[ncuts++] = n * pct[j] / 100;
		cuts[ncuts++] = n - 1;
		size_t truncated_cores = 0;
		for (size_t j = 0; j < ncuts; j++) {
			char *path = write_cut(z, cuts[j], formats[k].ext);
			/* Shorter than the magic, it is just not an ELF file. */
			struct ga_core *core = open_damaged(path, plain,
							    cuts[j] < GA_COMPRESSION_MAGIC_LEN &&
							    ga_detect_compression(z, cuts[j]) ==
							    GA_COMPRESSION_NONE ?
							    "not an ELF file" : "ends early");
			if (core) {
				assert_non_null(core->compression);
				assert_string_equal(core->compression, formats[k].name);
				if (core->truncated_bytes)
					truncated_cores++;
				/* What the message promises. */
				char *says = NULL;
				assert_true(asprintf(&says, "reading the %zu bytes", core->size) > 0);
				assert_non_null(strstr(core->decompress_warning, says));
				free(says);
				if (j == ncuts - 1)
					print_message("%s cut by one byte: %s (truncated_bytes %llu)\n",
						      formats[k].name, core->decompress_warning,
						      (unsigned long long)core->truncated_bytes);
			}
			ga_core_close(core);
			unlink(path);
			free(path);
		}
		print_message("%s: %zu of %zu cuts gave a truncated core\n", formats[k].name,
			      truncated_cores, ncuts);
		assert_true(truncated_cores >= 2); /* the 95% and 99% cuts at least */
		free(z);
	}
	ga_core_close(plain);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_corrupt(void **state)
{
	(void)state;
	struct ga_core *plain = open_ok(g_core);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (size_t k = 0; k < NFORMATS; k++) {
		size_t n;
		uint8_t *z = tu_read_file(g_compressed[k], &n);

		/* The magic, then garbage. */
		uint8_t magic[6];
		memcpy(magic, z, sizeof(magic));
		for (size_t len = 6; len <= 100000; len = len * 3 + 1) {
			for (int rep = 0; rep < 4; rep++) {
				uint8_t *g = malloc(len);
				assert_non_null(g);
				for (size_t j = 0; j < len; j++)
					g[j] = (uint8_t)xorshift(&seed);
				memcpy(g, magic, sizeof(magic));
				char *path = write_cut(g, len, formats[k].ext);
				ga_core_close(open_damaged(path, NULL, NULL));
				unlink(path);
				free(path);
				free(g);
			}
		}

		/* One byte changed: every format checksums its data, so the
		 * change is either caught or ends a frame early. */
		size_t detected = 0, flips = 0;
		for (size_t pos = 4; pos < n; pos += n / 97 + 1, flips++) {
			uint8_t *c = malloc(n);
			assert_non_null(c);
			memcpy(c, z, n);
			c[pos] ^= 0x5a;
			char *path = write_cut(c, n, formats[k].ext);
			struct ga_core *core = NULL;
			struct gc_error *err = ga_core_open(path, &core);
			if (err || core->decompress_warning ||
			    (core->size == plain->size &&
			     memcmp(core->data, plain->data, plain->size) == 0))
				detected++;
			else
				print_message("%s: byte %zu changed: loaded, bytes differ, no warning\n",
					      formats[k].name, pos);
			gc_error_destroy(err);
			ga_core_close(core);
			unlink(path);
			free(path);
			free(c);
		}
		print_message("%s: %zu of %zu single-byte changes caught (or harmless)\n",
			      formats[k].name, detected, flips);
		assert_int_equal(detected, flips);

		/* A valid file followed by garbage: all of the core, and a warning. */
		uint8_t *t = malloc(n + 1000);
		assert_non_null(t);
		memcpy(t, z, n);
		for (size_t j = 0; j < 1000; j++)
			t[n + j] = (uint8_t)xorshift(&seed);
		char *path = write_cut(t, n + 1000, formats[k].ext);
		struct ga_core *core = open_damaged(path, plain, formats[k].c == GA_COMPRESSION_GZIP ?
						    "ignored" : "corrupt");
		assert_non_null(core);
		print_message("%s + garbage: %s\n", formats[k].name, core->decompress_warning);
		assert_same_core(plain, core);
		ga_core_close(core);
		unlink(path);
		free(path);
		free(t);
		free(z);
	}
	ga_core_close(plain);

	/* A compressed file that is not a core, and an empty one. */
	char *exe = path_in("exe.zst");
	compress_file("zstd -q -c", g_exe, exe);
	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open(exe, &core);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_FORMAT);
	assert_non_null(strstr(err->message, "not a core"));
	gc_error_destroy(err);
	char *empty = path_in("empty"), *empty_gz = path_in("empty.gz");
	tu_write_file(empty, "", 0);
	compress_file("gzip -c", empty, empty_gz);
	err = ga_core_open(empty_gz, &core);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "empty file"));
	gc_error_destroy(err);
	unlink(exe);
	unlink(empty);
	unlink(empty_gz);
	free(exe);
	free(empty);
	free(empty_gz);
}

static struct gc_error *decompress_path(const char *path, enum ga_compression c,
					uint64_t max, int *fd_ret, uint64_t *size_ret,
					char **warning_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct gc_error *err = ga_decompress_to_tmpfile(path, fd, c, max, fd_ret, size_ret,
							warning_ret);
	close(fd);
	return err;
}

/* The output limit; the sparse output; a failing write; no temporary
 * directory. */
static void test_limits(void **state)
{
	(void)state;
	uint64_t plain_size = file_size(g_core);
	size_t n;
	uint8_t *plain = tu_read_file(g_core, &n);
	for (size_t k = 0; k < NFORMATS; k++) {
		int fd = -1;
		uint64_t size;
		char *warning = NULL;
		struct gc_error *err = decompress_path(g_compressed[k], formats[k].c,
						       plain_size - 1, &fd, &size, &warning);
		assert_non_null(err);
		assert_int_equal(err->code, GC_ERR_LIMIT);
		assert_non_null(strstr(err->message, "decompresses to more than"));
		gc_error_destroy(err);

		err = decompress_path(g_compressed[k], formats[k].c, plain_size, &fd, &size,
				      &warning);
		assert_null(err);
		assert_null(warning);
		assert_int_equal(size, plain_size);
		struct stat st;
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal((uint64_t)st.st_size, plain_size);
		uint8_t *back = malloc(n);
		assert_non_null(back);
		assert_int_equal(pread(fd, back, n, 0), (ssize_t)n);
		assert_memory_equal(back, plain, n);
		free(back);
		print_message("%s: decompressed %llu bytes into %llu bytes of disk\n",
			      formats[k].name, (unsigned long long)size,
			      (unsigned long long)st.st_blocks * 512);
		/* A Go core is mostly zeros: the holes must be there. */
		assert_true((uint64_t)st.st_blocks * 512 < plain_size / 4);
		close(fd);
	}
	free(plain);

	/* RLIMIT_FSIZE makes the write fail (EFBIG) as a full disk would. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl = {64 << 10, 64 << 10};
		setrlimit(RLIMIT_FSIZE, &rl);
		struct ga_core *core = NULL;
		struct gc_error *err = ga_core_open(g_compressed[0], &core);
		if (!err || err->code != GC_ERR_IO || !strstr(err->message, "set TMPDIR")) {
			fprintf(stderr, "write failure: %s\n", err ? err->message : "no error");
			_exit(1);
		}
		fprintf(stderr, "write failure: %s\n", err->message);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* A $TMPDIR that is not there. */
	const char *old = getenv("TMPDIR");
	char *saved = old ? strdup(old) : NULL;
	setenv("TMPDIR", "/nonexistent/tmp", 1);
	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open(g_compressed[0], &core);
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	assert_non_null(err);
	assert_int_equal(err->code, GC_ERR_IO);
	assert_non_null(strstr(err->message, "$TMPDIR /nonexistent/tmp"));
	gc_error_destroy(err);
}

/* A 160 MiB synthetic core: one PRSTATUS note and one PT_LOAD of which
 * every third page holds Go-heap-like words (pointers into 0xc000000000 and
 * small integers) and the rest are zeros, as in a Go heap arena. */
enum { BIG_LOAD = 160 << 20, BIG_LOAD_OFF = 4096 };
static void write_big_core(const char *path)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	uint8_t head[BIG_LOAD_OFF] = {0};
	Elf64_Ehdr *eh = (Elf64_Ehdr *)head;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	Elf64_Phdr *ph = (Elf64_Phdr *)(head + sizeof(*eh));
	size_t note_off = sizeof(*eh) + 2 * sizeof(*ph), note_len = 12 + 8 + 336;
	ph[0] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = note_off, .p_filesz = note_len,
			     .p_align = 4};
	ph[1] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_W,
			     .p_offset = BIG_LOAD_OFF, .p_vaddr = 0xc000000000ull,
			     .p_filesz = BIG_LOAD, .p_memsz = BIG_LOAD, .p_align = 4096};
	uint32_t nh[3] = {5, 336, NT_PRSTATUS};
	memcpy(head + note_off, nh, sizeof(nh));
	memcpy(head + note_off + 12, "CORE", 5);
	int32_t pid = 4242;
	memcpy(head + note_off + 20 + 32, &pid, 4);
	assert_int_equal(fwrite(head, 1, sizeof(head), f), sizeof(head));
	uint64_t seed = 88172645463325252ull, page[512];
	for (size_t p = 0; p < BIG_LOAD / sizeof(page); p++) {
		for (size_t w = 0; w < 512; w++) {
			uint64_t r = xorshift(&seed);
			page[w] = p % 3 != 1 ? 0 :
				  r & 1 ? 0xc000000000ull + (r >> 48 << 4) : (r >> 60);
		}
		assert_int_equal(fwrite(page, 1, sizeof(page), f), sizeof(page));
	}
	assert_int_equal(fclose(f), 0);
}

/* This process's peak RSS in KiB: VmHWM, which (unlike ru_maxrss) starts
 * afresh at exec. */
static long vm_hwm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* Re-runs this binary to open path alone (main's --open mode); returns its
 * peak RSS in KiB and the wall time. */
static long open_in_child(const char *path, double *secs)
{
	char *cmd = NULL;
	assert_true(asprintf(&cmd, "'%s' --open '%s'", g_self, path) > 0);
	double t = now();
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	long kib = -1;
	if (fscanf(p, "%ld", &kib) != 1)
		kib = -1;
	int status = pclose(p);
	*secs = now() - t;
	if (status != 0 || kib <= 0)
		fail_msg("%s: status 0x%x, peak RSS %ld", cmd, status, kib);
	free(cmd);
	return kib;
}

/* A zstd frame (RFC 8878) of head as raw blocks, then RLE blocks of fill up
 * to total bytes: a few KiB that decompress to gigabytes. */
static uint8_t *zstd_bomb(const uint8_t *head, size_t nhead, uint64_t total, uint8_t fill,
			  size_t *n_ret)
{
	enum { BMAX = 128 << 10 };
	size_t cap = 6 + nhead + (nhead / BMAX + 1) * 3 + (size_t)(total / BMAX + 1) * 4;
	uint8_t *z = malloc(cap), *p = z;
	assert_non_null(z);
	memcpy(p, "\x28\xb5\x2f\xfd", 4);
	p[4] = 0x00;             /* no content size, no checksum: a window follows */
	p[5] = (27 - 10) << 3;   /* window of 2^27 bytes */
	p += 6;
	uint64_t done = 0;
	while (done < total) {
		bool raw = done < nhead;
		uint64_t size = raw ? nhead - done : total - done;
		if (size > BMAX)
			size = BMAX;
		uint32_t h = (done + size == total) | (raw ? 0 : 1) << 1 | (uint32_t)size << 3;
		memcpy(p, &h, 3);
		p += 3;
		if (raw) {
			memcpy(p, head + done, size);
			p += size;
		} else {
			*p++ = fill;
		}
		done += size;
	}
	*n_ret = (size_t)(p - z);
	return z;
}

/* The headers a compressed core starts with bound how far it is
 * decompressed; a stream that is not a core stops at once. */
static void test_bomb(void **state)
{
	(void)state;
	size_t n;
	uint8_t *plain = tu_read_file(g_core, &n);
	/* The ELF header, program headers and notes of a real core, then 2 GiB
	 * of 0xaa where its segments' bytes should be. */
	uint64_t phoff, notes_end = 0;
	uint16_t phnum;
	memcpy(&phoff, plain + offsetof(Elf64_Ehdr, e_phoff), 8);
	memcpy(&phnum, plain + offsetof(Elf64_Ehdr, e_phnum), 2);
	for (uint16_t k = 0; k < phnum; k++) {
		Elf64_Phdr ph;
		memcpy(&ph, plain + phoff + k * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_NOTE && ph.p_offset + ph.p_filesz > notes_end)
			notes_end = ph.p_offset + ph.p_filesz;
	}
	assert_true(notes_end > 0 && notes_end < n);
	size_t nz;
	uint8_t *z = zstd_bomb(plain, notes_end, (uint64_t)2 << 30, 0xaa, &nz);
	char *path = write_cut(z, nz, "zst");
	free(z);
	double t0 = now();
	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open(path, &core);
	double dt = now() - t0;
	assert_non_null(err);
	print_message("bomb: %zu bytes of zstd: %s (%.2f s)\n", nz, err->message, dt);
	assert_int_equal(err->code, GC_ERR_LIMIT);
	assert_non_null(strstr(err->message, "ELF headers account for"));
	char want[64];
	snprintf(want, sizeof(want), "the %llu bytes", (unsigned long long)n + (1 << 20));
	assert_non_null(strstr(err->message, want));
	gc_error_destroy(err);
	unlink(path);
	free(path);

	/* 2 GiB that are not a core: stopped at the first output. */
	z = zstd_bomb(NULL, 0, (uint64_t)2 << 30, 0x55, &nz);
	path = write_cut(z, nz, "zst");
	free(z);
	err = ga_core_open(path, &core);
	assert_non_null(err);
	print_message("not a core: %s\n", err->message);
	assert_int_equal(err->code, GC_ERR_FORMAT);
	assert_non_null(strstr(err->message, "not a core"));
	assert_non_null(strstr(err->message, "stopped after 1048576 bytes"));
	gc_error_destroy(err);
	unlink(path);
	free(path);

	/* The same core whole in that format decompresses as before. */
	z = zstd_bomb(plain, n, n, 0, &nz);
	path = write_cut(z, nz, "zst");
	free(z);
	core = open_ok(path);
	assert_int_equal(core->size, n);
	assert_memory_equal(core->data, plain, n);
	ga_core_close(core);
	unlink(path);
	free(path);
	free(plain);
}

static void test_memory(void **state)
{
	(void)state;
	char *big = path_in("big.core");
	write_big_core(big);
	double secs;
	long plain_kib = open_in_child(big, &secs);
	print_message("big core: %u MiB, plain: max RSS %ld KiB, opened in %.3f s\n",
		      (unsigned)(file_size(big) >> 20), plain_kib, secs);
	struct ga_core *plain = open_ok(big);
	for (size_t k = 0; k < NFORMATS; k++) {
		char *z = path_in("big.core.%s", formats[k].ext);
		double ct = compress_file(formats[k].fast_cmd, big, z);
		long kib = open_in_child(z, &secs);
		print_message("%-16s %9llu bytes (compressed in %.2f s): max RSS %ld KiB, "
			      "opened in %.3f s\n", formats[k].fast_cmd,
			      (unsigned long long)file_size(z), ct, kib, secs);
		/* Fixed buffers and the decoder's window, never the core. */
		assert_true(kib < plain_kib + 24 * 1024);
		struct ga_core *core = open_ok(z);
		assert_same_core(plain, core);
		ga_core_close(core);
		unlink(z);
		free(z);
	}
	ga_core_close(plain);
	unlink(big);
	free(big);
}

/* Output that ends exactly at the decompressor's 1 MiB buffer boundary is
 * complete: no "ends early" warning (a zstd/lz4 bug once found by reading
 * decompress.c's loop).  Exact multiples of the buffer, and one byte less. */
static void test_buffer_boundary(void **state)
{
	(void)state;
	static const size_t sizes[] = {1u << 20, 2u << 20, (1u << 20) - 1};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		char *raw = path_in("boundary-%zu", sizes[k]);
		FILE *f = fopen(raw, "wb");
		assert_non_null(f);
		for (size_t i = 0; i < sizes[k]; i++)
			fputc((int)((i * 2654435761u) >> 13) & 0xff, f);
		assert_int_equal(fclose(f), 0);
		for (size_t j = 0; j < NFORMATS; j++) {
			require_tool(&formats[j]);
			char *comp = path_in("boundary-%zu.%s", sizes[k], formats[j].ext);
			compress_file(formats[j].cmd, raw, comp);
			int in = open(comp, O_RDONLY);
			assert_true(in >= 0);
			int out = -1;
			uint64_t size = 0;
			char *warning = NULL;
			struct gc_error *err = ga_decompress_to_tmpfile(comp, in, formats[j].c,
									GA_DECOMPRESS_MAX_SIZE, &out,
									&size, &warning);
			if (err)
				fail_msg("%s: %s", comp, err->message);
			if (warning)
				fail_msg("%s (%zu bytes): unexpected warning: %s", formats[j].name,
					 sizes[k], warning);
			assert_int_equal(size, sizes[k]);
			close(out);
			close(in);
			free(comp);
		}
		unlink(raw);
		free(raw);
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--open") == 0) {
		struct ga_core *core = NULL;
		struct gc_error *err = ga_core_open(argv[2], &core);
		if (err) {
			fprintf(stderr, "%s\n", err->message);
			return 1;
		}
		ga_core_close(core);
		printf("%ld\n", vm_hwm_kib());
		return 0;
	}
	g_self = realpath("/proc/self/exe", NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_concatenated),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_buffer_boundary),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	free(g_self);
	return rc;
}
