#!/bin/sh
# t_run_crash: the rotation of examples/nginx-token killed with SIGKILL at
# every step boundary - right after each step's "start" and right after
# its "done" is journaled (CERTROTATE_TEST_KILL_AFTER, certrotate(1)
# ENVIRONMENT) - and once in the middle of a hook (the smtp restart stops
# its nginx, then kills certrotate), with a torn last line left in the
# journal once, each time resumed by the next `run`.  Every hook ran once
# per step (one extra run only for the hook killed mid-way), the journal
# parses after every kill, the torn line is reported, and the end state -
# files, token, archive, what the endpoints serve, the journal's steps -
# equals that of an uninterrupted run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runlib.sh"
need_certrotate

# ---------------------------------------------------------------- uninterrupted
edge_setup calm
crx run --yes
expect_rc 0
edge_state >"$WORK/calm.state"
expect_served "$NEW_FP"

# ---------------------------------------------------------------- killed again and again
edge_setup crash
cat >"$E/nginx/midway" <<'SH'
#!/bin/sh
# the first restart of smtp dies half-way: its nginx stopped, then certrotate
# (the parent) killed before the hook ends
if [ "$1" = smtp ] && [ -z "${2:-}" ] && [ ! -e nginx/midway.done ]; then
	: >nginx/midway.done
	kill "$(cat nginx/smtp/nginx.pid)"
	echo "smtp ${CERTROTATE_PHASE:-none} killed-mid-way" >>nginx/restarts
	kill -9 "$PPID"
	sleep 5
	exit 1
fi
exec ./nginx/restart "$@"
SH
chmod +x "$E/nginx/midway"
sed -i 's|"./nginx/restart"|"./nginx/midway"|' "$E/certrotate.cfg"
grep -q 'nginx/midway' "$E/certrotate.cfg" || die "cannot put the mid-way hook in place"

k=1 n=0 kills=0 torn=0
while :; do
	n=$((n + 1))
	[ "$n" -le 40 ] || die "the rotation did not end after 40 runs"
	CERTROTATE_TEST_KILL_AFTER=$k
	export CERTROTATE_TEST_KILL_AFTER
	crx run --yes
	unset CERTROTATE_TEST_KILL_AFTER
	if [ "$torn" = 1 ]; then
		expect_err_contains "ignored the torn last line"
		expect_out_contains "note: journal 'certrotate.cfg.state': ignored the torn last line"
		torn=2
	fi
	case $rc in
	0) break ;;
	137) kills=$((kills + 1)) ;;
	*) die "run $n (killed after event $k): exit $rc: $(tail -n 3 "$WORK/err")" ;;
	esac
	edge_journal >"$WORK/journal.$n" || fail "the journal does not parse after kill $n"
	# once, the line a crash in the middle of an append leaves
	if [ "$n" = 7 ]; then
		printf '{"step":"05-restart-edge1-web","event":"st' >>"$E/certrotate.cfg.state"
		torn=1
	fi
	k=$((3 - k))
done
note "$n runs, $kills killed"
expect_eq "$torn" 2 "torn line reported"
# every step was killed after its start and after its done (2 x 7), the
# rotation's end once, the smtp hook once
[ "$kills" -ge 16 ] || fail "only $kills kills"
grep -q 'killed-mid-way' "$E/nginx/restarts" || fail "the hook was not killed mid-way"
expect_eq "$(sort "$E/nginx/restarts" | uniq -c | sed 's/^ *//' | tr '\n' ';')" \
    "1 smtp run;1 smtp run killed-mid-way;1 web run;" "hook runs"
edge_state >"$WORK/crash.state"
expect_file_eq "$WORK/crash.state" "$WORK/calm.state"
expect_served "$NEW_FP"
# and complete: nothing more
crx run --yes
expect_rc 0
expect_out_contains "is complete"

# ---------------------------------------------------------------- the rollback, killed too
k=1 n=0
while :; do
	n=$((n + 1))
	[ "$n" -le 40 ] || die "the rollback did not end after 40 runs"
	CERTROTATE_TEST_KILL_AFTER=$k
	export CERTROTATE_TEST_KILL_AFTER
	crx rollback --yes
	unset CERTROTATE_TEST_KILL_AFTER
	case $rc in
	0) break ;;
	137) ;;
	*) die "rollback $n (killed after event $k): exit $rc: $(tail -n 3 "$WORK/err")" ;;
	esac
	edge_journal >/dev/null || fail "the journal does not parse after rollback kill $n"
	k=$((3 - k))
done
expect_served "$OLD_FP"
expect_eq "$(edge_tokencerts | grep mail-20)" "mail-2025 10" "certificates on the token after rollback"
expect_eq "$(grep -c ' rollback' "$E/nginx/restarts")" 2 "hooks run by the rollback"
for f in mail default smtp; do
	expect_file_eq "$E/tls/$f.pem" "$E_FIX/certs/old-chain.pem"
done
