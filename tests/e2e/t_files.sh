#!/bin/sh
# End-to-end tests of file-based deployments (issue 11), against nginx (HTTPS
# with SNI and a default server, SMTP STARTTLS through its mail module) and
# haproxy (one combined PEM) on 127.0.0.1.  One case per way `check` used to
# call a rotation ready that `run` would have turned into an outage, each
# asserting what is said now:
#   combined PEM            the plan keeps the key, mode 0600; a token key cannot go there
#   key_path                on a certificate file, a missing directory, a missing file
#   chain before the leaf   file.layout names the order, the ref still moves and its
#                           endpoint is probed; a new PEM chain first is one new.load failure
#   leaf-only endpoint      endpoint.chain warns (and says the file holds the leaf alone)
#   certbot live/ links     the plan says what it writes where, and writes nothing
#   key modes               0644 fails, 0640 warns (naming the group)
#   hooks                   a hook that cannot run blocks its step
#   configuration test      a failing nginx -t blocks the restart, with its output
#   reload                  "the file is new, the endpoint is old: reload nginx?"
#   SNI                     a name that reaches only the default server warns
. "$(dirname "$0")/lib.sh"
need_certrotate

C=$FIX/certs
P=$FIX/pki
EDGE_TOKENS='tokens = ( { uri = "pkcs11:token=edge"; pin_source = "file:fix/edge.pin"; } );'

# fcfg NAME: $WORK/NAME/certrotate.cfg from a rotation header (OLD, NEW, KEY
# override the sources, ROT_EXTRA adds settings) plus stdin; sets D and CFG.
# The new certificate's key is a file by default (the fixtures' `extractable`
# certificate has one); old is the deployed file and is only read (retire keep).
fcfg() {
	D=$WORK/$1
	mkdir -p "$D"
	ln -sfn "$FIX" "$D/fix"
	{
		printf 'rotation = {\n  name = "web-2026";\n'
		printf '  old = "%s";\n  new = "%s";\n  key = "%s";\n' "${OLD:-file:fix/certs/old-chain.pem}" \
		    "${NEW:-file:fix/certs/extractable-chain.pem}" "${KEY:-file:fix/certs/extractable.key}"
		printf '  chain = [ "file:fix/pki/ca-a2.pem" ];\n  trust = [ "file:fix/pki/root.pem" ];\n'
		printf '  retire = "keep";\n  %s\n};\n%s\n' "${ROT_EXTRA:-}" "$EDGE_TOKENS"
		cat
	} >"$D/certrotate.cfg"
	CFG=$D/certrotate.cfg
	unset OLD NEW KEY ROT_EXTRA
}

# json PYTHON: runs the python body with d = the JSON in $WORK/out
json() {
	python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
def step(t):
    return [s for s in d['steps'] if s['type'] == t]
$1" "$WORK/out" || fail "JSON: $1"
}

# ------------------------------------------------------------- combined PEM (haproxy)
fcfg haproxy </dev/null
mkdir -p "$D/haproxy"
cat "$C/old-chain.pem" "$C/old.key" >"$D/haproxy/mail.pem"
chmod 0600 "$D/haproxy/mail.pem"
cp -p "$D/haproxy/mail.pem" "$D/haproxy/mail-old.pem"	# rotation.old: a copy, not the file rewritten
HP=$(free_port)
haproxy_start lb "$(haproxy_conf "$HP" "$D/haproxy/mail.pem")"
[ -n "$(tls_sha256 "127.0.0.1:$HP")" ] || die "haproxy does not serve on $HP"
OLD=file:haproxy/mail-old.pem fcfg haproxy <<END
hosts = ( { name = "lb1"; } );
services = ( { name = "haproxy"; host = "lb1"; kind = "haproxy"; names = [ "mail.contoso.com" ];
  run_test = [ "env", "OPENSSL_CONF=$(level0_conf)", "haproxy", "-c", "-f", "$WORK/lb/haproxy.cfg" ];
  refs = ( { id = "pem"; type = "file"; path = "haproxy/mail.pem"; endpoint = "127.0.0.1:$HP"; } ); } );
END
cr plan -c "$CFG"
expect_rc 0
# before: "install the new certificate and chain" - the key would have been lost
expect_out_contains "writes 'haproxy/mail.pem': leaf, chain, key, mode 0600 (as now)"
cr plan -c "$CFG" --format json
expect_rc 0
json "w = step('rebind')[0]['writes']
assert len(w) == 1 and w[0]['holds'] == 'leaf + chain + key' and w[0]['key'] is True, w
assert w[0]['mode'] == '0600' and w[0]['now']['keys'] == 1 and w[0]['link'] is None, w
assert 'the new certificate and key in \'haproxy/mail.pem\' (leaf, chain, key; mode 0600 kept)' in step('rebind')[0]['description']"
cr check -c "$CFG"
expect_rc 0
expect_out_contains "pass  file.layout        file haproxy/mail.pem: 'haproxy/mail.pem' holds leaf + chain + key (leaf, chain, key; 2 certificates"
expect_out_contains "pass  key.mode           key file haproxy/mail.pem: 'haproxy/mail.pem' (it holds the service's key) is mode 0600"
expect_out_contains "pass  endpoint           ref haproxy/pem: '127.0.0.1:$HP' serves the old certificate now"
expect_out_contains "pass  config.test        service haproxy: configuration test 'env OPENSSL_CONF="
[ "$(stat -c %a "$D/haproxy/mail.pem")" = 600 ] || fail "check changed the mode of the combined PEM"
# rotation.old naming the very file the rebind rewrites: after the run it would
# hold the new certificate, and no resume or rollback could read the old one
sed 's|file:haproxy/mail-old.pem|file:./haproxy/mail.pem|' "$CFG" >"$D/self.cfg"
cr check -c "$D/self.cfg"
expect_rc 1
expect_out_contains "FAIL  file.layout        file haproxy/mail.pem: 'haproxy/mail.pem' is rotation.old ('file:./haproxy/mail.pem') as well: the rebind puts the new certificate there, and then no later check, run --resume or rollback can read the old one from it"
# the same file while the new key lives on a token: the service cannot read it from there
OLD=file:haproxy/mail-old.pem NEW="pkcs11:token=edge;object=mail-2026;type=cert" \
    KEY="pkcs11:token=edge;object=mail-2026;type=private" fcfg haproxy-token <<END
hosts = ( { name = "lb1"; } );
services = ( { name = "haproxy"; host = "lb1"; kind = "haproxy"; run_test = [ "true" ];
  refs = ( { id = "pem"; type = "file"; path = "haproxy/mail.pem"; endpoint = "127.0.0.1:$HP"; } ); } );
END
mkdir -p "$D/haproxy"
cp -p "$WORK/haproxy/haproxy/mail.pem" "$WORK/haproxy/haproxy/mail-old.pem" "$D/haproxy/"
cr check -c "$CFG"
expect_rc 1
expect_out_contains "FAIL  file.layout        file haproxy/mail.pem: 'haproxy/mail.pem' holds leaf + chain + key (leaf, chain, key): the service reads its private key from this file, but the new key is on a token ('pkcs11:token=edge;object=mail-2026;type=private'): the service cannot read it from there"
expect_out_matches "BLOCKED 0[0-9]-rebind-lb1-haproxy-pem"
haproxy_stop lb

# ------------------------------------------------------------- key_path
fcfg keypath </dev/null
mkdir -p "$D/tls"
cp "$C/old-chain.pem" "$D/tls/mail.pem"
cp "$C/old-chain.pem" "$D/tls/chain.pem"
chmod 0644 "$D/tls/mail.pem" "$D/tls/chain.pem"
for kp in tls/chain.pem nope/mail.key tls/missing.key; do
	fcfg keypath <<END
hosts = ( { name = "web1"; } );
services = ( { name = "nginx"; host = "web1"; run_test = [ "true" ];
  refs = ( { id = "tls"; type = "file"; path = "tls/mail.pem"; key_path = "$kp"; } ); } );
END
	cr check -c "$CFG"
	case $kp in
	tls/chain.pem)
		# before: nothing flagged, and run would write the private key into chain.pem, 0644
		expect_rc 1
		expect_out_contains "FAIL  file.key           file tls/chain.pem: 'tls/chain.pem' holds no private key but leaf + chain: key_path must name the key file the service reads"
		expect_out_contains "FAIL  key.mode           key file tls/chain.pem: 'tls/chain.pem' (the key file the service reads) is readable by every user of the host (mode 0644)"
		expect_out_matches "BLOCKED 0[0-9]-rebind-web1-nginx-tls"
		;;
	nope/mail.key)
		expect_rc 1
		expect_out_contains "FAIL  file.key           file nope/mail.key: 'nope/mail.key' does not exist, nor does its directory"
		;;
	tls/missing.key)
		expect_rc 0
		expect_out_contains "WARN  file.key           file tls/missing.key: 'tls/missing.key' does not exist: the service cannot be reading its key from there now"
		cr check -c "$CFG" --strict
		expect_rc 1
		;;
	esac
done
cmp -s "$D/tls/chain.pem" "$C/old-chain.pem" || fail "check changed tls/chain.pem"

# ------------------------------------------------------------- the chain before the leaf
fcfg order </dev/null
mkdir -p "$D/tls"
cat "$P/ca-a.pem" "$C/old.pem" >"$D/tls/mail.pem"
PO=$(free_port)
nginx_start order "$(https_conf "$PO" "$C/old-chain.pem" "$C/old.key")"
fcfg order <<END
hosts = ( { name = "web1"; } );
services = ( { name = "nginx"; host = "web1"; names = [ "mail.contoso.com" ]; run_test = [ "true" ];
  refs = ( { id = "tls"; type = "file"; path = "tls/mail.pem"; endpoint = "127.0.0.1:$PO"; } ); } );
END
# before: the file was taken for the intermediate - "another certificate", no rebind, no probe
cr plan -c "$CFG" --format json
expect_rc 0
json "assert [s['ref'] for s in step('rebind')] == ['tls'], d['steps']
assert step('rebind')[0]['denotes'] == 'old' and d['untouched'] == [], d['untouched']"
cr check -c "$CFG"
expect_rc 1
expect_out_contains "FAIL  file.layout        file tls/mail.pem: 'tls/mail.pem' is out of order (chain, leaf): the first certificate 'CN=Contoso Issuing CA 1, O=Contoso, C=US' is a CA certificate the file's chain goes through, not the leaf: the leaf 'CN=mail.contoso.com, O=Contoso, C=US' (certificate 2) must come first"
expect_out_contains "pass  endpoint           ref nginx/tls: '127.0.0.1:$PO' serves the old certificate now"
expect_out_contains "pass  ref.resolve        ref nginx/tls: 'file:tls/mail.pem' denotes the old certificate"
nginx_stop order
# the new material chain first: one failure that says so, not six unrelated ones
cat "$P/ca-a2.pem" "$C/extractable.pem" >"$D/new-chain-first.pem"
NEW=file:new-chain-first.pem fcfg order-new <<END
hosts = ( { name = "cas2"; } );
services = ( { name = "owa"; host = "cas2"; names = [ "mail.contoso.com" ];
  refs = ( { id = "https"; type = "binding"; cert = "file:fix/certs/old.pem"; } ); } );
END
cp "$WORK/order/new-chain-first.pem" "$D/"
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAILED (1):"
expect_out_contains "FAIL  new.load           certificate new: 'file:new-chain-first.pem' holds its chain before its leaf: the first certificate 'CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US' is a CA certificate: put the leaf 'CN=mail.contoso.com, O=Contoso, C=US' (certificate 2) first"
expect_out_contains "pass  new.chain"
expect_out_contains "pass  names"

# ------------------------------------------------------------- an endpoint serving the leaf alone
fcfg leaf </dev/null
mkdir -p "$D/tls"
cp "$C/old.pem" "$D/tls/leaf.pem"
PL=$(free_port)
nginx_start leaf "$(https_conf "$PL" "$D/tls/leaf.pem" "$C/old.key")"
fcfg leaf <<END
hosts = ( { name = "web1"; } );
services = ( { name = "nginx"; host = "web1"; run_test = [ "true" ];
  refs = ( { id = "tls"; type = "file"; path = "tls/leaf.pem"; endpoint = "127.0.0.1:$PL"; } ); } );
END
cr check -c "$CFG"
expect_rc 0
expect_out_contains "WARN  endpoint.chain     ref nginx/tls: '127.0.0.1:$PL' serves 1 certificate, in order: incomplete: only the leaf is served; its issuer 'CN=Contoso Issuing CA 1, O=Contoso, C=US' is neither served nor a trust anchor"
expect_out_contains "'tls/leaf.pem' holds the leaf alone, and the new material is written in the same layout"
cr check -c "$CFG" --strict
expect_rc 1
nginx_stop leaf

# ------------------------------------------------------------- certbot's live/ links; SNI, default, SMTP
fcfg le </dev/null
A=$D/le/archive/mail
L=$D/le/live/mail
mkdir -p "$A" "$L"
cp "$C/old.pem" "$A/cert1.pem"
cp "$P/ca-a.pem" "$A/chain1.pem"
cp "$C/old-chain.pem" "$A/fullchain1.pem"
cp "$C/old.key" "$A/privkey1.pem"
chmod 0600 "$A/privkey1.pem"
for f in cert chain fullchain privkey; do
	ln -s "../../archive/mail/${f}1.pem" "$L/$f.pem"
done
PH=$(free_port)
PS=$(free_port)
AP=$(free_port)
nginx_start le-web "$(http_block \
	"$(https_server "$PH" "$L/fullchain.pem" "$L/privkey.pem" mail.contoso.com)" \
	"$(https_server "$PH" "$C/default.pem" "$C/default.key" _)" \
	"$(auth_server "$AP")")
$(mail_block "$AP" "$(smtp_server "$PS" "$L/fullchain.pem" "$L/privkey.pem")")"
fcfg le <<END
hosts = ( { name = "mx1"; } );
services = (
  { name = "web"; host = "mx1"; kind = "nginx"; names = [ "mail.contoso.com" ];
    run_test = [ "nginx", "-t", "-q", "-e", "stderr", "-p", "$WORK/le-web/", "-c", "nginx.conf" ];
    refs = ( { id = "https"; type = "file"; path = "le/live/mail/fullchain.pem";
               key_path = "le/live/mail/privkey.pem"; endpoint = "127.0.0.1:$PH"; sni = "mail.contoso.com"; },
             { id = "typo"; type = "binding"; cert = "file:fix/certs/old.pem";
               endpoint = "127.0.0.1:$PH"; sni = "mial.contoso.com"; } ); },
  { name = "smtp"; host = "mx1"; kind = "nginx"; names = [ "mail.contoso.com" ];
    run_test = [ "nginx", "-t", "-q", "-e", "stderr", "-p", "$WORK/le-web/", "-c", "nginx.conf" ];
    refs = ( { id = "starttls"; type = "file"; path = "le/live/mail/fullchain.pem";
               key_path = "le/live/mail/privkey.pem"; endpoint = "127.0.0.1:$PS"; starttls = "smtp"; } ); }
);
END
ls -lR "$D/le" >"$WORK/le.before"
cr plan -c "$CFG"
expect_rc 0
# before: temp-file-and-rename would have replaced the links with files (breaking certbot renew)
expect_out_contains "writes 'le/live/mail/fullchain.pem' -> '../../archive/mail/fullchain2.pem' (new, beside '../../archive/mail/fullchain1.pem'; the link is repointed): leaf, chain, mode 0644 (as now)"
expect_out_contains "writes 'le/live/mail/privkey.pem' -> '../../archive/mail/privkey2.pem' (new, beside '../../archive/mail/privkey1.pem'; the link is repointed): key, mode 0600 (as now)"
cr plan -c "$CFG" --format json
expect_rc 0
json "r = [s for s in step('rebind') if s['ref_type'] == 'file']
assert len(r) == 1, r                     # one file, one step, for both services
assert [x['service'] + '/' + x['ref'] for x in r[0]['refs']] == ['smtp/starttls', 'web/https'], r[0]['refs']
w = r[0]['writes']
assert [x['path'] for x in w] == ['le/live/mail/fullchain.pem', 'le/live/mail/privkey.pem'], w
assert w[0]['link_now'] == '../../archive/mail/fullchain1.pem' and w[0]['link'] == '../../archive/mail/fullchain2.pem', w[0]
assert w[0]['file'].endswith('/le/archive/mail/fullchain2.pem') and w[1]['mode'] == '0600', w"
cr check -c "$CFG"
expect_rc 0
expect_out_contains "pass  file.layout        file le/live/mail/fullchain.pem: 'le/live/mail/fullchain.pem' holds leaf + chain (leaf, chain; 2 certificates), in order: the new material will be written the same way; a symbolic link to '../../archive/mail/fullchain1.pem': the new material goes into a new file '../../archive/mail/fullchain2.pem' beside it and the link is repointed"
expect_out_contains "pass  file.key           file le/live/mail/privkey.pem: 'le/live/mail/privkey.pem' holds the private key of the certificate in 'le/live/mail/fullchain.pem'"
expect_out_contains "pass  endpoint           ref smtp/starttls: '127.0.0.1:$PS' serves the old certificate now"
expect_out_contains "pass  endpoint           ref web/https: '127.0.0.1:$PH' with SNI 'mail.contoso.com' serves the old certificate now"
expect_out_contains "pass  endpoint.sni       ref web/https: '127.0.0.1:$PH' answers SNI 'mail.contoso.com' with another certificate than without SNI: a site of its own"
expect_out_contains "pass  config.test        service web: configuration test 'nginx -t -q -e stderr -p $WORK/le-web/ -c nginx.conf' passed"
# a name no site has: the default server answers
expect_out_contains "WARN  endpoint.sni       ref web/typo: '127.0.0.1:$PH' answers SNI 'mial.contoso.com' with the certificate it serves without SNI (its default), and 'mial.contoso.com' is in neither the service's names nor the SAN of that certificate or the new one"
ls -lR "$D/le" >"$WORK/le.after"
expect_file_eq "$WORK/le.after" "$WORK/le.before"

# ------------------------------------------------------------- the reload that did not happen
# the file already holds the new certificate (its step is done), nginx still serves the old one
fcfg reload </dev/null
mkdir -p "$D/tls"
cp "$C/old-chain.pem" "$D/tls/mail.pem"
PR=$(free_port)
nginx_start reload "$(https_conf "$PR" "$D/tls/mail.pem" "$C/old.key")"
cp "$C/extractable-chain.pem" "$D/tls/mail.pem"
fcfg reload <<END
hosts = ( { name = "web1"; } );
services = ( { name = "nginx"; host = "web1"; kind = "nginx"; run_test = [ "true" ];
  refs = ( { id = "tls"; type = "file"; path = "tls/mail.pem"; endpoint = "127.0.0.1:$PR"; } ); } );
END
cr check -c "$CFG"
expect_rc 1
expect_out_contains "'127.0.0.1:$PR' still serves the OLD certificate, but 'tls/mail.pem' holds the new one: the file is new, the endpoint is old: reload nginx?"
expect_out_not_contains "HTTP.sys"
nginx_stop reload

# ------------------------------------------------------------- key modes
fcfg modes </dev/null
mkdir -p "$D/tls" "$D/keys"
cp "$C/old-chain.pem" "$D/tls/mail.pem"
cp "$C/old.key" "$D/tls/mail.key"
cp "$C/extractable.key" "$D/keys/new.key"
for mode in 0644 0640; do
	chmod "$mode" "$D/tls/mail.key" "$D/keys/new.key"
	KEY=file:keys/new.key fcfg modes <<END
hosts = ( { name = "web1"; } );
services = ( { name = "nginx"; host = "web1"; run_test = [ "true" ];
  refs = ( { id = "tls"; type = "file"; path = "tls/mail.pem"; key_path = "tls/mail.key"; } ); } );
END
	cr check -c "$CFG"
	if [ "$mode" = 0644 ]; then
		expect_rc 1
		expect_out_contains "FAIL  key.mode           key file keys/new.key: 'keys/new.key' (the new key) is readable by every user of the host (mode 0644): a private key must not be"
		expect_out_contains "FAIL  key.mode           key file tls/mail.key: 'tls/mail.key' (the key file the service reads) is readable by every user of the host (mode 0644)"
		expect_out_matches "BLOCKED 0[0-9]-rebind-web1-nginx-tls"
	else
		expect_rc 0
		expect_out_contains "WARN  key.mode           key file tls/mail.key: 'tls/mail.key' (the key file the service reads) is readable by group '$(id -gn)' (mode 0640)"
	fi
done

# ------------------------------------------------------------- hooks that cannot run
fcfg hooks </dev/null
printf '#!/bin/sh\nexit 0\n' >"$D/reload.sh"
chmod 0644 "$D/reload.sh"
fcfg hooks <<END
hosts = ( { name = "web1"; } );
services = ( { name = "nginx"; host = "web1"; run_test = [ "true" ]; run_restart = [ "./reload.sh" ];
  refs = ( { id = "b"; type = "binding"; cert = "file:fix/certs/old.pem"; run = [ "sertbot-deploy", "{ref}" ]; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  hook.exec          step 02-rebind-web1-nginx-b: its hook ($CFG:14): command 'sertbot-deploy' not found in PATH"
expect_out_contains "FAIL  hook.exec          step 03-restart-web1-nginx: its hook ($CFG:13): command './reload.sh' cannot be executed: no permission to execute it"
expect_out_contains "BLOCKED 02-rebind-web1-nginx-b"
expect_out_contains "BLOCKED 03-restart-web1-nginx"
chmod 0755 "$D/reload.sh"
cr check -c "$CFG" --no-probe
expect_out_contains "pass  hook.exec          step 03-restart-web1-nginx: its hook: './reload.sh' is '$D/./reload.sh'"
expect_out_not_contains "BLOCKED 03-restart-web1-nginx"

# ------------------------------------------------------------- a failing configuration test
fcfg conftest </dev/null
mkdir -p "$D/tls" "$D/nginx"
cp "$C/old-chain.pem" "$D/tls/mail.pem"
cat >"$D/nginx/nginx.conf" <<END
events { }
http { server { listen 127.0.0.1:1 ssl; ssl_certificate ../tls/gone.pem; ssl_certificate_key ../tls/gone.key; } }
END
fcfg conftest <<END
hosts = ( { name = "web1"; } );
services = ( { name = "nginx"; host = "web1"; kind = "nginx";
  run_test = [ "nginx", "-t", "-q", "-e", "stderr", "-p", "nginx/", "-c", "nginx.conf" ];
  refs = ( { id = "tls"; type = "file"; path = "tls/mail.pem"; } ); } );
END
cr check -c "$CFG" --no-probe
expect_rc 1
expect_out_contains "FAIL  config.test        service nginx: configuration test 'nginx -t -q -e stderr -p nginx/ -c nginx.conf' failed (exit 1): "
expect_out_contains "gone.pem"
expect_out_contains ": the restart of nginx is blocked until it passes"
expect_out_contains "BLOCKED 02-restart-web1-nginx"
cr check -c "$CFG" --no-probe --format json
json "r = step('restart')[0]
assert r['status'] == 'blocked' and r['test'][:2] == ['nginx', '-t'] and r['test_from'] == 'run_test', r
assert [c['status'] for c in r['checks'] if c['id'] == 'config.test'] == ['fail'], r['checks']"

# ------------------------------------------------------------- one file, many refs: written and judged once
# Three spellings of one certificate file ("tls/web.pem", "./tls/web.pem", and the
# same path for a service on another host: files are written where certrotate
# runs), and certbot's cert.pem beside fullchain.pem sharing privkey.pem: before,
# each spelling and each host got a step writing the same file again, and the
# second certbot step was blocked by file.key (privkey.pem already new, cert.pem
# still old) - the rotation wedged halfway.  Now: one step writes each file
# once, file.layout / file.key / file.content judge each file once, run and
# rollback go through.
fcfg shared </dev/null
mkdir -p "$D/tls" "$D/le/archive/m" "$D/le/live/m"
cp "$C/old-chain.pem" "$D/tls/web.pem"
cp "$C/old.key" "$D/tls/web.key"
cp "$C/old.pem" "$D/le/archive/m/cert1.pem"
cp "$C/old-chain.pem" "$D/le/archive/m/fullchain1.pem"
cp "$C/old.key" "$D/le/archive/m/privkey1.pem"
chmod 0600 "$D/tls/web.key" "$D/le/archive/m/privkey1.pem"
for f in cert fullchain privkey; do ln -s "../../archive/m/${f}1.pem" "$D/le/live/m/$f.pem"; done
fcfg shared <<END
hosts = ( { name = "web1"; }, { name = "web2"; } );
services = (
  { name = "nginx"; host = "web1"; kind = "nginx"; run_test = [ "true" ];
    refs = ( { id = "a"; type = "file"; path = "tls/web.pem"; key_path = "tls/web.key"; },
             { id = "b"; type = "file"; path = "./tls/web.pem"; key_path = "tls/../tls/web.key"; },
             { id = "le"; type = "file"; path = "le/live/m/fullchain.pem"; key_path = "le/live/m/privkey.pem"; } ); },
  { name = "apache"; host = "web2"; kind = "apache"; run_test = [ "true" ];
    refs = ( { id = "vh"; type = "file"; path = "tls/web.pem"; key_path = "tls/web.key"; } ); },
  { name = "postfix"; host = "web2"; kind = "postfix"; run_test = [ "true" ];
    refs = ( { id = "smtpd"; type = "file"; path = "le/live/m/cert.pem"; key_path = "./le/live/m/privkey.pem"; } ); }
);
END
cr plan -c "$CFG" --format json
expect_rc 0
json "r = step('rebind')
assert len(r) == 2, [s['id'] for s in r]
paths = [[w['path'] for w in s['writes']] for s in r]
assert sorted(paths) == [['le/live/m/fullchain.pem', 'le/live/m/cert.pem', 'le/live/m/privkey.pem'],
                         ['tls/web.pem', 'tls/web.key']], paths
refs = sorted(sorted(x['service'] + '/' + x['ref'] for x in s['refs']) for s in r)
assert refs == [['apache/vh', 'nginx/a', 'nginx/b'], ['nginx/le', 'postfix/smtpd']], refs"
cr check -c "$CFG" --no-probe
expect_rc 0
for f in tls/web.pem le/live/m/fullchain.pem le/live/m/cert.pem; do
	expect_eq "$(grep -c "  file.layout        file $f: " "$WORK/out")" 1 "file.layout lines of $f"
done
expect_eq "$(grep -c '  file.layout  ' "$WORK/out")" 3 "file.layout lines"
expect_eq "$(grep -c '  file.key  ' "$WORK/out")" 3 "file.key lines (one per key file and the certificate it pairs with)"
expect_out_contains "pass  file.key           file tls/web.key: 'tls/web.key' holds the private key of the certificate in 'tls/web.pem'"
expect_out_not_contains "file.layout        ref "
cr check -c "$CFG" --no-probe --format json
json "items = [c for s in d['steps'] for c in s['checks'] if c['id'] == 'file.layout']
assert sorted(c['subject'] for c in items) == ['file le/live/m/cert.pem', 'file le/live/m/fullchain.pem', 'file tls/web.pem'], items"
# the merged step still judges each host's own limits (a ref's host, not the step's)
sed 's|{ name = "web2"; }|{ name = "web2"; accepts = { signature = [ "sha1WithRSAEncryption" ]; }; }|' "$CFG" >"$D/sha1.cfg"
cr check -c "$D/sha1.cfg" --no-probe
expect_rc 1
expect_out_contains "FAIL  sigalg             host web2: host 'web2' only validates sha1WithRSAEncryption"
expect_out_contains "pass  keyalg             host web2: "
cr run -c "$CFG" --yes --until 02
expect_rc 0
expect_eq "$(grep -c "  file.content       file " "$WORK/out")" 3 "file.content lines (one per certificate file and the key file beside it)"
cmp -s "$D/tls/web.pem" "$C/extractable-chain.pem" || fail "tls/web.pem does not hold the new certificate and chain"
for f in cert fullchain privkey; do
	expect_eq "$(readlink "$D/le/live/m/$f.pem")" "../../archive/m/${f}2.pem" "le/live/m/$f.pem"
done
[ -e "$D/le/archive/m/privkey3.pem" ] && fail "privkey.pem was written twice"
cr rollback -c "$CFG" --yes
expect_rc 0
cmp -s "$D/tls/web.pem" "$C/old-chain.pem" || fail "rollback did not put tls/web.pem back"
cmp -s "$D/tls/web.key" "$C/old.key" || fail "rollback did not put tls/web.key back"
for f in cert fullchain privkey; do
	expect_eq "$(readlink "$D/le/live/m/$f.pem")" "../../archive/m/${f}1.pem" "le/live/m/$f.pem after rollback"
done
