#!/bin/sh
# End-to-end tests of untrusted input (issue 8):
#  - nginx on 127.0.0.1 serving a certificate whose CN and a SAN dNSName hold
#    NUL: inspect (text, JSON) and check show it escaped, never crash (make asan
#    runs this under ASan+UBSan), and the escaped name read back as a name:
#    identity denotes exactly that certificate;
#  - every kind of path that could block (a FIFO as certificate, pass-source,
#    PIN source, key file, PKCS#11 module, directory entry; a device on the
#    standard input): a clear error at once, each run bounded by `timeout`;
#  - a file name that is not UTF-8: JSON stays valid UTF-8, text is escaped.
. "$(dirname "$0")/lib.sh"
need_certrotate

# bounded NAME ARGS...: `cr` under a 10 s bound (120 s under valgrind); a run
# that needed the bound failed
BOUND=10
[ -z "$RUN" ] || BOUND=120
bounded() {
	_what=$1
	shift
	_lib_last="certrotate $*"
	rc=0
	# shellcheck disable=SC2086 # RUN is a word list on purpose
	timeout -k 2 "$BOUND" $RUN "$CERTROTATE" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
	[ "$rc" != 124 ] && [ "$rc" != 137 ] || _lib_fail_cr "$_what: blocked (killed by timeout)"
}

# no_raw_bytes FILE: fails when FILE holds a NUL or another control byte but newline
no_raw_bytes() {
	python3 - "$1" <<'PY' || fail "'$1' holds raw control bytes"
import sys
d = open(sys.argv[1], 'rb').read()
bad = [b for b in d if b < 0x20 and b != 0x0a]
sys.exit(1 if bad else 0)
PY
}

# ------------------------------------------------------------ a certificate holding NUL
# openssl writes no NUL into a name: the certificate is made with '~' where the
# NUL goes (a UTF8String, the same length), the byte patched in the DER, and
# the certificate signed again (self-signed) so that it is valid once more.
N=$WORK/nul
mkdir -p "$N"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$N/nul.key" -out "$N/tmpl.pem" -days 400 \
    -subj '/O=Contoso/CN=mail.contoso.com~.evil.example' \
    -addext 'subjectAltName=DNS:mail.contoso.com~.evil.example,DNS:ok.contoso.com' \
    >/dev/null 2>&1 || die "cannot make the template certificate"
openssl x509 -in "$N/tmpl.pem" -outform DER -out "$N/tmpl.der" || die "cannot convert it to DER"
python3 - "$N/tmpl.der" "$N/patched.der" <<'PY' || die "cannot patch the NUL in"
import sys
d = open(sys.argv[1], 'rb').read()
assert d.count(b'com~.evil') == 3, d.count(b'com~.evil')   # subject, issuer, SAN
open(sys.argv[2], 'wb').write(d.replace(b'com~.evil', b'com\x00.evil'))
PY
openssl x509 -inform DER -in "$N/patched.der" -signkey "$N/nul.key" -days 400 -out "$N/nul.pem" \
    >/dev/null 2>&1 || die "cannot sign the patched certificate"
openssl verify -CAfile "$N/nul.pem" "$N/nul.pem" >/dev/null 2>&1 || die "the patched certificate does not verify"
chmod 600 "$N/nul.key"
ESC='mail.contoso.com\x00.evil.example'
SUBJ="CN=$ESC, O=Contoso"

PORT=$(free_port) || die "no free port"
nginx_start nul "$(https_conf "$PORT" "$N/nul.pem" "$N/nul.key")"

bounded "inspect tls://" inspect "tls://127.0.0.1:$PORT"
expect_rc 0
expect_out_contains "  subject:             $SUBJ"
expect_out_contains "  issuer:              $SUBJ"
expect_out_contains "  SAN:                 DNS:$ESC, DNS:ok.contoso.com"
expect_out_contains "  TLS name:            <I>$SUBJ<S>$SUBJ"
no_raw_bytes "$WORK/out"

bounded "inspect tls:// json" inspect "tls://127.0.0.1:$PORT" --format json
expect_rc 0
python3 - "$WORK/out" "$SUBJ" "$ESC" <<'PY' || fail "inspect --format json: not the escaped names"
import json, sys
d = json.loads(open(sys.argv[1], 'rb').read().decode('utf-8', 'strict'))
subj, esc = sys.argv[2], sys.argv[3]
assert d[0]["subject"] == subj and d[0]["issuer"] == subj, d[0]["subject"]
assert d[0]["san"] == ["DNS:" + esc, "DNS:ok.contoso.com"], d[0]["san"]
assert d[0]["tls_name"] == "<I>" + subj + "<S>" + subj
PY
no_raw_bytes "$WORK/out"

# the same from the file
bounded "inspect file" inspect "$N/nul.pem"
expect_rc 0
expect_out_contains "  SAN:                 DNS:$ESC, DNS:ok.contoso.com"

# check: the NUL certificate as the new one.  Its dNSName holding NUL covers
# no name (the NUL-prefix attack); the connector identity written as inspect
# prints it denotes it (already moved), the one without the NUL nothing; the
# endpoint probe sees it served.
mkdir -p "$WORK/chk"
ln -sfn "$FIX" "$WORK/chk/fix"
cat >"$WORK/chk/certrotate.cfg" <<EOF
rotation = {
  name = "nul";
  old = "file:fix/certs/old.pem";
  new = "file:$N/nul.pem";
  key = "file:$N/nul.key";
  trust = [ "file:$N/nul.pem" ];
  retire = "keep";
};
hosts = ( { name = "mx1"; } );
services = ( { name = "transport"; host = "mx1"; kind = "exchange-connector";
  names = [ "mail.contoso.com", "ok.contoso.com" ];
  refs = (
    { id = "frontend"; type = "connector";
      cert = "name:<I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, O=Contoso, C=US";
      endpoint = "127.0.0.1:$PORT"; },
    { id = "moved"; type = "connector";
      cert = "name:<I>CN=mail.contoso.com\\\\x00.evil.example, O=Contoso<S>CN=mail.contoso.com\\\\x00.evil.example, O=Contoso"; },
    { id = "spoofed"; type = "connector";
      cert = "name:<I>CN=mail.contoso.com, O=Contoso<S>CN=mail.contoso.com, O=Contoso"; }
  ); } );
EOF
bounded "check" check -c "$WORK/chk/certrotate.cfg"
expect_rc 1
expect_out_contains "FAIL  names              service transport: 1 name not in the new certificate's SAN: mail.contoso.com (the old certificate has it)"
expect_out_contains "new name <I>$SUBJ<S>$SUBJ"
expect_out_contains "already serves the new certificate"
expect_out_contains "CN: 'mail.contoso.com' -> '$ESC'"
expect_out_contains "the new certificate '$SUBJ' (sha1:"
no_raw_bytes "$WORK/out"
no_raw_bytes "$WORK/err"
bounded "plan json" plan -c "$WORK/chk/certrotate.cfg" --format json
expect_rc 0
python3 - "$WORK/out" "$SUBJ" <<'PY' || fail "plan --format json: the escaped name does not resolve to the new certificate"
import json, sys
d = json.loads(open(sys.argv[1], 'rb').read().decode('utf-8', 'strict'))
assert d["new"]["subject"] == sys.argv[2], d["new"]["subject"]
refs = {r["ref"]: r for r in d["untouched"]}
steps = {s["ref"]: s for s in d["steps"] if s.get("ref")}
moved = steps.get("moved") or refs.get("moved")
assert moved is not None and moved["denotes"] == "new", moved
# the name without the NUL is another certificate's name: it matches nothing known
spoof = refs.get("spoofed") or steps.get("spoofed")
assert spoof is not None and spoof["denotes"] != "new", spoof
PY
# the runbook shows the same escaped name (its Markdown escaping starts from
# the \xHH text, so no NUL or control byte reaches the document)
bounded "runbook" runbook -c "$WORK/chk/certrotate.cfg" --no-probe --format html
no_raw_bytes "$WORK/out"
expect_out_contains "$ESC"
bounded "runbook md" runbook -c "$WORK/chk/certrotate.cfg" --no-probe
no_raw_bytes "$WORK/out"
expect_out_contains 'mail.contoso.com\\x00.evil.example'
nginx_stop nul

# ------------------------------------------------------------ inputs that would block
B=$WORK/block
mkdir -p "$B/dir"
mkfifo "$B/cert.pem" "$B/pw.fifo" "$B/pin.fifo" "$B/module.so" "$B/key.fifo" "$B/dir/b.pem" ||
	die "cannot make FIFOs"
cp "$FIX/certs/other.pem" "$B/dir/a.pem"

bounded "FIFO as certificate" inspect "$B/cert.pem"
expect_rc 2
expect_err_contains "certrotate: cannot read '$B/cert.pem': is a FIFO, not a regular file"

bounded "FIFO as pass-source" inspect "$FIX/certs/new.p12?pass-source=file:$B/pw.fifo"
expect_rc 2
expect_err_contains "password for '$FIX/certs/new.p12': cannot read '$B/pw.fifo': is a FIFO, not a regular file"

bounded "FIFO as pin-source" inspect "pkcs11:token=edge;object=mail-2026;type=cert?pin-source=file:$B/pin.fifo"
expect_rc 3
expect_out_contains "private key:         unknown (not logged in: cannot read the PIN of token 'edge': cannot read '$B/pin.fifo': is a FIFO, not a regular file)"

bounded "FIFO as module" inspect "pkcs11:token=edge?module-path=$B/module.so"
expect_rc 3
expect_err_contains "cannot load PKCS#11 module '$B/module.so': is a FIFO, not a regular file"

bounded "FIFO in a directory" inspect "$B/dir"
expect_rc 0
expect_out_contains "$B/dir/a.pem"
expect_err_contains "certrotate: skipped '$B/dir/b.pem': is a FIFO, not a regular file"

mkdir -p "$WORK/kf"
ln -sfn "$FIX" "$WORK/kf/fix"
cat >"$WORK/kf/certrotate.cfg" <<EOF
rotation = { name = "k"; old = "file:fix/certs/old.pem"; new = "file:fix/certs/extractable.pem";
  key = "file:$B/key.fifo"; chain = [ "file:fix/pki/ca-a2.pem" ]; trust = [ "file:fix/pki/root.pem" ]; };
hosts = ( { name = "h"; } );
services = ( { name = "s"; host = "h"; refs = ( { id = "r"; type = "binding"; cert = "file:fix/certs/old.pem"; } ); } );
EOF
bounded "FIFO as key file" check -c "$WORK/kf/certrotate.cfg" --no-probe
expect_rc 2
expect_out_contains "cannot read '$B/key.fifo': is a FIFO, not a regular file"

# /dev/stdin as a PIN source: a device (here /dev/null) is refused at once; a pipe is read
bounded "device on stdin" inspect "pkcs11:token=edge;object=mail-2026;type=cert?pin-source=/dev/stdin"
expect_rc 3
expect_out_contains "the standard input is a character device; a secret is read from it only when piped in"
rc=0
timeout -k 2 "$BOUND" $RUN "$CERTROTATE" inspect "pkcs11:token=edge;object=mail-2026;type=cert?pin-source=/dev/stdin" \
    <"$FIX/edge.pin" >"$WORK/out" 2>"$WORK/err" || rc=$?
expect_rc 0
expect_out_contains "private key:         present, sensitive, not extractable"
rc=0
head -n 1 "$FIX/edge.pin" | timeout -k 2 "$BOUND" $RUN "$CERTROTATE" inspect \
    "pkcs11:token=edge;object=mail-2026;type=cert?pin-source=/dev/stdin" >"$WORK/out" 2>"$WORK/err" || rc=$?
expect_rc 0
expect_out_contains "private key:         present, sensitive, not extractable"

# ------------------------------------------------------------ a file name that is not UTF-8
L=$WORK/latin
mkdir -p "$L"
cp "$FIX/certs/other.pem" "$L/$(printf 'caf\351.pem')"
bounded "inspect Latin-1 name" inspect "$L" --format json
expect_rc 0
python3 - "$WORK/out" <<'PY' || fail "JSON with a Latin-1 file name is not valid UTF-8 with U+FFFD"
import json, sys
d = json.loads(open(sys.argv[1], 'rb').read().decode('utf-8', 'strict'))
assert d[0]["source"].endswith("/caf\ufffd.pem"), d[0]["source"]
PY
bounded "inspect Latin-1 name, text" inspect "$L"
expect_rc 0
expect_out_contains "/caf\\xE9.pem"
