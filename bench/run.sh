#!/bin/sh
# bench/run.sh - `make bench`: one table, certrotate beside the tool a user
# would pick instead (or the floor) on the same workload, with the ratio, the
# target and whether it is met.  It prints; it never fails the build (a case
# that cannot run says so in its row).
#
#   BUILD=build sh bench/run.sh
#
# Workloads (sizes from the environment, defaults as the issue sets them):
#  1. check --no-probe on BENCH_HOSTS (2,000) hosts and BENCH_REFS (20,000) refs
#     over a SoftHSM2 token of BENCH_OBJECTS (2,000) certificates (private keys
#     for 30%; bench/tokenfill, bench/gen_token.sh): wall time (median of 5),
#     peak RSS, PKCS#11 calls counted by OpenSC's pkcs11-spy, C_Login calls.
#  2. the token's certificates read by `certrotate scan` against (a)
#     bench/p11enum.c, a minimal raw enumeration (the floor), (b)
#     `pkcs11-tool --list-objects --type cert`, (c) `p11tool
#     --list-all-certs`, which searches once per certificate (quadratic): it
#     runs on tokens of 250 and 500 certificates and is scaled to BENCH_OBJECTS
#     with the exponent those two give (said in the row).
#  3. BENCH_ENDPOINTS (1,000) TLS endpoints on 127.0.0.1: one nginx, a
#     quarter as many ports (a contiguous free range, reserved like the tests'
#     free_port) with four SNI names each, every name its own certificate;
#     `certrotate scan` of all of them against a sequential `openssl s_client`
#     loop on every 20th endpoint, scaled.
#  4. the token reached through p11-kit's RPC (`p11-kit server` and
#     p11-kit-client.so), then with 1 ms added to every call
#     (tests/p11fault/p11fault.c, P11FAULT_DELAY_US, as the server's
#     provider): scan, inspect and check --no-probe against `pkcs11-tool -O`.
#  5. `run --yes` on plans of 250, 500 and 1,000 command steps whose hooks do
#     nothing (/bin/true): the executor's own cost per step - checks,
#     journal, fsync - and whether it grows linearly (bench/run_exec.sh).
# Times are wall-clock medians (of 5 for cases 1-2, of 3 for cases 3-4; one
# run of pkcs11-tool -O at 1 ms a call, about 30 s).  The machine's load is printed with the
# table: other work on the machine makes every figure worse.
#
# Token stores live on /dev/shm when writable (BENCH_TMP overrides): SoftHSM2's
# file backend syncs several files per object created.
set -u

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
B=$SRCDIR/${BUILD:-build}
case ${BUILD:-build} in /*) B=$BUILD ;; esac
BIN=${CERTROTATE:-$B/certrotate}
TOKENFILL=${TOKENFILL:-$B/bench/tokenfill}
FAULT=${P11FAULT:-$B/tests/p11fault.so}
MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
SPY=${P11_SPY:-/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so}
CLIENT=${P11_CLIENT:-/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so}
N=${BENCH_OBJECTS:-2000}
HOSTS=${BENCH_HOSTS:-2000}
REFS=${BENCH_REFS:-20000}
EP=${BENCH_ENDPOINTS:-1000}
MEASURE="python3 $SRCDIR/bench/measure.py"
CR_PORTS_DIR=${CR_PORTS_DIR:-${TMPDIR:-/tmp}/certrotate-ports}

for f in "$BIN" "$TOKENFILL" "$FAULT"; do
	[ -e "$f" ] || { echo "bench: '$f' not built (make bench builds it)" >&2; exit 2; }
done
# p11-kit server resolves a relative --provider in its own module directory
# (`make bench` passes build/tests/p11fault.so): the +1 ms case needs it whole
case $FAULT in /*) ;; *) FAULT=$(pwd)/$FAULT ;; esac
if [ -z "${BENCH_TMP:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	BENCH_TMP=/dev/shm
fi
D=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/certrotate-bench.XXXXXX") || exit 2
PIDS=""
PORTS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	for p in $PORTS; do rmdir "$CR_PORTS_DIR/$p" 2>/dev/null; done
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# the generated inventories' hooks name programs that check's hook.exec must find
mkdir -p "$D/stubs"
for p in import rebind rename restart; do
	printf '#!/bin/sh\nexit 0\n' >"$D/stubs/$p" && chmod 0755 "$D/stubs/$p"
done
PATH=$D/stubs:$PATH
export PATH
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date +%s)

note() { printf 'bench: %s\n' "$*" >&2; }
# x / y to 2 decimals ("-" when either is not a number)
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 != a || b + 0 != b || b == 0) print "-";
	else printf "%.2f", a / b }'; }
# met CMP VALUE LIMIT: "met" / "NOT met" / "-"
met() { awk -v c="$1" -v v="$2" -v l="$3" 'BEGIN { if (v + 0 != v) { print "-"; exit }
	ok = (c == "le") ? v <= l : v >= l; print ok ? "met" : "NOT met" }'; }
ROWS=$D/rows
: >"$ROWS"
# row CASE MEASURE OURS BASELINE BASEVALUE RATIO TARGET MET
row() { printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$@" >>"$ROWS"; }
# m RUNS [--ok C] [--out F] -- CMD...: "MEDIAN MIN RSS", or "err err err"
m() { $MEASURE "$@" 2>>"$D/errors" || echo "err err err"; }
first() { echo "$1"; }
third() { echo "$3"; }
# spy_calls LOG: PKCS#11 calls in a pkcs11-spy log
spy_calls() { grep -c '^[0-9]*: C_' "$1" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- the token
# store DIR N KEYS: a SoftHSM2 store in DIR with token "bench" of N
# certificates, KEYS private keys; sets SOFTHSM2_CONF
store() {
	mkdir -p "$1/tokens" && chmod 0700 "$1/tokens"
	printf 'directories.tokendir = %s/tokens/\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	    "$1" >"$1/softhsm2.conf"
	SOFTHSM2_CONF=$1/softhsm2.conf
	export SOFTHSM2_CONF
	(umask 077; echo 1234 >"$1/bench.pin")
	softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 12345678 >/dev/null &&
	    "$TOKENFILL" "$MODULE" bench "$1/bench.pin" "$2" "$3" "$1" >"$1/list"
}
T=$D/token
t0=$(date +%s)
store "$T" "$N" $((3 * N / 10)) || { echo "bench: cannot fill the token" >&2; exit 2; }
TOKCONF=$SOFTHSM2_CONF
sh "$SRCDIR/bench/gen_token.sh" "$T/list" "$REFS" "$MODULE" bench.pin "$HOSTS" >"$T/check.cfg"
sh "$SRCDIR/bench/gen_token.sh" "$T/list" "$REFS" "$SPY" bench.pin "$HOSTS" >"$T/spy.cfg"
note "token: $N certificates, $((3 * N / 10)) keys; inventory: $HOSTS hosts, $REFS refs ($(($(date +%s) - t0)) s)"

# ---------------------------------------------------------------- 1. check
note "1. check --no-probe"
r=$(m 5 --out "$T/check.out" -- "$BIN" check --no-probe -c "$T/check.cfg")
CHECK_S=$(first $r)
CHECK_RSS=$(third $r)
grep -q ' 0 fail,' "$T/check.out" 2>/dev/null || note "check found failures: $(tail -1 "$T/check.out" 2>/dev/null)"
rm -f "$T/spy.log"
PKCS11SPY=$MODULE PKCS11SPY_OUTPUT=$T/spy.log "$BIN" check --no-probe -c "$T/spy.cfg" >/dev/null 2>&1
CHECK_CALLS=$(spy_calls "$T/spy.log")
CHECK_LOGIN=$(grep -c '^[0-9]*: C_Login' "$T/spy.log" 2>/dev/null || echo 0)
rm -f "$T/spy.log"

# ---------------------------------------------------------------- 2. scan of the token
note "2. token scan"
${CC:-cc} -O2 $(pkg-config --cflags p11-kit-1) -o "$D/p11enum" "$SRCDIR/bench/p11enum.c" -ldl
r=$(m 5 -- "$D/p11enum" "$MODULE" bench); ENUM_S=$(first $r)
r=$(m 5 --out "$T/scan.out" -- "$BIN" scan "pkcs11:token=bench?module-path=$MODULE"); SCAN_S=$(first $r)
[ "$(grep -c 'contoso' "$T/scan.out" 2>/dev/null)" = "$N" ] ||
    note "scan listed $(grep -c 'contoso' "$T/scan.out" 2>/dev/null) certificates, not $N"
r=$(m 5 -- pkcs11-tool --module "$MODULE" --token-label bench --list-objects --type cert)
TOOL_S=$(first $r)
PKCS11SPY=$MODULE PKCS11SPY_OUTPUT=$T/spy.log "$BIN" scan "pkcs11:token=bench?module-path=$SPY" >/dev/null 2>&1
SCAN_CALLS=$(spy_calls "$T/spy.log"); rm -f "$T/spy.log"
PKCS11SPY=$MODULE PKCS11SPY_OUTPUT=$T/spy.log pkcs11-tool --module "$SPY" --token-label bench \
    --list-objects --type cert >/dev/null 2>&1
TOOL_CALLS=$(spy_calls "$T/spy.log"); rm -f "$T/spy.log"
# p11tool: quadratic, so two small tokens and the exponent they give
P1=250 P2=500
store "$D/p1" "$P1" 0 && store "$D/p2" "$P2" 0
SOFTHSM2_CONF=$D/p1/softhsm2.conf
r=$(m 1 -- p11tool --provider "$MODULE" --list-all-certs 'pkcs11:token=bench'); GT1=$(first $r)
SOFTHSM2_CONF=$D/p2/softhsm2.conf
r=$(m 1 -- p11tool --provider "$MODULE" --list-all-certs 'pkcs11:token=bench'); GT2=$(first $r)
r=$(m 3 -- "$BIN" scan "pkcs11:token=bench?module-path=$MODULE"); SCAN2_S=$(first $r)
SOFTHSM2_CONF=$TOKCONF
GT_K=$(awk -v a="$GT1" -v b="$GT2" -v p="$P1" -v q="$P2" 'BEGIN { if (a + 0 != a || b + 0 != b || a <= 0) print "-";
	else { k = log(b / a) / log(q / p); if (k < 1) k = 1; printf "%.2f", k } }')
GT_S=$(awk -v b="$GT2" -v k="$GT_K" -v q="$P2" -v n="$N" 'BEGIN { if (k + 0 != k) print "-";
	else printf "%.1f", b * exp(k * log(n / q)) }')

# ---------------------------------------------------------------- 3. endpoints
# ports BASE COUNT: reserves a contiguous range of free 127.0.0.1 ports
# (mkdir under $CR_PORTS_DIR, as tests/e2e/lib.sh free_port); sets PORT0
ports() {
	mkdir -p "$CR_PORTS_DIR"
	ss -Hltn 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u >"$D/used"
	tries=0
	while [ $tries -lt 50 ]; do
		tries=$((tries + 1))
		base=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 11000))
		awk -v b="$base" -v n="$1" '$1 >= b && $1 < b + n { bad = 1 } END { exit bad }' \
		    "$D/used" || continue
		got=""
		i=0
		while [ $i -lt "$1" ]; do
			mkdir "$CR_PORTS_DIR/$((base + i))" 2>/dev/null || break
			got="$got $((base + i))"
			i=$((i + 1))
		done
		PORTS="$PORTS$got"
		if [ $i -eq "$1" ]; then
			PORT0=$base
			return 0
		fi
	done
	return 1
}
endpoints() {
	E=$D/ep
	mkdir -p "$E/certs" "$E/logs"
	${CC:-cc} -O2 -o "$D/gencerts" "$SRCDIR/bench/gencerts.c" $(pkg-config --cflags --libs libcrypto) &&
	    "$D/gencerts" "$EP" "$E/certs" >/dev/null || return 1
	nports=$(((EP + 3) / 4))
	ports "$nports" || { note "no free range of $nports ports"; return 1; }
	{
		echo "daemon off; master_process off; worker_processes 1;"
		echo "worker_rlimit_nofile 8192; pid $E/nginx.pid; error_log $E/logs/error.log error;"
		echo "events { worker_connections 4096; }"
		echo "http { access_log off; ssl_protocols TLSv1.2 TLSv1.3;"
		echo "  ssl_certificate_key $E/certs/leaf.key;"
		k=1
		while [ $k -le "$EP" ]; do
			port=$((PORT0 + (k - 1) / 4))
			printf '  server { listen 127.0.0.1:%d ssl; server_name h%05d.contoso.com; ssl_certificate %s/certs/c%05d.pem; return 204; }\n' \
			    "$port" "$k" "$E" "$k"
			k=$((k + 1))
		done
		echo "}"
	} >"$E/nginx.conf"
	nginx -p "$E" -c "$E/nginx.conf" -e "$E/logs/error.log" >"$E/logs/stdout" 2>&1 </dev/null &
	NGINX=$!
	PIDS="$PIDS $NGINX"
	i=0
	while [ "$(ss -Hltn "sport >= :$PORT0 and sport < :$((PORT0 + nports))" 2>/dev/null | wc -l)" -lt "$nports" ]; do
		kill -0 "$NGINX" 2>/dev/null && [ $i -lt 200 ] ||
		    { note "nginx did not come up: $(tail -3 "$E/logs/error.log" "$E/logs/stdout" 2>/dev/null)"; return 1; }
		sleep 0.05
		i=$((i + 1))
	done
	k=1
	: >"$E/sources"
	: >"$E/sample"
	while [ $k -le "$EP" ]; do
		port=$((PORT0 + (k - 1) / 4))
		name=$(printf 'h%05d.contoso.com' "$k")
		echo "tls://127.0.0.1:$port?sni=$name" >>"$E/sources"
		[ $((k % 20)) -ne 1 ] || echo "$port $name" >>"$E/sample"
		k=$((k + 1))
	done
	# every source as an argument
	r=$(m 3 --out "$E/scan.out" -- sh -c 'set -f; exec "$0" scan --timeout 10s $(cat "$1")' \
	    "$BIN" "$E/sources")
	EP_S=$(first $r)
	EP_SEEN=$(grep -c 'tls://' "$E/scan.out" 2>/dev/null || echo 0)
	[ "$EP_SEEN" = "$EP" ] || note "scan listed $EP_SEEN endpoints, not $EP: $(head -3 "$E/scan.out.err")"
	cat >"$E/loop.sh" <<'EOF'
while read -r port name; do
	openssl s_client -connect "127.0.0.1:$port" -servername "$name" </dev/null 2>/dev/null |
	    openssl x509 -noout -subject -enddate || exit 2
done <"$1"
EOF
	NSAMPLE=$(wc -l <"$E/sample")
	r=$(m 1 --ok 0 -- sh "$E/loop.sh" "$E/sample"); LOOP_SAMPLE=$(first $r)
	LOOP_S=$(awk -v s="$LOOP_SAMPLE" -v k="$NSAMPLE" -v n="$EP" 'BEGIN { if (s + 0 != s) print "-";
		else printf "%.2f", s * n / k }')
	kill "$NGINX" 2>/dev/null
	wait "$NGINX" 2>/dev/null
}
note "3. $EP endpoints"
EP_S=err LOOP_S=err LOOP_SAMPLE=err NSAMPLE=0 EP_SEEN=0
endpoints || note "the endpoint case could not run"

# ---------------------------------------------------------------- 4. remote
# server NAME PROVIDER [VAR=VALUE...]: p11-kit server on the token in the
# background, with those variables in its environment; sets SOCK
server() {
	SOCK=$D/$1.sock
	_n=$1 _p=$2
	shift 2
	env "$@" timeout 900 p11-kit server -f -n "$SOCK" --provider "$_p" 'pkcs11:token=bench' \
	    >"$D/$_n.out" 2>"$D/$_n.err" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -S "$SOCK" ]
}
# remote NAME RUNS TOOLRUNS: scan, inspect, check and the raw enumeration
# (RUNS each) and pkcs11-tool -O (TOOLRUNS) through the client
remote() {
	sh "$SRCDIR/bench/gen_token.sh" "$T/list" "$REFS" "$CLIENT" bench.pin "$HOSTS" >"$T/remote.cfg"
	P11_KIT_SERVER_ADDRESS=unix:path=$SOCK
	export P11_KIT_SERVER_ADDRESS
	r=$(m "$2" --out "$D/$1.scan" -- "$BIN" scan "pkcs11:token=bench?module-path=$CLIENT")
	eval "${1}_scan=$(first $r)"
	r=$(m "$2" -- "$BIN" inspect "pkcs11:token=bench?module-path=$CLIENT"); eval "${1}_inspect=$(first $r)"
	r=$(m "$2" --out "$D/$1.check" -- "$BIN" check --no-probe -c "$T/remote.cfg")
	eval "${1}_check=$(first $r)"
	r=$(m "$3" -- pkcs11-tool --module "$CLIENT" --token-label bench -O); eval "${1}_tool=$(first $r)"
	r=$(m "$2" -- "$D/p11enum" "$CLIENT" bench); eval "${1}_enum=$(first $r)"
	unset P11_KIT_SERVER_ADDRESS
}
note "4. remote token (p11-kit RPC)"
rpc_scan=err rpc_inspect=err rpc_check=err rpc_tool=err rpc_enum=err
ms_scan=err ms_inspect=err ms_check=err ms_tool=err ms_enum=err
if command -v p11-kit >/dev/null 2>&1 && [ -f "$CLIENT" ]; then
	server rpc "$MODULE" && remote rpc 3 3 || note "p11-kit server did not start"
	server ms "$FAULT" P11FAULT_MODULE="$MODULE" P11FAULT_DELAY_US=1000 && remote ms 3 1 ||
	    note "p11-kit server (1 ms a call) did not start"
else
	note "p11-kit or p11-kit-client.so missing: the remote case is skipped"
fi

# ---------------------------------------------------------------- 5. run
note "5. run: the executor's own cost per step"
sh "$SRCDIR/bench/run_exec.sh" "$D/rows5" || note "the run case could not run"

# ---------------------------------------------------------------- the table
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
OBJ=$N
CALL_LIMIT=$(awk -v n="$OBJ" 'BEGIN { printf "%d", 1.2 * n + 50 }')
row "1 check --no-probe, $HOSTS hosts / $REFS refs, token of $N" "wall (median of 5)" "$CHECK_S s" \
    "raw read of the token (p11enum)" "$ENUM_S s" "$(div "$CHECK_S" "$ENUM_S")" "<= 0.8 s" \
    "$(met le "$CHECK_S" 0.8)"
row "" "peak RSS" "$(awk -v k="$CHECK_RSS" 'BEGIN { if (k + 0 != k) print k; else printf "%.0f MiB", k / 1024 }')" \
    "-" "-" "-" "<= 256 MiB" "$(met le "$(awk -v k="$CHECK_RSS" 'BEGIN { print k / 1024 }')" 256)"
row "" "PKCS#11 calls (pkcs11-spy)" "$CHECK_CALLS" "one per certificate object" "$OBJ" \
    "$(div "$CHECK_CALLS" "$OBJ")" "<= 1.2 x $OBJ + 50 = $CALL_LIMIT" "$(met le "$CHECK_CALLS" "$CALL_LIMIT")"
row "" "C_Login" "$CHECK_LOGIN" "-" "-" "-" "1" "$(met le "$CHECK_LOGIN" 1)"
row "2 token scan, $N certificates" "wall (median of 5)" "$SCAN_S s" "(a) raw enumeration (p11enum)" \
    "$ENUM_S s" "$(div "$SCAN_S" "$ENUM_S") x (a)" "<= 1.3 x (a)" "$(met le "$(div "$SCAN_S" "$ENUM_S")" 1.3)"
row "" "" "$SCAN_S s" "(b) pkcs11-tool --list-objects --type cert" "$TOOL_S s" \
    "(b) / ours = $(div "$TOOL_S" "$SCAN_S")" ">= 1.5" "$(met ge "$(div "$TOOL_S" "$SCAN_S")" 1.5)"
row "" "" "$SCAN_S s" "(c) p11tool --list-all-certs: $GT1 s at $P1, $GT2 s at $P2, scaled to $N with exponent $GT_K" \
    "$GT_S s" "(c) / ours = $(div "$GT_S" "$SCAN_S")" ">= 50" "$(met ge "$(div "$GT_S" "$SCAN_S")" 50)"
row "" "same, measured at $P2 certificates" "$SCAN2_S s" "(c) p11tool, measured" "$GT2 s" \
    "(c) / ours = $(div "$GT2" "$SCAN2_S")" "-" "-"
row "" "PKCS#11 calls a certificate" "$(div "$SCAN_CALLS" "$N")" "(b) pkcs11-tool" \
    "$(div "$TOOL_CALLS" "$N")" "(b) / ours = $(div "$TOOL_CALLS" "$SCAN_CALLS")" "<= 1.2" \
    "$(met le "$(div "$SCAN_CALLS" "$N")" 1.2)"
row "3 $EP TLS endpoints ($(((EP + 3) / 4)) ports x 4 SNI names)" "wall (median of 3)" "$EP_S s" \
    "sequential openssl s_client loop: $LOOP_SAMPLE s for $NSAMPLE, scaled" "$LOOP_S s" \
    "loop / ours = $(div "$LOOP_S" "$EP_S")" "<= 2 s, >= 20" \
    "$(met le "$EP_S" 2) / $(met ge "$(div "$LOOP_S" "$EP_S")" 20)"
row "4 remote (p11-kit RPC), the floor" "scan of the token" "$rpc_scan s" \
    "raw enumeration (p11enum) through the same client" "$rpc_enum s" \
    "ours / floor = $(div "$rpc_scan" "$rpc_enum")" "-" "-"
row "" "+1 ms a call" "$ms_scan s" "raw enumeration, +1 ms a call" "$ms_enum s" \
    "ours / floor = $(div "$ms_scan" "$ms_enum")" "-" "-"
for w in scan inspect check; do
	eval "a=\$rpc_$w b=\$ms_$w"
	case $w in check) what="check --no-probe ($REFS refs)" ;; *) what="$w of the token" ;; esac
	row "4 remote (p11-kit RPC), $what" "wall (median of 3)" "$a s" "pkcs11-tool -O" "$rpc_tool s" \
	    "tool / ours = $(div "$rpc_tool" "$a")" "-" "-"
	if [ "$w" = scan ]; then
		row "" "+1 ms a call (median of 3)" "$b s" "pkcs11-tool -O, +1 ms a call (1 run)" "$ms_tool s" \
		    "tool / ours = $(div "$ms_tool" "$b")" "<= 3 s, >= 5" \
		    "$(met le "$b" 3) / $(met ge "$(div "$ms_tool" "$b")" 5)"
	else
		row "" "+1 ms a call" "$b s" "pkcs11-tool -O, +1 ms a call" "$ms_tool s" \
		    "tool / ours = $(div "$ms_tool" "$b")" "-" "-"
	fi
done

echo
echo "certrotate bench, $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) cores ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); load average $LOAD0 at the start, $LOAD1 at the end; $(($(date +%s) - T0)) s"
echo
echo "| case | measure | certrotate | baseline | baseline value | ratio | target | met |"
echo "|---|---|---|---|---|---|---|---|"
cat "$ROWS"
[ ! -s "$D/rows5" ] || cat "$D/rows5"
if [ -s "$D/errors" ]; then
	echo
	echo "errors:"
	sed 's/^/  /' "$D/errors" | head -20
fi
exit 0
