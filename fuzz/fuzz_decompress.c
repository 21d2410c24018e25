/* libFuzzer target: the compressed-core readers (analyzer/decompress.c), then
 * the core parser over what they produce.
 *
 * The format is told by the input's magic (ga_detect_compression), as
 * ga_core_open does; inputs with no known magic stop there.  The input is
 * written to a memfd, decompressed by ga_decompress_check_tmpfile with a
 * small bound (MAX_OUT, so that bombs stop fast), with ga_core_open's
 * ga_core_check_stream for inputs whose last byte is odd, into $TMPDIR, which is pointed at
 * /dev/shm (else /tmp) once at start, and the result is mmap()ed and parsed
 * with ga_core_open_memory.
 *
 * Leaks: ASan catches memory; file descriptors are checked here (the lowest
 * free descriptor must not creep up), as a leaked fd per run would end a long
 * campaign with EMFILE.
 *
 * Seeds: fuzz/seeds.sh (the first 64 KiB of real cores and whole compacted
 * cores, through the zstd, lz4, xz and gzip CLIs with a few option sets,
 * concatenated frames/members, and truncated). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/addrspace.h"
#include "../analyzer/decompress.h"
#include "../analyzer/elfcore.h"

#define MAX_OUT ((uint64_t)64 << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int in_fd = -1;     /* the memfd the input is written to, reused */
static int base_probe = -1; /* lowest free fd after the first run */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct stat st;
	const char *dir = "/tmp";
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
		dir = "/dev/shm";
	setenv("TMPDIR", dir, 1);
	in_fd = memfd_create("fuzz_decompress_in", MFD_CLOEXEC);
	if (in_fd < 0) {
		perror("fuzz_decompress: memfd_create");
		abort();
	}
	return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
	if (ftruncate(in_fd, 0) != 0) {
		perror("fuzz_decompress: ftruncate");
		abort();
	}
	size_t done = 0;
	while (done < size) {
		ssize_t k = pwrite(in_fd, data + done, size - done, (off_t)done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			perror("fuzz_decompress: pwrite");
			abort();
		}
		done += (size_t)k;
	}
	if (lseek(in_fd, 0, SEEK_SET) != 0) {
		perror("fuzz_decompress: lseek");
		abort();
	}
}

/* Parses the decompressed bytes and reads a little through them. */
static void parse_core(const uint8_t *p, size_t n)
{
	struct ga_core *core = NULL;
	struct gc_error *err = ga_core_open_memory(p, n, "fuzz.core", &core);
	if (err) {
		gc_error_destroy(err);
		return;
	}
	(void)ga_core_exe_mapping(core);
	volatile size_t sink = 0;
	for (size_t i = 0; i < core->nmappings; i++)
		sink += core->mappings[i].path ? strlen(core->mappings[i].path) : 0;
	sink += strlen(core->fname) + strlen(core->psargs);
	struct gc_addrspace *as = NULL;
	if (!gc_addrspace_create(&as)) {
		gc_error_destroy(ga_core_add_segments(core, as, 0));
		uint8_t buf[64];
		for (size_t i = 0; i < core->nsegments; i++) {
			const struct ga_core_segment *s = &core->segments[i];
			(void)gc_addrspace_read(as, s->vaddr, buf, sizeof(buf));
			(void)gc_addrspace_read(as, s->vaddr + s->avail - 1, buf, 1);
		}
		gc_addrspace_destroy(as);
	}
	(void)sink;
	ga_core_close(core);
}

static void check_fds(void)
{
	int probe = fcntl(in_fd, F_DUPFD_CLOEXEC, 0);
	if (probe < 0) {
		perror("fuzz_decompress: fd leak? F_DUPFD");
		abort();
	}
	close(probe);
	if (base_probe < 0)
		base_probe = probe;
	/* Slack for descriptors libFuzzer itself may hold a while. */
	if (probe > base_probe + 16) {
		fprintf(stderr, "fuzz_decompress: fd leak: lowest free fd %d, was %d\n",
			probe, base_probe);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ga_compression c = ga_detect_compression(data, size);
	if (c == GA_COMPRESSION_NONE)
		return 0;
	write_input(data, size);

	int fd = -1;
	uint64_t out_size = 0;
	char *warning = NULL;
	/* Half the inputs (by their last byte) go through ga_core_open's check
	 * of what the first bytes promise, half decompress unchecked (which
	 * reaches more of the decoders on data that is not a core). */
	struct ga_core_stream_check sc = {.name = "fuzz.core.z"};
	bool checked = data[size - 1] & 1;
	struct gc_error *err = ga_decompress_check_tmpfile("fuzz.core.z", in_fd, c, MAX_OUT,
							   checked ? ga_core_check_stream : NULL,
							   checked ? &sc : NULL, &fd, &out_size,
							   &warning);
	if (err) {
		gc_error_destroy(err);
		check_fds();
		return 0;
	}
	/* The contract: an fd holding out_size bytes, at most the bound. */
	struct stat st = {0};
	if (fd < 0 || fstat(fd, &st) != 0 || (uint64_t)st.st_size != out_size ||
	    out_size > MAX_OUT) {
		fprintf(stderr, "fuzz_decompress: bad result: fd %d, size %llu, st_size %lld\n",
			fd, (unsigned long long)out_size, (long long)st.st_size);
		abort();
	}
	if (warning)
		(void)strlen(warning);
	if (out_size > 0) {
		void *map = mmap(NULL, (size_t)out_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			perror("fuzz_decompress: mmap");
			abort();
		}
		parse_core(map, (size_t)out_size);
		munmap(map, (size_t)out_size);
	} else {
		parse_core(NULL, 0);
	}
	close(fd);
	free(warning);
	check_fds();
	return 0;
}
