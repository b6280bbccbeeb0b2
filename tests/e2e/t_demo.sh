#!/bin/sh
# `make demo` works and shows what the README promises: the new certificate on
# the token with its algorithm name and OID, thumbprint and key flags; a plan;
# a check that proves the key (a test signature) and probes every endpoint;
# a rotation run does unattended, then rolled back.
. "$(dirname "$0")/lib.sh"
need_certrotate

# the demo keeps its runbooks in BUILD/demo: none from an earlier run may count
D=${CERTROTATE%/certrotate}/demo
case $D in /*) ;; *) D=$SRCDIR/$D ;; esac
rm -f "$D/runbook.md" "$D/runbook.html"
(cd "$SRCDIR" && BUILD=${CERTROTATE%/certrotate} sh examples/demo.sh) >"$WORK/out" 2>"$WORK/err"
rc=$?
_lib_last="examples/demo.sh"
expect_rc 0
expect_out_contains "signature algorithm: sha256WithRSAEncryption (1.2.840.113549.1.1.11)"
expect_out_matches "SHA-1 thumbprint: +[0-9A-F]{40}$"
expect_out_contains "private key:         present, sensitive, not extractable"
expect_out_contains "rename-mx1-transport-default-frontend"
expect_out_contains "(issuer O: 'Contoso' -> 'Contoso Ltd')"
expect_out_contains "pass  new.key            key pkcs11:token=edge;object=mail-2026;type=private: key 'mail-2026' (CKA_ID 20) on token 'edge' matches the new certificate and a test signature verifies"
expect_out_contains "serves the old certificate now"
expect_out_matches "^summary: [0-9]+ pass, [0-9]+ warn, 0 fail, [0-9]+ skip: ready to run$"
expect_out_not_contains "(null)"
# the rotation of examples/nginx-token, unattended, then its rollback
expect_out_contains "rotation 'edge-2026' is complete (journal 'certrotate.cfg.state')"
expect_out_contains "rotation 'edge-2026' is rolled back (journal 'certrotate.cfg.state')"
sed -n '/^\$ certrotate run --yes/,/^\$ certrotate rollback/p' "$WORK/out" >"$WORK/run.part"
expect_eq "$(grep -c 'the NEW certificate$' "$WORK/run.part")" 3 "endpoints on the new certificate after run"
sed -n '/^\$ certrotate rollback --yes/,$p' "$WORK/out" >"$WORK/rollback.part"
expect_eq "$(grep -c 'the OLD certificate$' "$WORK/rollback.part")" 3 "endpoints on the old certificate after rollback"
# the runbook, Markdown and HTML, where the demo says
expect_out_contains "   $D/runbook.md"
expect_out_contains "   $D/runbook.html"
expect_file_contains "$D/runbook.md" "# Certificate rotation mail-2026: change runbook"
expect_file_contains "$D/runbook.md" "| **PASS** | \`endpoint\` | ref transport/Default Frontend MX1 |"
expect_file_contains "$D/runbook.html" '<span class="st st-pass">PASS</span>'
