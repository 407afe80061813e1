# 204: a certificate for another name is refused before AUTH.
#
# server:  Postfix, STARTTLS + SASL, cert for wrong.example signed by the
#          trusted test CA ($PORT_WRONGNAME)
# command: postern -C wrongname.ini -t -i     ([queue] enabled = no)
# input:   To: a@example.org / Subject: s / (blank) / body
# expect:  exit 75 (TLS failure is temporary and the queue is off), one line
#          "postern: ..." on stderr; the session shows STARTTLS but no AUTH,
#          no MAIL; nothing queued by Postfix, nothing delivered.

printf 'To: a@example.org\nSubject: s\n\nbody\n' |
    expect_exit 75 postern -C "$CONF/wrongname.ini" -t -i
expect_stderr_line
expect_no_transaction
smtpd_sessions | grep -q 'postfix/wrongname/' || fail "no session on the wrongname listener"
