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
#          both (mailq: ID and ID!; --json: every state).  postern -q
#          retries only tempfail1@ (one RCPT in the
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
# mailq lists the entry (only tempfail1@ is left to try) and its failed/
# copy, marked '!', with reject1@; the JSON listing shows every state.
grep -Eq "^$id +[0-9]+ " "$CMD_OUT" || fail "-bp does not list $id"
grep -Eq "^$id! +[0-9]+ " "$CMD_OUT" || fail "-bp does not list failed/$id with '!'"
[ "$(grep -Ec '^ {41}[^ ]' "$CMD_OUT")" = 2 ] || fail "want two recipient lines (tempfail1@, reject1@)"
expect_stdout '^ *\(450 .*\)$'
expect_stdout '^ *\(550 .*\)$'
expect_stdout '^-- [0-9]+ Kbytes in 2 Requests\.$'
bp_json "$UP"
[ "$(bp_rcpt ok@example.org)" = "sent|" ] || fail "ok@ not shown as sent: $(bp_rcpt ok@example.org)"
bp_rcpt tempfail1@example.org | grep -q '^deferred|450 ' || fail "tempfail1@ not deferred"
bp_rcpt reject1@example.org | grep -q '^failed|550 ' || fail "reject1@ not failed"
bp_rcpt reject1@example.org failed | grep -q '^failed|550 ' || fail "failed/ copy: reject1@ not failed"

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
bp_json "$UP"
[ "$(bp_field "$id" attempts)" = 2 ] || fail "attempts $(bp_field "$id" attempts), want 2"
bp_rcpt tempfail1@example.org | grep -q '^deferred|450 ' || fail "tempfail1@ not deferred after the retry"
