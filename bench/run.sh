#!/bin/sh
# bench/run.sh - `make bench`: how long `certrotate plan` and `check --no-probe` take on a large
# inventory (default 2,000 hosts, 4,000 services, 20,000 refs), and `plan` on an inventory
# naming many distinct certificates (default 5,000 certificate files, each read by a file ref
# and named by a connector <I>..<S>.. and a sha1: binding: 15,000 refs).
#
#   BUILD=build [DISTINCT=N] sh bench/run.sh [HOSTS [REFS]]
#
# Certificates are made here with openssl (files, no token) and, for the
# distinct case, by bench/gencerts.c (compiled here: one process, one key pair),
# so the figure is the planner's and the configuration loader's, not a token's.
# Prints one line per format with the wall-clock time of the best of three
# runs.  DISTINCT=0 skips the distinct case.
set -eu

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CERTROTATE:-$SRCDIR/${BUILD:-build}/certrotate}
HOSTS=${1:-2000}
REFS=${2:-20000}
DISTINCT=${DISTINCT:-5000}
[ -x "$BIN" ] || { echo "bench: '$BIN' not built" >&2; exit 2; }

D=$(mktemp -d "${TMPDIR:-/tmp}/certrotate-bench.XXXXXX")
trap 'rm -rf "$D"' EXIT
cd "$D"
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
for fmt in json text; do
	best=""
	for i in 1 2 3; do
		t0=$(now_ms)
		"$BIN" plan --format "$fmt" >"plan.$fmt"
		t1=$(now_ms)
		t=$((t1 - t0))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	steps=$(grep -c '^      "id": ' plan.json || true)
	printf 'bench: plan --format %-4s %d.%03d s (best of 3; %s steps, %s bytes)\n' "$fmt" \
	    $((best / 1000)) $((best % 1000)) "$steps" "$(wc -c <"plan.$fmt")"
done

# check --no-probe: every precondition of every step (the key is a file here:
# one test signature), as `check` would run it before a change window
for fmt in json text; do
	best=""
	for i in 1 2 3; do
		t0=$(now_ms)
		st=0
		"$BIN" check --no-probe --format "$fmt" >"check.$fmt" || st=$?
		t1=$(now_ms)
		[ "$st" -le 1 ] || { echo "bench: check failed (exit $st)" >&2; exit 1; }
		t=$((t1 - t0))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	printf 'bench: check --no-probe --format %-4s %d.%03d s (best of 3; %s bytes)\n' "$fmt" \
	    $((best / 1000)) $((best % 1000)) "$(wc -c <"check.$fmt")"
done

# many distinct certificates: every identity resolves against every known certificate
# unless the known certificates are indexed
[ "$DISTINCT" -gt 0 ] || exit 0
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
	best=""
	for i in 1 2 3; do
		t0=$(now_ms)
		"$BIN" plan -c distinct.cfg --format "$fmt" >"distinct.$fmt"
		t1=$(now_ms)
		t=$((t1 - t0))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	printf 'bench: distinct: plan --format %-4s %d.%03d s (best of 3; %s bytes)\n' "$fmt" \
	    $((best / 1000)) $((best % 1000)) "$(wc -c <"distinct.$fmt")"
done
