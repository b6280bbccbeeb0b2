#!/bin/sh
# End-to-end: how many PKCS#11 calls `scan`, `inspect` and `check --no-probe`
# make on a token of a few hundred certificates, counted by OpenSC's
# pkcs11-spy between certrotate and SoftHSM2 (a count, not a time: on a
# network HSM or through p11-kit's RPC every call is a round trip).
#
# Two tokens, "bench" in two SoftHSM2 stores of their own: 200 and 400
# certificates, private keys for the first 30% (bench/tokenfill, built by
# `make check`).  The bounds:
#  - at most 1.2 calls per certificate object for scan, inspect and check
#    --no-probe, C_Login at most once;
#  - with a PIN (scan and inspect look up every certificate's key), at most
#    1.2 calls per object read (certificates + private keys): one read a key;
#  - whatever the token's size: 200 more certificates cost at most 1.05
#    calls each (the fixed part stays fixed);
#  - check --no-probe signs once on the token (C_Sign on the key's handle,
#    without libp11's listing of every key) and reads the key named by its
#    URI without listing the others.
. "$(dirname "$0")/lib.sh"
need_certrotate
# the generated inventories' hooks (bench/gen_token.sh) name programs hook.exec must find
stub_path import rebind rename restart

: "${TOKENFILL:=$SRCDIR/build/bench/tokenfill}"
SPY=${P11_SPY:-/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so}
[ -x "$TOKENFILL" ] || die "'$TOKENFILL' not built (make check builds it)"
[ -f "$SPY" ] || skip "pkcs11-spy is not installed (opensc)"

# The token stores on /dev/shm when it is writable: SoftHSM2's file backend
# syncs several files per object created, which on a disk makes filling
# hundreds of objects take tens of seconds instead of one.
STORE=$WORK
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	STORE=$(mktemp -d /dev/shm/certrotate-calls.XXXXXX) || die "mktemp"
	on_exit "rm -rf '$STORE'"
fi

# token N: a SoftHSM2 store in $STORE/tN holding token "bench" with N
# certificates and 3N/10 keys; sets D, SOFTHSM2_CONF
token() {
	D=$STORE/t$1
	mkdir -p "$D/tokens"
	chmod 0700 "$D/tokens"
	printf 'directories.tokendir = %s/tokens/\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	    "$D" >"$D/softhsm2.conf"
	SOFTHSM2_CONF=$D/softhsm2.conf
	export SOFTHSM2_CONF
	(umask 077; cp "$FIX/edge.pin" "$D/bench.pin")
	softhsm2-util --init-token --free --label bench --pin "$(cat "$D/bench.pin")" \
	    --so-pin 12345678 >/dev/null || die "softhsm2-util --init-token"
	"$TOKENFILL" "$SOFTHSM_MODULE" bench "$D/bench.pin" "$1" $((3 * $1 / 10)) "$D" \
	    >"$D/list" || die "tokenfill $1"
	sh "$SRCDIR/bench/gen_token.sh" "$D/list" $((2 * $1)) "$SPY" bench.pin >"$D/certrotate.cfg" ||
	    die "gen_token.sh"
}

# spied ARGS...: cr ARGS through pkcs11-spy; sets calls, and count NAME
# answers how many calls of NAME it made.  pkcs11-spy leaks its own state
# and is unloaded at exit (LSan and valgrind then cannot even name it): these
# runs count calls, and go without valgrind and LeakSanitizer - the same
# commands are checked for leaks in t_scan, t_inspect and t_check.
spied() {
	rm -f "$WORK/spy.log"
	RUN='' ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" PKCS11SPY=$SOFTHSM_MODULE \
	    PKCS11SPY_OUTPUT=$WORK/spy.log cr "$@"
	calls=$(grep -c '^[0-9]*: C_' "$WORK/spy.log")
}
count() { grep -c "^[0-9]*: $1\$" "$WORK/spy.log"; }

# at_most WHAT CALLS LIMIT_X100 PER: CALLS <= LIMIT/100 * PER
at_most() {
	[ "$(($2 * 100))" -le "$(($3 * $4))" ] ||
	    fail "$1: $2 PKCS#11 calls for $4 objects: more than $(($3 / 100)).$(($3 % 100)) a object"
	note "$1: $2 calls, $4 objects"
}

for n in 200 400; do
	token "$n"
	keys=$((3 * n / 10))
	URI="pkcs11:token=bench?module-path=$SPY"
	PIN="&pin-source=file:$D/bench.pin"

	spied scan "$URI"
	expect_rc 0
	expect_eq "$(grep -c 'CN=h[0-9]*\.contoso\.com' "$WORK/out")" "$n" "scan: certificates listed"
	at_most "scan $n" "$calls" 120 "$n"
	expect_eq "$(count C_GetAttributeValue)" "$n" "scan $n: one read a certificate"
	expect_eq "$(count C_Login)" 0 "scan $n without a PIN: C_Login"
	eval "scan_$n=$calls"

	spied inspect "$URI"
	expect_rc 0
	expect_eq "$(grep -c '^  subject:' "$WORK/out")" "$n" "inspect: certificates shown"
	at_most "inspect $n" "$calls" 120 "$n"
	eval "inspect_$n=$calls"

	# with a PIN every certificate's key is looked up: the keys are read too
	spied inspect "$URI$PIN"
	expect_rc 0
	expect_eq "$(grep -c 'private key: *present' "$WORK/out")" "$keys" "inspect: keys present"
	at_most "inspect with a PIN $n" "$calls" 120 $((n + keys))
	expect_eq "$(count C_GetAttributeValue)" $((n + keys)) "inspect $n: one read an object"
	expect_eq "$(count C_Login)" 1 "inspect $n: C_Login"
	eval "inspectpin_$n=$calls"

	spied scan "$URI$PIN"
	expect_rc 0
	at_most "scan with a PIN $n" "$calls" 120 $((n + keys))
	expect_eq "$(count C_Login)" 1 "scan $n with a PIN: C_Login"

	# check: 2n refs over the token's certificates, the new key on the token
	spied check --no-probe -c "$D/certrotate.cfg"
	expect_rc 0
	expect_out_contains "pass  new.key"
	expect_out_contains " 0 fail,"
	at_most "check --no-probe $n" "$calls" 120 "$n"
	expect_eq "$(count C_Login)" 1 "check $n: C_Login"
	expect_eq "$(count C_Sign)" 1 "check $n: C_Sign"
	# certificates listed once, the key found by its label: one read each
	expect_eq "$(count C_FindObjectsInit)" 2 "check $n: searches"
	expect_eq "$(count C_GetAttributeValue)" $((n + 1)) "check $n: attribute reads"
	eval "check_$n=$calls"
done

# 200 more certificates (60 more keys): at most 1.05 calls each, whatever
# the fixed part
for c in scan inspect check; do
	eval "d=\$((\${c}_400 - \${c}_200))"
	[ "$((d * 100))" -le $((105 * 200)) ] ||
	    fail "$c: 200 more certificates cost $d more calls"
done
eval "d=\$((inspectpin_400 - inspectpin_200))"
[ "$((d * 100))" -le $((105 * 260)) ] || fail "inspect with a PIN: 260 more objects cost $d more calls"
