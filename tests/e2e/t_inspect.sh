#!/bin/sh
# End-to-end tests of `certrotate inspect` (SPEC 3.3): every kind of source
# (PEM leaf and chain, DER, PKCS#12, a directory, token objects by label, by
# id and a whole token, with and without a PIN, nginx on 127.0.0.1 with and
# without SNI and over SMTP STARTTLS), text and JSON, the values that identify
# a certificate compared with openssl's; then bad input, one case at a time:
# the exit code of SPEC 2, one line on stderr naming the input, never a crash.
. "$(dirname "$0")/lib.sh"
need_certrotate

C=$FIX/certs
# one clock for the tool and for the expected days
NOW=$(date +%s)
CERTROTATE_NOW=$NOW
export CERTROTATE_NOW

A_NAME="<I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, O=Contoso, C=US"
A2_NAME="<I>CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US<S>CN=mail.contoso.com, O=Contoso, C=US"
SHA256_RSA="sha256WithRSAEncryption (1.2.840.113549.1.1.11)"
SHA1_RSA="sha1WithRSAEncryption (1.2.840.113549.1.1.5)"
SAN3="DNS:mail.contoso.com, DNS:autodiscover.contoso.com, DNS:legacy.contoso.com"

# not_after FILE: the certificate's notAfter in seconds since the epoch
not_after() {
	date -u -d "$(openssl x509 -in "$1" -noout -enddate | sed 's/^notAfter=//')" +%s
}
# days_left FILE: floor((notAfter - now) / 1 day), as SPEC 3.3's days_left
days_left() {
	_d=$(($(not_after "$1") - NOW))
	if [ "$_d" -ge 0 ]; then
		echo $((_d / 86400))
	else
		echo $((-((-_d + 86399) / 86400)))
	fi
}
serial_of() {
	openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'
}
# rfc3339 FILE: notAfter as RFC 3339 UTC
rfc3339_after() {
	date -u -d "@$(not_after "$1")" +%Y-%m-%dT%H:%M:%SZ
}

# expect_line LABEL VALUE: stdout has the line "  LABEL<padding>VALUE"
expect_line() {
	grep -qxF -e "$(printf '  %-21s%s' "$1" "$2")" "$WORK/out" 2>/dev/null ||
		_lib_fail_cr "stdout has no line '$1 $2'"
}
# expect_no_crash: whatever happened, the tool exited by itself
expect_no_crash() {
	[ "${rc:-999}" -lt 128 ] || _lib_fail_cr "crashed (exit $rc)"
}
# expect_one_err_line STR: stderr is exactly one line, and it contains STR
expect_one_err_line() {
	_n=$(wc -l <"$WORK/err")
	[ "$_n" -eq 1 ] || _lib_fail_cr "expected one line on stderr, got $_n"
	expect_err_contains "$1"
	expect_err_contains "certrotate: "
}
expect_no_stdout() {
	[ ! -s "$WORK/out" ] || _lib_fail_cr "stdout not empty after an error"
}
# json_check PY: runs the python3 snippet PY with d = the parsed stdout
json_check() {
	python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
$1" "$WORK/out" 2>"$WORK/py.err" || {
		_lib_fail_cr "JSON check failed: $(tail -n 1 "$WORK/py.err")"
	}
}

# check_cert NAME: the identifying lines of a text inspect of fixture NAME
check_cert() {
	_f=$C/$1.pem
	expect_out_contains "SHA-1 thumbprint:    $(cert_sha1 "$_f")"
	expect_out_contains "SHA-256:             $(cert_sha256 "$_f")"
	expect_line "serial:" "$(serial_of "$_f")"
	expect_out_matches "^  not after: +$(rfc3339_after "$_f") "
}

# ================================================================ files
# ---- PEM leaf: new (A2, sha256, RSA 2048)
cr inspect "$C/new.pem"
expect_rc 0
expect_no_crash
expect_err_not_contains "certrotate"
check_cert new
expect_eq "$(head -n 1 "$WORK/out")" "$C/new.pem" "first line (source)"
expect_line "subject:" "CN=mail.contoso.com, O=Contoso, C=US"
expect_line "issuer:" "CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US"
expect_line "signature algorithm:" "$SHA256_RSA"
expect_line "public key:" "RSA 2048 bits"
expect_line "SAN:" "$SAN3"
expect_line "EKU:" "serverAuth"
expect_line "TLS name:" "$A2_NAME"
expect_line "not after:" "$(rfc3339_after "$C/new.pem") ($(days_left "$C/new.pem") days left)"
expect_out_not_contains "token:"
# the thumbprint is 40 upper-case hex without separators, as Windows prints it
expect_out_matches "^  SHA-1 thumbprint:    [0-9A-F]{40}$"
expect_out_matches "^  SHA-256:             [0-9A-F]{64}$"

# ---- PEM chain: old (A, sha1); the leaf is the first certificate, one entry
cr inspect "$C/old-chain.pem"
expect_rc 0
check_cert old
expect_line "signature algorithm:" "$SHA1_RSA"
expect_line "TLS name:" "$A_NAME"
expect_line "SAN:" "$SAN3, DNS:cas01.contoso.local"
expect_eq "$(grep -c '^  subject:' "$WORK/out")" 1 "certificates shown for a chain file"
expect_out_not_contains "CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=Contoso"

# ---- DER: ec (P-256 key, signed by A2's RSA key)
cr inspect "file:$C/ec.der"
expect_rc 0
check_cert ec
expect_eq "$(head -n 1 "$WORK/out")" "file:$C/ec.der" "source as written"
expect_line "public key:" "EC prime256v1 (256 bits)"
expect_line "signature algorithm:" "$SHA256_RSA"

# ---- expired: "EXPIRED N days ago" with N = -days_left (a partial day counts)
cr inspect "$C/expired.der"
expect_rc 0
check_cert expired
ago=$((-$(days_left "$C/expired.pem")))
expect_line "not after:" "$(rfc3339_after "$C/expired.pem") (EXPIRED $ago days ago)"
[ "$ago" -ge 10 ] && [ "$ago" -le 11 ] || fail "expired fixture: $ago days ago, expected about 10"
expect_line "SAN:" "DNS:mail.contoso.com"

# ---- text and JSON tell one story, around the boundaries (CERTROTATE_NOW moves the clock)
# expect_expiry FILE OFFSET PHRASE DAYS: at now = notAfter + OFFSET, the text shows
# PHRASE after notAfter and the JSON's days_left is DAYS
expect_expiry() {
	CERTROTATE_NOW=$(($(not_after "$1") + $2))
	cr inspect "$1"
	expect_rc 0
	expect_line "not after:" "$(rfc3339_after "$1") $3"
	cr inspect "$1" --format json
	expect_rc 0
	json_check "assert d[0]['days_left'] == $4, (d[0]['days_left'], $4)"
	CERTROTATE_NOW=$NOW
}
expect_expiry "$C/expired.pem" $((10 * 86400 + 30)) "(EXPIRED 11 days ago)" -11
expect_expiry "$C/expired.pem" $((10 * 86400)) "(EXPIRED 10 days ago)" -10
expect_expiry "$C/expired.pem" 3600 "(EXPIRED 1 hour ago)" -1
expect_expiry "$C/expired.pem" 1 "(EXPIRED 1 hour ago)" -1
expect_expiry "$C/expired.pem" 0 "(expires in 0 seconds)" 0
expect_expiry "$C/new.pem" -18000 "(expires in 5 hours)" 0
expect_expiry "$C/new.pem" -86400 "(1 day left)" 1
expect_expiry "$C/new.pem" $((-30 * 86400 - 1)) "(30 days left)" 30
# and for today's clock, every fixture: the text's number is JSON's days_left
cr inspect "$C/new.pem" "$C/expired.pem" "$C/old.pem" "$C/ec.pem"
expect_rc 0
grep '^  not after:' "$WORK/out" >"$WORK/text.days"
cr inspect "$C/new.pem" "$C/expired.pem" "$C/old.pem" "$C/ec.pem" --format json
expect_rc 0
python3 - "$WORK/out" "$WORK/text.days" <<'PY' || fail "inspect: text and JSON disagree on days left"
import json, re, sys
d = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().splitlines()
assert len(d) == len(lines) == 4, (len(d), lines)
for c, line in zip(d, lines):
    m = re.search(r'\((\d+) days? left\)$', line) or re.search(r'\(EXPIRED (\d+) days? ago\)$', line)
    assert m, line
    n = int(m.group(1))
    assert n == (c['days_left'] if 'left' in line else -c['days_left']), (line, c['days_left'])
PY

# ---- noeku: clientAuth only; a CA: no EKU extension, no SAN
cr inspect "$C/noeku.pem" "$FIX/pki/ca-a2.pem"
expect_rc 0
expect_line "EKU:" "clientAuth"
expect_line "EKU:" "(no extension: any purpose)"
expect_line "SAN:" "(none)"
expect_eq "$(grep -c '^  subject:' "$WORK/out")" 2 "certificates shown for two sources"

# ---- PKCS#12 with a pass-source (the key is never needed)
P12PASS=$C/p12.pass
cr inspect "$C/new.p12?pass-source=file:$P12PASS"
expect_rc 0
check_cert new
expect_line "TLS name:" "$A2_NAME"
# the password file is named, its content never shown
expect_out_not_contains "$(head -n 1 "$P12PASS")"
cr inspect "file:$C/old.p12?pass-source=file:$P12PASS"
expect_rc 0
check_cert old
expect_line "signature algorithm:" "$SHA1_RSA"

# ---- a directory: every certificate file, sorted by name
mkdir -p "$WORK/dir"
cp "$C/new.pem" "$WORK/dir/b-new.pem"
cp "$C/old.der" "$WORK/dir/a-old.cer"
cp "$C/ec.pem" "$WORK/dir/c-ec.crt"
cp "$C/old.key" "$WORK/dir/old.key"		# not a certificate file name: skipped
echo "not a certificate" >"$WORK/dir/README"
cr inspect "$WORK/dir"
expect_rc 0
expect_eq "$(grep -v '^ ' "$WORK/out" | grep -v '^$' | tr '\n' ' ')" \
    "$WORK/dir/a-old.cer $WORK/dir/b-new.pem $WORK/dir/c-ec.crt " "directory entries"
expect_out_contains "SHA-1 thumbprint:    $(cert_sha1 "$C/old.pem")"
expect_out_contains "SHA-1 thumbprint:    $(cert_sha1 "$C/new.pem")"
expect_out_contains "SHA-1 thumbprint:    $(cert_sha1 "$C/ec.pem")"
# a PKCS#12 inside takes the directory's pass-source
cp "$C/expired.p12" "$WORK/dir/d-expired.p12"
cr inspect "$WORK/dir?pass-source=file:$P12PASS"
expect_rc 0
expect_out_contains "$WORK/dir/d-expired.p12"
expect_out_contains "SHA-1 thumbprint:    $(cert_sha1 "$C/expired.pem")"
# without it, that file fails (2), naming it, and the others are still shown
cr inspect "$WORK/dir"
expect_rc 2
expect_one_err_line "cannot read '$WORK/dir/d-expired.p12': the PKCS#12 needs a password"
expect_eq "$(grep -c '^  subject:' "$WORK/out")" 3 "certificates shown beside the failing file"
# several files that cannot be read: one line each, in name order; the others still shown
cp "$C/new.p12" "$WORK/dir/e-new.p12"
head -c 300 "$C/new.der" >"$WORK/dir/f-cut.der"
cr inspect "$WORK/dir"
expect_rc 2
expect_eq "$(wc -l <"$WORK/err" | tr -d ' ')" 3 "stderr lines for three unreadable files"
expect_eq "$(sed 's/^certrotate: cannot read .\([^'"'"']*\).*/\1/' "$WORK/err" | tr '\n' ' ')" \
    "$WORK/dir/d-expired.p12 $WORK/dir/e-new.p12 $WORK/dir/f-cut.der " "files reported"
expect_err_contains "cannot read '$WORK/dir/e-new.p12': the PKCS#12 needs a password"
expect_err_contains "cannot read '$WORK/dir/f-cut.der': truncated DER"
expect_eq "$(grep -c '^  subject:' "$WORK/out")" 3 "certificates shown beside three failing files"
cr inspect "$WORK/dir" --format json
expect_rc 2
json_check "assert len(d) == 3, len(d)"
rm "$WORK/dir/e-new.p12" "$WORK/dir/f-cut.der"
# the fixture directory: every PKCS#12 without its password named, every other file shown
cr inspect "$C"
expect_rc 2
expect_eq "$(wc -l <"$WORK/err" | tr -d ' ')" "$(ls "$C"/*.p12 | wc -l | tr -d ' ')" "stderr lines for the fixture PKCS#12s"
for f in "$C"/*.p12; do
	expect_err_contains "cannot read '$f': the PKCS#12 needs a password (add ?pass-source=file:PWFILE)"
done
expect_eq "$(grep -c '^  subject:' "$WORK/out")" "$(ls "$C"/*.pem "$C"/*.der | wc -l | tr -d ' ')" \
    "certificates shown from the fixture directory"
cr inspect "$C?pass-source=file:$P12PASS"
expect_rc 0
expect_err_not_contains "certrotate"
expect_eq "$(grep -c '^  subject:' "$WORK/out")" "$(ls "$C"/*.pem "$C"/*.der "$C"/*.p12 | wc -l | tr -d ' ')" \
    "certificates shown from the fixture directory with its pass-source"

# ---- JSON of files: an array, SPEC 3.3's keys, values as openssl sees them
cr inspect "$C/new.pem" "$C/ec.der" "$C/expired.pem" "$C/old.pem" --format json
expect_rc 0
json_check "
assert isinstance(d, list) and len(d) == 4, d
keys = {'subject', 'issuer', 'serial', 'not_before', 'not_after', 'days_left', 'san',
        'signature_algorithm', 'key', 'eku', 'sha1', 'sha256', 'tls_name', 'source',
        'key_usage', 'basic_constraints', 'chain', 'chain_status'}
for c in d:
    assert set(c) == keys, set(c) ^ keys
    assert set(c['signature_algorithm']) == {'name', 'oid'}
    assert set(c['key']) == {'type', 'bits', 'curve'}
    assert isinstance(c['san'], list) and isinstance(c['eku'], list)
    assert isinstance(c['days_left'], int)
    for k in ('not_before', 'not_after'):
        assert len(c[k]) == 20 and c[k][10] == 'T' and c[k].endswith('Z'), c[k]
new, ec, exp, old = d
assert new['signature_algorithm'] == {'name': 'sha256WithRSAEncryption', 'oid': '1.2.840.113549.1.1.11'}
assert old['signature_algorithm'] == {'name': 'sha1WithRSAEncryption', 'oid': '1.2.840.113549.1.1.5'}
assert new['key'] == {'type': 'RSA', 'bits': 2048, 'curve': None}, new['key']
assert ec['key'] == {'type': 'EC', 'bits': 256, 'curve': 'prime256v1'}, ec['key']
assert new['san'] == ['DNS:mail.contoso.com', 'DNS:autodiscover.contoso.com', 'DNS:legacy.contoso.com']
assert new['eku'] == ['serverAuth']
assert new['subject'] == 'CN=mail.contoso.com, O=Contoso, C=US'
assert new['issuer'] == 'CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US'
assert exp['days_left'] < 0 and new['days_left'] > 300
"
# values that need openssl: one python3 call per certificate
for n in new ec expired old; do
	i=$(echo "new ec expired old" | tr ' ' '\n' | grep -nx "$n" | cut -d: -f1)
	python3 - "$WORK/out" "$((i - 1))" "$(cert_sha1 "$C/$n.pem")" "$(cert_sha256 "$C/$n.pem")" \
	    "$(serial_of "$C/$n.pem")" "$(rfc3339_after "$C/$n.pem")" "$(days_left "$C/$n.pem")" <<'PY' ||
import json, sys
c = json.load(open(sys.argv[1]))[int(sys.argv[2])]
assert c['sha1'] == sys.argv[3], (c['sha1'], sys.argv[3])
assert c['sha256'] == sys.argv[4], (c['sha256'], sys.argv[4])
assert c['serial'] == sys.argv[5], (c['serial'], sys.argv[5])
assert c['not_after'] == sys.argv[6], (c['not_after'], sys.argv[6])
assert c['days_left'] == int(sys.argv[7]), (c['days_left'], sys.argv[7])
PY
		fail "inspect --format json: values of '$n' differ from openssl's"
done
# (the tls names and the source were passed by position above)
python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
assert d[0]['tls_name'] == sys.argv[2] and d[3]['tls_name'] == sys.argv[3]
assert d[0]['source'] == sys.argv[4]" "$WORK/out" "$A2_NAME" "$A_NAME" "$C/new.pem" ||
	fail "inspect --format json: tls_name or source"
# --format may come first, and as --format=json
cr inspect --format=json "$C/new.pem"
expect_rc 0
json_check "assert isinstance(d, list) and len(d) == 1 and 'token' not in d[0]"

# ================================================================ tokens
EDGE_PIN="?pin-source=file:$FIX/edge.pin"
# ---- by object label, without a PIN: the key is unknown, with a note
cr inspect "pkcs11:token=edge;object=mail-2026;type=cert"
expect_rc 0
expect_err_not_contains "certrotate"
check_cert new
expect_eq "$(head -n 1 "$WORK/out")" "pkcs11:token=edge;object=mail-2026;type=cert" "token source"
expect_line "signature algorithm:" "$SHA256_RSA"
expect_out_matches "^  token: +edge \(pkcs11:token=edge;serial=[0-9a-f]+\)$"
expect_line "object:" "mail-2026"
expect_line "CKA_ID:" "20"
expect_line "private key:" "unknown (not logged in: no PIN source (add ?pin-source=file:PATH or a tokens entry))"
cr inspect "pkcs11:token=edge;object=mail-2026;type=cert" --format json
expect_rc 0
json_check "
c, = d
assert set(c['token']) >= {'label', 'object', 'id', 'private_key'}, c['token']
t = c['token']
assert (t['label'], t['object'], t['id']) == ('edge', 'mail-2026', '20'), t
k = t['private_key']
assert k['present'] is None and k['sensitive'] is None and k['extractable'] is None, k
assert 'no PIN source' in k['note'], k
"

# ---- by object label with the PIN: sensitive, not extractable
cr inspect "pkcs11:token=edge;object=mail-2026;type=cert$EDGE_PIN"
expect_rc 0
expect_line "private key:" "present, sensitive, not extractable"
# (as a word: the test PIN 1234 may well occur inside a hex thumbprint)
! grep -qw -e "$(head -n 1 "$FIX/edge.pin")" "$WORK/out" || fail "stdout shows the PIN"
# ---- the extractable fixture key
cr inspect "pkcs11:token=edge;object=extractable;type=cert$EDGE_PIN"
expect_rc 0
check_cert extractable
expect_line "private key:" "present, NOT sensitive, EXTRACTABLE"
expect_line "CKA_ID:" "60"

# ---- by id: %20 is mail-2026
cr inspect "pkcs11:token=edge;id=%20;type=cert$EDGE_PIN"
expect_rc 0
check_cert new
expect_line "object:" "mail-2026"
expect_line "private key:" "present, sensitive, not extractable"
# the EC key, on the token
cr inspect "pkcs11:token=edge;id=%30"
expect_rc 0
check_cert ec
expect_line "public key:" "EC prime256v1 (256 bits)"
expect_line "object:" "ec-2026"

# ---- token-only URI: every certificate of the token, each with its own URI
cr inspect "pkcs11:token=edge$EDGE_PIN"
expect_rc 0
expect_eq "$(grep -c '^  subject:' "$WORK/out")" 7 "certificates on token edge"
for o in mail-2025:10 mail-2026:20 ec-2026:30 expired:40 default:50 extractable:60 noeku:70; do
	expect_out_matches "^pkcs11:token=edge;serial=[0-9a-f]+;object=${o%:*};id=%${o#*:};type=cert\?pin-source=file:"
done
for n in old new ec expired default extractable noeku; do
	expect_out_contains "SHA-1 thumbprint:    $(cert_sha1 "$C/$n.pem")"
done
expect_eq "$(grep -c '^  private key: *present, sensitive, not extractable$' "$WORK/out")" 6 \
    "sensitive keys on edge"
expect_eq "$(grep -c '^  private key: *present, NOT sensitive, EXTRACTABLE$' "$WORK/out")" 1 \
    "extractable keys on edge"
expect_out_not_contains "CN=other.contoso.com"
cr inspect "pkcs11:token=edge$EDGE_PIN" --format json
expect_rc 0
json_check "
assert isinstance(d, list) and len(d) == 7, len(d)
by = {c['token']['object']: c for c in d}
assert set(by) == {'mail-2025', 'mail-2026', 'ec-2026', 'expired', 'default', 'extractable', 'noeku'}, set(by)
for c in d:
    t = c['token']
    assert t['label'] == 'edge' and set(t['private_key']) >= {'present', 'sensitive', 'extractable'}
    assert t['private_key']['present'] is True, t
    assert c['source'].startswith('pkcs11:token=edge;'), c['source']
assert by['mail-2026']['token']['private_key'] == {'present': True, 'sensitive': True, 'extractable': False}
assert by['extractable']['token']['private_key'] == {'present': True, 'sensitive': False, 'extractable': True}
assert by['mail-2026']['token']['id'] == '20' and by['ec-2026']['key']['curve'] == 'prime256v1'
assert by['mail-2025']['signature_algorithm']['oid'] == '1.2.840.113549.1.1.5'
assert by['expired']['days_left'] < 0
"
# the other token
cr inspect "pkcs11:token=spare;type=cert?pin-source=file:$FIX/spare.pin"
expect_rc 0
check_cert other
expect_line "object:" "other"
expect_line "CKA_ID:" "01"
expect_line "private key:" "present, sensitive, not extractable"

# ---- the chain a file carries: each certificate, the order, whether it reaches a root;
# key usage and basic constraints
mkdir -p "$WORK/chains"
cat "$C/old.pem" "$FIX/pki/ca-a.pem" "$FIX/pki/root.pem" >"$WORK/chains/full.pem"
cat "$FIX/pki/ca-a.pem" "$C/old.pem" >"$WORK/chains/chain-first.pem"
cr inspect "$WORK/chains/full.pem"
expect_rc 0
expect_line "key usage:" "digitalSignature, keyEncipherment"
expect_line "basic constraints:" "CA:FALSE"
expect_line "chain:" "3 certificates, in order, ending at a self-signed root"
expect_out_contains "    1  CN=mail.contoso.com, O=Contoso, C=US"
expect_out_contains "    3  CN=Contoso Root CA, O=Contoso, C=US (self-signed)"
expect_out_contains "       SHA-1 $(cert_sha1 "$FIX/pki/ca-a.pem")"
cr inspect "$C/old.pem"
expect_rc 0
expect_line "chain:" "1 certificate, in order: incomplete: only the leaf is in the file; its issuer 'CN=Contoso Issuing CA 1, O=Contoso, C=US' is neither in the file nor a trust anchor (clients that do not have it fail)"
cr inspect "$WORK/chains/chain-first.pem" --format json
expect_rc 0
json_check "c = d[0]
assert c['basic_constraints'] == {'ca': True, 'path_len': 0}, c['basic_constraints']
assert c['key_usage'] == ['keyCertSign', 'cRLSign'], c['key_usage']
assert [m['subject'] for m in c['chain']] == ['CN=Contoso Issuing CA 1, O=Contoso, C=US',
    'CN=mail.contoso.com, O=Contoso, C=US'], c['chain']
assert [m['self_signed'] for m in c['chain']] == [False, False]
st = c['chain_status']
assert st['count'] == 2 and st['ordered'] is False and 'the chain comes before the leaf' in st['problem'], st"
# a directory with a private key among the certificates (certbot's privkey.pem): a note, not a failure
mkdir -p "$WORK/le"
cp "$C/old-chain.pem" "$WORK/le/fullchain.pem"
cp "$C/old.key" "$WORK/le/privkey.pem"
cr inspect "$WORK/le"
expect_rc 0
expect_one_err_line "skipped '$WORK/le/privkey.pem': a private key (PRIVATE KEY), no certificate"
expect_eq "$(grep -c '^  subject:' "$WORK/out")" 1 "certificates shown beside a key file"

# ================================================================ endpoints
# One port, three server blocks: SNI mail.contoso.com serves new (key on the
# token), SNI localhost serves extractable, the default serves old.  SMTP
# STARTTLS through nginx's mail module.
PWEB=$(free_port)
nginx_start web "$(http_block \
	"$(https_server "$PWEB" "$C/new-chain.pem" "$(token_key mail-2026)" mail.contoso.com)" \
	"$(https_server "$PWEB" "$C/extractable-chain.pem" "$C/extractable.key" localhost)" \
	"$(https_server "$PWEB" "$C/old-chain.pem" "$C/old.key" _)")"
expect_eq "$(tls_sha256 "127.0.0.1:$PWEB" localhost)" "$(cert_sha256 "$C/extractable.pem")" \
    "nginx serves extractable with SNI localhost"
expect_eq "$(tls_sha256 "127.0.0.1:$PWEB" mail.contoso.com)" "$(cert_sha256 "$C/new.pem")" \
    "nginx serves new with SNI"
expect_eq "$(tls_sha256 "127.0.0.1:$PWEB" -)" "$(cert_sha256 "$C/old.pem")" \
    "nginx serves old without SNI"

cr inspect "tls://127.0.0.1:$PWEB"
expect_rc 0
expect_eq "$(head -n 1 "$WORK/out")" "tls://127.0.0.1:$PWEB" "endpoint source"
check_cert old
expect_line "signature algorithm:" "$SHA1_RSA"
expect_line "TLS name:" "$A_NAME"
cr inspect "tls://127.0.0.1:$PWEB?sni=mail.contoso.com"
expect_rc 0
check_cert new
expect_line "signature algorithm:" "$SHA256_RSA"
expect_line "TLS name:" "$A2_NAME"
expect_out_not_contains "$(cert_sha1 "$C/old.pem")"
# a host name is its own SNI, as s_client -connect sends it ('localhost' is 127.0.0.1)
cr inspect "tls://localhost:$PWEB"
expect_rc 0
expect_eq "$(head -n 1 "$WORK/out")" "tls://localhost:$PWEB" "endpoint source by name"
check_cert extractable
# ... unless ?sni= says otherwise: empty sends none (nginx's default server), a name is sent
cr inspect "tls://localhost:$PWEB?sni="
expect_rc 0
check_cert old
cr inspect "tls://localhost:$PWEB?sni=mail.contoso.com"
expect_rc 0
check_cert new
# an address is never an SNI (RFC 6066): the default server, as above for 127.0.0.1
cr inspect "tls://[::ffff:127.0.0.1]:$PWEB"
if [ "$rc" = 0 ]; then
	check_cert old
else
	note "no IPv4-mapped IPv6 here: tls://[::ffff:127.0.0.1] not tested ($(cat "$WORK/err"))"
fi
# the chain served: the issuing CA after the leaf; a server sending the leaf alone is flagged
cr inspect "tls://127.0.0.1:$PWEB?sni=mail.contoso.com"
expect_rc 0
expect_line "chain:" "2 certificates, in order: incomplete: the last certificate served, 'CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US', is issued by 'CN=Contoso Root CA, O=Contoso, C=US', which is neither served nor a trust anchor"
PLEAF=$(free_port)
nginx_start leaf "$(https_conf "$PLEAF" "$C/old.pem" "$C/old.key")"
cr inspect "tls://127.0.0.1:$PLEAF"
expect_rc 0
expect_line "chain:" "1 certificate, in order: incomplete: only the leaf is served; its issuer 'CN=Contoso Issuing CA 1, O=Contoso, C=US' is neither served nor a trust anchor (clients that do not have it fail)"
nginx_stop leaf
# both at once, in JSON: different certificates per SNI
cr inspect "tls://127.0.0.1:$PWEB" "tls://127.0.0.1:$PWEB?sni=mail.contoso.com" --format json
expect_rc 0
python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
assert [c['sha256'] for c in d] == sys.argv[2:4], [c['sha256'] for c in d]
assert d[1]['source'].endswith('?sni=mail.contoso.com') and 'token' not in d[1]
" "$WORK/out" "$(cert_sha256 "$C/old.pem")" "$(cert_sha256 "$C/new.pem")" ||
	fail "inspect tls:// --format json: the certificate per SNI"

PSMTP=$(free_port)
nginx_start smtp "$(smtp_conf "$PSMTP" "$C/expired-chain.pem" "$C/expired.key")"
cr inspect "tls://127.0.0.1:$PSMTP?starttls=smtp"
expect_rc 0
check_cert expired
expect_out_contains "EXPIRED"
expect_line "TLS name:" "$A_NAME"
# the same port without STARTTLS is no TLS server: an environment failure, named
cr inspect "tls://127.0.0.1:$PSMTP"
expect_rc 3
expect_no_crash
expect_no_stdout
expect_one_err_line "127.0.0.1:$PSMTP"

# an endpoint refusing connections: stop nginx, its port is closed now
nginx_stop web
cr inspect "tls://127.0.0.1:$PWEB"
expect_rc 3
expect_no_stdout
expect_one_err_line "endpoint '127.0.0.1:$PWEB': connection refused"
nginx_stop smtp

# an endpoint that accepts and then says nothing: bounded by the timeout, 3
PSILENT=$(free_port)
python3 -c "import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(8); time.sleep(60)" "$PSILENT" &
SILENT_PID=$!
on_exit "kill $SILENT_PID 2>/dev/null"
i=0
while [ -z "$(ss -Hltn "sport = :$PSILENT")" ] && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
cr inspect "tls://127.0.0.1:$PSILENT?starttls=smtp"
expect_rc 3
expect_no_stdout
expect_one_err_line "endpoint '127.0.0.1:$PSILENT': timed out after 5000 ms waiting for the SMTP banner"
kill "$SILENT_PID" 2>/dev/null

# ================================================================ bad input
# ---- missing file
cr inspect "$WORK/missing.pem"
expect_rc 2
expect_no_stdout
expect_one_err_line "cannot read '$WORK/missing.pem': No such file or directory"
# ---- truncated DER
head -c 300 "$C/new.der" >"$WORK/trunc.der"
cr inspect "$WORK/trunc.der"
expect_rc 2
expect_no_stdout
expect_one_err_line "cannot read '$WORK/trunc.der': truncated DER (300 of $(wc -c <"$C/new.der" | tr -d ' ') bytes)"
# a DER cut inside its own header (no total length to give)
head -c 1 "$C/new.der" >"$WORK/header-cut.der"
cr inspect "$WORK/header-cut.der"
expect_rc 2
expect_one_err_line "cannot read '$WORK/header-cut.der': truncated DER (1 byte, cut inside the header)"
# the same cut inside PEM armour (second block of a chain): said the same way, with its line
{
	cat "$C/new.pem"
	echo "-----BEGIN CERTIFICATE-----"
	head -c 300 "$C/old.der" | openssl base64
	echo "-----END CERTIFICATE-----"
} >"$WORK/trunc-chain.pem"
line=$(($(wc -l <"$C/new.pem") + 1))
cr inspect "$WORK/trunc-chain.pem"
expect_rc 2
expect_no_stdout
expect_one_err_line "cannot read '$WORK/trunc-chain.pem': truncated DER (300 of $(wc -c <"$C/old.der" | tr -d ' ') bytes) in the PEM block at line $line"
expect_err_not_contains "too long"
# ---- garbage between the PEM armour
printf -- '-----BEGIN CERTIFICATE-----\nthis is not base64!\n-----END CERTIFICATE-----\n' >"$WORK/garbage.pem"
cr inspect "$WORK/garbage.pem"
expect_rc 2
expect_no_stdout
expect_one_err_line "cannot read '$WORK/garbage.pem': not a certificate (line 1)"
# ---- a PEM with only a key
cr inspect "$C/old.key"
expect_rc 2
expect_one_err_line "cannot read '$C/old.key': not a certificate (the PEM holds PRIVATE KEY but no CERTIFICATE)"
# ---- plain garbage, an empty file
head -c 200 /dev/urandom | tr '\060' x >"$WORK/random.bin"
cr inspect "$WORK/random.bin"
expect_rc 2
expect_no_crash
expect_one_err_line "'$WORK/random.bin'"
: >"$WORK/empty.pem"
cr inspect "$WORK/empty.pem"
expect_rc 2
expect_one_err_line "cannot read '$WORK/empty.pem': empty, not a certificate"
# ---- PKCS#12: wrong password, no password, a missing password file
echo "not-the-password" >"$WORK/wrong.pass"
cr inspect "$C/new.p12?pass-source=file:$WORK/wrong.pass"
expect_rc 2
expect_no_stdout
expect_one_err_line "cannot read '$C/new.p12': wrong password or corrupt PKCS#12"
expect_err_not_contains "not-the-password"
cr inspect "$C/new.p12"
expect_rc 2
expect_one_err_line "cannot read '$C/new.p12': the PKCS#12 needs a password (add ?pass-source=file:PWFILE)"
cr inspect "$C/new.p12?pass-source=file:$WORK/nopass"
expect_rc 2
expect_one_err_line "'$WORK/nopass'"
cr inspect "$C/new.p12?password=x"
expect_rc 2
expect_one_err_line "bad source '$C/new.p12?password=x': unknown attribute 'password'"
# ---- malformed URIs, pin-value refused (and never echoed)
cr inspect "pkcs11:token=edge;object=mail-2026;type=cert;bogus"
expect_rc 2
expect_no_stdout
expect_one_err_line "'pkcs11:token=edge;object=mail-2026;type=cert;bogus'"
cr inspect "pkcs11:token=edge;type=certificate"
expect_rc 2
expect_one_err_line "'pkcs11:token=edge;type=certificate'"
cr inspect "pkcs11:token=edge;object=mail-2026;type=cert?pin-value=1234"
expect_rc 2
expect_no_stdout
expect_one_err_line "pin-value"
expect_err_contains "pkcs11:token=edge;object=mail-2026;type=cert"
expect_err_not_contains "1234"
cr inspect "pkcs11:token=edge;object=mail-2026;type=private"
expect_rc 2
expect_one_err_line "cannot read 'pkcs11:token=edge;object=mail-2026;type=private': it names a private key"
cr inspect "pkcs11:token=edge;object=no-such-object;type=cert"
expect_rc 2
expect_one_err_line "no certificate matches 'pkcs11:token=edge;object=no-such-object;type=cert'"
cr inspect "tls://127.0.0.1"
expect_rc 2
expect_one_err_line "'tls://127.0.0.1'"
# ---- unknown token: the environment (3)
cr inspect "pkcs11:token=no-such-token;type=cert"
expect_rc 3
expect_no_stdout
expect_one_err_line "no token matches 'pkcs11:token=no-such-token;type=cert'"
# a registered module without slots (OpenSC, no reader) is searched, not a failure
expect_err_not_contains "cannot list the slots"
OPENSC=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
if [ -f "$OPENSC" ]; then
	# named alone: no token (3, as for any absent token), and said so
	cr inspect "pkcs11:?module-path=$OPENSC"
	expect_rc 3
	expect_no_stdout
	expect_one_err_line "no token matches 'pkcs11:?module-path=$OPENSC' (modules searched: '$OPENSC'"
	expect_err_not_contains "cannot list the slots"
else
	note "no OpenSC module at $OPENSC: module without slots not tested"
fi
# a module whose slot list really fails is still a failed module (3), with its CK_RV
P11FAULT_FAIL=C_GetSlotList:1
export P11FAULT_FAIL
cr inspect "pkcs11:token=edge;type=cert?module-path=$P11FAULT"
unset P11FAULT_FAIL
expect_rc 3
expect_no_stdout
expect_one_err_line "cannot list the slots of PKCS#11 module '$P11FAULT': CKR_DEVICE_ERROR"
# ---- a module that cannot be loaded (3), naming it
cr inspect "pkcs11:token=edge;type=cert?module-path=$WORK/no-such-module.so"
expect_rc 3
expect_one_err_line "$WORK/no-such-module.so"
# ---- module-path and module-name together: refused (2), the message names both
cr inspect "pkcs11:token=edge;type=cert?module-path=$SOFTHSM_MODULE&module-name=softhsm2"
expect_rc 2
expect_no_stdout
expect_one_err_line "both module-path and module-name given (use one)"

# ---- one bad source among good ones: the others are shown, the worst code wins (2 before 3)
cr inspect "$C/new.pem" "$WORK/missing.pem" "tls://127.0.0.1:$PWEB" "$C/old.pem"
expect_rc 2
expect_eq "$(grep -c '^  subject:' "$WORK/out")" 2 "certificates shown beside bad sources"
expect_err_contains "'$WORK/missing.pem'"
expect_err_contains "127.0.0.1:$PWEB"
cr inspect "$C/new.pem" "$WORK/missing.pem" --format json
expect_rc 2
json_check "assert isinstance(d, list) and len(d) == 1"

# ---- wrong PIN: exactly one C_Login, through the fault module; exit 3; said so
[ -f "$P11FAULT" ] || die "fault module '$P11FAULT' not built"
fix_clone
LOG=$WORK/p11fault.log
: >"$LOG"
WRONG="?module-path=$P11FAULT&pin-source=file:$FIX/wrong.pin"
P11FAULT_LOG=$LOG cr inspect "pkcs11:token=edge;object=mail-2026;type=cert$WRONG"
expect_rc 3
expect_no_crash
expect_eq "$(grep -c '^C_Login' "$LOG")" 1 "C_Login calls with a wrong PIN"
expect_one_err_line "PIN refused by token 'edge' (CKR_PIN_INCORRECT); not retried"
# the certificate is still shown, its key unknown for that reason
check_cert new
expect_line "private key:" "unknown (not logged in: PIN refused by token 'edge' (CKR_PIN_INCORRECT); not retried)"
# two sources on the same token in one run: still one C_Login; each source says why
: >"$LOG"
P11FAULT_LOG=$LOG cr inspect "pkcs11:token=edge;type=cert$WRONG" \
    "pkcs11:token=edge;object=mail-2026;type=cert$WRONG"
expect_rc 3
expect_eq "$(grep -c '^C_Login' "$LOG")" 1 "C_Login calls with a wrong PIN (two sources, one token)"
expect_eq "$(grep -c "PIN refused by token 'edge'" "$WORK/err")" 2 "stderr lines (one per source)"
expect_eq "$(grep -c '^  subject:' "$WORK/out")" 8 "certificates shown after a refused PIN"
expect_eq "$(grep -c '^  private key: *unknown (not logged in: PIN refused by token' "$WORK/out")" 8 \
    "keys unknown after a refused PIN"
expect_out_not_contains "present,"
P11FAULT_LOG=$LOG cr inspect "pkcs11:token=edge;object=mail-2026;type=cert$WRONG" --format json
expect_rc 3
json_check "
t = d[0]['token']
assert t['private_key']['present'] is None and 'PIN refused' in t['private_key']['note'], t
"
expect_eq "$(grep -c '^C_Login' "$LOG")" 2 "C_Login calls after a second run"

# ================================================================ the command line
cr inspect --help
expect_rc 0
expect_out_contains "usage: certrotate inspect SOURCE... [--format text|json]"
expect_out_contains "SNI is NAME, else HOST when it is a name"
cr inspect
expect_rc 2
expect_no_stdout
expect_err_contains "certrotate: inspect: no SOURCE given"
cr inspect --format yaml "$C/new.pem"
expect_rc 2
expect_err_contains "unknown format 'yaml'"
cr inspect --format
expect_rc 2
expect_err_contains "certrotate: inspect: option '--format' needs a value"
cr inspect "$C/new.pem" --format
expect_rc 2
expect_no_stdout
expect_err_contains "certrotate: inspect: option '--format' needs a value"
cr inspect "$C/new.pem" --frobnicate
expect_rc 2
expect_err_contains "unknown option '--frobnicate'"
cr --version
expect_rc 0
expect_out_matches "^certrotate [0-9]+\.[0-9]+\.[0-9]+$"
cr --help
expect_rc 0
expect_out_matches "^  inspect +show everything that identifies certificates$"
