#!/usr/bin/env python3
"""Compare the Go runtime's own goroutine dump (the "oracle": a crashed
program's stderr under GOTRACEBACK=crash) with gocore's output for the
core of that same crash, goroutine by goroutine.

usage: compare.py [options] ORACLE GOCORE_OUTPUT
       compare.py --pick-goid ORACLE          print a parked goroutine's id
       compare.py --extract GOID FILE         print that goroutine's block

Metrics (the same as the reference fidelity check):
  listed        oracle goroutines that gocore lists at all
  header        ... whose bracketed header text ([state, N minutes, locked
                to thread]) is identical
  parked_exact  parked (not running) goroutines whose lines are all equal
                once the crash-mode " fp=0x… sp=0x… pc=0x…" suffix is removed
  running_tail  running goroutines whose oracle frames are the tail of
                gocore's, compared loosely: function names without their
                argument lists, file:line without " +0x…", "created by"
                without " in goroutine N"
The percentage base is the oracle's goroutines (goid 0, the per-M g0 and
gsignal stacks of crash mode, is ignored; a goroutine printed more than once
counts by its first block).

Exit status: 0 thresholds met, 1 not met (the differing goroutines are
listed with their first differing line), 2 usage or input error.
"""
import argparse
import os
import re
import sys

# Go 1.27 prints pprof labels after the brackets: "[chan receive] {k: v}:";
# they are part of the header compared (1.26 has them inside the brackets).
HEADER = re.compile(r'^goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[(.*)\](?: (\{.*\}))?:?$')
FRAME_SUFFIX = re.compile(r' fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+$')
PC_OFFSET = re.compile(r' \+0x[0-9a-f]+$')
CREATED_IN = re.compile(r' in goroutine \d+$')
# dumpregs() output that directly follows a relayed goroutine's block.
# The register dump of a fatal signal (runtime.dumpregs): amd64's rax..gs,
# arm64's r0..r29 lr sp pc fault, riscv64's ABI names, loong64's r0..r31
# pc link, two to a line on riscv64 ("ra  0x7037c<TAB>sp  0x...").
REGISTER = re.compile(r'^((r[0-9a-z]{1,3}|rip|rflags|cs|fs|gs|lr|sp|pc|fault|link|'
                      r'ra|gp|tp|t[0-6]|s[0-9]|s1[01]|a[0-7])\s+0x[0-9a-f]+\s*)+$')
UNAVAILABLE = 'goroutine running on other thread; stack unavailable'


LABELS_126 = re.compile(r' labels:(\{.*\})$')
LABEL_BARE = re.compile(r'[A-Za-z0-9._/]*')
LABEL_ESC = {'n': '\n', 'r': '\r', 't': '\t', '\\': '\\', '"': '"'}


def _label_token(s, i):
    """One key or value at s[i:]: a runtime-quoted string (printquoted:
    \\n \\r \\t \\\\ \\" \\xNN \\uNNNN \\UNNNNNNNN) or, in 1.27, a bare one.
    Returns (bytes, next index)."""
    if s[i:i + 1] != '"':
        m = LABEL_BARE.match(s, i)
        return m.group(0).encode(), m.end()
    out = bytearray()
    i += 1
    while i < len(s) and s[i] != '"':
        if s[i] != '\\':
            out += s[i].encode()
            i += 1
            continue
        c = s[i + 1]
        if c in LABEL_ESC:
            out += LABEL_ESC[c].encode()
            i += 2
        elif c == 'x':
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif c in 'uU':
            n = 4 if c == 'u' else 8
            out += chr(int(s[i + 2:i + 2 + n], 16)).encode('utf-8', 'surrogatepass')
            i += 2 + n
        else:
            raise ValueError('bad escape in labels %r' % s)
    return bytes(out), i + 1


def parse_labels(text):
    """{key: value} (bytes) from a header's label text "{k: v, ...}"."""
    res = {}
    s = text[1:-1]
    i = 0
    while i < len(s):
        k, i = _label_token(s, i)
        if s[i:i + 2] != ': ':
            raise ValueError('bad labels %r' % text)
        v, i = _label_token(s, i + 2)
        res[k] = v
        if s[i:i + 2] == ', ':
            i += 2
        elif i != len(s):
            raise ValueError('bad labels %r' % text)
    return res


class Block(object):
    __slots__ = ('goid', 'state', 'lines', 'raw', 'bracket', 'labels')

    def __init__(self, goid, state, header, bracket=None, labels=None):
        self.goid = goid
        self.state = state     # all of the header after the goid: compared
        self.bracket = state if bracket is None else bracket  # without labels
        self.labels = labels   # {bytes: bytes} when the header shows labels
        self.lines = []        # normalised: suffix removed, right-stripped
        self.raw = [header]    # as printed, for --extract

    @property
    def running(self):
        return self.state.startswith('running')

    @property
    def unavailable(self):
        return any(l.strip() == UNAVAILABLE for l in self.lines)


def parse(text):
    """All goroutine blocks, in order of appearance (goid 0 included)."""
    out = []
    cur = None
    for line in text.splitlines():
        m = HEADER.match(line.strip())
        if m:
            state = m.group(2) + (' ' + m.group(3) if m.group(3) else '')
            bracket, ltext = m.group(2), m.group(3)
            l126 = LABELS_126.search(bracket)
            if not ltext and l126:
                bracket, ltext = bracket[:l126.start()], l126.group(1)
            cur = Block(int(m.group(1)), state, line.rstrip(), bracket,
                        parse_labels(ltext) if ltext else None)
            out.append(cur)
            continue
        if cur is None:
            continue
        if not line.strip():
            cur = None
            continue
        if REGISTER.match(line):
            continue
        cur.raw.append(line.rstrip('\n'))
        cur.lines.append(FRAME_SUFFIX.sub('', line.rstrip()))
    return out


def first_blocks(blocks):
    """goid -> first block (goid 0 dropped)."""
    res = {}
    for b in blocks:
        if b.goid != 0 and b.goid not in res:
            res[b.goid] = b
    return res


def loose(lines):
    res = []
    for l in lines:
        if l.startswith('\t') or l.startswith('    '):
            res.append(PC_OFFSET.sub('', l.strip()))
        elif l.startswith('created by'):
            res.append(CREATED_IN.sub('', l))
        elif '(' in l:
            res.append(l[:l.rfind('(')])
        else:
            res.append(l)
    return res


def is_tail(want, got):
    return len(got) >= len(want) and got[len(got) - len(want):] == want


def first_difference(want, got):
    n = max(len(want), len(got))
    for i in range(n):
        a = want[i] if i < len(want) else '<end>'
        b = got[i] if i < len(got) else '<end>'
        if a != b:
            return i + 1, a, b
    return None


def pct(a, b):
    return 100.0 * a / b if b else None


def fmt(p):
    if p is None:
        return 'n/a'
    if 99.95 <= p < 100.0:
        return '99.9%'    # 9999 of 10000 is not 100.0%
    return '%.1f%%' % p


def die(msg):
    sys.stderr.write('compare.py: %s\n' % msg)
    sys.exit(2)


def read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except OSError as e:
        die(str(e))


def compare(oracle_all, mine_all, relay_stacks=False):
    """Returns (metrics dict, list of (goid, message))."""
    oracle = first_blocks(oracle_all)
    mine = first_blocks(mine_all)
    later = {}
    for b in oracle_all:
        if b.goid != 0 and oracle.get(b.goid) is not b:
            later.setdefault(b.goid, []).append(b)
    n = len(oracle)
    listed = header = parked = parked_exact = running = running_tail = 0
    problems = []
    for goid in sorted(oracle):
        o = oracle[goid]
        m = mine.get(goid)
        if o.running:
            running += 1
        else:
            parked += 1
        if m is None:
            problems.append((goid, 'MISSING goroutine %d [%s]' % (goid, o.state)))
            continue
        listed += 1
        if m.state == o.state:
            header += 1
        else:
            problems.append((goid, 'HEADER goroutine %d: want [%s] got [%s]' % (goid, o.state, m.state)))
        if o.running:
            got = loose(m.lines)
            wants = [loose(o.lines)]
            if relay_stacks and o.unavailable:
                # The first dump could not see this goroutine's stack; accept
                # the real stack a per-M SIGQUIT relay printed later, or just
                # the "created by" lines under the placeholder.
                relayed = [loose(b.lines) for b in later.get(goid, []) if not b.unavailable]
                wants += relayed or [[l for l in loose(o.lines) if l != UNAVAILABLE]]
            if any(is_tail(w, got) for w in wants):
                running_tail += 1
            else:
                want = wants[0]
                k = min(len(want), len(got))
                # first differing line, counted from the end
                i = next((j for j in range(1, k + 1) if want[-j] != got[-j]), k + 1)
                a = want[-i] if i <= len(want) else '<start>'
                b = got[-i] if i <= len(got) else '<start>'
                problems.append((goid, 'TAIL goroutine %d [running]: frames are not the tail of ours '
                                 '(line %d from the end)\n    want %s\n    got  %s' % (goid, i, a, b)))
            continue
        if m.lines == o.lines:
            parked_exact += 1
        else:
            i, a, b = first_difference(o.lines, m.lines)
            problems.append((goid, 'DIFF goroutine %d [%s] line %d:\n    want %s\n    got  %s'
                             % (goid, o.state, i, a, b)))
    extra = sorted(set(mine) - set(oracle))
    metrics = {
        'goroutines': n,
        'listed': pct(listed, n),
        'header': pct(header, n),
        'parked_exact': pct(parked_exact, parked),
        'running_tail': pct(running_tail, running),
        'parked': parked,
        'running': running,
        'extra': extra,
    }
    return metrics, problems


def pick_goid(blocks):
    """A parked goroutine in user code if there is one, else any parked one."""
    firsts = first_blocks(blocks)
    parked = [b for g, b in sorted(firsts.items()) if not b.running]
    for want_created in (True, False):   # prefer a goroutine main started
        for b in parked:
            if want_created and not any(l.startswith('created by main.') for l in b.lines):
                continue
            if any(l.startswith('main.') or '/testdata/' in l for l in b.lines):
                return b.goid
    return parked[0].goid if parked else (min(firsts) if firsts else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('files', nargs='*', metavar='FILE')
    ap.add_argument('--name', help='program name for the summary line (default: the oracle\'s directory)')
    ap.add_argument('--min-listed', type=float, default=0.0, metavar='PCT')
    ap.add_argument('--min-header', type=float, default=0.0, metavar='PCT')
    ap.add_argument('--min-parked', type=float, default=0.0, metavar='PCT')
    ap.add_argument('--min-running', type=float, default=0.0, metavar='PCT')
    ap.add_argument('--relay-stacks', action='store_true',
                    help='running goroutines the first dump shows as "stack unavailable" may instead '
                         'match their stack from a later per-thread SIGQUIT relay (if there is none, '
                         'only their "created by" lines); without this the comparison is the reference\'s')
    ap.add_argument('--max-report', type=int, default=20, metavar='N',
                    help='goroutines to detail on failure (default 20; --verbose: all)')
    ap.add_argument('--verbose', '-v', action='store_true', help='detail every difference, pass or fail')
    ap.add_argument('--pick-goid', action='store_true', help='print a parked goroutine id of FILE')
    ap.add_argument('--extract', type=int, metavar='GOID', help='print the first block of GOID in FILE')
    a = ap.parse_args()

    if a.pick_goid or a.extract is not None:
        if len(a.files) != 1:
            ap.error('--pick-goid and --extract take exactly one FILE')
        blocks = parse(read(a.files[0]))
        if a.pick_goid:
            g = pick_goid(blocks)
            if g is None:
                die('no goroutines in %s' % a.files[0])
            print(g)
            return 0
        b = first_blocks(blocks).get(a.extract)
        if b is None:
            die('no goroutine %d in %s' % (a.extract, a.files[0]))
        print('\n'.join(b.raw))
        return 0

    if len(a.files) != 2:
        ap.error('need ORACLE and GOCORE_OUTPUT')
    oracle_all = parse(read(a.files[0]))
    mine_all = parse(read(a.files[1]))
    if not first_blocks(oracle_all):
        die('no goroutine blocks in the oracle %s' % a.files[0])
    name = a.name or os.path.basename(os.path.dirname(os.path.abspath(a.files[0])))
    m, problems = compare(oracle_all, mine_all, a.relay_stacks)

    print('%s: goroutines=%d listed=%s header=%s parked_exact=%s running_tail=%s'
          % (name, m['goroutines'], fmt(m['listed']), fmt(m['header']),
             fmt(m['parked_exact']), fmt(m['running_tail'])))
    failed = []
    for key, lim in (('listed', a.min_listed), ('header', a.min_header),
                     ('parked_exact', a.min_parked), ('running_tail', a.min_running)):
        v = m[key]
        if v is not None and v + 1e-9 < lim:
            failed.append('%s %s < %g%%' % (key, fmt(v), lim))
    if failed or a.verbose:
        limit = None if a.verbose else a.max_report
        shown = problems if limit is None else problems[:limit]
        for _, msg in shown:
            print('  ' + msg.replace('\n', '\n  '))
        if len(shown) < len(problems):
            print('  ... and %d more differing goroutines (--verbose shows all)' % (len(problems) - len(shown)))
        if a.verbose and m['extra']:
            ex = m['extra']
            print('  note: gocore lists %d goroutines the oracle does not: %s%s'
                  % (len(ex), ' '.join(map(str, ex[:20])), ' ...' if len(ex) > 20 else ''))
    if failed:
        print('%s: FAIL: %s' % (name, '; '.join(failed)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
