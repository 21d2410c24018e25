#!/bin/sh
# snapshot.sh OUTDIR — every output of gocore on every test core, kept so
# that a refactor can prove it changes none of them: make a snapshot with
# the build before the change, one with the build after it, and compare
# them (tests/snapshot-diff.sh does both steps and prints a summary).
#
#   GOCORE=OLD-BUILD tests/snapshot.sh cache/snapshot/before
#   tests/snapshot-diff.sh            (build/gocore into cache/snapshot/after, then diff)
#
# The cores are the ones the test suites left (nothing is crashed here):
# cache/e2e (Go 1.19), cache/e2e-go1.19, cache/e2e-go1.26, cache/e2e-go1.27,
# the variants cache/e2e-{stripped,pie,nosections} and
# cache/e2e-go1.27-{stripped,pie,nosections}, each with PROG/core and
# PROG/exe, and the npm corpus cache/npm/NAME/{core,exe}.  A directory
# without a core (a program a toolchain leaves out) is skipped, and so is
# every PROG named overflow: its core (0.8 to 1.1 GB, a 1 GB goroutine
# stack) takes too long for a check run after every step.
# GOCORE_SNAPSHOT_DIRS (space-separated) replaces the list of caches.
#
# For each core, OUTDIR/CACHE/PROG/ (CACHE: the cache's name without
# "cache/", e.g. e2e-go1.27 or npm) gets NAME.out, NAME.err and NAME.rc
# (stdout, stderr, exit code) of:
#   goroutines, goroutines-json, goroutines-v      goroutines [--json|-v]
#   summary, summary-json                          summary [--json]
#   overview, overview-json                        overview [--json]
#   threads, threads-json                          threads [--json]
#   stack-first, stack-first-json,                 stack GOID [--json] for the
#   stack-last, stack-last-json                    first and last goroutine
#                                                  `goroutines --json` lists
#                                                  (their ids in goids)
#   pprof                                          pprof -o profile.pb.gz
#                                                  (the profile is kept; compare
#                                                  it after gzip -dc)
#   goroutines-stripped                            goroutines with exe.stripped,
#                                                  when e2e.sh made one (with
#                                                  --lib libgo.stripped.so when
#                                                  that exists, as e2e.sh runs it)
# and `inputs`: the size of core and exe, the cksum of exe and of the core's
# first MiB (headers and notes), so that a core crashed again since the
# snapshot shows up as such and not as a change of gocore.
#
# gocore runs from the top of the tree with paths relative to it, as the
# test suites run it (the profile records the exe path it was given).  The
# -o path of pprof is under OUTDIR, so it differs between two snapshots:
# gocore prints it nowhere when the profile is written.  The only thing normalised is the version string that
# `gocore --version` prints (git describe --dirty, which differs between two
# builds): where it appears in an output as a word it becomes
# @GOCORE_VERSION@ (today no command prints it).  The gzip header of the
# profile carries no time (zlib's default header: mtime 0).
#
# Environment: GOCORE (default build/gocore; a relative path is taken from
# the current directory), GOCORE_SNAPSHOT_DIRS, GOCORE_SNAPSHOT_TIMEOUT
# (seconds per gocore run, default 300; a timeout is recorded as exit 124).
# OUTDIR must not exist or be empty.  Prints one line per cache and a total.
set -u

usage() { echo "usage: [GOCORE=...] tests/snapshot.sh OUTDIR" >&2; exit 1; }
[ $# -eq 1 ] && [ -n "$1" ] || usage

here=$(pwd)
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$here/$1" ;; esac; }
OUT=$(abspath "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 1
if [ -n "${GOCORE:-}" ]; then GOCORE=$(abspath "$GOCORE"); else GOCORE=$ROOT/build/gocore; fi
cd "$ROOT" || exit 1
TMO=${GOCORE_SNAPSHOT_TIMEOUT:-300}
DIRS=${GOCORE_SNAPSHOT_DIRS:-"cache/e2e cache/e2e-go1.19 cache/e2e-go1.26 cache/e2e-go1.27 cache/e2e-stripped cache/e2e-pie cache/e2e-nosections cache/e2e-go1.27-stripped cache/e2e-go1.27-pie cache/e2e-go1.27-nosections cache/npm"}

[ -x "$GOCORE" ] || { echo "snapshot.sh: $GOCORE is not an executable (build it with: make)" >&2; exit 1; }
# Run a private copy: a rebuild of $GOCORE during the run must not mix two
# builds in one snapshot.
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp "$GOCORE" "$tmp/gocore" || exit 1
GOCORE=$tmp/gocore
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT" 2>/dev/null)" ]; then
	echo "snapshot.sh: $OUT exists and is not empty" >&2
	exit 1
fi
mkdir -p "$OUT" || exit 1

# The version string: "gocore VERSION".  "unknown" (a build outside git) is
# left alone: it is an ordinary word of the outputs.
VERSION=$("$GOCORE" --version 2>/dev/null | sed -n 's/^gocore //p')
case $VERSION in
'' | unknown) VERSION_RE= ;;
*) VERSION_RE=$(printf '%s\n' "$VERSION" | sed 's/[].[\\*^$/+?(){}|]/\\&/g') ;;
esac
normalised=0

# run NAME ARGS...: gocore ARGS into $dir/NAME.{out,err,rc}
run() {
	name=$1
	shift
	timeout "$TMO" "$GOCORE" "$@" >"$dir/$name.out" 2>"$dir/$name.err"
	echo $? >"$dir/$name.rc"
	[ -n "$VERSION_RE" ] || return 0
	for f in "$dir/$name.out" "$dir/$name.err"; do
		if grep -qF -- "$VERSION" "$f"; then
			sed -E "s/(^|[^0-9A-Za-z_.-])$VERSION_RE([^0-9A-Za-z_.-]|\$)/\\1@GOCORE_VERSION@\\2/g" "$f" >"$f.tmp" &&
				mv "$f.tmp" "$f"
			normalised=$((normalised + 1))
		fi
	done
}

# inputs CORE EXE: what the snapshot was taken of
inputs() {
	echo "core $(wc -c <"$1") first-MiB-cksum $(head -c 1048576 "$1" | cksum)"
	echo "exe $(wc -c <"$2") cksum $(cksum <"$2")"
}

t0=$(date +%s)
total=0
for cache in $DIRS; do
	if [ ! -d "$cache" ]; then
		echo "snapshot.sh: $cache: no such directory, skipped"
		continue
	fi
	n=0
	skipped=
	for p in "$cache"/*/; do
		p=${p%/}
		prog=$(basename "$p")
		[ -f "$p/core" ] && [ -f "$p/exe" ] || continue
		if [ "$prog" = overflow ]; then
			skipped=" (skipped: overflow)"
			continue
		fi
		core=$p/core
		exe=$p/exe
		dir=$OUT/${cache#cache/}/$prog
		mkdir -p "$dir" || exit 1
		inputs "$core" "$exe" >"$dir/inputs"

		run goroutines goroutines "$core" "$exe"
		run goroutines-json goroutines --json "$core" "$exe"
		run goroutines-v goroutines -v "$core" "$exe"
		run summary summary "$core" "$exe"
		run summary-json summary --json "$core" "$exe"
		run overview overview "$core" "$exe"
		run overview-json overview --json "$core" "$exe"
		run threads threads "$core" "$exe"
		run threads-json threads --json "$core" "$exe"

		# goroutines --json prints one goroutine a line: {"id":N,...
		sed -n 's/^{"id":\([0-9][0-9]*\),.*/\1/p' "$dir/goroutines-json.out" >"$dir/goids.all"
		first=$(head -1 "$dir/goids.all")
		last=$(tail -1 "$dir/goids.all")
		rm -f "$dir/goids.all"
		echo "first ${first:-none} last ${last:-none}" >"$dir/goids"
		if [ -n "$first" ]; then
			run stack-first stack "$first" "$core" "$exe"
			run stack-first-json stack "$first" --json "$core" "$exe"
			run stack-last stack "$last" "$core" "$exe"
			run stack-last-json stack "$last" --json "$core" "$exe"
		fi

		run pprof pprof -o "$dir/profile.pb.gz" "$core" "$exe"

		if [ -f "$p/exe.stripped" ]; then
			if [ -f "$p/libgo.stripped.so" ]; then
				run goroutines-stripped goroutines --lib "$p/libgo.stripped.so" "$core" "$p/exe.stripped"
			else
				run goroutines-stripped goroutines "$core" "$p/exe.stripped"
			fi
		fi
		n=$((n + 1))
	done
	echo "snapshot.sh: $cache: $n cores$skipped"
	total=$((total + n))
done
t1=$(date +%s)
files=$(find "$OUT" -type f | wc -l)
echo "snapshot.sh: $total cores, $files files in $OUT, $((t1 - t0))s"
if [ -n "$VERSION_RE" ]; then
	echo "snapshot.sh: version string $VERSION replaced in $normalised outputs"
fi
[ "$total" -gt 0 ]
