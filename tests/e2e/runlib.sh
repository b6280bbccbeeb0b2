# tests/e2e/runlib.sh - sourced by the t_run*.sh tests after lib.sh:
# instances of examples/nginx-token (the rotation `run` does from end to
# end), each on a private copy of the fixtures whose token "edge" does not
# hold the new certificate yet, with its two nginx (web: HTTPS with SNI and
# a default server; smtp: STARTTLS) started on free ports and stopped when
# the test exits.
#
#   edge_setup NAME          $WORK/NAME/inst, made current (edge_use)
#   edge_use NAME            E (the instance), E_FIX, E_SHSM, E_HTTPS, E_SMTP
#   crx ARGS...              cr in $E with the instance's SOFTHSM2_CONF
#   edge_served              what the three endpoints serve: "SNI DEFAULT SMTP"
#                            SHA-256 fingerprints
#   expect_served FP         every endpoint serves FP
#   edge_tokencerts          the certificate objects on the token: "LABEL ID" lines, sorted
#   edge_tokenkeys           the private keys on the token: "LABEL ID" lines, sorted
#   edge_journal             the journal replayed: "STEP STATE PHASE" lines (and
#                            "torn" when its last line is)
#   edge_state               a digest of the end state: files, token, archive,
#                            endpoints, journal
#   OLD_FP NEW_FP            SHA-256 of the fixture's old and new certificates

OLD_FP=$(cert_sha256 "$FIX/certs/old.pem")
NEW_FP=$(cert_sha256 "$FIX/certs/new.pem")

edge_use() {
	E=$WORK/$1/inst
	E_FIX=$WORK/$1/fixture
	E_SHSM=$E_FIX/softhsm2.conf
	read -r E_HTTPS E_SMTP <"$WORK/$1/ports"
}

# p11 ARGS...: pkcs11-tool on the current instance's token
p11() {
	SOFTHSM2_CONF=$E_SHSM pkcs11-tool --module "$SOFTHSM_MODULE" --token-label edge "$@" 2>/dev/null
}

edge_setup() {
	_n=$1
	_d=$WORK/$_n
	mkdir -p "$_d" || die "edge_setup: cannot create '$_d'"
	cp -a "$FIX" "$_d/fixture" || die "edge_setup: cannot copy the fixtures"
	for _f in env.sh softhsm2.conf pkcs11-engine.cnf; do
		sed "s|$FIX|$_d/fixture|g" "$FIX/$_f" >"$_d/fixture/$_f" || die "edge_setup: $_f"
	done
	_hp=$(free_port) && _sp=$(free_port) && _ap=$(free_port) || die "edge_setup: no free port"
	echo "$_hp $_sp" >"$_d/ports"
	sh "$SRCDIR/examples/instantiate.sh" "$SRCDIR/examples/nginx-token" "$_d/inst" \
	    "$_d/fixture" HTTPS_PORT="$_hp" SMTP_PORT="$_sp" AUTH_PORT="$_ap" ||
		die "edge_setup: cannot instantiate examples/nginx-token"
	edge_use "$_n"
	# the new certificate comes from the CA as a file: not on the token yet
	p11 --login --pin "$(head -n 1 "$E_FIX/edge.pin")" --delete-object --type cert \
	    --label mail-2026 >/dev/null || die "edge_setup: cannot delete mail-2026 from the token"
	for _s in web smtp; do
		on_exit "kill \$(cat '$E/nginx/$_s/nginx.pid' 2>/dev/null) 2>/dev/null"
		(cd "$E" && SOFTHSM2_CONF=$E_SHSM ./nginx/restart "$_s") >"$_d/start.log" 2>&1 ||
			die "edge_setup: nginx '$_s' of '$_n' did not start: $(cat "$_d/start.log")"
	done
	: >"$E/nginx/restarts"
}

crx() {
	_crx_back=$PWD
	_crx_conf=${SOFTHSM2_CONF:-}
	cd "$E" || die "crx: no instance '$E'"
	SOFTHSM2_CONF=$E_SHSM
	export SOFTHSM2_CONF
	cr "$@"
	SOFTHSM2_CONF=$_crx_conf
	cd "$_crx_back" || die "crx: cannot go back"
}

edge_served() {
	printf '%s %s %s\n' "$(tls_sha256 "127.0.0.1:$E_HTTPS" mail.contoso.com)" \
	    "$(tls_sha256 "127.0.0.1:$E_HTTPS" -)" "$(tls_sha256 "127.0.0.1:$E_SMTP" - smtp)"
}

expect_served() {
	_got=$(edge_served)
	[ "$_got" = "$1 $1 $1" ] || fail "endpoints (SNI, default, SMTP) serve '$_got', expected $1 everywhere"
}

edge_tokencerts() {
	p11 -O --type cert | awk '/label:/ { l = $2 } /ID:/ { print l, $2 }' | sort
}

edge_tokenkeys() {
	p11 --login --pin "$(head -n 1 "$E_FIX/edge.pin")" -O --type privkey |
	    awk '/label:/ { l = $2 } /ID:/ { print l, $2 }' | sort
}

edge_journal() {
	python3 - "$E/certrotate.cfg.state" <<'PY'
import json, sys
steps, order, torn = {}, [], False
with open(sys.argv[1], "rb") as f:
    lines = f.read().split(b"\n")
if lines and lines[-1] != b"":
    torn = True
lines = [l for l in lines[:-1]]
json.loads(lines[0])["certrotate-journal"]
for l in lines[1:]:
    e = json.loads(l)
    if e["step"] not in steps:
        order.append(e["step"])
    steps[e["step"]] = (e["event"], e.get("phase", "run"))
for s in order:
    print(s, *steps[s])
if torn:
    print("torn")
PY
}

edge_state() {
	for _f in mail default smtp; do
		printf 'tls/%s.pem %s %s\n' "$_f" "$(sha256sum <"$E/tls/$_f.pem" | cut -c1-64)" \
		    "$(stat -c %a "$E/tls/$_f.pem")"
	done
	edge_tokencerts
	edge_tokenkeys
	if [ -d "$E/archive" ]; then
		(cd "$E/archive" && find . -type f | sort | while read -r _f; do
			printf 'archive %s %s %s\n' "$_f" "$(stat -c %a "$_f")" "$(sha256sum <"$_f" | cut -c1-64)"
		done)
	fi
	edge_served
	edge_journal
}
