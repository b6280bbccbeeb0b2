#!/bin/sh
# End-to-end tests of `certrotate check`, one per story in shared/seeds/, against
# the fixture token and nginx on 127.0.0.1; then the key and token-login checks.
. "$(dirname "$0")/lib.sh"
need_certrotate

C=$FIX/certs
OLD_URI="pkcs11:token=edge;object=mail-2025;type=cert"
NEW_URI="pkcs11:token=edge;object=mail-2026;type=cert"
KEY_URI="pkcs11:token=edge;object=mail-2026;type=private"
A_NAME="<I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, O=Contoso, C=US"
A2_NAME="<I>CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US<S>CN=mail.contoso.com, O=Contoso, C=US"

# cfg NAME: writes a common rotation/tokens header plus stdin to $WORK/NAME/certrotate.cfg
# and sets CFG.  OLD, NEW, KEY override the sources, ROT_EXTRA adds rotation
# settings, TOKENS replaces the tokens section; all are reset afterwards (a
# POSIX shell keeps assignments made on a function call).
EDGE_TOKENS='tokens = ( { uri = "pkcs11:token=edge"; pin_source = "file:fix/edge.pin"; } );'
cfg() {
	mkdir -p "$WORK/$1"
	ln -sfn "$FIX" "$WORK/$1/fix"
	{
		printf 'rotation = {\n  name = "mail-2026";\n'
		printf '  old = "%s";\n  new = "%s";\n  key = "%s";\n' \
		    "${OLD:-$OLD_URI}" "${NEW:-$NEW_URI}" "${KEY:-$KEY_URI}"
		printf '  chain = [ "file:fix/pki/ca-a2.pem" ];\n  trust = [ "file:fix/pki/root.pem" ];\n'
		printf '  %s\n};\n' "${ROT_EXTRA:-}"
		printf '%s\n' "${TOKENS:-$EDGE_TOKENS}"
		cat
	} >"$WORK/$1/certrotate.cfg"
	CFG=$WORK/$1/certrotate.cfg
	unset OLD NEW KEY ROT_EXTRA TOKENS
}

# ------------------------------------------------------------- story: SHA-1-only host
cfg sha1 <<'END'
hosts = ( { name = "cas2"; accepts = { signature = [ "sha1WithRSAEncryption" ]; }; } );
services = ( { name = "owa"; host = "cas2"; kind = "iis";
  refs = ( { id = "https"; type = "binding"; cert = "pkcs11:token=edge;object=mail-2025;type=cert"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  sigalg             host cas2: host 'cas2' only validates sha1WithRSAEncryption, but the new certificate is signed with sha256WithRSAEncryption (1.2.840.113549.1.1.11)"
expect_out_contains "blocks 01-import-cas2"
expect_out_contains "BLOCKED 01-import-cas2"
cr check -c "$CFG" --no-probe --format json
expect_rc 1
expect_out_contains '"id": "sigalg"'
expect_out_contains '"subject": "host cas2"'
expect_out_contains '"status": "blocked"'
expect_out_contains '"summary": {'
# the shape of SPEC 6: steps with status and checks, top-level checks, summary
python3 - "$WORK/out" <<'PY' || fail "check --format json does not have the shape of SPEC 6"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["rotation"] == "mail-2026"
for k in ("sha1", "sha256", "subject", "issuer", "tls_name"):
    assert k in d["old"] and k in d["new"], k
ids = []
for s in d["steps"]:
    for k in ("id", "type", "host", "service", "ref", "action", "description", "preconditions", "verify", "checks"):
        assert k in s, (s["id"], k)
    assert s["status"] in ("ready", "blocked", "done"), s["status"]
    for c in s["checks"]:
        assert set(c) == {"id", "status", "message", "subject"}, c
        assert c["status"] in ("pass", "warn", "fail", "skip")
        assert c["id"] in s["preconditions"], (s["id"], c["id"])
    ids.append(s["id"])
assert [s["id"] for s in d["steps"] if s["status"] == "blocked"] == ["01-import-cas2"], ids
assert any(c["id"] == "old.validity" for c in d["checks"])
assert set(d["summary"]) == {"pass", "warn", "fail", "skip"} and d["summary"]["fail"] == 1
PY

# sigalg judges the intermediates on the path to the anchor, not every
# certificate `chain` lists: CA A (an unrelated, older issuing CA) is not judged
sed 's|chain = \[ "file:fix/pki/ca-a2.pem" \];|chain = [ "file:fix/pki/ca-a2.pem", "file:fix/pki/ca-a.pem" ];|' \
    "$CFG" >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
grep -q 'ca-a.pem' "$CFG" || die "could not add ca-a.pem to the chain"
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "intermediate 'CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US' is signed with sha256WithRSAEncryption"
expect_out_not_contains "intermediate 'CN=Contoso Issuing CA 1, O=Contoso, C=US'"

# ------------------------------------------------------------- story: second binding on 443
# The SNI binding was moved to the new certificate (served with the token key);
# the default binding on the same port still serves the old one, and no ref declares it.
P443=$(free_port)
nginx_start web "$(http_block \
	"$(https_server "$P443" "$C/new-chain.pem" "$(token_key mail-2026)" mail.contoso.com)" \
	"$(https_server "$P443" "$C/old.pem" "$C/old.key" _)")"
cfg second <<END
hosts = ( { name = "cas2"; } );
services = ( { name = "owa"; host = "cas2"; kind = "iis"; names = [ "mail.contoso.com" ];
  refs = ( { id = "https-sni"; type = "binding"; cert = "$NEW_URI";
             endpoint = "127.0.0.1:$P443"; sni = "mail.contoso.com"; } ); } );
END
cr check -c "$CFG"
expect_rc 1
expect_out_contains "FAIL  endpoint           endpoint 127.0.0.1:$P443 (no SNI): without SNI, '127.0.0.1:$P443' still serves the OLD certificate although ref owa/https-sni (SNI 'mail.contoso.com') is on the new one, and no ref declares a binding there without SNI: a second binding on this port nobody declared"
expect_out_contains "'127.0.0.1:$P443' with SNI 'mail.contoso.com' already serves the new certificate"
# it is the retirement that would break the forgotten binding: retire is blocked
expect_out_matches "blocks 0[0-9]-retire-[a-z0-9]+, 0[0-9]-retire-token:edge\$"
expect_out_matches "BLOCKED 0[0-9]-retire-token:edge"
cr check -c "$CFG" --format json
expect_rc 1
python3 - "$WORK/out" <<'PY' || fail "the undeclared binding does not block retire in JSON"
import json, sys
d = json.load(open(sys.argv[1]))
r = [s for s in d["steps"] if s["type"] == "retire"][0]
assert r["status"] == "blocked", r["status"]
assert "endpoint" in r["preconditions"], r["preconditions"]
e = [c for c in r["checks"] if c["id"] == "endpoint"]
assert len(e) == 1 and e[0]["status"] == "fail" and "(no SNI)" in e[0]["subject"], e
assert d["summary"]["fail"] == 1, d["summary"]
PY
# Before the SNI ref moves, the default binding may be that very binding:
# a warning on the step and on retire, not a failure.
cfg second-pending <<END
hosts = ( { name = "cas2"; } );
services = ( { name = "owa"; host = "cas2"; kind = "iis"; names = [ "mail.contoso.com" ];
  refs = ( { id = "https-sni"; type = "binding"; cert = "$OLD_URI";
             endpoint = "127.0.0.1:$P443"; sni = "mail.contoso.com"; } ); } );
END
cr check -c "$CFG"
expect_rc 0
expect_out_contains "WARN  endpoint           endpoint 127.0.0.1:$P443 (no SNI): without SNI, '127.0.0.1:$P443' serves the old certificate and no ref declares a binding there without SNI"
expect_out_matches "ready +0[0-9]-retire-token:edge"
cr check -c "$CFG" --strict
expect_rc 1
# Declaring the default binding (still on the old certificate) puts it in the plan.
cfg second-declared <<END
hosts = ( { name = "cas2"; } );
services = ( { name = "owa"; host = "cas2"; kind = "iis"; names = [ "mail.contoso.com" ];
  refs = ( { id = "https-sni"; type = "binding"; cert = "$NEW_URI";
             endpoint = "127.0.0.1:$P443"; sni = "mail.contoso.com"; },
           { id = "https-default"; type = "binding"; cert = "$OLD_URI";
             endpoint = "127.0.0.1:$P443"; } ); } );
END
cr check -c "$CFG"
expect_rc 0
expect_out_not_contains "(no SNI)"
expect_out_contains "rebind-cas2-owa-https-default"
expect_out_contains "'127.0.0.1:$P443' serves the old certificate now"
nginx_stop web

# ------------------------------------------------------------- story: SMTP connector named by <I>..<S>..
PSMTP=$(free_port)
nginx_start smtp "$(smtp_conf "$PSMTP" "$C/old-chain.pem" "$C/old.key")"
cfg connector <<END
hosts = ( { name = "edge1"; } );
services = ( { name = "transport"; host = "edge1"; kind = "exchange-connector"; names = [ "mail.contoso.com" ];
  refs = ( { id = "frontend"; type = "connector"; cert = "name:$A_NAME";
             endpoint = "127.0.0.1:$PSMTP"; starttls = "smtp"; } ); } );
END
cr check -c "$CFG"
expect_rc 0
expect_out_contains "ref.name           ref transport/frontend: new name $A2_NAME (issuer O: 'Contoso' -> 'Contoso Ltd')"
expect_out_contains "'127.0.0.1:$PSMTP' serves the old certificate now"
expect_out_matches "retire\.refs .*retire waits for 0[0-9]-rename-edge1-transport-frontend"
# the expired fixture certificate has the same <I>..<S>.. name: the connector may pick it
expect_out_contains "WARN  ref.ambiguous"
# a rename that cannot run (a name the new certificate lacks) keeps retire blocked
cfg connector-blocked <<END
hosts = ( { name = "edge1"; } );
services = ( { name = "transport"; host = "edge1"; kind = "exchange-connector";
  names = [ "mail.contoso.com", "smtp.contoso.com" ];
  refs = ( { id = "frontend"; type = "connector"; cert = "name:$A_NAME"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_matches "BLOCKED 0[0-9]-rename-edge1-transport-frontend"
expect_out_matches "FAIL  retire\.refs        certificate old: retire waits for 0[0-9]-rename-edge1-transport-frontend, which is blocked: the old certificate stays in use until it is done"
expect_out_matches "BLOCKED 0[0-9]-retire-token:edge"
# once the connector names the new certificate, retire no longer waits for it
cfg connector-renamed <<END
hosts = ( { name = "edge1"; } );
services = ( { name = "transport"; host = "edge1"; kind = "exchange-connector";
  refs = ( { id = "frontend"; type = "connector"; cert = "name:$A2_NAME"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_matches "done +0[0-9]-rename-edge1-transport-frontend"
expect_out_contains "retire.refs        certificate old: no ref denotes the old certificate"
nginx_stop smtp

# ------------------------------------------------------------- story: names missing from the new SAN
cfg names <<END
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; names = [ "mail.contoso.com", "cas01.contoso.local", "owa.fabrikam.com" ];
  refs = ( { id = "https"; type = "binding"; cert = "$OLD_URI"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  names              service owa: 2 names not in the new certificate's SAN: cas01.contoso.local (the old certificate has it), owa.fabrikam.com (the old certificate lacks it too)"

# a thumbprint pasted from the Windows certificate dialog, with its invisible
# left-to-right mark and spaces: accepted, resolved, and warned about
MARK=$(printf '\342\200\216')
TP=$(cert_sha1 "$C/old.pem" | sed 's/\(..\)/\1 /g; s/ $//' | tr 'A-F' 'a-f')
cfg pasted <<END
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "sha1:$MARK$TP"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 0
expect_err_contains "warning: "
expect_err_contains "services.[0].refs.[0].cert"
expect_out_contains "ref.resolve        ref owa/https: 'sha1:"
expect_out_contains "denotes the old certificate"
# the warning is the report's too: --strict fails on it, JSON carries it
expect_out_contains "WARN  config             setting services.[0].refs.[0].cert: "
expect_out_contains "an invisible mark before the thumbprint was ignored"
cr check -c "$CFG" --no-probe --strict
expect_rc 1
sed -n '/^FAILED/,/^$/p' "$WORK/out" | grep -q 'WARN  config             setting services\.\[0\]\.refs\.\[0\]\.cert: .*invisible mark' ||
	fail "--strict: the invisible mark is not among the failures"
cr check -c "$CFG" --no-probe --format json
expect_rc 0
python3 - "$WORK/out" <<'PY' || fail "the invisible mark is not a warning of the JSON report"
import json, sys
d = json.load(open(sys.argv[1]))
w = [c for c in d["checks"] if c["id"] == "config"]
assert len(w) == 1 and w[0]["status"] == "warn", w
assert w[0]["subject"] == "setting services.[0].refs.[0].cert", w
assert "invisible mark" in w[0]["message"] and d["summary"]["warn"] >= 1
PY

# ------------------------------------------------------------- story: federation service account
adfs_cfg() {
	cfg "adfs-$1" <<END
hosts = ( { name = "adfs1"; }, { name = "wap1"; } );
services = (
  { name = "wap"; host = "wap1"; kind = "wap"; depends = [ "adfs" ];
    refs = ( { id = "rule-owa"; type = "binding"; cert = "$OLD_URI"; },
             { id = "rule-adfs"; type = "binding"; cert = "$OLD_URI"; } ); },
  { name = "adfs"; host = "adfs1"; kind = "adfs"; account = "$2";
    refs = ( { id = "ssl"; type = "binding"; cert = "$OLD_URI"; } ); }
);
END
}
adfs_cfg nobody nobody
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  access             account adfs1/nobody: account 'nobody' cannot read the PIN source"
# the grant step proves the key first (logging in on the way)
expect_out_contains "pass  new.key            key $KEY_URI: key 'mail-2026' (CKA_ID 20) on token 'edge' matches the new certificate"
expect_out_not_contains "(null)"
# the proxy restarts after the federation service it depends on
expect_out_matches "restart-adfs1-adfs"
[ "$(grep -n 'restart-adfs1-adfs ' "$WORK/out" | head -n 1 | cut -d: -f1)" -lt \
  "$(grep -n 'restart-wap1-wap ' "$WORK/out" | head -n 1 | cut -d: -f1)" ] ||
	fail "wap restarts before adfs"
adfs_cfg root root
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_contains "pass  access             account adfs1/root: account 'root' can read the PIN source"
adfs_cfg windows 'CONTOSO\\\\adfssvc'
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_contains "skip  access"
expect_out_contains "is not a local account here"

# The federation service's setting names the new certificate, but its HTTP.sys
# binding still serves the old one: once nothing is left to restart, that is
# a failure, and the old certificate must not be retired.
PFS=$(free_port)
nginx_start fs "$(http_block "$(https_server "$PFS" "$C/old-chain.pem" "$C/old.key" _)")"
cfg httpsys <<END
hosts = ( { name = "adfs1"; } );
services = ( { name = "adfs"; host = "adfs1"; kind = "adfs";
  refs = ( { id = "ssl"; type = "binding"; cert = "$NEW_URI"; endpoint = "127.0.0.1:$PFS"; } ); } );
END
cr check -c "$CFG"
expect_rc 1
expect_out_contains "FAIL  endpoint           ref adfs/ssl: '127.0.0.1:$PFS' still serves the OLD certificate although the ref names the new one and nothing is left to restart"
expect_out_matches "BLOCKED 0[0-9]-retire-token:edge"
expect_out_matches "blocks 0[0-9]-retire-[a-z0-9]+, 0[0-9]-retire-token:edge\$"
# with another ref of the service still to move, its restart may fix it: a warning
cfg httpsys-pending <<END
hosts = ( { name = "adfs1"; } );
services = ( { name = "adfs"; host = "adfs1"; kind = "adfs";
  refs = ( { id = "ssl"; type = "binding"; cert = "$NEW_URI"; endpoint = "127.0.0.1:$PFS"; },
           { id = "config"; type = "binding"; cert = "$OLD_URI"; } ); } );
END
cr check -c "$CFG"
expect_rc 0
expect_out_contains "WARN  endpoint           ref adfs/ssl: '127.0.0.1:$PFS' still serves the old certificate although the ref names the new one: the pending restart of 'adfs' should change that"
expect_out_matches "ready +0[0-9]-retire-token:edge"
nginx_stop fs

# ------------------------------------------------------------- story: expired old certificate
OLD="pkcs11:token=edge;object=expired;type=cert" cfg expired <<'END'
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "pkcs11:token=edge;object=expired;type=cert"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_contains "WARN  old.validity       certificate old: THE OLD CERTIFICATE EXPIRED"
cr check -c "$CFG" --no-probe --strict
expect_rc 1

# ------------------------------------------------------------- story: protected self-signed default
cfg protect <<END
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = (
  { id = "https"; type = "binding"; cert = "$OLD_URI"; },
  { id = "default"; type = "binding"; cert = "pkcs11:token=edge;object=default;type=cert"; } ); } );
protect = [ "pkcs11:token=edge;object=default;type=cert" ];
END
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_contains "retire-token"
expect_out_contains "ref.resolve        ref owa/default: 'pkcs11:token=edge;object=default;type=cert' denotes a protected certificate: left alone"
cfg protect-old <<END
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "$OLD_URI"; } ); } );
protect = [ "$OLD_URI" ];
END
# the old certificate listed in protect while retire is not keep: a thumbprint
# pasted into the wrong list must block, not silently drop the retire steps
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_matches "BLOCKED 0[0-9]-retire-cas1 "
expect_out_matches "BLOCKED 0[0-9]-retire-token:edge "
expect_out_contains "FAIL  retire.protected   certificate old: the old certificate is listed in \`protect\` (protect.[0], $CFG:"
expect_out_contains "while retire = \"archive\": a protected certificate is never retired; remove the entry if it was pasted there by mistake, or set retire = \"keep\""
expect_out_matches "blocks 0[0-9]-retire-cas1, 0[0-9]-retire-token:edge\$"
# retire = keep: nothing is retired, nothing to block
ROT_EXTRA='retire = "keep";' cfg protect-old-keep <<END
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "$OLD_URI"; } ); } );
protect = [ "$OLD_URI" ];
END
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_not_contains "retire-"
expect_out_not_contains "retire.protected"

# ------------------------------------------------------------- the new certificate's own checks
# min_remaining longer than the new certificate lives
ROT_EXTRA='min_remaining = "400d";' cfg minrem <<'END'
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "pkcs11:token=edge;object=mail-2025;type=cert"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_matches "FAIL  new.validity       certificate new: .*400 days"
# a new certificate without serverAuth, and a chain to the wrong anchor
NEW="pkcs11:token=edge;object=noeku;type=cert" KEY="pkcs11:token=edge;object=noeku;type=private" \
	cfg noeku <<'END'
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "pkcs11:token=edge;object=mail-2025;type=cert"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  new.eku"
expect_out_contains "blocks 01-import-cas1"
cfg wronganchor <<'END'
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "pkcs11:token=edge;object=mail-2025;type=cert"; } ); } );
END
sed 's|trust = \[ "file:fix/pki/root.pem" \];|trust = [ "file:fix/pki/other-root.pem" ];|' "$CFG" >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  new.chain          certificate new: no valid path to a trust anchor"
# a host that accepts only EC keys
cfg keyalg <<'END'
hosts = ( { name = "cas1"; accepts = { key = [ "ec:prime256v1" ]; }; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "pkcs11:token=edge;object=mail-2025;type=cert"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  keyalg             host cas1: host 'cas1' accepts only ec:prime256v1 keys, the new key is RSA 2048"
# a ref the plan leaves on an expired certificate: a warning, so --strict fails
cfg refexpired <<'END'
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = (
  { id = "https"; type = "binding"; cert = "pkcs11:token=edge;object=mail-2025;type=cert"; },
  { id = "legacy"; type = "binding"; cert = "pkcs11:token=edge;object=expired;type=cert"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_matches "WARN  ref.expired        ref owa/legacy: 'pkcs11:token=edge;object=expired;type=cert' stays on 'CN=mail.contoso.com, O=Contoso, C=US', which EXPIRED [0-9]+ days ago"
cr check -c "$CFG" --no-probe --strict
expect_rc 1

# ------------------------------------------------------------- key checks
# a key that belongs to another certificate
ROT_EXTRA='import_to = "pkcs11:token=edge";' KEY="pkcs11:token=edge;object=ec-2026;type=private" \
	cfg wrongkey </dev/null
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  new.key"
# an extractable, non-sensitive key
ROT_EXTRA='import_to = "pkcs11:token=edge";' NEW="pkcs11:token=edge;object=extractable;type=cert" \
	KEY="pkcs11:token=edge;object=extractable;type=private" cfg extractable </dev/null
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_contains "WARN  new.key-protection"
expect_out_contains "EXTRACTABLE"
cr check -c "$CFG" --no-probe --strict
expect_rc 1
# the good key on the token
ROT_EXTRA='import_to = "pkcs11:token=edge";' cfg goodkey </dev/null
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_contains "pass  new.key            key $KEY_URI: key 'mail-2026' (CKA_ID 20) on token 'edge' matches the new certificate and a test signature verifies"
expect_out_contains "pass  new.key-protection"
expect_out_contains "pass  token.login        token edge: logged in to token 'edge' (one attempt)"
# a software key file: matching, but a plain file
NEW="file:fix/certs/old.pem" OLD="file:fix/certs/expired.pem" KEY="file:fix/certs/old.key" \
	cfg filekey <<'END'
hosts = ( { name = "web1"; } );
services = ( { name = "nginx"; host = "web1"; refs = ( { id = "pem"; type = "binding"; cert = "file:fix/certs/expired.pem"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_out_contains "pass  new.key"
expect_out_contains "WARN  new.key-protection"
expect_out_contains "plain file"

# ------------------------------------------------------------- token login rules (fault module over SoftHSM2)
[ -f "$P11FAULT" ] || die "fault module '$P11FAULT' not built"
# a wrong PIN leaves the token's "count low" flag set: work on a private copy
fix_clone
LOG=$WORK/p11.log
TOKENS="tokens = ( { uri = \"pkcs11:token=edge\"; module = \"$P11FAULT\"; pin_source = \"file:fix/wrong.pin\"; } );" \
ROT_EXTRA='import_to = "pkcs11:token=edge";' cfg wrongpin </dev/null
: >"$LOG"
P11FAULT_LOG=$LOG cr check -c "$CFG" --no-probe
expect_rc 3
expect_out_contains "FAIL  token.login"
expect_out_contains "PIN refused by token 'edge'"
expect_eq "$(grep -c '^C_Login' "$LOG")" 1 "C_Login calls with a wrong PIN"
# one cause, one line: the checks the refused PIN prevents are skips pointing at it
expect_eq "$(grep -c 'PIN refused' "$WORK/out")" 1 "lines saying the PIN was refused"
expect_out_contains "skip  new.key            key $KEY_URI: not checked: the token cannot be used (token.login, token edge)"
expect_out_contains "FAILED (1):"

TOKENS="tokens = ( { uri = \"pkcs11:token=edge\"; module = \"$P11FAULT\"; pin_source = \"file:fix/edge.pin\"; } );" \
ROT_EXTRA='import_to = "pkcs11:token=edge";' cfg finaltry </dev/null
: >"$LOG"
P11FAULT_LOG=$LOG P11FAULT_FINAL_TRY=1 cr check -c "$CFG" --no-probe
expect_rc 3
expect_out_contains "final PIN try"
expect_eq "$(grep -c '^C_Login' "$LOG")" 0 "C_Login calls on a final-try token"
: >"$LOG"
P11FAULT_LOG=$LOG P11FAULT_FINAL_TRY=1 cr check -c "$CFG" --no-probe --force-login
expect_rc 0
expect_eq "$(grep -c '^C_Login' "$LOG")" 1 "C_Login calls with --force-login"
P11FAULT_LOCKED=1 cr check -c "$CFG" --no-probe
expect_rc 3
expect_out_contains "locked"
# the token fails the test signature: an environment failure, not a wrong key
P11FAULT_FAIL=C_Sign:1 cr check -c "$CFG" --no-probe
expect_rc 3
expect_out_contains "FAIL  new.key"
expect_out_contains "cannot sign"
P11FAULT_COUNT_LOW=1 cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_contains "WARN  token.login"
expect_out_contains "low PIN count"


# Two tokens labelled alike (a re-initialised spare card, say) are two logins:
# the import_to token is the twin, the key stays on the first.
edge_serials() {
	pkcs11-tool --module "$SOFTHSM_MODULE" -L 2>/dev/null |
	    awk '/token label *: / { l = ($NF == "edge") } l && /serial num/ { print $NF }'
}
SER1=$(edge_serials)
softhsm2-util --init-token --free --label edge --so-pin "$(cat "$FIX/edge.so-pin")" \
    --pin "$(cat "$FIX/edge.pin")" >/dev/null || die "cannot create a second 'edge' token"
SER2=$(edge_serials | grep -vx "$SER1")
[ -n "$SER1" ] && [ -n "$SER2" ] && [ "$SER1" != "$SER2" ] || die "no two 'edge' tokens ($SER1, $SER2)"
OLD="pkcs11:token=edge;serial=$SER1;object=mail-2025;type=cert" \
NEW="pkcs11:token=edge;serial=$SER1;object=mail-2026;type=cert" \
KEY="pkcs11:token=edge;serial=$SER1;object=mail-2026;type=private" \
ROT_EXTRA="import_to = \"pkcs11:token=edge;serial=$SER2\";" cfg twins </dev/null
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_contains "pass  new.key            key pkcs11:token=edge;serial=$SER1;object=mail-2026;type=private: key 'mail-2026'"
expect_eq "$(grep -c 'pass  token.login        token edge: logged in' "$WORK/out")" 2 "token.login passes"
# the twin is empty, as a new HSM is: the import onto it is to do, not an error
expect_out_matches "ready +01-import-token:edge"
# a URI that matches both is ambiguous, and says so about itself
ROT_EXTRA='import_to = "pkcs11:token=edge";' cfg twins-ambiguous </dev/null
cr check -c "$CFG" --no-probe
expect_rc 2
expect_out_contains "FAIL  token.login        token of '$OLD_URI': '$OLD_URI' matches 2 tokens: name one (serial=)"
expect_out_contains "FAIL  token.login        token of '$KEY_URI': '$KEY_URI' matches 2 tokens: name one (serial=)"
softhsm2-util --delete-token --serial "$SER2" >/dev/null || die "cannot delete the second 'edge' token"

# ------------------------------------------------------------- probes
# an endpoint serving some third certificate: is it the right endpoint?
POTHER=$(free_port)
nginx_start third "$(http_block "$(https_server "$POTHER" "$C/default.pem" "$C/default.key" _)")"
cfg third <<END
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "$OLD_URI"; endpoint = "127.0.0.1:$POTHER"; } ); } );
END
cr check -c "$CFG"
expect_rc 0
expect_out_contains "WARN  endpoint           ref owa/https: '127.0.0.1:$POTHER' serves neither the old nor the new certificate but 'CN=cas01'"
nginx_stop third

# endpoints that accept and never answer: at most 8 probes at once, each
# bounded (here by --timeout 1s); a listener counts the connections open at once
SILENT_PORTS=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18; do SILENT_PORTS="$SILENT_PORTS $(free_port)"; done
python3 - "$WORK/peak" $SILENT_PORTS <<'PY' &
import select, socket, sys, time
out, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
ls = []
for p in ports:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", p)); s.listen(64); ls.append(s)
open(out + ".ready", "w").close()
conns, peak, end = set(), 0, time.time() + 90
while time.time() < end:
    r, _, _ = select.select(ls + list(conns), [], [], 0.2)
    # closes first: a prober that gave up and moved on must not count twice
    for s in [s for s in r if s not in ls]:
        if not s.recv(65536):
            conns.discard(s); s.close()
    for s in [s for s in r if s in ls]:
        c, _ = s.accept(); conns.add(c); peak = max(peak, len(conns))
        with open(out, "w") as f: f.write(str(peak))
PY
SILENT_PID=$!
on_exit "kill $SILENT_PID 2>/dev/null"
i=0
while [ ! -e "$WORK/peak.ready" ] && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -e "$WORK/peak.ready" ] || die "the silent listener did not start"
{
	printf 'hosts = ( { name = "cas1"; } );\nservices = ( { name = "owa"; host = "cas1"; refs = (\n'
	sep=""
	for p in $SILENT_PORTS; do
		printf '%s  { id = "b%s"; type = "binding"; cert = "%s"; endpoint = "127.0.0.1:%s"; }' "$sep" "$p" "$OLD_URI" "$p"
		sep=",
"
	done
	printf ' ); } );\n'
} >"$WORK/silent.inc"
cfg silent <"$WORK/silent.inc"
cr check -c "$CFG" --timeout 1s
expect_rc 3
expect_eq "$(grep -c '^  FAIL  endpoint .*timed out after 1000 ms' "$WORK/out")" 18 "timed-out probes"
peak=$(cat "$WORK/peak")
[ "$peak" -le 8 ] && [ "$peak" -ge 2 ] || fail "probes in flight at once: $peak (want 2..8)"
# the default per-probe timeout is 5 s
set -- $SILENT_PORTS
cfg silent-one <<END
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "$OLD_URI"; endpoint = "127.0.0.1:$1"; } ); } );
END
cr check -c "$CFG"
expect_rc 3
expect_out_contains "FAIL  endpoint           ref owa/https: endpoint '127.0.0.1:$1': timed out after 5000 ms"
kill "$SILENT_PID" 2>/dev/null

# ------------------------------------------------------------- endpoint down, bad input
PDOWN=$(free_port)
cfg down <<END
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "$OLD_URI"; endpoint = "127.0.0.1:$PDOWN"; } ); } );
END
cr check -c "$CFG" --timeout 2s
expect_rc 3
expect_out_contains "connection refused"
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_contains "skip  endpoint"
# a certificate that cannot be read is a failed check, with a report
# a rotation.new that does not exist is not issued yet (renew, then the CA): blocked, exit 1
NEW="file:fix/certs/nope.pem" cfg nonew </dev/null
cr check -c "$CFG" --no-probe
expect_rc 1
expect_err_contains "nonew/certrotate.cfg:4: rotation.new: cannot read 'fix/certs/nope.pem'"
expect_err_contains "(not issued yet? 'certrotate renew' makes the key and the request"
expect_out_contains "NO PLAN: rotation.new could not be loaded"
expect_out_contains "FAIL  new.load           certificate new: "
expect_out_contains "pass  old.load"
cr check -c "$CFG" --no-probe --format json
expect_rc 1
python3 - "$WORK/out" <<'PY' || fail "check --format json of an unreadable new certificate"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["new"] is None and d["old"]["sha1"] and d["steps"] == [], d
c = {x["id"]: x for x in d["checks"]}
assert c["new.load"]["status"] == "fail" and "nope.pem" in c["new.load"]["message"], c
assert d["summary"]["fail"] == 1 and d["exit"] == 1, d
PY
# a module that cannot be loaded: token.login fails, exit 3 (SPEC 2)
TOKENS='tokens = ( { uri = "pkcs11:token=edge"; module = "/nonexistent/module.so"; pin_source = "file:fix/edge.pin"; } );' \
	cfg nomodule </dev/null
cr check -c "$CFG" --no-probe
expect_rc 3
expect_out_contains "FAIL  token.login        token of '$OLD_URI': "
expect_out_contains "cannot load PKCS#11 module '/nonexistent/module.so'"
expect_out_contains "skip  old.load"
expect_out_contains "ENVIRONMENT FAILURE (exit 3)"
cr check -c "$WORK/nope.cfg"
expect_rc 2
expect_err_contains "nope.cfg"
expect_eq "$(wc -c <"$WORK/out")" 0 "stdout bytes on bad input"
cr check -c "$CFG" --format yaml
expect_rc 2
expect_err_contains "unknown format 'yaml'"
cr check -c "$CFG" --timeout soon
expect_rc 2
# a usage error names the command's usage, from its row of the dispatch table
expect_err_contains "certrotate: usage: certrotate check [-c FILE] [--format text|json]"
expect_err_contains "certrotate:                         [--timeout DURATION]"
expect_err_contains "certrotate: try 'certrotate check --help'"

# ------------------------------------------------------------- read-only token sessions
# check's row in the dispatch table is ROT_READ_ONLY: every session it opens
# on a token is read-only (CKF_SERIAL_SESSION 0x4 without CKF_RW_SESSION 0x2)
if [ -r "$P11_SPY" ]; then
	TOKENS="tokens = ( { uri = \"pkcs11:token=edge\"; module = \"$P11_SPY\"; pin_source = \"file:fix/edge.pin\"; } );" \
		cfg spy <<END
hosts = ( { name = "cas2"; } );
services = ( { name = "owa"; host = "cas2";
  refs = ( { id = "https"; type = "binding"; cert = "$OLD_URI"; } ); } );
END
	# pkcs11-spy itself leaks what it allocates when loaded: no leak check
	# on this one run (ASan, valgrind), which is about sessions, not memory
	_run=$RUN _asan=${ASAN_OPTIONS:-}
	RUN=
	ASAN_OPTIONS=${_asan:+$_asan:}detect_leaks=0
	export ASAN_OPTIONS PKCS11SPY=$SOFTHSM_MODULE PKCS11SPY_OUTPUT=$WORK/spy.log
	cr check -c "$CFG" --no-probe
	RUN=$_run ASAN_OPTIONS=$_asan
	unset PKCS11SPY PKCS11SPY_OUTPUT
	expect_rc 0
	expect_out_contains "pass  new.key"
	grep -A3 '^[0-9]*: C_OpenSession' "$WORK/spy.log" | sed -n 's/^\[in\] flags = //p' >"$WORK/flags"
	[ -s "$WORK/flags" ] || fail "pkcs11-spy saw no C_OpenSession"
	[ "$(sort -u "$WORK/flags")" = 0x4 ] || fail "check opened sessions with flags $(sort -u "$WORK/flags" | tr '\n' ' ')"
fi
