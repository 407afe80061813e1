# 316: -bs never promises a report it cannot make.  When some recipients of
#      a message are refused for good and the others delivered, the reply
#      to the final dot is 250 (the message went out: a 5xx would invite a
#      resend and duplicates); its text says a report goes to the sender
#      only when a DSN was really queued, and otherwise names the refused
#      recipients and says that no report will be sent.
#
# server:  Postfix plain listener ($PORT_PLAIN): "reject*" local parts get
#          550 5.1.1 at RCPT
# command: postern -bs, one message to ok316@ and reject316@example.org,
#          with (a) [queue] enabled = no, (b) a queue dir that cannot be
#          created (a file is in the way), (c) a working queue
# expect:  (a), (b): "250 2.0.0 ...no report will be sent...reject316...",
#          ok316 delivered, no DSN anywhere; (c): "250 ... a report goes to
#          the sender", and the DSN is in the queue.

. "$TOP/compat-tests/lib/queue.sh"
session() {
	printf 'HELO client\r\nMAIL FROM:<s316@example.org>\r\n'
	printf 'RCPT TO:<ok316@example.org>\r\nRCPT TO:<reject316@example.org>\r\n'
	printf 'DATA\r\nSubject: m316\r\n\r\nbody\r\n.\r\nQUIT\r\n'
}

off=$(conf_variant off plain queue.enabled=no)
: >"$CASE_DIR/notadir"
broken=$(conf_variant broken plain "queue.dir=$CASE_DIR/notadir/q")
for c in "$off" "$broken"; do
	maildir_clear
	session | expect_exit 0 postern -C "$c" -bs
	grep -E '^250 2\.0\.0 ' "$CMD_OUT" | tail -n 1 >last
	grep -q 'no report will be sent' last ||
	    fail "$(basename "$c"): the reply does not say that no report is made: $(cat last)"
	grep -q 'reject316@example.org' last ||
	    fail "$(basename "$c"): the reply does not name the refused recipient: $(cat last)"
	! grep -q 'a report goes to the sender' last ||
	    fail "$(basename "$c"): promises a report: $(cat last)"
	msg_file_for ok316@example.org >/dev/null
done

QDIR=$CASE_DIR/q
on=$(conf_variant on plain "queue.dir=$QDIR" queue.delivery=interactive)
maildir_clear
session | expect_exit 0 postern -C "$on" -bs
grep -E '^250 2\.0\.0 ' "$CMD_OUT" | tail -n 1 >last
grep -q 'a report goes to the sender' last || fail "with a queue: $(cat last)"
msg_file_for ok316@example.org >/dev/null
