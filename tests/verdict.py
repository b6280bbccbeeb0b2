#!/usr/bin/env python3
"""tests/verdict.py FILE... - one verdict: check's outputs agree with themselves.

Reads files in the format of tests/golden.sh (sections "$ certrotate ARGS",
"[exit N]", stdout, "[stderr]", stderr) and, for every `check` section,
asserts what certrotate(1) promises about the report:

 text   the header's "N steps, M blocked" counts the steps listed (N) and
        the BLOCKED ones (M); a step is BLOCKED exactly when a failed check
        (a warning too, with --strict) is listed under it, and never DONE
        with one that blocks nothing; "FAILED (K)" lists K checks, as many
        as the summary's fail count (+ warn with --strict); every failed
        check is followed by "blocks ID, ..." - exactly the BLOCKED steps
        that list it - or by "stops the rotation: ..." saying why (when no
        pending step lists it: then every pending step is blocked); the
        summary says "ready to run" exactly when nothing failed and the
        exit code is the one it names.
 json   the same of the JSON report: a step's "status" is "blocked" exactly
        when one of its checks fails, every failing check blocks a pending
        step or carries "stops", the summary counts the distinct checks, and
        "exit" is the process's exit code.
 both   the text and JSON reports of the same command (the same arguments
        but --format json) block the same steps, count the same failures
        and exit with the same code.
A command that printed nothing (a configuration error) has no report.

Exits 1 listing every disagreement, 0 when there is none.  Run by
tests/golden.sh on every output it makes, and by tests/e2e/t_verdict.sh.
"""
import json
import re
import sys

SUMMARY = re.compile(r"^summary: (\d+) pass, (\d+) warn, (\d+) fail, (\d+) skip: (.*)$")
HEADER = re.compile(r"^check of rotation '.*': (\d+) steps?, (\d+) blocked( \(all done\))?$")
STEP = re.compile(r"^  (ready  |BLOCKED|done   ) (\S+)  ")
ITEM = re.compile(r"^ {10}(pass|WARN|FAIL|skip)  (\S+) +(.*?): ")
FAILED = re.compile(r"^FAILED \((\d+)\):$")
FAILED_ITEM = re.compile(r"^  (FAIL|WARN)  (\S+) +(.*?): ")
VERDICTS = {"ready to run": 0, "BLOCKED (exit 1)": 1, "ENVIRONMENT FAILURE (exit 3)": 3,
            "BAD INPUT (exit 2)": 2}


def sections(text):
    """(args, exit code, stdout) of every command in a golden-format file."""
    out = []
    for block in re.split(r"^\$ certrotate ", text, flags=re.M)[1:]:
        head, _, rest = block.partition("\n")
        m = re.match(r"\[exit (\d+)\]\n", rest)
        if not m:
            continue
        body = rest[m.end():]
        stdout = "" if body.startswith("[stderr]\n") else body.split("\n[stderr]\n", 1)[0]
        out.append((head.split(), int(m.group(1)), stdout))
    return out


def check_text(args, code, out, errs):
    """The text report's verdicts; returns (blocked step ids, counts) or None."""
    strict = "--strict" in args
    lines = out.split("\n")
    m = next((HEADER.match(l) for l in lines if HEADER.match(l)), None)
    summ = next((SUMMARY.match(l) for l in lines if SUMMARY.match(l)), None)
    if summ is None:
        errs.append("no summary line")
        return None
    counts = tuple(int(summ.group(i)) for i in range(1, 5))
    failing = counts[2] + (counts[1] if strict else 0)
    if VERDICTS.get(summ.group(5)) != code:
        errs.append("summary says '%s' but the exit code is %d" % (summ.group(5), code))
    if (failing == 0) != (code == 0):
        errs.append("%d failed checks but exit %d" % (failing, code))
    # the FAILED list
    failed, i = {}, 0
    while i < len(lines):
        fm = FAILED.match(lines[i])
        if fm:
            if int(fm.group(1)) != failing:
                errs.append("FAILED (%s) but the summary counts %d" % (fm.group(1), failing))
            i += 1
            n = 0
            while i < len(lines) and lines[i].startswith("  "):
                im = FAILED_ITEM.match(lines[i])
                if im:
                    n += 1
                    key = (im.group(2), im.group(3))
                    nxt = lines[i + 1] if i + 1 < len(lines) else ""
                    if nxt.startswith("        blocks "):
                        failed[key] = set(nxt[len("        blocks "):].split(", "))
                    elif nxt.startswith("        stops the rotation: "):
                        failed[key] = "stops"
                    else:
                        errs.append("failed check %s %s neither blocks a step nor says why it "
                                    "stops the rotation" % key)
                        failed[key] = set()
                i += 1
            if n != failing:
                errs.append("FAILED lists %d checks, the summary counts %d" % (n, failing))
            continue
        i += 1
    if failing > 0 and not failed:
        errs.append("%d failed checks but no FAILED list" % failing)
    if m is None:
        return (set(), counts) if "NO PLAN" in out else errs.append("no header") or None
    # the steps
    steps, cur = {}, None
    for l in lines:
        sm = STEP.match(l)
        if sm:
            cur = sm.group(2)
            steps[cur] = (sm.group(1).strip(), [])
            continue
        im = ITEM.match(l)
        if im and cur is not None:
            steps[cur][1].append((im.group(1), (im.group(2), im.group(3))))
        elif not l.startswith(" "):
            cur = None
    nsteps, nblocked = int(m.group(1)), int(m.group(2))
    blocked = {s for s, (st, _) in steps.items() if st == "BLOCKED"}
    pending = {s for s, (st, _) in steps.items() if st != "done"}
    if len(steps) != nsteps:
        errs.append("header says %d steps, %d listed" % (nsteps, len(steps)))
    if len(blocked) != nblocked:
        errs.append("header says %d blocked, %d steps are BLOCKED" % (nblocked, len(blocked)))
    if bool(m.group(3)) != (nsteps > 0 and not pending):
        errs.append("header's '(all done)' disagrees with the steps")
    for s, (st, items) in steps.items():
        fails = [k for w, k in items if w == "FAIL" or (strict and w == "WARN")]
        if st == "BLOCKED" and not fails:
            errs.append("step %s is BLOCKED but no failed check is listed under it" % s)
        if st == "ready" and fails:
            errs.append("step %s is ready with a failed check %s" % (s, fails[0]))
    for key, what in failed.items():
        listing = {s for s, (st, items) in steps.items() if key in [k for _, k in items]}
        if what == "stops":
            if listing & pending != pending:
                errs.append("%s %s stops the rotation but does not block every pending step"
                            % key)
        elif what != listing & blocked:
            errs.append("%s %s says it blocks %s, but the blocked steps listing it are %s"
                        % (key[0], key[1], sorted(what), sorted(listing & blocked)))
        elif not what:
            errs.append("%s %s blocks nothing" % key)
    return blocked, counts


def check_json(args, code, out, errs):
    strict = "--strict" in args
    try:
        d = json.loads(out)
    except ValueError as e:
        errs.append("not JSON: %s" % e)
        return None
    if "error" in d and "steps" not in d:
        return None	# a configuration error (its own shape, checked elsewhere)
    if d.get("exit") != code:
        errs.append('"exit": %s but the exit code is %d' % (d.get("exit"), code))
    seen, blocked, pending = {}, set(), set()

    def fails(c):
        return c["status"] == "fail" or (strict and c["status"] == "warn")

    for s in d.get("steps", []):
        f = [c for c in s["checks"] if fails(c)]
        if s["status"] == "blocked":
            blocked.add(s["id"])
            if not f:
                errs.append("step %s is blocked but none of its checks fails" % s["id"])
        elif s["status"] == "ready" and f:
            errs.append("step %s is ready with a failing check %s" % (s["id"], f[0]["id"]))
        if s["status"] != "done":
            pending.add(s["id"])
        for c in s["checks"]:
            seen.setdefault((c["id"], c["subject"]), (c, set()))[1].add(s["id"])
            if "stops" not in c and c["id"] not in s["preconditions"]:
                errs.append("step %s lists %s, not among its preconditions" % (s["id"], c["id"]))
    for c in d.get("checks", []):
        seen.setdefault((c["id"], c["subject"]), (c, set()))
    counts = {"pass": 0, "warn": 0, "fail": 0, "skip": 0}
    for key, (c, where) in seen.items():
        counts[c["status"]] += 1
        if not fails(c):
            continue
        if "stops" in c:
            if where & pending != pending:
                errs.append("%s %s stops the rotation but does not block every pending step"
                            % key)
        elif not where & blocked:
            errs.append("failing check %s %s blocks no step and does not say why it stops "
                        "the rotation" % key)
    if counts != d.get("summary"):
        errs.append("summary %s, the checks count %s" % (d.get("summary"), counts))
    failing = counts["fail"] + (counts["warn"] if strict else 0)
    if (failing == 0) != (code == 0):
        errs.append("%d failing checks but exit %d" % (failing, code))
    return blocked, tuple(counts[k] for k in ("pass", "warn", "fail", "skip"))


def main(paths):
    bad = 0
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            secs = sections(f.read())
        text_of = {}
        for args, code, out in secs:
            if not args or args[0] != "check" or not out.strip():
                continue	# a configuration error: no report
            errs = []
            fmt_json = "--format" in args and args[args.index("--format") + 1] == "json"
            r = (check_json if fmt_json else check_text)(args, code, out, errs)
            base = tuple(a for a in args if a not in ("--format", "json"))
            if r is not None and not fmt_json:
                text_of[base] = (r, code)
            elif r is not None and base in text_of:
                (tb, tc), tcode = text_of[base]
                if tb != r[0]:
                    errs.append("text blocks %s, JSON %s" % (sorted(tb), sorted(r[0])))
                # two runs: a token's state may differ between them (a low PIN
                # count is reported once), so only failures and the exit compare
                if tc[2] != r[1][2] or tcode != code:
                    errs.append("text counts %d failed (exit %d), JSON %d (exit %d)"
                                % (tc[2], tcode, r[1][2], code))
            for e in errs:
                print("%s: certrotate %s: %s" % (path, " ".join(args), e))
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
