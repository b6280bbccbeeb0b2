#!/bin/sh
# bench/run_exec.sh ROWS - the executor's own cost per step, for `make bench`
# (bench/run.sh calls it and prints its rows in the one table; alone, it
# prints them).
#
# `certrotate run --yes` on plans of about 250, 500 and 1,000 steps where
# every step is a command whose hook does nothing (/bin/true): per host an
# import, 18 binding rebinds and a restart, then retire = keep.  No token, no
# endpoint: what is left is the executor - the plan, each step's checks
# before and after it (the same engine as `check`, journal mode), the
# journal (two fsync'd appends a step, on a disk-backed directory: the
# build directory, not /dev/shm), the hook's fork and exec.  Per step:
# (wall of run - wall of plan on the same configuration) / steps, median of
# 3; linear when the figure at 1,000 steps is within 1.5 x the figure at 250.
# A second figure runs the same plan with the journal on /dev/shm, where an
# fsync costs nothing: the difference is what the journal's durability
# costs.
#
# The floor of a hook itself is shown beside: sh running /bin/true 1,000
# times (per run).
#
#   BUILD=build sh bench/run_exec.sh [ROWS]
set -u

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
B=$SRCDIR/${BUILD:-build}
case ${BUILD:-build} in /*) B=$BUILD ;; esac
BIN=${CERTROTATE:-$B/certrotate}
MEASURE="python3 $SRCDIR/bench/measure.py"
ROWS=${1:-}
R=18	# binding refs per host

[ -x "$BIN" ] || { echo "bench: '$BIN' not built" >&2; exit 2; }
D=$(mktemp -d "$B/bench-exec.XXXXXX") || exit 2
SHM=""
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	SHM=$(mktemp -d /dev/shm/certrotate-bench-exec.XXXXXX) || SHM=""
fi
trap 'rm -rf "$D" ${SHM:+"$SHM"}' EXIT
trap 'exit 130' INT TERM

note() { printf 'bench: %s\n' "$*" >&2; }
row() {
	if [ -n "$ROWS" ]; then
		printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$@" >>"$ROWS"
	else
		printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$@"
	fi
}

# ---------------------------------------------------------------- a PKI
pki() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$D/ca.key" -out "$D/ca.pem" \
	    -subj "/CN=Bench CA" -days 30 -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || return 1
	printf 'subjectAltName=DNS:bench.example\nextendedKeyUsage=serverAuth\n' >"$D/ext"
	for n in old new; do
		openssl req -newkey rsa:2048 -nodes -keyout "$D/$n.key" -subj "/CN=bench.example/O=$n" \
		    -out "$D/$n.csr" 2>/dev/null &&
		openssl x509 -req -in "$D/$n.csr" -CA "$D/ca.pem" -CAkey "$D/ca.key" -days 400 \
		    -set_serial "$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')" -extfile "$D/ext" \
		    -out "$D/$n.pem" 2>/dev/null || return 1
	done
}

# config HOSTS FILE: HOSTS hosts x (1 import + R rebinds + 1 restart) + a retire
config() {
	old1=$(openssl x509 -in "$D/old.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
	awk -v H="$1" -v R="$R" -v OLD1="$old1" -v DIR="$D" 'BEGIN {
		printf "rotation = {\n  name = \"bench\";\n  old = \"file:%s/old.pem\";\n", DIR
		printf "  new = \"file:%s/new.pem\";\n  key = \"file:%s/new.key\";\n", DIR, DIR
		printf "  trust = [ \"file:%s/ca.pem\" ];\n  retire = \"keep\";\n", DIR
		printf "  run_import = [ \"/bin/true\", \"{host}\" ];\n"
		printf "  run_rebind = [ \"/bin/true\", \"{ref}\", \"{new.sha1}\" ];\n"
		printf "  run_restart = [ \"/bin/true\", \"{service}\" ];\n};\n"
		printf "hosts = (\n"
		for (h = 0; h < H; h++)
			printf "  { name = \"h%04d\"; }%s\n", h, h + 1 < H ? "," : ""
		printf ");\nservices = (\n"
		for (h = 0; h < H; h++) {
			printf "  { name = \"s%04d\"; host = \"h%04d\"; refs = (\n", h, h
			for (r = 0; r < R; r++)
				printf "    { id = \"b%02d\"; type = \"binding\"; cert = \"sha1:%s\"; }%s\n", \
				    r, OLD1, r + 1 < R ? "," : ""
			printf "  ); }%s\n", h + 1 < H ? "," : ""
		}
		printf ");\n"
	}' >"$2"
}

first() { echo "$1"; }

# per_step HOSTS DIR: "STEPS PER_STEP_MS RUN_S PLAN_S" with the journal in DIR
per_step() {
	cfg=$2/bench-$1.cfg
	config "$1" "$cfg"
	steps=$(($1 * (R + 2) + 1))
	p=$($MEASURE 3 -- "$BIN" plan -c "$cfg" 2>>"$D/errors") || { echo "err err err err"; return; }
	# each run from a fresh journal: a wrapper removes the last one first
	cat >"$2/run.sh" <<EOF
#!/bin/sh
rm -f "$cfg.state"
exec "$BIN" run --yes -c "$cfg"
EOF
	r=$($MEASURE 3 --ok 0 -- sh "$2/run.sh" 2>>"$D/errors") || { echo "$steps err err err"; return; }
	ps=$(first $p) rs=$(first $r)
	echo "$steps $(awk -v a="$rs" -v b="$ps" -v n="$steps" 'BEGIN { printf "%.3f", (a - b) * 1000 / n }') $rs $ps"
}

pki || { note "cannot make a PKI with openssl"; exit 0; }
note "5. run: the executor on 250, 500, 1,000 command steps"
set -- $(per_step 12 "$D")
s1=$1 m1=$2
set -- $(per_step 25 "$D")
s2=$1 m2=$2
set -- $(per_step 50 "$D")
s3=$1 m3=$2 run3=$3 plan3=$4
fs=$(stat -f -c %T "$D" 2>/dev/null || echo "?")
shm=err
if [ -n "$SHM" ]; then
	set -- $(per_step 50 "$SHM")
	shm=$2
fi
# the floor of a hook: sh starting /bin/true 1,000 times (fork and exec, as certrotate does)
spawn=$($MEASURE 3 -- sh -c 'i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i + 1)); done' 2>>"$D/errors")
spawn_ms=$(awk -v s="$(first $spawn)" 'BEGIN { if (s + 0 != s) print "err"; else printf "%.3f", s }')
lin=$(awk -v a="$m1" -v b="$m3" 'BEGIN { if (a + 0 != a || b + 0 != b || a == 0) print "-";
	else printf "%.2f", b / a }')
met=$(awk -v v="$lin" 'BEGIN { if (v + 0 != v) print "-"; else print v <= 1.5 ? "met" : "NOT met" }')
row "5 run --yes, $s3 command steps (/bin/true), journal on $fs" "per step: (run - plan) / steps, median of 3" \
    "$m3 ms" "plan alone / run" "$plan3 s / $run3 s" "-" "-" "-"
row "" "per step at $s1 / $s2 / $s3 steps" "$m1 / $m2 / $m3 ms" "per step at $s1" "$m1 ms" \
    "$lin at $s3" "linear: <= 1.5 at $s3" "$met"
row "" "per step" "$m3 ms" "sh running /bin/true (a hook's fork and exec), per run" "$spawn_ms ms" \
    "$(awk -v a="$m3" -v b="$spawn_ms" 'BEGIN { if (a + 0 != a || b + 0 != b) print "-"; else printf "executor: %.2f ms a step", a - b }')" "-" "-"
row "" "per step, journal on tmpfs (fsync free)" "$shm ms" "on $fs" "$m3 ms" \
    "$(awk -v a="$m3" -v b="$shm" 'BEGIN { if (a + 0 != a || b + 0 != b) print "-"; else printf "fsync: %.2f ms a step", a - b }')" "-" "-"
if [ -s "$D/errors" ] && [ -z "$ROWS" ]; then
	echo "errors:" >&2
	head -20 "$D/errors" >&2
fi
exit 0
