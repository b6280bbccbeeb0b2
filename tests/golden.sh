#!/bin/sh
# tests/golden.sh [--update] [CASE...] - certrotate's output, byte for byte.
#
# Runs the built certrotate on a fixed set of inventories and compares what it
# prints (stdout, stderr and exit code) with tests/golden/expected/, so that a
# refactoring that must not change behaviour can prove it did not:
#
#   ex-NAME     examples/NAME/certrotate.cfg (instantiated as examples/instantiate.sh
#               does, default ports): plan, plan --format json, check --no-probe,
#               check --no-probe --format json
#   NAME        tests/golden/cases/NAME.cfg (the stories of the end-to-end tests): the same
#               four commands
#   errors      every tests/golden/errors/*.cfg (configuration errors, from
#               tests/unit/test_config.c and the end-to-end tests; inc/ holds what
#               they @include): plan only, one section each
#
# Nothing is probed (--no-probe), nothing is written; check logs in to the
# fixture token "edge" with its PIN file, once per run.  The fixtures are
# generated fresh (softhsm-fixtures/mkfixtures.sh), so what depends on them is
# normalised before comparing: the SHA-1 / SHA-256 fingerprints, short
# thumbprints and serial numbers of every fixture certificate become
# @SHA1:NAME@, @SHA256:NAME@, @SHORT:NAME@, @SERIAL:NAME@ (NAME: the file in
# certs/ or pki/), RFC 3339 times @TIME@, token serials @TOKSERIAL@, the fixture
# directory @FIX@, the case's directory @DIR@ and the temp dir @TMP@; the
# certificates a name matches are listed sorted.  Day counts are kept: the
# fixtures' dates are relative to when they were made.  Case templates may use
# @SHA1:NAME@ / @SHA256:NAME@ to name a fixture certificate by its hash.
#
#   sh tests/golden.sh                  compare all (exit 1 and a diff when anything differs)
#   sh tests/golden.sh ids errors       only these cases
#   sh tests/golden.sh --update [CASE]  rewrite the expected files from this build (review
#                                       the diff with git before committing it)
#
# Environment: BUILD (default build) or CERTROTATE (the binary); FIX (a fixture
# directory made by mkfixtures.sh, as tests/run.sh exports it; default: made
# here in a temp dir); KEEP=1 keeps the temp dir.  Run from anywhere.
set -u

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
G=$SRCDIR/tests/golden
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRCDIR/$BUILD ;; esac
CERTROTATE=${CERTROTATE:-$BUILD/certrotate}

update=0
case ${1:-} in
--update | -u) update=1; shift ;;
-h | --help) sed -n '2,37p' "$0"; exit 0 ;;
esac
ONLY=" $* "
selected() { [ "$ONLY" = "  " ] || case $ONLY in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

[ -x "$CERTROTATE" ] || { echo "golden: '$CERTROTATE' not built" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/certrotate-golden.XXXXXX") || exit 2
trap '[ "${KEEP:-0}" = 1 ] && echo "golden: kept $TMP" >&2 || rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${FIX:-}" ]; then
	sh "$SRCDIR/softhsm-fixtures/mkfixtures.sh" "$TMP/fix" 2>"$TMP/fix.log" ||
		{ cat "$TMP/fix.log" >&2; exit 2; }
	FIX=$TMP/fix
fi
. "$FIX/env.sh"

# ---------------------------------------------------------------- normalisation
# norm.sed: fixture values -> names (longest first: a SHA-256 holds no SHA-1, but be safe)
subst=$TMP/subst.sed	# for case templates: @SHA1:NAME@ -> the value
: >"$TMP/norm.sed"
: >"$subst"
for f in "$FIX"/certs/*.pem "$FIX"/pki/*.pem; do
	case $f in *-chain.pem) continue ;; esac
	n=$(basename "$f" .pem)
	s1=$(openssl x509 -in "$f" -noout -fingerprint -sha1 2>/dev/null | sed 's/.*=//; s/://g') || continue
	[ -n "$s1" ] || continue
	s256=$(openssl x509 -in "$f" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g')
	ser=$(openssl x509 -in "$f" -noout -serial | sed 's/.*=//')
	short=$(printf '%.8s\342\200\246%s' "$s1" "$(printf '%s' "$s1" | cut -c37-40)")
	printf 's/%s/@SHA256:%s@/g\n' "$s256" "$n" >>"$TMP/norm.sed"
	printf 's/%s/@SHA1:%s@/g\n' "$s1" "$n" >>"$TMP/norm.sed"
	printf 's/%s/@SHORT:%s@/g\n' "$short" "$n" >>"$TMP/norm.sed"
	printf 's/%s/@SERIAL:%s@/g\n' "$ser" "$n" >>"$TMP/norm.sed"
	printf 's/@SHA1:%s@/%s/g\ns/@SHA256:%s@/%s/g\n' "$n" "$s1" "$n" "$s256" >>"$subst"
done
cat >>"$TMP/norm.sed" <<'EOF'
s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/@TIME@/g
s/serial=[0-9a-f]{16}/serial=@TOKSERIAL@/g
EOF

# norm DIR < raw > normalised.  The certificates an ambiguous name matches are
# listed in the token's object order, which differs from one fixture build to
# the next: such lists are sorted.
norm() {
	sed -E -f "$TMP/norm.sed" | sed "s|$1|@DIR@|g; s|$FIX|@FIX@|g; s|$TMP|@TMP@|g" |
	    python3 -c '
import re, sys
def srt(m):
    return "(" + ", ".join(sorted(m.group(1).split(", "))) + ")"
for line in sys.stdin:
    sys.stdout.write(re.sub(r"\(((?:(?:old|new|other|protected) sha1:@SHORT:[^@]*@(?:, )?)+)\)", srt, line))
'
}

# run1 DIR ARGS...: one command in DIR, as a section of the case's output
run1() {
	_d=$1
	shift
	rc=0
	(cd "$_d" && exec "$CERTROTATE" "$@" >"$TMP/o" 2>"$TMP/e" </dev/null) || rc=$?
	printf '$ certrotate %s\n[exit %s]\n' "$*" "$rc"
	cat "$TMP/o"
	printf '[stderr]\n'
	cat "$TMP/e"
	printf '\n'
}

failed=0 passed=0
# compare NAME FILE: FILE against expected/NAME.out (or update it)
compare() {
	want=$G/expected/$1.out
	if [ "$update" = 1 ]; then
		mkdir -p "$G/expected"
		cp "$2" "$want"
		echo "updated $1"
	elif [ ! -f "$want" ]; then
		failed=$((failed + 1))
		echo "FAIL $1: no $want (run: sh tests/golden.sh --update $1)"
	elif cmp -s "$2" "$want"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $1: output differs from tests/golden/expected/$1.out"
		diff -u "$want" "$2" | head -n 80 | sed 's/^/  /'
	fi
}

# inventory NAME DIR: the four commands on DIR/certrotate.cfg
inventory() {
	{
		run1 "$2" plan -c certrotate.cfg
		run1 "$2" plan -c certrotate.cfg --format json
		run1 "$2" check --no-probe -c certrotate.cfg
		run1 "$2" check --no-probe -c certrotate.cfg --format json
	} | norm "$2" >"$TMP/$1.out"
	compare "$1" "$TMP/$1.out"
}

for ex in "$SRCDIR"/examples/*/certrotate.cfg; do
	n=ex-$(basename "$(dirname "$ex")")
	selected "$n" || continue
	sh "$SRCDIR/examples/instantiate.sh" "$(dirname "$ex")" "$TMP/$n" "$FIX" ||
		{ failed=$((failed + 1)); echo "FAIL $n: cannot instantiate"; continue; }
	inventory "$n" "$TMP/$n"
done

for c in "$G"/cases/*.cfg; do
	n=$(basename "$c" .cfg)
	selected "$n" || continue
	mkdir -p "$TMP/$n"
	ln -s "$FIX" "$TMP/$n/fix"
	sed -f "$subst" "$c" >"$TMP/$n/certrotate.cfg"
	inventory "$n" "$TMP/$n"
done

if selected errors; then
	cp -R "$G/errors" "$TMP/errors"
	ln -s "$FIX" "$TMP/errors/fix"
	for c in "$TMP"/errors/*.cfg; do
		run1 "$TMP/errors" plan -c "$(basename "$c")"
	done | norm "$TMP/errors" >"$TMP/errors.out"
	compare errors "$TMP/errors.out"
fi

[ "$update" = 1 ] && exit 0
echo "golden: $passed identical, $failed differ"
[ "$failed" -eq 0 ]
