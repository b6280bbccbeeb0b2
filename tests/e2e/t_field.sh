#!/bin/sh
# t_field: field scenarios an administrator builds from the README, the man
# pages and examples/ alone, each a defect found that way (tests that fail
# without their fix):
#  - next year's rotation sharing last year's archive_dir: its rollback puts
#    back what the files held before IT (last year's new certificate), not
#    the copies last year's run left in the archive (a certificate two
#    rotations old);
#  - an import onto the token under a label another certificate there has
#    (rotation.label pasted from another object, or the subject's CN that
#    last year's import gave the old one): two certificates answer to the
#    label, a service naming its certificate by label may load the wrong
#    one - check fails import.label (the old certificate's label: a
#    warning), run stops before the import, the token unchanged;
#  - check after the change window, the rotation complete: rotation.old is
#    gone from the token (retired) - the message says the journal has the
#    rotation complete and where the archive's copy is, not only "no
#    certificate matches";
#  - inspect given the thumbprint Windows shows (sha1:...) says it is an
#    identity, not a source (it said "cannot read ...: No such file");
#  - an empty journal file (a run killed between creating the journal and
#    writing its header, or touched by hand) is no journal: run starts the
#    rotation (it said "cannot start journal ...: the rotation name and both
#    certificates' SHA-256 are needed", exit 2, at every later run);
#  - check BLOCKED at a later step by one of its own checks (smtp's
#    configuration test fails): run --yes used to do the five steps before
#    it - the token, three files, web restarted - and stop there, smtp's
#    file new and smtp not restarted; it now refuses before the first
#    change (exit 1, nothing changed), and --until a step before it runs
#    those.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runlib.sh"
need_certrotate

# leaf_fp FILE: SHA-256 of the first certificate in FILE
leaf_fp() { cert_sha256 "$1"; }

# ------------------------------------------- the next rotation, the same archive_dir
edge_setup next
crx run --yes
expect_rc 0
expect_served "$NEW_FP"
# 2027: from the new certificate to the EC one, archive_dir "archive" kept
EC_FP=$(cert_sha256 "$E_FIX/certs/ec.pem")
echo "fix/certs/ec.pem ec-2026" >>"$E/nginx/keys"
sed -e 's|name = "edge-2026"|name = "edge-2027"|' \
    -e 's|old = "pkcs11:token=edge;object=mail-2025;type=cert"|old = "pkcs11:token=edge;object=mail-2026;type=cert"|' \
    -e 's|new = "file:fix/certs/new.pem"|new = "file:fix/certs/ec.pem"|' \
    -e 's|object=mail-2026;type=private|object=ec-2026;type=private|' \
    -e 's|label = "mail-2026"|label = "ec-2027"|' \
    "$E/certrotate.cfg" >"$E/next.cfg"
grep -q 'archive_dir = "archive"' "$E/next.cfg" || die "the example no longer sets archive_dir"
crx run --yes -c next.cfg
expect_rc 0
expect_served "$EC_FP"
crx rollback --yes -c next.cfg
expect_rc 0
expect_served "$NEW_FP"
for f in mail default smtp; do
	expect_eq "$(leaf_fp "$E/tls/$f.pem")" "$NEW_FP" "leaf of tls/$f.pem after the 2027 rollback"
done

# ------------------------------------------- the import's label is another certificate's
edge_setup label
sed -i 's|label = "mail-2026"|label = "ec-2026"|' "$E/certrotate.cfg"
crx check
expect_rc 1
expect_out_contains "FAIL  import.label       token edge: the new certificate is to be labelled 'ec-2026', but certificate 'CN=mail.contoso.com, O=Contoso, C=US' (sha1:$(cert_sha1 "$E_FIX/certs/ec.pem"), CKA_ID 30) on token 'edge' already is"
expect_out_matches "^  BLOCKED 01-import-token:edge "
edge_tokencerts >"$WORK/label.before"
crx run --yes
expect_rc 1
expect_err_contains "not started: check blocks step '01-import-token:edge' (import.label token edge: the new certificate is to be labelled 'ec-2026'"
edge_tokencerts >"$WORK/label.after"
expect_file_eq "$WORK/label.after" "$WORK/label.before"
expect_served "$OLD_FP"
# the old certificate's label: a warning, the rotation goes on
sed -i 's|label = "ec-2026"|label = "mail-2025"|' "$E/certrotate.cfg"
crx check
expect_rc 0
expect_out_contains "WARN  import.label       token edge: the new certificate is to be labelled 'mail-2025', as the old certificate"
# a free label passes
sed -i 's|label = "mail-2025"|label = "mail-2026"|' "$E/certrotate.cfg"
crx check
expect_rc 0
expect_out_contains "pass  import.label       token edge: no certificate on token 'edge' is labelled 'mail-2026'"

# ------------------------------------------- check after the rotation is complete
edge_setup after
crx run --yes
expect_rc 0
crx check
expect_rc 2
expect_out_contains "FAIL  old.load           certificate old: certrotate.cfg:22: rotation.old: no certificate matches 'pkcs11:token=edge;object=mail-2025;type=cert' (the journal 'certrotate.cfg.state' says rotation 'edge-2026' is complete: its run retired the old certificate, archived as 'archive/old-$OLD_FP.pem'"
crx plan
expect_rc 2
expect_err_contains "says rotation 'edge-2026' is complete"
# a journal that is not complete gives no such hint
crx rollback --yes
expect_rc 0
p11 --login --pin "$(head -n 1 "$E_FIX/edge.pin")" --delete-object --type cert --label mail-2025 >/dev/null ||
	die "cannot delete mail-2025"
crx plan
expect_rc 2
expect_err_contains "no certificate matches 'pkcs11:token=edge;object=mail-2025;type=cert'"
expect_err_not_contains "is complete"

# ------------------------------------------- inspect given a thumbprint
cr inspect "sha1:$(cert_sha1 "$FIX/certs/old.pem")"
expect_rc 2
expect_err_contains "is an identity, not a source: give where the certificate is (a file, pkcs11:URI or tls://HOST:PORT)"
expect_err_not_contains "No such file"

# ------------------------------------------- an empty journal
edge_setup empty
: >"$E/certrotate.cfg.state"
crx rollback --yes
expect_rc 2
expect_err_contains "nothing to roll back"
crx run --yes
expect_rc 0
expect_out_contains "rotation 'edge-2026' is complete"
expect_served "$NEW_FP"
head -n 1 "$E/certrotate.cfg.state" | grep -q '"certrotate-journal":1,"rotation":"edge-2026"' ||
	fail "the empty journal did not get its header"

# ------------------------------------------- check blocks a later step: run does not start
edge_setup blocked
python3 - "$E/certrotate.cfg" <<'PY2' || die "cannot edit the configuration"
import sys
p = sys.argv[1]
s = open(p).read()
i = s.index('{ name = "smtp"')
t = 'run_test = [ "./nginx/restart", "{service}", "test" ];'
j = s.index(t, i)
open(p, "w").write(s[:j] + 'run_test = [ "false" ];' + s[j + len(t):])
PY2
crx check
expect_rc 1
expect_out_contains "FAIL  config.test        service smtp: configuration test 'false' failed (exit 1)"
cp "$E/tls/smtp.pem" "$WORK/smtp.before"
edge_tokencerts >"$WORK/blocked.before"
crx run --yes
expect_rc 1
expect_err_contains "not started: check blocks step '06-restart-edge1-smtp' (config.test service smtp: configuration test 'false' failed (exit 1)"
expect_err_contains "nothing was changed"
expect_file_eq "$E/tls/smtp.pem" "$WORK/smtp.before"
edge_tokencerts >"$WORK/blocked.after"
expect_file_eq "$WORK/blocked.after" "$WORK/blocked.before"
expect_served "$OLD_FP"
expect_eq "$(wc -c <"$E/nginx/restarts" | tr -d ' ')" 0 "bytes of nginx/restarts (no restart)"
# the steps before the blocked one, asked for
crx run --yes --until 05-restart-edge1-web
expect_rc 0
expect_out_contains "stopped as asked"
