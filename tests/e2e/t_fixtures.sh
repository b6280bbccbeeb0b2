#!/bin/sh
# Smoke test of the test environment itself (no certrotate needed): the fixture
# PKI and tokens hold what softhsm-fixtures/LAYOUT.md promises, and lib.sh's
# nginx helpers serve the certificates tests rely on (SHA-1 old cert, token key,
# SNI with a default binding, SMTP STARTTLS).
. "$(dirname "$0")/lib.sh"

C=$FIX/certs
P=$FIX/pki

# ---------------------------------------------------------------- files
for f in env.sh softhsm2.conf pkcs11-engine.cnf edge.pin edge.so-pin spare.pin spare.so-pin \
    wrong.pin pki/root.pem pki/root.key pki/ca-a.pem pki/ca-a.key pki/ca-a2.pem pki/ca-a2.key \
    pki/other-root.pem certs/p12.pass; do
	[ -f "$FIX/$f" ] || fail "missing fixture file $f"
done
for n in old new ec expired default extractable noeku other; do
	for s in .pem .der .p12 -chain.pem; do
		[ -f "$C/$n$s" ] || fail "missing fixture file certs/$n$s"
	done
done
for n in old expired default extractable; do
	[ -f "$C/$n.key" ] || fail "missing software key certs/$n.key"
done
for n in new ec noeku other; do
	[ ! -e "$C/$n.key" ] || fail "certs/$n.key exists but that key lives only on a token"
done
expect_eq "$(stat -c %a "$FIX/tokens")" 700 "mode of tokens/"
for f in edge.pin spare.pin wrong.pin edge.so-pin spare.so-pin; do
	expect_eq "$(stat -c %a "$FIX/$f")" 600 "mode of $f"
done
[ "$(cat "$FIX/wrong.pin")" != "$(cat "$FIX/edge.pin")" ] &&
	[ "$(cat "$FIX/wrong.pin")" != "$(cat "$FIX/spare.pin")" ] || fail "wrong.pin holds a right PIN"

# ---------------------------------------------------------------- PKI
# describe FILE: one openssl call ->
#   issuer|subject|sigalg|SAN|EKU|key|notBefore|notAfter (both in whole days from now)
now=$(date +%s)
describe() {
	openssl x509 -in "$1" -noout -text -nameopt RFC2253 | awk -v now="$now" '
		function days(d,  cmd, t) {
			cmd = "date -u -d \"" d "\" +%s"; cmd | getline t; close(cmd)
			t = (t - now) / 86400
			return t >= 0 ? int(t + 0.5) : -int(-t + 0.5)
		}
		/^ *Signature Algorithm:/ && sig == "" { sub(/^ *Signature Algorithm: */, ""); sig = $0 }
		/^ *Issuer:/  { sub(/^ *Issuer: */, "");  iss = $0 }
		/^ *Subject:/ { sub(/^ *Subject: */, ""); subj = $0 }
		/^ *Not Before:/ { sub(/^ *Not Before: */, ""); nb = days($0) }
		/^ *Not After :/ { sub(/^ *Not After : */, ""); na = days($0) }
		/Public-Key:/ { key = $0; sub(/^.*\(/, "", key); sub(/\).*/, "", key) }
		/NIST CURVE:/ { key = key " " $3 }
		want != "" { v = $0; sub(/^ */, "", v); out[want] = v; want = "" }
		/X509v3 Subject Alternative Name:/ { want = "san" }
		/X509v3 Extended Key Usage:/ { want = "eku" }
		END { printf "%s|%s|%s|%s|%s|%s|%s|%s\n", iss, subj, sig, out["san"], out["eku"], key, nb, na }'
}

R="CN=Contoso Root CA,O=Contoso,C=US"
A="CN=Contoso Issuing CA 1,O=Contoso,C=US"
A2="CN=Contoso Issuing CA 1,O=Contoso Ltd,C=US"
F="CN=Fabrikam Root CA,O=Fabrikam,C=US"
MAIL="CN=mail.contoso.com,O=Contoso,C=US"
SAN3="DNS:mail.contoso.com, DNS:autodiscover.contoso.com, DNS:legacy.contoso.com"
SRV="TLS Web Server Authentication"
RSA="2048 bit"
# file|issuer|subject|signature|SAN|EKU|key|notBefore|notAfter (days from now)
while IFS='|' read -r f want; do
	[ -n "$f" ] || continue
	expect_eq "$(describe "$FIX/$f")" "$want" "$f"
done <<EOF
pki/root.pem|$R|$R|sha256WithRSAEncryption|||$RSA|-800|3650
pki/ca-a.pem|$R|$A|sha256WithRSAEncryption|||$RSA|-700|1825
pki/ca-a2.pem|$R|$A2|sha256WithRSAEncryption|||$RSA|-700|1825
pki/other-root.pem|$F|$F|sha256WithRSAEncryption|||$RSA|-800|3650
certs/old.pem|$A|$MAIL|sha1WithRSAEncryption|$SAN3, DNS:cas01.contoso.local|$SRV|$RSA|-300|20
certs/new.pem|$A2|$MAIL|sha256WithRSAEncryption|$SAN3|$SRV|$RSA|-1|365
certs/ec.pem|$A2|$MAIL|sha256WithRSAEncryption|$SAN3|$SRV|256 bit P-256|-1|365
certs/expired.pem|$A|$MAIL|sha256WithRSAEncryption|DNS:mail.contoso.com|$SRV|$RSA|-400|-10
certs/default.pem|CN=cas01|CN=cas01|sha256WithRSAEncryption|DNS:cas01, DNS:cas01.contoso.local|$SRV|$RSA|-1|1825
certs/extractable.pem|$A2|$MAIL|sha256WithRSAEncryption|$SAN3|$SRV|$RSA|-1|365
certs/noeku.pem|$A2|$MAIL|sha256WithRSAEncryption|DNS:mail.contoso.com|TLS Web Client Authentication|$RSA|-1|365
certs/other.pem|$A2|CN=other.contoso.com,O=Contoso,C=US|sha256WithRSAEncryption|DNS:other.contoso.com|$SRV|$RSA|-1|365
EOF

# NAME.der is NAME.pem; NAME-chain.pem is NAME.pem followed by the issuing CA
for n in old new ec expired default extractable noeku other; do
	expect_eq "$(sed '1d;$d' "$C/$n.pem" | base64 -d | sha256sum)" "$(sha256sum <"$C/$n.der")" "certs/$n.der"
done
for pair in old:ca-a new:ca-a2 ec:ca-a2 expired:ca-a extractable:ca-a2 noeku:ca-a2 other:ca-a2; do
	cat "$C/${pair%%:*}.pem" "$P/${pair#*:}.pem" | cmp -s - "$C/${pair%%:*}-chain.pem" ||
		fail "certs/${pair%%:*}-chain.pem is not ${pair%%:*}.pem + pki/${pair#*:}.pem"
done
expect_file_eq "$C/default-chain.pem" "$C/default.pem"

verify() { openssl verify -x509_strict -purpose sslserver -CAfile "$P/root.pem" -untrusted "$2" "$1" >/dev/null 2>&1; }

# chains: leaves verify to the root for TLS server use (old needs SHA-1: level 0)
verify "$C/new.pem" "$P/ca-a2.pem" || fail "new does not verify via ca-a2 to root"
verify "$C/ec.pem" "$P/ca-a2.pem" || fail "ec does not verify via ca-a2 to root"
openssl verify -auth_level 0 -purpose sslserver -CAfile "$P/root.pem" -untrusted "$P/ca-a.pem" \
    "$C/old.pem" >/dev/null 2>&1 || fail "old does not verify via ca-a to root at auth level 0"
! openssl verify -auth_level 1 -purpose sslserver -CAfile "$P/root.pem" -untrusted "$P/ca-a.pem" \
    "$C/old.pem" >/dev/null 2>&1 || fail "old (SHA-1) verifies at auth level 1"
! verify "$C/noeku.pem" "$P/ca-a2.pem" || fail "noeku verifies for TLS server use"
! verify "$C/new.pem" "$P/ca-a.pem" || fail "new verifies via ca-a (issuers must differ)"
! openssl verify -CAfile "$P/other-root.pem" -untrusted "$P/ca-a2.pem" "$C/new.pem" >/dev/null 2>&1 ||
	fail "new verifies to other-root"

# PKCS#12: software-key files carry the key, token-key files only certificates
for n in old expired default extractable; do
	openssl pkcs12 -in "$C/$n.p12" -passin "file:$C/p12.pass" -nodes 2>/dev/null | grep -q 'PRIVATE KEY' ||
		fail "$n.p12 lacks the private key"
done
for n in new ec noeku other; do
	out=$(openssl pkcs12 -in "$C/$n.p12" -passin "file:$C/p12.pass" -nodes 2>/dev/null) || fail "$n.p12 unreadable"
	case $out in *"PRIVATE KEY"*) fail "$n.p12 holds a private key" ;; esac
	[ "$(printf '%s\n' "$out" | grep -c 'BEGIN CERTIFICATE')" = 2 ] || fail "$n.p12 does not hold leaf + issuing CA"
done

# ---------------------------------------------------------------- tokens
# objects TOKEN: one line per object: "class label id access"
objects() {
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$1" --login --pin "$(head -n 1 "$FIX/$1.pin")" \
	    --list-objects 2>/dev/null | awk '
		function flush() { if (cls != "") printf "%s %s %s %s\n", cls, label, id, access; cls = "" }
		/^Certificate Object/ { flush(); cls = "cert"; label = id = access = "-"; next }
		/^Private Key Object/ { flush(); cls = "priv"; label = id = access = "-"; next }
		/^Public Key Object/  { flush(); cls = "pub";  label = id = access = "-"; next }
		/^[A-Z]/ { flush(); next }
		/^  label:/  { sub(/^  label: */, ""); label = $0 }
		/^  ID:/     { id = $2 }
		/^  Access:/ { sub(/^  Access: */, ""); gsub(/, /, ","); access = $0 }
		END { flush() }' | sort
}
objects edge >"$WORK/edge.objects"
objects spare >"$WORK/spare.objects"
cat >"$WORK/edge.want" <<'EOF'
cert default 50 -
cert ec-2026 30 -
cert expired 40 -
cert extractable 60 -
cert mail-2025 10 -
cert mail-2026 20 -
cert noeku 70 -
priv default 50 sensitive
priv ec-2026 30 sensitive,always sensitive,never extractable,local
priv expired 40 sensitive
priv extractable 60 extractable
priv mail-2025 10 sensitive
priv mail-2026 20 sensitive,always sensitive,never extractable,local
priv noeku 70 sensitive,always sensitive,never extractable,local
pub ec-2026 30 local
pub mail-2026 20 local
pub noeku 70 local
EOF
cat >"$WORK/spare.want" <<'EOF'
cert other 01 -
priv other 01 sensitive,always sensitive,never extractable,local
pub other 01 local
EOF
expect_file_eq "$WORK/edge.objects" "$WORK/edge.want"
expect_file_eq "$WORK/spare.objects" "$WORK/spare.want"

# without login the certificates are visible and the private keys are not (CKA_PRIVATE)
nolog=$(pkcs11-tool --module "$SOFTHSM_MODULE" --token-label edge --list-objects 2>/dev/null)
expect_eq "$(printf '%s\n' "$nolog" | grep -c '^Certificate Object')" 7 "certificates visible without login"
expect_eq "$(printf '%s\n' "$nolog" | grep -c '^Private Key Object')" 0 "private keys visible without login"

# certificates on the tokens are the files' certificates
for pair in 10:old 20:new 30:ec 40:expired 50:default 60:extractable 70:noeku; do
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label edge --read-object --type cert \
	    --id "${pair%%:*}" -o "$WORK/tok.der" >/dev/null 2>&1 || fail "cannot read cert ${pair%%:*} from edge"
	expect_file_eq "$WORK/tok.der" "$C/${pair#*:}.der"
done
pkcs11-tool --module "$SOFTHSM_MODULE" --token-label spare --read-object --type cert --id 01 \
    -o "$WORK/tok.der" >/dev/null 2>&1 || fail "cannot read cert 01 from spare"
expect_file_eq "$WORK/tok.der" "$C/other.der"

# the on-token public keys are the certificates' keys
for pair in 20:new 30:ec 70:noeku; do
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label edge --read-object --type pubkey \
	    --id "${pair%%:*}" -o "$WORK/pub.der" >/dev/null 2>&1
	a=$(openssl pkey -pubin -inform DER -in "$WORK/pub.der" 2>/dev/null)
	b=$(openssl x509 -in "$C/${pair#*:}.pem" -noout -pubkey)
	[ -n "$a" ] && [ "$a" = "$b" ] || fail "public key ${pair%%:*} on edge differs from certs/${pair#*:}.pem"
done

# the new key cannot be read off the token; it signs (and the signature verifies)
echo "certrotate fixture test" >"$WORK/data"
pin=$(head -n 1 "$FIX/edge.pin")
pkcs11-tool --module "$SOFTHSM_MODULE" --token-label edge --login --pin "$pin" --sign --id 20 \
    -m SHA256-RSA-PKCS -i "$WORK/data" -o "$WORK/sig" >/dev/null 2>&1 || fail "cannot sign with key 20"
openssl x509 -in "$C/new.pem" -noout -pubkey >"$WORK/new.pub"
openssl dgst -sha256 -verify "$WORK/new.pub" -signature "$WORK/sig" "$WORK/data" >/dev/null 2>&1 ||
	fail "signature by key 20 does not verify with certs/new.pem"
grep -q '^priv mail-2026 20 .*never extractable' "$WORK/edge.objects" || fail "new key is extractable"

# ---------------------------------------------------------------- servers
p_old=$(free_port) p_tok=$(free_port) p_sni=$(free_port) p_smtp=$(free_port)

nginx_start old "$(https_conf "$p_old" "$C/old-chain.pem" "$C/old.key")"
nginx_start token "$(https_conf "$p_tok" "$C/new-chain.pem" "$(token_key mail-2026)")"
nginx_start sni "$(http_block \
	"$(https_server "$p_sni" "$C/default.pem" "$C/default.key")" \
	"$(https_server "$p_sni" "$C/old-chain.pem" "$C/old.key" mail.contoso.com)" \
	"$(https_server "$p_sni" "$C/new-chain.pem" "$(token_key mail-2026)" autodiscover.contoso.com)")"
nginx_start smtp "$(smtp_conf "$p_smtp" "$C/old-chain.pem" "$C/old.key")"

der_sha256() { sha256sum <"$1" | cut -c1-64 | tr a-f A-F; }
OLD=$(der_sha256 "$C/old.der")
NEW=$(der_sha256 "$C/new.der")
DEF=$(der_sha256 "$C/default.der")
expect_eq "$(cert_sha256 "$C/old.pem")" "$OLD" "cert_sha256"
expect_eq "$(cert_sha1 "$C/old.pem")" "$(sha1sum <"$C/old.der" | cut -c1-40 | tr a-f A-F)" "cert_sha1"

expect_eq "$(tls_sha256 "127.0.0.1:$p_old")" "$OLD" "HTTPS old (SHA-1) endpoint"
expect_eq "$(tls_sha256 "127.0.0.1:$p_old" mail.contoso.com)" "$OLD" "HTTPS old endpoint with SNI"
expect_eq "$(tls_sha256 "127.0.0.1:$p_tok")" "$NEW" "HTTPS endpoint with the token key"
expect_eq "$(tls_sha256 "127.0.0.1:$p_sni")" "$DEF" "SNI endpoint without SNI"
expect_eq "$(tls_sha256 "127.0.0.1:$p_sni" mail.contoso.com)" "$OLD" "SNI endpoint, mail.contoso.com"
expect_eq "$(tls_sha256 "127.0.0.1:$p_sni" autodiscover.contoso.com)" "$NEW" "SNI endpoint, autodiscover.contoso.com"
expect_eq "$(tls_sha256 "127.0.0.1:$p_sni" unknown.contoso.com)" "$DEF" "SNI endpoint, unknown name"
expect_eq "$(tls_sha256 "127.0.0.1:$p_smtp" - smtp)" "$OLD" "SMTP STARTTLS endpoint"

# the old endpoint sends leaf + issuing CA
n=$(timeout 10 openssl s_client -connect "127.0.0.1:$p_old" -showcerts -cipher 'DEFAULT:@SECLEVEL=0' \
	</dev/null 2>/dev/null | grep -c 'BEGIN CERTIFICATE')
expect_eq "$n" 2 "certificates sent by the old endpoint"

# the token endpoint really completes a handshake with the token key (TLS 1.2 and 1.3)
for v in -tls1_2 -tls1_3; do
	timeout 10 openssl s_client -connect "127.0.0.1:$p_tok" "$v" -CAfile "$P/root.pem" \
	    -verify_return_error -verify_hostname mail.contoso.com </dev/null >"$WORK/s_client" 2>&1 ||
		fail "handshake $v with the token-key endpoint failed: $(tail -n 3 "$WORK/s_client")"
done

# SMTP: after STARTTLS the session goes on (EHLO answered, QUIT closes)
resp=$(printf 'EHLO probe.example\nQUIT\n' | timeout 10 openssl s_client -quiet -crlf \
	-connect "127.0.0.1:$p_smtp" -starttls smtp -cipher 'DEFAULT:@SECLEVEL=0' 2>/dev/null)
case $resp in *"250"*"221"*) ;; *) fail "SMTP session after STARTTLS: '$resp'" ;; esac

# stopping one instance closes its port and leaves the others
nginx_stop old
[ -z "$(ss -Hltn "sport = :$p_old")" ] || fail "port $p_old still open after nginx_stop"
expect_eq "$(tls_sha256 "127.0.0.1:$p_tok")" "$NEW" "token endpoint after stopping another"
