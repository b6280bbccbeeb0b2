#!/bin/sh
# t_hostile: `run`, `rollback` and `runbook` against a hostile or careless
# world (SPEC 7 and 9) - each case one way it used to go wrong, or one that
# must keep holding:
#   planted link       a symlink of another user's in a world-writable
#                      directory, to a file of root's outside the service's
#                      directory: nothing created beside its target, the link
#                      left alone, the step failed with a clear message
#                      (certbot's root-owned live/ links are t_files' and
#                      test_fsutil's)
#   empty journal      a run whose journal header could not be written (a
#                      full disk: RLIMIT_FSIZE here) leaves an empty file: the
#                      next run starts the journal instead of refusing it
#
# The rotation: a file ref (tls/mail.pem, the old leaf + chain) moved to the
# fixtures' `extractable` certificate, whose key is a file; retire = keep.
# No token is written, no endpoint probed.
. "$(dirname "$0")/lib.sh"
need_certrotate

# hcfg NAME [SERVICE]: the current directory $WORK/NAME with tls/mail.pem and certrotate.cfg, SERVICE (a
# libconfig service entry, with its trailing comma) listed before the file's
# service; the host has an import hook (true) so that every step runs unattended
# up to the restart.  Sets D and CFG.
hcfg() {
	D=$WORK/$1
	mkdir -p "$D/tls"
	ln -sfn "$FIX" "$D/fix"
	cp "$FIX/certs/old-chain.pem" "$D/tls/mail.pem"
	cat >"$D/certrotate.cfg" <<END
rotation = { name = "web-2026"; old = "file:fix/certs/old-chain.pem";
  new = "file:fix/certs/extractable-chain.pem"; key = "file:fix/certs/extractable.key";
  chain = [ "file:fix/pki/ca-a2.pem" ]; trust = [ "file:fix/pki/root.pem" ];
  retire = "keep"; archive_dir = "archive"; };
hosts = ( { name = "web1"; run_import = [ "true" ]; } );
services = ( ${2:-}
  { name = "web"; host = "web1"; kind = "generic"; names = [ "mail.contoso.com" ];
    refs = ( { id = "f"; type = "file"; path = "tls/mail.pem"; } ); } );
END
	CFG=certrotate.cfg
	cd "$D" || die "cannot enter '$D'"
}

# last_event FILE: "STEP EVENT DETAIL" of the journal's last line
last_event() {
	python3 -c 'import json, sys
e = json.loads(open(sys.argv[1], "rb").read().splitlines()[-1])
print(e["step"], e["event"], e.get("detail", ""))' "$1"
}

OLD_SHA1=$(cert_sha1 "$FIX/certs/old.pem")

# ------------------------------------------------------------- a planted link
# before: a link of nobody's to a root file was "certbot's layout": root wrote
# VICTIM-1.pem beside the target and repointed the link there
if [ "$(id -u)" -eq 0 ]; then
	hcfg planted
	V=$WORK/victim-dir
	mkdir -p "$V"
	cp "$FIX/certs/old-chain.pem" "$V/victim.pem"
	chmod 0777 "$D/tls"
	rm "$D/tls/mail.pem"
	ln -s "$V/victim.pem" "$D/tls/mail.pem"
	chown -h 65534 "$D/tls/mail.pem"
	cr run -c "$CFG" --yes
	expect_rc 1
	expect_out_contains "cannot write 'tls/mail.pem': it links to '$V/victim.pem', a file of uid 0, but the link is uid 65534's: not followed"
	expect_eq "$(ls "$V")" "victim.pem" "files beside the planted link's target"
	expect_eq "$(readlink "$D/tls/mail.pem")" "$V/victim.pem" "the planted link"
	expect_eq "$(last_event "$D/certrotate.cfg.state" | cut -d' ' -f1-2)" \
	    "01-rebind-web1-web-f failed" "the journal's last event"

	# the same link planted at the moment of the write (by the hook of the step before)
	hcfg planted-late "{ name = \"a\"; host = \"web1\"; kind = \"generic\";
    refs = ( { id = \"b\"; type = \"binding\"; cert = \"sha1:$OLD_SHA1\";
      run = [ \"sh\", \"-c\", \"rm tls/mail.pem && ln -s '$V/victim.pem' tls/mail.pem && chown -h 65534 tls/mail.pem\" ]; } ); },"
	cr run -c "$CFG" --yes
	expect_rc 3
	expect_out_contains "FAILED"
	expect_err_contains "run stopped at '03-rebind-web1-web-f' (failed): cannot write 'tls/mail.pem': it links to '$V/victim.pem', a file of uid 0, but the link is uid 65534's: not followed"
	expect_eq "$(ls "$V")" "victim.pem" "files beside the planted link's target"
	expect_file_eq "$V/victim.pem" "$FIX/certs/old-chain.pem"
	expect_eq "$(last_event "$D/certrotate.cfg.state" | cut -d' ' -f1-2)" \
	    "03-rebind-web1-web-f failed" "the journal's last event"
else
	note "not root: the planted link (a link of another user's) is not tried"
fi

# ------------------------------------------------------------- an empty journal
# the header cannot be written (RLIMIT_FSIZE 0: writes fail with EFBIG, as on
# a full disk); the file is left empty.  Before: every later run was refused
# with "the rotation name and both certificates' SHA-256 are needed" (exit 2).
hcfg empty
(
	trap '' XFSZ
	ulimit -f 0
	exec "$CERTROTATE" run -c "$CFG" --yes </dev/null
) 2>&1 | cat >"$WORK/full.out"
expect_file_contains "$WORK/full.out" "cannot write journal 'certrotate.cfg.state'"
expect_eq "$(wc -c <"$D/certrotate.cfg.state" | tr -d ' ')" 0 "the journal left by a full disk"
expect_file_eq "$D/tls/mail.pem" "$FIX/certs/old-chain.pem"
cr run -c "$CFG" --yes
expect_rc 1
expect_err_contains "run stopped at '02-restart-web1-web' (manual)"
expect_eq "$(last_event "$D/certrotate.cfg.state")" \
    "01-rebind-web1-web-f done wrote the new material into 'tls/mail.pem' (leaf, chain), as laid out" \
    "the journal's last event"
