#!/usr/bin/env bash
# bench/run.sh [N...] — `make bench`: how fast gocore reads big cores.
#
# For each N (default: 10000 100000 1000000) it builds testdata/bench, runs
# it to park N goroutines and dump core, and keeps cache/bench/N/{exe,core}
# (made once: the core is reused while a fresh build of the program is
# byte-identical to the cached exe). Then it times, BENCH_RUNS times each
# (default 5; the median is reported):
#
#   gocore goroutines core exe  >/dev/null   the full text dump
#   gocore summary core exe     >/dev/null
#   gocore stack GOID core exe  >/dev/null   GOID: the 500th goroutine listed
#                                            (near the start of allgs), and
#                                            the last one (the worst case)
#   gocore leaks core exe       >/dev/null   the heap walk
#   gocore report -o PAGE core exe           the HTML report: its size, and
#                                            how long headless chromium takes
#                                            to show its first screen
#                                            (tests/browser/report-load.js)
#
# goroutines and summary run twice: on every CPU the process may use, and
# on one (`taskset -c 0`); their outputs must be identical.
#
# with the largest RssAnon seen (bench/measure.py polls /proc/PID/status
# every 10 ms), and goroutines/s of the full dump. An untimed run first
# counts the goroutines (it must exit 0 and list at least N) and warms the
# page cache.
#
# The cores come from Go 1.19 builds (Debian's golang-1.19-go).  On the
# 100000 core it also times Delve, `dlv core exe core` with `goroutines -t`:
# Debian's delve 1.20.2 (installed when run as root and missing), which
# reads Go 1.19.  Then it builds the program with Go 1.27.3 too, dumps a
# 100000-goroutine core of that build, and times gocore and Delve's current
# release (DLV_VERSION, `go install github.com/go-delve/delve/cmd/dlv@…` by
# Go 1.26 through the module proxy, into cache/bench/dlv-VERSION/) on it.
# tests/toolchain.sh names each Go toolchain.
#
# Targets (checked when the 1000000 core is benchmarked): goroutines <= 1.5 s
# and at most 0.6 x its one-CPU time (on a machine with 2 CPUs or more),
# summary <= 1.2 s, stack <= 0.05 s near the start and <= 0.2 s for the
# last goroutine, max RssAnon <= 256 MB, leaks <= 5 x goroutines with
# max RssAnon <= 256 MB, the report's page <= 25 MB and its first screen
# <= 3 s; on 100000: dlv / gocore goroutines
# >= 50. Last: a markdown table for the README.
#
# Environment: BENCH_RUNS (5), BENCH_REGEN=1 (make the cores again),
# BENCH_DLV=0 (skip Delve), BENCH_DLV_TIMEOUT (900 s), BENCH_DLV_VERSION
# (v1.27.2), BENCH_GO127=0 (skip the Go 1.27 core), BENCH_CORE_METHOD
# (auto|file|gdb: the kernel's core file, or gcore), GOCORE (build/gocore).
# Exit status: 0 when every checked target passes, 1 otherwise.
set -u
set -o pipefail

prog=bench/run.sh
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
die() { echo "$prog: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }
# shellcheck source=tests/lib/cores.sh
. "$ROOT/tests/lib/cores.sh"

NS=("$@")
[ ${#NS[@]} -gt 0 ] || NS=(10000 100000 1000000)
for n in "${NS[@]}"; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number (got '$n')"; done
RUNS=${BENCH_RUNS:-5}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number"
DLV_N=100000
DLV_TIMEOUT=${BENCH_DLV_TIMEOUT:-900}
METHOD=${BENCH_CORE_METHOD:-auto}
case $METHOD in auto|file|gdb) ;; *) die "BENCH_CORE_METHOD must be auto, file or gdb" ;; esac
CACHE=$ROOT/cache/bench
MEASURE=$ROOT/bench/measure.py
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gocore-bench.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$TMP"' EXIT

GO119=$(tests/toolchain.sh 1.19) || die "no Go 1.19 toolchain (see above)"
command -v python3 >/dev/null || die "python3 is not installed"
DLV_VERSION=${BENCH_DLV_VERSION:-v1.27.2}

# ---- gocore --------------------------------------------------------------
if [ -z "${GOCORE:-}" ]; then
	make --no-print-directory || die "make failed"
	GOCORE=$ROOT/build/gocore
fi
[ -x "$GOCORE" ] || die "no gocore at $GOCORE"

# ---- cores ---------------------------------------------------------------
# make_core N DIR: run DIR/exe N and leave DIR/core.
make_core() {
	local n=$1 dir=$2 pid rc pat method=$METHOD i
	pat=$(core_pattern)
	if [ "$method" = auto ]; then
		case $pat in '|'*) method=gdb ;; *) method=file ;; esac
	fi
	rm -rf "$dir/core" "$dir/run"
	mkdir -p "$dir/run"
	touch "$dir/run/.start"
	note "N=$n: parking $n goroutines and dumping core ($method) ..."
	local t0=$SECONDS
	if [ "$method" = file ]; then
		[ "${pat:0:1}" != '|' ] || die "core_pattern pipes cores away ($pat): use BENCH_CORE_METHOD=gdb"
		# (the braces keep bash's "Aborted (core dumped)" report off stderr)
		{
			(
				cd "$dir/run" && ulimit -c unlimited &&
					exec timeout -s KILL 900 ../exe "$n" kill >stdout.txt 2>stderr.txt
			)
			rc=$?
		} 2>/dev/null
		# timeout re-raises the program's SIGABRT: 134.
		[ "$rc" -eq 134 ] || { cat "$dir/run/stderr.txt" >&2; die "N=$n: the program exited with $rc, not SIGABRT"; }
		# The kernel names the core after the program's pid, which we do
		# not know (timeout forked it): take what matches the pattern.
		core_take_file "$(core_glob "$pat" '*' exe "$dir/run")" "$dir/run/.start" "$dir/core" ||
			die "N=$n: no core found for core_pattern '$pat' (ulimit -c?)"
	else
		command -v gdb >/dev/null || die "gdb is needed to take the core with gcore (Debian: gdb)"
		(cd "$dir/run" && exec ../exe "$n" wait >stdout.txt 2>stderr.txt) &
		pid=$!
		for ((i = 0; i < 9000; i++)); do
			grep -q '^READY ' "$dir/run/stdout.txt" 2>/dev/null && break
			kill -0 "$pid" 2>/dev/null || die "N=$n: the program exited early"
			sleep 0.1
		done
		grep -q '^READY ' "$dir/run/stdout.txt" || { kill -KILL "$pid"; die "N=$n: not ready after 900 s"; }
		gdb -p "$pid" -batch -ex "gcore $dir/core" >"$dir/run/gdb.txt" 2>&1
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		[ -s "$dir/core" ] || { cat "$dir/run/gdb.txt" >&2; die "N=$n: gcore wrote no core"; }
	fi
	note "N=$n: $(grep -h PARKED "$dir/run/stdout.txt"); core $(du -h --apparent-size "$dir/core" | cut -f1) in $((SECONDS - t0)) s"
}

# prepare N [GO [TAG]]: cache/bench/[TAG-]N/{exe,core} built by GO (default
# Go 1.19), reused while the exe is unchanged.  Sets PREP_DIR.
prepare() {
	local n=$1 go=${2:-$GO119} tag=${3:-}
	local dir=$CACHE/${tag:+$tag-}$1
	PREP_DIR=$dir
	mkdir -p "$dir" || die "cannot create $dir"
	# -buildvcs=false: the repository's commit and dirty state would
	# otherwise be stamped into the exe and change it (and the core) at
	# every commit.
	(cd testdata && GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off "$go" build -buildvcs=false -o "$TMP/exe" ./bench) ||
		die "go build testdata/bench failed ($go)"
	if [ -x "$dir/exe" ] && cmp -s "$TMP/exe" "$dir/exe" && [ -f "$dir/core.ok" ] && [ -s "$dir/core" ] &&
		[ "${BENCH_REGEN:-0}" != 1 ]; then
		note "N=$n: cached core ($dir)"
		return 0
	fi
	rm -f "$dir/core.ok" "$dir/core"
	mv -f "$TMP/exe" "$dir/exe" || die "cannot write $dir/exe"
	# Room for the core: about 3.9 KB per goroutine, plus slack.
	local need=$((n * 4 + 200000)) avail
	avail=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
	[ "$avail" -gt "$need" ] || die "N=$n: needs about $((need / 1024)) MB free in $dir, has $((avail / 1024)) MB"
	make_core "$n" "$dir"
	touch "$dir/core.ok"
}

# ---- timing ----------------------------------------------------------------
# bench_cmd LABEL ARGS...: run gocore ARGS RUNS times, stdout to /dev/null;
# sets WALL (median seconds), RSS (max RssAnon KB), CMDRC (worst exit).
bench_cmd() {
	local label=$1 i walls=() w a r rc
	shift
	RSS=0
	CMDRC=0
	for ((i = 0; i < RUNS; i++)); do
		python3 "$MEASURE" "$TMP/m" ${ONE_CPU:+taskset -c 0} "$GOCORE" "$@" >/dev/null 2>"$TMP/err"
		read -r w a r rc <"$TMP/m"
		walls+=("$w")
		[ "$a" -gt "$RSS" ] && RSS=$a
		if [ "$rc" -ne 0 ]; then
			CMDRC=$rc
			note "gocore $* exited $rc: $(head -3 "$TMP/err")"
		fi
	done
	WALL=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	printf '  %-11s median %7.3f s  (runs: %s)  max RssAnon %6.1f MB%s\n' "$label" "$WALL" "${walls[*]}" \
		"$(mb "$RSS")" "$([ "$CMDRC" -ne 0 ] && echo "  EXIT $CMDRC")"
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# le A B: A <= B (floats)
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

FAILS=0
CHECKS=()
check() { # check NAME VALUE LIMIT UNIT
	local verdict=PASS
	le "$2" "$3" || { verdict=FAIL; FAILS=$((FAILS + 1)); }
	CHECKS+=("$(printf '%-4s %-44s %s %s (target <= %s %s)' "$verdict" "$1" "$2" "$4" "$3" "$4")")
}

# bench_dlv DLV EXE CORE N GOCORE_WALL WHAT: times `dlv core EXE CORE` with
# `goroutines -t` against gocore's GOCORE_WALL; adds a line to DLV_LINES and
# the 50x target to CHECKS.
bench_dlv() {
	local dlv=$1 exe=$2 core=$3 n=$4 gwall=$5 what=$6 dver dcount dlisted ratio
	dver=$("$dlv" version 2>/dev/null | sed -n 's/^Version: //p')
	printf 'goroutines -t\nexit\n' >"$TMP/dlv-init"
	echo "== Delve $dver on the $what N=$n core: dlv core exe core, goroutines -t (timeout ${DLV_TIMEOUT} s)"
	# First to a file, to check it listed them all; then the timed run to
	# /dev/null, as gocore's.
	dlv_run() { # dlv_run OUT
		python3 "$MEASURE" --timeout "$DLV_TIMEOUT" "$TMP/m" "$dlv" core "$exe" "$core" \
			--init "$TMP/dlv-init" --allow-non-terminal-interactive=true </dev/null >"$1" 2>"$TMP/dlv-err"
		read -r DW DA _ DRC <"$TMP/m"
	}
	dlv_run "$TMP/dlv-out"
	dcount=$(sed -n 's/^\[\([0-9][0-9]*\) goroutines\]$/\1/p' "$TMP/dlv-out" | tail -1)
	dlisted=$(grep -cE '^[ *] Goroutine [0-9]+ ' "$TMP/dlv-out")
	printf '  dlv (to a file) %.2f s, exit %s, listed %s goroutines (says [%s goroutines])\n' \
		"$DW" "$DRC" "$dlisted" "${dcount:-?}"
	if [ "$DRC" -ne 0 ] || [ "${dcount:-0}" -lt "$n" ]; then
		head -5 "$TMP/dlv-err" >&2
		DLV_LINES+=("Delve $dver ($what core): failed (exit $DRC, ${dcount:-no} goroutines listed)")
		FAILS=$((FAILS + 1))
		CHECKS+=("FAIL 100k $what: dlv goroutines -t did not complete (exit $DRC)")
		return
	fi
	dlv_run /dev/null
	printf '  dlv (to /dev/null) %.2f s, max RssAnon %s MB, exit %s\n' "$DW" "$(mb "$DA")" "$DRC"
	ratio=$(awk -v d="$DW" -v g="$gwall" 'BEGIN { printf "%.1f", d / g }')
	echo "  gocore goroutines $gwall s vs dlv $DW s: gocore is ${ratio}x faster"
	DLV_LINES+=("$(printf '| %s | Delve %s | %s | %.2f s | %s MB | %.2f s | **%s×** |' \
		"$what" "$dver" "$dcount" "$DW" "$(mb "$DA")" "$gwall" "$ratio")")
	if le 50 "$ratio"; then
		CHECKS+=("$(printf 'PASS %-44s %s (target >= 50)' "100k $what: dlv / gocore goroutines" "$ratio")")
	else
		CHECKS+=("$(printf 'FAIL %-44s %s (target >= 50)' "100k $what: dlv / gocore goroutines" "$ratio")")
		FAILS=$((FAILS + 1))
	fi
}

ROWS=()
LEAK_ROWS=()
REPORT_ROWS=()
# The report's first screen is timed in headless chromium (tests/lib/browser.sh).
# shellcheck source=tests/lib/browser.sh
. "$ROOT/tests/lib/browser.sh"
BROWSER_OK=
if browser_setup "$ROOT"; then BROWSER_OK=1; else note "the report's load time will not be measured"; fi
DLV_LINES=()
declare -A GR_WALL

echo "== machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ { print $2 }') GB RAM; $("$GOCORE" --version 2>&1 | head -1)"
for n in "${NS[@]}"; do
	prepare "$n"
	dir=$PREP_DIR
	core=$dir/core
	exe=$dir/exe
	coresz=$(du -h --apparent-size "$core" | cut -f1)

	# Untimed: count the goroutines, pick the 500th and the last, warm
	# the cache; the dump on every CPU and on one must be the same.
	"$GOCORE" goroutines "$core" "$exe" 2>"$TMP/err" >"$TMP/all.txt"
	rc=$?
	[ "$rc" -eq 0 ] || die "N=$n: gocore goroutines exited $rc: $(head -3 "$TMP/err")"
	awk '/^goroutine [0-9]+ / { ids[++n] = $2 } END { print n + 0, ids[n < 500 ? 1 : 500], ids[n] }' \
		"$TMP/all.txt" >"$TMP/count"
	read -r count goid_first goid_last <"$TMP/count"
	[ "$count" -ge "$n" ] || die "N=$n: gocore listed $count goroutines, fewer than $n"
	taskset -c 0 "$GOCORE" goroutines "$core" "$exe" 2>/dev/null | cmp -s - "$TMP/all.txt" ||
		die "N=$n: goroutines on one CPU (taskset -c 0) differs from goroutines on $(nproc)"
	rm -f "$TMP/all.txt"

	echo "== N=$n: $count goroutines, core $coresz, stack goroutines $goid_first and $goid_last"
	ONE_CPU=1 bench_cmd "goroutines, 1 CPU" goroutines "$core" "$exe"
	g1_wall=$WALL
	bench_cmd goroutines goroutines "$core" "$exe"
	g_wall=$WALL g_rss=$RSS
	GR_WALL[$n]=$WALL
	ONE_CPU=1 bench_cmd "summary, 1 CPU" summary "$core" "$exe"
	s1_wall=$WALL
	bench_cmd summary summary "$core" "$exe"
	s_wall=$WALL s_rss=$RSS
	bench_cmd "stack $goid_first" stack "$goid_first" "$core" "$exe"
	k_wall=$WALL k_rss=$RSS
	bench_cmd "stack $goid_last" stack "$goid_last" "$core" "$exe"
	kl_wall=$WALL
	bench_cmd leaks leaks "$core" "$exe"
	l_wall=$WALL l_rss=$RSS
	bench_cmd report report -o "$TMP/report.html" "$core" "$exe"
	r_wall=$WALL r_rss=$RSS
	r_size=$(stat -c %s "$TMP/report.html")
	r_load=
	if [ -n "$BROWSER_OK" ]; then
		r_load=$(node "$ROOT/cache/browser/report-load.js" "$TMP/report.html" "$RUNS" 2>"$TMP/err")
		echo "  report page $(mb $((r_size / 1024))) MB; first screen in headless chromium: $r_load s"
		r_load=$(echo "$r_load" | sed -n 's/.* median //p')
		[ -n "$r_load" ] || note "report-load.js failed: $(head -3 "$TMP/err")"
	fi
	REPORT_ROWS+=("$(printf '| %s | %.2f s | %s MB | %s MB | %s s |' "$n" "$r_wall" "$(mb "$r_rss")" \
		"$(mb $((r_size / 1024)))" "${r_load:-?}")")
	LEAK_ROWS+=("$(printf '| %s | %.2f s | %.2f s | %.1f× | %s MB |' "$n" "$g_wall" "$l_wall" \
		"$(awk -v a="$l_wall" -v b="$g_wall" 'BEGIN { print a / b }')" "$(mb "$l_rss")")")
	maxrss=$g_rss
	[ "$s_rss" -gt "$maxrss" ] && maxrss=$s_rss
	[ "$k_rss" -gt "$maxrss" ] && maxrss=$k_rss
	rate=$(awk -v c="$count" -v w="$g_wall" 'BEGIN { printf "%.0f", c / w }')
	ratio=$(awk -v a="$g_wall" -v b="$g1_wall" 'BEGIN { printf "%.2f", a / b }')
	echo "  goroutines/s (full dump): $rate; all CPUs / one CPU: $ratio"
	ROWS+=("$(printf '| %s | %s | %s | %.2f s | %.2f s | %.2f s | %.2f s | %.3f s | %.3f s | %s MB | %s |' \
		"$n" "$count" "$coresz" "$g1_wall" "$g_wall" "$s1_wall" "$s_wall" "$k_wall" "$kl_wall" \
		"$(mb "$maxrss")" "$rate")")

	if [ "$n" = 1000000 ]; then
		check "1M: goroutines > /dev/null wall (s)" "$g_wall" 1.5 s
		if [ "$(nproc)" -ge 2 ]; then
			check "1M: goroutines all CPUs / one CPU" "$ratio" 0.6 ""
		fi
		check "1M: summary wall (s)" "$s_wall" 1.2 s
		check "1M: stack $goid_first wall (s)" "$k_wall" 0.05 s
		check "1M: stack $goid_last (last) wall (s)" "$kl_wall" 0.2 s
		check "1M: max RssAnon (MB)" "$(mb "$maxrss")" 256 MB
		check "1M: leaks / goroutines wall" \
			"$(awk -v a="$l_wall" -v b="$g_wall" 'BEGIN { printf "%.2f", a / b }')" 5 ""
		check "1M: leaks max RssAnon (MB)" "$(mb "$l_rss")" 256 MB
		check "1M: report page size (MB)" "$(mb $((r_size / 1024)))" 25 MB
		if [ -n "$r_load" ]; then
			check "1M: report first screen, headless chromium (s)" "$r_load" 3 s
		else
			FAILS=$((FAILS + 1))
			CHECKS+=("FAIL 1M: report first screen: not measured (chromium or playwright-core missing, see above)")
		fi
	fi

	# ---- Delve on the 100k core ----
	if [ "$n" = "$DLV_N" ] && [ "${BENCH_DLV:-1}" != 0 ]; then
		if ! command -v dlv >/dev/null; then
			if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
				note "installing Debian's delve package"
				DEBIAN_FRONTEND=noninteractive apt-get install -y delve >"$TMP/apt.txt" 2>&1 ||
					{ tail -5 "$TMP/apt.txt" >&2; note "apt-get install delve failed"; }
			fi
		fi
		if ! command -v dlv >/dev/null; then
			DLV_LINES+=("Delve (Debian): not installed (as root: apt-get install -y delve), not compared")
			echo "== ${DLV_LINES[-1]}"
		else
			bench_dlv "$(command -v dlv)" "$exe" "$core" "$n" "${GR_WALL[$n]}" "Go 1.19"
		fi
	fi
done

# ---- Go 1.27: gocore and Delve's current release on a 100k core ----
if [ "${BENCH_GO127:-1}" != 0 ] && [[ " ${NS[*]} " == *" $DLV_N "* ]]; then
	GO127=$(tests/toolchain.sh 1.27) || die "no Go 1.27 toolchain (see above)"
	prepare "$DLV_N" "$GO127" go1.27
	dir=$PREP_DIR
	"$GOCORE" goroutines "$dir/core" "$dir/exe" 2>"$TMP/err" | grep -c '^goroutine [0-9]' >"$TMP/count"
	read -r count <"$TMP/count"
	[ "$count" -ge "$DLV_N" ] || die "Go 1.27 N=$DLV_N: gocore listed $count goroutines: $(head -3 "$TMP/err")"
	echo "== Go 1.27.3, N=$DLV_N: $count goroutines, core $(du -h --apparent-size "$dir/core" | cut -f1)"
	bench_cmd goroutines goroutines "$dir/core" "$dir/exe"
	g127=$WALL
	if [ "${BENCH_DLV:-1}" != 0 ]; then
		dlvdir=$CACHE/dlv-$DLV_VERSION
		if [ ! -x "$dlvdir/dlv" ]; then
			GO126=$(tests/toolchain.sh 1.26) || die "no Go 1.26 toolchain to install Delve with"
			note "installing Delve $DLV_VERSION (go install with Go 1.26)"
			mkdir -p "$dlvdir"
			GOBIN=$dlvdir GOTOOLCHAIN=local GOFLAGS= "$GO126" install "github.com/go-delve/delve/cmd/dlv@$DLV_VERSION" \
				>"$TMP/goinstall.txt" 2>&1 || { tail -5 "$TMP/goinstall.txt" >&2; die "go install dlv@$DLV_VERSION failed"; }
		fi
		bench_dlv "$dlvdir/dlv" "$dir/exe" "$dir/core" "$DLV_N" "$g127" "Go 1.27.3"
	fi
fi

echo
echo "== targets"
if [ ${#CHECKS[@]} -eq 0 ]; then
	echo "(none checked: the targets are for N=1000000 and the Delve comparison for N=100000)"
else
	printf '%s\n' "${CHECKS[@]}"
fi
echo
echo "== summary (median of $RUNS runs, stdout to /dev/null; $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1))"
echo
echo "| N | goroutines | core | \`goroutines\`, 1 CPU | \`goroutines\`, $(nproc) CPUs | \`summary\`, 1 CPU | \`summary\`, $(nproc) CPUs | \`stack\`, 500th | \`stack\`, last | max RssAnon | goroutines/s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "| N | \`goroutines\` | \`leaks\` | leaks / goroutines | \`leaks\` max RssAnon |"
echo "|---|---|---|---|---|"
printf '%s\n' "${LEAK_ROWS[@]}"
echo
echo "| N | \`report\` | its max RssAnon | page size | first screen (headless chromium) |"
echo "|---|---|---|---|---|"
printf '%s\n' "${REPORT_ROWS[@]}"
if [ ${#DLV_LINES[@]} -gt 0 ]; then
	echo
	echo "| core | debugger | goroutines | its \`goroutines -t\` | its RssAnon | gocore \`goroutines\` | gocore is |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s\n' "${DLV_LINES[@]}"
fi
[ "$FAILS" -eq 0 ]
