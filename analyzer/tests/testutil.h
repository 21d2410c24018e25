/* Helpers shared by the analyzer's unit tests (header-only: each test is one
 * translation unit).  Include after <cmocka.h>. */
#ifndef GOCORE_ANALYZER_TESTS_TESTUTIL_H
#define GOCORE_ANALYZER_TESTS_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TU_UNUSED __attribute__((unused))

/* $GOCORE_FIXTURES/name, malloc'd; fails the test when it is not there. */
static TU_UNUSED char *tu_fixture(const char *name)
{
	const char *dir = getenv("GOCORE_FIXTURES");
	if (!dir || !*dir)
		fail_msg("GOCORE_FIXTURES is not set; run the tests with `make unit`, "
			 "which builds testdata/%s into $GOCORE_FIXTURES/%s", name, name);
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		fail_msg("out of memory");
	if (access(path, X_OK) != 0)
		fail_msg("fixture %s is missing (%s): build it with `make unit` "
			 "(from testdata/%s/main.go)", path, strerror(errno), name);
	return path;
}

/* Reads a whole file into malloc'd memory. */
static TU_UNUSED uint8_t *tu_read_file(const char *path, size_t *size_ret)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) != 0)
		fail_msg("%s: fstat: %s", path, strerror(errno));
	size_t size = (size_t)st.st_size;
	uint8_t *p = malloc(size ? size : 1);
	if (!p || fread(p, 1, size, f) != size)
		fail_msg("%s: cannot read %zu bytes", path, size);
	fclose(f);
	*size_ret = size;
	return p;
}

static TU_UNUSED void tu_write_file(const char *path, const void *p, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, size, f) != size || fclose(f) != 0)
		fail_msg("%s: cannot write: %s", path, strerror(errno));
}

/* A fresh temporary directory (malloc'd path). */
static TU_UNUSED char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path = NULL;
	if (asprintf(&path, "%s/gocore-test-XXXXXX", base && *base ? base : "/tmp") < 0)
		fail_msg("out of memory");
	if (!mkdtemp(path))
		fail_msg("mkdtemp %s: %s", path, strerror(errno));
	return path;
}

/* Removes dir and the files in it (no subdirectories), then frees dir. */
static TU_UNUSED void tu_rmdir(char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char *p = NULL;
			if (asprintf(&p, "%s/%s", dir, e->d_name) >= 0) {
				unlink(p);
				free(p);
			}
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

#endif
