#!/bin/sh
# End-to-end tests of `certrotate plan`: every example against the fixture
# token (steps as in examples/*/plan.expected, text and JSON), identities
# resolved against the real certificates, determinism (the same inventory
# shuffled gives the same bytes), that plan writes nothing to the token, and
# the error cases: exit 2 (or 3) with file, line and setting on stderr and
# nothing on stdout.
. "$(dirname "$0")/lib.sh"
need_certrotate

EX=$SRCDIR/examples
C=$FIX/certs

# steps_of FILE: "id action status" per step of a `plan --format json` output
steps_of() {
	sed -n 's/^      "\(id\|action\|status\)": "\([^"]*\)",$/\2/p' "$1" | paste -d' ' - - -
}

# expect_no_stdout: an error run must print nothing on stdout
expect_no_stdout() {
	[ ! -s "$WORK/out" ] || fail "stdout not empty after an error: $(head -c 200 "$WORK/out")"
}

OLD_SHA1=$(cert_sha1 "$C/old.pem")
NEW_SHA1=$(cert_sha1 "$C/new.pem")
EXPIRED_SHA1=$(cert_sha1 "$C/expired.pem")

# ---------------------------------------------------------------- the examples
for ex in mail sha1-host two-bindings connector federation protected-default nginx-token; do
	sh "$EX/instantiate.sh" "$EX/$ex" "$WORK/$ex" "$FIX" || die "cannot instantiate $ex"
	cr plan -c "$WORK/$ex/certrotate.cfg" --format json
	expect_rc 0
	expect_err_not_contains "certrotate:"
	cp "$WORK/out" "$WORK/$ex.json"
	steps_of "$WORK/$ex.json" >"$WORK/$ex.steps"
	grep -v '^#' "$EX/$ex/plan.expected" >"$WORK/$ex.expected"
	expect_file_eq "$WORK/$ex.steps" "$WORK/$ex.expected"
	expect_out_contains "\"sha1\": \"$OLD_SHA1\""
	expect_out_contains "\"sha1\": \"$NEW_SHA1\""

	cr plan -c "$WORK/$ex/certrotate.cfg"
	expect_rc 0
	expect_out_contains "old  sha1:$OLD_SHA1  CN=mail.contoso.com, O=Contoso, C=US"
	expect_out_contains "new  sha1:$NEW_SHA1  CN=mail.contoso.com, O=Contoso, C=US"
done

# linux: certbot's links, a combined PEM, a file three refs share - plan.expected, and what
# the plan writes where (nothing is written by planning)
sh "$EX/instantiate.sh" "$EX/linux" "$WORK/linux" "$FIX" || die "cannot instantiate linux"
ls -lR "$WORK/linux/letsencrypt" "$WORK/linux/haproxy" >"$WORK/linux.before"
cr plan -c "$WORK/linux/certrotate.cfg" --format json
expect_rc 0
steps_of "$WORK/out" >"$WORK/linux.steps"
grep -v '^#' "$EX/linux/plan.expected" >"$WORK/linux.expected"
expect_file_eq "$WORK/linux.steps" "$WORK/linux.expected"
cr plan -c "$WORK/linux/certrotate.cfg"
expect_rc 0
expect_out_contains "05-rebind-mx1-nginx-https        native        mx1/nginx/https and 2 more refs: file 'letsencrypt/live/mail.contoso.com/fullchain.pem' (and key)"
expect_out_contains "writes 'letsencrypt/live/mail.contoso.com/privkey.pem' -> '../../archive/mail.contoso.com/privkey2.pem' (new, beside '../../archive/mail.contoso.com/privkey1.pem'; the link is repointed): key, mode 0600 (as now)"
expect_out_contains "writes 'haproxy/mail.pem': leaf, chain, key, mode 0600 (as now)"
ls -lR "$WORK/linux/letsencrypt" "$WORK/linux/haproxy" >"$WORK/linux.after"
expect_file_eq "$WORK/linux.after" "$WORK/linux.before"

# mail: the connector's rename names what changed; its old name also matches the
# expired certificate on the token; the token import is done already
cr plan -c "$WORK/mail/certrotate.cfg"
expect_out_contains "mx1/transport/Default Frontend MX1 at 127.0.0.1:"
expect_out_contains ": name old -> new (issuer O: 'Contoso' -> 'Contoso Ltd')"
# the connector's old and new <I>..<S>.., the changed RDN marked under each
sed -n '/08-rename-mx1-transport-default-frontend-mx1/{n;p;n;p;n;p;n;p;}' "$WORK/out" >"$WORK/mail.names"
cat >"$WORK/mail.names.expected" <<'EOF'
      old <I>CN=Contoso Issuing CA 1, O=Contoso, C=US<S>CN=mail.contoso.com, O=Contoso, C=US
                                      ^^^^^^^^^
      new <I>CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US<S>CN=mail.contoso.com, O=Contoso, C=US
                                      ^^^^^^^^^^^^^
EOF
expect_file_eq "$WORK/mail.names" "$WORK/mail.names.expected"
expect_out_contains "matches 2 known certificates (old sha1:"
expect_out_contains "other sha1:$(printf %.8s "$EXPIRED_SHA1")"
expect_out_matches "01-import-token:edge +native +done +store the new certificate on token 'edge'"
expect_out_contains "mx1/nginx/tls: file 'tls/mail.pem'"
cr plan -c "$WORK/mail/certrotate.cfg" --format json
expect_out_contains '"denotes": "old",'
expect_out_contains '"ambiguous": true,'
expect_out_contains '"verify": ['
expect_out_contains '"untouched": ['

# the default configuration file is ./certrotate.cfg, and relative paths follow the file
(cd "$WORK/mail" && cr plan --format json)
expect_rc 0
steps_of "$WORK/out" >"$WORK/mail.steps2"
expect_file_eq "$WORK/mail.steps2" "$WORK/mail.expected"
(cd "$WORK/mail/tls" && cr plan -c ../certrotate.cfg --format json)
expect_rc 0
expect_file_eq "$WORK/out" "$WORK/mail.json"

# protected-default: refs on the protected and the expired certificates are left alone
cr plan -c "$WORK/protected-default/certrotate.cfg"
expect_out_contains "cas01/exchange/smtp-internal: denotes a protected certificate: left alone"
expect_out_contains "cas01/exchange/legacy-receive: denotes another certificate"
expect_out_not_contains "-legacy-receive "

# sha1-host: the import of each host carries the host's algorithm checks
cr plan -c "$WORK/sha1-host/certrotate.cfg" --format json
expect_out_contains '"id": "02-import-cas02",'
tr -d '\n ' <"$WORK/out" | grep -q '"id":"02-import-cas02".*"preconditions":\["new.load","new.validity","new.chain","new.eku","sigalg","keyalg"\]' ||
	fail "sha1-host: import of cas02 does not list sigalg and keyalg"

# ---------------------------------------------------------------- plan reads, never writes
# (SoftHSM touches its `generation` file whenever it opens a token: objects only)
before=$(find "$FIX/tokens" -type f -name '*.object' -exec stat -c '%n %s %Y' {} + | sort)
cr plan -c "$WORK/mail/certrotate.cfg"
after=$(find "$FIX/tokens" -type f -name '*.object' -exec stat -c '%n %s %Y' {} + | sort)
expect_eq "$after" "$before" "token store after plan"
[ ! -e "$WORK/mail/mail-2026.archive" ] || fail "plan created the archive directory"

# ---------------------------------------------------------------- identities, for real
mkdir -p "$WORK/ids"
ln -sfn "$FIX" "$WORK/ids/fix"
cat >"$WORK/ids/certrotate.cfg" <<EOF
rotation = {
  name = "ids";
  old = "file:fix/certs/old.pem";
  new = "pkcs11:token=edge;object=mail-2026;type=cert";
  key = "pkcs11:token=edge;object=mail-2026;type=private";
};
tokens = ( { uri = "pkcs11:token=edge"; pin_source = "file:fix/edge.pin"; } );
hosts = ( { name = "h"; } );
services = ( { name = "s"; host = "h"; refs = (
  { id = "a-sha1"; type = "binding"; cert = "sha1:$(echo "$OLD_SHA1" | tr 'A-F' 'a-f' | sed 's/../& /g')"; },
  { id = "b-sha256"; type = "binding"; cert = "sha256:$(cert_sha256 "$C/new.pem")"; },
  { id = "c-file-der"; type = "binding"; cert = "file:fix/certs/old.der"; },
  { id = "d-p12"; type = "binding"; cert = "file:fix/certs/old.p12?pass-source=file:fix/certs/p12.pass"; },
  { id = "e-token"; type = "binding"; cert = "pkcs11:token=edge;object=mail-2025;type=cert"; },
  { id = "f-name-new"; type = "connector"; cert = "name:<I>CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US<S>CN=mail.contoso.com, O=Contoso, C=US"; },
  { id = "g-other"; type = "binding"; cert = "file:fix/certs/other.pem"; },
  { id = "h-unknown"; type = "binding"; cert = "sha1:0000000000000000000000000000000000000001"; },
  { id = "i-gone"; type = "binding"; cert = "pkcs11:token=edge;object=no-such;type=cert"; }
); } );
EOF
cr plan -c "$WORK/ids/certrotate.cfg" --format json
expect_rc 0
steps_of "$WORK/out" >"$WORK/ids.steps"
cat >"$WORK/ids.expected" <<'EOF'
01-import-h manual pending
02-rebind-h-s-a-sha1 manual pending
03-rebind-h-s-b-sha256 manual done
04-rebind-h-s-c-file-der manual pending
05-rebind-h-s-d-p12 manual pending
06-rebind-h-s-e-token manual pending
07-rename-h-s-f-name-new manual done
08-restart-h-s manual pending
09-retire-h manual pending
EOF
expect_file_eq "$WORK/ids.steps" "$WORK/ids.expected"
# the old certificate's file is only read: no step moves or deletes it
expect_out_contains "the old certificate is read from 'file:fix/certs/old.pem': rotation.old is only read, never moved or deleted"
# the new name matches every certificate on the token issued by A2 to mail.contoso.com
expect_out_contains "h/s/f-name-new: 'name:<I>CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US<S>CN=mail.contoso.com, O=Contoso, C=US' matches"
expect_out_contains "h/s/g-other: denotes another certificate"
expect_out_contains "h/s/h-unknown: 'sha1:0000000000000000000000000000000000000001' matches none"
# a token object that is not there: nothing known (a warning), the planner cannot tell
expect_out_contains "h/s/i-gone: cannot resolve 'pkcs11:token=edge;object=no-such;type=cert': no certificate matches"

# ---------------------------------------------------------------- determinism
# The same 40-host inventory written in three orders gives the same bytes.
mkdir -p "$WORK/det"
ln -sfn "$FIX" "$WORK/det/fix"
for seed in 0 7 1234; do
	(cd "$WORK/det" && sh "$SRCDIR/bench/gen_inventory.sh" 40 400 fix/certs/old.pem fix/certs/new.pem "$seed") \
	    >"$WORK/det/c$seed.cfg" || die "gen_inventory.sh failed"
	cr plan -c "$WORK/det/c$seed.cfg" --format json
	expect_rc 0
	cp "$WORK/out" "$WORK/det/plan$seed.json"
	cr plan -c "$WORK/det/c$seed.cfg"
	expect_rc 0
	cp "$WORK/out" "$WORK/det/plan$seed.txt"
done
cmp -s "$WORK/det/c0.cfg" "$WORK/det/c7.cfg" && fail "gen_inventory.sh did not shuffle"
expect_file_eq "$WORK/det/plan0.json" "$WORK/det/plan7.json"
expect_file_eq "$WORK/det/plan0.json" "$WORK/det/plan1234.json"
expect_file_eq "$WORK/det/plan0.txt" "$WORK/det/plan7.txt"
expect_file_eq "$WORK/det/plan0.txt" "$WORK/det/plan1234.txt"
# a second run of the same file: same bytes
cr plan -c "$WORK/det/c7.cfg" --format json
expect_file_eq "$WORK/out" "$WORK/det/plan7.json"
# restarts follow depends across hosts: s00001 (h00001) before s00003 (h00002) before s00004
grep -n '"id": "[0-9]*-restart-' "$WORK/det/plan0.json" | head -n 4 >"$WORK/det/restarts"
grep -q 'restart-h00001-s00001"' "$WORK/det/restarts" || fail "first restart is not s00001"

# ---------------------------------------------------------------- errors: exit 2, file:line:setting
mkdir -p "$WORK/bad"
ln -sfn "$FIX" "$WORK/bad/fix"
HEAD='rotation = {
  name = "bad";
  old = "pkcs11:token=edge;object=mail-2025;type=cert";
  new = "pkcs11:token=edge;object=mail-2026;type=cert";
  key = "pkcs11:token=edge;object=mail-2026;type=private";
};
tokens = ( { uri = "pkcs11:token=edge"; pin_source = "file:fix/edge.pin"; } );
hosts = ( { name = "mx1"; } );'

# bad NAME EXPECTED_RC STDERR_TEXT: writes $HEAD + stdin as $WORK/bad/NAME.cfg, runs plan on it
bad() {
	{ printf '%s\n' "$HEAD"; cat; } >"$WORK/bad/$1.cfg"
	cr plan -c "$WORK/bad/$1.cfg"
	expect_rc "$2"
	expect_err_contains "$3"
	expect_no_stdout
}

bad typo 2 "bad/typo.cfg:10: services.[0].nmaes: unknown setting 'nmaes' (did you mean 'names'?)" <<'EOF'
services = ( { name = "owa"; host = "mx1";
  nmaes = [ "mail.contoso.com" ]; } );
EOF
bad syntax 2 "bad/syntax.cfg:10: syntax error" <<'EOF'
services = ( { name = "owa"; host = "mx1" }
  { name = "ews"; host = "mx1"; } );
EOF
bad dupsetting 2 "bad/dupsetting.cfg:10: services.[0].name: duplicate setting 'name' (first at line 9)" <<'EOF'
services = ( { name = "owa"; host = "mx1";
  name = "ews"; } );
EOF
bad mixedarray 2 "bad/mixedarray.cfg:9: services.[0].names.[1]: wrong type: expected a string like the array's first element, got an integer" <<'EOF'
services = ( { name = "owa"; host = "mx1"; names = [ "a.com", 5 ]; } );
EOF
bad noinclude 2 "bad/noinclude.cfg:9: cannot open include file 'nope.cfg': '$WORK/bad/nope.cfg': No such file or directory" <<'EOF'
@include "nope.cfg"
EOF
bad dangling 2 "bad/dangling.cfg:9: services.[0].host: no host named 'mx2' (did you mean 'mx1'?)" <<'EOF'
services = ( { name = "owa"; host = "mx2"; } );
EOF
bad cycle 2 "bad/cycle.cfg:10: services.[0].depends: dependency cycle adfs -> wap -> adfs" <<'EOF'
services = ( { name = "adfs"; host = "mx1";
               depends = [ "wap" ]; },
             { name = "wap"; host = "mx1"; depends = [ "adfs" ]; } );
EOF
bad thumb 2 "bad/thumb.cfg:11: services.[0].refs.[0].cert: bad identity" <<'EOF'
services = ( { name = "owa"; host = "mx1"; refs = (
  { id = "https"; type = "binding";
    cert = "sha1:00112233445566778899aabbccddeeff001122"; } ); } );
EOF
expect_err_contains "sha1: needs 40 hex digits, got 38"
bad placeholder 2 "bad/placeholder.cfg:10: services.[0].run_restart.[1]: unknown placeholder '{hots}'" <<'EOF'
services = ( { name = "owa"; host = "mx1";
  run_restart = [ "ssh", "{hots}", "iisreset" ]; } );
EOF
bad duplicate 2 "bad/duplicate.cfg:10: services.[1].name: duplicate service 'owa' (first at line 9)" <<'EOF'
services = ( { name = "owa"; host = "mx1"; },
             { name = "owa"; host = "mx1"; } );
EOF

# a certificate that cannot be read is bad input too, named with its setting
cat >"$WORK/bad/nofile.cfg" <<'EOF'
rotation = {
  name = "bad";
  old = "file:fix/certs/no-such.pem";
  new = "pkcs11:token=edge;object=mail-2026;type=cert";
  key = "pkcs11:token=edge;object=mail-2026;type=private";
};
tokens = ( { uri = "pkcs11:token=edge"; pin_source = "file:fix/edge.pin"; } );
EOF
cr plan -c "$WORK/bad/nofile.cfg"
expect_rc 2
expect_err_contains "bad/nofile.cfg:3: rotation.old: cannot read"
expect_no_stdout

# a ref's or protect entry's file that cannot be read or is no certificate is bad input:
# not an unknown ref quietly left out of the plan while the old certificate is retired
bad refnofile 2 "bad/refnofile.cfg:11: services.[0].refs.[1].cert: cannot read 'fix/certs/nope.pem': No such file or directory" <<'EOF'
services = ( { name = "owa"; host = "mx1"; refs = (
  { id = "a"; type = "binding"; cert = "pkcs11:token=edge;object=mail-2025;type=cert"; },
  { id = "b"; type = "binding"; cert = "file:fix/certs/nope.pem"; } ); } );
EOF
printf 'not a certificate\n' >"$WORK/bad/garbage.pem"
bad refgarbage 2 "bad/refgarbage.cfg:10: services.[0].refs.[0].cert: cannot read 'garbage.pem': not a certificate" <<'EOF'
services = ( { name = "owa"; host = "mx1"; refs = (
  { id = "a"; type = "binding"; cert = "garbage.pem"; } ); } );
EOF
bad filerefnofile 2 "bad/filerefnofile.cfg:10: services.[0].refs.[0].path: cannot read 'tls/nope.pem': No such file or directory" <<'EOF'
services = ( { name = "nginx"; host = "mx1"; refs = (
  { id = "tls"; type = "file"; path = "tls/nope.pem"; } ); } );
EOF
bad protectnofile 2 "bad/protectnofile.cfg:9: protect.[0]: cannot read 'fix/certs/nope.pem': No such file or directory" <<'EOF'
protect = [ "file:fix/certs/nope.pem" ];
EOF

# a pin_source is file:PATH, and a message about it never shows the value (it may be a PIN)
sed 's|pin_source = "file:fix/edge.pin"|pin_source = "246810"|' "$WORK/bad/nofile.cfg" >"$WORK/bad/pin.cfg"
cr plan -c "$WORK/bad/pin.cfg"
expect_rc 2
expect_err_contains "bad/pin.cfg:7: tokens.[0].pin_source: must be file:PATH, a file holding the PIN"
expect_err_not_contains "246810"
expect_no_stdout
cr check --no-probe -c "$WORK/bad/pin.cfg"
expect_rc 2
expect_err_not_contains "246810"

# old and new the same certificate
sed 's/object=mail-2026;type=cert/object=mail-2025;type=cert/' "$WORK/bad/nofile.cfg" |
	sed 's|file:fix/certs/no-such.pem|file:fix/certs/old.pem|' >"$WORK/bad/same.cfg"
cr plan -c "$WORK/bad/same.cfg"
expect_rc 2
expect_err_contains "bad/same.cfg:4: rotation.new: is the same certificate as rotation.old"
expect_no_stdout

# a token that is not there is the environment's fault: exit 3, naming the setting
sed 's|file:fix/certs/no-such.pem|pkcs11:token=nosuch;object=mail-2025;type=cert|' \
	"$WORK/bad/nofile.cfg" >"$WORK/bad/notoken.cfg"
cr plan -c "$WORK/bad/notoken.cfg"
expect_rc 3
expect_err_contains "bad/notoken.cfg:3: rotation.old:"
expect_no_stdout

# the configuration file itself
cr plan -c "$WORK/bad/none.cfg"
expect_rc 2
expect_err_contains "cannot read '$WORK/bad/none.cfg'"
expect_no_stdout

# usage
cr plan --format xml
expect_rc 2
expect_err_contains "unknown format 'xml'"
expect_no_stdout
cr plan -c "$WORK/mail/certrotate.cfg" extra
expect_rc 2
expect_err_contains "unexpected argument 'extra'"
cr plan --help
expect_rc 0
expect_out_contains "usage: certrotate plan [-c FILE] [--format text|json]"
