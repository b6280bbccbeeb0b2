#!/bin/sh
# End-to-end tests of check's safety rules (certrotate(1) check, SPEC 5 and 6)
# against the fixture token and nginx on 127.0.0.1:
#  - a ref with an endpoint is probed whatever its identity resolves to: an
#    identity that matches nothing known (a connector name pasted with its RDNs
#    reversed, a thumbprint one hex digit off) while the endpoint still serves
#    the old certificate fails ref.resolve, naming the endpoint and what is
#    near, and blocks retire (exit 1);
#  - the same near misses are diagnosed without an endpoint (a warning);
#  - the old certificate listed in protect blocks the retire steps;
#  - each host that held the old certificate retires it from its store, and
#    the file named by rotation.old is never a step's.
. "$(dirname "$0")/lib.sh"
need_certrotate

C=$FIX/certs
OLD_URI="pkcs11:token=edge;object=mail-2025;type=cert"
NEW_URI="pkcs11:token=edge;object=mail-2026;type=cert"
KEY_URI="pkcs11:token=edge;object=mail-2026;type=private"
OLD_SHA1=$(cert_sha1 "$C/old.pem")
# digit 5 of the old thumbprint changed: one hex digit off
case $(printf '%s' "$OLD_SHA1" | cut -c5) in
0) D=1 ;;
*) D=0 ;;
esac
BAD_SHA1=$(printf '%s' "$OLD_SHA1" | cut -c1-4)$D$(printf '%s' "$OLD_SHA1" | cut -c6-)
# the old certificate's <I>..<S>.. with each DN's RDNs reversed, as OpenSSL prints them
REVERSED="<I>C=US, O=Contoso, CN=Contoso Issuing CA 1<S>C=US, O=Contoso, CN=mail.contoso.com"

# cfg NAME: a rotation of the fixture token's certificates plus stdin; sets CFG
cfg() {
	mkdir -p "$WORK/$1"
	ln -sfn "$FIX" "$WORK/$1/fix"
	{
		printf 'rotation = {\n  name = "mail-2026";\n'
		printf '  old = "%s";\n  new = "%s";\n  key = "%s";\n' "$OLD_URI" "$NEW_URI" "$KEY_URI"
		printf '  chain = [ "file:fix/pki/ca-a2.pem" ];\n  trust = [ "file:fix/pki/root.pem" ];\n'
		printf '  %s\n};\n' "${ROT_EXTRA:-}"
		printf 'tokens = ( { uri = "pkcs11:token=edge"; pin_source = "file:fix/edge.pin"; } );\n'
		cat
	} >"$WORK/$1/certrotate.cfg"
	CFG=$WORK/$1/certrotate.cfg
	unset ROT_EXTRA
}

PSMTP=$(free_port)
PWEB=$(free_port)
nginx_start smtp "$(smtp_conf "$PSMTP" "$C/old-chain.pem" "$C/old.key")"
nginx_start web "$(https_conf "$PWEB" "$C/old-chain.pem" "$C/old.key")"

# ------------------------------------------------- a connector name pasted in reverse RDN order
cfg reversed <<END
hosts = ( { name = "exch01"; } );
services = ( { name = "transport"; host = "exch01"; kind = "exchange-connector";
  refs = ( { id = "Default Frontend EXCH01"; type = "connector"; cert = "name:$REVERSED";
             endpoint = "127.0.0.1:$PSMTP"; starttls = "smtp"; } ); } );
END
cr check -c "$CFG"
expect_rc 1
expect_out_contains "FAIL  ref.resolve        ref transport/Default Frontend EXCH01: 'name:$REVERSED' matches no known certificate, but '127.0.0.1:$PSMTP' serves the OLD certificate: the service is still on it and the identity is wrong"
expect_out_contains "its subject has the RDNs of the certificate's subject in reverse order: Windows writes it 'CN=mail.contoso.com, O=Contoso, C=US' (most specific first)"
expect_out_contains "until then the old certificate must not be retired"
expect_out_matches "^        blocks 0[0-9]-retire-token:edge\$"
expect_out_matches "^  BLOCKED 0[0-9]-retire-token:edge "
expect_out_contains "summary: "
expect_out_contains "BLOCKED (exit 1)"
cr check -c "$CFG" --format json
expect_rc 1
python3 - "$WORK/out" "$PSMTP" <<'PY' || fail "reversed name: the JSON report does not block retire"
import json, sys
d = json.load(open(sys.argv[1]))
r = [s for s in d["steps"] if s["type"] == "retire"]
assert r and all(s["status"] == "blocked" for s in r), [(s["id"], s["status"]) for s in r]
c = [c for s in r for c in s["checks"] if c["id"] == "ref.resolve"]
assert c and c[0]["status"] == "fail" and "127.0.0.1:" + sys.argv[2] in c[0]["message"], c
assert d["exit"] == 1 and d["summary"]["fail"] == 1, (d["exit"], d["summary"])
PY
# without probes, the near miss still shows, as a warning
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_contains "WARN  ref.resolve        ref transport/Default Frontend EXCH01: 'name:$REVERSED' matches none of the"
expect_out_contains "it is near the old certificate sha1:$OLD_SHA1: its issuer has the RDNs of the certificate's issuer in reverse order"
cr check -c "$CFG" --no-probe --strict
expect_rc 1

# ------------------------------------------------- a thumbprint one hex digit off
cfg digit <<END
hosts = ( { name = "cas01"; } );
services = ( { name = "owa"; host = "cas01"; kind = "iis";
  refs = ( { id = "https"; type = "binding"; cert = "sha1:$BAD_SHA1"; endpoint = "127.0.0.1:$PWEB"; } ); } );
END
cr check -c "$CFG"
expect_rc 1
expect_out_contains "FAIL  ref.resolve        ref owa/https: 'sha1:$BAD_SHA1' matches no known certificate, but '127.0.0.1:$PWEB' serves the OLD certificate"
expect_out_contains "next to the old certificate's, sha1:$OLD_SHA1, one hex digit differs (digit 5: '$D' here,"
expect_out_matches "^        blocks 0[0-9]-retire-token:edge\$"
expect_out_matches "^  BLOCKED 0[0-9]-retire-token:edge "
# plan says what it is near, without probing anything
cr plan -c "$CFG"
expect_rc 0
expect_out_contains "cas01/owa/https: 'sha1:$BAD_SHA1' matches none of the"
expect_out_contains "it is near the old certificate sha1:$OLD_SHA1: one hex digit differs (digit 5: '$D' here,"
# once the thumbprint is right, the ref moves and retire waits for it instead
sed "s/$BAD_SHA1/$OLD_SHA1/" "$CFG" >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
cr check -c "$CFG"
expect_rc 0
expect_out_contains "'127.0.0.1:$PWEB' serves the old certificate now"
expect_out_not_contains "FAIL"

# an endpoint serving the certificate its (protected) identity names: left alone
PDEF=$(free_port)
nginx_start default "$(https_conf "$PDEF" "$C/default.pem" "$C/default.key")"
cfg protected-served <<END
hosts = ( { name = "cas01"; } );
services = ( { name = "owa"; host = "cas01"; refs = (
  { id = "https"; type = "binding"; cert = "$OLD_URI"; },
  { id = "default"; type = "binding"; cert = "pkcs11:token=edge;object=default;type=cert";
    endpoint = "127.0.0.1:$PDEF"; } ); } );
protect = [ "pkcs11:token=edge;object=default;type=cert" ];
END
cr check -c "$CFG"
expect_rc 0
expect_out_contains "pass  ref.resolve        ref owa/default: 'pkcs11:token=edge;object=default;type=cert' denotes a protected certificate, and '127.0.0.1:$PDEF' serves it: left alone"
nginx_stop default
# the same endpoint, down: what the service uses cannot be told (exit 3), and retire waits
cr check -c "$CFG"
expect_rc 3
expect_out_contains "FAIL  ref.resolve        ref owa/default: 'pkcs11:token=edge;object=default;type=cert' denotes a protected certificate, and what its endpoint serves cannot be seen:"
expect_out_matches "^  BLOCKED 0[0-9]-retire-token:edge "

# ------------------------------------------------- an issuer one RDN away (no endpoint)
cfg onerdn <<'END'
hosts = ( { name = "exch01"; } );
services = ( { name = "transport"; host = "exch01";
  refs = ( { id = "Default Frontend EXCH01"; type = "connector";
             cert = "name:<I>CN=Contoso Issuing CA 1, O=Contoso Inc, C=US<S>CN=mail.contoso.com, O=Contoso, C=US"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 0
expect_out_contains "its issuer differs from the certificate's in one RDN (O: 'Contoso Inc' -> 'Contoso')"

# ------------------------------------------------- the old certificate in protect
cfg protect-old <<END
hosts = ( { name = "cas1"; } );
services = ( { name = "owa"; host = "cas1"; refs = ( { id = "https"; type = "binding"; cert = "sha1:$OLD_SHA1"; } ); } );
protect = [ "sha1:$OLD_SHA1" ];
END
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  retire.protected   certificate old: the old certificate is listed in \`protect\` (protect.[0], $CFG:"
expect_out_matches "^        blocks 0[0-9]-retire-cas1, 0[0-9]-retire-token:edge\$"
expect_out_matches "^  BLOCKED 0[0-9]-retire-cas1 "
cr check -c "$CFG" --no-probe --format json
expect_rc 1
python3 - "$WORK/out" <<'PY' || fail "protect: the JSON report does not block the retire steps"
import json, sys
d = json.load(open(sys.argv[1]))
r = [s for s in d["steps"] if s["type"] == "retire"]
assert [s["host"] for s in r] == ["cas1", "token:edge"], r
assert all(s["status"] == "blocked" for s in r)
assert all(any(c["id"] == "retire.protected" and c["status"] == "fail" for c in s["checks"]) for s in r)
PY

# ------------------------------------------------- retire per host; rotation.old only read
mkdir -p "$WORK/hosts"
cp "$C/old.pem" "$WORK/hosts/old.pem"
cfg hosts <<END
hosts = ( { name = "a"; run_retire = [ "true", "{host}", "{old.sha1}" ]; }, { name = "b"; },
          { name = "c"; } );
services = (
  { name = "s1"; host = "a"; refs = ( { id = "r"; type = "binding"; cert = "sha1:$OLD_SHA1"; } ); },
  { name = "s2"; host = "b"; refs = ( { id = "r"; type = "connector"; cert = "name:<I>CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US<S>CN=mail.contoso.com, O=Contoso, C=US"; } ); },
  { name = "s3"; host = "c"; refs = ( { id = "r"; type = "file"; path = "svc.pem"; cert = "sha1:$OLD_SHA1"; } ); }
);
END
sed "s|old = \"$OLD_URI\";|old = \"file:old.pem\";|" "$CFG" >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
cp "$C/old.pem" "$WORK/hosts/svc.pem"
cr plan -c "$CFG" --format json
expect_rc 0
python3 - "$WORK/out" <<'PY' || fail "retire per host: wrong retire steps"
import json, sys
d = json.load(open(sys.argv[1]))
r = [(s["id"][3:], s["action"], s["verify"]) for s in d["steps"] if s["type"] == "retire"]
# a (binding, its hook), b (connector already on the new name: its store held
# the old one), not c (a file ref: the rebind overwrites the file), no native
# retire of the file rotation.old names
assert r == [("retire-a", "command", ["retire.absent"]), ("retire-b", "manual", ["retire.absent"])], r
assert any("rotation.old is only read, never moved or deleted" in n for n in d["notes"]), d["notes"]
for s in d["steps"]:
    if s["status"] == "pending" and s["type"] != "retire":
        assert s["verify"], (s["id"], "nothing verified after a step that changes something")
PY
cmp -s "$C/old.pem" "$WORK/hosts/old.pem" || fail "rotation.old's file changed"
