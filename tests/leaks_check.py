#!/usr/bin/env python3
"""leaks_check.py CHECK STDOUT FILE... — the comparisons of tests/leaks.sh.

STDOUT is the stdout.txt testdata/blocked wrote before crashing: its
"expect-leaked: IDS", "expect-live: IDS", "expect-holder: IDS",
"expect-group NAME: IDS", "expect-profile-extra: IDS" and "role ID KIND
NAME [GROUP]" lines, and where runtime/pprof had it the goroutineleak
profile (debug=2: every goroutine, the leaked ones' headers ending in
" (leaked)]:") between "--- goroutineleak debug=2 begin" and "... end".

CHECK:
  leaks-json STDOUT LEAKS_JSON      the "id"s of `gocore leaks --json` are
                                    expect-leaked, each once
  leaks-objects STDOUT LEAKS_JSON GOROUTINES_JSON
                                    each object, without its "waits_on"
                                    array, is that goroutine's object in
                                    `gocore goroutines --json`
  leaks-text STDOUT LEAKS_TXT       the "goroutine N [" headers of `gocore
                                    leaks` are expect-leaked, each once
  leaks-blocks STDOUT LEAKS_TXT GOROUTINES_TXT
                                    each block of `gocore leaks` is that
                                    goroutine's block in `gocore goroutines`
  waits STDOUT WAITS_JSON           every expect-group is the "goroutines"
                                    of one entry of `gocore waits --json`
                                    (of the kind its name ends with, or
                                    "sema"); every expect-leaked and
                                    expect-live id is in some entry
  profile STDOUT LEAKS_JSON         the profile's leaked ids, less
                                    expect-profile-extra, are gocore's
  same STDOUT A_JSON B_JSON         two `leaks --json` outputs (e.g. with a
                                    stripped executable) have the same ids
  has-profile STDOUT                exit 0 when STDOUT holds the profile

Prints one line (what was checked) and, on failure, the differences, the
ids named by their role. Exit 0 pass, 1 fail, 2 usage or unreadable input.
"""
import json
import re
import sys

BEGIN = "--- goroutineleak debug=2 begin"
END = "--- goroutineleak debug=2 end"
HEADER = re.compile(r"^goroutine (\d+)[ \[]")


# Live roles of testdata/blocked and the global that keeps their object.
GLOBAL_ROOTS = {
    "recvGlobal": "main.globalCh", "lockGlobal": "main.globalMu", "sendReg": "main.reg",
    "rlockReg": "main.reg", "waitReg": "main.reg", "recvMap": "main.globalMap",
    "recvQueued": "main.globalQ", "recvBig": "main.bigReg", "selectMixed": "main.globalSelCh",
    "liveHeader": "main.hidH", "liveArray": "main.hidA", "liveLarge": "main.hidL",
}


class Bad(Exception):
    """Input that cannot be checked (exit 2)."""


def ints(text, what):
    try:
        return [int(x) for x in text.split()]
    except ValueError:
        raise Bad(f"{what}: not a list of goroutine ids: {text!r}")


def read_stdout(path):
    exp = {"leaked": None, "live": None, "holder": None, "groups": {},
           "extra": [], "roles": {}, "profile": None}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
    except OSError as e:
        raise Bad(f"{path}: {e.strerror}")
    prof = None
    for line in lines:
        if line == BEGIN:
            prof = []
            continue
        if line == END and prof is not None:
            exp["profile"] = prof
            prof = None
            continue
        if prof is not None:
            prof.append(line)
            continue
        m = re.match(r"^expect-(leaked|live|holder|profile-extra):(.*)$", line)
        if m:
            key = "extra" if m.group(1) == "profile-extra" else m.group(1)
            exp[key] = ints(m.group(2), line)
            continue
        m = re.match(r"^expect-group (\S+):(.*)$", line)
        if m:
            exp["groups"][m.group(1)] = ints(m.group(2), line)
            continue
        m = re.match(r"^role (\d+) (\S+) (\S+)(?: (\S+))?$", line)
        if m:
            exp["roles"][int(m.group(1))] = " ".join(
                x for x in (m.group(2), m.group(3), m.group(4) and "group " + m.group(4)) if x)
    if exp["leaked"] is None or exp["live"] is None:
        raise Bad(f"{path}: no expect-leaked/expect-live lines (not testdata/blocked's stdout?)")
    if prof is not None:
        raise Bad(f"{path}: the profile has no '{END}' line")
    return exp


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise Bad(f"{path}: {e.strerror}")
    except ValueError as e:
        raise Bad(f"{path}: not JSON: {e}")


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as e:
        raise Bad(f"{path}: {e.strerror}")


def name(exp, i):
    r = exp["roles"].get(i)
    return f"{i} ({r})" if r else str(i)


def names(exp, ids):
    return ", ".join(name(exp, i) for i in sorted(ids)) or "-"


def compare(exp, want, got, want_what, got_what):
    """Set comparison; returns the lines that describe the differences."""
    out = []
    missing, extra = set(want) - set(got), set(got) - set(want)
    if missing:
        out.append(f"in {want_what}, not in {got_what}: {names(exp, missing)}")
    if extra:
        out.append(f"in {got_what}, not in {want_what}: {names(exp, extra)}")
    return out


def dups(ids):
    seen, d = set(), set()
    for i in ids:
        (d if i in seen else seen).add(i)
    return d


def leaks_ids(path):
    data = load_json(path)
    if not isinstance(data, list):
        raise Bad(f"{path}: not a JSON array")
    out = []
    for g in data:
        if not isinstance(g, dict) or not isinstance(g.get("id"), int):
            raise Bad(f"{path}: an element without an integer \"id\": {json.dumps(g)[:100]}")
        out.append(g["id"])
    return out


def text_blocks(text):
    """{id: block text} of a goroutine dump, and the ids in order."""
    blocks, order, cur = {}, [], None
    for line in text.split("\n"):
        m = HEADER.match(line)
        if m:
            cur = int(m.group(1))
            order.append(cur)
            blocks[cur] = [line]
        elif cur is not None:
            blocks[cur].append(line)
    return {i: "\n".join(b).rstrip("\n") for i, b in blocks.items()}, order


def profile_ids(exp):
    got = []
    for line in exp["profile"]:
        m = HEADER.match(line)
        if m and line.endswith(" (leaked)]:"):
            got.append(int(m.group(1)))
    return got


def check(args):
    if len(args) < 2:
        raise Bad("usage")
    what, exp = args[0], read_stdout(args[1])
    want = exp["leaked"]
    errs = []
    if what == "has-profile" and len(args) == 2:
        return exp["profile"] is not None, "profile" if exp["profile"] is not None else "no profile", []
    if what == "leaks-json" and len(args) == 3:
        got = leaks_ids(args[2])
        errs = compare(exp, want, got, "expect-leaked", "gocore leaks --json")
        if dups(got):
            errs.append(f"listed more than once: {names(exp, dups(got))}")
        return not errs, f"{len(got)} leaked goroutines, {len(want)} expected", errs
    if what == "leaks-objects" and len(args) == 4:
        leaks, gs = load_json(args[2]), load_json(args[3])
        if not isinstance(leaks, list) or not isinstance(gs, list):
            raise Bad("both outputs must be JSON arrays")
        by_id = {g.get("id"): g for g in gs if isinstance(g, dict)}
        for g in leaks:
            if not isinstance(g, dict):
                raise Bad(f"{args[2]}: an element that is no object")
            i = g.get("id")
            if not isinstance(g.get("waits_on"), list):
                errs.append(f"goroutine {name(exp, i)}: no \"waits_on\" array")
            rest = {k: v for k, v in g.items() if k != "waits_on"}
            if i not in by_id:
                errs.append(f"goroutine {name(exp, i)}: not in gocore goroutines --json")
            elif rest != by_id[i]:
                keys = sorted(k for k in set(rest) | set(by_id[i]) if rest.get(k) != by_id[i].get(k))
                errs.append(f"goroutine {name(exp, i)}: differs from gocore goroutines --json in {', '.join(keys)}")
        return not errs, f"{len(leaks)} objects as gocore goroutines --json prints them, each with waits_on", errs
    if what == "leaks-text" and len(args) == 3:
        _, got = text_blocks(read_text(args[2]))
        errs = compare(exp, want, got, "expect-leaked", "gocore leaks")
        if dups(got):
            errs.append(f"listed more than once: {names(exp, dups(got))}")
        return not errs, f"{len(got)} goroutine headers, {len(want)} expected", errs
    if what == "leaks-blocks" and len(args) == 4:
        leaks, order = text_blocks(read_text(args[2]))
        alls, _ = text_blocks(read_text(args[3]))
        if not order:
            errs.append("gocore leaks printed no goroutine block")
        for i in order:
            if i not in alls:
                errs.append(f"goroutine {name(exp, i)}: not in gocore goroutines")
            elif leaks[i] != alls[i]:
                a, b = leaks[i].split("\n"), alls[i].split("\n")
                k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
                errs.append(f"goroutine {name(exp, i)}: block differs at its line {k + 1}:"
                            f" leaks {a[k] if k < len(a) else '(end)'!r},"
                            f" goroutines {b[k] if k < len(b) else '(end)'!r}")
        return not errs, f"{len(order)} blocks, each as gocore goroutines prints it", errs
    if what == "waits" and len(args) == 3:
        data = load_json(args[2])
        if not isinstance(data, list):
            raise Bad(f"{args[2]}: not a JSON array")
        entries = []
        for e in data:
            if not isinstance(e, dict) or not isinstance(e.get("goroutines"), list):
                raise Bad(f"{args[2]}: an entry without a \"goroutines\" array: {json.dumps(e)[:100]}")
            entries.append(e)
        anywhere = set()
        for e in entries:
            anywhere |= set(e["goroutines"])
        for g, ids in sorted(exp["groups"].items()):
            kind = g.rsplit("-", 1)[-1]
            same = [e for e in entries if sorted(e["goroutines"]) == sorted(ids)]
            if not same:
                near = [e for e in entries if set(e["goroutines"]) & set(ids)]
                seen = "; ".join(f'{e.get("kind")} {e.get("addr")}: {sorted(e["goroutines"])}' for e in near) or "in no entry"
                errs.append(f"group {g} ({names(exp, ids)}) is no entry's goroutines; its goroutines are in: {seen}")
            elif not any(e.get("kind") in (kind, "sema") for e in same):
                errs.append(f"group {g}: its entry's kind is {same[0].get('kind')!r}, want {kind!r} (or 'sema')")
        errs += compare(exp, set(exp["leaked"]) | set(exp["live"]), anywhere & (set(exp["leaked"]) | set(exp["live"])),
                        "expect-leaked/expect-live", "gocore waits --json")
        return not errs, f"{len(entries)} entries; {len(exp['groups'])} groups; {len(exp['leaked']) + len(exp['live'])} blocked goroutines", errs
    if what == "holders" and len(args) == 3:
        # Live goroutines whose object a global keeps (by construction):
        # some waits entry holding the goroutine names that global, as the
        # object's own symbol ("global") or as the root of what held it
        # (held_by, or held_by_root when a heap object held it).
        data = load_json(args[2])
        if not isinstance(data, list):
            raise Bad(f"{args[2]}: not a JSON array")

        def root(e):
            if e.get("global"):
                return e["global"]
            h = e.get("held_by") or {}
            if h.get("kind") == "object":
                h = e.get("held_by_root") or {}
            return h.get("name") if h.get("kind") == "global" else None

        n = 0
        for i, r in sorted(exp["roles"].items()):
            kind, _, rest = r.partition(" ")
            want = GLOBAL_ROOTS.get(rest.split(" ")[0])
            if kind != "live" or not want:
                continue
            n += 1
            roots = [root(e) for e in data if isinstance(e, dict) and i in e.get("goroutines", [])]
            if not any(x and (x == want or x.startswith(want + "+")) for x in roots):
                errs.append(f"goroutine {name(exp, i)}: no entry held by {want}; roots: {roots}")
        if not n:
            errs.append("no live goroutine of a known global root in the roles")
        return not errs, f"{n} live goroutines, each with its object held by its global", errs
    if what == "profile" and len(args) == 3:
        if exp["profile"] is None:
            raise Bad(f"{args[1]}: no goroutineleak profile")
        prof = profile_ids(exp)
        extra = set(exp["extra"])
        kept = [i for i in prof if i not in extra]
        got = leaks_ids(args[2])
        errs = compare(exp, kept, got, "the goroutineleak profile", "gocore leaks --json")
        note = f" (less {names(exp, extra & set(prof))}: expect-profile-extra)" if extra & set(prof) else ""
        return not errs, f"the runtime's profile lists {len(prof)} leaked goroutines{note}; gocore {len(got)}", errs
    if what == "same" and len(args) == 4:
        a, b = leaks_ids(args[2]), leaks_ids(args[3])
        errs = compare(exp, a, b, args[2], args[3])
        return not errs, f"{len(b)} leaked goroutines, as with the other executable", errs
    raise Bad(f"usage: unknown check or wrong arguments: {' '.join(args)}")


def main():
    try:
        ok, summary, errs = check(sys.argv[1:])
    except Bad as e:
        if str(e) == "usage":
            print(__doc__.strip().split("\n")[0], file=sys.stderr)
        else:
            print(f"leaks_check.py: {e}", file=sys.stderr)
        return 2
    print(summary)
    for e in errs:
        print(e)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
