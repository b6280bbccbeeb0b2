#!/bin/sh
# End-to-end tests of the configuration as files (issue: untrusted input):
# what libconfig 1.5 cannot survive or would wait on forever is refused at
# once, exit 2, with file, line and the include named, and nothing on stdout:
# a FIFO, a device or a directory as the configuration or as an @include,
# `@include ""`, an include loop, a string too long for libconfig's scanner,
# and an unterminated string (whose 64-byte libconfig leak must not turn exit
# 2 into a sanitizer's exit under `make asan`: tests/lsan.supp).
# Commands that could block run under `timeout 20`: blocking fails the test
# (exit 124), it does not hang the suite.
. "$(dirname "$0")/lib.sh"
need_certrotate

D=$WORK/cfg
mkdir -p "$D"
HEAD='rotation = {
  name = "r";
  old = "file:fix/certs/old.pem";
  new = "file:fix/certs/new.pem";
  key = "file:fix/certs/old.key";
};'
ln -sfn "$FIX" "$D/fix"

# bounded ARGS...: like cr, under a time bound (a FIFO opened for reading waits for a writer)
bounded() {
	_lib_last="certrotate $*"
	rc=0
	# shellcheck disable=SC2086 # RUN is a word list on purpose
	timeout 20 $RUN "$CERTROTATE" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
	[ "$rc" != 124 ] || fail "certrotate $*: still waiting after 20 s"
}

expect_no_stdout() {
	[ ! -s "$WORK/out" ] || fail "stdout not empty after an error: $(head -c 200 "$WORK/out")"
}

# ---------------------------------------------------------------- the configuration itself
mkfifo "$D/fifo.cfg"
bounded plan -c "$D/fifo.cfg"
expect_rc 2
expect_err_contains "certrotate: cannot read '$D/fifo.cfg': is a FIFO, not a regular file"
expect_no_stdout
bounded check --no-probe -c "$D"
expect_rc 2
expect_err_contains "cannot read '$D': is a directory"
# a pipe on standard input is a FIFO too
printf '%s\n' "$HEAD" | timeout 20 $RUN "$CERTROTATE" plan -c /dev/stdin >"$WORK/out" 2>"$WORK/err" && rc=0 || rc=$?
expect_rc 2
expect_err_contains "cannot read '/dev/stdin': is a FIFO, not a regular file"

# ---------------------------------------------------------------- @include
# bad NAME TEXT...: writes $HEAD + the rest as $D/NAME.cfg, runs plan on it in $D (bounded)
cd "$D" || die "cannot cd to $D"
bad() {
	_n=$1
	shift
	{ printf '%s\n' "$HEAD"; printf '%s\n' "$@"; } >"$D/$_n.cfg"
	bounded plan -c "$_n.cfg"
}

mkdir -p "$D/sub"
bad dir '@include "sub"'
expect_rc 2
expect_err_contains "certrotate: dir.cfg:7: cannot open include file 'sub': 'sub' is a directory"
expect_err_not_contains "flex"
expect_no_stdout
bad empty '' '  @include ""'
expect_rc 2
expect_err_contains "certrotate: empty.cfg:8: cannot open include file '': empty file name"
expect_err_not_contains "flex"
mkfifo "$D/pipe.inc"
bad fifo-inc '@include "pipe.inc"'
expect_rc 2
expect_err_contains "certrotate: fifo-inc.cfg:7: cannot open include file 'pipe.inc': 'pipe.inc' is a FIFO, not a regular file"
printf '@include "b.inc"\n' >"$D/a.inc"
printf '\n@include "a.inc"\n' >"$D/b.inc"
bad loop '@include "a.inc"'
expect_rc 2
expect_err_contains "certrotate: b.inc:2: cannot open include file 'a.inc': it includes itself (loop.cfg -> a.inc -> b.inc -> a.inc)"
bad device '@include "../../../../../../../../dev/zero"'
expect_rc 2
expect_err_contains "is a character device, not a regular file"
# a fine include still works, and the plan comes out
printf 'hosts = ( { name = "h"; } );\n' >"$D/hosts.inc"
bad good '@include "hosts.inc"'
expect_rc 0
expect_out_contains "rotation r:"

# ---------------------------------------------------------------- sizes
# a 10 MB string took libconfig 43 s; refused before libconfig sees it
{ printf '%s\nprotect = [ "' "$HEAD"; head -c 10000000 /dev/zero | tr '\0' x; printf '" ];\n'; } >"$D/long.cfg"
bounded plan -c "$D/long.cfg"
expect_rc 2
expect_err_contains "certrotate: $D/long.cfg:7: string too long: more than 65536 bytes (the limit for one string)"
expect_no_stdout
head -c 17000000 /dev/zero | tr '\0' '\n' >"$D/huge.cfg"
bounded plan -c "$D/huge.cfg"
expect_rc 2
expect_err_contains "larger than 16777216 bytes (the limit for a configuration with its @include files)"

# ---------------------------------------------------------------- libconfig's leak
# an unterminated string leaks 64 bytes inside libconfig 1.5: still exit 2 (also under ASan)
printf 'rotation = {\n  name = "unterminated;\n};\n' >"$D/unterminated.cfg"
bounded plan -c "$D/unterminated.cfg"
expect_rc 2
expect_err_contains "certrotate: $D/unterminated.cfg:"
expect_err_not_contains "LeakSanitizer"
bounded check --no-probe -c "$D/unterminated.cfg"
expect_rc 2
expect_err_not_contains "LeakSanitizer"
