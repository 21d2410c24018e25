#!/usr/bin/env python3
"""Check every gocore command and option against the Go runtime's own dump.

usage: commands_check.py [--dir DIR]... [--variants] [-j N] [NAME...]

For every cache/e2e/NAME/{exe,core,oracle.txt} that tests/e2e.sh left
behind (or the NAMEs given), runs each gocore command and compares what it
says with facts read independently from oracle.txt, the runtime's stderr
dump of the same crash (GOTRACEBACK=crash).  gocore's own output is never
the truth, except where a check is explicitly a consistency check between
two gocore commands (stack vs goroutines, pprof vs goroutines --json).

Checks, per program (name DIR/NAME/CHECK):
  overview          --json: goroutines, states, panic (the message), signal,
                    signal_line, crashing_goroutine, crashing_m (signal
                    dumps, 1.22+ headers), go_version/module/main_package
                    (from `go version -m EXE`, or of NAME/libgo.so for a
                    c-shared program), exe, go_library (that library's real
                    path, else null), threads (SIGQUIT dumps: one per
                    relayed M); text overview exits 0 with the version line
                    and a "Go library:" line just for c-shared programs
  goroutines-json   ids, state, locked_to_thread, wait_minutes, wait_reason,
                    created_by, frames (parked: func/file/line/inlined/pc/sp
                    exactly; running: the oracle's frames are the tail)
  goroutines-v      -v: each parked goroutine's block is the oracle's, byte
                    for byte (fp= sp= pc= included)
  stack-json        stack GOID --json == that element of goroutines --json
  filter-*          --state S (every state), --match RE (main\\., a file
                    regexp, an anchored function), --min-wait 0/1/2, on
                    goroutines (json and text), summary --json and pprof
  summary           --json groups vs oracle stacks and states; text exits 0
                    and its counts add up
  pprof             -o F; `go tool pprof -raw F` parses, total == oracle count
  threads           --json: count, one signal (the crashing thread, or the
                    last M of a relay), crashing thread's M and goroutine,
                    M -> goroutine of every SIGQUIT relay in the oracle
  panicparse        `panicparse` reads `gocore goroutines` output and counts
                    the oracle's number of goroutines
  lib-*             (c-shared programs: NAME/libgo.so) the program crashed
                    again in a scratch cache and its library moved away:
                    without --lib exit 2 naming the gone path; --lib with the
                    moved copy gives the oracle's dump, overview names both
                    paths; another build (Go build ID changed) is refused,
                    --force goes on with a warning; a non-Go --lib is refused
plus, once: usage errors (exit 1), input errors (exit 2 + stderr), and
compressed cores (zstd, xz, lz4, gzip: identical output).

The last line is "N passed, M failed"; exit status 1 when M > 0 (2 when
there is nothing to check).  Environment: GOCORE (default build/gocore).
"""
import argparse
import concurrent.futures
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import compare  # noqa: E402  (the e2e oracle parser: HEADER, parse, first_blocks)

GOCORE = os.environ.get('GOCORE', 'build/gocore')
TIMEOUT = 120
# Header states that are goroutine statuses, not wait reasons.
STATUSES = {'idle', 'runnable', 'running', 'syscall', 'waiting', 'moribund', 'dead',
            'enqueue', 'copystack', 'preempted'}
ELIDED = re.compile(r'^\.\.\.(additional frames elided|(\d+) frames elided)\.\.\.$')
SUFFIX = re.compile(r' fp=(0x[0-9a-f]+) sp=(0x[0-9a-f]+) pc=(0x[0-9a-f]+)$')
FILELINE = re.compile(r'^(.*):(\d+)(?: \+0x[0-9a-f]+)?$')
CREATED = re.compile(r'^created by (.*?)(?: in goroutine (\d+))?$')
RELAY_PC = re.compile(r'^PC=0x[0-9a-f]+ m=(\d+) sigcode=')
SIGNAME = re.compile(r'^(SIG[A-Z0-9]+: [a-z]|Signal \d+$)')


# ---------------------------------------------------------------- results

class Results(object):
    def __init__(self):
        self.lines = []
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=''):
        if ok:
            self.passed += 1
            self.lines.append('PASS %s%s' % (name, ': ' + detail if detail else ''))
        else:
            self.failed += 1
            self.lines.append('FAIL %s: %s' % (name, detail))
        return ok

    def problems(self, name, problems, what):
        """PASS when problems is empty, else FAIL listing the first few."""
        if not problems:
            return self.check(name, True, what)
        shown = problems[:8]
        more = '' if len(problems) <= 8 else '\n    ... and %d more' % (len(problems) - 8)
        return self.check(name, False, '%d problem(s) (%s)\n    %s%s'
                          % (len(problems), what, '\n    '.join(shown), more))

    def merge(self, other):
        self.lines += other.lines
        self.passed += other.passed
        self.failed += other.failed


def run(args, stdin=None):
    """(exit code, stdout bytes, stderr text) of GOCORE args."""
    try:
        p = subprocess.run([GOCORE] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return 124, b'', 'timed out after %ds' % TIMEOUT
    return p.returncode, p.stdout, p.stderr.decode('utf-8', 'replace')


def first_line(s):
    s = s.strip()
    return s.splitlines()[0] if s else '(empty)'


# ---------------------------------------------------------------- the oracle

class OGoroutine(object):
    """One goroutine as the oracle shows it (its first block)."""

    def __init__(self, block, relays):
        self.goid = block.goid
        parts = block.bracket.split(', ')
        self.bracket = block.bracket
        self.labels = block.labels
        self.state = parts[0]
        self.minutes = 0
        for p in parts[1:]:
            m = re.match(r'^(\d+) minutes$', p)
            if m:
                self.minutes = int(m.group(1))
        self.locked = 'locked to thread' in parts[1:]
        self.running = block.running
        self.raw = block.raw
        self.head, self.tail, self.elided, self.unavailable, self.created = parse_frames(block.raw[1:])
        # Before Go 1.21 the runtime stops after 100 physical frames, and
        # does not always say so ("...additional frames elided..."): a
        # stack showing 100 of them may be cut short.
        if sum(1 for f in self.head + self.tail if not f['inlined']) >= 100:
            self.elided = True
        # A running goroutine "stack unavailable" in the first dump: its
        # stack from a later per-M SIGQUIT relay, when there is one.
        self.relayed = None
        if self.unavailable:
            for b in relays:
                h, t, e, u, _ = parse_frames(b.raw[1:])
                if not u:
                    self.relayed = (h, t, e)
                    break

    @property
    def parked(self):
        return not self.running

    @property
    def complete(self):
        """Every frame of this goroutine is known from the oracle."""
        return self.parked and not self.elided and not self.unavailable

    def visible(self):
        """(frames, complete-from-the-top) the oracle shows: for a running
        goroutine the real stack may have more frames on top."""
        if self.unavailable:
            if self.relayed:
                h, t, e = self.relayed
                return h + t, False
            return [], False
        return self.head + self.tail, self.complete

    def key(self):
        """The grouping key of summary: state and func/file:line list."""
        return (self.state, tuple((f['func'], f['file'], f['line']) for f in self.head + self.tail))


def parse_frames(lines):
    """(head frames, tail frames, elided, unavailable, created) of a block."""
    head, tail = [], []
    cur = head
    elided = unavailable = False
    created = None
    pending = None          # the frame whose file line comes next
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip()
        i += 1
        s = raw.strip()
        if not s:
            continue
        if s == compare.UNAVAILABLE:
            unavailable = True
            continue
        if ELIDED.match(s):
            elided = True
            cur = tail
            continue
        if raw.startswith('\t') or raw.startswith('    '):
            if pending is None:
                continue
            m = SUFFIX.search(s)
            if m:
                pending['sp'], pending['pc'] = m.group(2), m.group(3)
                s = s[:m.start()]
            fm = FILELINE.match(s)
            if fm:
                pending['file'], pending['line'] = fm.group(1), int(fm.group(2))
                pending['has_offset'] = ' +0x' in s
            pending = None
            continue
        m = CREATED.match(s)
        if m:
            created = {'func': m.group(1), 'goid': int(m.group(2)) if m.group(2) else None,
                       'file': None, 'line': None}
            pending = created
            continue
        if '(' in s:
            f = {'func': s[:s.rfind('(')], 'inlined': s.endswith('(...)'),
                 'file': None, 'line': None, 'pc': None, 'sp': None}
            cur.append(f)
            pending = f
    return head, tail, elided, unavailable, created


class Oracle(object):
    def __init__(self, path):
        with open(path, errors='replace') as f:
            self.text = f.read()
        blocks = compare.parse(self.text)
        firsts = compare.first_blocks(blocks)
        later = {}
        for b in blocks:
            if b.goid != 0 and firsts.get(b.goid) is not b:
                later.setdefault(b.goid, []).append(b)
        self.g = {goid: OGoroutine(b, later.get(goid, [])) for goid, b in firsts.items()}
        self.ids = sorted(self.g)
        # The runtime printed labels in headers (1.26 with GODEBUG, 1.27):
        # then a header without them means the goroutine has none.
        self.shows_labels = any(g.labels is not None for g in self.g.values())
        lines = self.text.splitlines()
        # A program's own output may come first (the npm corpus servers log
        # to stderr): the dump starts at its first banner line.  A fatal
        # signal's banner is its sigtable name followed by the PC= line;
        # newstack's "runtime: …" lines come right before "fatal error:
        # stack overflow".
        for i, l in enumerate(lines):
            sig_banner = SIGNAME.match(l) and i + 1 < len(lines) and RELAY_PC.match(lines[i + 1])
            if sig_banner or l.startswith(('SIGQUIT', 'SIGABRT', 'panic: ', 'fatal error: ')) or \
                    l.startswith('goroutine '):
                if l.startswith('fatal error: '):
                    while i > 0 and lines[i - 1].startswith('runtime: '):
                        i -= 1
                lines = lines[i:]
                break
        first = lines[0] if lines else ''
        self.sigquit = first.startswith('SIGQUIT')
        # A dump the signal handler started (sighandler's fatalsignal, not a
        # panic): "SIGSEGV: segmentation violation", "PC=… m=N …".
        self.signal_dump = None
        if SIGNAME.match(first) and len(lines) > 1 and RELAY_PC.match(lines[1]):
            self.signal_dump = first.split(':')[0]
        # What the runtime printed before the dump (overview's "panic"): the
        # panic or fatal-error lines (up to "[signal …]"), or the signal
        # dump's banner, PC= and cgo lines.
        self.panic = ''
        if first.startswith(('panic: ', 'fatal error: ', 'runtime: ')) or self.signal_dump:
            msg = []
            for l in lines:
                if not l.strip() or l.startswith('[signal '):
                    break
                msg.append(l)
            self.panic = '\n'.join(msg)
        m = re.search(r'^\[signal (SIG[A-Z0-9]+)[^\n]*\]$', self.text, re.M)
        self.signal_line = m.group(0) if m else None
        self.fault_signal = m.group(1) if m else None
        # The crashing goroutine: the first block of a panic/fatal error
        # dump, when that block is a running goroutine.  A throw on a system
        # stack prints "runtime stack:" first; then tracebackothers prints
        # the M's curg first, when it has one (it is running, e.g. in
        # morestack, or in a cgo call or syscall); the deadlock detector's M
        # has none, and its first block is a parked goroutine.  A signal
        # dump's first block is the goroutine the signal interrupted (0: the
        # M's g0, none).
        self.crashing = None
        self.crashing_m = None
        first_hdr = None
        for l in lines:
            if compare.HEADER.match(l.strip()):
                first_hdr = l.strip()
                break
        if self.signal_dump:
            self.crashing_m = int(RELAY_PC.match(lines[1]).group(1))
            if blocks and blocks[0].goid != 0:
                self.crashing = blocks[0].goid
        elif self.panic and blocks and blocks[0].goid != 0:
            b0 = blocks[0]
            rest = self.text[:self.text.find('goroutine %d ' % b0.goid)]
            if 'runtime stack:' not in rest:
                if b0.running:
                    self.crashing = b0.goid
            elif (b0.running and not b0.unavailable) or b0.bracket.startswith('syscall'):
                self.crashing = b0.goid
            # 1.22+: "goroutine N gp=… m=M mp=…" names the crashing M.
            mm = re.match(r'^goroutine \d+ gp=\S+ m=(\d+) ', first_hdr or '')
            if self.crashing is not None and mm:
                self.crashing_m = int(mm.group(1))
        # SIGQUIT relays: each "PC=0x… m=N sigcode=…" is followed by the
        # goroutine that M was running (0: its g0, i.e. none).  In a
        # SIGQUIT dump the last M to print is the one that crashes.
        self.relay_m = []           # [(m, goid or None)] in order
        for i, l in enumerate(lines):
            m = RELAY_PC.match(l)
            if not m:
                continue
            goid = None
            for l2 in lines[i + 1:i + 5]:
                h = compare.HEADER.match(l2.strip())
                if h:
                    goid = int(h.group(1)) or None
                    break
            self.relay_m.append((int(m.group(1)), goid))

    def states(self):
        res = {}
        for g in self.g.values():
            res[g.state] = res.get(g.state, 0) + 1
        return res


# ---------------------------------------------------------------- per program

def spec_gaps(name):
    try:
        with open(os.path.join(ROOT, 'testdata', name, 'e2e.spec')) as f:
            return any(re.match(r'^\s*gaps\s', l) for l in f)
    except OSError:
        return False


def tool_go_version(exe):
    """The release tests/go_version.py reads from the binary (build info or
    its rodata release string), independently of gocore."""
    p = subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'go_version.py'), exe],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
    return p.stdout.split()[0] if p.returncode == 0 and p.stdout.split() else None


def go_version_m(exe, tmp=None):
    """{'version', 'path', 'mod'} from `go version -m EXE` (None without go).
    `go version` skips files without an execute bit (a c-shared library):
    those are read through an executable copy in tmp."""
    if not shutil.which('go'):
        return None
    if tmp and not os.access(exe, os.X_OK):
        fd, copy = tempfile.mkstemp(dir=tmp)
        os.close(fd)
        shutil.copyfile(exe, copy)
        os.chmod(copy, 0o755)
        try:
            return go_version_m(copy)
        finally:
            os.unlink(copy)
    p = subprocess.run(['go', 'version', '-m', exe], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode != 0:
        return None
    res = {'version': None, 'path': None, 'mod': None}
    lines = p.stdout.splitlines()
    if lines:
        res['version'] = lines[0].rsplit(' ', 1)[-1]
    for l in lines[1:]:
        f = l.strip().split('\t')
        if len(f) >= 2 and f[0] in ('path', 'mod'):
            res[f[0]] = f[1]
    return res


def fkey(f):
    return (f['func'], f['file'], f['line'])


def fmt_frames(fs):
    return ' | '.join('%s %s:%s' % (f['func'], f['file'], f['line']) for f in fs[:4]) + \
        (' | …' if len(fs) > 4 else '')


def frames_problems(goid, og, jframes, cut=False):
    """How gocore's JSON frames disagree with the oracle's.  cut: the JSON
    says its frames stop at gocore's bound of frames kept per goroutine
    (the innermost ones are kept), so the oracle's outermost frames (1.21+
    tail) need not be there."""
    probs = []
    if og.parked:
        want = og.head + og.tail
        if og.elided:
            ok = (len(jframes) >= len(want) and
                  [fkey(f) for f in jframes[:len(og.head)]] == [fkey(f) for f in og.head] and
                  (cut or not og.tail or [fkey(f) for f in jframes[-len(og.tail):]] == [fkey(f) for f in og.tail]))
            if not ok:
                probs.append('goroutine %d: frames do not extend the oracle\'s elided stack' % goid)
            return probs
        if [fkey(f) for f in jframes] != [fkey(f) for f in want]:
            probs.append('goroutine %d: frames\n      want %s\n      got  %s'
                         % (goid, fmt_frames(want), fmt_frames(jframes)))
            return probs
        for w, g in zip(want, jframes):
            if w['inlined'] != g.get('inlined'):
                probs.append('goroutine %d: %s inlined want %s got %s'
                             % (goid, w['func'], w['inlined'], g.get('inlined')))
            if w['pc'] and (w['pc'] != g.get('pc') or w['sp'] != g.get('sp')):
                probs.append('goroutine %d: %s pc/sp want %s/%s got %s/%s'
                             % (goid, w['func'], w['pc'], w['sp'], g.get('pc'), g.get('sp')))
        return probs
    want, _ = og.visible()
    got = [fkey(f) for f in jframes]
    if og.elided and not og.unavailable:
        # gocore may show more frames on top; the oracle's head must be a
        # run of gocore's frames, and its tail (1.21+) gocore's last ones.
        h, t = [fkey(f) for f in og.head], [fkey(f) for f in og.tail]
        ok = any(got[i:i + len(h)] == h for i in range(max(1, len(got) - len(h) + 1)))
        if not ok or (t and not cut and got[len(got) - len(t):] != t):
            probs.append('goroutine %d [running]: the oracle\'s elided stack is not part of gocore\'s' % goid)
        return probs
    if want and not (len(got) >= len(want) and got[len(got) - len(want):] == [fkey(f) for f in want]):
        probs.append('goroutine %d [running]: the oracle\'s frames are not the tail of gocore\'s\n'
                     '      want …%s\n      got  …%s' % (goid, fmt_frames(want[-4:]), fmt_frames(jframes[-4:])))
    return probs


def match_expect(oracle, rx):
    """(must, may): oracle goroutines that certainly match rx (a frame's
    func or file), and those the oracle cannot decide (running goroutines
    whose stack it shows only in part, elided stacks)."""
    must, may = set(), set()
    for goid, g in oracle.g.items():
        frames, complete = g.visible()
        if any(rx.search(f['func']) or (f['file'] and rx.search(f['file'])) for f in frames):
            must.add(goid)
        elif not complete:
            may.add(goid)
    return must, may


def pprof_label_counts(path):
    """{(key, value): goroutines} over the samples' string labels of a
    gzipped profile.proto (Sample.label = 3: Label.key = 1, Label.str = 2;
    Profile.string_table = 6)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:2] == b'\x1f\x8b':
        data = gzip.decompress(data)
    strings, samples = [], []
    for fn, wt, v in _pb_fields(data):
        if fn == 6 and wt == 2:
            strings.append(v.decode('utf-8', 'replace'))
        elif fn == 2 and wt == 2:
            samples.append(v)
    counts = {}
    for s in samples:
        value, labels = 0, []
        for sfn, swt, sv in _pb_fields(s):
            if sfn == 2:
                value = sv if swt == 0 else _pb_varint(sv, 0)[0]
            elif sfn == 3 and swt == 2:
                lab = dict((lfn, lv) for lfn, lwt, lv in _pb_fields(sv) if lwt == 0)
                labels.append((lab.get(1, 0), lab.get(2, 0)))
        for k, v in labels:
            key = (strings[k], strings[v])
            counts[key] = counts.get(key, 0) + value
    return counts


def _pb_varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7f) << s
        s += 7
        if not c & 0x80:
            return v, i


def _pb_fields(b):
    i = 0
    while i < len(b):
        k, i = _pb_varint(b, i)
        fn, wt = k >> 3, k & 7
        if wt == 0:
            v, i = _pb_varint(b, i)
        elif wt == 2:
            n, i = _pb_varint(b, i)
            v = b[i:i + n]
            i += n
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError('wire type %d' % wt)
        yield fn, wt, v


def expected_labels(d, o):
    """goid -> {key: value} (str) as the program set them, or None when
    unknown: from the oracle's headers when the runtime printed labels
    (1.26 with GODEBUG, 1.27), else from testdata/NAME/labels.json (the
    program's own list, by the innermost main.* function of each goroutine;
    goroutines it does not list have none)."""
    def s(b):
        return b.decode('utf-8', 'replace')
    if o.shows_labels:
        return {g: {s(k): s(v) for k, v in (og.labels or {}).items()} for g, og in o.g.items()}
    path = os.path.join(ROOT, 'testdata', os.path.basename(d), 'labels.json')
    if not os.path.exists(path):
        return None
    with open(path) as f:
        roles = json.load(f)
    res = {}
    for goid, og in o.g.items():
        role = next((fr['func'] for fr in og.head + og.tail if fr['func'].startswith('main.')), None)
        res[goid] = roles.get(role, {})
    return res


def pprof_total(path):
    """Sum of the first value of every sample of a gzipped profile.proto
    (a minimal protobuf reader: Profile.sample = 2, Sample.value = 2)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:2] == b'\x1f\x8b':
        data = gzip.decompress(data)
    total = 0
    for fn, wt, v in _pb_fields(data):
        if fn != 2 or wt != 2:
            continue
        values = []
        for sfn, swt, sv in _pb_fields(v):
            if sfn != 2:
                continue
            if swt == 0:
                values.append(sv)
            else:
                j = 0
                while j < len(sv):
                    x, j = _pb_varint(sv, j)
                    values.append(x)
        if values:
            total += values[0]
    return total


def pprof_raw(path):
    """(ok, total, functions, detail) from `go tool pprof -raw`."""
    # (labels may hold any bytes: pprof prints them raw)
    p = subprocess.run(['go', 'tool', 'pprof', '-raw', path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, errors='replace',
                       timeout=TIMEOUT)
    if p.returncode != 0:
        return False, 0, set(), 'go tool pprof -raw exit %d: %s' % (p.returncode, first_line(p.stderr))
    total = 0
    funcs = set()
    section = None
    for l in p.stdout.splitlines():
        if l in ('Samples:', 'Locations', 'Mappings'):
            section = l
            continue
        if section == 'Samples:':
            m = re.match(r'^\s*(\d+): ', l)
            if m:
                total += int(m.group(1))
        elif section == 'Locations':
            m = re.match(r'^\s*(?:\d+: 0x[0-9a-f]+ (?:M=\d+ )?)?(\S+) \S+:\d+ s=', l)
            if m:
                funcs.add(m.group(1))
    if 'PeriodType: goroutine count' not in p.stdout:
        return False, total, funcs, 'no "PeriodType: goroutine count" in go tool pprof -raw'
    return True, total, funcs, ''


def check_program(d, tmp):
    """All per-program checks of cache directory d; returns Results."""
    r = Results()
    name = '%s/%s' % (os.path.basename(os.path.dirname(d)), os.path.basename(d))
    core, exe = os.path.join(d, 'core'), os.path.join(d, 'exe')
    # A C host with a c-shared library: the Go code (build info, version)
    # is the library's.
    golib = os.path.join(d, 'libgo.so')
    golib = golib if os.path.isfile(golib) else None
    gofile = golib or exe
    o = Oracle(os.path.join(d, 'oracle.txt'))
    ok_rc = (0, 3) if spec_gaps(os.path.basename(d)) else (0,)
    if not o.g:
        r.check(name + '/oracle', False, 'no goroutine blocks in %s/oracle.txt' % d)
        return r
    cache = {}
    elabels = expected_labels(d, o)

    def gc(*args):
        key = tuple(args)
        if key not in cache:
            cache[key] = run(list(args) + [core, exe])
        return cache[key]

    def gjson(*args):
        rc, out, err = gc(*args)
        if rc not in ok_rc:
            return None, 'gocore %s: exit %d: %s' % (' '.join(args), rc, first_line(err))
        try:
            return json.loads(out.decode('utf-8')), ''
        except ValueError as e:
            return None, 'gocore %s: not JSON: %s' % (' '.join(args), e)

    # ---- coredumpctl's --debugger call form: <exe> -c <core>
    # (systemd src/coredump/coredumpctl.c appends exe, "-c", core to the
    # debugger and its --debugger-arguments): the same dump as <core> <exe>.
    rc1, out1, _ = gc('goroutines')
    rc2, out2, err2 = run(['goroutines', exe, '-c', core])
    r.check(name + '/coredumpctl-form', rc2 == rc1 and out2 == out1 and out1,
            'gocore goroutines EXE -c CORE: exit %d (want %d), %s' % (rc2, rc1, first_line(err2)))
    rc2, out2, err2 = run(['summary', '--core', core, exe])
    rc1, out1, _ = gc('summary')
    r.check(name + '/core-option', rc2 == rc1 and out2 == out1 and out1,
            'gocore summary --core CORE EXE: exit %d (want %d), %s' % (rc2, rc1, first_line(err2)))

    # ---- overview
    ov, err = gjson('overview', '--json')
    if ov is None:
        r.check(name + '/overview', False, err)
    else:
        probs = []

        def want(field, exp, got=None):
            got = ov.get(field) if got is None else got
            if got != exp:
                probs.append('%s: want %r got %r' % (field, exp, got))
        want('goroutines', len(o.ids))
        want('states', o.states())
        want('panic', o.panic)
        # The signal that started the crash, by the runtime's own words: the
        # "[signal SIGx" of a fault turned into a panic, "SIGQUIT: quit" for
        # a SIGQUIT dump.  A plain panic or fatal error has none: the runtime
        # then aborts itself (GOTRACEBACK=crash raises SIGABRT), so the core's
        # SIGABRT is accepted there.
        if o.fault_signal:
            want('signal', o.fault_signal)
            want('signal_line', o.signal_line)
        elif o.signal_dump:
            want('signal', o.signal_dump)
            want('signal_line', '')
        else:
            if ov.get('signal') not in (None, 'SIGABRT'):
                probs.append('signal: want null or SIGABRT (no signal in the oracle) got %r' % ov.get('signal'))
            if ov.get('signal_line') not in (None, ''):
                probs.append('signal_line: want none got %r' % ov.get('signal_line'))
        if o.panic:
            want('crashing_goroutine', o.crashing)
        if o.crashing_m is not None:
            want('crashing_m', o.crashing_m)
        if o.sigquit and o.relay_m:
            want('threads', len(set(m for m, _ in o.relay_m)))
        # overview names the host and the Go library the core maps (the
        # kernel records its real path), null without one
        got_lib = ov.get('go_library', 'missing')
        if golib is None:
            want('go_library', None)
        elif not isinstance(got_lib, str) or os.path.realpath(got_lib) != os.path.realpath(golib):
            probs.append('go_library: want %s got %r' % (os.path.realpath(golib), got_lib))
        want('exe', exe)
        gv = go_version_m(gofile, tmp)
        if gv and gv['version']:
            want('go_version', gv['version'])
            if gv['mod']:
                want('module', gv['mod'])
            if gv['path']:
                want('main_package', gv['path'])
        r.problems(name + '/overview-json', probs,
                   '%d goroutines, %d states, signal %s, crashing %s' %
                   (len(o.ids), len(o.states()), ov.get('signal'), ov.get('crashing_goroutine')))
        rc, out, err = gc('overview')
        text = out.decode('utf-8', 'replace')
        version = gv['version'] if gv and gv['version'] else tool_go_version(gofile)
        vline = 'Go version:   %s' % version
        lines = text.splitlines()
        libline = [l for l in lines if l.startswith('Go library:')]
        lib_ok = (not libline if golib is None else
                  libline == ['Go library:   %s' % os.path.realpath(golib)])
        r.check(name + '/overview-text', rc in ok_rc and vline in lines and lib_ok and
                ('goroutines:   %d' % len(o.ids)) in text,
                'exit %d, %r%s%s' % (rc, vline, '' if vline in text else ' MISSING; stderr: ' + first_line(err),
                                     '' if lib_ok else '; Go library line %r' % libline))

    # ---- goroutines --json
    gs, err = gjson('goroutines', '--json')
    byid = {}
    if gs is None:
        r.check(name + '/goroutines-json', False, err)
    else:
        byid = {g['id']: g for g in gs}
        probs = []
        ids = [g['id'] for g in gs]
        if ids != sorted(o.ids):
            probs.append('ids: missing %s extra %s%s' % (sorted(set(o.ids) - set(ids))[:10],
                                                        sorted(set(ids) - set(o.ids))[:10],
                                                        '' if len(ids) == len(set(ids)) else ' (duplicates)'))
        nframes = 0
        for goid in o.ids:
            og, jg = o.g[goid], byid.get(goid)
            if jg is None:
                continue
            if jg.get('state') != og.state:
                probs.append('goroutine %d: state want %r got %r' % (goid, og.state, jg.get('state')))
            # The header's " (leaked)" (1.26+) and " (durable)" (1.25+)
            # markers are in the state; JSON also has them as booleans.
            for mark in ('leaked', 'durable'):
                if jg.get(mark) and not og.state.endswith(' (%s)' % mark):
                    probs.append('goroutine %d: %s is true, the header is [%s]' % (goid, mark, og.bracket))
            if og.state.endswith(' (leaked)') and not jg.get('leaked'):
                probs.append('goroutine %d: leaked is false, the header is [%s]' % (goid, og.bracket))
            bub = re.search(r', synctest (?:bubble|group) (\d+)', og.bracket)
            if (int(bub.group(1)) if bub else None) != jg.get('bubble'):
                probs.append('goroutine %d: bubble want %s got %r' % (goid, bub.group(1) if bub else None, jg.get('bubble')))
            if elabels is not None and jg.get('labels') != elabels.get(goid, {}):
                probs.append('goroutine %d: labels want %r got %r' % (goid, elabels.get(goid, {}), jg.get('labels')))
            if jg.get('locked_to_thread') != og.locked:
                probs.append('goroutine %d: locked_to_thread want %s got %s' % (goid, og.locked, jg.get('locked_to_thread')))
            if jg.get('wait_minutes') != og.minutes:
                probs.append('goroutine %d: wait_minutes want %d got %r' % (goid, og.minutes, jg.get('wait_minutes')))
            reason = og.state
            for mark in ('leaked', 'durable'):   # markers JSON's booleans vouch for
                if jg.get(mark) and reason.endswith(' (%s)' % mark):
                    reason = reason[:-len(mark) - 3]
            if reason not in STATUSES and jg.get('wait_reason') != reason:
                probs.append('goroutine %d: wait_reason want %r got %r' % (goid, reason, jg.get('wait_reason')))
            if og.state in ('running', 'runnable') and jg.get('wait_reason') != '':
                probs.append('goroutine %d: wait_reason want "" got %r' % (goid, jg.get('wait_reason')))
            cb = jg.get('created_by')
            if og.created is None:
                if cb is not None:
                    probs.append('goroutine %d: created_by want null got %r' % (goid, cb))
            elif not isinstance(cb, dict):
                probs.append('goroutine %d: created_by want %s got %r' % (goid, og.created['func'], cb))
            else:
                for k in ('func', 'file', 'line', 'goid'):
                    if cb.get(k) != og.created[k]:
                        probs.append('goroutine %d: created_by.%s want %r got %r' % (goid, k, og.created[k], cb.get(k)))
            cut = bool(jg.get('partial')) and 'frames; the innermost' in (jg.get('gap') or '')
            probs += frames_problems(goid, og, jg.get('frames', []), cut)
            nframes += len(og.head) + len(og.tail)
        r.problems(name + '/goroutines-json', probs, '%d goroutines, %d oracle frames' % (len(o.ids), nframes))

    # ---- waits: a sleep in a synctest bubble runs on the bubble's clock
    # (testing/synctest: it starts at midnight UTC 2000-01-01), any other
    # on the process's nanotime
    sleepers = {}
    for goid in o.ids:
        og = o.g[goid]
        if og.state.startswith('sleep'):
            sleepers[goid] = bool(re.search(r', synctest (?:bubble|group) \d+', og.bracket))
    if sleepers and any(sleepers.values()):
        rc, out, err = gc('waits', '--json')
        probs = []
        try:
            entries = [e for e in json.loads(out) if e.get('kind') == 'sleep']
        except ValueError as e:
            entries, probs = [], ['waits --json: %s (exit %d)' % (e, rc)]
        epoch = 946684800 * 10**9
        for e in entries:
            for goid in e.get('goroutines', []):
                if goid not in sleepers:
                    continue
                want = 'bubble' if sleepers[goid] else 'process'
                if e.get('clock') != want:
                    probs.append('goroutine %d: clock %r, want %r' % (goid, e.get('clock'), want))
                elif want == 'bubble' and (e.get('when_ns') is None or e.get('fires_in_ns') is None or
                                           e['fires_in_ns'] < 0 or e['when_ns'] - e['fires_in_ns'] < epoch):
                    probs.append('goroutine %d: when_ns %r, fires_in_ns %r: not on a bubble clock '
                                 'started at 2000-01-01' % (goid, e.get('when_ns'), e.get('fires_in_ns')))
        seen = {g for e in entries for g in e.get('goroutines', [])}
        probs += ['goroutine %d sleeps and has no sleep entry' % g for g in sleepers if g not in seen]
        r.problems(name + '/waits-sleep-clock', probs, '%d sleepers, %d in a bubble' % (
            len(sleepers), sum(sleepers.values())))

    # ---- goroutines -v: parked blocks byte for byte
    rc, out, err = gc('goroutines', '-v')
    if rc not in ok_rc:
        r.check(name + '/goroutines-v', False, 'exit %d: %s' % (rc, first_line(err)))
    else:
        mine = compare.first_blocks(compare.parse(out.decode('utf-8', 'replace')))
        probs = []
        n = 0
        for goid in o.ids:
            og = o.g[goid]
            if not og.parked:
                continue
            n += 1
            mb = mine.get(goid)
            if mb is None:
                probs.append('goroutine %d missing' % goid)
            elif mb.raw != og.raw:
                d_ = compare.first_difference(og.raw, mb.raw)
                probs.append('goroutine %d line %d:\n      want %s\n      got  %s' % ((goid,) + d_))
        r.problems(name + '/goroutines-v', probs, '%d parked goroutines identical to the oracle' % n)

    # ---- stack GOID --json == element of goroutines --json
    if byid:
        goids = o.ids if len(o.ids) <= 60 else o.ids[:30] + o.ids[-10:]
        probs = []
        for goid in goids:
            sj, err = gjson('stack', '--json', str(goid))
            if sj is None:
                probs.append(err)
            elif sj != [byid.get(goid)]:
                probs.append('goroutine %d: stack --json differs from its goroutines --json element' % goid)
        r.problems(name + '/stack-json', probs, '%d goroutines' % len(goids))

    # ---- filters
    filters = []   # (label, args, must, may)
    for st in sorted(o.states()):
        filters.append(('state=' + st, ['--state', st], {g for g in o.ids if o.g[g].state == st}, set()))
    filters.append(('state=nosuch', ['--state', 'no such state'], set(), set()))
    mainfuncs = {}
    for g in o.g.values():
        if g.complete:
            for f in set(f['func'] for f in g.head):
                if f.startswith('main.'):
                    mainfuncs[f] = mainfuncs.get(f, 0) + 1
    pats = [r'main\.', r'/runtime/chan\.go$', r'^runtime\.gopark$']
    if mainfuncs:
        rare = min(sorted(mainfuncs), key=lambda f: mainfuncs[f])
        pats.append('^' + re.escape(rare) + '$')
    for p in pats:
        must, may = match_expect(o, re.compile(p))
        filters.append(('match=' + p, ['--match', p], must, may))
    # --min-wait M: goroutines whose wait time is known and >= M.  The
    # oracle prints ", N minutes" only for N >= 1; a goroutine that is not
    # waiting (running, runnable) has no known wait.
    notwaiting = {g for g in o.ids if o.g[g].state in ('running', 'runnable')}
    for mw in (0, 1, 2):
        must = {g for g in o.ids if o.g[g].minutes >= max(mw, 1)}
        may = set() if mw >= 1 else set(o.ids) - must - notwaiting
        filters.append(('min-wait=%d' % mw, ['--min-wait', str(mw)], must, may))
    if o.states().get('chan receive') and mainfuncs:
        must, may = match_expect(o, re.compile(r'main\.'))
        cr = {g for g in o.ids if o.g[g].state == 'chan receive'}
        filters.append(('state+match', ['--state', 'chan receive', '--match', r'main\.'], must & cr, may & cr))
    # --label KEY and --label KEY=VALUE against the labels the program set.
    if elabels:
        keys = sorted({k for ls in elabels.values() for k in ls})
        for k in keys:
            filters.append(('label=' + k, ['--label', k], {g for g in o.ids if k in elabels.get(g, {})}, set()))
            vals = sorted({ls[k] for ls in elabels.values() if k in ls})
            v = vals[0]
            if '\ufffd' not in v and '=' not in k:
                filters.append(('label=%s=%s' % (k, v), ['--label', '%s=%s' % (k, v)],
                                {g for g in o.ids if elabels.get(g, {}).get(k) == v}, set()))
    for fi, (label, args, must, may) in enumerate(filters):
        probs = []

        def within(what, got):
            got = set(got)
            if not (must <= got <= must | may):
                probs.append('%s: missing %s extra %s' % (what, sorted(must - got)[:10], sorted(got - must - may)[:10]))
        fj, err = gjson('goroutines', '--json', *args)
        jids = None
        if fj is None:
            probs.append(err)
        else:
            jids = [g['id'] for g in fj]
            within('goroutines --json', jids)
        rc, out, err = gc('goroutines', *args)
        if rc not in ok_rc:
            probs.append('goroutines: exit %d: %s' % (rc, first_line(err)))
        else:
            tids = [b.goid for b in compare.parse(out.decode('utf-8', 'replace'))]
            if jids is not None and tids != jids:
                probs.append('goroutines text lists %d goroutines, --json %d' % (len(tids), len(jids)))
        sj, err = gjson('summary', '--json', *args)
        if sj is None:
            probs.append(err)
        else:
            sids = [x for grp in sj for x in grp['goids']]
            within('summary --json goids', sids)
            if sum(grp['count'] for grp in sj) != len(sids):
                probs.append('summary --json counts add up to %d, goids %d' % (sum(grp['count'] for grp in sj), len(sids)))
        pf = os.path.join(tmp, '%s.filter%d.pb.gz' % (name.replace('/', '_'), fi))
        rc, out, err = run(['pprof', '-o', pf] + args + [core, exe])
        if rc not in ok_rc:
            probs.append('pprof: exit %d: %s' % (rc, first_line(err)))
        else:
            try:
                tot = pprof_total(pf)
                if not (len(must) <= tot <= len(must | may)) or (jids is not None and tot != len(jids)):
                    probs.append('pprof: %d samples, want %s%s' % (tot, len(must), '' if not may else '..%d' % len(must | may)))
            except (ValueError, IndexError, OSError) as e:
                probs.append('pprof: unreadable profile: %s' % e)
        r.problems('%s/filter-%s' % (name, label), probs,
                   '%d goroutines%s (goroutines, summary, pprof)' % (len(must), '' if not may else ' + %d undecidable' % len(may)))

    # ---- summary
    sj, err = gjson('summary', '--json')
    if sj is None:
        r.check(name + '/summary-json', False, err)
    else:
        probs = []
        sids = [x for grp in sj for x in grp['goids']]
        if sorted(sids) != o.ids or len(sids) != len(set(sids)):
            probs.append('goids: missing %s extra %s' % (sorted(set(o.ids) - set(sids))[:10], sorted(set(sids) - set(o.ids))[:10]))
        if sum(grp['count'] for grp in sj) != len(o.ids):
            probs.append('counts add up to %d, oracle %d' % (sum(grp['count'] for grp in sj), len(o.ids)))
        group_of = {}
        for gi, grp in enumerate(sj):
            if grp['count'] != len(grp['goids']):
                probs.append('group %d: count %d, %d goids' % (gi, grp['count'], len(grp['goids'])))
            members = [o.g[x] for x in grp['goids'] if x in o.g]
            for m in members:
                group_of[m.goid] = gi
                if m.state != grp['state']:
                    probs.append('group %d [%s]: goroutine %d is [%s] in the oracle' % (gi, grp['state'], m.goid, m.state))
            comp = [m for m in members if m.complete]
            keys = set(m.key() for m in comp)
            if len(keys) > 1:
                probs.append('group %d [%s]: goroutines %s have different stacks in the oracle'
                             % (gi, grp['state'], [m.goid for m in comp][:6]))
            if comp and len(keys) == 1:
                want = list(comp[0].key()[1])
                got = [(f['func'], f['file'], f['line']) for f in grp.get('frames', [])]
                if got != want:
                    probs.append('group %d: frames differ from the oracle stack of goroutine %d' % (gi, comp[0].goid))
            mins = [m.minutes for m in members]
            if grp.get('wait_minutes_max') != max(mins + [0]):
                probs.append('group %d: wait_minutes_max want %d got %r' % (gi, max(mins + [0]), grp.get('wait_minutes_max')))
            if mins and min(mins) >= 1 and grp.get('wait_minutes_min') != min(mins):
                probs.append('group %d: wait_minutes_min want %d got %r' % (gi, min(mins), grp.get('wait_minutes_min')))
        bykey = {}
        for g in o.g.values():
            if g.complete:
                bykey.setdefault(g.key(), set()).add(group_of.get(g.goid))
        for k, gset in bykey.items():
            if len(gset) > 1:
                probs.append('identical oracle stacks [%s] … split over groups %s' % (k[0], sorted(x for x in gset if x is not None)))
        nsame = sum(1 for v in bykey.values())
        r.problems(name + '/summary-json', probs, '%d groups, %d oracle stack classes' % (len(sj), nsame))
        rc, out, err = gc('summary')
        text = out.decode('utf-8', 'replace')
        counts = [int(m.group(1)) for m in re.finditer(r'^(\d+) goroutines? \[', text, re.M)]
        r.check(name + '/summary-text', rc in ok_rc and sum(counts) == len(o.ids) and len(counts) == len(sj),
                'exit %d, %d groups adding up to %d (oracle %d)%s' % (rc, len(counts), sum(counts), len(o.ids),
                                                                    '' if rc in ok_rc else ': ' + first_line(err)))

    # ---- labels: summary --group-by label=KEY and the pprof samples' labels
    if elabels and any(elabels.values()):
        keys = sorted({k for ls in elabels.values() for k in ls})
        key = max(keys, key=lambda k: (sum(1 for ls in elabels.values() if k in ls), k))
        sj, err = gjson('summary', '--json', '--group-by', 'label=' + key)
        probs = [err] if sj is None else []
        for gi, grp in enumerate(sj or []):
            vals = {elabels.get(x, {}).get(key) for x in grp['goids']}
            want = {} if vals == {None} else {key: vals.pop()} if len(vals) == 1 else None
            if want is None:
                probs.append('group %d mixes values of %s: %s' % (gi, key, sorted(map(str, vals))))
            elif grp.get('labels') != want:
                probs.append('group %d: labels want %r got %r' % (gi, want, grp.get('labels')))
        if sj is not None and sum(g['count'] for g in sj) != len(o.ids):
            probs.append('groups add up to %d, oracle %d' % (sum(g['count'] for g in sj), len(o.ids)))
        r.problems(name + '/summary-group-by-label', probs, '%d groups by label %s' % (len(sj or []), key))
        pf = os.path.join(tmp, '%s.labels.pb.gz' % name.replace('/', '_'))
        rc, out, err = run(['pprof', '-o', pf, core, exe])
        if rc not in ok_rc:
            r.check(name + '/pprof-labels', False, 'exit %d: %s' % (rc, first_line(err)))
        else:
            want = {}
            for ls in elabels.values():
                for kv in ls.items():
                    want[kv] = want.get(kv, 0) + 1
            got = pprof_label_counts(pf)
            r.check(name + '/pprof-labels', got == want, '%d label pairs on the samples%s' % (
                len(got), '' if got == want else ': want %r got %r' % (sorted(want.items())[:5], sorted(got.items())[:5])))

    # ---- pprof through go tool pprof
    if shutil.which('go'):
        topstate = max(sorted(o.states()), key=lambda s: o.states()[s])
        for label, args, want_n in (('pprof', [], len(o.ids)),
                                    ('pprof-state', ['--state', topstate], o.states()[topstate])):
            pf = os.path.join(tmp, '%s.%s.pb.gz' % (name.replace('/', '_'), label))
            rc, out, err = run(['pprof', '-o', pf] + args + [core, exe])
            if rc not in ok_rc:
                r.check('%s/%s' % (name, label), False, 'exit %d: %s' % (rc, first_line(err)))
                continue
            ok, tot, funcs, detail = pprof_raw(pf)
            probs = [] if ok else [detail]
            if tot != want_n:
                probs.append('go tool pprof -raw: %d samples, oracle %d%s' % (tot, want_n, ' [%s]' % topstate if args else ''))
            if not args:
                if pprof_total(pf) != tot:
                    probs.append('own protobuf reader says %d samples, go tool pprof %d' % (pprof_total(pf), tot))
                ofuncs = set(f['func'] for g in o.g.values() if g.complete for f in g.head)
                # pprof names functions by symbol: "(...)" generics aside,
                # the oracle's printed names are the symbols.
                miss = sorted(f for f in ofuncs - funcs if '[...]' not in f)
                if miss:
                    probs.append('functions of oracle stacks missing from the profile: %s' % miss[:6])
            r.problems('%s/%s' % (name, label), probs,
                       '%d samples%s' % (tot, ' [%s]' % topstate if args else ''))
    else:
        r.check(name + '/pprof', False, 'go not found (needed for go tool pprof)')

    # ---- threads
    th, err = gjson('threads', '--json')
    if th is None:
        r.check(name + '/threads', False, err)
    else:
        probs = []
        if ov is not None and len(th) != ov.get('threads'):
            probs.append('%d entries, overview says %r threads' % (len(th), ov.get('threads')))
        sig = [t for t in th if t.get('signal')]
        if len(sig) != 1:
            probs.append('%d entries with a signal, want 1' % len(sig))
        else:
            st = sig[0]
            # The thread that took the core's signal (the runtime's crash)
            # is the one the crash began on, except in a signal dump before
            # Go 1.22: the last M of the SIGQUIT relay crashes there, while
            # from 1.22 the first one waits for the others and crashes
            # itself (signal_unix.go crashing).  Either way a relayed M.
            relayed = [m for m, _ in o.relay_m]
            crash_thread = ov is not None and st['lwp'] == ov.get('crashing_thread')
            if ov is not None and not crash_thread and not (relayed and st.get('m') == relayed[-1]):
                probs.append('signal thread LWP %r (M %r), overview crashing_thread %r%s'
                             % (st['lwp'], st.get('m'), ov.get('crashing_thread'),
                                ', not the last M of the relay' if relayed else ''))
            if o.panic and crash_thread and st.get('goroutine') != o.crashing:
                probs.append('signal thread runs goroutine %r, oracle crashing goroutine %r' % (st.get('goroutine'), o.crashing))
            if (o.sigquit or o.signal_dump) and relayed and st.get('m') not in (relayed[-1], relayed[0]):
                probs.append('signal thread is M %r; the oracle\'s SIGQUIT relay starts with M %d '
                             'and ends with M %d (one of them crashes)'
                             % (st.get('m'), relayed[0], relayed[-1]))
        if ov is not None:
            ct = [t for t in th if t.get('lwp') == ov.get('crashing_thread')]
            if len(ct) != 1:
                probs.append('%d threads with overview\'s crashing_thread LWP %r' % (len(ct), ov.get('crashing_thread')))
            elif ov.get('crashing_m') is not None and ct[0].get('m') != ov.get('crashing_m'):
                probs.append('crashing thread LWP %r is M %r, overview crashing_m %r'
                             % (ct[0]['lwp'], ct[0].get('m'), ov.get('crashing_m')))
        if o.relay_m:
            bym = {t.get('m'): t for t in th}
            for m, goid in o.relay_m:
                t = bym.get(m)
                if t is None:
                    probs.append('no thread for M %d of the oracle' % m)
                elif t.get('goroutine') != goid:
                    probs.append('M %d runs goroutine %r, oracle relay says %r' % (m, t.get('goroutine'), goid))
        r.problems(name + '/threads-json', probs, '%d threads%s' % (len(th), ', %d relayed Ms' % len(o.relay_m) if o.relay_m else ''))
        rc, out, err = gc('threads')
        nl = len(out.decode('utf-8', 'replace').splitlines())
        r.check(name + '/threads-text', rc in ok_rc and nl == len(th) + 1, 'exit %d, %d lines for %d threads' % (rc, nl, len(th)))

    # ---- panicparse
    pp = shutil.which('panicparse')
    if pp:
        rc, out, err = gc('goroutines')
        if rc not in ok_rc:
            r.check(name + '/panicparse', False, 'gocore goroutines: exit %d' % rc)
        else:
            # Debian's panicparse 2.3.0 predates Go 1.22's " gp=… m=… mp=…"
            # header fields (its upstream parses them): drop them so the
            # rest of the dump is still checked against it.
            stripped = re.sub(rb'^(goroutine \d+) gp=\S+ m=\S+(?: mp=\S+)?', rb'\1', out, flags=re.M)
            # ... and Go 1.27's labels after the brackets ("] {k: v}:").
            stripped = re.sub(rb'^(goroutine \d+ \[.*\]) \{.*\}:$', rb'\1:', stripped, flags=re.M)
            p = subprocess.run([pp, '-no-color'], input=stripped, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=TIMEOUT)
            txt = p.stdout.decode('utf-8', 'replace') + p.stderr.decode('utf-8', 'replace')
            n = sum(int(m.group(1)) for m in re.finditer(r'^(\d+): ', txt, re.M))
            r.check(name + '/panicparse', p.returncode == 0 and n == len(o.ids),
                    'exit %d, %d goroutines in its buckets (oracle %d)%s'
                    % (p.returncode, n, len(o.ids),
                       ' (gp=/m= header fields and 1.27 labels removed for panicparse 2.3.0)' if stripped != out else ''))
    else:
        r.check(name + '/panicparse', False, 'panicparse not installed (apt-get install panicparse)')
    return r


# ---------------------------------------------------------------- --lib

VARIANTS = ('stripped', 'pie', 'nosections')


def patch_go_build_id(src, dst):
    """Copies src to dst with one byte of its Go build ID changed (the
    "Go" note, type 4, that the Go linker puts in the first page): another
    build of the same library, as far as any check can tell.  False when
    there is no such note."""
    with open(src, 'rb') as f:
        data = bytearray(f.read())
    i = data.find(b'\x04\x00\x00\x00Go\x00\x00', 0, 4096)
    if i < 8:
        return False
    desc = i + 8
    data[desc] = ord('A') if data[desc] != ord('A') else ord('B')
    with open(dst, 'wb') as f:
        f.write(data)
    return True


def check_golib(d, tmp):
    """--lib on a c-shared program (d has libgo.so) whose library is gone:
    the program crashed again by tests/crash.sh in a scratch cache (same
    toolchain and build variant as d), then its libgo.so moved away, so
    that the path the core records no longer exists.  Checks: without
    --lib gocore exits 2 naming that path and --lib; with --lib the moved
    library gives the oracle's dump (compare.py at e2e.sh's thresholds) and
    overview names the copy and the recorded path; another build (Go build
    ID changed) is refused naming both files, and goes on with a warning
    under --force; a file without Go code is refused."""
    r = Results()
    prog = os.path.basename(d)
    cache = os.path.basename(os.path.dirname(d))
    name = '%s/%s/lib' % (cache, prog)
    try:
        with open(os.path.join(d, 'toolchain')) as f:
            gover = f.read().strip()
    except OSError:
        gover = '1.19'
    env = dict(os.environ, GOCORE_GO=gover, GOCORE_RECRASH='1')
    env.pop('GOCORE_BUILD_VARIANT', None)
    for v in VARIANTS:
        if cache.endswith('-' + v):
            env['GOCORE_BUILD_VARIANT'] = v
    base = tempfile.mkdtemp(prefix='lib-%s-' % cache, dir=tmp)
    env['GOCORE_E2E_DIR'] = base
    p = subprocess.run([os.path.join(ROOT, 'tests', 'crash.sh'), prog], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    last = (p.stdout.strip().splitlines() or ['(no output)'])[-1]
    if not r.check(name + '-crash', p.returncode == 0,
                   'tests/crash.sh %s (Go %s%s) in a scratch cache: exit %d: %s'
                   % (prog, gover, ', ' + env['GOCORE_BUILD_VARIANT'] if 'GOCORE_BUILD_VARIANT' in env else '',
                      p.returncode, last)):
        return r
    cd = os.path.join(base, prog)
    core, exe, lib = (os.path.join(cd, f) for f in ('core', 'exe', 'libgo.so'))
    oracle = os.path.join(cd, 'oracle.txt')
    recorded = os.path.realpath(lib)
    os.makedirs(os.path.join(base, 'moved'))
    moved = os.path.join(base, 'moved', 'libgo.so')
    os.rename(lib, moved)

    rc, out, err = run(['goroutines', core, exe])
    r.check(name + '-gone', rc == 2 and not out and recorded in err and '--lib' in err,
            'without --lib: exit %d, stderr %r' % (rc, first_line(err)))

    rc, out, err = run(['goroutines', '--lib', moved, core, exe])
    mine = os.path.join(cd, 'out.lib.txt')
    with open(mine, 'wb') as f:
        f.write(out)
    cp = subprocess.run([sys.executable, os.path.join(HERE, 'compare.py'), '--name', prog,
                         '--relay-stacks', '--min-listed', '100', '--min-header', '100',
                         '--min-parked', '99', '--min-running', '100', oracle, mine],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    r.check(name + '-moved', rc == 0 and cp.returncode == 0,
            '--lib %s: exit %d%s; %s' % (os.path.relpath(moved, base), rc,
                                        '' if rc == 0 else ' (%s)' % first_line(err),
                                        first_line(cp.stdout)))

    probs = []
    rc, out, err = run(['overview', '--json', '--lib', moved, core, exe])
    try:
        ov = json.loads(out.decode('utf-8')) if rc == 0 else None
    except ValueError:
        ov = None
    if ov is None:
        probs.append('overview --json: exit %d: %s' % (rc, first_line(err)))
    else:
        if ov.get('go_library') != moved:
            probs.append('go_library: want %s got %r' % (moved, ov.get('go_library')))
        if ov.get('exe') != exe:
            probs.append('exe: want %s got %r' % (exe, ov.get('exe')))
    rc, out, err = run(['overview', '--lib', moved, core, exe])
    want = 'Go library:   %s (the core maps %s)' % (moved, recorded)
    if rc != 0 or want not in out.decode('utf-8', 'replace').splitlines():
        probs.append('overview: exit %d, no line %r' % (rc, want))
    r.problems(name + '-overview', probs, 'names the copy and the recorded path')

    wrong = os.path.join(base, 'wrong', 'libgo.so')
    os.makedirs(os.path.dirname(wrong))
    if not patch_go_build_id(moved, wrong):
        r.check(name + '-wrong', False, 'no Go build ID note in the first page of %s' % moved)
        return r
    rc, out, err = run(['goroutines', '--lib', wrong, core, exe])
    r.check(name + '-wrong', rc == 2 and not out and wrong in err and recorded in err and
            'Go build ID' in err, 'another build: exit %d, stderr %r' % (rc, first_line(err)))
    rc, out, err = run(['goroutines', '--force', '--lib', wrong, core, exe])
    r.check(name + '-wrong-force', rc in (0, 3) and out and 'warning' in err,
            '--force: exit %d, %d bytes, stderr %r' % (rc, len(out), first_line(err)))
    rc, out, err = run(['goroutines', '--lib', exe, core, exe])
    r.check(name + '-not-go', rc == 2 and not out and 'not a Go library' in err,
            'the host as --lib: exit %d, stderr %r' % (rc, first_line(err)))
    shutil.rmtree(base, ignore_errors=True)
    return r


# ---------------------------------------------------------------- once

def check_errors(d, other, tmp):
    r = Results()
    core, exe = os.path.join(d, 'core'), os.path.join(d, 'exe')
    usage = [
        ('unknown-command', ['nosuchcommand', core, exe]),
        ('unknown-option', ['goroutines', '--no-such-option', core, exe]),
        ('pprof-json', ['pprof', '--json', '-o', os.path.join(tmp, 'x.pb.gz'), core, exe]),
        ('pprof-no-o', ['pprof', core, exe]),
        ('overview-state', ['overview', '--state', 'running', core, exe]),
        ('threads-match', ['threads', '--match', 'main', core, exe]),
        ('min-wait-word', ['goroutines', '--min-wait', 'abc', core, exe]),
        ('min-wait-negative', ['goroutines', '--min-wait', '-1', core, exe]),
        ('min-wait-trailing', ['summary', '--min-wait', '1x', core, exe]),
        ('match-bad-regex', ['goroutines', '--match', '(', core, exe]),
        ('stack-notanumber', ['stack', 'notanumber', core, exe]),
        ('lib-empty', ['goroutines', '--lib', '', core, exe]),
        ('no-core', ['goroutines']),
        ('report-no-o', ['report', core, exe]),
        ('report-json', ['report', '--json', '-o', os.path.join(tmp, 'x.html'), core, exe]),
        ('summary-o', ['summary', '-o', os.path.join(tmp, 'x.html'), core, exe]),
        ('core-option-two-args', ['goroutines', core, exe, '-c', core]),
        ('core-option-empty', ['goroutines', '-c', '', exe]),
        ('color-bogus', ['goroutines', '--color=sometimes', core, exe]),
    ]
    for label, args in usage:
        rc, out, err = run(args)
        r.check('errors/usage-' + label, rc == 1 and err.strip() != '',
                'gocore %s: exit %d, stderr %r' % (' '.join(a if a not in (core, exe) else os.path.basename(a) for a in args),
                                                   rc, first_line(err)))
    rnd = os.path.join(tmp, 'random.core')
    rg = random.Random(1)
    with open(rnd, 'wb') as f:
        f.write(bytes(rg.getrandbits(8) for _ in range(65536)))
    empty = os.path.join(tmp, 'empty.core')
    open(empty, 'wb').close()
    inputs = [
        ('nonexistent-core', ['goroutines', os.path.join(tmp, 'no-such-core'), exe]),
        ('random-core', ['goroutines', rnd, exe]),
        ('empty-core', ['overview', empty, exe]),
        ('exe-as-core', ['goroutines', exe, exe]),
        ('nonexistent-exe', ['goroutines', core, os.path.join(tmp, 'no-such-exe')]),
        ('nonexistent-lib', ['goroutines', '--lib', os.path.join(tmp, 'no-such-lib.so'), core, exe]),
    ]
    if other:
        inputs.append(('mismatched-exe', ['goroutines', core, other]))
        inputs.append(('mismatched-exe-overview', ['overview', '--json', core, other]))
    for label, args in inputs:
        rc, out, err = run(args)
        r.check('errors/input-' + label, rc == 2 and err.strip() != '' and not out,
                'exit %d, stdout %d bytes, stderr %r' % (rc, len(out), first_line(err)))
    return r


def check_compressed(d, ccache):
    r = Results()
    core, exe = os.path.join(d, 'core'), os.path.join(d, 'exe')
    os.makedirs(ccache, exist_ok=True)
    ref = {c: run([c[0]] + list(c[1:]) + [core, exe]) for c in (('goroutines',), ('overview', '--json'))}
    tools = [('zstd', 'zst', ['zstd', '-q', '-c']), ('xz', 'xz', ['xz', '-T0', '-1', '-c']),
             ('lz4', 'lz4', ['lz4', '-q', '-c']), ('gzip', 'gz', ['gzip', '-c'])]
    for tool, ext, cmd in tools:
        name = 'compressed/%s-%s' % (os.path.basename(d), tool)
        if not shutil.which(cmd[0]):
            r.check(name, False, '%s not installed' % cmd[0])
            continue
        # named by the cache too: each toolchain's chans is another core
        cf = os.path.join(ccache, '%s-%s.core.%s' % (os.path.basename(os.path.dirname(d)),
                                                     os.path.basename(d), ext))
        if not os.path.exists(cf) or os.path.getmtime(cf) < os.path.getmtime(core):
            with open(cf + '.tmp', 'wb') as f:
                p = subprocess.run(cmd + [core], stdout=f, stderr=subprocess.PIPE)
            if p.returncode != 0:
                r.check(name, False, '%s failed: %s' % (cmd[0], first_line(p.stderr.decode())))
                continue
            os.replace(cf + '.tmp', cf)
        probs = []
        for c, (rc0, out0, _) in ref.items():
            rc, out, err = run([c[0]] + list(c[1:]) + [cf, exe])
            if rc != rc0 or out != out0:
                probs.append('gocore %s: exit %d (uncompressed %d), stdout %s; stderr %r'
                             % (' '.join(c), rc, rc0, 'identical' if out == out0 else 'DIFFERS', first_line(err)))
        r.problems(name, probs, 'goroutines and overview --json identical (%d bytes compressed)' % os.path.getsize(cf))
    return r


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('names', nargs='*', metavar='NAME')
    ap.add_argument('--dir', action='append', metavar='DIR',
                    help='an e2e cache (default cache/e2e; repeatable)')
    ap.add_argument('--variants', action='store_true',
                    help='also every other cache/e2e-* directory (stripped, pie, nosections, gdb)')
    ap.add_argument('-j', '--jobs', type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    os.chdir(ROOT)
    dirs = a.dir or ['cache/e2e']
    if a.variants:
        dirs += sorted(os.path.join('cache', x) for x in os.listdir('cache')
                       if x.startswith('e2e-') and os.path.isdir(os.path.join('cache', x)))
    if not os.access(GOCORE, os.X_OK):
        print('FAIL setup: %s is not an executable (run make)' % GOCORE)
        print('0 passed, 1 failed')
        return 1
    progs = []
    for cd in dirs:
        if not os.path.isdir(cd):
            continue
        for n in sorted(os.listdir(cd)):
            p = os.path.join(cd, n)
            if a.names and n not in a.names:
                continue
            if all(os.path.isfile(os.path.join(p, f)) for f in ('exe', 'core', 'oracle.txt')):
                progs.append(p)
    if not progs:
        print('FAIL setup: no %s/NAME/{exe,core,oracle.txt}: run tests/e2e.sh first' % ' or '.join(dirs))
        print('0 passed, 1 failed')
        return 2
    total = Results()
    tmp = tempfile.mkdtemp(prefix='gocore-commands.')
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as ex:
            futs = [ex.submit(check_program, p, tmp) for p in progs]
            futs += [ex.submit(check_golib, p, tmp) for p in progs
                     if os.path.isfile(os.path.join(p, 'libgo.so'))]
            base = [p for p in progs if p.startswith(dirs[0] + '/')] or progs
            ref = next((p for p in base if os.path.basename(p) == 'chans'), base[0])
            other = next((os.path.join(p, 'exe') for p in base if p != ref), None)
            futs.append(ex.submit(check_errors, ref, other, tmp))
            futs.append(ex.submit(check_compressed, ref, os.path.join('cache', 'commands')))
            for f in futs:
                try:
                    res = f.result()
                except Exception as e:  # a bug here must not look like a pass
                    res = Results()
                    res.check('harness', False, '%s: %s' % (type(e).__name__, e))
                for l in res.lines:
                    print(l)
                sys.stdout.flush()
                total.merge(res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print('%d passed, %d failed' % (total.passed, total.failed))
    return 1 if total.failed else 0


if __name__ == '__main__':
    sys.exit(main())
