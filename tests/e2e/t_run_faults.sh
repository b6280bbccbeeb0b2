#!/bin/sh
# t_run_faults: the rotation of examples/nginx-token through the forwarding
# fault module (tests/p11fault: SoftHSM2 underneath, P11FAULT_FAIL making
# the N-th call of a function fail): the new certificate's creation fails,
# the token disappears while the certificate is being stored, the old
# certificate's destruction fails, the token disappears while it is being
# destroyed.  Each time the step fails cleanly - exit 3, the step journaled
# failed with the token's reason, nothing lost: the old certificate still on
# the token, in the archive before anything was destroyed - and once the
# fault clears `run --resume` completes.  The rollback's re-import failing
# leaves the rotation where it was, and a second rollback completes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runlib.sh"
need_certrotate
[ -f "$P11FAULT" ] || die "fault module '$P11FAULT' not built"

edge_setup faults
sed -i "s|module = \"softhsm2\"|module = \"$P11FAULT\"|" "$E/certrotate.cfg"
grep -q "p11fault" "$E/certrotate.cfg" || die "cannot put the fault module in place"
A=$E/archive/old-$OLD_FP

# fault NAME:N[:RV] ARGS...: crx with that fault
fault() {
	P11FAULT_FAIL=$1
	export P11FAULT_FAIL
	shift
	crx "$@"
	unset P11FAULT_FAIL
}

# ---------------------------------------------------------------- the import
fault C_CreateObject:1 run --yes
expect_rc 3
expect_out_contains "FAILED"
expect_err_not_contains "Segmentation"
expect_eq "$(edge_journal | grep '^01-import')" "01-import-token:edge failed run" "journal"
expect_eq "$(edge_tokencerts | grep -c mail-2026)" 0 "the new certificate stored"
expect_out_contains "STOPPED at 01-import-token:edge (failed): cannot store the certificate"
for f in mail default smtp; do
	expect_file_eq "$E/tls/$f.pem" "$E_FIX/certs/old-chain.pem"
done
fault C_CreateObject:1:0xE0 run --yes --resume
expect_rc 3
expect_out_contains "CKR_TOKEN_NOT_PRESENT"
expect_eq "$(edge_tokencerts | grep -c mail-2026)" 0 "the new certificate stored"
expect_served "$OLD_FP"

# ---------------------------------------------------------------- the retire
fault C_DestroyObject:1 run --yes --resume
expect_rc 3
expect_out_contains "STOPPED at 07-retire-token:edge (failed): cannot remove the certificate"
expect_out_contains "CKR_DEVICE_ERROR"
expect_served "$NEW_FP"
# nothing lost: still on the token, and in the archive already
expect_eq "$(edge_tokencerts | grep mail-20 | tr '\n' ' ')" "mail-2025 10 mail-2026 20 " "token"
expect_eq "$(cert_sha256 "$A.pem")" "$OLD_FP" "archived copy"
fault C_DestroyObject:1:0x32 run --yes --resume
expect_rc 3
expect_out_contains "CKR_DEVICE_REMOVED"
expect_eq "$(edge_tokencerts | grep -c mail-2025)" 1 "the old certificate on the token"
expect_eq "$(edge_journal | grep '^07-retire')" "07-retire-token:edge failed run" "journal"

# ---------------------------------------------------------------- cleared
crx run --yes --resume
expect_rc 0
expect_out_contains "summary: 1 done now, 6 verified as done before"
expect_out_contains "is complete"
expect_eq "$(edge_tokencerts | grep mail-20)" "mail-2026 20" "token after the run"
expect_eq "$(grep -c run "$E/nginx/restarts")" 2 "restarts"

# ---------------------------------------------------------------- the rollback's re-import fails
fault C_CreateObject:1 rollback --yes
expect_rc 3
expect_out_contains "STOPPED at 07-retire-token:edge (failed): cannot store the certificate"
expect_served "$NEW_FP"
expect_eq "$(edge_tokencerts | grep mail-20)" "mail-2026 20" "token after the failed rollback"
crx rollback --yes
expect_rc 0
expect_served "$OLD_FP"
expect_eq "$(edge_tokencerts | grep mail-20)" "mail-2025 10" "token after the rollback"
