#!/bin/sh
# t_run_manual: `run` and `rollback` with an operator at a terminal (a
# pseudo-terminal driven by tests/e2e/ptyrun.py): manual steps show their
# kind's commands and ask y/s/r/a - y done (then verified), r checks again
# and asks again, s skips (journaled skipped, offered again by the next
# run), a aborts (exit 1, journaled where); native and command steps are
# confirmed too.  A second run while one waits at its prompt is refused (the
# journal is locked).  Without a terminal, run refuses to ask (exit 2);
# with --yes it stops at the first manual step (exit 1), naming it.  A
# hook's {new.pem} is a 0600 file in a 0700 directory beside the journal,
# gone after the run; in the rollback the hook runs with old and new
# swapped.
. "$(dirname "$0")/lib.sh"
need_certrotate

D=$WORK/manual
mkdir -p "$D"
ln -s "$FIX" "$D/fix"
OLD_SHA1=$(cert_sha1 "$FIX/certs/old.pem")
NEW_SHA1=$(cert_sha1 "$FIX/certs/new.pem")
OLD_FP=$(cert_sha256 "$FIX/certs/old.pem")
NEW_FP=$(cert_sha256 "$FIX/certs/new.pem")
cat >"$D/certrotate.cfg" <<EOF2
rotation = {
  name = "manual-2026";
  old = "file:fix/certs/old.pem";
  new = "file:fix/certs/new-chain.pem";
  key = "pkcs11:token=edge;object=mail-2026;type=private";
  chain = [ "file:fix/pki/ca-a2.pem" ];
  trust = [ "file:fix/pki/root.pem" ];
};
hosts = ( { name = "web1"; run_retire = [ "/bin/true", "{host}" ]; } );
services = (
  { name = "site"; host = "web1"; kind = "iis";
    names = [ "mail.contoso.com" ];
    run_restart = [ "./hook", "{new.pem}", "{old.sha1}" ];
    refs = ( { id = "Default Web Site"; type = "binding"; cert = "sha1:$OLD_SHA1"; } );
  }
);
EOF2
cat >"$D/hook" <<'EOF2'
#!/bin/sh
# records what it was given: the PEM file's mode, its directory's, its leaf, {old.sha1}
printf '%s %s %s %s %s\n' "$(stat -c %a "$1")" "$(stat -c %a "$(dirname "$1")")" \
    "$(openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g')" "$2" \
    "$CERTROTATE_PHASE" >>hook.log
EOF2
chmod +x "$D/hook"
PTY=$SRCDIR/tests/e2e/ptyrun.py
export PTYRUN_LOG=$WORK/pty.log

# pty ANSWERS ARGS...: certrotate ARGS in $D at a terminal; output in $WORK/out, exit in $rc
pty() {
	_a=$1
	shift
	rc=0
	(cd "$D" && python3 "$PTY" "$_a" "$CERTROTATE" "$@") >"$WORK/out" 2>&1 || rc=$?
	_lib_last="(pty) certrotate $*"
	: >"$WORK/err"
}

cd "$D" || die "no '$D'"
cr plan
expect_rc 0
expect_out_contains "01-import-web1"
expect_out_contains "02-rebind-web1-site-default-web-site"
expect_out_contains "03-restart-web1-site"
expect_out_contains "04-retire-web1"

# ---------------------------------------------------------------- no terminal, --yes
cr run
expect_rc 2
expect_err_contains "run asks before each step, and stdin is not a terminal"
expect_err_contains "pass --yes"
[ ! -e certrotate.cfg.state ] || fail "a journal was made without a terminal"
cr run --yes --state yes.state
expect_rc 1
expect_out_contains "NOT DONE (manual)"
expect_out_contains "next: '01-import-web1' is a manual step and --yes never asks"
expect_err_contains "run stopped at '01-import-web1' (manual)"
expect_eq "$(wc -l <yes.state)" 1 "lines of a journal where nothing was done"
# --only / --until name a step by id or number
cr run --yes --state only.state --only nope
expect_rc 2
expect_err_contains "no step 'nope' in the plan (give its id or number)"
cr run --yes --state only.state --only 4
expect_rc 1
expect_out_contains "[4/4] 04-retire-web1  command"
expect_out_contains "retire waits for 02-rebind-web1-site-default-web-site, which is not done yet"
expect_out_not_contains "01-import-web1  manual"
cr run --yes --state only.state --until 04-retire-web1
expect_rc 1
expect_out_contains "NOT DONE (manual)"
expect_out_not_contains "[4/4]"

# ---------------------------------------------------------------- y, r, s, a
# at the first prompt, a second run on the same journal is refused
pty "!$CERTROTATE run --yes,y,r,s,a" run
expect_rc 1
expect_out_contains "Import-Certificate -FilePath '$D/certrotate.cfg.state.pem.d/new.pem'"
expect_out_contains "done? [y/s/r/a]"
expect_out_contains "do 03-restart-web1-site? [y/s/a]"
expect_out_contains "Get-WebBinding"
expect_out_contains "'Default Web Site'"
expect_out_contains "skipped: skipped by the operator"
expect_out_contains "ABORTED"
expect_out_contains "STOPPED at 03-restart-web1-site (aborted): aborted by the operator before the step started"
expect_file_contains "$PTYRUN_LOG" "exit 3: "
expect_file_contains "$PTYRUN_LOG" "in use"
# r: the rebind's preconditions evaluated, shown, and asked about twice
expect_eq "$(sed -n '/02-rebind-web1-site-default-web-site  manual/,/skipped/p' "$WORK/out" |
    grep -c 'preconditions:')" 2 "preconditions of the rebind"
python3 - certrotate.cfg.state >"$WORK/states" <<'PY' || fail "the journal does not parse"
import json, sys
last = {}
for l in open(sys.argv[1]).read().splitlines()[1:]:
    e = json.loads(l)
    last[e["step"]] = e["event"] + " " + e.get("detail", "")
for k in sorted(last):
    print(k, last[k])
PY
expect_file_contains "$WORK/states" "01-import-web1 done done by the operator"
expect_file_contains "$WORK/states" "02-rebind-web1-site-default-web-site skipped skipped by the operator"
expect_file_contains "$WORK/states" "03-restart-web1-site failed aborted by the operator before the step started"
[ ! -e hook.log ] || fail "the hook of an aborted step ran"
[ ! -e certrotate.cfg.state.pem.d ] || fail "the PEM files were left behind"

# ---------------------------------------------------------------- resumed: what is left, asked again
# the skipped rebind by hand, the restart's hook and the host's retire confirmed
pty "y,y,y" run
expect_rc 0
expect_out_contains "(done in the journal: verifying)"
expect_out_contains "do 04-retire-web1? [y/s/a]"
expect_out_contains "is complete"
expect_eq "$(grep -c 'done? \[y/s/r/a\]' "$WORK/out")" 1 "manual prompts"
expect_eq "$(cat hook.log)" "600 700 $NEW_FP $OLD_SHA1 run" "what the hook was given"
[ ! -e certrotate.cfg.state.pem.d ] || fail "the PEM files were left behind"

# ---------------------------------------------------------------- rollback, at the terminal
pty "y,y,y,y" rollback
expect_rc 0
expect_out_contains "roll back 04-retire-web1? [y/s/a]"
expect_out_contains "roll this step back by hand:"
expect_out_contains "is rolled back"
expect_eq "$(tail -n 1 hook.log)" "600 700 $OLD_FP $NEW_SHA1 rollback" "the hook in the rollback"
