# tests/e2e/lib.sh - sourced by the end-to-end tests (POSIX sh).
#
#   . "$(dirname "$0")/lib.sh"
#
# Environment (set by tests/run.sh; defaults when a test is run by hand):
#   SRCDIR      repository root                 (default: two levels above the test)
#   CERTROTATE  the binary under test           (default: $SRCDIR/build/certrotate)
#   P11FAULT    fault-injecting PKCS#11 module  (default: $SRCDIR/build/tests/p11fault.so)
#   TOKENFILL   fills a token with N certificates (default: $SRCDIR/build/bench/tokenfill)
#   WORK        this test's fresh scratch dir   (default: a temp dir removed at exit)
#   FIX ...     fixture variables from env.sh   (default: fixtures built into $WORK/fix)
#   RUN         command prefix for the binary, e.g. valgrind (default: empty)
#
# Failure model: an assertion that fails prints what it expected and the captured
# output, records the failure and lets the test go on; the test then exits 1 at the
# end (from the EXIT trap).  `die` fails and stops at once.  `skip` exits 77.
# nginx instances started here are stopped when the test exits, whatever the reason.
#
# Functions:
#   cr ARGS...                      run $RUN $CERTROTATE ARGS: stdout -> $WORK/out,
#                                   stderr -> $WORK/err, exit code -> $rc (never aborts)
#   expect_rc N
#   expect_out_contains STR         fixed string, in $WORK/out
#   expect_out_not_contains STR
#   expect_err_contains STR         fixed string, in $WORK/err
#   expect_err_not_contains STR
#   expect_out_matches ERE          extended regex, in $WORK/out
#   expect_file_eq A B              byte-equal files
#   expect_file_contains FILE STR
#   expect_eq GOT WANT [WHAT]
#   fail MSG / die MSG / skip MSG / note MSG
#   need_certrotate                 die unless $CERTROTATE is an executable file
#   fix_clone                       private copy of the fixtures in $WORK/fix (tokens too),
#                                   re-exports FIX, SOFTHSM2_CONF...: use before changing tokens
#   on_exit CMD                     run CMD (eval'd) when the test exits
#   free_port                       prints an unused 127.0.0.1 TCP port
#   nginx_start NAME BODY           nginx in $WORK/NAME with BODY (http{}/mail{} blocks)
#   nginx_stop NAME
#   https_server PORT CERT KEY [SERVER_NAME]    a server{} for http_block ("" or _ = default_server)
#   http_block SERVER...            http { common settings + SERVERs }
#   https_conf PORT CERT KEY [SERVER_NAME]      http_block of one https_server
#   smtp_server PORT CERT KEY       a server{} for mail_block (SMTP, STARTTLS only)
#   mail_block AUTHPORT SERVER...   mail { auth_http on AUTHPORT + SERVERs }
#   auth_server AUTHPORT            a server{} for http_block answering auth_http (rejects all)
#   smtp_conf PORT CERT KEY         complete BODY: SMTP STARTTLS on PORT plus its auth endpoint
#   token_key LABEL [TOKEN]         nginx ssl_certificate_key value for a key on a token
#                                   (libp11 engine, test PIN inline; default token edge)
#   haproxy_conf PORT PEM           a haproxy configuration: TLS on 127.0.0.1:PORT with one
#                                   combined PEM (certificate, chain and key), HTTP 200 "haproxy"
#   haproxy_start NAME CONF         haproxy in the foreground (-db) on CONF copied to
#                                   $WORK/NAME/haproxy.cfg, its OpenSSL at security level 0
#                                   (the old certificate is SHA-1 signed); up within ~5 s or
#                                   the test dies; stopped at exit like nginx
#   haproxy_stop NAME
#   level0_conf                     prints an OPENSSL_CONF file at security level 0 ($WORK)
#   tls_cert HOST:PORT [SNI|-] [smtp]   PEM of the leaf an endpoint serves (SNI "-": none)
#   tls_sha256 HOST:PORT [SNI|-] [smtp] its SHA-256 fingerprint (64 upper-case hex)
#   cert_sha256 FILE / cert_sha1 FILE   fingerprint of a PEM certificate (upper-case hex)
#   stub_path NAME...               programs NAME (exit 0, print nothing) in $WORK/stubs, and
#                                   PATH set to that dir then /usr/sbin:/usr/bin:/sbin:/bin:
#                                   hook.exec resolves the same on every machine

_lib_failed=0
_lib_test=$(basename "$0" .sh)
_lib_last=""

# ---------------------------------------------------------------- environment
: "${SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${CERTROTATE:=$SRCDIR/build/certrotate}"
: "${P11FAULT:=$SRCDIR/build/tests/p11fault.so}"
: "${TOKENFILL:=$SRCDIR/build/bench/tokenfill}"
: "${RUN:=}"
export SRCDIR CERTROTATE P11FAULT TOKENFILL RUN
if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/certrotate-$_lib_test.XXXXXX")
	_lib_own_work=1
fi
export WORK
if [ -z "${FIX:-}" ]; then
	sh "$SRCDIR/softhsm-fixtures/mkfixtures.sh" "$WORK/fix" || {
		echo "FAIL: $_lib_test: cannot build fixtures" >&2
		exit 1
	}
	. "$WORK/fix/env.sh"
fi

# ---------------------------------------------------------------- exit handling
_lib_cleanup() {
	if [ -f "$WORK/.nginx" ]; then
		while read -r _n _p; do
			_lib_kill "$_p"
		done <"$WORK/.nginx"
		rm -f "$WORK/.nginx"
	fi
	if [ -f "$WORK/.ports" ]; then
		while read -r _p; do
			rmdir "$CR_PORTS_DIR/$_p" 2>/dev/null || true
		done <"$WORK/.ports"
	fi
	if [ -f "$WORK/.on_exit" ]; then
		while IFS= read -r _c; do
			eval "$_c" || true
		done <"$WORK/.on_exit"
	fi
	if [ "${_lib_own_work:-0}" = 1 ] && [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$WORK"
	fi
}
_lib_exit() {
	_st=$?
	trap - EXIT
	_lib_cleanup
	if [ "$_st" -eq 0 ] && [ "$_lib_failed" -ne 0 ]; then
		_st=1
	fi
	exit "$_st"
}
trap _lib_exit EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

on_exit() { printf '%s\n' "$*" >>"$WORK/.on_exit"; }

# ---------------------------------------------------------------- reporting
note() { printf '# %s\n' "$*" >&2; }

_lib_show() {
	if [ -n "$_lib_last" ]; then
		printf '  command: %s (exit %s)\n' "$_lib_last" "${rc:-?}" >&2
		if [ -f "$WORK/out" ]; then
			printf '  --- stdout ---\n' >&2
			head -c 4000 "$WORK/out" | sed 's/^/  | /' >&2
		fi
		if [ -f "$WORK/err" ]; then
			printf '  --- stderr ---\n' >&2
			head -c 4000 "$WORK/err" | sed 's/^/  | /' >&2
		fi
	fi
}

fail() {
	_lib_failed=1
	printf 'FAIL: %s: %s\n' "$_lib_test" "$*" >&2
}

# a failed expectation about the last `cr`: also show what it printed
_lib_fail_cr() {
	fail "$@"
	_lib_show
}

die() {
	fail "$@"
	exit 1
}

skip() {
	printf 'SKIP: %s: %s\n' "$_lib_test" "$*" >&2
	exit 77
}

# ---------------------------------------------------------------- running the tool
need_certrotate() {
	[ -f "$CERTROTATE" ] && [ -x "$CERTROTATE" ] ||
		die "certrotate binary not found at '$CERTROTATE' (not built?)"
}

cr() {
	_lib_last="certrotate $*"
	rm -f "$WORK"/vg.*.log
	if [ ! -x "$CERTROTATE" ]; then
		: >"$WORK/out"
		echo "certrotate binary not found at '$CERTROTATE' (not built?)" >"$WORK/err"
		rc=127
		_lib_fail_cr "cannot run certrotate"
		return 0
	fi
	rc=0
	# shellcheck disable=SC2086 # RUN is a word list on purpose
	$RUN "$CERTROTATE" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
	if [ -n "$RUN" ] && [ "$rc" -eq 99 ]; then
		_lib_fail_cr "memory errors reported under '$RUN'"
		for _v in "$WORK"/vg.*.log; do
			[ -f "$_v" ] && sed 's/^/  vg| /' "$_v" >&2
		done
	fi
	return 0
}

# The fixtures are built once per run and shared by all tests: a test that writes
# to a token (import, retire, ...) must work on its own copy.
fix_clone() {
	[ "$FIX" != "$WORK/fix" ] || return 0
	_old=$FIX
	cp -a "$_old" "$WORK/fix" || die "fix_clone: cannot copy '$_old'"
	for _f in env.sh softhsm2.conf pkcs11-engine.cnf; do
		sed "s|$_old|$WORK/fix|g" "$_old/$_f" >"$WORK/fix/$_f" || die "fix_clone: $_f"
	done
	. "$WORK/fix/env.sh"
}

# ---------------------------------------------------------------- assertions
expect_rc() {
	[ "${rc:-}" = "$1" ] || _lib_fail_cr "expected exit code $1, got ${rc:-none}"
}

expect_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

expect_out_contains() {
	grep -qF -e "$1" "$WORK/out" 2>/dev/null || _lib_fail_cr "stdout does not contain '$1'"
}

expect_out_not_contains() {
	! grep -qF -e "$1" "$WORK/out" 2>/dev/null || _lib_fail_cr "stdout contains '$1'"
}

expect_err_contains() {
	grep -qF -e "$1" "$WORK/err" 2>/dev/null || _lib_fail_cr "stderr does not contain '$1'"
}

expect_err_not_contains() {
	! grep -qF -e "$1" "$WORK/err" 2>/dev/null || _lib_fail_cr "stderr contains '$1'"
}

expect_out_matches() {
	grep -qE -e "$1" "$WORK/out" 2>/dev/null || _lib_fail_cr "stdout does not match /$1/"
}

expect_file_eq() {
	if [ ! -f "$1" ] || [ ! -f "$2" ]; then
		fail "expect_file_eq: missing file: '$1' or '$2'"
	elif ! cmp -s "$1" "$2"; then
		fail "files differ: '$1' '$2'"
		diff -u "$1" "$2" 2>&1 | head -n 40 | sed 's/^/  /' >&2
	fi
}

expect_file_contains() {
	grep -qF -e "$2" "$1" 2>/dev/null || fail "file '$1' does not contain '$2'"
}

# ---------------------------------------------------------------- certificates, TLS
cert_sha256() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g'
}

cert_sha1() {
	openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'
}

# _lib_probe HOST:PORT [SNI|-] [smtp]: s_client's output (the served leaf in PEM among it).
# The probe runs at security level 0 so that SHA-1 certificates can be seen.
_lib_probe() {
	_h=$1 _sni=${2:--} _st=${3:-}
	if [ "$_sni" = - ]; then
		set -- -noservername
	else
		set -- -servername "$_sni"
	fi
	[ -z "$_st" ] || set -- "$@" -starttls "$_st"
	timeout 10 openssl s_client -connect "$_h" "$@" -cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>/dev/null
}

# tls_cert HOST:PORT [SNI|-] [smtp]: the served leaf, PEM, on stdout (empty on failure)
tls_cert() {
	_lib_probe "$@" | openssl x509 2>/dev/null || true
}

# tls_sha256 HOST:PORT [SNI|-] [smtp]: its SHA-256 fingerprint, 64 upper-case hex (empty on failure)
tls_sha256() {
	_lib_probe "$@" | openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//; s/://g'
}

# ---------------------------------------------------------------- programs
stub_path() {
	mkdir -p "$WORK/stubs"
	for _s in "$@"; do
		printf '#!/bin/sh\nexit 0\n' >"$WORK/stubs/$_s"
		chmod 0755 "$WORK/stubs/$_s"
	done
	PATH=$WORK/stubs:/usr/sbin:/usr/bin:/sbin:/bin
	export PATH
}

# ---------------------------------------------------------------- ports
# Ports come from 20000 up to just below the kernel's ephemeral range
# (ip_local_port_range, 32768 by default): an outgoing connection of any
# process - a probe of another test, a package download - takes its local
# port from that range and could take a port between our "free" check and
# nginx's bind.  A port is reserved with mkdir under $CR_PORTS_DIR, which
# every test run on the machine shares (mkdir is atomic), so two runs at
# once (several developers' BUILD dirs) never pick the same one; the test
# releases its ports when it exits.
CR_PORTS_DIR=${CR_PORTS_DIR:-${TMPDIR:-/tmp}/certrotate-ports}
free_port() {
	mkdir -p "$CR_PORTS_DIR" 2>/dev/null
	_lo=20000
	_hi=$(awk '{ print $1 - 1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	case $_hi in '' | *[!0-9]*) _hi=32767 ;; esac
	[ "$_hi" -gt "$((_lo + 1000))" ] || _hi=$((_lo + 1000))
	_i=0
	while [ "$_i" -lt 200 ]; do
		_i=$((_i + 1))
		_p=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_p=$((_lo + _p % (_hi - _lo + 1)))
		grep -qx "$_p" "$WORK/.ports" 2>/dev/null && continue
		[ -n "$(ss -Hltn "sport = :$_p" 2>/dev/null)" ] && continue
		mkdir "$CR_PORTS_DIR/$_p" 2>/dev/null || continue
		echo "$_p" >>"$WORK/.ports"
		echo "$_p"
		return 0
	done
	echo "free_port: no free port found" >&2
	return 1
}

# ---------------------------------------------------------------- nginx
NGINX_MAIL_MODULE=/usr/lib/nginx/modules/ngx_mail_module.so

https_server() {
	_name=${4:-}
	if [ -z "$_name" ] || [ "$_name" = _ ]; then
		_listen="listen 127.0.0.1:$1 ssl default_server;"
		_sn="server_name _;"
		_tag=default
	else
		_listen="listen 127.0.0.1:$1 ssl;"
		_sn="server_name $_name;"
		_tag=$_name
	fi
	cat <<EOF
    server {
        $_listen
        $_sn
        ssl_certificate "$2";
        ssl_certificate_key "$3";
        ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
        ssl_ciphers "DEFAULT:@SECLEVEL=0";
        location / { return 200 "$_tag\n"; }
    }
EOF
}

http_block() {
	printf 'http {\n    access_log access.log;\n'
	printf '    client_body_temp_path tmp/body;\n    proxy_temp_path tmp/proxy;\n'
	printf '    fastcgi_temp_path tmp/fastcgi;\n    uwsgi_temp_path tmp/uwsgi;\n    scgi_temp_path tmp/scgi;\n'
	for _s in "$@"; do
		printf '%s\n' "$_s"
	done
	printf '}\n'
}

https_conf() {
	http_block "$(https_server "$@")"
}

auth_server() {
	cat <<EOF
    server {
        listen 127.0.0.1:$1;
        location = /auth {
            add_header Auth-Status "Invalid login or password" always;
            add_header Auth-Error-Code "535 5.7.8" always;
            return 204;
        }
    }
EOF
}

smtp_server() {
	cat <<EOF
    server {
        listen 127.0.0.1:$1;
        protocol smtp;
        smtp_auth none;
        starttls only;
        ssl_certificate "$2";
        ssl_certificate_key "$3";
        ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
        ssl_ciphers "DEFAULT:@SECLEVEL=0";
    }
EOF
}

mail_block() {
	_ap=$1
	shift
	printf 'mail {\n    server_name mail.contoso.com;\n    auth_http 127.0.0.1:%s/auth;\n' "$_ap"
	for _s in "$@"; do
		printf '%s\n' "$_s"
	done
	printf '}\n'
}

smtp_conf() {
	_ap=$(free_port) || return 1
	http_block "$(auth_server "$_ap")"
	mail_block "$_ap" "$(smtp_server "$1" "$2" "$3")"
}

token_key() {
	_tok=${2:-edge}
	_pin=$(head -n 1 "$FIX/$_tok.pin")
	printf 'engine:pkcs11:pkcs11:token=%s;object=%s;type=private;pin-value=%s' "$_tok" "$1" "$_pin"
}

# _lib_kill PID: TERM, wait (bounded) until gone or a zombie, KILL if needed, reap.
_lib_kill() {
	kill "$1" 2>/dev/null || return 0
	_i=0
	while [ "$_i" -lt 100 ]; do
		_s=$(ps -o stat= -p "$1" 2>/dev/null || true)
		case $_s in '' | Z*) break ;; esac
		sleep 0.05
		_i=$((_i + 1))
	done
	[ "$_i" -lt 100 ] || kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

nginx_start() {
	_n=$1 _body=$2
	_d=$WORK/$_n
	[ ! -e "$_d/nginx.pid" ] || die "nginx_start: '$_n' already started"
	mkdir -p "$_d/tmp"
	cat >"$_d/nginx.conf" <<EOF
# generated by tests/e2e/lib.sh nginx_start
daemon off;
master_process off;
worker_processes 1;
pid $_d/nginx.pid;
error_log $_d/error.log info;
load_module $NGINX_MAIL_MODULE;
events { worker_connections 64; }
$_body
EOF
	_ports=$(sed -n 's/.*listen 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$_d/nginx.conf" | sort -u)
	[ -n "$_ports" ] || die "nginx_start: '$_n': no 'listen 127.0.0.1:PORT' in the configuration"
	# A bind that fails (a port taken after free_port saw it free) is
	# retried a few times before the test gives up on the server.
	_try=0
	while :; do
		_try=$((_try + 1))
		_nginx_launch "$_n" "$_d"
		_nginx_wait "$_d" "$_ports" && return 0
		if [ "$_try" -lt 4 ] && grep -q 'Address already in use' "$_d/error.log" "$_d/stdout" 2>/dev/null; then
			_lib_kill "$_pid"
			note "nginx '$_n': a port was taken before it could bind; retrying ($_try)"
			: >"$_d/error.log"
			sleep 0.3
			continue
		fi
		echo "--- $_d/nginx.conf" >&2
		sed 's/^/  /' "$_d/nginx.conf" >&2
		echo "--- $_d/error.log" >&2
		tail -n 20 "$_d/error.log" "$_d/stdout" 2>/dev/null | sed 's/^/  /' >&2
		die "nginx '$_n' did not come up on port(s) $(echo $_ports)"
	done
}

# _nginx_launch NAME DIR: start nginx in the background; sets _pid.
_nginx_launch() {
	if grep -q 'engine:pkcs11' "$2/nginx.conf"; then
		OPENSSL_CONF=$P11_ENGINE_CONF nginx -p "$2" -c nginx.conf -e "$2/error.log" \
		    >"$2/stdout" 2>&1 </dev/null &
	else
		nginx -p "$2" -c nginx.conf -e "$2/error.log" >"$2/stdout" 2>&1 </dev/null &
	fi
	_pid=$!
	awk -v n="$1" '$1 != n' "$WORK/.nginx" >"$WORK/.nginx.new" 2>/dev/null
	mv "$WORK/.nginx.new" "$WORK/.nginx"
	echo "$1 $_pid" >>"$WORK/.nginx"
}

# _nginx_wait DIR PORTS: 0 once every port listens (at most ~5 s), 1 when
# nginx died or did not come up.
_nginx_wait() {
	_i=0
	for _p in $2; do
		while [ -z "$(ss -Hltn "sport = :$_p" 2>/dev/null)" ]; do
			if ! kill -0 "$_pid" 2>/dev/null || [ "$_i" -ge 100 ]; then
				return 1
			fi
			sleep 0.05
			_i=$((_i + 1))
		done
	done
	return 0
}

# ---------------------------------------------------------------- haproxy
level0_conf() {
	if [ ! -f "$WORK/openssl-level0.cnf" ]; then
		cat >"$WORK/openssl-level0.cnf" <<EOF
openssl_conf = conf
[conf]
ssl_conf = ssl
[ssl]
system_default = sd
[sd]
CipherString = DEFAULT:@SECLEVEL=0
MinProtocol = TLSv1
EOF
	fi
	echo "$WORK/openssl-level0.cnf"
}

haproxy_conf() {
	cat <<EOF
global
    maxconn 64
defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$1 ssl crt $2
    http-request return status 200 content-type text/plain string "haproxy\n"
EOF
}

haproxy_start() {
	_n=$1
	_d=$WORK/$_n
	mkdir -p "$_d"
	printf '%s\n' "$2" >"$_d/haproxy.cfg"
	_ports=$(sed -n 's/.*bind 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$_d/haproxy.cfg" | sort -u)
	[ -n "$_ports" ] || die "haproxy_start: '$_n': no 'bind 127.0.0.1:PORT' in the configuration"
	OPENSSL_CONF=$(level0_conf) haproxy -db -f "$_d/haproxy.cfg" >"$_d/stdout" 2>&1 </dev/null &
	_pid=$!
	echo "$_n $_pid" >>"$WORK/.nginx"
	if ! _nginx_wait "$_d" "$_ports"; then
		sed 's/^/  /' "$_d/stdout" >&2
		die "haproxy '$_n' did not come up on port(s) $(echo $_ports)"
	fi
}

haproxy_stop() {
	nginx_stop "$1"
}

nginx_stop() {
	[ -f "$WORK/.nginx" ] || return 0
	_pid=$(awk -v n="$1" '$1 == n { print $2 }' "$WORK/.nginx")
	[ -n "$_pid" ] || return 0
	_lib_kill "$_pid"
	awk -v n="$1" '$1 != n' "$WORK/.nginx" >"$WORK/.nginx.new"
	mv "$WORK/.nginx.new" "$WORK/.nginx"
	rm -f "$WORK/$1/nginx.pid"
}
