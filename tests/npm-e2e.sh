#!/usr/bin/env bash
# npm-e2e.sh [NAME...] — end-to-end tests of build/gocore against real,
# stripped, third-party Go binaries of many Go releases (the npm corpus,
# tests/npm-corpus.list; all of its entries unless NAMEs are given).
#
# For every entry:
#   crash        tests/npm-corpus.sh fetches the binary (npm pack), checks its
#                Go version, SIGQUITs it in a waiting state with
#                GOTRACEBACK=crash and keeps oracle.txt and core under
#                cache/npm/NAME/ (cached; see npm-corpus.sh)
#   goroutines   `gocore goroutines core exe` exits 0; on failure the first
#                line of gocore's stderr is shown first
#   compare      tests/compare.py --relay-stacks: oracle vs gocore's output
#                meets the thresholds (listed 100, header 100, parked 99,
#                running 100), as in tests/e2e.sh
# The last line is "N passed, M failed"; the exit status is 1 if M > 0.
#
# Part of `make e2e` (and so of `make test`), on tests/npm-corpus.list; the
# held-out list runs with `make holdout` only.  tests/npm-arch.list holds
# arm64, riscv64 and loong64 binaries (the list's ARCH column), which
# npm-corpus.sh runs under qemu-user; their cores have no NT_FILE, and
# gocore is always given the exe.
#
# Environment: GOCORE (default build/gocore), GOCORE_NPM_LIST (default
# tests/npm-corpus.list; GOCORE_NPM_LIST=tests/npm-holdout.list runs the
# held-out corpus; tests/npm-arch.list the other architectures),
# GOCORE_NPM_DIR (default cache/npm for npm-corpus.list, else
# cache/BASENAME-OF-THE-LIST, e.g. cache/npm-holdout, cache/npm-arch),
# GOCORE_E2E_JOBS (parallel crash runs, default nproc),
# GOCORE_CORE_METHOD, GOCORE_E2E_MIN_LISTED/_HEADER/_PARKED/_RUNNING,
# GOCORE_E2E_COMPARE_FLAGS (default --relay-stacks), GOCORE_E2E_TIMEOUT
# (seconds per gocore run, default 300).
set -u
set -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
GOCORE=${GOCORE:-build/gocore}
LIST=${GOCORE_NPM_LIST:-tests/npm-corpus.list}
export GOCORE_NPM_LIST="$LIST"
# cache/npm for npm-corpus.list, cache/npm-holdout for npm-holdout.list, ...
listbase=$(basename "$LIST" .list)
[ "$listbase" = npm-corpus ] && listbase=npm
NPM_DIR=${GOCORE_NPM_DIR:-cache/$listbase}
export GOCORE_NPM_DIR="$NPM_DIR"
# shellcheck source=tests/lib/runner.sh
. "$ROOT/tests/lib/runner.sh"

[ -f "$LIST" ] || { fail setup "no list file $LIST"; finish; }
all=()
while read -r n _; do
	case $n in ''|'#'*) continue ;; esac
	all+=("$n")
done <"$LIST"
if [ $# -gt 0 ]; then
	entries=("$@")
	for n in "${entries[@]}"; do
		printf '%s\n' "${all[@]}" | grep -qxF -- "$n" || { fail "$n" "not in $LIST"; finish; }
	done
else
	entries=("${all[@]}")
fi
[ ${#entries[@]} -gt 0 ] || { fail setup "$LIST lists no binaries"; finish; }
runner_check_tools

# ---- 1. fetch and crash everything (cached), in parallel --------------------
t0=$(date +%s)
echo "npm-e2e: fetching and crashing ${#entries[@]} binaries ($JOBS at a time; cached in $NPM_DIR)"
crash_all tests/npm-corpus.sh "$NPM_DIR" "${entries[@]}"
t1=$(date +%s)
echo "npm-e2e: fetch+crash took $((t1 - t0))s"

# ---- 2. gocore on every core ---------------------------------------------------
for n in "${entries[@]}"; do
	d="$NPM_DIR/$n"
	rc=$(cat "$d/crash.rc" 2>/dev/null || echo 1)
	if [ "$rc" != 0 ]; then
		fail "$n/crash" "tests/npm-corpus.sh $n failed:"
		tail -15 "$d/crash.log" | indent
		continue
	fi
	pass "$n/crash" "$(tail -1 "$d/crash.log" | sed 's/^npm-corpus.sh: [^:]*: //')"

	s=$(date +%s.%N)
	timeout "$TMO" "$GOCORE" goroutines "$d/core" "$d/exe" >"$d/out.txt" 2>"$d/gocore.err"
	rc=$?
	secs=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
	if [ "$rc" -eq 0 ]; then
		pass "$n/goroutines" "exit 0 in ${secs}s"
	else
		case $rc in
		124) why="timed out after ${TMO}s" ;;
		*) why="exit $rc" ;;
		esac
		first=$(head -1 "$d/gocore.err")
		fail "$n/goroutines" "$why: ${first:-(empty stderr)}"
		tail -n +2 "$d/gocore.err" | head -9 | indent
	fi

	# compare (also when gocore failed: the numbers say how far off it is)
	if out=$("$PY" tests/compare.py --name "$n" "${THRESHOLDS[@]}" "${EXTRA_FLAGS[@]}" "$d/oracle.txt" "$d/out.txt" 2>&1); then
		pass "$n/compare" "$(head -1 <<<"$out" | sed "s/^$n: //")"
	else
		fail "$n/compare" "$(head -1 <<<"$out" | sed "s/^$n: //")"
		tail -n +2 <<<"$out" | head -6 | indent
	fi
done
t2=$(date +%s)
echo "npm-e2e: fetch+crash $((t1 - t0))s, checks $((t2 - t1))s, total $((t2 - t0))s"
finish
