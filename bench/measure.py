#!/usr/bin/env python3
"""measure.py - runs a command RUNS times and prints what bench/run.sh tabulates.

    measure.py RUNS [--ok CODES] [--out FILE] -- COMMAND [ARG...]

Prints one line: "MEDIAN_S MIN_S MAX_RSS_KIB", the median and the fastest
wall-clock time of the runs in seconds and the largest peak resident set size
of any run (getrusage of the child, which includes what it waited for).
stdout of the last run goes to FILE (default /dev/null), stderr is kept in
FILE.err.  An exit code outside CODES (default "0,1": certrotate's "found
something" is not a failure) stops with status 1 and the command's stderr.

Bench tooling, not part of certrotate.
"""
import os
import resource
import subprocess
import sys
import time


def main(argv):
    if len(argv) < 3 or "--" not in argv:
        sys.stderr.write(__doc__)
        return 2
    sep = argv.index("--")
    opts, cmd = argv[1:sep], argv[sep + 1:]
    runs = int(opts[0])
    ok = {0, 1}
    out = "/dev/null"
    i = 1
    while i < len(opts):
        if opts[i] == "--ok":
            ok = {int(c) for c in opts[i + 1].split(",")}
            i += 2
        elif opts[i] == "--out":
            out = opts[i + 1]
            i += 2
        else:
            sys.stderr.write("measure.py: unknown option %s\n" % opts[i])
            return 2
    times, rss = [], 0
    for _ in range(runs):
        with open(out, "wb") as o, open(out + ".err" if out != "/dev/null" else out, "wb") as e:
            t0 = time.monotonic()
            p = subprocess.Popen(cmd, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
            times.append(time.monotonic() - t0)
        rss = max(rss, ru.ru_maxrss)
        code = os.waitstatus_to_exitcode(status)
        if code not in ok:
            sys.stderr.write("measure.py: '%s' exited %d\n" % (" ".join(cmd), code))
            if out != "/dev/null":
                with open(out + ".err", "rb") as e:
                    sys.stderr.write(e.read().decode("utf-8", "replace")[-2000:])
            return 1
    times.sort()
    print("%.3f %.3f %d" % (times[len(times) // 2], times[0], rss))
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main(sys.argv))
