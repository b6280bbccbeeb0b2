#!/bin/sh
# Diagnoses a person can act on (certrotate(1)): one end-to-end test each, against
# the fixture token and nginx on 127.0.0.1 where an endpoint is involved -
#  - an SNI name that reaches the server's default certificate;
#  - a `chain` whose intermediate has the issuer's CN but another DN;
#  - a plain SMTP port probed without starttls;
#  - https:// given to inspect or scan;
#  - durations as options in seconds without a unit (--timeout 5);
#  - a missing option value (check -c), an unknown option, help COMMAND, the
#    commands certrotate(1) describes that this version lacks, an unknown one;
#  - configuration errors at the setting that is wrong (tokens.[0].module,
#    tokens.[0].pin_source), an unknown kind with "did you mean", and the
#    JSON object a configuration error is with --format json.
. "$(dirname "$0")/lib.sh"
need_certrotate

C=$FIX/certs
OLD_URI="pkcs11:token=edge;object=mail-2025;type=cert"
NEW_URI="pkcs11:token=edge;object=mail-2026;type=cert"
KEY_URI="pkcs11:token=edge;object=mail-2026;type=private"

EDGE_TOKENS='tokens = ( { uri = "pkcs11:token=edge"; pin_source = "file:fix/edge.pin"; } );'
# cfg NAME: a rotation of the fixture token's certificates plus stdin; sets CFG.
# CHAIN replaces the chain, TOKENS the tokens section.
cfg() {
	mkdir -p "$WORK/$1"
	ln -sfn "$FIX" "$WORK/$1/fix"
	{
		printf 'rotation = {\n  name = "mail-2026";\n'
		printf '  old = "%s";\n  new = "%s";\n  key = "%s";\n' "$OLD_URI" "$NEW_URI" "$KEY_URI"
		printf '  chain = [ "%s" ];\n  trust = [ "file:fix/pki/root.pem" ];\n};\n' \
		    "${CHAIN:-file:fix/pki/ca-a2.pem}"
		printf '%s\n' "${TOKENS:-$EDGE_TOKENS}"
		cat
	} >"$WORK/$1/certrotate.cfg"
	CFG=$WORK/$1/certrotate.cfg
	unset CHAIN TOKENS
}

# ------------------------------------------------- an SNI name that reaches the default
# The SNI binding (mail.contoso.com) serves the new certificate, the default the old;
# the ref's sni is a name no binding has: the default answers, not "another binding".
PWEB=$(free_port)
nginx_start web "$(http_block \
	"$(https_server "$PWEB" "$C/new-chain.pem" "$(token_key mail-2026)" mail.contoso.com)" \
	"$(https_server "$PWEB" "$C/old-chain.pem" "$C/old.key" _)")"
cfg sni <<END
hosts = ( { name = "web01"; } );
services = ( { name = "site"; host = "web01"; names = [ "mail.contoso.com" ];
  refs = ( { id = "https-mail"; type = "binding"; cert = "$NEW_URI";
             endpoint = "127.0.0.1:$PWEB"; sni = "www.contoso.com"; } ); } );
END
cr check -c "$CFG"
expect_rc 1
expect_out_contains "FAIL  endpoint           ref site/https-mail: '127.0.0.1:$PWEB' answered SNI 'www.contoso.com' with its default certificate (the one it serves without SNI): no binding there seems to have the name 'www.contoso.com'"
expect_out_contains "'www.contoso.com' is NOT in the service's names and NOT covered by the new certificate's SAN"
expect_out_not_contains "another binding (HTTP.sys"
# a name the service lists, but neither certificate nor any binding has: said as such
sed 's/sni = "www.contoso.com"/sni = "owa.contoso.com"/; s/names = \[ "mail.contoso.com" \]/names = [ "mail.contoso.com", "owa.contoso.com" ]/' \
    "$CFG" >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
cr check -c "$CFG"
expect_rc 1
expect_out_contains "'owa.contoso.com' is in the service's names and NOT covered by the new certificate's SAN"
# a name the served certificate covers may be its own site, not reloaded yet: no such claim
sed 's/sni = "owa.contoso.com"/sni = "autodiscover.contoso.com"/' "$CFG" >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
cr check -c "$CFG"
expect_rc 1
expect_out_not_contains "default certificate (the one it serves without SNI)"
# the right name: the SNI binding answers, nothing to say
sed 's/sni = "autodiscover.contoso.com"/sni = "mail.contoso.com"/' "$CFG" >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
cr check -c "$CFG"
expect_out_not_contains "default certificate"
expect_out_contains "with SNI 'mail.contoso.com' already serves the new certificate"

# ------------------------------------------------- the intermediate with the issuer's CN
# CA A and CA A2 share "CN=Contoso Issuing CA 1" and differ in O; the new certificate
# is A2's, `chain` holds A.
CHAIN=file:fix/pki/ca-a.pem cfg lookalike <<END
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "$OLD_URI"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  new.chain          certificate new: no valid path to a trust anchor: \`chain\` holds 'CN=Contoso Issuing CA 1, O=Contoso, C=US', whose CN is the issuer's but whose DN is not: the certificate was issued by 'CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US' (O: 'Contoso' -> 'Contoso Ltd'); put that issuing CA in \`chain\`"
expect_out_contains "(OpenSSL: unable to get local issuer certificate"

# ------------------------------------------------- plain SMTP probed without starttls
PSMTP=$(free_port)
nginx_start smtp "$(smtp_conf "$PSMTP" "$C/old-chain.pem" "$C/old.key")"
cfg smtp <<END
hosts = ( { name = "mx1"; } );
services = ( { name = "transport"; host = "mx1";
  refs = ( { id = "Default Frontend MX1"; type = "binding"; cert = "$OLD_URI"; endpoint = "127.0.0.1:$PSMTP"; } ); } );
END
cr check -c "$CFG" --timeout 3
expect_rc 3
expect_out_contains "the server greets in clear as an SMTP server does (\"220 "
expect_out_contains "set starttls = \"smtp\" on the ref"
cr inspect "tls://127.0.0.1:$PSMTP"
expect_rc 3
expect_err_contains "its certificate is behind STARTTLS"
expect_err_contains "?starttls=smtp"
cr inspect "tls://127.0.0.1:$PSMTP?starttls=smtp"
expect_rc 0
# an HTTPS port says nothing of the sort when the handshake works
cr inspect "tls://127.0.0.1:$PWEB"
expect_rc 0

# ------------------------------------------------- https:// given to inspect / scan
cr inspect https://mail.contoso.com/owa
expect_rc 2
expect_err_contains "inspect: 'https://mail.contoso.com/owa' is a web URL: certrotate reads what an endpoint serves from tls://HOST:PORT - try 'tls://mail.contoso.com:443'"
cr scan https://mail.contoso.com:8443
expect_rc 2
expect_err_contains "try 'tls://mail.contoso.com:8443'"

# ------------------------------------------------- durations in seconds, options
cr check -c "$WORK/sni/certrotate.cfg" --timeout 5
expect_rc 1
expect_out_contains "already serves the new certificate"
cr check -c "$WORK/sni/certrotate.cfg" --timeout 5x
expect_rc 2
expect_err_contains "bad --timeout '5x' (seconds, or with a unit: 5, 5s, 1m; at most 1h)"
cr scan "$C/new.pem" --timeout 5
expect_rc 0
# a window of days is not seconds by default: a bare number is refused there
cr scan "$C/new.pem" --within 30
expect_rc 2
expect_err_contains "bad --within '30' (e.g. 30d, 2w, 12h; 0s: expired ones only): a number needs its unit here - 30d for days"

# ------------------------------------------------- the command line
cr check -c
expect_rc 2
expect_err_contains "check: option '-c' needs a value: -c FILE"
expect_err_contains "try 'certrotate check --help'"
cr check --no-probes
expect_rc 2
expect_err_contains "check: unknown option '--no-probes' (did you mean '--no-probe'?)"
cr help check
expect_rc 0
expect_out_contains "usage: certrotate check [-c FILE]"
cr check --help
cp "$WORK/out" "$WORK/help1"
cr help check
expect_file_eq "$WORK/out" "$WORK/help1"
cr help nosuch
expect_rc 2
expect_err_contains "unknown command 'nosuch'"
cr rollbak --yes
expect_rc 2
expect_err_contains "unknown command 'rollbak' (did you mean 'rollback'?)"
# run and rollback speak as the other commands do
cr run -c
expect_rc 2
expect_err_contains "option '-c' needs a value: -c FILE"
cr rollback --yse
expect_rc 2
expect_err_contains "unknown option '--yse' (did you mean '--yes'?)"
cr rollback --yes --timeout 2h
expect_rc 2
expect_err_contains "bad --timeout '2h' (seconds, or with a unit: 5, 5s, 1m; at most 1h)"
cr run --yes --hook-timeout 0
expect_rc 2
expect_err_contains "bad --hook-timeout '0' (seconds, or with a unit: 5, 5s, 1m; at most 24h)"
cr chek
expect_rc 2
expect_err_contains "unknown command 'chek' (did you mean 'check'?)"

# ------------------------------------------------- configuration errors at their setting
TOKENS='tokens = ( { uri = "pkcs11:token=edge";
  module = "/nonexistent/module.so";
  pin_source = "file:fix/edge.pin"; } );' cfg badmodule <<END
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "$OLD_URI"; } ); } );
END
cr plan -c "$CFG"
expect_rc 3
expect_err_contains "certrotate.cfg:10: tokens.[0].module: cannot load PKCS#11 module '/nonexistent/module.so'"
expect_err_contains "(the token of rotation.old)"
TOKENS='tokens = ( { uri = "pkcs11:token=edge";
  pin_source = "file:fix/nope.pin"; } );' cfg badpin <<END
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "$OLD_URI"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 3
expect_out_contains "FAIL  token.login        token edge: $CFG:10: tokens.[0].pin_source: cannot read the PIN of token 'edge'"
cfg kind <<END
hosts = ( { name = "wap1"; } );
services = ( { name = "proxy"; host = "wap1";
  kind = "wpa";
  refs = ( { id = "OWA"; type = "binding"; cert = "$OLD_URI"; } ); } );
END
cr plan -c "$CFG"
expect_rc 2
expect_err_contains "certrotate.cfg:12: services.[0].kind: unknown kind 'wpa'; did you mean 'wap'? (kinds in '"
expect_out_not_contains "rotation"
# with --format json: the error as an object on stdout, the message on stderr too
cr plan -c "$CFG" --format json
expect_rc 2
expect_err_contains "unknown kind 'wpa'"
python3 - "$WORK/out" "$CFG" <<'PY' || fail "plan --format json: no JSON error object"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["file"] == sys.argv[2] and e["line"] == 12, e
assert e["setting"] == "services.[0].kind" and e["reason"] == "config" and e["exit"] == 2, e
assert e["message"].startswith(sys.argv[2] + ":12: services.[0].kind: unknown kind 'wpa'"), e
PY
cr check -c "$CFG" --format json --no-probe
expect_rc 2
python3 - "$WORK/out" <<'PY' || fail "check --format json: no JSON error object"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["setting"] == "services.[0].kind" and e["line"] == 12, e
PY
printf 'rotation = { name = "x";\n  old = ;\n' >"$WORK/syntax.cfg"
cr check -c "$WORK/syntax.cfg" --format json
expect_rc 2
python3 - "$WORK/out" "$WORK/syntax.cfg" <<'PY' || fail "a syntax error: no JSON error object"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["file"] == sys.argv[2] and e["line"] == 2 and e["setting"] is None, e
assert e["reason"] == "malformed", e
PY
cr plan -c "$WORK/nonexistent.cfg" --format json
expect_rc 2
expect_out_contains '"reason": "not-found"'

# ------------------------------------------------- a PIN is one token's: inspect as scan and check
# A URI with its own pin-source that matches both fixture tokens logs in to neither
# (counted through the fault module); naming the token logs in once.
[ -f "$P11FAULT" ] || die "fault module '$P11FAULT' not built"
LOG=$WORK/p11.log
: >"$LOG"
P11FAULT_LOG=$LOG cr inspect "pkcs11:type=cert;object=mail-2026?module-path=$P11FAULT&pin-source=file:$FIX/edge.pin"
expect_rc 0
expect_out_contains "not logged in: the pin-source of 'pkcs11:type=cert;object=mail-2026?module-path="
expect_out_contains "matches 2 tokens, and a PIN is one token's (tried on none): name the token (token=LABEL)"
expect_eq "$(grep -c '^C_Login' "$LOG")" 0 "C_Login calls for a pin-source matching two tokens"
: >"$LOG"
P11FAULT_LOG=$LOG cr inspect "pkcs11:token=edge;type=cert;object=mail-2026?module-path=$P11FAULT&pin-source=file:$FIX/edge.pin"
expect_rc 0
expect_out_contains "private key:         present, sensitive, not extractable"
expect_eq "$(grep -c '^C_Login' "$LOG")" 1 "C_Login calls for a pin-source naming one token"
# a vendor's query attribute: ignored, with a warning
cr inspect "pkcs11:token=edge;type=cert;object=mail-2026?module-path=$P11FAULT&x-vendor=1"
expect_rc 0
expect_err_contains "warning: PKCS#11 URI 'pkcs11:token=edge;type=cert;object=mail-2026?module-path="
expect_err_contains "unknown query attribute 'x-vendor' ignored (vendor-specific, RFC 7512 section 2.3"
cr inspect "pkcs11:token=edge;type=cert;x-vendor=1?module-path=$P11FAULT"
expect_rc 2
expect_err_contains "unknown attribute 'x-vendor'"
