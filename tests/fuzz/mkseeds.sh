#!/bin/sh
# tests/fuzz/mkseeds.sh FIXDIR - (re)writes the seed corpora tests/fuzz/corpus/*/
# from a fixture directory built by softhsm-fixtures/mkfixtures.sh, the
# examples and a few hand-written inputs.  Run from the repository root:
#   sh softhsm-fixtures/mkfixtures.sh /tmp/fix && sh tests/fuzz/mkseeds.sh /tmp/fix
# The seeds are committed (small: a few KB each); their certificates' dates
# do not matter to the harnesses.  Each harness's first byte picks a mode
# (see the harness): seeds are written with it.
set -eu
FIX=${1:?usage: mkseeds.sh FIXDIR}
C=tests/fuzz/corpus
mkdir -p "$C/certload" "$C/dn" "$C/names" "$C/uri" "$C/smtp" "$C/config"

# seed DIR NAME MODEBYTE FILE: MODEBYTE (decimal) then FILE's bytes
seed() {
	{ printf "\\$(printf '%03o' "$3")"; cat "$4"; } >"$C/$1/$2"
}
# seedstr DIR NAME MODEBYTE TEXT
seedstr() {
	{ printf "\\$(printf '%03o' "$3")"; printf '%s' "$4"; } >"$C/$1/$2"
}

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# ---- certificates: PEM with chain, DER, PKCS#12 (no password, "", "fuzz")
seed certload pem-chain 0 "$FIX/certs/new-chain.pem"
seed certload der 0 "$FIX/certs/old.der"
openssl x509 -in "$FIX/certs/default.pem" >"$T/d.pem"
cat "$FIX/certs/default.key" >>"$T/d.pem"
seed certload pem-with-key 0 "$T/d.pem"
openssl pkcs12 -export -in "$FIX/certs/default.pem" -inkey "$FIX/certs/default.key" \
    -passout pass:fuzz -out "$T/p.p12" 2>/dev/null
seed certload p12-fuzz 2 "$T/p.p12"
openssl pkcs12 -export -in "$FIX/certs/default.pem" -nokeys -passout pass: -out "$T/e.p12" 2>/dev/null
seed certload p12-empty 1 "$T/e.p12"
# a CN and a dNSName holding NUL, made as tests/e2e/t_untrusted.sh makes it
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/n.key" \
    -out "$T/n.pem" -days 30 -subj '/O=Contoso/CN=mail.contoso.com~.evil.example' \
    -addext 'subjectAltName=DNS:mail.contoso.com~.evil.example' 2>/dev/null
openssl x509 -in "$T/n.pem" -outform DER | python3 -c '
import sys
sys.stdout.buffer.write(sys.stdin.buffer.read().replace(b"com~.evil", b"com\x00.evil"))' >"$T/n.der"
seed certload der-nul 0 "$T/n.der"

# ---- DNs: texts (0), DER names of the fixtures (1), pairs (2, 3), identities (4)
seedstr dn text-windows 0 'CN=mail.contoso.com, O="Contoso, Ltd", S=Washington, C=US'
seedstr dn text-escapes 0 'CN=evil\x00.contoso.com + OU="a ""q"" \\x", OID.1.2.3.4=#03020041'
seedstr dn text-oid 0 'OID.2.5.4.3=x; 1.3.6.1.4.1.311.60.2.1.3=US; E=a@b; SERIALNUMBER=7'
i=0
for f in old new default other; do
	python3 - "$FIX/certs/$f.der" "$T/name$i" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
def tlv(b, i):
    n = b[i + 1]
    h = 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[i + 2:i + 2 + k], 'big')
        h = 2 + k
    return i + h, n, h
# Certificate > TBSCertificate > [version] serial sigalg issuer validity subject
i, n, h = tlv(d, 0)
i, n, h = tlv(d, i)
fields = []
j = i
while len(fields) < 6:
    s, n, h = tlv(d, j)
    fields.append(d[j:s + n])
    j = s + n
if fields[0][0] != 0xa0:
    fields.insert(0, b'')
open(sys.argv[2], 'wb').write(fields[3] + fields[5])   # issuer, subject
PY
	i=$((i + 1))
done
python3 - "$T" "$C/dn" <<'PY'
import sys, os
t, out = sys.argv[1], sys.argv[2]
for i in range(4):
    d = open(os.path.join(t, 'name%d' % i), 'rb').read()
    # issuer alone (mode 1); issuer and subject as a pair (mode 3: first byte = length)
    n = 2 + d[1] if d[1] < 0x80 else 2 + (d[1] & 0x7f) + int.from_bytes(d[2:2 + (d[1] & 0x7f)], 'big')
    open(os.path.join(out, 'der-%d' % i), 'wb').write(b'\x01' + d[:n])
    if n < 256:
        open(os.path.join(out, 'der-pair-%d' % i), 'wb').write(b'\x03' + bytes([n]) + d)
PY
seedstr dn pair-case 2 'CN=a, O=Contoso   Ltd
cn=A, o=contoso ltd'
seedstr dn pair-multi 2 'CN=a + OU=b, C=US
OU=b + CN=a, C=US'
seedstr dn ident-name 4 'name:<I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, O=Contoso, C=US'
seedstr dn ident-fuzz 4 'name:<I>CN=fuzz, O=x<S>cn=FUZZ,o=X'
seedstr dn ident-sha1 4 "sha1:$(printf '\342\200\216')5A 1B 2C 3D 4E 5F 6A 7B 8C 9D 0E 1F 2A 3B 4C 5D 6E 7F 8A 9B"

# ---- host names: name, then dNSNames / CN=...
printf 'mail.contoso.com\nmail.contoso.com\n*.contoso.com\nCN=cn.example\n' >"$C/names/san"
printf 'owa.contoso.com.\n*.CONTOSO.com.\nw*.contoso.com\n' >"$C/names/wildcard"
printf 'mail.contoso.com\nmail.contoso.com\000.evil.example\n' >"$C/names/nul"
printf 'host.example\nCN=host.example\nCN=*.example\n' >"$C/names/cn"
printf '10.0.0.5\n10.0.0.5\n' >"$C/names/ip"

# ---- URIs: PKCS#11 (0), tls:// (1), masking (2)
seedstr uri p11-object 0 'pkcs11:token=edge;object=mail-2026;type=cert?pin-source=file:edge.pin'
seedstr uri p11-id 0 'pkcs11:token=edge;id=%20;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so'
seedstr uri p11-pinvalue 0 'pkcs11:token=edge;pin-value=1234?module-name=softhsm2'
seedstr uri tls-smtp 1 'tls://[2001:db8::5]:25?sni=mx.contoso.com&starttls=smtp'
seedstr uri tls-zone 1 'tls://[fe80::1%25eth0]:443/?sni=a%2Eb'
seedstr uri mask 2 'file:a.p12?pass-source=s3cret&pin-source=file:/x;pin-value=1'

# ---- SMTP: the first byte cuts the server's stream into arrivals
seedstr smtp exchange 7 "$(printf '220-mx.test ESMTP\r\n220 ready\r\n250-mx.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n220 2.0.0 go ahead\r\n')"
seedstr smtp refused 1 "$(printf '554 5.7.1 no thanks\r\n')"
seedstr smtp notls 3 "$(printf '220 x\r\n250-x\r\n250 8BITMIME\r\n')"
seedstr smtp later 63 "$(printf '220 x\n250 STARTTLS\n454 4.7.0 later\n')"

# ---- configurations: the examples without @include
for d in examples/*/; do
	n=$(basename "$d")
	[ -f "$d/certrotate.cfg" ] || continue
	grep -q '@include' "$d/certrotate.cfg" && continue
	cp "$d/certrotate.cfg" "$C/config/$n.cfg"
done
