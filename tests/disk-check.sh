#!/bin/sh
# disk-check.sh GB — fails early when the disk holding cache/ cannot take
# what a cold `make test` writes there (about GB gigabytes: the programs,
# their cores, the npm corpus, the kernel images), less what cache/ holds
# already.  A full disk otherwise shows up half an hour later as checks
# failing with exit 4 (output could not be written).
set -eu
cd "$(dirname "$0")/.."
need_kb=$(( ${1:-16} * 1024 * 1024 ))
mkdir -p cache
have_kb=$(du -sk cache 2>/dev/null | cut -f1)
avail_kb=$(df -Pk cache | awk 'NR == 2 { print $4 }')
want_kb=$(( need_kb - have_kb ))
if [ "$want_kb" -gt 0 ] && [ "$avail_kb" -lt "$want_kb" ]; then
	echo "FAIL disk: make test needs about $((want_kb / 1048576)) GB more in cache/ ($((have_kb / 1048576)) GB there of about $((need_kb / 1048576)) GB), and only $((avail_kb / 1048576)) GB are free on its disk" >&2
	exit 1
fi
echo "PASS disk: $((avail_kb / 1048576)) GB free, cache/ holds $((have_kb / 1048576)) GB of the about $((need_kb / 1048576)) GB make test writes"
