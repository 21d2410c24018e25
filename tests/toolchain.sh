#!/usr/bin/env bash
# toolchain.sh VERSION — print the path of the `go` command of one of the
# Go toolchains the tests build with, getting it first when it is missing.
#
#   1.19   Debian's golang-1.19-go (/usr/lib/go-1.19/bin/go), go1.19.8;
#          installed with apt-get when run as root.
#   1.26   go1.26.8   } the machine's own `go` when it is that release,
#   1.27   go1.27.3   } else fetched through the Go module proxy by any Go
#                       1.21 or newer (GOTOOLCHAIN=go1.N.M go env GOROOT).
#
# The tests never use whichever `go` comes first on PATH: each names its
# toolchain and runs the binary this prints.  When a toolchain cannot be had
# this exits 1 with a message saying how to get it; callers fail, never skip.
#
# Environment: GOCORE_GO_BOOTSTRAP (a Go >= 1.21 to fetch 1.26/1.27 with;
# default: /usr/local/go/bin/go, else `go` on PATH).
set -u
prog=toolchain.sh
die() { echo "$prog: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $prog 1.19|1.26|1.27"
case $1 in
1.19) want=go1.19.8 ;;
1.26) want=go1.26.8 ;;
1.27) want=go1.27.3 ;;
*) die "unknown toolchain '$1' (the tests use 1.19, 1.26 and 1.27)" ;;
esac

# version_of GO: "go1.N.M" as the command reports itself, without switching.
version_of() { GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null; }

if [ "$1" = 1.19 ]; then
	go=/usr/lib/go-1.19/bin/go
	if [ ! -x "$go" ]; then
		if [ "$(id -u)" = 0 ]; then
			echo "$prog: installing Debian's golang-1.19-go" >&2
			export DEBIAN_FRONTEND=noninteractive
			{ apt-get update -qq && apt-get install -y -qq golang-1.19-go; } >&2 ||
				die "apt-get install golang-1.19-go failed"
		else
			die "Go 1.19 is missing: install it with: sudo apt-get install -y golang-1.19-go"
		fi
	fi
	v=$(version_of "$go")
	[ "$v" = "$want" ] || die "$go is $v, not $want (Debian bookworm's golang-1.19-go)"
	echo "$go"
	exit 0
fi

# 1.26 and 1.27: the machine's own go when it is exactly that release.
boot=${GOCORE_GO_BOOTSTRAP:-}
if [ -z "$boot" ]; then
	if [ -x /usr/local/go/bin/go ]; then boot=/usr/local/go/bin/go; else boot=$(command -v go 2>/dev/null || true); fi
fi
if [ -n "$boot" ] && [ "$(version_of "$boot")" = "$want" ]; then
	echo "$boot"
	exit 0
fi
how="install Go 1.21 or newer from https://go.dev/dl (the tests then fetch $want through the Go module proxy), or set GOCORE_GO_BOOTSTRAP to one"
[ -n "$boot" ] || die "$want is missing and there is no Go to fetch it with: $how"
bv=$(version_of "$boot")
case $bv in
go1.1[0-9]* | go1.20*) die "$want is missing and $boot ($bv) is too old to fetch it: $how" ;;
esac
# The module proxy serves each release as golang.org/toolchain; GOROOT names
# where the go command unpacked it (its module cache, kept across runs).
root=$(cd / && GOTOOLCHAIN=$want GOFLAGS= "$boot" env GOROOT 2>/dev/null) ||
	die "cannot fetch $want with $boot (GOTOOLCHAIN=$want go env GOROOT failed; is the Go module proxy reachable?)"
go="$root/bin/go"
[ -x "$go" ] || die "fetched $want, but $go is not there"
v=$(version_of "$go")
[ "$v" = "$want" ] || die "$go is $v, not $want"
echo "$go"
