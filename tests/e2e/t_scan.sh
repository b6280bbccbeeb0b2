#!/bin/sh
# End-to-end tests of `certrotate scan` (SPEC 2): a directory tree of fixture
# files (links, a loop, a private key, a request, a FIFO, hidden names, a
# PKCS#12), the fixture token (keys on the token, a pin-source that matches
# several tokens is tried on none), nginx on 127.0.0.1 (HTTPS with and
# without SNI, SMTP STARTTLS, a port nobody listens on, one that never
# answers); soonest expiry first, exit 1 for the expired and the expiring,
# --within, bad durations, exit precedence 2 > 3 > 1; then the Prometheus
# exposition parsed back (names, label escaping, values = notAfter).
. "$(dirname "$0")/lib.sh"
need_certrotate

C=$FIX/certs
NOW=$(date +%s)
CERTROTATE_NOW=$NOW
export CERTROTATE_NOW
EDGE="pkcs11:token=edge?pin-source=file:$FIX/edge.pin"

# not_after FILE: notAfter in seconds since the epoch
not_after() {
	date -u -d "$(openssl x509 -in "$1" -noout -enddate | sed 's/^notAfter=//')" +%s
}
days_left() {
	_d=$(($(not_after "$1") - NOW))
	if [ "$_d" -ge 0 ]; then echo $((_d / 86400)); else echo $((-((-_d + 86399) / 86400))); fi
}
expect_no_crash() {
	[ "${rc:-999}" -lt 128 ] || _lib_fail_cr "crashed (exit $rc)"
}
expect_no_stdout() {
	[ ! -s "$WORK/out" ] || _lib_fail_cr "stdout not empty after a usage error"
}
# row NAME: the table row of fixture certificate NAME (the line with its thumbprint)
row() {
	grep -F -e "$(cert_sha1 "$C/$1.pem")" "$WORK/out" | head -n 1
}
# expect_row NAME STATUS KEY SOURCE: its row says so, days left included
expect_row() {
	_r=$(row "$1")
	[ -n "$_r" ] || { _lib_fail_cr "no row for '$1'"; return 0; }
	_got=$(echo "$_r" | awk '{ print $2, $3, $4, $5 }')
	_want="$(days_left "$C/$1.pem") $2 $3 $(cert_sha1 "$C/$1.pem")"
	[ "$_got" = "$_want" ] || _lib_fail_cr "row of '$1': expected '$_want ...', got: $_r"
	[ "${_r%"  $4"}" != "$_r" ] || _lib_fail_cr "row of '$1' does not end with source '$4': $_r"
}
expect_no_row() {
	[ -z "$(row "$1")" ] || _lib_fail_cr "'$1' is listed"
}
# expect_order NAME...: their rows come in this order
expect_order() {
	_prev=0
	for _n in "$@"; do
		_l=$(grep -nF -e "$(cert_sha1 "$C/$_n.pem")" "$WORK/out" | head -n 1 | cut -d: -f1)
		[ -n "$_l" ] && [ "$_l" -gt "$_prev" ] || _lib_fail_cr "'$_n' not listed after the ones before it ($*)"
		_prev=${_l:-0}
	done
}
expect_rows() {
	_n=$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$WORK/out")
	[ "$_n" = "$1" ] || _lib_fail_cr "expected $1 certificate rows, got $_n"
}
expect_no_cr_on_stderr() {
	! grep -q "$(printf '\r')" "$WORK/err" || _lib_fail_cr "progress on stderr, which is no terminal"
}
# json_check PY [ARG...]: the python3 snippet PY with d = the parsed stdout, ARGs in sys.argv[2:]
json_check() {
	_py=$1
	shift
	python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
$_py" "$WORK/out" "$@" 2>"$WORK/py.err" || _lib_fail_cr "JSON check failed: $(tail -n 1 "$WORK/py.err")"
}

# ================================================================ a directory tree
T=$WORK/tree
mkdir -p "$T/sub/deeper" "$T/.hidden"
cp "$C/expired.pem" "$T/expired.pem"
cp "$C/old-chain.pem" "$T/sub/old-chain.pem"
cp "$C/new.der" "$T/sub/deeper/new.CER"
cp "$C/default.p12" "$T/sub/default.pfx"
cp "$C/old.key" "$T/privkey.pem"			# certbot's name for the key
openssl req -new -key "$C/old.key" -subj /CN=request -out "$T/request.pem" 2>/dev/null ||
	die "cannot make a request"
cp "$C/ec.pem" "$T/.hidden/ec.pem"			# hidden: not scanned
cp "$C/other.pem" "$T/other.txt"			# not a certificate file name
ln -s expired.pem "$T/link-to-expired.pem"		# the same file again: listed once
ln -s .. "$T/sub/up"					# a loop
mkfifo "$T/pipe.pem"					# never opened

cr scan "$T?pass-source=file:$C/p12.pass"
expect_rc 1
expect_rows 4
expect_row expired EXPIRED - "$T/expired.pem"
expect_row old EXPIRING - "$T/sub/old-chain.pem"
expect_row new ok - "$T/sub/deeper/new.CER"
expect_row default ok - "$T/sub/default.pfx"
expect_order expired old new default
expect_no_row ec
expect_no_row other
expect_out_contains "$T/pipe.pem: a FIFO, not opened"
expect_out_contains "$T/privkey.pem: a private key (PRIVATE KEY), no certificate"
expect_out_contains "$T/request.pem: not a certificate (CERTIFICATE REQUEST)"
expect_out_not_contains "link-to-expired"
expect_out_contains "summary: 4 certificates from 1 source: 1 expired, 1 expiring within 30d, 2 ok; 3 skipped: EXPIRING (exit 1)"
[ ! -s "$WORK/err" ] || _lib_fail_cr "stderr not empty: skipped files are no errors"

# the PKCS#12 without its password: bad input (2), named, and the rest still listed
cr scan "$T"
expect_rc 2
expect_rows 3
expect_err_contains "cannot read '$T/sub/default.pfx': the PKCS#12 needs a password"
expect_out_contains "failed (1 of 1 source):"
expect_out_contains "BAD INPUT (exit 2)"
expect_row expired EXPIRED - "$T/expired.pem"

# JSON: inspect's keys, expiring, the skipped files, a summary
cr scan "$T?pass-source=file:$C/p12.pass" --format json
expect_rc 1
json_check "
c = d['certificates']
assert [x['sha1'] for x in c][:2] == sys.argv[2:4], [x['sha1'] for x in c]
for k in ('subject', 'issuer', 'serial', 'not_after', 'days_left', 'sha1', 'sha256', 'source', 'san'):
    assert all(k in x for x in c), k
assert [x['expiring'] for x in c] == [True, True, False, False]
assert [x['expired'] for x in c] == [True, False, False, False]
assert c[0]['days_left'] == int(sys.argv[4]) and c[0]['days_left'] < 0
assert c[0]['not_after'].endswith('Z')
assert sorted((s['reason'], s['path'].split('/')[-1]) for s in d['skipped']) == [
    ('not-a-certificate', 'request.pem'), ('not-a-regular-file', 'pipe.pem'),
    ('private-key', 'privkey.pem')], d['skipped']
assert d['summary'] == {'certificates': 4, 'expired': 1, 'expiring': 2, 'ok': 2, 'sources': 1,
    'sources_failed': 0, 'skipped': 3}, d['summary']
assert d['within'] == '30d' and d['within_seconds'] == 30 * 86400
assert d['sources'][0]['status'] == 'ok' and d['sources'][0]['kind'] == 'path'
assert d['exit'] == 1
" "$(cert_sha1 "$C/expired.pem")" "$(cert_sha1 "$C/old.pem")" "$(days_left "$C/expired.pem")"

# --within: what counts as expiring (old has 19 days and some hours left)
T2=$WORK/tree2
mkdir -p "$T2"
cp "$C/old.pem" "$C/new.pem" "$T2/"
for case in "0s 0" "90s 0" "=12h 0" "19d 0" "2w 0" "20d 1" "3w 1" "30d 1" "- 1" "9999w 1"; do
	set -- $case
	case $1 in
	-) cr scan "$T2" ;;
	=*) cr scan "$T2" "--within$1" ;;
	*) cr scan "$T2" --within "$1" ;;
	esac
	[ "$rc" = "$2" ] || _lib_fail_cr "--within $1: expected exit $2, got $rc"
	expect_rows 2
done
cr scan --within 0s "$T2"
expect_out_contains "summary: 2 certificates from 1 source: 0 expired, 0 expiring within 0s, 2 ok: ok"
# an expired certificate counts whatever the window
cr scan "$T" --within 0s
expect_rc 2	# the PKCS#12 still needs its password: 2 wins over 1
cr scan "$T/expired.pem" --within 0s
expect_rc 1
expect_out_contains "1 expired, 0 expiring within 0s"

# bad input: exit 2, one message, nothing on stdout
for bad in 30 -1d 1.5d 30x d "30 d" "" 99999999999999999999w; do
	cr scan "$T2" --within "$bad"
	expect_rc 2
	expect_err_contains "bad --within '$bad'"
	expect_no_stdout
done
cr scan "$T2" --within
expect_rc 2
expect_err_contains "option '--within' needs a value"
cr scan "$T2" --timeout 0s
expect_rc 2
expect_err_contains "bad --timeout '0s'"
cr scan "$T2" --format yaml
expect_rc 2
expect_err_contains "unknown format 'yaml' (expected text|json|prometheus)"
cr scan --within 1d
expect_rc 2
expect_err_contains "no SOURCE given"
cr scan "$T2" --colour
expect_rc 2
expect_err_contains "unknown option '--colour'"
expect_no_stdout
# files named on the command line must be certificates; a FIFO is never opened
cr scan "$T/privkey.pem"
expect_rc 2
expect_err_contains "cannot read '$T/privkey.pem': not a certificate (the PEM holds PRIVATE KEY but no CERTIFICATE)"
cr scan "$T/pipe.pem" "$T2"
expect_rc 2
expect_no_crash
expect_err_contains "cannot read '$T/pipe.pem': is a FIFO, not a regular file"
expect_rows 2
cr scan "$WORK/nonexistent.pem"
expect_rc 2
expect_err_contains "cannot read '$WORK/nonexistent.pem': No such file or directory"
expect_out_contains "no certificates found"
expect_no_cr_on_stderr

# ================================================================ the fixture token
cr scan "$EDGE"
expect_rc 1
expect_rows 7
for n in expired old new ec default extractable noeku; do
	_r=$(row "$n")
	case $_r in *" yes  $(cert_sha1 "$C/$n.pem")  "*) ;; *) _lib_fail_cr "'$n': private key not shown on the token: $_r" ;; esac
done
expect_order expired old new default
expect_out_contains "object=expired;id=%40;type=cert?pin-source=file:$FIX/edge.pin"
expect_out_contains "summary: 7 certificates from 1 source: 1 expired, 1 expiring within 30d, 5 ok: EXPIRING (exit 1)"

cr scan "$EDGE" --format json
expect_rc 1
json_check "
c = d['certificates']
assert len(c) == 7
assert [x['token']['object'] for x in c[:2]] == ['expired', 'mail-2025'], c[:2]
assert all(x['token']['label'] == 'edge' and x['token']['private_key']['present'] is True for x in c)
assert [x['expiring'] for x in c] == [True, True] + [False] * 5
ext = [x for x in c if x['token']['object'] == 'extractable'][0]
assert ext['token']['private_key']['extractable'] is True
assert d['sources'][0]['kind'] == 'token' and d['summary']['expiring'] == 2
"

# one object, within 0s: fine
cr scan "pkcs11:token=edge;object=mail-2026?pin-source=file:$FIX/edge.pin" --within 0s
expect_rc 0
expect_row new ok yes "pkcs11:token=edge;object=mail-2026?pin-source=file:$FIX/edge.pin"
# without a PIN the keys are not looked up, and the output says why
cr scan "pkcs11:token=edge"
expect_rc 1
expect_row old EXPIRING "?" "pkcs11:token=edge;serial=$(grep -o 'serial=[0-9a-f]*' "$WORK/out" | head -n 1 | cut -d= -f2);object=mail-2025;id=%10;type=cert"
expect_out_contains "token 'edge': not logged in: no PIN source"
# an object that is not there is bad input; a token that is not there, the environment
cr scan "pkcs11:token=edge;object=nosuch"
expect_rc 2
expect_err_contains "no certificate matches 'pkcs11:token=edge;object=nosuch'"
cr scan "pkcs11:token=nosuch" "$T2"
expect_rc 3
expect_err_contains "no token matches 'pkcs11:token=nosuch'"
expect_rows 2
# plain pkcs11: every token of every registered module, the system trust store left out
cr scan "pkcs11:"
expect_rc 1
expect_row other ok "?" "pkcs11:token=spare;serial=$(grep -o 'token=spare;serial=[0-9a-f]*' "$WORK/out" | head -n 1 | cut -d= -f3);object=other;id=%01;type=cert"
expect_row expired EXPIRED "?" "pkcs11:token=edge;serial=$(grep -o 'token=edge;serial=[0-9a-f]*' "$WORK/out" | head -n 1 | cut -d= -f3);object=expired;id=%40;type=cert"
expect_rows 8
expect_out_not_contains "System%20Trust"

# a pin-source matching two tokens is tried on neither (counted through the
# fault module, which forwards to SoftHSM2 and logs every call); a wrong PIN
# is tried once, and the certificates are still listed
[ -f "$P11FAULT" ] || die "fault module '$P11FAULT' not built"
fix_clone
LOG=$WORK/p11.log
: >"$LOG"
P11FAULT_LOG=$LOG cr scan "pkcs11:?module-path=$P11FAULT&pin-source=file:$FIX/edge.pin"
expect_rc 1
expect_rows 8
expect_eq "$(grep -c '^C_Login' "$LOG")" 0 "C_Login calls for a pin-source matching two tokens"
expect_err_contains "matches 2 tokens: its pin-source is tried on none of them"
expect_out_contains "token 'spare': not logged in: the pin-source of"
: >"$LOG"
P11FAULT_LOG=$LOG cr scan "pkcs11:token=spare?module-path=$P11FAULT&pin-source=file:$FIX/wrong.pin"
expect_rc 3
expect_eq "$(grep -c '^C_Login' "$LOG")" 1 "C_Login calls with a wrong PIN"
expect_err_contains "PIN refused by token 'spare'"
expect_rows 1
expect_out_contains "SOURCE FAILED (exit 3)"

# ================================================================ endpoints
PWEB=$(free_port)
PSMTP=$(free_port)
PDEAD=$(free_port)	# reserved, and nobody listens on it
nginx_start web "$(http_block \
	"$(https_server "$PWEB" "$C/extractable-chain.pem" "$C/extractable.key" www.contoso.com)" \
	"$(https_server "$PWEB" "$C/old-chain.pem" "$C/old.key" _)")"
nginx_start smtp "$(smtp_conf "$PSMTP" "$C/default-chain.pem" "$C/default.key")"
WEB="tls://127.0.0.1:$PWEB"
SNI="tls://127.0.0.1:$PWEB?sni=www.contoso.com"
SMTP="tls://127.0.0.1:$PSMTP?starttls=smtp"
DEAD="tls://127.0.0.1:$PDEAD"

cr scan "$WEB" "$SNI" "$SMTP" "$WEB"
expect_rc 1
expect_rows 3		# the same source twice is listed once
expect_row old EXPIRING - "$WEB"
expect_row extractable ok - "$SNI"
expect_row default ok - "$SMTP"
expect_order old extractable default
# an endpoint nobody answers on: 3, named; the others still listed
cr scan "$WEB" "$DEAD" "$SNI" "$SMTP"
expect_rc 3
expect_rows 3
expect_err_contains "cannot scan '$DEAD': endpoint '127.0.0.1:$PDEAD': connection refused"
expect_out_contains "failed (1 of 4 sources):"
expect_out_contains "SOURCE FAILED (exit 3)"
expect_row old EXPIRING - "$WEB"
cr scan "$SNI" "$DEAD" --within 0s
expect_rc 3
cr scan "$SNI" --within 0s
expect_rc 0
# 2 wins over 3, which wins over 1 (SPEC 2)
cr scan "$DEAD" "$WORK/nonexistent.pem" "$WEB"
expect_rc 2
expect_rows 1
cr scan "tls://127.0.0.1" "$SNI"
expect_rc 2
expect_rows 1
# an endpoint that accepts and never speaks: bounded by --timeout
PSILENT=$(free_port)
python3 -c "import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(8); time.sleep(60)" "$PSILENT" &
SILENT_PID=$!
on_exit "kill $SILENT_PID 2>/dev/null"
i=0
while [ -z "$(ss -Hltn "sport = :$PSILENT")" ] && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
cr scan "tls://127.0.0.1:$PSILENT?starttls=smtp" "$SNI" --timeout 1s
expect_rc 3
expect_err_contains "timed out after 1000 ms waiting for the SMTP banner"
expect_rows 1
kill "$SILENT_PID" 2>/dev/null
expect_no_cr_on_stderr
# more endpoints than are probed at once: progress on stderr, only when it is
# a terminal (script(1) gives it one)
set --
i=0
while [ "$i" -lt 40 ]; do
	set -- "$@" "tls://127.0.0.1:$PWEB?sni=h$i.contoso.com"
	i=$((i + 1))
done
cr scan "$@" --within 0s
expect_rc 0
expect_rows 40
expect_no_cr_on_stderr
if command -v script >/dev/null; then
	cmd="'$CERTROTATE' scan --within 0s"
	for a in "$@"; do cmd="$cmd '$a'"; done
	script -qec "$cmd" /dev/null >"$WORK/tty.out" 2>&1 </dev/null
	grep -q "certrotate: probing endpoints: 40/40" "$WORK/tty.out" ||
		fail "no progress on a terminal: $(tail -c 300 "$WORK/tty.out")"
	grep -q "summary: 40 certificates from 40 sources" "$WORK/tty.out" ||
		fail "the scan on a terminal did not finish: $(tail -c 300 "$WORK/tty.out")"
else
	note "script(1) missing: progress on a terminal not tested"
fi

# ================================================================ Prometheus, parsed back
# A directory whose name needs every escape of the format (and one byte
# that is not UTF-8), a certificate whose subject holds quotes, a backslash
# and a newline, the token, the endpoints and the dead one.
W=$WORK/$(printf 'we"ird\\dir\nx\377')
mkdir -p "$W"
cp "$C/new.pem" "$W/a.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/odd.key" \
    -out "$W/odd.pem" -days 10 -subj "/CN=say \"hi\" \\\\o/O=two$(printf '\nlines')" 2>/dev/null ||
	die "cannot make the odd certificate"
: >"$WORK/expect"
for n in expired old new ec default extractable noeku; do
	echo "$(cert_sha1 "$C/$n.pem") $(not_after "$C/$n.pem")" >>"$WORK/expect"
done
echo "$(cert_sha1 "$W/odd.pem") $(not_after "$W/odd.pem")" >>"$WORK/expect"

cr scan --format prometheus "$W" "$EDGE" "$WEB" "$SNI" "$SMTP" "$DEAD"
expect_rc 3
expect_err_contains "connection refused"
cp "$WORK/out" "$WORK/scan.prom"
python3 - "$WORK/scan.prom" "$WORK/expect" "$W" "$EDGE" "$WEB" "$SNI" "$SMTP" "$DEAD" <<'PY' ||
import os, re, sys

# A parser of the text exposition format (version 0.0.4), strict where the
# format is: UTF-8, LF line ends, HELP/TYPE before a family's samples, each
# family one uninterrupted group, label values escaped \\ \" \n only, one
# value and no timestamp (node_exporter's textfile collector refuses them).
raw = open(sys.argv[1], 'rb').read()
text = raw.decode('utf-8')                      # strict: raises on invalid UTF-8
assert text.endswith('\n') and '\r' not in text
NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
families, samples, done, current, seen = {}, [], set(), None, set()

def labels_at(line, i):
    out = {}
    assert line[i] == '{'
    i += 1
    while line[i] != '}':
        m = LABEL.match(line, i)
        assert m, line
        key, i = m.group(0), m.end()
        assert line[i:i + 2] == '="', line
        i += 2
        val = []
        while line[i] != '"':
            if line[i] == '\\':
                val.append({'\\': '\\', '"': '"', 'n': '\n'}[line[i + 1]])
                i += 2
            else:
                val.append(line[i])
                i += 1
        i += 1
        assert key not in out, line
        out[key] = ''.join(val)
        if line[i] == ',':
            i += 1
    return out, i + 1

def start(name):
    global current
    if current != name:
        assert name not in done, 'family %s is not one group' % name
        if current is not None:
            done.add(current)
        current = name

for line in text.split('\n')[:-1]:
    if line.startswith('# HELP ') or line.startswith('# TYPE '):
        parts = line.split(' ', 3)
        start(parts[2])
        f = families.setdefault(parts[2], {'samples': 0})
        assert f['samples'] == 0, 'HELP/TYPE after samples: ' + line
        key = parts[1].lower()
        assert key not in f, 'two %s lines for %s' % (parts[1], parts[2])
        f[key] = parts[3]
        continue
    assert line and not line.startswith('#'), repr(line)
    m = NAME.match(line)
    name = m.group(0)
    start(name)
    labels, i = labels_at(line, m.end()) if line[m.end()] == '{' else ({}, m.end())
    rest = line[i:].split()
    assert len(rest) == 1, 'a value and nothing else: ' + line
    k = (name, tuple(sorted(labels.items())))
    assert k not in seen, 'duplicate series: ' + line
    seen.add(k)
    families[name]['samples'] += 1
    samples.append((name, labels, float(rest[0])))

cert = 'certrotate_cert_not_after_seconds'
up = 'certrotate_scan_source_up'
assert set(families) == {cert, up}, families
for f in (cert, up):
    assert families[f].get('type') == 'gauge' and families[f].get('help'), families[f]

expect = dict(l.split() for l in open(sys.argv[2]))
certs = [s for s in samples if s[0] == cert]
for name, labels, value in certs:
    assert set(labels) == {'source', 'subject', 'sha1'}, labels
    if labels['sha1'] in expect:
        assert value == float(expect[labels['sha1']]), (labels, value)
assert set(expect) <= {l['sha1'] for _, l, _ in certs}, 'missing certificates'
assert len(certs) == 2 + 7 + 3, len(certs)

# the odd directory: escapes undone, the byte that is not UTF-8 as U+FFFD
wdir = os.fsencode(sys.argv[3]).decode('utf-8', 'replace')
assert '\ufffd' in wdir and '"' in wdir and '\\' in wdir and '\n' in wdir
odd = [l for _, l, _ in certs if l['source'] == wdir + '/odd.pem']
assert len(odd) == 1, [l['source'] for _, l, _ in certs]
assert odd[0]['subject'] == 'O="two\\x0Alines", CN="say ""hi"" \\o"', repr(odd[0]['subject'])
assert any(l['source'] == wdir + '/a.pem' and l['subject'] == 'CN=mail.contoso.com, O=Contoso, C=US'
           for _, l, _ in certs)

# one source_up per source, 0 for the one that failed
ups = {l['source']: v for n, l, v in samples if n == up}
srcs = [os.fsencode(a).decode('utf-8', 'replace') for a in sys.argv[3:]]
assert sorted(ups) == sorted(srcs), (sorted(ups), srcs)
assert ups[sys.argv[8]] == 0 and all(ups[s] == 1 for s in srcs[:-1]), ups
PY
	fail "the Prometheus exposition did not parse back as expected"
# the raw escapes, as node_exporter reads them
expect_file_contains "$WORK/scan.prom" 'source="'"$WORK"'/we\"ird\\dir\nx'
expect_file_contains "$WORK/scan.prom" 'subject="O=\"two\\x0Alines\", CN=\"say \"\"hi\"\" \\o\""'
expect_file_contains "$WORK/scan.prom" "# TYPE certrotate_cert_not_after_seconds gauge"
expect_file_contains "$WORK/scan.prom" "certrotate_scan_source_up{source=\"$DEAD\"} 0"

# text and JSON of the same odd directory: one line per certificate in text
# (control characters written as \xHH), JSON valid UTF-8
cr scan "$W"
expect_rc 1
expect_rows 2
expect_out_contains 'O="two\x0Alines", CN="say ""hi"" \o"'
expect_out_contains "/we\"ird\\dir\\x0Ax"
cr scan "$W" --format json
expect_rc 1
json_check "
assert d['certificates'][0]['source'].endswith('/odd.pem') and '\ufffd' in d['certificates'][0]['source']
assert d['certificates'][0]['subject'] == 'O=\"two\\\\x0Alines\", CN=\"say \"\"hi\"\" \\\\o\"'
"
nginx_stop web
nginx_stop smtp
