#!/bin/bash
# Checks what gocore installs besides its binary (make package-test, part of
# make test): the man page (mandoc's lint; every command and option of
# `gocore --help` documented), `make deb` and lintian, the .deb's contents,
# `make install`, and the bash completion.  Prints a PASS or FAIL line per
# check and exits 1 if any failed; a check whose tool is missing fails.
#   GOCORE=build/gocore tests/packaging.sh
set -u
cd "$(dirname "$0")/.."
gocore=${GOCORE:-build/gocore}
make=${MAKE:-make}
passed=0 failed=0
pass() {
	echo "PASS: $*"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}
indent() { sed 's/^/    /'; }

# Installs the tools as root; otherwise says which apt-get line to run.
scripts/deps.sh package || echo "packaging: the checks that need the missing packages fail"
have() { command -v "$1" >/dev/null 2>&1; }

mkdir -p cache
scratch=$(mktemp -d cache/packaging.XXXXXX) || exit 1
trap 'rm -rf "$scratch"' EXIT

# (a) The man page is lint-free.
if ! have mandoc; then
	fail "mandoc -T lint docs/gocore.1: mandoc is not installed"
else
	out=$(mandoc -T lint docs/gocore.1 2>&1)
	rc=$?
	if [ $rc = 0 ] && [ -z "$out" ]; then
		pass "mandoc -T lint docs/gocore.1 prints nothing"
	else
		fail "mandoc -T lint docs/gocore.1 (exit $rc):"
		printf '%s\n' "$out" | indent
	fi
fi

# (b) The man page documents every command and option gocore's usage
# texts list: each command as an item of COMMANDS, each option as an item
# of OPTIONS (an indented line that starts with it).
section() { # prints the rendered section $1
	awk -v s="$1" '/^[A-Z]/ { on = ($0 == s) } on' "$scratch/gocore.txt"
}
if ! have mandoc; then
	fail "man page coverage of gocore --help: mandoc is not installed"
elif ! "$gocore" --help >"$scratch/help" 2>&1; then
	fail "man page coverage: $gocore --help failed"
else
	mandoc -T ascii docs/gocore.1 | sed 's/.\x08//g' >"$scratch/gocore.txt"
	section COMMANDS >"$scratch/commands.txt"
	section OPTIONS >"$scratch/options.txt"
	cmds=$(awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' "$scratch/help")
	for c in $cmds; do "$gocore" "$c" --help; done >>"$scratch/help" 2>&1
	# Options are what an option list's line starts with, or what a usage
	# line has in brackets (not what prose mentions, as "coredumpctl's
	# --debugger").
	opts=$({
		grep -oE -- '^ +(-[a-z], +)?--[a-z][a-z-]*' "$scratch/help"
		grep -E '^(usage: | +\[)' "$scratch/help" | grep -oE -- '\[--[a-z][a-z-]*'
	} | grep -oE -- '--[a-z][a-z-]*' | sort -u)
	shorts=$(grep -oE -- '^ +-[a-z], --[a-z-]+' "$scratch/help" | sed 's/^ *//' | sort -u)
	missing=
	[ -n "$cmds" ] && [ -n "$opts" ] || missing=" (nothing parsed from gocore --help)"
	for c in $cmds report; do
		grep -qE "^ {7}$c( |\$)" "$scratch/commands.txt" || missing="$missing command:$c"
	done
	for o in $opts --color --core; do
		grep -qE -- "^ {7}(-[a-z], )?$o([ =]|\$)" "$scratch/options.txt" || missing="$missing $o"
	done
	while read -r s; do
		[ -z "$s" ] || grep -qE -- "^ {7}$s([ =]|\$)" "$scratch/options.txt" || missing="$missing '$s'"
	done <<<"$shorts"
	grep -qE -- '^ {7}-c, --core core' "$scratch/options.txt" || missing="$missing '-c, --core'"
	section ENVIRONMENT | grep -q '^ \{7\}NO_COLOR' || missing="$missing ENVIRONMENT:NO_COLOR"
	for s in "EXIT STATUS" EXAMPLES "SEE ALSO" "JSON OUTPUT"; do
		grep -qx "$s" "$scratch/gocore.txt" || missing="$missing section:'$s'"
	done
	if [ -z "$missing" ]; then
		pass "man page documents the $(echo $cmds | wc -w) commands and $(echo $opts | wc -w) long options of gocore --help, and report, --color, -c/--core, NO_COLOR"
	else
		fail "man page lacks:$missing"
	fi
fi

# (c) make deb builds a package lintian finds no error in.
deb=
for t in dpkg-deb dpkg-shlibdeps lintian mandoc strip; do
	have $t || { fail "make deb: $t is not installed"; deb=none; }
done
if [ -z "$deb" ]; then
	if $make -s deb >"$scratch/deb.log" 2>&1; then
		deb=$(tail -n 1 "$scratch/deb.log")
	fi
	if [ -n "$deb" ] && [ -f "$deb" ]; then
		pass "make deb built $deb"
		lintian "$deb" >"$scratch/lintian.log" 2>&1
		rc=$?
		echo "lintian $deb:"
		indent <"$scratch/lintian.log"
		if grep -q '^E:' "$scratch/lintian.log"; then
			fail "lintian reports errors (E:)"
		elif [ $rc != 0 ]; then
			fail "lintian exited $rc"
		else
			pass "lintian reports no error"
		fi
	else
		fail "make deb:"
		indent <"$scratch/deb.log"
		deb=
	fi
fi

# (d) The package's files, its binary's version and its Depends.
if [ -n "$deb" ] && [ "$deb" != none ]; then
	dpkg -x "$deb" "$scratch/x"
	want="gocore $(git describe --always --dirty)"
	got=$("$scratch/x/usr/bin/gocore" --version 2>&1)
	if [ "$got" = "$want" ]; then
		pass "the packaged gocore --version prints '$got'"
	else
		fail "the packaged gocore --version prints '$got', not '$want'"
	fi
	version=$(dpkg-deb -f "$deb" Version)
	hash=$(git rev-parse --short HEAD)
	case $version in
	*"$hash"* | [0-9]*-1) pass "package version $version" ;;
	*) fail "package version $version does not name commit $hash" ;;
	esac
	dpkg -c "$deb" | awk '{ print $6 }' >"$scratch/contents"
	for f in ./usr/bin/gocore ./usr/share/man/man1/gocore.1.gz \
		./usr/share/bash-completion/completions/gocore \
		./usr/share/doc/gocore/copyright ./usr/share/doc/gocore/changelog.Debian.gz; do
		if grep -qx "$f" "$scratch/contents"; then
			pass "package holds $f"
		else
			fail "package lacks $f"
		fi
	done
	if gzip -dc "$scratch/x/usr/share/man/man1/gocore.1.gz" | cmp -s - docs/gocore.1 &&
		cmp -s "$scratch/x/usr/share/bash-completion/completions/gocore" completion/gocore.bash; then
		pass "packaged man page and completion are docs/gocore.1 and completion/gocore.bash"
	else
		fail "packaged man page or completion differs from the source tree's"
	fi
	depends=$(dpkg-deb -f "$deb" Depends)
	missing=
	for p in libc6 libdwarf1 libelf1 libzstd1 liblz4-1 liblzma5 zlib1g; do
		case ", $depends," in *", $p "*) ;; *) missing="$missing $p" ;; esac
	done
	if [ -z "$missing" ]; then
		pass "Depends: $depends"
	else
		fail "Depends lacks$missing: $depends"
	fi
fi

# (e) make install puts the binary, the man page and the completion under
# DESTDIR and PREFIX.
inst=$PWD/$scratch/inst
if $make -s install DESTDIR="$inst" PREFIX=/usr/local >"$scratch/install.log" 2>&1; then
	ok=1
	for f in bin/gocore share/man/man1/gocore.1 share/bash-completion/completions/gocore; do
		[ -f "$inst/usr/local/$f" ] || {
			fail "make install DESTDIR=... PREFIX=/usr/local did not install $f"
			ok=
		}
	done
	[ -z "$ok" ] || ! "$inst/usr/local/bin/gocore" --version >/dev/null ||
		! cmp -s "$inst/usr/local/share/man/man1/gocore.1" docs/gocore.1 ||
		! cmp -s "$inst/usr/local/share/bash-completion/completions/gocore" completion/gocore.bash ||
		ok=2
	if [ "$ok" = 2 ]; then
		pass "make install DESTDIR=... PREFIX=/usr/local installs bin/gocore, share/man/man1/gocore.1, share/bash-completion/completions/gocore"
	elif [ -n "$ok" ]; then
		fail "make install: an installed file differs from its source, or gocore --version failed"
	fi
else
	fail "make install DESTDIR=... PREFIX=/usr/local:"
	indent <"$scratch/install.log"
fi

# (f) The bash completion, called as bash calls it: COMP_WORDS split at
# COMP_WORDBREAKS (so --color=al is "--color" "=" "al"), COMP_CWORD.
mkdir -p "$scratch/files/sub"
touch "$scratch/files/core.1234" "$scratch/files/core.zst" "$scratch/files/exe" \
	"$scratch/files/libgo.so" "$scratch/files/out.pb.gz"
if ! have bash; then
	fail "bash completion: bash is not installed"
else
	(cd "$scratch/files" && bash --norc --noprofile -s "$OLDPWD/completion/gocore.bash") >"$scratch/completion.log" 2>&1 <<'EOF'
source "$1" || { echo "FAIL: bash completion: sourcing $1"; exit 1; }
failed=0
# expect WANT WORD...: the completions of the last word, sorted, must be WANT.
expect() {
	local want=$1
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_gocore
	local got
	got=$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | paste -sd ' ')
	if [ "$got" = "$want" ]; then
		echo "PASS: bash completion of '$*': $want"
	else
		echo "FAIL: bash completion of '$*': got '$got', want '$want'"
		failed=1
	fi
}
complete -p gocore | grep -q -- '-F _gocore' || { echo "FAIL: bash completion: gocore not registered"; failed=1; }
expect "goroutines leaks overview pprof report stack summary threads waits" gocore ""
expect "summary" gocore su
expect "--version" gocore --ver
expect "--group-by" gocore summary --gr
expect "label=" gocore summary --group-by ""
expect "always auto never" gocore goroutines --color = ""
expect "always" gocore stack --color = al
expect "always auto never" gocore summary --color ""
expect "--json" gocore --color never goroutines --j
expect "--color=never" gocore leaks --color=n
expect "--color=" gocore summary --col
expect "" gocore overview --col
expect "--state" gocore --json goroutines --st
expect "--group-by" gocore --state running summary --gr
expect "--color= --core" gocore summary --group-by label = worker --c
expect "" gocore summary --group-by label = ""
expect "" gocore goroutines --match ""
expect "" gocore goroutines --min-wait ""
expect "--core --force --help --json --lib" gocore overview --
expect "--core --force --help --json --lib --verbose" gocore threads --
expect "--core --force --help --lib --output" gocore report --
expect "--summary" gocore leaks --su
expect "" gocore summary --su
expect "out.pb.gz" gocore pprof -o ou
expect "out.pb.gz" gocore report --output = ou
expect "core.1234 core.zst" gocore goroutines co
expect "exe" gocore goroutines core.1234 e
expect "core.1234" gocore goroutines -c core.1
expect "core.1234" gocore goroutines --core core.1
expect "libgo.so" gocore waits --lib li
expect "libgo.so" gocore --lib = li
expect "--json" gocore --lib = libgo.so goroutines --j
expect "" gocore stack ""
expect "core.1234" gocore stack 7 core.1
expect "sub" gocore summary s
exit $failed
EOF
	rc=$?
	cat "$scratch/completion.log"
	passed=$((passed + $(grep -c '^PASS' "$scratch/completion.log")))
	failed=$((failed + $(grep -c '^FAIL' "$scratch/completion.log")))
	if [ $rc != 0 ] && ! grep -q '^FAIL' "$scratch/completion.log"; then
		fail "bash completion test exited $rc"
	fi
fi

echo "packaging: $passed passed, $failed failed"
[ $failed = 0 ]
