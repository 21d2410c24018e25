#!/bin/sh
# Builds the seed corpora of the fuzz targets under cache/fuzz/seeds/<target>/
# (git-ignored) from the real cores and executables that tests/e2e.sh leaves
# in cache/e2e*/NAME/{core,exe}:  make && tests/e2e.sh chans  gives one.
#
#   core:    the first 64 KiB of cores (ELF header, program headers, notes),
#            kernel- and gdb-written, PIE; and of a compacted core
#   exe:     the first 64 KiB of executables with their section headers,
#            .shstrtab and part of .symtab/.strtab appended (seedtool.py exe)
#   pclntab: .gopclntab of the test programs (go1.19, ~270 KiB), with 1.20
#            (magic 0xfffffff1) and 1.26 (textStart 0) variants
#   types:   [runtime.types, runtime.etypes) + .typelink, behind the
#            fuzz_types header (seedtool.py types)
#   walk:    cores of the chans program compacted by mincore.py (~0.5 MiB;
#            gocore prints the same dump from them, checked here) and
#            walk.exe, the stripped executable fuzz_walk reads them with
#   decompress: the core seeds (64 KiB slices) and the small whole cores of
#            walk, compressed by the zstd, lz4, xz and gzip CLIs (those
#            installed; a few option sets, concatenated frames or members,
#            truncated copies); kept when at most 256 KiB (fuzz_decompress's
#            -max_len)
set -eu
cd "$(dirname "$0")/.."
S=cache/fuzz/seeds
PY=${PYTHON:-python3}
rm -rf "$S"
mkdir -p "$S/core" "$S/exe" "$S/pclntab" "$S/types" "$S/walk" "$S/decompress"

found=0
for dir in cache/e2e*/*/; do
	[ -f "$dir/core" ] || continue
	found=1
	v=$(basename "$(dirname "$dir")"); n=$(basename "$dir")
	head -c 65536 "$dir/core" >"$S/core/$v.$n"
	if [ -f "$dir/exe" ]; then
		$PY fuzz/seedtool.py exe "$dir/exe" "$S/exe/$v.$n" 2>/dev/null || true
	fi
done
[ "$found" = 1 ] || { echo "fuzz/seeds.sh: no cores in cache/e2e*/ (run: make && tests/e2e.sh chans)" >&2; exit 1; }
for x in cache/e2e/*/exe.stripped cache/npm/*/exe; do
	[ -f "$x" ] || continue
	n=$(echo "$x" | tr / _)
	$PY fuzz/seedtool.py exe "$x" "$S/exe/$n" 2>/dev/null || true
done
# Identical inputs are one seed.
for d in core exe; do
	ls "$S/$d" | while read -r f; do
		[ -f "$S/$d/$f" ] || continue
		for g in "$S/$d"/*; do
			if [ "$g" != "$S/$d/$f" ] && cmp -s "$S/$d/$f" "$g"; then rm -f "$g"; fi
		done
	done
done

for n in chans demo; do
	exe=cache/e2e/$n/exe
	[ -f "$exe" ] || continue
	$PY fuzz/seedtool.py pclntab "$exe" "$S/pclntab/$n" $((512 * 1024))
	$PY fuzz/seedtool.py types "$exe" "$S/types/$n"
done

# fuzz_walk: the chans program (any program would do; one executable per
# target run).  Kernel and gdb cores of the same executable.
W=cache/e2e/chans
if [ -f "$W/core" ] && [ -f "$W/exe.stripped" ]; then
	cp "$W/exe.stripped" "$S/walk.exe"
	for c in "$W/core" cache/e2e-gdb/chans/core; do
		[ -f "$c" ] || continue
		cmp -s cache/e2e-gdb/chans/exe "$W/exe" || [ "$c" = "$W/core" ] || continue
		out="$S/walk/$(echo "$c" | cut -d/ -f2).chans"
		$PY fuzz/mincore.py "$c" "$out" 1
		if [ -x build/gocore ]; then
			build/gocore goroutines "$c" "$S/walk.exe" >"$S/full.txt" 2>/dev/null || true
			build/gocore goroutines "$out" "$S/walk.exe" >"$S/min.txt" 2>/dev/null || true
			cmp -s "$S/full.txt" "$S/min.txt" ||
				echo "fuzz/seeds.sh: note: gocore reads $out differently from $c" >&2
			rm -f "$S/full.txt" "$S/min.txt"
		fi
	done
else
	echo "fuzz/seeds.sh: no $W/{core,exe.stripped}: fuzz_walk has no seeds (run: tests/e2e.sh chans)" >&2
fi
# fuzz_decompress: compressed cores.  zc FORMAT OPTIONS... < in > out.
zc() {
	f=$1; shift
	case $f in
	zstd) zstd -q -c "$@" ;;
	lz4) lz4 -q -c "$@" ;;
	xz) xz -q -c "$@" ;;
	gzip) gzip -q -c "$@" ;;
	esac
}
Z=$S/decompress
fmts=""
for f in zstd lz4 xz gzip; do
	command -v "$f" >/dev/null 2>&1 && fmts="$fmts $f"
done
[ -n "$fmts" ] || echo "fuzz/seeds.sh: no zstd/lz4/xz/gzip CLI: fuzz_decompress has no seeds" >&2
# Each format's option sets: the default, then one with other header fields
# (checksums, content size, block sizes, levels).
alt_opts() {
	case $1 in
	zstd) echo "-19 --no-check" ;;
	lz4) echo "-9 -BD -B4 --content-size --no-frame-crc" ;;
	xz) echo "-1 --check=sha256" ;;
	gzip) echo "-1 -n" ;;
	esac
}
seen=" "
for src in "$S"/core/* "$S"/walk/*; do
	[ -f "$src" ] || continue
	case $src in
	"$S"/core/*)
		# One 64 KiB slice per kind of core (e2e, e2e-gdb, e2e-pie...).
		v=$(basename "$src"); v=${v%%.*}
		case $seen in *" $v "*) continue ;; esac
		seen="$seen$v " ;;
	esac
	b=$(basename "$(dirname "$src")").$(basename "$src")
	for f in $fmts; do
		zc "$f" <"$src" >"$Z/$b.$f"
		# shellcheck disable=SC2046
		zc "$f" $(alt_opts "$f") <"$src" >"$Z/$b.alt.$f"
	done
done
# Two frames/streams/members back to back, and truncated copies (the
# readers keep what decompressed before the damage).
for f in $fmts; do
	one=$(ls "$Z"/core.*."$f" 2>/dev/null | head -1)
	[ -n "$one" ] || continue
	cat "$one" "$one" >"$Z/concat.$f"
	n=$(wc -c <"$one")
	head -c $((n / 2)) "$one" >"$Z/trunc.$f"
	head -c $((n - 3)) "$one" >"$Z/trunc-tail.$f"
	cat "$one" >"$Z/garbage.$f"; printf 'not compressed' >>"$Z/garbage.$f"
done
for g in "$Z"/*; do
	[ -f "$g" ] || continue
	[ "$(wc -c <"$g")" -le 262144 ] || rm -f "$g"
done

for d in core exe pclntab types walk decompress; do
	printf '%-8s %3d files, %s\n' "$d" "$(ls "$S/$d" | wc -l)" "$(du -sh "$S/$d" | cut -f1)"
done
