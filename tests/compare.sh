#!/bin/sh
# tests/compare.sh REF_BINARY [TEST...] - runs the end-to-end tests
# (default: t_plan t_check t_demo t_inspect) with a certrotate that runs BOTH
# the binary under test ($BUILD/certrotate) and REF_BINARY (e.g. built from
# the commit before a refactoring: `git worktree add /tmp/ref main && make -C
# /tmp/ref BUILD=build-ref`) on every invocation - same arguments, same
# directory, same fixtures, same servers, same moment - and compares their
# stdout, stderr and exit codes byte for byte.  No normalisation is needed,
# so every inventory the tests build is compared, not only the examples.
#
# Prints each invocation that differs (arguments, directory, diff) and, last,
# "N invocations compared, M differ"; exits 1 when any differs.  The tests'
# own results are shown too; those that count PKCS#11 calls fail here (each
# invocation runs twice).  An invocation that changes a token's state differs
# by itself: `check --force-login` on the final-try token (the first run's
# login clears the flag) - run the script with REF_BINARY = the binary under
# test to see that noise.
# Run from the repository root:  BUILD=build sh tests/compare.sh build-ref/certrotate
set -u
[ $# -ge 1 ] || { echo "usage: $0 REF_BINARY [TEST...]" >&2; exit 2; }
REF=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
BUILD=${BUILD:-build}
case $BUILD in /*) NEW=$BUILD/certrotate ;; *) NEW=$(pwd)/$BUILD/certrotate ;; esac
[ -x "$REF" ] || { echo "$0: '$REF' is not executable" >&2; exit 2; }
[ -x "$NEW" ] || { echo "$0: '$NEW' not built" >&2; exit 2; }
TESTS=${*:-t_plan t_check t_demo t_inspect}

T=$(mktemp -d "${TMPDIR:-/tmp}/certrotate-compare.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/build/tests" "$T/log"
# the wrapper stands where tests/run.sh looks for the binary; the fault
# module is the real one
cp "$(dirname "$NEW")/tests/p11fault.so" "$T/build/tests/" 2>/dev/null
cat >"$T/build/certrotate" <<EOF
#!/bin/sh
n=\$(mktemp -d "$T/log/run.XXXXXX")
printf '%s\n' "\$PWD" >"\$n/cwd"
for a in "\$@"; do printf '%s\n' "\$a"; done >"\$n/args"
"$REF" "\$@" >"\$n/ref.out" 2>"\$n/ref.err" </dev/null
echo \$? >"\$n/ref.rc"
"$NEW" "\$@" >"\$n/new.out" 2>"\$n/new.err"
rc=\$?
echo \$rc >"\$n/new.rc"
cat "\$n/new.out"
cat "\$n/new.err" >&2
exit \$rc
EOF
chmod +x "$T/build/certrotate"

BUILD=$T/build sh tests/run.sh e2e $TESTS

count=0 differ=0
for n in "$T"/log/run.*; do
	[ -d "$n" ] || continue
	count=$((count + 1))
	same=1
	for k in out err rc; do
		cmp -s "$n/ref.$k" "$n/new.$k" || same=0
	done
	[ "$same" = 1 ] && continue
	differ=$((differ + 1))
	echo "=== differs: certrotate $(tr '\n' ' ' <"$n/args")(in $(cat "$n/cwd"))"
	for k in out err rc; do
		diff -u "$n/ref.$k" "$n/new.$k" | head -n 40
	done
done
echo "$count invocations compared, $differ differ"
[ "$differ" -eq 0 ]
