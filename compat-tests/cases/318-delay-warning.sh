# 318: [queue] delay_warning: one RFC 3464 "delayed" DSN to the sender once
#      a message has waited that long, when the sender asked for it (-N
#      delay) or gave no -N; never with -N failure / never, or "0".
#
# server:  Postfix STARTTLS + AUTH ($PORT_STARTTLS); "down" = a closed port
# config:  delay_warning = 1s (own queue)
# command: three messages submitted during the outage (no -N; -N delay;
#          -N failure), then after 1.5 s two queue runs with the outage
#          (one each), then -q with the smarthost back; a fourth message
#          with delay_warning = 0
# expect:  exactly two DSNs reach s318@example.org: "Action: delayed",
#          "Status: 4.", report-type=delivery-status, naming the delayed
#          recipient, Subject "Delayed Mail"; no second warning for the same
#          message; every original arrives once; with "0" no DSN.

. "$TOP/compat-tests/lib/queue.sh"
queue_confs starttls queue.delay_warning=1s
zero=$(conf_variant zero starttls "queue.dir=$QDIR" queue.delay_warning=0 \
    "smarthost.port=$(closed_port)")

make_msg a318@example.org m318-plain |
    expect_exit 0 postern -C "$DOWN" -f s318@example.org -t
make_msg b318@example.org m318-delay |
    expect_exit 0 postern -C "$DOWN" -f s318@example.org -N delay -t
make_msg c318@example.org m318-failure |
    expect_exit 0 postern -C "$DOWN" -f s318@example.org -N failure -t
[ "$(q_entries)" = 3 ] || fail "$(q_entries) entries queued, want 3"
sleep 1.5
# Each run reaches one entry before it gives up on the smarthost: run
# until every message had an attempt past delay_warning.
for _ in 1 2 3 4; do expect_exit 0 postern -C "$DOWN" -q; done
[ "$(q_entries)" = 5 ] || fail "$(q_entries) entries queued, want 3 + 2 DSNs"
for _ in 1 2; do expect_exit 0 postern -C "$DOWN" -q; done
[ "$(q_entries)" = 5 ] || fail "a second warning was queued: $(q_entries) entries"

expect_exit 0 postern -C "$UP" -q
maildir_wait 5
for m in m318-plain m318-delay m318-failure; do
	[ "$(marker_count "$m")" -ge 1 ] || fail "$m did not arrive"
done
n=0
for f in $(maildir_files); do
	grep -q '^Delivered-To: s318@example.org' "$f" || continue
	n=$((n + 1))
	grep -q '^Subject: Delayed Mail' "$f" || fail "DSN subject: $(grep -m1 '^Subject:' "$f")"
	grep -q 'report-type=delivery-status' "$f" || fail "not a multipart/report"
	grep -q '^Action: delayed' "$f" || fail "no Action: delayed"
	grep -q '^Status: 4\.' "$f" || fail "no 4.x.x Status"
	grep -Eq '^Final-Recipient: rfc822; (a|b)318@example.org' "$f" ||
	    fail "DSN for the wrong recipient: $(grep -m1 '^Final-Recipient' "$f")"
done
[ "$n" = 2 ] || fail "$n DSNs reached the sender, want 2"
[ "$(q_entries)" = 0 ] || fail "entries left: $(q_ids)"

maildir_clear
make_msg d318@example.org m318-zero |
    expect_exit 0 postern -C "$zero" -f s318@example.org -t
sleep 1.5
expect_exit 0 postern -C "$zero" -q
[ "$(q_entries)" = 1 ] || fail "delay_warning = 0 queued a DSN: $(q_entries) entries"
