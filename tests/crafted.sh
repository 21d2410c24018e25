#!/bin/sh
# crafted.sh — gocore on inputs crafted the way an attacker would, built at
# test time from a real core of tests/e2e.sh (cache/e2e/chans, and
# cache/e2e-go1.27/chans when it is there) into cache/crafted/ (never
# committed):
#   frames        a goroutine's stack pointed at 1 GiB of one return address
#                 (1,024 PT_LOADs sharing one 1 MiB chunk); every parked
#                 goroutine at it; 4 GiB on a Go 1.21+ core (the walk bound)
#   allm          allm made cyclic, with 60,000 threads
#   phdrs         60,000 and 300,000 (PN_XNUM) PT_LOADs in descending order
#   bomb          a zstd bomb behind a real core's headers (200 GB), and one
#                 that is not a core
#   pprof-onto-*  pprof -o onto the core and the executable (also through a
#                 hard and a symbolic link), and onto /dev/full
#   nostack       a goroutine whose stack is not in the core, JSON and text
#   note          a note with an absurd descsz
#   stdout-*      a full disk and a closed pipe on stdout; --force with
#                 another build
# Each run checks the exit code, a message on stderr, no sanitizer report,
# wall time (GOCORE_CRAFTED_TIME, default 10 s), peak RSS (300 MB), output
# (50 MB), the temporary directory (64 MB), and that the input files are
# unchanged.  Last line: "N passed, M failed".  See tests/crafted.py.
#
# Environment: GOCORE (default build/gocore), GOCORE_E2E_DIR (cache/e2e),
# GOCORE_CRAFTED_DIR (cache/crafted).
set -eu
cd "$(dirname "$0")/.."
exec python3 tests/crafted.py suite --gocore "${GOCORE:-build/gocore}" \
	--e2e "${GOCORE_E2E_DIR:-cache/e2e}" --work "${GOCORE_CRAFTED_DIR:-cache/crafted}" \
	--time "${GOCORE_CRAFTED_TIME:-10}" "$@"
