#!/usr/bin/env python3
"""Self-test of tests/compare.py: an oracle compared with itself must score
100% everywhere, and deliberately mutated copies must fail (or pass) with
the right message.

usage: compare_selftest.py ORACLE_DIR
  ORACLE_DIR holds NAME/oracle.txt as left by tests/crash.sh (cache/e2e);
  uses the 'chans' (nil deref in main), 'threads' (spinners, relayed
  stacks, goroutine 0 blocks) and 'many' (10,000 goroutines) oracles.
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, 'compare.py')
STRICT = ['--min-listed', '100', '--min-header', '100', '--min-parked', '99', '--min-running', '100']

failures = 0
passes = 0


def run(oracle_text, mine_text, extra=()):
    with tempfile.TemporaryDirectory() as d:
        o = os.path.join(d, 'oracle.txt')
        m = os.path.join(d, 'mine.txt')
        with open(o, 'w') as f:
            f.write(oracle_text)
        with open(m, 'w') as f:
            f.write(mine_text)
        p = subprocess.run([sys.executable, COMPARE, '--name', 'selftest'] + STRICT + list(extra) + [o, m],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        return p.returncode, p.stdout


def check(label, oracle_text, mine_text, want_rc, want_out=(), extra=()):
    global failures, passes
    rc, out = run(oracle_text, mine_text, extra)
    bad = []
    if rc != want_rc:
        bad.append('exit %d, want %d' % (rc, want_rc))
    for pat in want_out:
        if not re.search(pat, out, re.M):
            bad.append('output lacks /%s/' % pat)
    if bad:
        failures += 1
        print('FAIL %s: %s\n%s' % (label, '; '.join(bad), '\n'.join('    | ' + l for l in out.splitlines()[:15])))
    else:
        passes += 1
        print('ok   %s' % label)


def blocks(text):
    """Split into (prefix, [block text...]) on blank lines, keeping order."""
    return text.split('\n\n')


def goroutine_block(text, pred):
    parts = blocks(text)
    for i, p in enumerate(parts):
        first = p.lstrip('\n').split('\n', 1)[0]
        m = re.match(r'goroutine (\d+) \[([^\]]*)\]:', first)
        if m and int(m.group(1)) != 0 and pred(int(m.group(1)), m.group(2), p):
            return i, parts
    raise SystemExit('selftest: no matching goroutine block')


def is_parked_user(g, st, p):
    return not st.startswith('running') and '\nmain.' in p


def is_running(g, st, p):
    return st.startswith('running') and 'stack unavailable' not in p


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    base = sys.argv[1]
    chans = open(os.path.join(base, 'chans', 'oracle.txt')).read()
    threads = open(os.path.join(base, 'threads', 'oracle.txt')).read()
    many_path = os.path.join(base, 'many', 'oracle.txt')

    # 1. identity
    check('chans identical', chans, chans, 0,
          [r'^selftest: goroutines=\d+ listed=100\.0% header=100\.0% parked_exact=100\.0% running_tail=100\.0%$'])
    check('threads identical (goroutine 0 blocks, duplicate goroutines)', threads, threads, 0,
          [r'listed=100\.0% header=100\.0% parked_exact=100\.0% running_tail=100\.0%'])

    # 2. crash-mode suffixes, goroutine order and the text around the dump don't matter
    nosuffix = re.sub(r' fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+$', '', chans, flags=re.M)
    check('fp/sp/pc suffixes removed', chans, nosuffix, 0, [r'parked_exact=100\.0%'])
    parts = blocks(chans)
    gor = [p for p in parts if p.lstrip('\n').startswith('goroutine ')]
    check('goroutines reordered, no panic text', chans, '\n\n'.join(reversed(gor)) + '\n', 0, [r'listed=100\.0%'])

    # 3. a missing goroutine
    i, parts = goroutine_block(chans, is_parked_user)
    goid = re.match(r'\n?goroutine (\d+)', parts[i]).group(1)
    dropped = '\n\n'.join(parts[:i] + parts[i + 1:])
    check('goroutine dropped', chans, dropped, 1,
          [r'^  MISSING goroutine %s \[' % goid, r'listed=9\d\.\d%', r'FAIL: listed'])

    # 4. a wrong header
    i, parts = goroutine_block(chans, is_parked_user)
    mut = list(parts)
    mut[i] = re.sub(r'\[([^\]]*)\]:', '[chan receive, 5 minutes]:', mut[i], count=1)
    check('header state changed', chans, '\n\n'.join(mut), 1,
          [r'^  HEADER goroutine \d+: want \[.*\] got \[chan receive, 5 minutes\]', r'FAIL: header'])

    # 5. a wrong line number in a parked goroutine
    mut = list(parts)
    lines = mut[i].split('\n')
    k = next(j for j, l in enumerate(lines) if l.startswith('\t') and '/testdata/' in l)
    lines[k] = re.sub(r':(\d+)', lambda m: ':%d' % (int(m.group(1)) + 1), lines[k], count=1)
    mut[i] = '\n'.join(lines)
    check('file:line changed in a parked goroutine', chans, '\n\n'.join(mut), 1,
          [r'^  DIFF goroutine \d+ \[.*\] line %d:' % k, r'^      want \t.*testdata', r'FAIL: parked_exact'])

    # 6. different argument words: parked must be exact, so it fails
    mut = list(parts)
    mut[i] = re.sub(r'^(main\.\w+)\((.*)\)$', r'\1(0xdead)', mut[i], count=1, flags=re.M)
    check('args changed in a parked goroutine', chans, '\n\n'.join(mut), 1, [r'DIFF goroutine'])

    # 7. running goroutine: loose tail comparison
    i, parts = goroutine_block(chans, is_running)
    mut = list(parts)
    mut[i] = re.sub(r'^(\S+)\((.+)\)$', r'\1(0x1, 0x2)', mut[i], flags=re.M)          # args differ
    mut[i] = re.sub(r' \+0x[0-9a-f]+( fp=)', r' +0x9999\1', mut[i])                     # offsets differ
    check('running goroutine: args and +0x differ (loose)', chans, '\n\n'.join(mut), 0, [r'running_tail=100\.0%'])
    mut = list(parts)
    hdr, rest = mut[i].split(':\n', 1)
    mut[i] = hdr + ':\nextra.innermost(...)\n\t/x/extra.go:1\n' + rest
    check('running goroutine: extra innermost frames', chans, '\n\n'.join(mut), 0, [r'running_tail=100\.0%'])
    mut = list(parts)
    ls = mut[i].split('\n')
    hdr_at = next(j for j, l in enumerate(ls) if l.startswith('goroutine '))
    mut[i] = '\n'.join(ls[:hdr_at + 1] + ls[hdr_at + 5:])   # two frames missing at the top
    check('running goroutine: innermost frames missing', chans, '\n\n'.join(mut), 1,
          [r'^  TAIL goroutine \d+ \[running\]', r'FAIL: running_tail'])
    mut = list(parts)
    mut[i] = re.sub(r'^main\.main\(\)$', 'main.other()', mut[i], flags=re.M)
    check('running goroutine: a frame renamed', chans, '\n\n'.join(mut), 1, [r'want main\.main', r'got  main\.other'])

    # 8. "created by ... in goroutine N" (Go 1.21+ spelling) is loose for running only
    tt = threads
    mut = re.sub(r'^created by main\.main$', 'created by main.main in goroutine 1', tt, flags=re.M)
    rc, out = run(tt, mut)
    ok = rc == 1 and re.search(r'DIFF goroutine', out) and re.search(r'running_tail=100\.0%', out)
    print(('ok   ' if ok else 'FAIL ') + '"in goroutine N": loose for running, exact for parked')
    globals()['passes' if ok else 'failures'] += 1

    # 9. the threads oracle: spinners are "stack unavailable" in the first
    # dump and printed with their stacks by the per-M relays afterwards.
    first = {}
    for p in blocks(threads):
        p = p.strip('\n')
        m = re.match(r'goroutine (\d+) \[running\]:', p)
        if m and m.group(1) != '0':
            first.setdefault(m.group(1), []).append(p)
    relayed = {g: ps for g, ps in first.items() if len(ps) > 1}
    if not relayed:
        print('FAIL threads oracle: no goroutine printed twice (relay)')
        globals()['failures'] += 1
    else:
        # "gocore" output = the first dump, but with the spinners' real stacks
        mine = []
        for p in blocks(threads):
            s = p.strip('\n')
            m = re.match(r'goroutine (\d+) \[', s)
            if not m or m.group(1) == '0':
                continue
            g = m.group(1)
            if g in relayed:
                if 'stack unavailable' not in s:
                    continue
                real = [x for x in relayed[g] if 'stack unavailable' not in x]
                if real:
                    s = '\n'.join(l for l in real[0].split('\n') if not re.match(r'^(r[0-9a-z]{1,3}|rip|rflags|cs|fs|gs)\s+0x', l))
            mine.append(s)
        mine_txt = '\n\n'.join(mine) + '\n'
        check('spinners printed with real stacks: reference comparison fails', threads, mine_txt, 1,
              [r'TAIL goroutine \d+ \[running\]', r'want goroutine running on other thread; stack unavailable'])
        check('spinners printed with real stacks: --relay-stacks accepts', threads, mine_txt, 0,
              [r'running_tail=100\.0%'], extra=['--relay-stacks'])
        wrong = mine_txt.replace('main.spin()', 'main.spun()')
        check('spinners with a wrong stack: --relay-stacks still fails', threads, wrong, 1,
              [r'TAIL goroutine'], extra=['--relay-stacks'])
        # the same goroutines printed as placeholders match either way
        first_only = []
        seen = set()
        for p in blocks(threads):
            s = p.strip('\n')
            m = re.match(r'goroutine (\d+) \[', s)
            if m and m.group(1) != '0' and m.group(1) not in seen:
                seen.add(m.group(1))
                first_only.append(s)
        check('spinners printed as placeholders', threads, '\n\n'.join(first_only) + '\n', 0, [r'running_tail=100\.0%'])

    # 10. the 99% parked threshold: one wrong goroutine in 10,000 passes,
    # 2% wrong fails.
    if os.path.exists(many_path):
        many = open(many_path).read()
        one = re.sub(r'(goroutine \d+ \[chan receive\]:\n[^\n]*\n[^\n]*\n)', r'\1', many, count=1)
        parts = many.split('\n\n')
        idx = [j for j, p in enumerate(parts) if p.startswith('goroutine ') and '[chan receive]' in p.split('\n', 1)[0]]
        mut = list(parts)
        mut[idx[0]] = mut[idx[0]].replace('main.nested', 'main.nestex', 1)
        check('many: 1 wrong of 10,000 parked (>= 99%)', many, '\n\n'.join(mut), 0, [r'parked_exact=99\.9%'])
        for j in idx[:300]:
            mut[j] = mut[j].replace('main.nested', 'main.nestex', 1)
        check('many: 300 wrong of 10,000 parked (< 99%)', many, '\n\n'.join(mut), 1,
              [r'parked_exact=97\.\d%', r'and \d+ more differing goroutines'])
        del one

    # 11. usage errors
    p = subprocess.run([sys.executable, COMPARE, '/nonexistent/oracle', '/nonexistent/mine'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    ok = p.returncode != 0 and p.returncode != 1 and 'No such file' in p.stderr
    print(('ok   ' if ok else 'FAIL ') + 'missing input file: exit 2 with a message')
    globals()['passes' if ok else 'failures'] += 1

    print('compare selftest: %d passed, %d failed' % (passes, failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
