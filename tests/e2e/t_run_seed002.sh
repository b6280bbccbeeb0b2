#!/bin/sh
# t_run_seed002: the second binding on 443, for real.  examples/nginx-token
# with only the SNI server block declared: its default server block, which
# nobody declared, keeps serving the old certificate after the SNI one
# moved.  `run --yes` stops before the retire (exit 1) naming the endpoint
# without SNI, and nothing is retired: the old certificate still on the
# token, no archive copy.  Then the operator declares the default binding
# and resumes: the steps done keep their journal (renumbered by the new
# configuration), the default binding moves, the retire happens, and a
# rollback puts everything back - the declared-later binding too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runlib.sh"
need_certrotate

edge_setup seed
cp "$E/certrotate.cfg" "$WORK/full.cfg"
# the default binding's ref left out: the inventory nobody finished
python3 - "$E/certrotate.cfg" <<'PY' || die "cannot edit the configuration"
import re, sys
p = sys.argv[1]
s = open(p).read()
s2 = re.sub(r',\s*\{ id = "https-default";[^}]*\}', "", s)
assert s2 != s
open(p, "w").write(s2)
PY
grep -q https-default "$E/certrotate.cfg" && die "the default binding is still declared"

crx check
expect_rc 0
expect_out_contains "without SNI, '127.0.0.1:$E_HTTPS' serves the old certificate and no ref declares a binding there without SNI"

crx run --yes
expect_rc 1
expect_out_contains "without SNI, '127.0.0.1:$E_HTTPS' still serves the OLD certificate although ref web/https-sni (SNI 'mail.contoso.com') is on the new one"
expect_out_contains "STOPPED at 04-restart-edge1-web (failed)"
expect_err_contains "run stopped at '04-restart-edge1-web' (failed): its verification fails: endpoint endpoint 127.0.0.1:$E_HTTPS (no SNI)"
expect_out_contains "left: 04-restart-edge1-web, 05-restart-edge1-smtp, 06-retire-token:edge"
# nothing retired
expect_eq "$(edge_tokencerts | grep mail-20 | tr '\n' ' ')" "mail-2025 10 mail-2026 20 " "token"
ls "$E"/archive/old-* >/dev/null 2>&1 && fail "the old certificate was archived"
expect_eq "$(edge_journal | grep -c '^06-retire')" 0 "retire journaled"
expect_eq "$(tls_sha256 "127.0.0.1:$E_HTTPS" mail.contoso.com)" "$NEW_FP" "served with SNI"
expect_eq "$(tls_sha256 "127.0.0.1:$E_HTTPS" -)" "$OLD_FP" "served without SNI"

# resumed as it is: stopped again, at the same place
crx run --yes --resume
expect_rc 1
expect_out_contains "STOPPED at 04-restart-edge1-web (failed)"

# the operator declares the default binding: the plan numbers its steps again
cp "$WORK/full.cfg" "$E/certrotate.cfg"
crx run --yes --resume
expect_rc 0
expect_out_contains "[3/7] 03-rebind-edge1-web-https-sni  native  (done in the journal: verifying)"
expect_out_contains "[2/7] 02-rebind-edge1-web-https-default  native"
expect_out_contains "is complete"
expect_served "$NEW_FP"
expect_eq "$(edge_tokencerts | grep mail-20)" "mail-2026 20" "token after the run"
crx rollback --yes
expect_rc 0
expect_served "$OLD_FP"
for f in mail default smtp; do
	expect_file_eq "$E/tls/$f.pem" "$E_FIX/certs/old-chain.pem"
done
expect_eq "$(edge_tokencerts | grep mail-20)" "mail-2025 10" "token after the rollback"
