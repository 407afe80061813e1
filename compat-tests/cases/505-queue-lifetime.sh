# 505: past [queue] lifetime a message fails; its sender gets an RFC 3464
# DSN through the smarthost; the null sender gets none.
#
# server:  Postfix, plain listener ($PORT_PLAIN); tempfail* get 450 4.2.0
# command: [queue] lifetime = 1s everywhere.
#          A: postern -C down.ini -f sender@example.org tempfail1@example.org
#          B: postern -C down.ini -f '<>' tempfail2@example.org
#          (both queued, exit 0); 2 s later `postern -C up.ini -q` (both get
#          450 again and are now past their lifetime), then -q once more.
#          C and D: in a second queue, -f sender2@example.org c@example.org
#          and -f sender3@example.org d@example.org with the smarthost down
#          all along: `postern -C down2.ini -q` expires both while down
#          (the first connection fails, the run still expires the second
#          without trying it; both DSNs wait in the queue), then
#          `postern -C up2.ini -q` sends both DSNs.
# expect:  A and B end in failed/ (ID.ctl says failed, "delivery time
#          expired"), -bp marks them "!" (failed/), q/ empty.
#          sender@example.org receives one DSN: Return-Path <>, From
#          MAILER-DAEMON, multipart/report; report-type=delivery-status with
#          a text/plain part, a message/delivery-status part (Reporting-MTA,
#          Final-Recipient: rfc822; tempfail1@example.org, Action: failed,
#          Status: 4.4.7) and the original headers (text/rfc822-headers).
#          Nothing is sent for B (null sender).  C and D: after the down run
#          both are in failed/ ("delivery time expired") and their two DSNs
#          are queued (mailq lists them, from MAILER-DAEMON); after the up run
#          sender2@ and sender3@example.org each have theirs and c@ and
#          d@example.org nothing.  Postfix received exactly the three DSNs.

. "$TOP/compat-tests/lib/queue.sh"
queue_confs plain queue.lifetime=1s queue.retry=1s

printf 'Subject: m505-A\n\nbody A\n' |
    expect_exit 0 postern -C "$DOWN" -f sender@example.org tempfail1@example.org
expect_stderr_line '^postern: queued '
printf 'Subject: m505-B\n\nbody B\n' |
    expect_exit 0 postern -C "$DOWN" -f '<>' tempfail2@example.org
expect_stderr_line '^postern: queued '
[ "$(q_entries)" = 2 ] || fail "$(q_entries) entries queued, want 2"
grep -l 'm505-B' "$QDIR"/q/*.data >/dev/null || fail "B not queued"
grep -q '^S 0:$' "$(grep -l tempfail2 "$QDIR"/q/*.ctl)" || fail "B's sender is not the null sender"

Q2=$CASE_DIR/q2
down2=$(conf_variant down2 plain "queue.dir=$Q2" "smarthost.port=$(closed_port)" \
    queue.lifetime=1s)
up2=$(conf_variant up2 plain "queue.dir=$Q2" queue.lifetime=1s)
printf 'Subject: m505-C\n\nbody C\n' |
    expect_exit 0 postern -C "$down2" -f sender2@example.org c@example.org
expect_stderr_line '^postern: queued '
printf 'Subject: m505-D\n\nbody D\n' |
    expect_exit 0 postern -C "$down2" -f sender3@example.org d@example.org
expect_stderr_line '^postern: queued '
[ "$(q_entries "$Q2")" = 2 ] || fail "q2: $(q_entries "$Q2") entries queued, want C and D"

sleep 2.1

# --- A and B: the smarthost answers 450 again, past the lifetime
expect_exit 0 postern -C "$UP" -q
for f in "$QDIR"/failed/*.ctl; do
	grep -q 'delivery time expired' "$f" || fail "$f: no expiry recorded"
	grep -q '^s 1:F$' "$f" || fail "$f: recipient not failed"
done
[ "$(find "$QDIR/failed" -name '*.ctl' | wc -l)" = 2 ] ||
    fail "failed/ holds $(q_files "$QDIR" failed), want A and B"
# The DSN for A is queued, from the null sender; nothing for B.
[ "$(q_entries)" = 1 ] || fail "$(q_entries) entries queued after expiry, want 1 (the DSN)"
dsnctl=$(find "$QDIR/q" -name '*.ctl')
grep -q '^S 0:$' "$dsnctl" || fail "the DSN is not from the null sender"
grep -q '^r 18:sender@example.org$' "$dsnctl" || fail "the DSN is not for sender@example.org"
expect_exit 0 postern -C "$UP" -bp
[ "$(grep -Ec '^[0-9A-F]{24}! ' "$CMD_OUT")" = 2 ] || fail "want two entries marked '!' (failed/)"
expect_stdout '^ *\(delivery time expired( \(.*\))?\)$'
expect_stdout '^ {41}tempfail1@example.org$'
expect_stdout '^ {41}tempfail2@example.org$'
expect_stdout '^-- [0-9]+ Kbytes in 3 Requests\.$'
bp_json "$UP"
bp_rcpt tempfail1@example.org failed | grep -q '^failed|delivery time expired' || fail "tempfail1@ not expired"
bp_rcpt tempfail2@example.org failed | grep -q '^failed|delivery time expired' || fail "tempfail2@ not expired"

expect_exit 0 postern -C "$UP" -q
m=$(msg_file_for sender@example.org)
expect_header "$m" Return-Path '^<>$'
expect_header "$m" From 'MAILER-DAEMON@'
expect_header "$m" Content-Type '^multipart/report; *report-type=delivery-status;'
expect_header "$m" Auto-Submitted '^auto-replied$'
b=$(msg_header "$m" Content-Type | sed -n 's/.*boundary="\([^"]*\)".*/\1/p')
[ -n "$b" ] || fail "no boundary"
tr -d '\r' <"$m" >dsn.txt
awk -v b="--$b" '$0 == b { n++ } END { exit n != 3 }' dsn.txt || fail "not three MIME parts"
grep -q "^--$b--\$" dsn.txt || fail "no closing boundary"
grep -q '^Content-Type: text/plain' dsn.txt || fail "no text/plain part"
grep -q '^Content-Type: message/delivery-status$' dsn.txt || fail "no message/delivery-status part"
grep -q '^Content-Type: text/rfc822-headers$' dsn.txt || fail "no text/rfc822-headers part"
grep -q '^Reporting-MTA: dns; ' dsn.txt || fail "no Reporting-MTA"
grep -q '^Arrival-Date: ' dsn.txt || fail "no Arrival-Date"
grep -q '^Final-Recipient: rfc822; tempfail1@example.org$' dsn.txt || fail "no Final-Recipient"
grep -q '^Action: failed$' dsn.txt || fail "no Action: failed"
grep -q '^Status: 4\.4\.7$' dsn.txt || fail "Status is not 4.4.7 (delivery time expired)"
grep -q '^Diagnostic-Code: ' dsn.txt || fail "no Diagnostic-Code"
grep -q '^Subject: m505-A$' dsn.txt || fail "original headers not included"
! grep -q 'body A' dsn.txt || fail "the DSN includes the body (RET=HDRS by default)"
! grep -q 'tempfail2' dsn.txt || fail "the DSN mentions B"
[ "$(maildir_count)" = 1 ] || fail "$(maildir_count) messages delivered, want the one DSN"
[ "$(q_entries)" = 0 ] || fail "the DSN is still queued"

# --- C and D: both expire while the smarthost is still down; the DSNs wait
expect_exit 0 postern -C "$down2" -q
[ "$(find "$Q2/failed" -name '*.ctl' | wc -l)" = 2 ] ||
    fail "q2 failed/ holds $(q_files "$Q2" failed), want C and D"
for f in "$Q2"/failed/*.ctl; do
	grep -q 'delivery time expired' "$f" || fail "$f: no expiry recorded"
	grep -q '^s 1:F$' "$f" || fail "$f: recipient not failed"
done
grep -q '^r 13:c@example.org$' "$Q2"/failed/*.ctl || fail "C not in failed/"
grep -q '^r 13:d@example.org$' "$Q2"/failed/*.ctl || fail "D not in failed/"
[ "$(q_entries "$Q2")" = 2 ] || fail "q2: $(q_entries "$Q2") entries, want the two DSNs"
for ctl in "$Q2"/q/*.ctl; do
	grep -q '^S 0:$' "$ctl" || fail "$ctl: a queued entry is not a DSN"
done
expect_exit 0 postern -C "$down2" -bp
expect_stdout "^[0-9A-F]{24} +[0-9]+ $MAILQ_ENTRY_RE""MAILER-DAEMON\$"
expect_stdout '^ {41}sender2@example.org$'
expect_stdout '^ {41}sender3@example.org$'
bp_json "$down2"
bp_rcpt c@example.org failed | grep -q '^failed|delivery time expired' || fail "c@ not expired"
bp_rcpt d@example.org failed | grep -q '^failed|delivery time expired' || fail "d@ not expired"
expect_exit 0 postern -C "$up2" -q
m2=$(msg_file_for sender2@example.org)
expect_header "$m2" Return-Path '^<>$'
expect_header "$m2" Content-Type 'report-type=delivery-status'
grep -q '^Final-Recipient: rfc822; c@example.org' <(tr -d '\r' <"$m2") || fail "C's DSN lacks Final-Recipient"
grep -q '^Status: 4\.4\.7$' <(tr -d '\r' <"$m2") || fail "C's DSN Status is not 4.4.7"
m3=$(msg_file_for sender3@example.org)
expect_header "$m3" Return-Path '^<>$'
expect_header "$m3" Content-Type 'report-type=delivery-status'
grep -q '^Final-Recipient: rfc822; d@example.org' <(tr -d '\r' <"$m3") || fail "D's DSN lacks Final-Recipient"
grep -q '^Status: 4\.4\.7$' <(tr -d '\r' <"$m3") || fail "D's DSN Status is not 4.4.7"
! grep -q 'c@example.org' <(tr -d '\r' <"$m3") || fail "D's DSN mentions C"
[ "$(q_entries "$Q2")" = 0 ] || fail "q2: the DSNs are still queued"

sleep 0.3
[ "$(maildir_count)" = 3 ] || fail "$(maildir_count) messages delivered, want the three DSNs"
[ "$(pf_received)" = 3 ] || fail "Postfix received $(pf_received), want the three DSNs"
if grep -l -e m505-B -e 'Delivered-To: c@example.org' -e 'Delivered-To: d@example.org' "$MAILDIR"/new/* "$MAILDIR"/cur/* 2>/dev/null | grep -q .; then
	fail "something was delivered for B or to c@ or d@example.org"
fi
