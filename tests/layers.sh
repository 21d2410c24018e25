#!/bin/sh
# layers.sh — the layering check of the C sources.  Dependencies run one
# way: analyzer/ -> goruntime/ -> gopclntab/ -> common/.
#
#   common/     includes nothing from the other three
#   gopclntab/  includes only common/ (and itself)
#   goruntime/  includes only gopclntab/ and common/ (and itself)
#   analyzer/   anything
#
# A folder's tests/ (at any depth) may include its own layer and the lower
# ones.  The folders in TESTS_USING_ANALYZER may also include analyzer/:
# their tests open cores and executables through the analyzer's readers
# (the test harness).  Each file that does is listed as a note, not a
# violation.
#
# Every `#include "..."` line of every .c and .h under the four folders is
# resolved from the including file's directory, as the compiler does.  A
# path that climbs out of the source tree is a violation, and so is one
# that lands in the tree outside the four layers.  A name without a slash
# that is not next to the including file comes from the compiler's -I
# directories (libdwarf's headers) and is not checked.
#
# Prints each violation as
#   FILE:LINE: LAYER includes TARGET (layers run analyzer -> goruntime -> gopclntab -> common)
# then a summary line; exit status 1 when there is a violation.
set -u
cd "$(dirname "$0")/.." || exit 2

LAYERS="common gopclntab goruntime analyzer"
TESTS_USING_ANALYZER="goruntime/tests"

dirs=
for l in $LAYERS; do [ -d "$l" ] && dirs="$dirs $l"; done
[ -n "$dirs" ] || { echo "layers.sh: none of $LAYERS found" >&2; exit 2; }
# shellcheck disable=SC2086 # the four folder names
files=$(find $dirs -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort)
[ -n "$files" ] || { echo "layers.sh: no .c or .h files" >&2; exit 2; }

# shellcheck disable=SC2086 # file names of the tree: no spaces
awk -v layers="$LAYERS" -v tests_ok="$TESTS_USING_ANALYZER" '
function rank_of(name,   i) {
	for (i = 1; i <= nlayers; i++) if (layer[i] == name) return i
	return 0
}
function exists(path) { return system("test -f \"" path "\"") == 0 }
BEGIN {
	nlayers = split(layers, layer, " ")
	ntok = split(tests_ok, tok, " ")
	for (i = 1; i <= ntok; i++) analyzer_ok[tok[i]] = 1
	bad = 0; checked = 0
	rule = "(layers run analyzer -> goruntime -> gopclntab -> common)"
}
FNR == 1 {
	file = FILENAME
	np = split(file, part, "/")
	from = part[1]
	where = from
	for (i = 2; i < np; i++) if (part[i] == "tests") where = from "/tests"
	dir = file
	sub(/\/[^\/]*$/, "", dir)
}
/^[ \t]*#[ \t]*include[ \t]*"/ {
	inc = $0
	sub(/^[ \t]*#[ \t]*include[ \t]*"/, "", inc)
	sub(/".*/, "", inc)
	checked++
	if (inc ~ /^\//) {
		printf "%s:%d: %s includes the absolute path \"%s\"\n", file, FNR, where, inc
		bad++
		next
	}
	# resolve dir/inc, component by component
	n = split(dir "/" inc, c, "/")
	depth = 0
	out = 0
	for (i = 1; i <= n; i++) {
		if (c[i] == "" || c[i] == ".") continue
		if (c[i] == "..") {
			if (depth == 0) { out = 1; break }
			depth--
			continue
		}
		s[++depth] = c[i]
	}
	if (out) {
		printf "%s:%d: %s includes \"%s\", which climbs out of the source tree\n", file, FNR, where, inc
		bad++
		next
	}
	target = s[1]
	for (i = 2; i <= depth; i++) target = target "/" s[i]
	if (inc !~ /\// && !exists(target)) next   # from the -I directories
	to = s[1]
	rfrom = rank_of(from)
	rto = depth > 1 ? rank_of(to) : 0
	if (rto == 0) {
		printf "%s:%d: %s includes %s, outside the layers %s\n", file, FNR, where, target, rule
		bad++
		next
	}
	if (rto <= rfrom) next
	if (where != from && to == "analyzer" && (where in analyzer_ok)) {
		if (!((file, target) in seen))
			harness[file] = harness[file] " " substr(target, length("analyzer/") + 1)
		seen[file, target] = 1
		next
	}
	printf "%s:%d: %s includes %s %s\n", file, FNR, where, target, rule
	bad++
}
END {
	nfiles = ARGC - 1
	fflush()
	for (f in harness) nh++
	if (nh) {
		# sorted, for a stable output
		cmd = "LC_ALL=C sort"
		for (f in harness) printf "note: %s includes analyzer/ (test harness):%s\n", f, harness[f] | cmd
		close(cmd)
	}
	printf "layers.sh: %d files, %d includes, %d violations\n", nfiles, checked, bad
	exit bad > 0
}
' $files
