#!/usr/bin/env bash
# crash.sh NAME — build testdata/NAME, crash it with GOTRACEBACK=crash and
# keep what the end-to-end tests compare against:
#
#   cache/e2e/NAME/exe         the program (go build, or go test -c; for
#                              build c-shared/c-archive: the C host)
#   cache/e2e/NAME/oracle.txt  its stderr: the Go runtime's own goroutine dump
#   cache/e2e/NAME/core        the core dump of that same crash
#   cache/e2e/NAME/libgo.so    build c-shared: the Go library the host loads
#                              (libgo.a and libgo.h for c-archive)
#
# How the program is run and what its dump must show is in
# testdata/NAME/e2e.spec (see "spec" below). Everything is cached: the exe
# is rebuilt when a source is newer, the crash re-run when the exe, the spec
# or the core-dump method changed (GOCORE_RECRASH=1 forces it).
#
# Getting the core (GOCORE_CORE_METHOD=auto|file|coredumpctl|gdb, default
# auto): with a file core_pattern (e.g. "core", "core.%p", "/tmp/core.%e.%p")
# the kernel writes it and we pick it up; with a pipe pattern ("|...") we ask
# systemd's coredumpctl; otherwise (or when those yield nothing) we run the
# program under gdb and take the core with gcore at the final SIGABRT. If no
# core can be had we fail loudly: never skip.
#
# Environment: GOCORE_E2E_DIR (default cache/e2e), GOCORE_CORE_METHOD,
# GOCORE_RECRASH=1, GOCORE_CRASH_TIMEOUT (seconds, default 60),
# GOCORE_BUILD_VARIANT: plain (default), stripped (-ldflags='-s -w'), pie
# (-buildmode=pie), nosections (stripped, then the section headers removed
# from the ELF header, as `strip --strip-section-headers` does); for
# c-shared/c-archive they apply to the file with the Go code (the library,
# the host for c-archive: stripped links it with -s), and pie builds the
# host with -pie where the others use -no-pie (the Go code itself is
# position-independent in both modes),
# GOCORE_CORE_PATTERN (pretend core_pattern is this: tests the fallbacks),
# GOCORE_GO: the toolchain that builds the program, 1.19 (default), 1.26 or
# 1.27 (tests/toolchain.sh finds or fetches it).  The exe is rebuilt when
# the toolchain changed.
#
# Other architectures: GOCORE_ARCH=arm64|riscv64|loong64 (default amd64,
# the machine's own) cross-builds the program with GOARCH=ARCH
# CGO_ENABLED=0 and runs it under qemu-user (tests/qemu.sh ARCH prints which
# one), with GOTRACEBACK=crash and `ulimit -c unlimited`.  qemu writes the
# guest's core itself (qemu_exe_*.core in the working directory, kept as
# core; the core qemu 7.2 also leaves of its own x86-64 process is
# removed), whatever core_pattern says: crash.ok's way is "qemu", its
# second line the emulator's `--version` (another one crashes again), and
# GOCORE_CORE_METHOD must be auto or qemu.  The lines qemu adds to the
# guest's stderr ("qemu: uncaught target signal ...") are moved from
# oracle.txt to qemu.txt.  The cache directory defaults to
# cache/e2e-ARCH-goVERSION (e.g. cache/e2e-arm64-go1.27).  Programs that
# need cgo (build c-shared/c-archive, or Go files that import "C") exit 77:
# not applicable.
#
# spec lines (testdata/NAME/e2e.spec; '#' starts a comment):
#   build go|test          go build (default) or go test -c
#   build c-shared         go build -buildmode=c-shared -o libgo.so, then the
#                          C host testdata/NAME/host.c (which includes
#                          libgo.h) built as exe with $CC (default cc),
#                          linked against libgo.so with rpath $ORIGIN: the
#                          library stays next to the host
#   build c-archive        the same with -buildmode=c-archive: host.c linked
#                          with libgo.a and -lpthread (the Go code is the
#                          host's own)
#                          (host.c starts with "//go:build ignore" so that
#                          cgo does not compile it into the Go package)
#   args ARG...            command-line arguments (word-split, no quoting)
#   signal QUIT            wait for "READY <pid>" on stdout, then kill -QUIT
#   gaps REASON            gocore may exit 3 (success with gaps) for this core
#   stack GOID             goroutine e2e.sh checks `gocore stack` with
#   expect MIN ERE         the oracle must have >= MIN lines matching ERE
#                          (headers without Go 1.22's " gp=… m=…")
#   expect@LIST MIN ERE    the same, only when the toolchain is in LIST:
#                          1.19, 1.21+ (and later), -1.20 (and earlier), …
#   go LIST                the toolchains the program is for (it uses newer
#                          APIs); for others crash.sh exits 77 and e2e.sh
#                          reports the program as not applicable
#   env VAR=VALUE          environment of the run (env@LIST: only for LIST)
#   buildenv VAR=VALUE     environment of the build, e.g. a GOEXPERIMENT
#                          (buildenv@LIST: only for LIST)
#   qemuenv VAR=VALUE      environment of the run under qemu-user only
#                          (GOCORE_ARCH), added after the env lines
#   timeout SECONDS        how long the program may run (default 60, or
#                          GOCORE_CRASH_TIMEOUT)
set -u
set -o pipefail

# shellcheck source=tests/lib/cores.sh
. "$(dirname "$0")/lib/cores.sh"
crash_init "NAME   (a directory testdata/NAME with an e2e.spec)" "$@"
src="$ROOT/testdata/$name"
spec="$src/e2e.spec"
[ -d "$src" ] || die "no such program: $src"
[ -f "$spec" ] || die "missing $spec"
gover=${GOCORE_GO:-1.19}
arch=${GOCORE_ARCH:-amd64}
case $arch in
amd64) qemu_run=0 ;;
arm64 | riscv64 | loong64)
	qemu_run=1
	case ${GOCORE_CORE_METHOD:-auto} in
	auto | qemu) GOCORE_CORE_METHOD=auto ;;
	*) die "GOCORE_ARCH=$arch: the core comes from qemu-user; GOCORE_CORE_METHOD must be auto or qemu" ;;
	esac
	;;
*) die "GOCORE_ARCH must be amd64, arm64, riscv64 or loong64 (got '$arch')" ;;
esac
if [ $qemu_run = 1 ]; then
	crash_dir "${GOCORE_E2E_DIR:-$ROOT/cache/e2e-$arch-go$gover}"
	method=qemu
else
	crash_dir "${GOCORE_E2E_DIR:-$ROOT/cache/e2e}"
fi

# ---- spec (applies: tests/lib/cores.sh) ---------------------------------
build=go
args=()
runenv=()
buildenv=()
qemuenv=()
signal=""
expects=()
while IFS= read -r line || [ -n "$line" ]; do
	line=${line%%#*}
	read -r key rest <<<"$line" || true
	[ -n "${key:-}" ] || continue
	case $key in
	build) build=$rest ;;
	args) read -r -a args <<<"$rest" ;;
	signal) signal=$rest ;;
	timeout) [[ $rest =~ ^[0-9]+$ ]] || die "$spec: timeout needs seconds"; [ -n "${GOCORE_CRASH_TIMEOUT:-}" ] || tmo=$rest ;;
	gaps|stack) ;;   # read by e2e.sh
	expect) expects+=("$rest") ;;
	go)
		applies "$rest" || { [ $? -eq 1 ] && { echo "$prog: $name: not for Go $gover (its spec says: go $rest)" >&2; exit 77; }; die "$spec: bad release list in 'go $rest'"; } ;;
	env) runenv+=("$rest") ;;
	buildenv) buildenv+=("$rest") ;;
	qemuenv) qemuenv+=("$rest") ;;
	buildenv@*)
		applies "${key#buildenv@}" || { [ $? -eq 1 ] && continue; die "$spec: bad release list in '$key'"; }
		buildenv+=("$rest") ;;
	env@*)
		applies "${key#env@}" || { [ $? -eq 1 ] && continue; die "$spec: bad release list in '$key'"; }
		runenv+=("$rest") ;;
	expect@*)
		applies "${key#expect@}" || { [ $? -eq 1 ] && continue; die "$spec: bad release list in '$key'"; }
		expects+=("$rest") ;;
	*) die "$spec: unknown key '$key'" ;;
	esac
done <"$spec"
case $build in go|test|c-shared|c-archive) ;; *) die "$spec: build must be go, test, c-shared or c-archive" ;; esac
case $build in c-*) [ -f "$src/host.c" ] || die "$spec: build $build needs the C host $src/host.c" ;; esac
case $signal in ""|QUIT) ;; *) die "$spec: only 'signal QUIT' is supported" ;; esac
if [ $qemu_run = 1 ]; then
	# qemu-user runs static Go programs only: no cgo, no C host.
	case $build in c-*) echo "$prog: $name: not for $arch under qemu-user (build $build needs cgo and a C host)" >&2; exit 77 ;; esac
	if grep -lqE '^import "C"|^[[:space:]]+"C"$' "$src"/*.go 2>/dev/null; then
		echo "$prog: $name: not for $arch under qemu-user (it needs cgo: import \"C\")" >&2
		exit 77
	fi
	[ "$arch" = loong64 ] && [ "${gover#1.}" -lt 19 ] && { echo "$prog: $name: not for $arch with Go $gover (loong64 came in Go 1.19)" >&2; exit 77; }
	runenv+=("${qemuenv[@]}")
	qemu=$("$ROOT/tests/qemu.sh" "$arch") || die "no qemu-user for $arch (see the message above)"
fi

# ---- build --------------------------------------------------------------
exe="$dir/exe"
# what built the exe: the release, and the architecture when not amd64
built=$gover
[ $qemu_run = 1 ] && built="$gover $arch"
if [ ! -x "$exe" ] || [ "$(cat "$dir/toolchain" 2>/dev/null)" != "$built" ] ||
	[ -n "$(find "$src" "$ROOT/testdata/go.mod" \( -name "*.go" -o -name "*.c" -o -name go.mod -o -name e2e.spec \) -newer "$exe" -print -quit)" ]; then
	go=$("$ROOT/tests/toolchain.sh" "$gover") || die "no Go $gover toolchain (see the message above)"
	what="$build, $("$go" env GOVERSION)"
	[ $qemu_run = 1 ] && what+=", GOARCH=$arch"
	note "building ($what)"
	rm -f "$exe" "$dir/libgo.so" "$dir/libgo.a" "$dir/libgo.h"
	bflags=()
	# The C host's flags: like `go build`, plain builds are not PIE (for
	# c-archive the Go code then sits at its link address; the C compiler's
	# default may be -pie, as Debian's is)
	ccflags=(-g -no-pie)
	case ${GOCORE_BUILD_VARIANT:-plain} in
	plain) ;;
	stripped | nosections) bflags=(-ldflags=-s\ -w); ccflags=(-s -no-pie) ;;
	pie) case $build in c-*) ccflags=(-g -fPIE -pie) ;; *) bflags=(-buildmode=pie) ;; esac ;;
	*) die "GOCORE_BUILD_VARIANT must be plain, stripped, pie or nosections" ;;
	esac
	# the file that holds the Go code: the variants change that one
	gofile=$exe
	[ "$build" = c-shared ] && gofile=$dir/libgo.so
	# Go 1.21+ builds as a module of that release would: a go.work whose go
	# line is the toolchain's own release sets the GODEBUG defaults (1.27:
	# tracebacklabels=1), where testdata/go.mod's "go 1.19" would keep the
	# old ones.  GOTOOLCHAIN=local: never switch to another toolchain.
	genv=(GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off)
	if [ "$gover" != 1.19 ]; then
		printf 'go %s\n\nuse %s\n' "$gover" "$ROOT/testdata" >"$dir/go.work"
		genv=(GOTOOLCHAIN=local GOFLAGS= GOWORK="$dir/go.work")
	fi
	[ $qemu_run = 1 ] && genv+=(GOARCH="$arch" CGO_ENABLED=0)
	case $build in
	test)
		(cd "$ROOT/testdata" && env "${genv[@]}" "${buildenv[@]}" "$go" test -c "${bflags[@]}" -o "$exe" "./$name") || die "go test -c failed" ;;
	go)
		(cd "$ROOT/testdata" && env "${genv[@]}" "${buildenv[@]}" "$go" build "${bflags[@]}" -o "$exe" "./$name") || die "go build failed" ;;
	c-shared | c-archive)
		# cgo needs a C compiler; the go command takes it from CC too.
		cc=${CC:-cc}
		command -v "$cc" >/dev/null || die "no C compiler '$cc' for the host (Debian: gcc)"
		lib=libgo.so
		[ "$build" = c-archive ] && lib=libgo.a
		(cd "$ROOT/testdata" && env "${genv[@]}" "${buildenv[@]}" CGO_ENABLED=1 "$go" build -buildmode="$build" "${bflags[@]}" -o "$dir/$lib" "./$name") ||
			die "go build -buildmode=$build failed"
		if [ "$build" = c-shared ]; then
			# shellcheck disable=SC2016  # $ORIGIN is for the dynamic linker
			"$cc" "${ccflags[@]}" -o "$exe" "$src/host.c" -I"$dir" -L"$dir" -lgo -Wl,-rpath,'$ORIGIN' -lpthread
		else
			"$cc" "${ccflags[@]}" -o "$exe" "$src/host.c" -I"$dir" "$dir/libgo.a" -lpthread
		fi || die "cannot build the C host $src/host.c with $cc"
		;;
	esac
	if [ "${GOCORE_BUILD_VARIANT:-plain}" = nosections ]; then
		# e_shoff (8 bytes at 0x28), e_shnum and e_shstrndx (2 each at 0x3c)
		printf '\0\0\0\0\0\0\0\0' | dd of="$gofile" bs=1 seek=40 conv=notrunc status=none &&
			printf '\0\0\0\0' | dd of="$gofile" bs=1 seek=60 conv=notrunc status=none ||
			die "cannot remove the section headers of $gofile"
	fi
	echo "$built" >"$dir/toolchain"
fi

# ---- oracle coverage check ----------------------------------------------
# expect lines are written without the " gp=0x… m=N mp=0x…" (or " m=nil")
# that Go 1.22+ puts in every header under GOTRACEBACK=crash.
check_oracle() { oracle_covers "$dir/oracle.txt"; }

# ---- cache --------------------------------------------------------------
stamp="$dir/crash.ok"
cached_note() { note "cached (core via $1)"; }
# crash.ok's second line: under qemu-user, which qemu (another one crashes again)
ran=""
if [ $qemu_run = 1 ]; then
	ran=$("$qemu" --version 2>/dev/null | head -1)
	[ -n "$ran" ] || die "$qemu --version failed"
fi
crash_use_cache "its expectations" "$ran" "$exe" "$spec"

# ---- running it ---------------------------------------------------------
pattern=$(core_pattern)
pid=""
# wait_ready: for 'signal QUIT' programs, wait for READY <pid> and send SIGQUIT.
wait_ready() {
	local i rpid
	for ((i = 0; i < tmo * 20; i++)); do
		rpid=$(sed -n 's/^READY \([0-9][0-9]*\)$/\1/p' "$dir/stdout.txt" 2>/dev/null | head -1)
		if [ -n "$rpid" ]; then
			kill -QUIT "$rpid" 2>/dev/null || { note "cannot send SIGQUIT to $rpid"; return 1; }
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || { note "program exited before printing READY"; return 1; }
		sleep 0.05
	done
	note "no READY line within ${tmo}s"
	return 1
}

# wait_pid PID: wait with a timeout; sets rc.
wait_pid() {
	local w
	(
		sleep "$tmo" &
		s=$!
		trap 'kill $s 2>/dev/null; exit 0' TERM
		wait $s && kill -KILL "$1" 2>/dev/null && echo "$prog: $name: killed after ${tmo}s" >&2
	) &
	w=$!
	wait "$1" 2>/dev/null
	rc=$?
	kill -TERM "$w" 2>/dev/null
	wait "$w" 2>/dev/null
	return 0
}

# the emulator that runs a GOCORE_ARCH program (nothing for amd64)
runner=()
[ $qemu_run = 1 ] && runner=("$qemu")
run_plain() {
	( cd "$dir" && ulimit -c unlimited && exec env GOTRACEBACK=crash "${runenv[@]}" "${runner[@]}" ./exe "${args[@]}" >stdout.txt 2>oracle.txt ) &
	pid=$!
	if [ -n "$signal" ]; then wait_ready || kill -KILL "$pid" 2>/dev/null; fi
	wait_pid "$pid"
	if [ "$rc" -ne 134 ]; then
		note "expected the program to die of SIGABRT (exit 134), got exit $rc; its stderr ends:"
		tail -5 "$dir/oracle.txt" >&2
		return 2   # the program misbehaved: another core method will not help
	fi
}

run_gdb() {
	command -v gdb >/dev/null || { note "gdb is not installed (Debian: gdb)"; return 1; }
	local q=""
	[ ${#args[@]} -gt 0 ] && q=$(printf ' %q' "${args[@]}")
	# The inferior's stdout/stderr are redirected by gdb's startup shell.
	( cd "$dir" && exec env GOTRACEBACK=crash "${runenv[@]}" gdb "${CORE_GDB_HEAD[@]}" \
		-ex "run$q >stdout.txt 2>oracle.txt" "${CORE_GDB_TAIL[@]}" ./exe >gdb.log 2>&1 ) &
	pid=$!
	if [ -n "$signal" ]; then wait_ready || kill -KILL "$pid" 2>/dev/null; fi
	wait_pid "$pid"
	core_gdb_check "$dir"
}

attempt() { # attempt METHOD: one crash run that leaves $dir/core
	local m=$1
	rm -f "$dir/core" "$dir"/core.* "$dir/oracle.txt" "$dir/stdout.txt" "$dir/gdb.log" "$dir"/qemu_*.core "$dir/qemu.txt"
	crash_run_way "$m" pid "$dir" || return $?
	core_is_core "$dir/core" || { note "$dir/core is not an ELF core file"; return 1; }
	if [ "$m" = qemu ]; then
		# qemu 11 appends "qemu: uncaught target signal 6 (Aborted) - core
		# dumped" to the guest's stderr: not the runtime's
		grep -E '^qemu: ' "$dir/oracle.txt" >"$dir/qemu.txt"
		sed -i -E '/^qemu: /d' "$dir/oracle.txt"
	fi
	return 0
}

crash_take_core "$pattern" rm -f "$dir/.start"
check_oracle || die "the oracle ($dir/oracle.txt) does not show what $spec expects"
if [ -n "$ran" ]; then printf '%s\n%s\n' "$used" "$ran" >"$stamp"; else echo "$used" >"$stamp"; fi
note "crashed: core via $used ($(du -h "$dir/core" | cut -f1)), $(grep -cE '^goroutine [1-9]' "$dir/oracle.txt") goroutine blocks in oracle"
