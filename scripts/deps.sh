#!/bin/sh
# Checks (and as root installs) the Debian packages gocore needs.
#   deps.sh build   — what building gocore needs
#   deps.sh test    — also what the tests and the demo need
#   deps.sh fuzz    — what the fuzz targets need (clang, libFuzzer)
#   deps.sh package — what `make deb` and tests/packaging.sh need
set -eu
want="gcc make libelf-dev libdwarf-dev zlib1g-dev libzstd-dev liblz4-dev liblzma-dev"
case ${1:-build} in
test) want="$want libcmocka-dev golang-go python3 gdb binutils zstd lz4 xz-utils gzip time panicparse clang libclang-rt-14-dev llvm-14 qemu-user qemu-system-arm chromium" ;;
fuzz) want="$want clang libclang-rt-14-dev golang-go python3 binutils" ;;
package) want="$want dpkg-dev binutils gzip lintian mandoc" ;;
esac
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# The npm corpus (tests/npm-corpus.sh) needs an npm client, and the
# report's browser test (tests/report.sh) node; any will do.
if [ "${1:-build}" = test ] && ! command -v npm >/dev/null 2>&1; then
	missing="$missing npm"
fi
if [ "${1:-build}" = test ] && ! command -v node >/dev/null 2>&1; then
	missing="$missing nodejs"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "gocore: installing Debian packages:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || true
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >&2
else
	echo "gocore: missing Debian packages:$missing" >&2
	echo "gocore: install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
