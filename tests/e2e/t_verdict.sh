#!/bin/sh
# One verdict: the check reports of every example inventory and of the golden
# set agree with themselves - the header's "N steps, M blocked", each step's
# status, the FAILED list ("blocks ..." or "stops the rotation: ..."), the
# summary and the exit code, in text and JSON (tests/verdict.py).
#
# tests/golden.sh (t_golden) runs the checker on every fresh output; here it
# runs on the committed expected outputs, and on broken copies of them: a
# checker that cannot fail proves nothing.
. "$(dirname "$0")/lib.sh"

V=$SRCDIR/tests/verdict.py
E=$SRCDIR/tests/golden/expected

# every example (probed and not) and every golden case
set -- "$E"/*.out
[ $# -ge 40 ] || fail "only $# expected outputs in $E"
python3 "$V" "$@" >"$WORK/v.out" 2>&1 || {
	fail "the expected check reports disagree with themselves"
	sed 's/^/  | /' "$WORK/v.out" >&2
}
n=$(grep -c '^\$ certrotate check' "$@" | awk -F: '{ s += $2 } END { print s }')
[ "$n" -ge 100 ] || fail "only $n check reports checked"

# broken NAME SED-SCRIPT WANT: a copy of an expected output, edited, must be refused
broken() {
	sed "$2" "$E/$1.out" >"$WORK/$1.broken.out"
	cmp -s "$E/$1.out" "$WORK/$1.broken.out" && die "the edit '$2' changes nothing in $1"
	if python3 "$V" "$WORK/$1.broken.out" >"$WORK/v.out" 2>&1; then
		fail "verdict.py accepts $1 edited with '$2'"
	elif ! grep -qF -- "$3" "$WORK/v.out"; then
		fail "verdict.py on $1 edited with '$2': no '$3' in:"
		sed 's/^/  | /' "$WORK/v.out" >&2
	fi
}

# a BLOCKED step said to be ready
broken ex-sha1-host 's/^  BLOCKED 02-import-cas02 /  ready   02-import-cas02 /' \
	"step 02-import-cas02 is ready with a failed check"
# the header's count
broken ex-sha1-host 's/^\(check of rotation .*: 9 steps, \)[0-9]* blocked$/\17 blocked/' \
	"header says 7 blocked"
# a failure that blocks nothing and says nothing (the wrong-key story before one verdict)
broken wrongkey '/^        stops the rotation: /d' \
	"neither blocks a step nor says why it stops the rotation"
# "blocks" naming a step the failure does not block
broken ex-sha1-host 's/^        blocks 02-import-cas02$/        blocks 01-import-cas01/' \
	"says it blocks ['01-import-cas01']"
# the summary disagreeing with the exit code
broken protect-old 's/^summary: \(.*\): BLOCKED (exit 1)$/summary: \1: ready to run/' \
	"summary says 'ready to run' but the exit code is 1"
# JSON: a blocked step said to be ready, a wrong exit, a summary miscounted
broken protect-old '0,/"status": "blocked",/s//"status": "ready",/' \
	"is ready with a failing check retire.protected"
broken protect-old 's/^  "exit": 1$/  "exit": 0/' '"exit": 0 but the exit code is 1'
broken protect-old '0,/^    "fail": 1,$/s//    "fail": 2,/' "summary {"
# JSON: a failure no pending step lists, without "stops": it blocks a step
# that does not list it
broken wrongkey '/"stops": /d; s/"subject": "key pkcs11:token=edge;object=ec-2026;type=private",$/"subject": "key pkcs11:token=edge;object=ec-2026;type=private"/' \
	"step 02-retire-token:edge lists new.key, not among its preconditions"
