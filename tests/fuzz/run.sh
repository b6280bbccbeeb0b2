#!/bin/sh
# tests/fuzz/run.sh BUILD SECONDS [NAME...] - runs each libFuzzer harness in turn.
#
# Called by `make fuzz` (which builds $BUILD/fuzz/fuzz_NAME from every
# tests/fuzz/fuzz_NAME.c with clang -fsanitize=fuzzer,address,undefined).
# Each harness runs SECONDS seconds, one process (one core), on a scratch
# copy of its seed corpus tests/fuzz/corpus/NAME/ (the committed seeds are
# never written to), with the extra libFuzzer flags of tests/fuzz/NAME.options
# when that file exists (one flag a line).  A crash, a sanitizer report, a leak,
# an input slower than 10 s or above 2 GB RSS fails the harness; its input is
# kept and named.  NAME... runs only those.  Adding a harness is adding
# tests/fuzz/fuzz_NAME.c and corpus/NAME/: nothing here or in the Makefile.
#
# Prints per harness "ok fuzz/NAME (execs, execs/s, cov, ft, corpus)" or "FAIL
# fuzz/NAME" with the report, and last "N passed, N failed"; exits 1 if any
# failed.  KEEP=1 keeps the scratch corpora (to add good inputs to the seeds).
set -u

BUILD=${1:?usage: run.sh BUILD SECONDS [NAME...]}
SECONDS_EACH=${2:?usage: run.sh BUILD SECONDS [NAME...]}
shift 2
SRCDIR=$(pwd)
FZ=$SRCDIR/tests/fuzz
case $BUILD in /*) ;; *) BUILD=$SRCDIR/$BUILD ;; esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/certrotate-fuzz.XXXXXX") || exit 2
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Leaks in third-party libraries, each documented in the file.
export LSAN_OPTIONS="suppressions=$FZ/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

passed=0 failed=0
names=$*
if [ -z "$names" ]; then
	for src in "$FZ"/fuzz_*.c; do
		n=$(basename "$src" .c)
		names="$names ${n#fuzz_}"
	done
fi
for name in $names; do
	bin=$BUILD/fuzz/fuzz_$name
	if [ ! -x "$bin" ]; then
		failed=$((failed + 1))
		echo "FAIL fuzz/$name (not built: $bin)"
		continue
	fi
	work=$TMP/$name
	mkdir -p "$work/corpus" "$work/crash"
	[ -d "$FZ/corpus/$name" ] && cp "$FZ/corpus/$name"/* "$work/corpus/" 2>/dev/null
	set --
	if [ -f "$FZ/$name.options" ]; then
		while IFS= read -r opt; do
			case $opt in '' | '#'*) continue ;; esac
			set -- "$@" "$opt"
		done <"$FZ/$name.options"
	fi
	rc=0
	(cd "$work" && exec "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$work/crash/" "$@" corpus) >"$work/log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+.*cov: ' "$work/log" | tail -n 1 |
	    sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/cov \1, ft \2, corpus \3/')
	if [ "$rc" -eq 0 ] && ! grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
	    -e 'runtime error:' -e 'fuzz: property violated' "$work/log"; then
		passed=$((passed + 1))
		echo "ok fuzz/$name (${SECONDS_EACH}s: ${execs:-?} execs, ${rate:-?} execs/s, ${cov:-no coverage line})"
	else
		failed=$((failed + 1))
		echo "FAIL fuzz/$name (exit $rc; ${execs:-?} execs)"
		grep -E -A 30 'ERROR: |runtime error:|fuzz: property violated|ALARM|Timeout|out-of-memory' \
		    "$work/log" | head -n 60 | sed 's/^/  | /'
		for f in "$work"/crash/*; do
			[ -f "$f" ] || continue
			mkdir -p "$SRCDIR/fuzz-artifacts"
			cp "$f" "$SRCDIR/fuzz-artifacts/${name}-$(basename "$f")"
			echo "  input kept: fuzz-artifacts/${name}-$(basename "$f")"
		done
	fi
done
[ "${KEEP:-0}" != 1 ] || echo "# scratch corpora kept in $TMP"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
