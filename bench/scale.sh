#!/bin/sh
# bench/scale.sh - how long `certrotate plan` and `check --no-probe` take on a large
# inventory (default 2,000 hosts, 4,000 services, 20,000 refs), and `plan` on an inventory
# naming many distinct certificates (default 5,000 certificate files, each read by a file ref
# and named by a connector <I>..<S>.. and a sha1: binding: 15,000 refs).
#
#   BUILD=build [DISTINCT=N] [TOKEN_N="N..."] sh bench/scale.sh [HOSTS [REFS]]
#
# (`make bench` runs bench/run.sh, the table of issue 14's targets; this
# script, the older figures of how the time grows with the inventory and the
# token, runs with `make bench BENCH_MORE=1` or by hand.)
#
# Certificates are made here with openssl (files, no token) and, for the
# distinct case, by bench/gencerts.c (compiled here: one process, one key pair),
# so the figure is the planner's and the configuration loader's, not a token's.
# Prints one line per format with the wall-clock time of the best of three
# runs.  DISTINCT=0 skips the distinct case.
#
# The token case (TOKEN_N, default "1000 2000 4000"; TOKEN_N=0 skips it):
# for each N, a SoftHSM2 token "bench" (its own SOFTHSM2_CONF) holding N
# certificates, and private keys for the first 3N/10 of them (TOKEN_KEYS
# fixes the number), filled in one session by bench/tokenfill.c (TOKENFILL,
# built by `make bench`); then inspect of the whole token (without and with
# a PIN, the latter looking up every certificate's key), and plan and check
# --no-probe on an inventory (bench/gen_token.sh) whose old, new, key and
# import_to are on that token, with 2N refs naming token certificates by
# pkcs11: object / id URIs and by name:<I>..<S>..  Refs grow with N on
# purpose: one object search per ref would cost refs x objects, which
# doubling N alone would show as linear; one more check run, through
# pkcs11-spy, prints how many object searches and attribute reads it made.
# The token store is on /dev/shm when it is writable (BENCH_TOKEN_TMP
# overrides): SoftHSM's file backend truncates and closes several files per
# object created, which on ext4 made filling 4,300 objects take a minute
# instead of 6 s.
set -eu

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CERTROTATE:-$SRCDIR/${BUILD:-build}/certrotate}
HOSTS=${1:-2000}
REFS=${2:-20000}
DISTINCT=${DISTINCT:-5000}
TOKENFILL=${TOKENFILL:-$SRCDIR/${BUILD:-build}/bench/tokenfill}
case $TOKENFILL in /*) ;; *) TOKENFILL=$(pwd)/$TOKENFILL ;; esac
[ -x "$BIN" ] || { echo "bench: '$BIN' not built" >&2; exit 2; }

D=$(mktemp -d "${TMPDIR:-/tmp}/certrotate-bench.XXXXXX")
trap 'rm -rf "$D"' EXIT
cd "$D"
# the generated inventories' hooks name programs that check's hook.exec must find
mkdir -p stubs
for p in import rebind rename restart; do
	printf '#!/bin/sh\nexit 0\n' >"stubs/$p" && chmod 0755 "stubs/$p"
done
PATH=$D/stubs:$PATH
export PATH
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
    -subj "/C=US/O=Contoso/CN=Contoso Issuing CA 1" >/dev/null 2>&1
for n in old new; do
	openssl req -newkey rsa:2048 -nodes -keyout "$n.key" -out "$n.csr" \
	    -subj "/C=US/O=Contoso/CN=mail.contoso.com" >/dev/null 2>&1
	openssl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 20 \
	    -out "$n.pem" >/dev/null 2>&1
done
sh "$SRCDIR/bench/gen_inventory.sh" "$HOSTS" "$REFS" old.pem new.pem >certrotate.cfg
echo "bench: $(wc -l <certrotate.cfg) lines, $HOSTS hosts, $((2 * HOSTS)) services, $REFS refs"

now_ms() { date +%s%3N; }

# best_of3 CMD...: runs CMD three times (stdout to $out, a non-zero exit but 1 is
# a failure), sets $best to the fastest run in ms
best_of3() {
	best=""
	for i in 1 2 3; do
		t0=$(now_ms)
		st=0
		"$@" >"$out" || st=$?
		t1=$(now_ms)
		[ "$st" -le 1 ] || { echo "bench: '$*' failed (exit $st)" >&2; exit 1; }
		t=$((t1 - t0))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
}
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

for fmt in json text; do
	out=plan.$fmt
	best_of3 "$BIN" plan --format "$fmt"
	steps=$(grep -c '^      "id": ' plan.json 2>/dev/null || true)
	printf 'bench: plan --format %-4s %s s (best of 3; %s steps, %s bytes)\n' "$fmt" \
	    "$(secs "$best")" "$steps" "$(wc -c <"$out")"
done

# check --no-probe: every precondition of every step (the key is a file here:
# one test signature), as `check` would run it before a change window
for fmt in json text; do
	out=check.$fmt
	best_of3 "$BIN" check --no-probe --format "$fmt"
	printf 'bench: check --no-probe --format %-4s %s s (best of 3; %s bytes)\n' "$fmt" \
	    "$(secs "$best")" "$(wc -c <"$out")"
done

# many distinct certificates: every identity resolves against every known certificate
# unless the known certificates are indexed
distinct() {
	t0=$(now_ms)
	${CC:-cc} -O2 -o gencerts "$SRCDIR/bench/gencerts.c" $(pkg-config --cflags --libs libcrypto)
	mkdir certs
	./gencerts "$DISTINCT" certs >certs.list
	sh "$SRCDIR/bench/gen_distinct.sh" certs.list certs old.pem new.pem >distinct.cfg
	t1=$(now_ms)
	t=$((t1 - t0))
	printf 'bench: distinct: %s certificates, %s refs (setup %d.%03d s)\n' "$DISTINCT" \
	    "$(grep -c ' id = ' distinct.cfg)" $((t / 1000)) $((t % 1000))
	for fmt in json text; do
		out=distinct.$fmt
		best_of3 "$BIN" plan -c distinct.cfg --format "$fmt"
		printf 'bench: distinct: plan --format %-4s %s s (best of 3; %s bytes)\n' "$fmt" \
		    "$(secs "$best")" "$(wc -c <"$out")"
	done
}
[ "$DISTINCT" -gt 0 ] && distinct


# the token case: certificates, keys, old, new and import_to on one token of N objects
TOKEN_N=${TOKEN_N:-1000 2000 4000}
TOKEN_KEYS=${TOKEN_KEYS:-}
MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
P11_SPY=${P11_SPY:-/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so}
[ "$TOKEN_N" != 0 ] || exit 0
[ -x "$TOKENFILL" ] || { echo "bench: '$TOKENFILL' not built (make bench builds it)" >&2; exit 2; }
if [ -z "${BENCH_TOKEN_TMP:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	BENCH_TOKEN_TMP=/dev/shm
fi
TD=$(mktemp -d "${BENCH_TOKEN_TMP:-$D}/certrotate-bench-token.XXXXXX")
trap 'rm -rf "$D" "$TD"' EXIT
for n in $TOKEN_N; do
	[ "$n" -ge 2 ] || { echo "bench: TOKEN_N: $n: old and new need 2 certificates" >&2; exit 2; }
	keys=${TOKEN_KEYS:-$((3 * n / 10))}
	[ "$keys" -ge 2 ] || keys=2	# new's key (c00002) signs in check
	[ "$keys" -le "$n" ] || keys=$n
	refs=$((2 * n))
	W=$TD/n$n
	mkdir -p "$W/tokens"
	chmod 0700 "$W/tokens"
	printf 'directories.tokendir = %s/tokens/\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	    "$W" >"$W/softhsm2.conf"
	SOFTHSM2_CONF=$W/softhsm2.conf
	export SOFTHSM2_CONF
	(umask 077; echo 1234 >"$W/bench.pin")
	t0=$(now_ms)
	softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 12345678 >/dev/null
	"$TOKENFILL" "$MODULE" bench "$W/bench.pin" "$n" "$keys" "$W" >"$W/list"
	sh "$SRCDIR/bench/gen_token.sh" "$W/list" "$refs" "$MODULE" bench.pin >"$W/certrotate.cfg"
	t1=$(now_ms)
	printf 'bench: token: %s certificates, %s keys, %s refs (setup %s s)\n' "$n" "$keys" "$refs" \
	    "$(secs $((t1 - t0)))"
	out=/dev/null
	best_of3 "$BIN" inspect 'pkcs11:token=bench'
	printf 'bench: token %5s: inspect (no PIN)                %s s (best of 3)\n' "$n" "$(secs "$best")"
	best_of3 "$BIN" inspect "pkcs11:token=bench?pin-source=file:$W/bench.pin"
	printf 'bench: token %5s: inspect (PIN: every key)        %s s (best of 3)\n' "$n" "$(secs "$best")"
	for fmt in json text; do
		out=$W/plan.$fmt
		best_of3 "$BIN" plan -c "$W/certrotate.cfg" --format "$fmt"
		printf 'bench: token %5s: plan --format %-4s             %s s (best of 3; %s bytes)\n' \
		    "$n" "$fmt" "$(secs "$best")" "$(wc -c <"$out")"
	done
	for fmt in json text; do
		out=$W/check.$fmt
		best_of3 "$BIN" check --no-probe -c "$W/certrotate.cfg" --format "$fmt"
		printf 'bench: token %5s: check --no-probe --format %-4s %s s (best of 3; %s bytes)\n' \
		    "$n" "$fmt" "$(secs "$best")" "$(wc -c <"$out")"
	done
	# how many object searches that was: one per token and object class, not one per ref
	if [ -r "$P11_SPY" ]; then
		sed "s#module = \"$MODULE\"#module = \"$P11_SPY\"#" "$W/certrotate.cfg" >"$W/spy.cfg"
		PKCS11SPY=$MODULE PKCS11SPY_OUTPUT=$W/spy.log \
		    "$BIN" check --no-probe -c "$W/spy.cfg" >/dev/null || [ $? -le 1 ]
		printf 'bench: token %5s: check --no-probe: %s C_FindObjectsInit, %s C_GetAttributeValue (pkcs11-spy)\n' \
		    "$n" "$(grep -c '^[0-9]*: C_FindObjectsInit' "$W/spy.log")" \
		    "$(grep -c '^[0-9]*: C_GetAttributeValue' "$W/spy.log")"
	fi
	grep -q ' 0 fail,' "$W/check.text" || { echo "bench: token: check found failures:" >&2; \
	    grep -m5 ' fail ' "$W/check.text" >&2; exit 1; }
	rm -rf "$W"
done
