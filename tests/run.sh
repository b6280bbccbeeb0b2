#!/bin/sh
# tests/run.sh [unit|e2e|all] [NAME...] - the test runner behind `make check`.
#
# Called from the repository root as `BUILD=build sh tests/run.sh [unit|e2e]`.
# Builds the fixtures (softhsm-fixtures/mkfixtures.sh) once into a temp dir,
# then runs every unit test binary $BUILD/tests/test_* (one per tests/unit/test_*.c)
# and every tests/e2e/t_*.sh (each under `timeout $TEST_TIMEOUT`, with cwd and $WORK a
# fresh directory of its own).  NAME... restricts the run to those tests
# (test_util, t_fixtures, ...).
#
# Prints "ok NAME" / "FAIL NAME" (with the test's output) / "skip NAME" per
# test and, last, exactly "N passed, N failed"; exits 1 if anything failed.
#
# Environment: BUILD (default build); KEEP=1 keeps the temp dir; VALGRIND=1 runs
# every unit test binary, and certrotate in the e2e tests (via $RUN, see
# tests/e2e/lib.sh), under valgrind (memory errors and definite leaks fail the
# test; suppressions in tests/valgrind.supp); TEST_TIMEOUT (seconds per test:
# default 300, 1200 with VALGRIND=1, which makes e2e tests many times slower).
set -u

BUILD=${BUILD:-build}
MODE=all
case ${1:-} in
unit | e2e | all) MODE=$1; shift ;;
-h | --help) sed -n '2,18p' "$0"; exit 0 ;;
esac
ONLY=" $* "

SRCDIR=$(pwd)
case $BUILD in
/*) BDIR=$BUILD ;;
*) BDIR=$SRCDIR/$BUILD ;;
esac
CERTROTATE=$BDIR/certrotate
P11FAULT=$BDIR/tests/p11fault.so
TOKENFILL=$BDIR/bench/tokenfill
if [ "${VALGRIND:-0}" = 1 ]; then
	TEST_TIMEOUT=${TEST_TIMEOUT:-1200}	# t_check alone takes about 3 minutes then
else
	TEST_TIMEOUT=${TEST_TIMEOUT:-300}
fi
export SRCDIR CERTROTATE P11FAULT TOKENFILL

if [ ! -d "$SRCDIR/tests/e2e" ] || [ ! -f "$SRCDIR/softhsm-fixtures/mkfixtures.sh" ]; then
	echo "tests/run.sh: run me from the repository root" >&2
	exit 2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/certrotate-tests.XXXXXX") || exit 2
cleanup() {
	[ "${KEEP:-0}" = 1 ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$TMP/logs" "$TMP/work"

passed=0 failed=0 skipped=0

selected() {
	[ "$ONLY" = "  " ] && return 0
	case $ONLY in *" $1 "*) return 0 ;; esac
	return 1
}

# show LOG: the tail of a failed test's output, indented
show() {
	[ -s "$1" ] || return 0
	n=$(wc -l <"$1")
	[ "$n" -le 200 ] || echo "  ... ($((n - 200)) earlier lines in $1)"
	tail -n 200 "$1" | sed 's/^/  | /'
}

# result NAME STATUS LOG SECONDS
result() {
	case $2 in
	0)
		passed=$((passed + 1))
		echo "ok $1 (${4}s)"
		;;
	77)
		skipped=$((skipped + 1))
		echo "skip $1: $(grep -m1 '^SKIP' "$3" | sed 's/^SKIP: [^:]*: //')"
		;;
	124 | 137)
		failed=$((failed + 1))
		echo "FAIL $1 (timed out after ${TEST_TIMEOUT}s)"
		show "$3"
		;;
	*)
		failed=$((failed + 1))
		echo "FAIL $1 (exit $2, ${4}s)"
		show "$3"
		;;
	esac
}

missing() {
	failed=$((failed + 1))
	echo "FAIL $1 ($2)"
}

# ---------------------------------------------------------------- fixtures
FIXOK=0
t0=$(date +%s)
if sh "$SRCDIR/softhsm-fixtures/mkfixtures.sh" "$TMP/fix" >"$TMP/logs/fixtures.log" 2>&1; then
	. "$TMP/fix/env.sh"
	FIXOK=1
	echo "# fixtures built in $(($(date +%s) - t0))s" >&2
else
	failed=$((failed + 1))
	echo "FAIL fixtures (softhsm-fixtures/mkfixtures.sh)"
	show "$TMP/logs/fixtures.log"
fi

# ---------------------------------------------------------------- unit tests
if [ "$MODE" != e2e ]; then
	for src in "$SRCDIR"/tests/unit/test_*.c; do
		[ -f "$src" ] || continue
		name=$(basename "$src" .c)
		selected "$name" || continue
		bin=$BDIR/tests/$name
		if [ ! -x "$bin" ]; then
			missing "unit/$name" "not built: $BUILD/tests/$name"
			continue
		fi
		WORK=$TMP/work/$name
		mkdir -p "$WORK"
		export WORK
		t0=$(date +%s)
		if [ "${VALGRIND:-0}" = 1 ]; then
			timeout -k 10 "$TEST_TIMEOUT" valgrind -q --error-exitcode=99 --leak-check=full \
			    --errors-for-leak-kinds=definite --suppressions="$SRCDIR/tests/valgrind.supp" \
			    "$bin" >"$TMP/logs/$name.log" 2>&1 </dev/null
		else
			timeout -k 10 "$TEST_TIMEOUT" "$bin" >"$TMP/logs/$name.log" 2>&1 </dev/null
		fi
		result "unit/$name" $? "$TMP/logs/$name.log" $(($(date +%s) - t0))
	done
fi

# ---------------------------------------------------------------- end-to-end tests
if [ "$MODE" != unit ]; then
	[ -x "$CERTROTATE" ] || missing "build" "certrotate not built: $BUILD/certrotate"
	[ -f "$P11FAULT" ] || missing "build" "fault module not built: $BUILD/tests/p11fault.so"
	for t in "$SRCDIR"/tests/e2e/t_*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		selected "$name" || continue
		if [ "$FIXOK" != 1 ]; then
			missing "e2e/$name" "not run: no fixtures"
			continue
		fi
		WORK=$TMP/work/$name
		mkdir -p "$WORK"
		export WORK
		if [ "${VALGRIND:-0}" = 1 ]; then
			RUN="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
			RUN="$RUN --suppressions=$SRCDIR/tests/valgrind.supp --log-file=$WORK/vg.%p.log"
		else
			RUN=
		fi
		export RUN
		t0=$(date +%s)
		(cd "$WORK" && exec timeout -k 10 "$TEST_TIMEOUT" sh "$t") >"$TMP/logs/$name.log" 2>&1 </dev/null
		result "e2e/$name" $? "$TMP/logs/$name.log" $(($(date +%s) - t0))
	done
fi

[ "$skipped" -eq 0 ] || echo "# $skipped skipped"
[ "${KEEP:-0}" != 1 ] || echo "# logs and work dirs kept in $TMP"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
