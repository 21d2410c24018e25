#!/usr/bin/env bash
# e2e-variants.sh — the end-to-end checks on the testdata programs built
# three more ways: stripped (-ldflags='-s -w'), PIE (-buildmode=pie), and
# stripped with the section headers removed.  Each variant has its own cache
# (cache/e2e-VARIANT for Go 1.19, cache/e2e-go1.N-VARIANT for GOCORE_GO=1.N).  The one-minute `minutes` program is left out here:
# its build flags do not change what it checks.  Last line: N passed, M failed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
programs=()
for s in testdata/*/e2e.spec; do
	n=$(basename "$(dirname "$s")")
	[ "$n" = minutes ] || programs+=("$n")
done
passed=0
failed=0
gover=${GOCORE_GO:-1.19}
case $gover in 1.19) cache=cache/e2e ;; *) cache=cache/e2e-go$gover ;; esac
for v in stripped pie nosections; do
	echo "== variant $v (Go $gover)"
	out=$(GOCORE_GO=$gover GOCORE_BUILD_VARIANT=$v GOCORE_E2E_DIR=$cache-$v tests/e2e.sh "${programs[@]}" 2>&1)
	grep -E '^(FAIL|    )' <<<"$out"
	last=$(tail -1 <<<"$out")
	echo "$v: $last"
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
	else
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
