#!/usr/bin/env python3
"""A stand-in for build/gocore that tests the e2e harness, not gocore: it
answers from the oracle.txt next to the core instead of reading the core.

  GOCORE=tests/oracle_echo.py tests/e2e.sh    # must report 0 failed

usage: oracle_echo.py goroutines CORE [EXE] | stack GOID CORE EXE  (--lib PATH is ignored)
Prints each goroutine's first block from the oracle in goid order (goid 0
dropped), blank line between goroutines; exit 2 for an unknown goid.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402


def main(argv):
    # Options that take a value (--lib PATH) name no core: drop them.
    args = []
    skip = False
    for a in argv:
        if skip:
            skip = False
        elif a == '--lib':
            skip = True
        elif not a.startswith('--lib='):
            args.append(a)
    argv = args
    if len(argv) < 2 or argv[0] not in ('goroutines', 'stack'):
        sys.stderr.write(__doc__)
        return 1
    core = argv[1] if argv[0] == 'goroutines' else (argv[2] if len(argv) > 2 else '')
    oracle = os.path.join(os.path.dirname(os.path.abspath(core)), 'oracle.txt')
    try:
        with open(oracle, errors='replace') as f:
            blocks = compare.first_blocks(compare.parse(f.read()))
    except OSError as e:
        sys.stderr.write('oracle_echo: %s\n' % e)
        return 2
    if argv[0] == 'goroutines':
        sys.stdout.write('\n\n'.join('\n'.join(blocks[g].raw) for g in sorted(blocks)) + '\n')
        return 0
    try:
        b = blocks[int(argv[1])]
    except (KeyError, ValueError):
        sys.stderr.write('oracle_echo: no goroutine %s in %s\n' % (argv[1], core))
        return 2
    sys.stdout.write('\n'.join(b.raw) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
