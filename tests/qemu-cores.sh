#!/usr/bin/env bash
# qemu-cores.sh ARCH [NAME...] — crash the testdata programs (those with an
# e2e.spec, or the NAMEs) cross-built for ARCH (arm64, riscv64, loong64)
# under qemu-user, and check the cores and oracles.  Runs no gocore: this
# makes the inputs of the other architectures' end-to-end tests.
#
# Each program goes through `GOCORE_ARCH=ARCH tests/crash.sh NAME` (see
# there: GOARCH=ARCH CGO_ENABLED=0, qemu from tests/qemu.sh, cached) into
# cache/e2e-ARCH-goVERSION/NAME/ (GOCORE_E2E_DIR overrides), its output in
# crash.log and its exit status in crash.rc, GOCORE_E2E_JOBS at a time.
# Then for each crashed program:
#   core     an ELF core of ARCH's machine (e_machine 183 aarch64, 243
#            riscv, 258 loongarch) with at least one NT_PRSTATUS note
#   oracle   at least one "goroutine N [" block (crash.sh has checked the
#            spec's expect lines)
# PASS lines say the threads (NT_PRSTATUS notes), the notes in file order,
# the goroutine blocks and the seconds the build and crash took.  A program
# that needs cgo, or a toolchain its spec leaves out, is N/A (crash.sh's
# exit 77).  The last line is "N passed, M failed"; exit 1 when M > 0.
#
# Environment: GOCORE_GO (toolchain: 1.19, the default, 1.26 or 1.27),
# GOCORE_E2E_DIR, GOCORE_E2E_JOBS, GOCORE_QEMU (tests/qemu.sh),
# GOCORE_RECRASH=1, GOCORE_CRASH_TIMEOUT.  Needs readelf (binutils).
set -u
set -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
[ $# -ge 1 ] || { echo "usage: qemu-cores.sh arm64|riscv64|loong64 [NAME...]" >&2; exit 2; }
arch=$1
shift
case $arch in
arm64) machine=183 ;;
riscv64) machine=243 ;;
loong64) machine=258 ;;
*) echo "qemu-cores.sh: unknown architecture '$arch' (arm64, riscv64 or loong64)" >&2; exit 2 ;;
esac
export GOCORE_ARCH=$arch
export GOCORE_GO=${GOCORE_GO:-1.19}
E2E_DIR=${GOCORE_E2E_DIR:-cache/e2e-$arch-go$GOCORE_GO}
export GOCORE_E2E_DIR="$E2E_DIR"
GOCORE=/nonexistent # runner.sh wants it set; nothing here runs gocore
# shellcheck source=tests/lib/runner.sh
. "$ROOT/tests/lib/runner.sh"

testdata_programs "$@"
command -v readelf >/dev/null || { fail setup "readelf not found (Debian: binutils)"; finish; }
# the emulator, fetched once here rather than by parallel crash runs
q=$(tests/qemu.sh "$arch") || { fail setup "no qemu-user for $arch (see the message above)"; finish; }

t0=$(date +%s)
echo "qemu-cores: ${#programs[@]} programs for $arch, Go $GOCORE_GO, under $q ($JOBS at a time; cached in $E2E_DIR)"
# crash_all, timed: DIR/NAME/crash.secs holds the seconds the build and
# crash took (about 0 when cached)
for n in "${programs[@]}"; do mkdir -p "$E2E_DIR/$n"; done
printf '%s\n' "${programs[@]}" | xargs -P "$JOBS" -I{} sh -c '
	s=$(date +%s.%N)
	tests/crash.sh "$1" >"$2/$1/crash.log" 2>&1
	echo $? >"$2/$1/crash.rc"
	awk -v a="$s" -v b="$(date +%s.%N)" "BEGIN{printf \"%.1f\n\", b-a}" >"$2/$1/crash.secs"' _ {} "$E2E_DIR"
echo "qemu-cores: build+crash took $(($(date +%s) - t0))s"

for n in "${programs[@]}"; do
	d="$E2E_DIR/$n"
	rc=$(cat "$d/crash.rc" 2>/dev/null || echo 1)
	if [ "$rc" = 77 ]; then
		echo "N/A  $n: $(tail -1 "$d/crash.log" | sed 's/^crash.sh: [^:]*: //')"
		continue
	fi
	if [ "$rc" != 0 ]; then
		fail "$n/crash" "GOCORE_ARCH=$arch tests/crash.sh $n failed:"
		tail -15 "$d/crash.log" | indent
		continue
	fi
	m=$(od -An -tu2 -j18 -N2 "$d/core" | tr -d ' ')
	notes=$(readelf -n "$d/core" 2>/dev/null | awk '$1 == "CORE" || $1 == "LINUX" { print $3 }')
	threads=$(grep -c '^NT_PRSTATUS$' <<<"$notes")
	order=$(uniq -c <<<"$notes" | awk '{ printf "%s%s%s", sep, $2, ($1 > 1 ? "x" $1 : ""); sep = "," }')
	blocks=$(grep -cE '^goroutine [0-9]+ ' "$d/oracle.txt")
	if [ "$m" != "$machine" ]; then
		fail "$n/core" "$d/core: e_machine $m, not $machine ($arch)"
	elif [ "$threads" -lt 1 ]; then
		fail "$n/core" "$d/core: no NT_PRSTATUS note (readelf -n: ${order:-none})"
	elif [ "$blocks" -lt 1 ]; then
		fail "$n/oracle" "$d/oracle.txt has no goroutine blocks"
	else
		pass "$n" "$threads threads, notes $order, $blocks goroutine blocks, core $(du -h "$d/core" | cut -f1), $(cat "$d/crash.secs" 2>/dev/null)s"
	fi
done
finish
