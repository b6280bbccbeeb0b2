#!/bin/sh
# The man pages: mandoc -T lint clean (style warnings included), groff -ww
# without a warning, and certrotate(1) covers every command --help lists and
# every option of `runbook --help`.
. "$(dirname "$0")/lib.sh"
need_certrotate

command -v mandoc >/dev/null || die "mandoc is not installed (make deps)"
for page in "$SRCDIR/doc/certrotate.1" "$SRCDIR/doc/certrotate.cfg.5"; do
	out=$(mandoc -T lint -W style "$page" 2>&1) || fail "mandoc -T lint: $page"
	[ -z "$out" ] || fail "mandoc -T lint $page: $out"
	out=$(groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)
	[ -z "$out" ] || fail "groff -ww $page: $out"
done

cr --help
expect_rc 0
sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' "$WORK/out" >"$WORK/commands"
[ -s "$WORK/commands" ] || fail "no commands in --help"
while read -r c; do
	grep -q "^\.B certrotate $c\$" "$SRCDIR/doc/certrotate.1" || fail "certrotate(1) has no synopsis of '$c'"
done <"$WORK/commands"
cr runbook --help
for opt in $(grep -o -- '--[a-z][a-z-]*' "$WORK/out" | sort -u); do
	grep -qF -- "$(echo "$opt" | sed 's/-/\\-/g')" "$SRCDIR/doc/certrotate.1" ||
		fail "certrotate(1) does not document runbook $opt"
done
