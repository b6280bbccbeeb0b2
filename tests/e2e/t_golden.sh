#!/bin/sh
# The output of plan and check (text and JSON; check with and without probing
# the examples' endpoints) on every example and on the inventories and
# configuration errors of tests/golden/, byte for byte against
# tests/golden/expected/ (normalised: see tests/golden.sh, which also
# regenerates the expected files with --update).
. "$(dirname "$0")/lib.sh"
need_certrotate

CERTROTATE=$CERTROTATE FIX=$FIX sh "$SRCDIR/tests/golden.sh" >"$WORK/golden.log" 2>&1 || {
	sed 's/^/  /' "$WORK/golden.log" >&2
	fail "output differs from tests/golden/expected (sh tests/golden.sh shows the diff)"
}
tail -n 1 "$WORK/golden.log" >&2
