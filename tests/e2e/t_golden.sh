#!/bin/sh
# The output of `plan` and `check` (text and JSON, stderr, exit code) on every
# example inventory is what tests/golden/expected/ holds, byte for byte once
# normalised (tests/golden/capture.sh: fixture paths, ports, digests, dates).
# A refactoring must leave it alone; an intended change of output refreshes
# the expected files (sh tests/golden/capture.sh tests/golden/expected) in the
# same commit, so the diff shows what changed.
. "$(dirname "$0")/lib.sh"
need_certrotate

LC_ALL=C sh "$SRCDIR/tests/golden/capture.sh" "$WORK/golden" || die "capture failed"
for f in "$SRCDIR"/tests/golden/expected/*; do
	n=$(basename "$f")
	[ -f "$WORK/golden/$n" ] || { fail "no capture of $n"; continue; }
	if ! cmp -s "$f" "$WORK/golden/$n"; then
		fail "$n differs from tests/golden/expected/$n"
		diff -u "$f" "$WORK/golden/$n" | head -n 40 | sed 's/^/  /' >&2
	fi
done
for f in "$WORK"/golden/*; do
	[ -f "$SRCDIR/tests/golden/expected/$(basename "$f")" ] ||
		fail "$(basename "$f") has no expected file in tests/golden/expected/"
done
