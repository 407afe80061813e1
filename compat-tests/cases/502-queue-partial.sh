# 502: per-recipient outcome: sent, queued for a retry, failed for good.
#
# server:  Postfix, plain listener ($PORT_PLAIN); tempfail* get 450 4.2.0
#          at RCPT, reject* get 550 5.1.1
# command: postern -C up.ini ok@example.org tempfail1@example.org
#          reject1@example.org   (queue.dir = $CASE_DIR/q), then -bp, -q
# input:   Subject: m502-partial / (blank) / body
# expect:  exit 67 (one recipient refused), exactly one stderr line, naming
#          the refused recipient; ok@ delivered once; the entry in q/ has
#          only tempfail1@ left to try (ok@ sent, reject1@ failed); a copy
#          with reject1@'s 550 in failed/ID.ctl + failed/ID.data; -bp shows
#          both.  postern -q retries only tempfail1@ (one RCPT in the
#          session, still 450), so ok@ is not delivered twice and the entry
#          stays with attempts 2.

. "$TOP/compat-tests/lib/queue.sh"
queue_confs plain

printf 'Subject: m502-partial\n\nbody\n' |
    expect_exit 67 postern -C "$UP" ok@example.org tempfail1@example.org \
    reject1@example.org
expect_stderr_line 'reject1@example\.org'
maildir_wait 1
m=$(msg_file_for ok@example.org)
grep -q m502-partial "$m" || fail "ok@ got another message"
[ "$(q_entries)" = 1 ] || fail "$(q_entries) entries queued, want 1"
id=$(q_ids)
[ -f "$QDIR/failed/$id.ctl" ] && [ -f "$QDIR/failed/$id.data" ] ||
    fail "no copy in failed/: $(q_files "$QDIR" failed)"
grep -q '550 5.1.1' "$QDIR/failed/$id.ctl" || fail "failed/$id.ctl lacks the 550"
cmp -s "$QDIR/failed/$id.data" "$QDIR/q/$id.data" || fail "failed/ copy differs"

expect_exit 0 postern -C "$UP" -bp
# The queue section: the only recipient left to try is tempfail1@.
awk '/^Failed permanently/ { exit } { print }' "$CMD_OUT" >queued.txt
grep -q "^$id " queued.txt || fail "-bp does not list $id"
grep -Eq '^    <ok@example.org> sent$' queued.txt || fail "ok@ not shown as sent"
grep -Eq '^    <tempfail1@example.org> deferred: 450 ' queued.txt || fail "tempfail1@ not deferred"
grep -Eq '^    <reject1@example.org> failed: 550 ' queued.txt || fail "reject1@ not failed"
n=$(grep -Ec '> (deferred|pending)' queued.txt || true)
[ "$n" = 1 ] || fail "$n recipients left to try, want 1 (tempfail1@)"
expect_stdout '^Failed permanently'
expect_stdout '^-- 1 failed message$'

# The retry: one session with a single RCPT (tempfail1@, refused again).
sleep 0.2
smtpd_sessions >/dev/null
log_mark
expect_exit 0 postern -C "$UP" -q
s=$(smtpd_sessions)
echo "retry session: $s"
printf '%s\n' "$s" | grep -q ' rcpt=0/1 ' || fail "the retry did not send exactly one RCPT: $s"
postfix_log_since_mark | grep -q 'reject: RCPT from .*<tempfail1@example.org>' ||
    fail "the retry's RCPT was not tempfail1@"
if postfix_log_since_mark | grep -Eq 'reject: RCPT from .*<(ok|reject1)@example.org>'; then
	fail "the retry tried ok@ or reject1@ again"
fi
[ "$(pf_received)" = 0 ] || fail "the retry made Postfix accept a message"
[ "$(maildir_count)" = 1 ] || fail "ok@ delivered twice ($(maildir_count) messages)"
expect_exit 0 postern -C "$UP" -bp
expect_stdout '^    attempts: 2, '
expect_stdout '^    <tempfail1@example.org> deferred: 450 '
