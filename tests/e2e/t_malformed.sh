#!/bin/sh
# End-to-end test: every file of the malformed-input corpus tests/malformed/
# (see its README and MANIFEST) gets its exit code and message, never shows the
# secret it carries, never crashes (a signal, a sanitizer report under `make
# asan`) and never waits (each run bounded by `timeout`).  A file without a
# manifest line fails the test, and so does a manifest line without its file.
. "$(dirname "$0")/lib.sh"
need_certrotate

SRC=$SRCDIR/tests/malformed
BOUND=20
[ -z "$RUN" ] || BOUND=120	# valgrind
M=$WORK/malformed
cp -R "$SRC" "$M" || die "cannot copy the corpus"
cd "$M" || die "cannot enter the corpus copy"

# run HOW FILE: runs certrotate on FILE the way HOW says, bounded; sets rc,
# $WORK/out, $WORK/err.  One line per kind of input.
run() {
	case $1 in
	cert) set -- inspect "$2" ;;
	config) set -- plan -c "$2" ;;
	source) set -- inspect "$(head -n 1 "$2")" ;;
	pin) set -- inspect "pkcs11:token=edge;object=mail-2026;type=cert?pin-source=file:$2" ;;
	pass) set -- inspect "$FIX/certs/new.p12?pass-source=file:$2" ;;
	*) fail "MANIFEST: unknown kind '$1' for '$2'"; return 1 ;;
	esac
	_lib_last="certrotate $*"
	rc=0
	# shellcheck disable=SC2086 # RUN is a word list on purpose
	timeout -k 2 "$BOUND" $RUN "$CERTROTATE" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
}

# crashed FILE: a signal, a timeout or a sanitizer report
crashed() {
	if [ "$rc" -ge 124 ]; then
		_lib_fail_cr "$1: killed or timed out (exit $rc)"
		return 0
	fi
	if grep -q -e 'AddressSanitizer' -e 'LeakSanitizer' -e 'runtime error:' "$WORK/err"; then
		_lib_fail_cr "$1: sanitizer report"
		return 0
	fi
	return 1
}

trim() {
	printf '%s' "$1" | sed 's/^ *//; s/ *$//'
}

n=0
listed=$WORK/listed
: >"$listed"
while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	file=$(trim "$(printf '%s' "$line" | awk -F ' [|] ' '{ print $1 }')")
	how=$(trim "$(printf '%s' "$line" | awk -F ' [|] ' '{ print $2 }')")
	code=$(trim "$(printf '%s' "$line" | awk -F ' [|] ' '{ print $3 }')")
	want=$(printf '%s' "$line" | awk -F ' [|] ' '{ print $4 }')
	absent=$(printf '%s' "$line" | awk -F ' [|] ' '{ print $5 }')
	echo "$file" >>"$listed"
	if [ ! -f "$file" ]; then
		fail "MANIFEST lists '$file', which is not in tests/malformed/"
		continue
	fi
	n=$((n + 1))
	run "$how" "$file" || continue
	crashed "$file" && continue
	[ "$rc" = "$code" ] || _lib_fail_cr "$file: expected exit $code, got $rc"
	cat "$WORK/out" "$WORK/err" >"$WORK/both"
	grep -qF -e "$want" "$WORK/both" || _lib_fail_cr "$file: output lacks '$want'"
	if [ -n "$absent" ] && grep -qF -e "$absent" "$WORK/both"; then
		_lib_fail_cr "$file: output shows '$absent'"
	fi
	# what inspect shows of a certificate is JSON that a strict reader takes
	if [ "$how" = cert ] && [ "$code" = 0 ]; then
		rc=0
		timeout -k 2 "$BOUND" $RUN "$CERTROTATE" inspect "$file" --format json >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
		crashed "$file (json)" && continue
		python3 - "$WORK/out" <<'PY' || _lib_fail_cr "$file: --format json is not valid UTF-8 JSON"
import json, sys
json.loads(open(sys.argv[1], 'rb').read().decode('utf-8', 'strict'))
PY
	fi
done <"$SRC/MANIFEST"

# every file of the corpus is in the manifest
for f in */*; do
	[ -f "$f" ] || continue
	grep -qxF "$f" "$listed" || fail "tests/malformed/$f has no line in MANIFEST"
done
[ "$n" -gt 30 ] || fail "only $n inputs run"
note "$n malformed inputs"
