#!/bin/sh
# examples/demo.sh - what `make demo` runs: the bundled example (examples/mail)
# against a fresh SoftHSM2 token and test PKI, with nginx on 127.0.0.1 serving
# the old certificate where the example's services would:
#
#   1. inspect the new certificate on the token (with its private key's flags),
#   2. plan the rotation,
#   3. check every step's preconditions (probing the endpoints),
#   4. write the change runbook, Markdown and HTML, to $BUILD/demo/ (kept:
#      open runbook.html in a browser; the paths are printed at the end),
#   5. rotate for real, unattended, examples/nginx-token (two nginx on
#      127.0.0.1, their keys on the token, restarted by a hook): `run --yes`,
#      what the endpoints serve then, `rollback --yes`, and again.
#
# Everything else lives in a temp dir removed at the end (KEEP=1 keeps it).
# Exits non-zero only when a command fails on bad input or its environment
# (exit 2 or 3); a check that finds blockers (exit 1) is part of the show.
set -u
SRCDIR=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRCDIR/$BUILD ;; esac
CERTROTATE=$BUILD/certrotate
unset WORK FIX
export CERTROTATE

echo "== building a SoftHSM2 token and a test PKI (softhsm-fixtures/mkfixtures.sh)"
# lib.sh builds the fixtures into a temp dir and gives us its nginx helpers;
# it stops every nginx it started when this script exits.
. "$SRCDIR/tests/e2e/lib.sh"
need_certrotate

C=$FIX/certs
HTTPS_PORT=$(free_port) SMTP_PORT=$(free_port) NGINX_PORT=$(free_port)
DEMO=$WORK/mail
sh "$SRCDIR/examples/instantiate.sh" "$SRCDIR/examples/mail" "$DEMO" "$FIX" \
	HTTPS_PORT="$HTTPS_PORT" SMTP_PORT="$SMTP_PORT" NGINX_PORT="$NGINX_PORT" ||
	die "cannot instantiate examples/mail"

echo "== starting nginx on 127.0.0.1: HTTPS :$HTTPS_PORT (SNI + default), SMTP STARTTLS :$SMTP_PORT, nginx :$NGINX_PORT"
nginx_start mx1 "$(http_block \
	"$(https_server "$HTTPS_PORT" "$C/old-chain.pem" "$C/old.key" mail.contoso.com)" \
	"$(https_server "$HTTPS_PORT" "$C/old-chain.pem" "$C/old.key" _)" \
	"$(https_server "$NGINX_PORT" "$DEMO/tls/mail.pem" "$C/old.key" _)")"
nginx_start mx1-smtp "$(smtp_conf "$SMTP_PORT" "$C/old-chain.pem" "$C/old.key")"

worst=0
run() {
	printf '\n$ certrotate %s\n' "$*"
	(cd "$DEMO" && "$CERTROTATE" "$@")
	st=$?
	printf '(exit %d)\n' "$st"
	[ "$st" -ge 2 ] && worst=$st
	return 0
}
run inspect "pkcs11:token=edge;object=mail-2026;type=cert?pin-source=file:fix/edge.pin"
run plan
run check
OUTDIR=$BUILD/demo
mkdir -p "$OUTDIR" || die "cannot create '$OUTDIR'"
run runbook -o "$OUTDIR/runbook.md"
run runbook --format html -o "$OUTDIR/runbook.html"
[ "$worst" -eq 0 ] || die "a command failed (exit $worst)"

# ---------------------------------------------------------------- run and rollback
E=$WORK/edge
EH=$(free_port) ES=$(free_port) EA=$(free_port)
sh "$SRCDIR/examples/instantiate.sh" "$SRCDIR/examples/nginx-token" "$E" "$FIX" \
	HTTPS_PORT="$EH" SMTP_PORT="$ES" AUTH_PORT="$EA" || die "cannot instantiate examples/nginx-token"
# its new certificate comes from the CA as a file: not on the token yet
pkcs11-tool --module "$SOFTHSM_MODULE" --token-label edge --login --pin "$(head -n 1 "$FIX/edge.pin")" \
	--delete-object --type cert --label mail-2026 >/dev/null 2>&1 ||
	die "cannot take mail-2026 off the demo's token"
for s in web smtp; do
	on_exit "kill \$(cat '$E/nginx/$s/nginx.pid' 2>/dev/null) 2>/dev/null"
	(cd "$E" && ./nginx/restart "$s") >"$WORK/edge-$s.log" 2>&1 ||
		die "nginx '$s' of examples/nginx-token did not start: $(cat "$WORK/edge-$s.log")"
done
OLD=$(cert_sha256 "$C/old.pem") NEW=$(cert_sha256 "$C/new.pem")
served() {
	echo "== what the endpoints serve:"
	for e in "$EH mail.contoso.com" "$EH -" "$ES - smtp"; do
		set -- $e
		fp=$(tls_sha256 "127.0.0.1:$1" "$2" ${3:-})
		what="neither"
		[ "$fp" != "$OLD" ] || what="the OLD certificate"
		[ "$fp" != "$NEW" ] || what="the NEW certificate"
		printf '   127.0.0.1:%s %-22s %s\n' "$1" "$( [ "$2" = - ] && echo "(no SNI)" || echo "(SNI $2)")${3:+ STARTTLS}" "$what"
	done
}
echo
echo "== examples/nginx-token: a rotation run does unattended, then its rollback"
served
DEMO=$E
run run --yes
served
run rollback --yes
served
[ "$worst" -eq 0 ] || die "a command failed (exit $worst)"
echo
echo "== the change runbook of the example (kept after the demo):"
echo "   $OUTDIR/runbook.md"
echo "   $OUTDIR/runbook.html"
