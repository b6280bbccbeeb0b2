#!/bin/sh
# tests/golden/capture.sh OUTDIR - the output of `plan` and `check` (text and
# JSON, exit code, stderr) on every example inventory, normalised so that two
# runs on freshly generated fixtures compare byte for byte.
#
# Run from the repository root (CERTROTATE, FIX, WORK as in tests/e2e/lib.sh:
# fixtures are built when FIX is unset).  Each example is instantiated
# (examples/instantiate.sh) on free ports; nginx serves on them what the
# example's story needs (examples/demo.sh's servers for `mail`, the moved SNI
# binding and the forgotten default one for `two-bindings`, the old
# certificate for `connector` and `protected-default`; `federation`'s ports
# stay closed: its probes fail, which is output too).  For each example:
#   EX.plan.txt EX.plan.json            plan
#   EX.check-noprobe.txt EX.check-noprobe.json    check --no-probe
#   EX.check.txt EX.check.json          check (probing)
# each file holding stdout, then "--- stderr" and stderr, then "--- exit N".
#
# Normalised: the fixture directory and work directory (@FIX@, @WORK@), ports
# (@NAME_PORT@), every fixture certificate's SHA-1, SHA-256 (in full and in
# the shortened forms the tool prints) and serial (@certs/old.sha1@ ...), token
# serials, dates (@DATE@).  Days left are computed from dates relative to the
# fixtures' creation, so they stay put.
#
# tests/golden/expected/ holds the files of the current code; tests/e2e/t_golden.sh
# compares a fresh capture with them.  After an intended change of output,
# refresh them with:  sh tests/golden/capture.sh tests/golden/expected
set -u
LC_ALL=C
export LC_ALL
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT=$1
mkdir -p "$OUT" || exit 2
OUT=$(cd "$OUT" && pwd)
. "$(dirname "$0")/../e2e/lib.sh"
need_certrotate

C=$FIX/certs
EX=$SRCDIR/examples
SED=$WORK/golden.sed

# ---------------------------------------------------------------- normalisation
# longest patterns first: paths, then full digests, then their short forms
{
	printf 's|%s|@WORK@|g\n' "$WORK"
	printf 's|%s|@FIX@|g\n' "$FIX"
	for f in "$FIX"/certs/*.pem "$FIX"/pki/*.pem; do
		case $f in *-chain.pem) continue ;; esac
		n=${f#"$FIX"/}
		n=${n%.pem}
		s1=$(openssl x509 -in "$f" -noout -fingerprint -sha1 2>/dev/null | sed 's/.*=//; s/://g')
		s256=$(openssl x509 -in "$f" -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//; s/://g')
		ser=$(openssl x509 -in "$f" -noout -serial 2>/dev/null | sed 's/.*=//')
		[ -n "$s1" ] || continue
		printf 's|%s|@%s.sha256@|g\n' "$s256" "$n"
		printf 's|%s|@%s.sha1@|g\n' "$s1" "$n"
		printf 's|%s|@%s.serial@|g\n' "$ser" "$n"
		# "sha1:7355CB4B…0873" and "sha256:%.16s…"
		printf 's|%s…%s|@%s.sha1.short@|g\n' "$(printf %.8s "$s1")" "${s1#????????????????????????????????????}" "$n"
		printf 's|%s…|@%s.sha256.16@|g\n' "$(printf %.16s "$s256")" "$n"
	done
	printf 's/serial=[0-9a-f]\\{8,\\}/serial=@TOKEN_SERIAL@/g\n'
	printf 's/[0-9]\\{4\\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z/@DATE@/g\n'
} >"$SED"

# port_sed NAME=PORT...: sed script naming the ports
port_sed() {
	for kv in "$@"; do
		printf 's/\\b%s\\b/@%s@/g\n' "${kv#*=}" "${kv%%=*}"
	done
}

# run EX NAME ARGS...: one capture
run() {
	_ex=$1 _name=$2
	shift 2
	# in the instance's directory, as an operator runs it (./certrotate.cfg)
	(cd "$WORK/$_ex" && cr "$@" && echo "$rc" >"$WORK/rc")
	rc=$(cat "$WORK/rc")
	{
		cat "$WORK/out"
		echo "--- stderr"
		cat "$WORK/err"
		echo "--- exit $rc"
	} | sed -f "$SED" | sed -f "$WORK/$_ex.ports" >"$OUT/$_ex.$_name"
}

capture() {
	_ex=$1
	run "$_ex" plan.txt plan
	run "$_ex" plan.json plan --format json
	run "$_ex" check-noprobe.txt check --no-probe
	run "$_ex" check-noprobe.json check --no-probe --format json
	run "$_ex" check.txt check --timeout 2s
	run "$_ex" check.json check --timeout 2s --format json
}

# instantiate EX NAME=PORT...
instantiate() {
	_ex=$1
	shift
	sh "$EX/instantiate.sh" "$EX/$_ex" "$WORK/$_ex" "$FIX" "$@" || die "cannot instantiate $_ex"
	port_sed "$@" >"$WORK/$_ex.ports"
}

# ---------------------------------------------------------------- mail (examples/demo.sh)
HTTPS_PORT=$(free_port) SMTP_PORT=$(free_port) NGINX_PORT=$(free_port)
instantiate mail HTTPS_PORT="$HTTPS_PORT" SMTP_PORT="$SMTP_PORT" NGINX_PORT="$NGINX_PORT"
nginx_start mail "$(http_block \
	"$(https_server "$HTTPS_PORT" "$C/old-chain.pem" "$C/old.key" mail.contoso.com)" \
	"$(https_server "$HTTPS_PORT" "$C/old-chain.pem" "$C/old.key" _)" \
	"$(https_server "$NGINX_PORT" "$WORK/mail/tls/mail.pem" "$C/old.key" _)")"
nginx_start mail-smtp "$(smtp_conf "$SMTP_PORT" "$C/old-chain.pem" "$C/old.key")"
capture mail
nginx_stop mail
nginx_stop mail-smtp

# ---------------------------------------------------------------- two-bindings: the SNI one moved
HTTPS_PORT=$(free_port)
instantiate two-bindings HTTPS_PORT="$HTTPS_PORT"
nginx_start two "$(http_block \
	"$(https_server "$HTTPS_PORT" "$C/new-chain.pem" "$(token_key mail-2026)" mail.contoso.com)" \
	"$(https_server "$HTTPS_PORT" "$C/old-chain.pem" "$C/old.key" _)")"
capture two-bindings
nginx_stop two

# ---------------------------------------------------------------- connector, protected-default: the old certificate
HTTPS_PORT=$(free_port) SMTP_PORT=$(free_port)
instantiate connector HTTPS_PORT="$HTTPS_PORT" SMTP_PORT="$SMTP_PORT"
nginx_start conn "$(https_conf "$HTTPS_PORT" "$C/old-chain.pem" "$C/old.key")"
nginx_start conn-smtp "$(smtp_conf "$SMTP_PORT" "$C/old-chain.pem" "$C/old.key")"
capture connector
nginx_stop conn
nginx_stop conn-smtp

HTTPS_PORT=$(free_port)
instantiate protected-default HTTPS_PORT="$HTTPS_PORT"
nginx_start prot "$(https_conf "$HTTPS_PORT" "$C/default.pem" "$C/default.key")"
capture protected-default
nginx_stop prot

# ---------------------------------------------------------------- no server: probes fail
ADFS_PORT=$(free_port) WAP_PORT=$(free_port)
instantiate federation ADFS_PORT="$ADFS_PORT" WAP_PORT="$WAP_PORT"
capture federation
instantiate sha1-host
capture sha1-host
