#!/bin/sh
# t_field: field scenarios an administrator builds from the README, the man
# pages and examples/ alone, each a defect found that way (tests that fail
# without their fix):
#  - next year's rotation sharing last year's archive_dir: its rollback puts
#    back what the files held before IT (last year's new certificate), not
#    the copies last year's run left in the archive (a certificate two
#    rotations old).
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
