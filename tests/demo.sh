#!/usr/bin/env bash
# demo.sh — `make demo`: crash a small Go service and show what gocore
# recovers from its core dump.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
GOCORE=${GOCORE:-build/gocore}
export GOCORE_E2E_DIR=${GOCORE_E2E_DIR:-cache/e2e}
d="$GOCORE_E2E_DIR/demo"

[ -x "$GOCORE" ] || { echo "demo: $GOCORE is missing; build it with: make" >&2; exit 1; }
tests/crash.sh demo 2>&1 || { echo "demo: could not build and crash testdata/demo" >&2; exit 1; }

cat <<TXT

==============================================================================
 gocore demo
==============================================================================
testdata/demo/main.go is a small order service: three workers take orders
from a channel, an auditor waits for the ledger's mutex, a metrics flusher
sleeps. Order 3 has no Items map, so the worker that gets it panics:

    $(grep -m1 '^panic:' "$d/oracle.txt")

It ran with GOTRACEBACK=crash, so the Go runtime printed every goroutine's
stack to stderr ($d/oracle.txt) and the kernel wrote a core dump
($d/core, $(du -h "$d/core" | cut -f1) on disk).

gocore reads only the core and the executable -- no live process -- and
prints the same dump the runtime printed: one block per
goroutine, in goid order, with its state ([chan receive], [semacquire],
[sleep], [running] for the goroutine that panicked), its frames
(function(args) then file:line +pc offset) and where it was created.

\$ $GOCORE goroutines $d/core $d/exe
------------------------------------------------------------------------------
TXT
"$GOCORE" goroutines "$d/core" "$d/exe" | tee "$d/out.txt"
rc=${PIPESTATUS[0]}
echo "------------------------------------------------------------------------------"
case $rc in
0) echo "gocore exit status 0 (complete)." ;;
3) echo "gocore exit status 3: printed, but some goroutines or frames could not be recovered." ;;
*) echo "gocore exit status $rc." ;;
esac
echo
echo "Compare with what the runtime printed itself:"
python3 tests/compare.py --name demo "$d/oracle.txt" "$d/out.txt"
echo "(less $d/oracle.txt to read the runtime's own dump; gocore stack GOID core exe prints one goroutine)"
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]
