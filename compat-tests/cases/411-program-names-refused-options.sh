# 411: the installed links dispatch on the program name, and options that
# postern refuses exit 64 with one line.
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS)
# command: /usr/bin/mailq, /usr/bin/newaliases (links to postern, private
#          empty queue); /usr/lib/sendmail -t -i (the path MIME::Lite,
#          git and Mail::Mailer try first); /usr/sbin/sendmail with
#          -X /tmp/postern-411-x, -O QueueDirectory=/tmp, -k, each with a
#          message on stdin and a recipient
# expect:  mailq exits 0 and says "Mail queue is empty"; newaliases exits 0
#          silently; the message through /usr/lib/sendmail arrives; each
#          refused option exits 64 with exactly one stderr line starting
#          "postern: ", creates no file and sends nothing.

need strip
. "$TOP/compat-tests/lib/callers.sh"
callers_setup
sendmail_note

for l in /usr/bin/mailq /usr/bin/newaliases /usr/lib/sendmail /usr/sbin/sendmail; do
	[ -e "$l" ] || fail "$l is missing"
done

expect_exit 0 /usr/bin/mailq
expect_stdout '^Mail queue is empty$'
[ ! -s "$CMD_ERR" ] || fail "mailq wrote to stderr: $(head -c 200 "$CMD_ERR")"
expect_exit 0 /usr/bin/newaliases
[ ! -s "$CMD_ERR" ] || fail "newaliases wrote to stderr: $(head -c 200 "$CMD_ERR")"
# The program name decides, not the options: mailq with an option too.
expect_exit 0 /usr/bin/mailq -v
expect_stdout '^Mail queue is empty$'

printf 'To: libsendmail@example.org\nSubject: via /usr/lib/sendmail\n\nbody\n' |
    expect_exit 0 /usr/lib/sendmail -t -i
m=$(msg_file_for libsendmail@example.org)
expect_return_path "$m" root@example.org
expect_header "$m" Subject '^via /usr/lib/sendmail$'
maildir_wait 1
maildir_clear
log_mark

x=/tmp/postern-411-x
rm -f "$x"
callers_at_exit "rm -f $x"
for opt in "-X $x" "-X$x" "-O QueueDirectory=/tmp" "-OQueueDirectory=/tmp" -k; do
	# shellcheck disable=SC2086
	printf 'To: refused@example.org\nSubject: refused\n\nbody\n' |
	    expect_exit 64 "$SENDMAIL" -t -i $opt refused@example.org
	expect_stderr_line
done
[ ! -e "$x" ] || fail "$x was created"
[ "$(inst_queue_count)" = 0 ] || fail "a refused submission was queued"
sleep 0.3
[ "$(maildir_count)" = 0 ] || fail "$(maildir_count) message(s) delivered"
if postfix_log_since_mark | grep -q 'connect from'; then
	expect_no_transaction
fi
