#!/usr/bin/env python3
"""tests/e2e/ptyrun.py ANSWERS COMMAND [ARGS...] - a person at a terminal.

Runs COMMAND with a pseudo-terminal as its stdin, stdout and stderr, copies
everything it writes to our stdout, and answers each prompt - output that
ends in "[...] " and then waits - with the next word of ANSWERS
(comma-separated).  A word "!CMD" is not an answer: CMD runs (through sh)
while the prompt waits, its exit status and output are appended to the file
$PTYRUN_LOG ("exit N: OUTPUT"), and the next word answers.  Exits with the
command's exit status (128+N when a signal N ended it); 124 when it has
waited 30 seconds for a prompt or an end, 125 when it asked more than
ANSWERS has.
"""
import os
import pty
import re
import select
import subprocess
import sys
import time

PROMPT = re.compile(rb"\[[a-z/]+\] $")


def main():
    answers = [a for a in sys.argv[1].split(",") if a != ""]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[2], sys.argv[2:])
    pending = b""
    status = None
    deadline = time.time() + 30
    while True:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                break
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            pending += data
            deadline = time.time() + 30
            continue
        if PROMPT.search(pending):
            pending = b""
            while answers and answers[0].startswith("!"):
                cmd = answers.pop(0)[1:]
                p = subprocess.run(cmd, shell=True, capture_output=True)
                with open(os.environ.get("PTYRUN_LOG", "/dev/null"), "a") as f:
                    f.write("exit %d: %s\n" % (p.returncode,
                            (p.stdout + p.stderr).decode(errors="replace").strip()))
            if not answers:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                sys.exit(125)
            os.write(fd, answers.pop(0).encode() + b"\n")
        elif time.time() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            sys.exit(124)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


main()
