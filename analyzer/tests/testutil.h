/* Helpers shared by the analyzer's unit tests (header-only: each test is one
 * translation unit).  Include after <cmocka.h>. */
#ifndef GOCORE_ANALYZER_TESTS_TESTUTIL_H
#define GOCORE_ANALYZER_TESTS_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TU_UNUSED __attribute__((unused))

/* A growable byte image, for tests that build synthetic ELF files. */
struct img {
	uint8_t *p;
	size_t len, cap;
};

static TU_UNUSED void put(struct img *m, const void *p, size_t n)
{
	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap : 1024;
		while (cap < m->len + n)
			cap *= 2;
		m->p = realloc(m->p, cap);
		assert_non_null(m->p);
		m->cap = cap;
	}
	memcpy(m->p + m->len, p, n);
	m->len += n;
}

static TU_UNUSED void put_zero(struct img *m, size_t n)
{
	static const uint8_t z[64];
	while (n) {
		size_t k = n < sizeof(z) ? n : sizeof(z);
		put(m, z, k);
		n -= k;
	}
}

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

/* The file in dir whose name starts with "core" (malloc'd path), or NULL. */
static TU_UNUSED char *tu_find_core(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char *core = NULL;
	struct dirent *e;
	while (!core && (e = readdir(d)))
		if (strncmp(e->d_name, "core", 4) == 0 &&
		    asprintf(&core, "%s/%s", dir, e->d_name) < 0)
			fail_msg("out of memory");
	closedir(d);
	return core;
}

/* The last 2000 bytes of a text file (what a crash said), malloc'd. */
static TU_UNUSED char *tu_file_tail(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = calloc(2001, 1);
	if (!s)
		fail_msg("out of memory");
	if (f) {
		if (fseek(f, -2000, SEEK_END) != 0)
			rewind(f);
		size_t n = fread(s, 1, 2000, f);
		s[n] = '\0';
		fclose(f);
	}
	return s;
}

/* Runs "exe arg" in dir under GOTRACEBACK=crash, its stdout in
 * dir/stdout.txt and its stderr (the runtime's own goroutine dump) in
 * stderr_path, expecting it to die of the SIGABRT the runtime raises after a
 * fatal panic; the kernel then dumps a core into dir.  When the kernel pipes
 * cores elsewhere ("|..." core_pattern) or writes none there, the program is
 * run again under gdb, which takes the core with gcore at that SIGABRT.
 * GOCORE_CORE_PATTERN pretends core_pattern is that (to test the fallback).
 * Returns the core's path (malloc'd); fails the test when there is none. */
static TU_UNUSED char *tu_crash_core(const char *exe, const char *arg, const char *dir,
				     const char *stderr_path)
{
	char *out = NULL, *core = NULL;
	if (asprintf(&out, "%s/stdout.txt", dir) < 0)
		fail_msg("out of memory");
	char pattern[256] = "";
	const char *pretend = getenv("GOCORE_CORE_PATTERN");
	if (pretend) {
		snprintf(pattern, sizeof(pattern), "%s", pretend);
	} else {
		FILE *f = fopen("/proc/sys/kernel/core_pattern", "r");
		if (f) {
			if (!fgets(pattern, sizeof(pattern), f))
				pattern[0] = '\0';
			fclose(f);
		}
	}
	pattern[strcspn(pattern, "\n")] = '\0';
	if (pattern[0] != '|') {
		pid_t pid = fork();
		if (pid < 0)
			fail_msg("fork: %s", strerror(errno));
		if (pid == 0) {
			struct rlimit rl;
			if (getrlimit(RLIMIT_CORE, &rl) == 0) {
				rl.rlim_cur = rl.rlim_max;
				setrlimit(RLIMIT_CORE, &rl);
			}
			if (chdir(dir) != 0 || !freopen(out, "w", stdout) ||
			    !freopen(stderr_path, "w", stderr))
				_exit(126);
			setenv("GOTRACEBACK", "crash", 1);
			execl(exe, exe, arg, (char *)NULL);
			_exit(127);
		}
		int status;
		if (waitpid(pid, &status, 0) != pid)
			fail_msg("waitpid: %s", strerror(errno));
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
			char *text = tu_file_tail(stderr_path);
			fail_msg("%s %s: expected death by SIGABRT, got status 0x%x; stderr:\n%s",
				 exe, arg, status, text);
		}
		if ((core = tu_find_core(dir))) {
			free(out);
			return core;
		}
		print_message("no core in %s (core_pattern \"%s\", RLIMIT_CORE); trying gdb gcore\n",
			      dir, pattern);
	}
	/* gdb: let the nil dereference's SIGSEGV through to the runtime, stop
	 * at the SIGABRT it raises after printing, and dump.  The program's
	 * stderr goes to stderr_path, gdb's own chatter to stdout.txt. */
	print_message("taking the core of %s with gdb's gcore\n", exe);
	char *cmd = NULL;
	if (asprintf(&cmd,
		     "cd '%s' && GOTRACEBACK=crash gdb -batch -nx "
		     "-ex 'handle SIGSEGV nostop noprint pass' "
		     "-ex 'handle SIGURG nostop noprint pass' "
		     "-ex 'handle SIGABRT stop print nopass' "
		     "-ex \"run '%s' 2>'%s'\" "
		     "-ex 'gcore %s/core' --args '%s' >'%s' 2>&1 </dev/null",
		     dir, arg, stderr_path, dir, exe, out) < 0)
		fail_msg("out of memory");
	int rc = system(cmd);
	free(cmd);
	if (!(core = tu_find_core(dir))) {
		char *text = tu_file_tail(out);
		fail_msg("could not get a core of %s: core_pattern is \"%s\" and gdb gcore "
			 "(exit status %d) wrote none; gdb said:\n%s",
			 exe, pattern, rc, text);
	}
	free(out);
	return core;
}

#endif
