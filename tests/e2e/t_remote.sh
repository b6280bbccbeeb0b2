#!/bin/sh
# End-to-end: the fixture token reached remotely, as a token forwarded to
# another host or a container is - `p11-kit server --provider <SoftHSM2>`
# started here, its socket handed to p11-kit's client module through
# P11_KIT_SERVER_ADDRESS - and through p11-kit-proxy.so, the module many
# distributions give every application.  Both hand each C_GetFunctionList
# caller a function list of its own: certrotate must use the one libp11
# initialised (it failed with "C_GetInfo: CKR_CRYPTOKI_NOT_INITIALIZED").
# inspect and check --no-probe must say through them exactly what they say
# with the SoftHSM2 module itself, private-key attributes included (which
# need libp11's login on the same connection).
. "$(dirname "$0")/lib.sh"
need_certrotate

LIBDIR=/usr/lib/x86_64-linux-gnu
CLIENT=$LIBDIR/pkcs11/p11-kit-client.so
PROXY=$LIBDIR/p11-kit-proxy.so
MODDIR=/usr/share/p11-kit/modules
command -v p11-kit >/dev/null 2>&1 && [ -f "$CLIENT" ] && [ -f "$PROXY" ] ||
	skip "p11-kit and p11-kit-modules are not installed (make deps)"

# ---------------------------------------------------------------- the server
# A short socket path: sun_path holds 108 bytes, and $WORK may be long.
SOCKDIR=$(mktemp -d "${TMPDIR:-/tmp}/crp11.XXXXXX") || die "mktemp"
on_exit "rm -rf '$SOCKDIR'"
SOCK=$SOCKDIR/sock
# bounded in time whatever happens, and stopped when the test exits
timeout 240 p11-kit server -f -n "$SOCK" --provider "$SOFTHSM_MODULE" "pkcs11:token=edge" \
    >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER=$!
on_exit "kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null"
i=0
while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do
	kill -0 "$SERVER" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
[ -S "$SOCK" ] || die "p11-kit server did not start: $(cat "$WORK/server.err")"
P11_KIT_SERVER_ADDRESS=unix:path=$SOCK
export P11_KIT_SERVER_ADDRESS

# same_as_direct WHAT MODULE: $WORK/out and $WORK/err, with MODULE's path
# written as SoftHSM2's, say what $WORK/direct.out / .err say.  Compared as
# sorted blocks (inspect: one per certificate) and lines: a token lists its
# objects in no fixed order, and SoftHSM2 behind p11-kit's server (another
# process) lists them in another one.
blocks() {
	sed "s|$2|$SOFTHSM_MODULE|g" "$1" |
	    awk 'BEGIN { RS = ""; ORS = "\n" } { gsub(/\n/, "\001"); print }' | sort
}
same_as_direct() {
	blocks "$WORK/direct.out" "$SOFTHSM_MODULE" >"$WORK/want.blocks"
	blocks "$WORK/out" "$2" >"$WORK/got.blocks"
	blocks "$WORK/direct.err" "$SOFTHSM_MODULE" >"$WORK/want.err"
	blocks "$WORK/err" "$2" >"$WORK/got.err"
	expect_file_eq "$WORK/want.blocks" "$WORK/got.blocks"
	expect_file_eq "$WORK/want.err" "$WORK/got.err"
	[ -s "$WORK/got.blocks" ] || fail "$1: no output"
}

direct() {
	sed "s|$2|$SOFTHSM_MODULE|g" "$WORK/out" >"$WORK/got.out"
	sed "s|$2|$SOFTHSM_MODULE|g" "$WORK/err" >"$WORK/got.err"
	expect_file_eq "$WORK/direct.out" "$WORK/got.out"
	expect_file_eq "$WORK/direct.err" "$WORK/got.err"
	[ -s "$WORK/got.out" ] || fail "$1: no output"
}

direct() {
	cr "$@"
	cp "$WORK/out" "$WORK/direct.out"
	cp "$WORK/err" "$WORK/direct.err"
	direct_rc=$rc
}

# ---------------------------------------------------------------- inspect through the client
PIN="pin-source=file:$FIX/edge.pin"
direct inspect "pkcs11:token=edge?module-path=$SOFTHSM_MODULE"
expect_rc 0
expect_eq "$(grep -c '^  subject:' "$WORK/direct.out")" 7 "certificates on edge"
cr inspect "pkcs11:token=edge?module-path=$CLIENT"
expect_rc 0
same_as_direct "inspect (client)" "$CLIENT"

# with a PIN: the key's CKA_SENSITIVE / CKA_EXTRACTABLE are read raw, on the
# connection libp11 logged in on
direct inspect "pkcs11:token=edge?module-path=$SOFTHSM_MODULE&$PIN"
expect_rc 0
cr inspect "pkcs11:token=edge?module-path=$CLIENT&$PIN"
expect_rc 0
same_as_direct "inspect with a PIN (client)" "$CLIENT"
expect_out_contains "private key:         present, sensitive, not extractable"
expect_out_contains "private key:         present, NOT sensitive, EXTRACTABLE"
expect_out_not_contains "unknown"
cr inspect --format json "pkcs11:token=edge;object=mail-2026?module-path=$CLIENT&$PIN"
expect_rc 0
expect_out_contains '"sensitive": true'

# ---------------------------------------------------------------- check through the client
# cfgfile NAME MODULE: a rotation on edge whose tokens entry names MODULE
cfgfile() {
	mkdir -p "$WORK/$1"
	ln -sfn "$FIX" "$WORK/$1/fix"
	cat >"$WORK/$1/certrotate.cfg" <<END
rotation = {
  name = "mail-2026";
  old = "pkcs11:token=edge;object=mail-2025;type=cert";
  new = "pkcs11:token=edge;object=mail-2026;type=cert";
  key = "pkcs11:token=edge;object=mail-2026;type=private";
  chain = [ "file:fix/pki/ca-a2.pem" ];
  trust = [ "file:fix/pki/root.pem" ];
  import_to = "pkcs11:token=edge";
};
tokens = ( { uri = "pkcs11:token=edge"; module = "$2"; pin_source = "file:fix/edge.pin"; } );
hosts = ( { name = "cas2"; } );
services = ( { name = "owa"; host = "cas2"; kind = "iis";
  refs = ( { id = "https"; type = "binding"; cert = "pkcs11:token=edge;object=mail-2025;type=cert"; } ); } );
END
	CFG=$WORK/$1/certrotate.cfg
}
cfgfile direct "$SOFTHSM_MODULE"
for f in text json; do
	direct check --no-probe -c "$CFG" --format $f
	[ "$direct_rc" -le 1 ] || fail "check with the SoftHSM2 module: exit $direct_rc"
	grep -q 'new.key' "$WORK/direct.out" || fail "check ($f) did not test the new key"
	cfgfile client "$CLIENT"
	cr check --no-probe -c "$CFG" --format $f
	expect_rc "$direct_rc"
	sed "s|$WORK/client/|$WORK/direct/|g" "$WORK/out" >"$WORK/out.tmp" && mv "$WORK/out.tmp" "$WORK/out"
	sed "s|$WORK/client/|$WORK/direct/|g" "$WORK/err" >"$WORK/err.tmp" && mv "$WORK/err.tmp" "$WORK/err"
	same_as_direct "check --format $f (client)" "$CLIENT"
	[ $f = json ] || expect_out_contains "pass  token.login        token edge: logged in to token 'edge' (one attempt)"
	cfgfile direct "$SOFTHSM_MODULE"
done

# no server at that address: a module without slots, no token (3), said so
P11_KIT_SERVER_ADDRESS=unix:path=$SOCKDIR/none cr inspect "pkcs11:token=edge?module-path=$CLIENT"
expect_rc 3
expect_err_contains "no token matches 'pkcs11:token=edge?module-path=$CLIENT' (modules searched: '$CLIENT' (no slots))"
expect_err_not_contains "CKR_CRYPTOKI_NOT_INITIALIZED"

# ---------------------------------------------------------------- the proxy module
# With the registered modules (SoftHSM2's among them): the local token.
direct inspect "pkcs11:token=edge?module-path=$SOFTHSM_MODULE&$PIN"
cr inspect "pkcs11:token=edge?module-path=$PROXY&$PIN"
expect_rc 0
same_as_direct "inspect with a PIN (proxy)" "$PROXY"
expect_err_not_contains "CKR_CRYPTOKI_NOT_INITIALIZED"

# With the client as the proxy's only module: the remote token, as p11-kit
# forwards tokens into containers.  p11-kit reads modules from
# ~/.config/pkcs11/modules, except as root (it ignores user configuration
# then): as root, a mount namespace of the command's own puts a directory
# over $MODDIR for it alone.
mkdir -p "$WORK/home/.config/pkcs11/modules"
printf 'module: %s\n' "$CLIENT" >"$WORK/home/.config/pkcs11/modules/remote.module"
printf 'user-config: only\n' >"$WORK/home/.config/pkcs11/pkcs11.conf"
OLD_RUN=$RUN
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$WORK/empty"
	cat >"$WORK/ns.sh" <<END
mount --bind "$WORK/home/.config/pkcs11/modules" "$MODDIR" || exit 125
if [ -d /etc/pkcs11/modules ]; then mount --bind "$WORK/empty" /etc/pkcs11/modules || exit 125; fi
exec "\$@"
END
	if unshare -m sh "$WORK/ns.sh" true 2>/dev/null; then
		RUN="unshare -m sh $WORK/ns.sh $OLD_RUN"
	else
		RUN=none
	fi
fi
if [ "$RUN" = none ]; then
	note "root without mount namespaces: the proxy over the client module is not tested"
	RUN=$OLD_RUN
else
	HOME=$WORK/home cr inspect "pkcs11:token=edge?module-path=$PROXY&$PIN"
	expect_rc 0
	same_as_direct "inspect with a PIN (proxy over the client)" "$PROXY"
	cfgfile direct "$SOFTHSM_MODULE"
	direct check --no-probe -c "$CFG" --format text
	cfgfile proxy "$PROXY"
	HOME=$WORK/home cr check --no-probe -c "$CFG" --format text
	expect_rc "$direct_rc"
	sed "s|$WORK/proxy/|$WORK/direct/|g" "$WORK/out" >"$WORK/out.tmp" && mv "$WORK/out.tmp" "$WORK/out"
	same_as_direct "check (proxy over the client)" "$PROXY"
	# the proxy saw the remote token only: stop the server and it is gone
	kill "$SERVER" 2>/dev/null
	wait "$SERVER" 2>/dev/null
	HOME=$WORK/home cr inspect "pkcs11:token=edge?module-path=$PROXY"
	expect_rc 3
	expect_err_contains "no token matches"
	RUN=$OLD_RUN
fi
