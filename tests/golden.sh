#!/bin/sh
# tests/golden.sh [--update] [CASE...] - certrotate's output, byte for byte.
#
# Runs the built certrotate on a fixed set of inventories and compares what it
# prints (stdout, stderr and exit code) with tests/golden/expected/CASE.out, so
# that a refactoring that must not change behaviour can prove it did not:
#
#   ex-NAME     examples/NAME/certrotate.cfg, instantiated as examples/instantiate.sh
#               does, every @..._PORT@ a free port: plan, plan --format json,
#               check --no-probe, check --no-probe --format json, then check and
#               check --format json probing the example's endpoints, served by
#               nginx on 127.0.0.1 as the example's story has it (story_NAME below:
#               what the servers serve; an example without a story has none, and
#               its probes fail, which is output too)
#   NAME        tests/golden/cases/NAME.cfg (the stories of the end-to-end tests): the
#               first four commands (nothing probed)
#   errors      every tests/golden/errors/*.cfg (configuration errors, from
#               tests/unit/test_config.c and the end-to-end tests; inc/ holds what
#               they @include): plan only, one section each
#
# Every output's check reports must also agree with themselves - the header's
# "N steps, M blocked", each step's status, the FAILED list and the summary, in
# text and JSON (tests/verdict.py) - or the case fails, however it compares.
#
# Nothing is written; check logs in to the fixture token "edge" with its PIN
# file, once per run.  The fixtures are generated fresh
# (softhsm-fixtures/mkfixtures.sh), so what depends on them is normalised
# before comparing: the SHA-1 / SHA-256 fingerprints, short thumbprints and
# serial numbers of every fixture certificate become @SHA1:NAME@,
# @SHA256:NAME@, @SHORT:NAME@ (sha1:8…4), @SHORT256:NAME@ (sha256:16…) and
# @SERIAL:NAME@ (NAME: the file in certs/ or pki/), RFC 3339 times @TIME@,
# token serials @TOKSERIAL@, an example's ports @NAME_PORT@, the fixture
# directory @FIX@, the case's directory @DIR@ and the temp dir @TMP@.  The
# certificates a name matches are listed by role and source by certrotate
# itself, never in the token's order: nothing else needs sorting.  Day counts are kept: the
# fixtures' dates are relative to when they were made.  Case templates may
# use @SHA1:NAME@ / @SHA256:NAME@ to name a fixture certificate by its hash.
#
#   sh tests/golden.sh                  compare all (exit 1 and a diff when anything differs)
#   sh tests/golden.sh ids errors       only these cases
#   sh tests/golden.sh --update [CASE]  rewrite the expected files from this build (review
#                                       the diff with git before committing it)
#
# Environment: BUILD (default build) or CERTROTATE (the binary); FIX (a fixture
# directory made by mkfixtures.sh, as tests/run.sh exports it; default: made
# here in the temp dir); KEEP=1 keeps the temp dir.  Ports come from
# tests/e2e/lib.sh (free_port: reserved across concurrent runs), and so do the
# nginx servers (stopped at exit).  Run from anywhere.
set -u

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
G=$SRCDIR/tests/golden
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRCDIR/$BUILD ;; esac
CERTROTATE=${CERTROTATE:-$BUILD/certrotate}

update=0
case ${1:-} in
--update | -u) update=1; shift ;;
-h | --help) sed -n '2,48p' "$0"; exit 0 ;;
esac
ONLY=" $* "
selected() { [ "$ONLY" = "  " ] || case $ONLY in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

[ -x "$CERTROTATE" ] || { echo "golden: '$CERTROTATE' not built" >&2; exit 2; }
# lib.sh: WORK (a temp dir of its own, 0700, in ${TMPDIR:-/tmp}: messages
# name it as the first directory others cannot search; removed at exit unless
# KEEP=1), FIX (built there unless given), free_port, nginx_start /
# nginx_stop, and the exit trap stopping them
unset WORK
export SRCDIR CERTROTATE
. "$SRCDIR/tests/e2e/lib.sh"
. "$FIX/env.sh"
TMP=$WORK
# hook.exec resolves every hook's program in PATH: the same PATH on every
# machine, with the programs the inventories' hooks name (their hosts do not
# exist) as stubs; nginx is the real one (config.test runs it)
stub_path ssh scp set-binding

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
	short256=$(printf '%.16s\342\200\246' "$s256")
	printf 's/%s/@SHA256:%s@/g\n' "$s256" "$n" >>"$TMP/norm.sed"
	printf 's/%s/@SHA1:%s@/g\n' "$s1" "$n" >>"$TMP/norm.sed"
	printf 's/%s/@SHORT:%s@/g\n' "$short" "$n" >>"$TMP/norm.sed"
	printf 's/%s/@SHORT256:%s@/g\n' "$short256" "$n" >>"$TMP/norm.sed"
	printf 's/%s/@SERIAL:%s@/g\n' "$ser" "$n" >>"$TMP/norm.sed"
	printf 's/@SHA1:%s@/%s/g\ns/@SHA256:%s@/%s/g\n' "$n" "$s1" "$n" "$s256" >>"$subst"
done
cat >>"$TMP/norm.sed" <<'EOF'
s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/@TIME@/g
s/serial=[0-9a-f]{16}/serial=@TOKSERIAL@/g
EOF

# norm DIR < raw > normalised
norm() {
	sed -E -f "$TMP/norm.sed" | sed "s|$1|@DIR@|g; s|$FIX|@FIX@|g; s|$TMP|@TMP@|g"
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
# compare NAME FILE: FILE against expected/NAME.out (or update it); first, the
# check reports in FILE must agree with themselves (tests/verdict.py: header,
# step statuses, FAILED list, summary, text and JSON) - also when updating
compare() {
	if ! python3 "$SRCDIR/tests/verdict.py" "$2" >"$TMP/verdict" 2>&1; then
		failed=$((failed + 1))
		echo "FAIL $1: the check reports disagree with themselves (tests/verdict.py):"
		sed 's/^/  /' "$TMP/verdict"
		return
	fi
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

# inventory DIR: the four commands on DIR/certrotate.cfg that probe nothing
inventory() {
	run1 "$1" plan -c certrotate.cfg
	run1 "$1" plan -c certrotate.cfg --format json
	run1 "$1" check --no-probe -c certrotate.cfg
	run1 "$1" check --no-probe -c certrotate.cfg --format json
}

# ---------------------------------------------------------------- the examples' stories
# story_NAME DIR: the servers of example NAME (instantiated in DIR, its ports in
# the variables named as its placeholders), each started with serve.
C=$FIX/certs

# serve NAME BODY: nginx_start for the current example; stopped after its commands
serve() {
	nginx_start "$cur-$1" "$2"
	servers="$servers $cur-$1"
}

# examples/demo.sh's servers: both bindings and nginx serve the old certificate
story_mail() {
	serve web "$(http_block \
		"$(https_server "$HTTPS_PORT" "$C/old-chain.pem" "$C/old.key" mail.contoso.com)" \
		"$(https_server "$HTTPS_PORT" "$C/old-chain.pem" "$C/old.key" _)" \
		"$(https_server "$NGINX_PORT" "$1/tls/mail.pem" "$C/old.key" _)")"
	serve smtp "$(smtp_conf "$SMTP_PORT" "$C/old-chain.pem" "$C/old.key")"
}

# the SNI binding moved to the new certificate (its key on the token), the
# default one forgotten
story_two_bindings() {
	serve web "$(http_block \
		"$(https_server "$HTTPS_PORT" "$C/new-chain.pem" "$(token_key mail-2026)" mail.contoso.com)" \
		"$(https_server "$HTTPS_PORT" "$C/old-chain.pem" "$C/old.key" _)")"
}

story_connector() {
	serve web "$(https_conf "$HTTPS_PORT" "$C/old-chain.pem" "$C/old.key")"
	serve smtp "$(smtp_conf "$SMTP_PORT" "$C/old-chain.pem" "$C/old.key")"
}

# the endpoint serves the protected default certificate
story_protected_default() {
	serve web "$(https_conf "$HTTPS_PORT" "$C/default.pem" "$C/default.key")"
}

# the example `run` rotates (make demo): both server blocks and SMTP on the old certificate
story_nginx_token() {
	serve web "$(http_block \
		"$(https_server "$HTTPS_PORT" "$1/tls/mail.pem" "$C/old.key" mail.contoso.com)" \
		"$(https_server "$HTTPS_PORT" "$1/tls/default.pem" "$C/old.key" _)")"
	serve smtp "$(smtp_conf "$SMTP_PORT" "$1/tls/smtp.pem" "$C/old.key")"
}

# the Linux host: nginx (SNI, default, SMTP STARTTLS) through certbot's links, haproxy's combined PEM
story_linux() {
	_l=$1/letsencrypt/live/mail.contoso.com
	_ap=$(free_port)
	serve web "$(http_block \
		"$(https_server "$HTTPS_PORT" "$_l/fullchain.pem" "$_l/privkey.pem" mail.contoso.com)" \
		"$(https_server "$HTTPS_PORT" "$_l/fullchain.pem" "$_l/privkey.pem" _)" \
		"$(auth_server "$_ap")")
$(mail_block "$_ap" "$(smtp_server "$SMTP_PORT" "$_l/fullchain.pem" "$_l/privkey.pem")")"
	haproxy_start "$cur-lb" "$(haproxy_conf "$HAPROXY_PORT" "$1/haproxy/mail.pem")"
	servers="$servers $cur-lb"
}

# federation, sha1-host: no server, every probe is refused

for ex in "$SRCDIR"/examples/*/certrotate.cfg; do
	b=$(basename "$(dirname "$ex")")
	n=ex-$b
	selected "$n" || continue
	# every @NAME_PORT@ a free port, named again in the output
	set --
	: >"$TMP/$n.ports"
	for p in $(sed -n 's/.*@\([A-Z0-9_]*_PORT\)@.*/\1/p' "$ex" | sort -u); do
		v=$(free_port) || die "no free port for $n"
		eval "$p=\$v"
		set -- "$@" "$p=$v"
		printf 's/\\b%s\\b/@%s@/g\n' "$v" "$p" >>"$TMP/$n.ports"
	done
	sh "$SRCDIR/examples/instantiate.sh" "$(dirname "$ex")" "$TMP/$n" "$FIX" "$@" ||
		{ failed=$((failed + 1)); echo "FAIL $n: cannot instantiate"; continue; }
	cur=$n servers=""
	story=story_$(echo "$b" | tr -- - _)
	! command -v "$story" >/dev/null 2>&1 || "$story" "$TMP/$n"
	{
		inventory "$TMP/$n"
		run1 "$TMP/$n" check -c certrotate.cfg --timeout 2s
		run1 "$TMP/$n" check -c certrotate.cfg --timeout 2s --format json
	} | norm "$TMP/$n" | sed -f "$TMP/$n.ports" >"$TMP/$n.out"
	for sv in $servers; do
		nginx_stop "$sv"
	done
	compare "$n" "$TMP/$n.out"
done

for c in "$G"/cases/*.cfg; do
	n=$(basename "$c" .cfg)
	selected "$n" || continue
	mkdir -p "$TMP/$n"
	ln -s "$FIX" "$TMP/$n/fix"
	sed -f "$subst" "$c" >"$TMP/$n/certrotate.cfg"
	inventory "$TMP/$n" | norm "$TMP/$n" >"$TMP/$n.out"
	compare "$n" "$TMP/$n.out"
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
