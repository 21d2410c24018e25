#!/bin/sh
# snapshot-diff.sh — the refactor's acceptance check: every output of
# gocore on every test core is byte-identical before and after a change.
#
#   tests/snapshot-diff.sh [BEFORE]      snapshot build/gocore (or $GOCORE) into
#                                        AFTER, then compare it with BEFORE
#   tests/snapshot-diff.sh --compare A B compare two snapshots, run nothing
#
# BEFORE defaults to cache/snapshot/before, made once with the build before
# the change:  GOCORE=OLD-BUILD tests/snapshot.sh cache/snapshot/before.
# AFTER is GOCORE_SNAPSHOT_AFTER (default cache/snapshot/after), removed and
# made again on each run.  Files are compared byte for byte, except the
# pprof profiles (*.gz), which are compared after gzip -dc.  Prints the
# files that differ or exist on one side only, the first lines of the first
# differences, and a last line "N files compared, M differ, K only in A,
# L only in B".  Exit status 0 when identical, 1 otherwise, 2 on usage or
# snapshot errors.  A differing `inputs` file means the core or executable
# under cache/ changed since A was made (a crash run again: GOCORE_RECRASH=1,
# a changed testdata program, or tests/npm-e2e.sh after tests/npm-corpus.sh
# changed): make A again with the old build before blaming the change.
set -u

usage() {
	echo "usage: tests/snapshot-diff.sh [BEFORE] | --compare A B" >&2
	exit 2
}

ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 2
if [ "${1:-}" = --compare ]; then
	[ $# -eq 3 ] || usage
	A=$2
	B=$3
else
	[ $# -le 1 ] || usage
	case ${1:-} in -*) usage ;; esac
	A=${1:-$ROOT/cache/snapshot/before}
	B=${GOCORE_SNAPSHOT_AFTER:-$ROOT/cache/snapshot/after}
	[ -d "$A" ] || { echo "snapshot-diff.sh: no snapshot $A (make it with the old build: GOCORE=OLD tests/snapshot.sh $A)" >&2; exit 2; }
	if [ -d "$B" ] && [ -n "$(ls -A "$B")" ] && [ -z "$(find "$B" -mindepth 3 -maxdepth 3 -name inputs | head -1)" ]; then
		echo "snapshot-diff.sh: $B is not a snapshot; not removing it" >&2
		exit 2
	fi
	rm -rf "$B"
	"$ROOT/tests/snapshot.sh" "$B" || { echo "snapshot-diff.sh: tests/snapshot.sh $B failed" >&2; exit 2; }
fi
for d in "$A" "$B"; do
	[ -d "$d" ] || { echo "snapshot-diff.sh: $d is not a directory" >&2; exit 2; }
done

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
(cd "$A" && find . -type f | sort) >"$tmp/a"
(cd "$B" && find . -type f | sort) >"$tmp/b"
comm -23 "$tmp/a" "$tmp/b" >"$tmp/only-a"
comm -13 "$tmp/a" "$tmp/b" >"$tmp/only-b"
comm -12 "$tmp/a" "$tmp/b" >"$tmp/both"

: >"$tmp/differ"
gzonly=0
while read -r f; do
	case $f in
	*.gz)
		gzip -dc "$A/$f" >"$tmp/ga" 2>/dev/null || echo "(gzip -dc failed)" >>"$tmp/ga"
		gzip -dc "$B/$f" >"$tmp/gb" 2>/dev/null || echo "(gzip -dc failed)" >>"$tmp/gb"
		if ! cmp -s "$tmp/ga" "$tmp/gb"; then
			echo "$f" >>"$tmp/differ"
		elif ! cmp -s "$A/$f" "$B/$f"; then
			gzonly=$((gzonly + 1))
		fi
		;;
	*) cmp -s "$A/$f" "$B/$f" || echo "$f" >>"$tmp/differ" ;;
	esac
done <"$tmp/both"

compared=$(wc -l <"$tmp/both")
ndiff=$(wc -l <"$tmp/differ")
nonlya=$(wc -l <"$tmp/only-a")
nonlyb=$(wc -l <"$tmp/only-b")
grep '/inputs$' "$tmp/differ" | sed 's|^\./\(.*\)/inputs$|inputs changed: \1|'
grep -v '/inputs$' "$tmp/differ" >"$tmp/differ-out"
sed 's|^\./|only in A: |' "$tmp/only-a" | head -20
[ "$nonlya" -le 20 ] || echo "... and $((nonlya - 20)) more only in A"
sed 's|^\./|only in B: |' "$tmp/only-b" | head -20
[ "$nonlyb" -le 20 ] || echo "... and $((nonlyb - 20)) more only in B"
sed 's|^\./|differs:   |' "$tmp/differ-out" | head -40
n=$(wc -l <"$tmp/differ-out")
[ "$n" -le 40 ] || echo "... and $((n - 40)) more differ"
# the first lines of the first three differences (long lines cut)
head -3 "$tmp/differ-out" | while read -r f; do
	echo "== diff A/${f#./} B/${f#./}"
	case $f in
	*.gz) echo "    (the decompressed profiles differ)" ;;
	*) diff "$A/$f" "$B/$f" | head -12 | cut -c1-160 | sed 's/^/    /' ;;
	esac
done
if grep -q '/inputs$' "$tmp/differ"; then
	echo "note: inputs changed: the core or executable under cache/ was made again since A, so those outputs cannot be compared; make A again with the old build"
fi
[ "$gzonly" -eq 0 ] || echo "note: $gzonly profiles differ only in their gzip bytes (same content)"
echo "A: $A"
echo "B: $B"
echo "$compared files compared, $ndiff differ, $nonlya only in A, $nonlyb only in B"
[ "$ndiff" -eq 0 ] && [ "$nonlya" -eq 0 ] && [ "$nonlyb" -eq 0 ]
