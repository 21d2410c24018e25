#!/usr/bin/env python3
"""report_data.py PAGE.html SUMMARY.json OVERVIEW.json THREADS.json WAITS.json

Checks the data a gocore report embeds against the commands' own JSON
(which the other tests check against the runtime's dumps): each section is
one <script type="application/json" id="d-NAME"> element whose text holds
no '<' (nothing in a core can close the element), parses as JSON, and,
once its "#..." id lists are expanded (base-36 deltas, "d*n" a run of n
equal deltas), equals what the command prints.  Prints PASS/FAIL lines;
exits 1 on a failure.  --selftest checks the decoder and that the checker
fails on a changed page.
"""
import json
import re
import sys

failed = 0


def check(ok, what, detail=''):
    global failed
    print('%s %s%s' % ('PASS' if ok else 'FAIL', what, '' if ok or not detail else ': ' + detail))
    if not ok:
        failed += 1


def ids(v):
    """A list of goroutine ids as the page writes it, expanded."""
    if not isinstance(v, str):
        return v
    assert v.startswith('#'), v
    out, prev = [], 0
    for tok in v[1:].split(','):
        if not tok:
            continue
        n = 1
        if '*' in tok:
            tok, n = tok.split('*')
            n = int(n, 36)
        d = -int(tok[1:], 36) if tok.startswith('-') else int(tok, 36)
        for _ in range(n):
            prev += d
            out.append(prev)
    return out


def expand(x):
    """x with every "#..." string expanded (the page's id lists)."""
    if isinstance(x, list):
        return [expand(e) for e in x]
    if isinstance(x, dict):
        return {k: expand(v) for k, v in x.items()}
    if isinstance(x, str) and x.startswith('#') and re.fullmatch(r'#[-0-9a-z*,]*', x):
        return ids(x)
    return x


def sections(html):
    out = {}
    for m in re.finditer(r'<script type="application/json" id="d-([a-z-]+)">(.*?)</script>', html, re.S):
        out[m.group(1)] = m.group(2)
    return out


def main(argv):
    page, summary, overview, threads, waits = argv
    html = open(page, encoding='utf-8', errors='replace').read()
    want = {n: json.load(open(p)) for n, p in
            (('summary', summary), ('overview', overview), ('threads', threads), ('waits', waits))}
    sec = sections(html)
    for name in ('overview', 'threads', 'waits', 'groups', 'version', 'stderr'):
        check(name in sec, '%s: section d-%s present' % (page, name))
    for name, text in sec.items():
        check('<' not in text, '%s: no "<" inside d-%s' % (page, name))
    data = {}
    for name, text in sec.items():
        try:
            data[name] = expand(json.loads(text))
        except ValueError as e:
            check(False, '%s: d-%s parses as JSON' % (page, name), str(e))
    if 'overview' in data:
        check(data['overview'] == want['overview'], '%s: d-overview equals overview --json' % page)
    if 'threads' in data:
        check(data['threads'] == want['threads'], '%s: d-threads equals threads --json' % page)
    if 'waits' in data:
        more = int(sec.get('waits-more', '0'))
        w = want['waits']
        check(data['waits'] == w[:len(data['waits'])] and len(data['waits']) + more == len(w),
              '%s: d-waits equals waits --json (%d listed, %d more)' % (page, len(data['waits']), more))
    g = data.get('groups')
    if g:
        s = want['summary']
        got = [(x['n'], x['s'], x['g'], [(g['funcs'][f[0]], g['files'][f[1]], f[2]) for f in x['f']])
               for x in g['groups']]
        exp = [(x['count'], x['state'], x['goids'], [(f['func'], f['file'], f['line']) for f in x['frames']])
               for x in s]
        check(got == exp, '%s: d-groups equals summary --json (%d groups, %d goroutines)'
              % (page, len(exp), sum(x[0] for x in exp)),
              'first difference at group %s' % next((i for i, (a, b) in enumerate(zip(got, exp)) if a != b), len(got)))
        leaked = sum(x['k'] for x in g['groups'])
        if want['overview'].get('leaked') is not None:
            check(leaked == want['overview']['leaked'], '%s: leaked goroutines in the groups equal overview\'s' % page,
                  '%d != %d' % (leaked, want['overview']['leaked']))
        check(all(len(ids(x['kg'])) == x['k'] for x in g['groups']), '%s: each group lists its leaked goids' % page)
    return 1 if failed else 0


def selftest():
    assert ids('#1*5') == [1, 2, 3, 4, 5]
    assert ids('#a,2*3,-4') == [10, 12, 14, 16, 12]
    assert ids([3, 4]) == [3, 4]
    assert expand({'g': '#1*3', 's': '#'}) == {'g': [1, 2, 3], 's': []}
    print('PASS selftest: the id-list decoder')
    return 0


if __name__ == '__main__':
    if sys.argv[1:] == ['--selftest']:
        sys.exit(selftest())
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
