#!/bin/sh
# commands.sh [commands_check.py options] — every gocore command and option
# checked against the runtime's own dumps in cache/e2e (run tests/e2e.sh
# first).  Installs Debian's panicparse when run as root and it is missing
# (otherwise the panicparse checks fail, saying so).  Set
# GOCORE_COMMANDS_VARIANTS=1 to also check cache/e2e-* (about 80 s).
# Last line: "N passed, M failed"; exit status 1 when M > 0.
set -u
cd "$(dirname "$0")/.." || exit 1
if ! command -v panicparse >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	echo "commands.sh: installing Debian package panicparse" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq panicparse >&2 ||
		{ apt-get update -qq >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq panicparse >&2; }
fi
# `go tool pprof` reads the profiles: Go 1.19's (tests/toolchain.sh).
go=$(tests/toolchain.sh 1.19) || exit 1
PATH="$(dirname "$go"):$PATH"
export PATH GOTOOLCHAIN=local
if [ "${GOCORE_COMMANDS_VARIANTS:-0}" = 1 ]; then
	set -- --variants "$@"
fi
exec "${PYTHON:-python3}" tests/commands_check.py "$@"
