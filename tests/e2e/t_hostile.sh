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
#   wrong PIN          run, run --resume, rollback: the token sees the refused
#                      PIN once, not once per command, until its file changes
#   open archive       archive_dir a link to a world-writable directory, or
#                      itself 0777: run archives nothing there and fails the
#                      step; rollback does not put back what such a directory
#                      holds
#   run after rollback a run after a rollback can be rolled back again, and
#                      its rollback puts back what the file held before it
#                      (not the first run's copy); a run after a half-done
#                      rollback is not "complete, nothing to do"
#   cert + key         a rebind writing a certificate and its key_path, the
#                      key's write failing: the certificate is put back (no
#                      new certificate beside the old key)
#   hook stderr        escape sequences and carriage returns in a failing
#                      hook's stderr reach run's output written \xHH
#   runbook            a value it cannot show (U+200E in a path) names the
#                      character as U+200E
#   what holds         a file of another user's, 0600: owner and mode kept; a
#                      directory that cannot be written: the step failed, the
#                      file as it was; the hooks' PEM directory planted as a
#                      link: refused, nothing written through it
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
	# check sees it first (file.layout): the run is refused before any step
	cr run -c "$CFG" --yes
	expect_rc 1
	expect_err_contains "not started: check blocks step '01-rebind-web1-web-f' (file.layout"
	expect_err_contains "cannot write 'tls/mail.pem': it links to '$V/victim.pem', a file of uid 0, but the link is uid 65534's: not followed"
	expect_eq "$(ls "$V")" "victim.pem" "files beside the planted link's target"
	expect_eq "$(readlink "$D/tls/mail.pem")" "$V/victim.pem" "the planted link"
	# and the step itself refuses it too (--only skips the preflight)
	cr run -c "$CFG" --yes --only 01-rebind-web1-web-f
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

# ------------------------------------------------------------- a wrong PIN, run after run
# before: each run, resume and rollback presented the same wrong PIN once more
# (three of them lock a real token); now the refusal is journaled (a digest of
# the token and of the PIN file's identity and times, no byte of the PIN) and
# not presented again until the file changes
[ -f "$P11FAULT" ] || die "fault module '$P11FAULT' not built"
fix_clone
D=$WORK/pin
mkdir -p "$D"
cd "$D" || die "cannot enter '$D'"
ln -sfn "$FIX" fix
WRONG=98765432	# long enough not to be found by chance in a digest
echo "$WRONG" >pin
cat >certrotate.cfg <<END
rotation = { name = "mail-2026"; old = "pkcs11:token=edge;object=mail-2025;type=cert";
  new = "file:fix/certs/new.pem"; key = "pkcs11:token=edge;object=mail-2026;type=private";
  chain = [ "file:fix/pki/ca-a2.pem" ]; trust = [ "file:fix/pki/root.pem" ];
  import_to = "pkcs11:token=edge"; archive_dir = "archive"; };
tokens = ( { uri = "pkcs11:token=edge"; module = "$P11FAULT"; pin_source = "file:pin"; } );
hosts = ( { name = "h1"; } );
services = ( );
END
LOG=$WORK/p11.log
# logins ARGS...: cr ARGS under the fault module's log; N the number of C_Login
logins() {
	: >"$LOG"
	P11FAULT_LOG=$LOG cr "$@"
	N=$(grep -c '^C_Login' "$LOG")
}
logins run -c certrotate.cfg --yes
expect_eq "$N" 1 "C_Login calls of the first run"
expect_rc 3
# refused before any step (the preflight's token.login), the refusal journaled all the same
expect_err_contains "not started: check blocks step '02-retire-token:edge' (token.login"
expect_err_contains "PIN refused by token 'edge' (CKR_PIN_INCORRECT); not retried"
logins run -c certrotate.cfg --yes --resume
expect_eq "$N" 0 "C_Login calls of run --resume with the same wrong PIN"
expect_rc 3
expect_err_contains "PIN refused by token 'edge' in an earlier run, and its source 'pin' has not changed since: not tried again"
logins run -c certrotate.cfg --yes
expect_eq "$N" 0 "C_Login calls of a plain run with the same wrong PIN"
logins rollback -c certrotate.cfg --yes
expect_eq "$N" 0 "C_Login calls of rollback with the same wrong PIN"
if grep -q "$WRONG" certrotate.cfg.state; then
	fail "the journal holds the PIN"
fi
expect_file_contains certrotate.cfg.state '"pin_refused":"'
# --force-login tries it once more
logins run -c certrotate.cfg --yes --force-login
expect_eq "$N" 1 "C_Login calls with --force-login"
expect_rc 3
# the PIN corrected: one login, the rotation goes on
cp "$FIX/edge.pin" pin
logins run -c certrotate.cfg --yes
expect_eq "$N" 1 "C_Login calls once the PIN is corrected"
expect_rc 0

# ------------------------------------------------------------- an archive another user may write
# before: only archive_dir/STEP was checked (0700, ours); archive_dir itself a
# link to a world-writable directory, or a 0777 directory, was used - and
# rollback put back whatever that directory then held into the service's files
EVIL=$WORK/evil
mkdir -p "$EVIL"
chmod 1777 "$EVIL"
for how in link 0777; do
	hcfg "archive-$how"
	if [ "$how" = link ]; then
		ln -s "$EVIL" archive
		want="cannot use 'archive' as a private directory: it is a symbolic link"
	else
		mkdir -m 0777 archive
		chmod 0777 archive	# whatever the umask
		want="cannot use 'archive' as a private directory: it is writable by its group (mode 0777)"
	fi
	cr run -c "$CFG" --yes
	expect_rc 3
	expect_err_contains "run stopped at '01-rebind-web1-web-f' (failed): $want"
	expect_file_eq tls/mail.pem "$FIX/certs/old-chain.pem"
	expect_eq "$(last_event certrotate.cfg.state | cut -d' ' -f1-2)" "01-rebind-web1-web-f failed" \
	    "the journal's last event ($how)"
done
expect_eq "$(ls -A "$EVIL")" "" "what the run left in the world-writable directory"

# a rotation done, then its archive opened to everyone: rollback refuses to put
# back what it holds (another user could have replaced the step's copy)
hcfg archive-later
cr run -c "$CFG" --yes
expect_rc 1
cp tls/mail.pem "$WORK/after-run.pem"
chmod 0777 archive
cr rollback -c "$CFG" --yes
expect_rc 3
expect_out_contains "cannot use 'archive' as a private directory: it is writable by its group (mode 0777)"
expect_file_eq tls/mail.pem "$WORK/after-run.pem"
# made private again, the rollback completes
chmod 0700 archive
cr rollback -c "$CFG" --yes
expect_rc 0
expect_file_eq tls/mail.pem "$FIX/certs/old-chain.pem"

# ------------------------------------------------------------- a runbook value it cannot show
# a file name holding U+200E (invisible): the runbook is refused, saying which
# character (before: "U+0x200E")
LRM=$(printf '\342\200\216')
hcfg lrm
mv tls/mail.pem "tls/ma${LRM}il.pem"
sed -i "s|tls/mail.pem|tls/ma${LRM}il.pem|; s|kind = \"generic\"|kind = \"nginx\"|" "$CFG"
cr runbook -c "$CFG" --kinds "$SRCDIR/kinds" --no-probe -o book.md
expect_rc 2
expect_err_contains "a value holds the character U+200E (byte 16) that a document cannot show as it runs"
[ ! -e book.md ] || fail "a runbook was written"

# ------------------------------------------------------------- what holds (kept as regressions)
# a file of another user's, mode 0600: owner and mode kept
if [ "$(id -u)" -eq 0 ]; then
	hcfg owner
	chown 65534:65534 tls/mail.pem
	chmod 0600 tls/mail.pem
	cr run -c "$CFG" --yes
	expect_rc 1
	expect_eq "$(stat -c '%u:%g %a' tls/mail.pem)" "65534:65534 600" "owner and mode of the rewritten file"
fi
# a directory that cannot be written (immutable, where chattr works): the step
# fails, the file as it was
hcfg readonly
if chattr +i tls 2>/dev/null; then
	on_exit "chattr -i '$D/tls'"
	cr run -c "$CFG" --yes
	chattr -i tls
	expect_rc 3
	expect_err_contains "run stopped at '01-rebind-web1-web-f' (failed): cannot create a temporary file in 'tls': Operation not permitted"
	expect_file_eq tls/mail.pem "$FIX/certs/old-chain.pem"
	expect_eq "$(last_event certrotate.cfg.state | cut -d' ' -f1-2)" "01-rebind-web1-web-f failed" \
	    "the journal's last event (read-only directory)"
else
	note "chattr +i does not work here: the read-only directory is not tried"
fi
# the directory of the PEM files hooks get ({new.pem}), planted as a link
hcfg pemdir "{ name = \"a\"; host = \"web1\"; kind = \"generic\";
    refs = ( { id = \"b\"; type = \"binding\"; cert = \"sha1:$OLD_SHA1\"; run = [ \"true\", \"{new.pem}\" ]; } ); },"
mkdir "$WORK/elsewhere"
ln -s "$WORK/elsewhere" certrotate.cfg.state.pem.d
cr run -c "$CFG" --yes
expect_rc 3
expect_err_contains "cannot use 'certrotate.cfg.state.pem.d' as a private directory: it is a symbolic link"
expect_eq "$(ls -A "$WORK/elsewhere")" "" "what the run wrote through the planted link"

# ------------------------------------------------------------- run again after a rollback
# before: a run after a rollback (stopped at its manual restart) left the
# journal "rolled back", so rollback said "nothing to do" with the new
# certificate in place; and the archive kept the first run's copy, so a
# rollback put back that old content over what the file held in between
hcfg again
cr run -c "$CFG" --yes
expect_rc 1
cr rollback -c "$CFG" --yes
expect_rc 0
expect_file_eq tls/mail.pem "$FIX/certs/old-chain.pem"
printf '# a line the operator added after the rollback\n' >>tls/mail.pem
cp tls/mail.pem "$WORK/between.pem"
cr run -c "$CFG" --yes
expect_rc 1
expect_err_contains "run stopped at '02-restart-web1-web' (manual)"
cr rollback -c "$CFG" --yes
expect_rc 0
expect_out_not_contains "nothing to do"
expect_out_contains "summary: 1 rolled back"
expect_file_eq tls/mail.pem "$WORK/between.pem"

# the other way: a complete run, a rollback that stops half-way; the next run
# is not "complete, nothing to do" - it redoes what the rollback undid
hcfg half
sed -i 's|kind = "generic"; names|kind = "generic"; run_restart = [ "sh", "-c", "echo $CERTROTATE_PHASE >>restarts; [ -z \\"$FAIL_ROLLBACK\\" ] \|\| [ $CERTROTATE_PHASE = run ]" ]; names|' "$CFG"
cr run -c "$CFG" --yes
expect_rc 0
FAIL_ROLLBACK=1 cr rollback -c "$CFG" --yes
expect_rc 3
cr run -c "$CFG" --yes
expect_rc 0
expect_out_not_contains "nothing to do"
expect_eq "$(tr '\n' ' ' <restarts)" "run rollback run " "the restart hook's calls"

# ------------------------------------------------------------- a certificate and its key, one write failing
# before: the certificate was rewritten, the key's write failed - the new
# certificate beside the old key, a service that does not start on its next
# reload; now the step's files are put back as they were
hcfg pair
mkdir keys
cp "$FIX/certs/old.key" keys/mail.key 2>/dev/null || die "no old.key in the fixtures"
chmod 0600 keys/mail.key
sed -i 's|path = "tls/mail.pem"; }|path = "tls/mail.pem"; key_path = "keys/mail.key"; }|' "$CFG"
if chattr +i keys 2>/dev/null; then
	on_exit "chattr -i '$D/keys'"
	cr run -c "$CFG" --yes
	chattr -i keys
	expect_rc 3
	expect_err_contains "run stopped at '01-rebind-web1-web-f' (failed): cannot create a temporary file in 'keys': Operation not permitted; 'tls/mail.pem' put back as it was"
	expect_file_eq tls/mail.pem "$FIX/certs/old-chain.pem"
	expect_file_eq keys/mail.key "$FIX/certs/old.key"
	# the directory writable again: the step completes
	cr run -c "$CFG" --yes
	expect_rc 1
	expect_err_contains "run stopped at '02-restart-web1-web' (manual)"
	expect_eq "$(cert_sha256 tls/mail.pem)" "$(cert_sha256 "$FIX/certs/extractable.pem")" "the certificate after the second run"
else
	note "chattr +i does not work here: the failing key write is not tried"
fi

# ------------------------------------------------------------- a hook's stderr with escape sequences
# before: the FAILED and STOPPED lines of run's text output carried them raw to
# the terminal (a title set, "FAILED" overwritten after a carriage return)
hcfg escapes "{ name = \"a\"; host = \"web1\"; kind = \"generic\";
    refs = ( { id = \"b\"; type = \"binding\"; cert = \"sha1:$OLD_SHA1\";
      run = [ \"sh\", \"-c\", \"printf 'bad \\\\033]0;owned\\\\007 \\\\033[31mRED\\\\r done\\\\n' >&2; exit 3\" ]; } ); },"
cr run -c "$CFG" --yes
expect_rc 3
expect_out_contains "FAILED"
expect_out_contains "exited with status 3: bad \\x1B]0;owned\\x07 \\x1B[31mRED\\x0D done"
if tr -d '\n' <"$WORK/out" | LC_ALL=C grep -q '[[:cntrl:]]'; then
	fail "run's output holds a control byte"
fi
