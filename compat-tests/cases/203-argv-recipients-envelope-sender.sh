# 203: recipients as arguments, envelope sender from -f.
#
# server:  Postfix submission listener ($PORT_STARTTLS)
# command: postern -C starttls.ini -i -f sender@example.org b@example.com c@example.net
# input:   Subject: argv / (blank) / body
# expect:  exit 0; one message each for b@example.com and c@example.net, both
#          with Return-Path <sender@example.org>; Postfix logged that sender.

printf 'Subject: argv\n\nbody\n' |
    expect_exit 0 postern -C "$CONF/starttls.ini" -i -f sender@example.org \
    b@example.com c@example.net
maildir_wait 2
for r in b@example.com c@example.net; do
	m=$(msg_file_for "$r")
	expect_header "$m" Return-Path '^<sender@example\.org>$'
	expect_header "$m" Subject '^argv$'
	[ "$(msg_body "$m")" = body ] || fail "body changed for $r"
done
log_wait 'from=<sender@example\.org>' >/dev/null
