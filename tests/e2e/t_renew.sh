#!/bin/sh
# End-to-end tests of `certrotate renew` on a private copy of the fixture
# tokens: the key pair generated on the token (private, sensitive, never
# extractable, sign only), the request verified and its SAN exactly the union
# of the services' names, a test CA signing it, the certificate imported and
# `check` proving the key; every refusal leaving the token as it was (objects
# listed before and after), a wrong PIN tried once; the seed 003 request with
# the names of two certificates; plan and check before the CA has signed.
. "$(dirname "$0")/lib.sh"
need_certrotate
[ -f "$P11FAULT" ] || die "fault module '$P11FAULT' not built"
fix_clone

PIN=$(head -n 1 "$FIX/edge.pin")
OLD_URI="pkcs11:token=edge;object=mail-2025;type=cert"
LOG=$WORK/p11.log

# objects [TOKEN] [nologin]: the token's objects, one line each (pkcs11-tool's
# lines of an object joined), sorted: SoftHSM2 lists in no fixed order
objects() {
	_t=${1:-edge}
	if [ "${2:-}" = nologin ]; then
		set --
	else
		set -- --login --pin "$(head -n 1 "$FIX/$_t.pin")"
	fi
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$_t" "$@" --list-objects 2>/dev/null |
	    awk '/^[^ ]/ { if (r != "") print r; r = $0; next } { sub(/^ +/, ""); r = r " | " $0 }
	        END { if (r != "") print r }' | sort
}
snap() {
	objects >"$WORK/objs.$1"
	# the fixture token holds 17 objects: an empty listing would compare equal
	[ "$(wc -l <"$WORK/objs.$1")" -ge 17 ] || die "cannot list the objects of token edge"
}
# unchanged NAME WHAT: the token lists what it listed at snap NAME
unchanged() {
	objects >"$WORK/objs.now"
	cmp -s "$WORK/objs.$1" "$WORK/objs.now" || {
		fail "$2: the token changed"
		diff "$WORK/objs.$1" "$WORK/objs.now" | sed 's/^/  /' >&2
	}
}

# cfg NAME: a configuration in $WORK/NAME/certrotate.cfg (fix linked beside it)
# from the rotation's NAME (default mail-2027), KEY (default object mail-2027,
# no id), NEW, ROT_EXTRA,
# TOKENS and stdin (hosts and services); sets CFG, resets the variables.
EDGE_TOKENS='tokens = ( { uri = "pkcs11:token=edge"; pin_source = "file:fix/edge.pin"; } );'
cfg() {
	mkdir -p "$WORK/$1"
	ln -sfn "$FIX" "$WORK/$1/fix"
	{
		printf 'rotation = {\n  name = "%s";\n  old = "%s";\n' "${NAME:-mail-2027}" "$OLD_URI"
		printf '  new = "%s";\n  key = "%s";\n' "${NEW:-file:new.pem}" \
		    "${KEY:-pkcs11:token=edge;object=mail-2027;type=private}"
		printf '  chain = [ "file:fix/pki/ca-a2.pem" ];\n  trust = [ "file:fix/pki/root.pem" ];\n'
		printf '  %s\n};\n%s\n' "${ROT_EXTRA:-}" "${TOKENS:-$EDGE_TOKENS}"
		cat
	} >"$WORK/$1/certrotate.cfg"
	CFG=$WORK/$1/certrotate.cfg
	DIR=$WORK/$1
	unset KEY NEW NAME ROT_EXTRA TOKENS
}

# sans FILE.csr: the request's subjectAltName entries, one per line, as written
sans() {
	openssl req -in "$1" -noout -text 2>/dev/null |
	    awk '/Subject Alternative Name/ { getline; print; exit }' |
	    tr ',' '\n' | sed 's/^ *//; /^$/d'
}

MAIL_SERVICES='
hosts = ( { name = "cas2"; accepts = { signature = [ "sha256WithRSAEncryption", "sha1WithRSAEncryption" ];
                                       key = [ "rsa:2048-4096" ]; }; },
          { name = "mx1"; } );
services = (
  { name = "owa"; host = "cas2"; names = [ "Mail.Contoso.com", "autodiscover.contoso.com", "legacy.contoso.com." ]; },
  { name = "smtp"; host = "mx1"; names = [ "mail.contoso.com", "smtp.contoso.com" ]; }
);'

# ------------------------------------------------------------- the whole cycle
cfg cycle <<END
$MAIL_SERVICES
END
snap cycle
cr renew -c "$CFG" -o "$DIR/req.csr"
expect_rc 0
expect_out_contains "renew of rotation 'mail-2027': new key pair generated on token 'edge'"
expect_out_contains "RSA 2048: private, sensitive, never extractable, sign only; public key beside it"
expect_out_contains "key type   RSA 2048 -> RSA 2048 (as the old certificate)"
expect_out_contains "subject    CN=mail.contoso.com, O=Contoso, C=US (as the old certificate)"
expect_out_contains "names      autodiscover.contoso.com, legacy.contoso.com, mail.contoso.com, smtp.contoso.com"
expect_out_contains "dropped    cas01.contoso.local (the old certificate has it, no service lists it)"
expect_out_contains "gained     smtp.contoso.com (services use it, the old certificate lacked it: clients using it got errors)"
expect_out_contains "signature  sha256WithRSAEncryption (1.2.840.113549.1.1.11)"
expect_out_contains "host 'cas2' validates only sha256WithRSAEncryption, sha1WithRSAEncryption: the CA must sign"
expect_out_contains "request    written to '$DIR/req.csr'"
expect_out_not_contains "(null)"
[ "$(stat -c %a "$DIR/req.csr")" = 600 ] || fail "the request is not 0600"
URI=$(sed -n 's/^  set rotation.key = "\(.*\)" (the CKA_ID was chosen here)$/\1/p' "$WORK/out")
case $URI in
"pkcs11:token=edge;object=mail-2027;type=private;id=%"*) ;;
*) fail "no rotation.key to set, or not the label and a chosen id: '$URI'" ;;
esac
ID=$(sed -n "s/^ *label 'mail-2027', CKA_ID \([0-9A-F]*\) (chosen)$/\1/p" "$WORK/out")
expect_eq "${#ID}" 16 "length of the chosen CKA_ID in hex"

# two objects more: the private key and the public key, both mail-2027 with that id
objects >"$WORK/objs.after"
expect_eq "$(wc -l <"$WORK/objs.after")" "$(($(wc -l <"$WORK/objs.cycle") + 2))" "objects after renew"
idl=$(printf '%s' "$ID" | tr 'A-F' 'a-f')
priv=$(grep '^Private Key Object' "$WORK/objs.after" | grep "label: *mail-2027 " || true)
printf '%s\n' "$priv" | grep -q "ID: *$idl " || fail "private key mail-2027 with CKA_ID $idl not listed: $priv"
printf '%s\n' "$priv" | grep -q "Usage: *sign |" || fail "the private key is not sign-only: $priv"
printf '%s\n' "$priv" | grep -q "Access: *sensitive, always sensitive, never extractable, local" ||
    fail "the private key is not sensitive and never extractable: $priv"
grep '^Public Key Object' "$WORK/objs.after" | grep "label: *mail-2027 " | grep -q "ID: *$idl " ||
    fail "no public key mail-2027 beside it"
# private: without login the public key shows, the private key does not
objects edge nologin >"$WORK/objs.nologin"
grep -q "^Public Key Object.*label: *mail-2027 " "$WORK/objs.nologin" || fail "public key not public"
! grep -q "^Private Key Object.*label: *mail-2027 " "$WORK/objs.nologin" ||
    fail "the private key is listed without login: not CKA_PRIVATE"

# the request: its signature verifies, its SAN is exactly the union, serverAuth requested
openssl req -in "$DIR/req.csr" -noout -verify >"$WORK/verify" 2>&1 ||
    fail "openssl req -verify failed: $(cat "$WORK/verify")"
grep -q "verify OK" "$WORK/verify" || fail "openssl req -verify: $(cat "$WORK/verify")"
expect_eq "$(sans "$DIR/req.csr" | tr '\n' ' ')" \
    "DNS:autodiscover.contoso.com DNS:legacy.contoso.com DNS:mail.contoso.com DNS:smtp.contoso.com " \
    "SAN of the request"
openssl req -in "$DIR/req.csr" -noout -text >"$WORK/req.txt" 2>&1
grep -q "TLS Web Server Authentication" "$WORK/req.txt" || fail "serverAuth not requested"
grep -q "Subject: C = US, O = Contoso, CN = mail.contoso.com" "$WORK/req.txt" || fail "subject"
grep -q "Signature Algorithm: sha256WithRSAEncryption" "$WORK/req.txt" || fail "signature algorithm"
# the request's key is the token's: the public key object holds the same modulus
openssl req -in "$DIR/req.csr" -noout -pubkey >"$WORK/req.pub"
pkcs11-tool --module "$SOFTHSM_MODULE" --token-label edge --read-object --type pubkey \
    --label mail-2027 -o "$WORK/tok.pub.der" >/dev/null 2>&1 || fail "cannot read the public key object"
openssl pkey -pubin -inform DER -in "$WORK/tok.pub.der" -out "$WORK/tok.pub" 2>/dev/null
expect_file_eq "$WORK/req.pub" "$WORK/tok.pub"

# a test CA signs it (the request's extensions copied), the certificate goes on the token
mkdir -p "$WORK/ca"
: >"$WORK/ca/index.txt"
cat >"$WORK/ca/ca.cnf" <<EOF
[ca]
default_ca = test_ca
[test_ca]
database = $WORK/ca/index.txt
new_certs_dir = $WORK/ca
rand_serial = yes
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[any]
commonName = optional
EOF
openssl ca -config "$WORK/ca/ca.cnf" -batch -notext -cert "$FIX/pki/ca-a2.pem" \
    -keyfile "$FIX/pki/ca-a2.key" -days 365 -preserveDN -in "$DIR/req.csr" -out "$DIR/new.pem" \
    >"$WORK/ca.log" 2>&1 || die "openssl ca failed: $(tail -5 "$WORK/ca.log")"
openssl x509 -in "$DIR/new.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "DNS:smtp.contoso.com" ||
    fail "the CA did not copy the SAN"
openssl x509 -in "$DIR/new.pem" -outform DER -out "$DIR/new.der"
pkcs11-tool --module "$SOFTHSM_MODULE" --token-label edge --login --pin "$PIN" \
    --write-object "$DIR/new.der" --type cert --id "$idl" --label mail-2027 >/dev/null 2>&1 ||
    die "cannot import the signed certificate"

# check proves the key with a test signature: the certificate on the token and in the file
KEY=$URI NEW="pkcs11:token=edge;object=mail-2027;type=cert" cfg checked <<END
$MAIL_SERVICES
END
cr check -c "$CFG" --no-probe
expect_out_contains "pass  new.key            key $URI: key 'mail-2027' (CKA_ID $ID) on token 'edge' matches the new certificate and a test signature verifies"
expect_out_contains "pass  new.key-protection"
expect_out_not_contains "FAIL"
expect_rc 0
KEY=$URI cfg checked-file <<END
$MAIL_SERVICES
END
cp "$WORK/cycle/new.pem" "$DIR/new.pem"
cr check -c "$CFG" --no-probe
expect_out_contains "pass  new.key"
expect_rc 0

# ------------------------------------------------------------- before the CA signed, before renew
KEY=$URI NEW="file:not-yet.pem" cfg unsigned <<END
$MAIL_SERVICES
END
cr plan -c "$CFG"
expect_rc 1
expect_err_contains "rotation.new: cannot read 'not-yet.pem'"
expect_err_contains "not issued yet? 'certrotate renew' makes the key and the request; have the CA sign it"
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  new.load"
expect_out_contains "not issued yet?"
KEY="pkcs11:token=edge;object=mail-2099;type=private" NEW="pkcs11:token=edge;object=mail-2099;type=cert" \
    cfg notoken <<END
$MAIL_SERVICES
END
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "not issued yet?"
KEY="pkcs11:token=edge;object=mail-2099;type=private" NEW="file:fix/certs/new.pem" cfg nokey <<END
$MAIL_SERVICES
END
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  new.key"
expect_out_contains "no private key on token 'edge' matches 'pkcs11:token=edge;object=mail-2099;type=private': run 'certrotate renew' first"

# ------------------------------------------------------------- refusals: the token unchanged
snap refuse
KEY="pkcs11:token=edge;object=mail-2026;type=private" cfg label-taken <<END
$MAIL_SERVICES
END
cr renew -c "$CFG" -o "$DIR/req.csr"
expect_rc 1
expect_err_contains "token 'edge' already holds a"
expect_err_contains "labelled 'mail-2026' (CKA_ID 20): not generated"
unchanged refuse "label taken"
[ ! -e "$DIR/req.csr" ] || fail "a request was written although renew refused"

KEY="pkcs11:token=edge;object=mail-2030;id=%20;type=private" cfg id-taken <<END
$MAIL_SERVICES
END
cr renew -c "$CFG"
expect_rc 1
expect_err_contains "with CKA_ID 20 ('mail-2026'): not generated"
expect_out_not_contains "BEGIN CERTIFICATE REQUEST"
unchanged refuse "id taken"

KEY="pkcs11:token=edge;object=mail-2030;type=private" cfg keytype <<'END'
hosts = ( { name = "cas2"; accepts = { key = [ "rsa:2048" ]; }; }, { name = "web"; } );
services = ( { name = "owa"; host = "cas2"; names = [ "mail.contoso.com" ]; } );
END
cr renew -c "$CFG" --key-type ec:prime256v1
expect_rc 1
expect_err_contains "key type ec:prime256v1 is not accepted by host 'cas2' (accepts.key: rsa:2048): no key was generated, nothing was changed"
unchanged refuse "key type not accepted"
cr renew -c "$CFG" --key-type dsa:1024
expect_rc 2
expect_err_contains "unknown key type 'dsa:1024'"
unchanged refuse "unknown key type"

: >"$DIR/exists.csr"
KEY="pkcs11:token=edge;object=mail-2030;type=private" cfg exists <<END
$MAIL_SERVICES
END
: >"$DIR/exists.csr"
cr renew -c "$CFG" -o "$DIR/exists.csr"
expect_rc 2
expect_err_contains "exists: renew never replaces a request"
unchanged refuse "-o exists"
# the request goes to stdout and cannot be written: the key pair goes too
rc=0
$RUN "$CERTROTATE" renew -c "$CFG" >/dev/full 2>"$WORK/err" || rc=$?
_lib_last="certrotate renew -c $CFG >/dev/full"
expect_rc 3
expect_err_contains "cannot write the request to stdout: No space left on device; the new key pair was removed again, nothing was changed"
unchanged refuse "stdout full"

# a wrong PIN: exactly one C_Login, exit 3, nothing generated
TOKENS="tokens = ( { uri = \"pkcs11:token=edge\"; module = \"$P11FAULT\"; pin_source = \"file:fix/wrong.pin\"; } );" \
    KEY="pkcs11:token=edge;object=mail-2030;type=private" cfg wrongpin <<END
$MAIL_SERVICES
END
: >"$LOG"
P11FAULT_LOG=$LOG cr renew -c "$CFG" -o "$DIR/req.csr"
expect_rc 3
expect_err_contains "PIN refused by token 'edge' (CKR_PIN_INCORRECT); not retried"
expect_eq "$(grep -c '^C_Login' "$LOG")" 1 "C_Login calls with a wrong PIN"
expect_eq "$(grep -c '^C_GenerateKeyPair' "$LOG")" 0 "C_GenerateKeyPair calls with a wrong PIN"
unchanged refuse "wrong PIN"

# a token at its final PIN try: no login at all, unless --force-login
TOKENS="tokens = ( { uri = \"pkcs11:token=edge\"; module = \"$P11FAULT\"; pin_source = \"file:fix/edge.pin\"; } );" \
    KEY="pkcs11:token=edge;object=mail-2031;type=private" cfg finaltry <<END
$MAIL_SERVICES
END
: >"$LOG"
P11FAULT_LOG=$LOG P11FAULT_FINAL_TRY=1 cr renew -c "$CFG" -o "$DIR/req.csr"
expect_rc 3
expect_err_contains "reports its final PIN try (CKF_USER_PIN_FINAL_TRY): PIN not tried"
expect_eq "$(grep -c '^C_Login' "$LOG")" 0 "C_Login calls on a final-try token"
unchanged refuse "final try"

# the token fails while generating, or while signing the request: nothing stays
P11FAULT_FAIL=C_GenerateKeyPair:1 cr renew -c "$CFG" -o "$DIR/req.csr"
expect_rc 3
expect_err_contains "cannot generate the key pair 'mail-2031' (CKA_ID "
unchanged refuse "C_GenerateKeyPair failing"
P11FAULT_FAIL=C_Sign:1 cr renew -c "$CFG" -o "$DIR/req.csr"
expect_rc 3
expect_err_contains "cannot sign with key 'mail-2031' on token 'edge': CKR_DEVICE_ERROR"
expect_err_contains "the new key pair was removed again, nothing was changed"
unchanged refuse "C_Sign failing"
[ ! -e "$DIR/req.csr" ] || fail "a request was written although signing failed"

: >"$LOG"
P11FAULT_LOG=$LOG P11FAULT_FINAL_TRY=1 cr renew -c "$CFG" -o "$DIR/req.csr" --force-login
expect_rc 0
expect_eq "$(grep -c '^C_Login' "$LOG")" 1 "C_Login calls with --force-login"
expect_eq "$(grep -c '^C_GenerateKeyPair' "$LOG")" 1 "C_GenerateKeyPair calls"
openssl req -in "$DIR/req.csr" -noout -verify >/dev/null 2>&1 || fail "request after --force-login"

# ------------------------------------------------------------- seed 003: two certificates' names in one
# The web certificate (remote.contoso.com, OWA) and the transport certificate
# (the server's own names, EdgeSync) become one: the request keeps both sets.
NAME=ebs-2027 KEY="pkcs11:token=edge;type=private" cfg seed003 <<'END'
hosts = ( { name = "ebs01"; } );
services = (
  { name = "web"; host = "ebs01"; kind = "iis"; names = [ "remote.contoso.com", "Mail.Contoso.com" ]; },
  { name = "edgesync"; host = "ebs01"; kind = "exchange"; names = [ "EBS01.contoso.local", "ebs01" ]; }
);
END
cr renew -c "$CFG"
expect_rc 0
# no -o: the report, then the request (PEM readers skip the text before it)
cp "$WORK/out" "$DIR/stdout.csr"
openssl req -in "$DIR/stdout.csr" -noout -verify >/dev/null 2>&1 || fail "the request on stdout does not verify"
expect_eq "$(sans "$DIR/stdout.csr" | tr '\n' ' ')" \
    "DNS:ebs01 DNS:ebs01.contoso.local DNS:mail.contoso.com DNS:remote.contoso.com " \
    "SAN of the seed 003 request"
expect_out_contains "label 'ebs-2027' (chosen), CKA_ID "
expect_out_contains "set rotation.key = \"pkcs11:token=edge;type=private;object=ebs-2027;id=%"
expect_out_contains "gained     ebs01, ebs01.contoso.local, remote.contoso.com"
expect_out_contains "dropped    autodiscover.contoso.com, legacy.contoso.com, cas01.contoso.local"

# ------------------------------------------------------------- SHA-1-only host, EC key, JSON, rotation.subject
KEY="pkcs11:token=edge;object=sha1-2027;type=private" cfg sha1 <<'END'
hosts = ( { name = "cas2"; accepts = { signature = [ "sha1WithRSAEncryption" ]; }; } );
services = ( { name = "owa"; host = "cas2"; names = [ "mail.contoso.com" ]; } );
END
cr renew -c "$CFG" -o "$DIR/req.csr"
expect_rc 0
expect_out_contains "signature  sha1WithRSAEncryption (1.2.840.113549.1.1.5)"
expect_out_contains "the request is signed with sha1WithRSAEncryption because 'cas2' accepts no other digest: the CA must sign the certificate with SHA-1 too"
expect_out_contains "host 'cas2' validates only sha1WithRSAEncryption: the CA must sign the new certificate (and any intermediate sent with it) with it, or 'cas2' breaks - SHA-1"
openssl req -in "$DIR/req.csr" -noout -text 2>/dev/null | grep -q "Signature Algorithm: sha1WithRSAEncryption" ||
    fail "the request is not signed with SHA-1"
openssl req -in "$DIR/req.csr" -noout -verify >/dev/null 2>&1 || fail "the SHA-1 request does not verify"

KEY="pkcs11:token=edge;object=ec-2027;id=%ec%01;type=private" \
    ROT_EXTRA='subject = "CN=mail.contoso.com, OU=Messaging, O=\"Contoso, Ltd\", C=US";' cfg ec <<'END'
hosts = ( { name = "web"; accepts = { key = [ "ec:P-256", "rsa:2048" ]; }; } );
services = ( { name = "nginx"; host = "web"; names = [ "www.contoso.com", "10.0.0.5" ]; } );
END
cr renew -c "$CFG" --key-type ec:P-256 --format json -o "$DIR/req.csr"
expect_rc 0
python3 - "$WORK/out" "$DIR/req.csr" <<'PY' || fail "renew --format json"
import json, sys
d = json.load(open(sys.argv[1]))
k = d["key"]
assert k["uri"] == "pkcs11:token=edge;object=ec-2027;id=%ec%01;type=private", k["uri"]
assert k["id"] == "EC01" and not k["id_chosen"] and not k["label_chosen"], k
assert k["type"] == "ec:prime256v1" and k["description"] == "EC prime256v1", k
assert k["private"] and k["sensitive"] and not k["extractable"] and k["never_extractable"], k
assert k["sign_only"] and k["local"], k
assert d["key_choice"] == "asked" and d["old_key"] == "RSA 2048", d
assert d["subject"] == 'CN=mail.contoso.com, OU=Messaging, O="Contoso, Ltd", C=US', d["subject"]
assert d["subject_from"] == "rotation.subject"
assert d["san"] == {"dns": ["www.contoso.com"], "ip": ["10.0.0.5"]}, d["san"]
assert d["gained"] == ["www.contoso.com", "10.0.0.5"], d["gained"]
assert "mail.contoso.com" in d["dropped"], d["dropped"]
assert d["signature_algorithm"] == {"name": "ecdsa-with-SHA256", "oid": "1.2.840.10045.4.3.2"}
assert d["eku"] == ["serverAuth"] and d["ca_must_honour"] == [], d
assert d["request"]["file"] == sys.argv[2]
assert d["request"]["pem"] == open(sys.argv[2]).read()
PY
openssl req -in "$DIR/req.csr" -noout -text >"$WORK/req.txt" 2>&1
grep -q 'Subject: C = US, O = "Contoso, Ltd", OU = Messaging, CN = mail.contoso.com' "$WORK/req.txt" ||
    fail "rotation.subject not in the request: $(grep Subject: "$WORK/req.txt")"
grep -q "IP Address:10.0.0.5" "$WORK/req.txt" || fail "the IP address is not an iPAddress"
grep -q "ASN1 OID: prime256v1" "$WORK/req.txt" || fail "not a P-256 key"
openssl req -in "$DIR/req.csr" -noout -verify >/dev/null 2>&1 || fail "the EC request does not verify"

# ------------------------------------------------------------- bad input
KEY="file:key.pem" cfg filekey <<END
$MAIL_SERVICES
END
cr renew -c "$CFG"
expect_rc 2
expect_err_contains "rotation.key: 'file:key.pem' is a file: renew generates the key on a token"
ROT_EXTRA='subject = "CN=x, C=USA";' cfg badsubject <<END
$MAIL_SERVICES
END
cr renew -c "$CFG"
expect_rc 2
expect_err_contains "rotation.subject: bad subject 'CN=x, C=USA': C='USA' cannot be encoded"
cfg nonames <<'END'
hosts = ( { name = "web"; } );
services = ( { name = "nginx"; host = "web"; } );
END
cr renew -c "$CFG"
expect_rc 2
expect_err_contains "no service lists names"
cr renew -c "$CFG" --format yaml
expect_rc 2
cr renew --help
expect_rc 0
expect_out_contains "usage: certrotate renew"
