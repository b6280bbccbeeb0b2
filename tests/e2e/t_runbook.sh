#!/bin/sh
# End-to-end tests of `certrotate runbook`:
#  - golden files: the runbook of every example, Markdown and HTML, against
#    tests/e2e/golden/EXAMPLE.{md,html} after normalising what changes from
#    one fixture build to the next (dates, days, fingerprints, serials, the
#    PEM blocks, the version).  UPDATE_GOLDEN=1 rewrites them instead;
#  - injection: a ref id, a file path, an account and the new certificate's
#    subject holding quotes, $(...), backticks, ; & |, a newline: every sh
#    block of the document is RUN against stub programs that record their
#    arguments - nothing named by a value ran, and each program received the
#    values byte for byte; PowerShell blocks are printable ASCII; host and
#    service names with such characters are refused;
#  - the exit codes of check with the document still written (a failing
#    pre-check: 1; a refused PIN: 3), no document without a plan or with an
#    unknown kind (2), -o written atomically (mode, a planted symlink
#    replaced, not followed; nothing left behind on failure), usage errors.
. "$(dirname "$0")/lib.sh"
need_certrotate

EX=$SRCDIR/examples

# crin DIR ARGS...: cr in DIR (not in a subshell: $rc must reach the test)
crin() {
	_crin_back=$PWD
	cd "$1" || die "no directory '$1'"
	shift
	cr "$@"
	cd "$_crin_back" || die "cannot go back to '$_crin_back'"
}
GOLDEN=$SRCDIR/tests/e2e/golden

# normalise FILE: what differs between two fixture builds, made constant
normalise() {
	# serials are random: 1 to 20 bytes, so not always 40 hex digits
	sed -e '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/{/-----/!d;}' \
	    -e '/^| Serial |/s/`[0-9A-F]*`/`<SERIAL>`/g' \
	    -e '/<td>Serial<\/td>/,+2s/<code>[0-9A-F]*<\/code>/<code><SERIAL><\/code>/' \
	    -e 's/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z/<TIME>/g' \
	    -e 's/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9] UTC/<NOW>/g' \
	    -e 's/[0-9A-F]\{64\}/<SHA256>/g' -e 's/[0-9A-F]\{40\}/<SHA1>/g' \
	    -e 's/[0-9A-F]\{8\}…[0-9A-F]\{4\}/<SHORT>/g' \
	    -e 's/[0-9][0-9]* days\{0,1\}/N days/g' \
	    -e "s|/[^ ']*/stubs/|<STUBS>/|g" \
	    -e 's/certrotate [0-9][0-9.]*[0-9] on/certrotate <VERSION> on/' "$1"
}

# ---------------------------------------------------------------- golden files
# hook.exec resolves the hooks' programs: the same PATH on every machine
stub_path ssh scp
for ex in mail sha1-host two-bindings connector federation protected-default linux; do
	sh "$EX/instantiate.sh" "$EX/$ex" "$WORK/$ex" "$FIX" || die "cannot instantiate $ex"
	case $ex in sha1-host | federation) want=1 ;; *) want=0 ;; esac
	for fmt in md html; do
		crin "$WORK/$ex" runbook --no-probe --format "$fmt"
		expect_rc "$want"
		normalise "$WORK/out" >"$WORK/$ex.$fmt"
		if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
			mkdir -p "$GOLDEN"
			cp "$WORK/$ex.$fmt" "$GOLDEN/$ex.$fmt"
			note "golden file $GOLDEN/$ex.$fmt written"
		else
			expect_file_eq "$WORK/$ex.$fmt" "$GOLDEN/$ex.$fmt"
		fi
	done
	if [ "$want" = 1 ]; then
		expect_err_contains "runbook written, but the pre-checks fail (exit 1): see its section 3"
	else
		expect_err_not_contains "certrotate:"
	fi
done

# every reload comes after its configuration test: the service's run_test,
# the one check runs (config.test), quoted for sh; the kinds hold the reload alone
for svc in nginx haproxy; do
	sed -n "/^### Step [0-9]* of [0-9]*: \`[0-9]*-restart-mx1-$svc\`/,/^### /p" "$WORK/linux.md" >"$WORK/restart.md"
	t=$(grep -n '^\*\*Configuration test first\*\*' "$WORK/restart.md" | head -1 | cut -d: -f1)
	r=$(grep -n "^systemctl reload $svc\$" "$WORK/restart.md" | head -1 | cut -d: -f1)
	[ -n "$t" ] && [ -n "$r" ] && [ "$t" -lt "$r" ] || fail "linux: $svc's reload does not follow its configuration test"
	grep -q ' && systemctl reload' "$WORK/restart.md" && fail "linux: $svc: a test repeated in the reload"
done
expect_file_contains "$WORK/linux.md" "env OPENSSL_CONF=openssl-level0.cnf haproxy -c -f haproxy/haproxy.cfg"
expect_file_contains "$WORK/linux.md" "nginx -t -q -e stderr -p nginx/ -c nginx.conf"

# a native file rebind lists the files it writes; the kind's manual commands
# (one plain leaf + chain file) are offered only where they fit: never over
# certbot's links (they would replace a link with a file) nor a combined PEM
# (they would leave out the key)
expect_file_contains "$WORK/linux.md" "| \`letsencrypt/live/mail.contoso.com/privkey.pem\` | key | 0600 kept | a symbolic link to"
expect_file_contains "$WORK/linux.md" "| \`haproxy/mail.pem\` | leaf, chain, key | 0600 kept | replaced atomically"
expect_eq "$(grep -c '^Not by hand: ' "$WORK/linux.md")" 2 "linux: steps whose files the kind's commands do not fit"
grep -q "^install -m 0644 -- " "$WORK/linux.md" && fail "linux: a manual install over a link or a combined PEM"
expect_file_contains "$WORK/mail.md" "install -m 0644 -- 'mail-2026-new.pem' 'tls/mail.pem'"

# the document says what the plan says: every step id of the example, in order
crin "$WORK/mail" plan --format json
sed -n 's/^      "id": "\([^"]*\)",$/\1/p' "$WORK/out" >"$WORK/mail.ids"
sed -n 's/^### Step [0-9]* of [0-9]*: `\(.*\)`$/\1/p' "$WORK/mail.md" >"$WORK/mail.md.ids"
expect_file_eq "$WORK/mail.md.ids" "$WORK/mail.ids"
expect_file_contains "$WORK/mail.md" "Get-ReceiveConnector -Server 'mx1' | Where-Object Name -eq 'Default Frontend MX1' | Set-ReceiveConnector -TlsCertificateName '<I>CN=Contoso Issuing CA 1, O=Contoso Ltd, C=US<S>CN=mail.contoso.com, O=Contoso, C=US'"
grep -qF '| **FAIL**' "$WORK/mail.md" && fail "mail: a failing check in a ready runbook"
grep -q '| \*\*FAIL\*\* | `sigalg` | host cas02 |' "$WORK/sha1-host.md" ||
	fail "sha1-host: the failing sigalg check is not in the runbook"
grep -q '^| Status | \*\*BLOCKED\*\*: a pre-check fails |$' "$WORK/sha1-host.md" ||
	fail "sha1-host: the blocked step is not marked"
# the HTML page: self-contained, one badge per status word
expect_file_contains "$WORK/mail.html" "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
grep -Eiq '<(script|img|link|iframe)|src="|href="' "$WORK/mail.html" && fail "mail.html: script, link or external asset"
[ "$(grep -o 'class="st st-' "$WORK/mail.html" | wc -l)" -eq "$(grep -o '\*\*\(PASS\|WARN\|FAIL\|SKIP\|READY\|BLOCKED\|DONE\)\*\*' "$WORK/mail.md" | wc -l)" ] ||
	fail "mail.html: not one badge per status word of the Markdown"

# ---------------------------------------------------------------- probing: the same engine as check
HTTPS_PORT=$(free_port) SMTP_PORT=$(free_port) NGINX_PORT=$(free_port)
C=$FIX/certs
sh "$EX/instantiate.sh" "$EX/mail" "$WORK/live" "$FIX" HTTPS_PORT="$HTTPS_PORT" \
	SMTP_PORT="$SMTP_PORT" NGINX_PORT="$NGINX_PORT" || die "cannot instantiate mail"
nginx_start live "$(http_block \
	"$(https_server "$HTTPS_PORT" "$C/old-chain.pem" "$C/old.key" mail.contoso.com)" \
	"$(https_server "$HTTPS_PORT" "$C/old-chain.pem" "$C/old.key" _)" \
	"$(https_server "$NGINX_PORT" "$WORK/live/tls/mail.pem" "$C/old.key" _)")"
nginx_start live-smtp "$(smtp_conf "$SMTP_PORT" "$C/old-chain.pem" "$C/old.key")"
crin "$WORK/live" runbook --timeout 10s
expect_rc 0
expect_out_contains "| **PASS** | \`endpoint\` | ref transport/Default Frontend MX1 | '127.0.0.1:$SMTP_PORT' serves the old certificate now |"
expect_out_not_contains "not probed"
# the runbook's own endpoint lines, run for real (SNI, STARTTLS): against the
# old certificate they print nothing; asked for the old one's fingerprint,
# each prints its line
crin "$WORK/live" runbook --no-probe -o live.md
sed -n '/^The endpoints (sh/,/^```$/{/^openssl s_client/p;}' "$WORK/live/live.md" | sort -u >"$WORK/live.endpoints"
expect_eq "$(wc -l <"$WORK/live.endpoints")" 4 "endpoint lines (https SNI, https default, smtp, nginx)"
grep -q -- "-servername 'mail.contoso.com'" "$WORK/live.endpoints" || fail "no SNI in the endpoint lines"
grep -q -- "-starttls smtp" "$WORK/live.endpoints" || fail "no STARTTLS in the endpoint lines"
[ -z "$(sh "$WORK/live.endpoints")" ] || fail "an endpoint line matched while the old certificate is served"
OLD256=$(cert_sha256 "$C/old.pem")
NEW256=$(grep -o "grep -i -- '[0-9A-F]*'" "$WORK/live.endpoints" | head -1 | sed "s/.*'\\(.*\\)'/\\1/")
[ -n "$NEW256" ] || fail "no fingerprint in the endpoint lines"
sed "s/$NEW256/$OLD256/" "$WORK/live.endpoints" >"$WORK/live.endpoints.old"
expect_eq "$(sh "$WORK/live.endpoints.old" | wc -l)" 4 "endpoint lines matching the old certificate served"
crin "$WORK/live" check --timeout 10s
summary=$(sed -n 's/^summary: \([0-9]*\) pass, \([0-9]*\) warn, \([0-9]*\) fail, \([0-9]*\) skip: .*/\1 pass, \2 warn, \3 fail, \4 skip/p' "$WORK/out")
crin "$WORK/live" runbook --timeout 10s
expect_out_contains "| Pre-checks | $summary: **READY** |"
nginx_stop live
nginx_stop live-smtp

# ---------------------------------------------------------------- exit codes, where it writes
# -o: atomic, 0644 less the umask, never through a symlink, nothing on stdout
echo victim >"$WORK/victim"
ln -s "$WORK/victim" "$WORK/mail/link.md"
(umask 022; crin "$WORK/mail" runbook --no-probe -o link.md; echo "$rc" >"$WORK/rc")
rc=$(cat "$WORK/rc")
expect_rc 0
[ -s "$WORK/out" ] && fail "runbook -o wrote to stdout"
[ "$(cat "$WORK/victim")" = victim ] || fail "runbook -o wrote through a symlink"
[ -f "$WORK/mail/link.md" ] && [ ! -L "$WORK/mail/link.md" ] || fail "link.md is not a regular file now"
expect_eq "$(stat -c %a "$WORK/mail/link.md")" 644 "mode of the runbook"
normalise "$WORK/mail/link.md" >"$WORK/link.norm"
expect_file_eq "$WORK/link.norm" "$WORK/mail.md"
crin "$WORK/mail" runbook --no-probe -o no-such-dir/rb.md
expect_rc 3
expect_err_contains "cannot write 'no-such-dir/rb.md': No such file or directory"
ls "$WORK/mail" | grep -q '\.tmp\.' && fail "a temporary file was left behind"

# no plan, no document: a certificate that cannot be read (bad input), and a
# new certificate not issued yet (blocked, as for plan and check)
sed '/^ *old = /s|object=mail-2025;type=cert|object=no-such;type=cert|' "$WORK/mail/certrotate.cfg" >"$WORK/mail/noold.cfg"
crin "$WORK/mail" runbook --no-probe -c noold.cfg -o noold.md
expect_rc 2
expect_err_contains "no runbook written"
[ -e "$WORK/mail/noold.md" ] && fail "a runbook was written without a plan"
sed 's|object=mail-2026;type=cert|object=no-such;type=cert|' "$WORK/mail/certrotate.cfg" >"$WORK/mail/nonew.cfg"
crin "$WORK/mail" runbook --no-probe -c nonew.cfg -o nonew.md
expect_rc 1
expect_err_contains "(not issued yet? 'certrotate renew' makes the key and the request"
expect_err_contains "no runbook written"
[ -e "$WORK/mail/nonew.md" ] && fail "a runbook was written without a plan"
# an unknown kind: bad input naming the service, file and line, no document
sed 's|kind = "iis"|kind = "iss"|' "$WORK/mail/certrotate.cfg" >"$WORK/mail/kind.cfg"
crin "$WORK/mail" runbook --no-probe -c kind.cfg
expect_rc 2
# (refused on loading, as plan and check refuse it, with the kind meant)
expect_err_contains "kind.cfg:"
expect_err_contains ": services.[0].kind: unknown kind 'iss'; did you mean 'iis'? (kinds in '"
[ -s "$WORK/out" ] && fail "a runbook was written with an unknown kind"
# --kinds DIR is where kinds come from
mkdir -p "$WORK/kinds"
cp "$SRCDIR"/kinds/*.cfg "$WORK/kinds/"
sed 's|Restart-Service MSExchangeTransport|Restart-Service MSExchangeTransport -Confirm|' \
	"$SRCDIR/kinds/exchange-connector.cfg" >"$WORK/kinds/exchange-connector.cfg"
crin "$WORK/mail" runbook --no-probe --kinds "$WORK/kinds"
expect_rc 0
expect_out_contains "Restart-Service MSExchangeTransport -Confirm"

# usage
cr runbook --format xml
expect_rc 2
expect_err_contains "unknown format 'xml' (expected markdown|html)"
crin "$WORK/mail" runbook --no-probe --format md
expect_rc 0
expect_out_contains "# Certificate rotation mail-2026: change runbook"
cr runbook --help
expect_rc 0
expect_out_contains "usage: certrotate runbook [-c FILE] [-o FILE] [--format markdown|html]"
cr runbook -o
expect_rc 2
cr runbook extra
expect_rc 2
expect_err_contains "unexpected argument 'extra'"

# ---------------------------------------------------------------- injection
INJ=$WORK/inj
mkdir -p "$INJ/stubs"
ln -sfn "$FIX" "$INJ/fix"
# the new certificate's subject: a self-signed certificate made here
SUBJ="/O=Contoso/CN=x'\$(touch PWNED)\`id\`;|&<b>\"q\" \$HOME"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$INJ/new.key" -out "$INJ/new.pem" \
	-days 200 -subj "$SUBJ" -addext "subjectAltName=DNS:mail.contoso.com" 2>/dev/null ||
	die "cannot make the hostile certificate"
chmod 0600 "$INJ/new.key"
cat >"$INJ/certrotate.cfg" <<'EOF'
rotation = {
  name = "inj";
  old = "pkcs11:token=edge;object=mail-2025;type=cert";
  new = "file:new.pem";
  key = "file:new.key";
};
tokens = ( { uri = "pkcs11:token=edge"; pin_source = "file:fix/edge.pin"; } );
hosts = ( { name = "web01"; } );
services = (
  { name = "nginx"; host = "web01"; kind = "nginx";
    account = "svc'$(touch PWNED)`id`|&;\"x\" $HOME";
    run_restart = [ "record", "restart", "{service}", "{account}", "{new.subject}" ];
    run_test = [ "record", "test", "{service}", "{account}", "$(touch PWNED);`id`" ];
    refs = (
      { id = "tls $(touch PWNED) `id` 'q' \"d\" ;|& $HOME"; type = "file";
        path = "tls/$(touch PWNED)`id`;'q'|&\n<i>.pem";
        endpoint = "127.0.0.1:1";
        run = [ "record", "rebind", "{ref}", "{path}", "{account}", "{new.subject}" ]; },
      { id = "plain"; type = "file"; path = "tls/plain.pem"; }
    );
  },
  { name = "lb"; host = "web01"; kind = "haproxy";
    refs = ( { id = "vip"; type = "binding"; cert = "pkcs11:token=edge;object=mail-2025;type=cert"; } ); },
  { name = "web"; host = "web01"; kind = "iis";
    refs = ( { id = "Site ’; calc; ‘$(x)`n"; type = "binding";
               cert = "pkcs11:token=edge;object=mail-2025;type=cert"; } ); }
);
EOF
python3 - "$INJ" "$FIX/certs/old-chain.pem" <<'PY' || die "cannot place the hostile files"
import os, shutil, sys
inj, src = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(inj, "tls"), exist_ok=True)
for name in ("$(touch PWNED)`id`;'q'|&\n<i>.pem", "plain.pem"):
    shutil.copy(src, os.path.join(inj, "tls", name))
PY
crin "$INJ" runbook --no-probe -o rb.md
[ "$rc" -le 1 ] || die "runbook of the hostile inventory failed (exit $rc)"
for p in record cp install mv openssl nginx haproxy systemctl tr grep touch id whoami calc cat rm; do
	printf '#!/bin/sh\n{ printf %%s "%s"; for a; do printf "\\037%%s" "$a"; done; printf "\\036"; } >>"$STUBLOG"\n' \
	    "$p" >"$INJ/stubs/$p"
	chmod +x "$INJ/stubs/$p"
done
# every sh block of the document, run as it is (fences as CommonMark reads them)
python3 - "$INJ/rb.md" "$INJ/blocks" <<'PY' || fail "cannot extract the sh blocks"
import os, re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
os.makedirs(sys.argv[2], exist_ok=True)
n, i = 0, 0
while i < len(lines):
    m = re.fullmatch(r"(`{3,})(\S*)", lines[i])
    if not m:
        i += 1
        continue
    fence, info, body = m.group(1), m.group(2), []
    i += 1
    while not (lines[i].startswith(fence) and lines[i].strip("`") == ""):
        body.append(lines[i])
        i += 1
    i += 1
    if info == "sh":
        n += 1
        open(os.path.join(sys.argv[2], "%03d.sh" % n), "w").write("\n".join(body) + "\n")
assert n >= 4, n
PY
mkdir -p "$INJ/run"
: >"$INJ/stub.log"
for b in "$INJ"/blocks/*.sh; do
	(cd "$INJ/run" && STUBLOG=$INJ/stub.log PATH=$INJ/stubs /bin/sh "$b" >/dev/null 2>&1)
done
[ -e "$INJ/run/PWNED" ] || [ -e "$INJ/PWNED" ] && fail "a value was executed: PWNED exists"
python3 - "$INJ/stub.log" "$INJ/new.pem" <<'PY' || fail "the hostile values did not reach the commands intact"
import subprocess, sys
recs = [r.split("\x1f") for r in open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read().split("\x1e") if r]
ran = {r[0] for r in recs}
for bad in ("touch", "id", "whoami", "calc", "rm"):
    assert bad not in ran, "%s ran: %r" % (bad, [r for r in recs if r[0] == bad])
subject = subprocess.run(["openssl", "x509", "-in", sys.argv[2], "-noout", "-subject",
                          "-nameopt", "RFC2253"], capture_output=True, text=True).stdout
ref = "tls $(touch PWNED) `id` 'q' \"d\" ;|& $HOME"
path = "tls/$(touch PWNED)`id`;'q'|&\n<i>.pem"
account = "svc'$(touch PWNED)`id`|&;\"x\" $HOME"
rebind = [r for r in recs if r[:2] == ["record", "rebind"]]
assert len(rebind) == 2, rebind            # the hook, and its rollback with roles swapped
assert rebind[0][2:5] == [ref, path, account], rebind[0]
assert "touch PWNED" in rebind[0][5] and "<b>" in rebind[0][5], rebind[0]
restart = [r for r in recs if r[:2] == ["record", "restart"]]
assert restart and restart[0][2:4] == ["nginx", account], restart
# the configuration test before the reload (the roll back of a hook step is the hook): the
# service's run_test, each argument whole; the kind's default where certrotate
# cannot run it (no file of the service on its machine), before each reload
test = [r for r in recs if r[:2] == ["record", "test"]]
assert len(test) == 1 and test[0][2:] == ["nginx", account, "$(touch PWNED);`id`"], test
hap = [r for r in recs if r[0] == "haproxy"]
assert len(hap) == 2 and hap[0][1:] == ["-c", "-f", "/etc/haproxy/haproxy.cfg"], hap
order = [r[0] if r[0] != "record" else r[1] for r in recs]
assert order.index("haproxy") < order.index("systemctl"), order
inst = [r for r in recs if r[0] in ("install", "cp", "mv", "openssl")]
assert any(path in r for r in inst), inst      # the nginx kind's commands got the path whole
PY
# PowerShell blocks: printable ASCII only (values beyond ASCII are [char] codes)
python3 - "$INJ/rb.md" <<'PY' || fail "a PowerShell block is not printable ASCII"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r"^(`{3,})powershell\n(.*?)^\1$", text, re.S | re.M)
assert blocks
for _, b in blocks:
    assert all(c == "\n" or " " <= c <= "~" for c in b), b
assert "('Site ' + [char]0x2019 + '; calc; ' + [char]0x2018 + '$(x)`n')" in text
PY
grep -q "PWNED" "$INJ/rb.md" || fail "the hostile values are not in the runbook at all"
expect_file_contains "$INJ/rb.md" "the default test of the kind: certrotate does not run it, as none of the service's files is on the machine running certrotate"
crin "$INJ" runbook --no-probe --format html -o rb.html
grep -Eiq '<(script|img|b|i)>|<(script|img) ' "$INJ/rb.html" && fail "rb.html holds markup from a value"
expect_file_contains "$INJ/rb.html" "&lt;i&gt;.pem"

# host and service names appear in step ids: such characters are refused there
sed 's|name = "web01"; }|name = "web01;id"; }|' "$INJ/certrotate.cfg" >"$INJ/badhost.cfg"
crin "$INJ" runbook --no-probe -c badhost.cfg
expect_rc 2
expect_err_contains "hosts.[0].name: 'web01;id': only letters, digits, '.', '_' and '-' are allowed"

# ---------------------------------------------------------------- a refused PIN (last: on a copy of the tokens)
# the document is written, with token.login failed; exit 3 as check
fix_clone
mkdir -p "$WORK/pin"
sed 's|file:fix/edge.pin|file:fix/wrong.pin|' "$WORK/mail/certrotate.cfg" >"$WORK/pin/certrotate.cfg"
ln -sfn "$FIX" "$WORK/pin/fix"
mkdir -p "$WORK/pin/tls" && cp "$WORK/mail/tls/mail.pem" "$WORK/pin/tls/"
crin "$WORK/pin" runbook --no-probe -o rb.md
expect_rc 3
expect_err_contains "runbook written to rb.md, but the pre-checks could not all be made (exit 3)"
expect_file_contains "$WORK/pin/rb.md" "| **FAIL** | \`token.login\` | token edge |"
expect_file_contains "$WORK/pin/rb.md" "**ENVIRONMENT FAILURE**"

