# 206: a wrong password: AUTH fails, nothing is sent.
#
# server:  Postfix submission listener ($PORT_STARTTLS)
# command: postern -C badpass.ini -t -i     ([queue] enabled = no)
# input:   To: a@example.org / Subject: s / (blank) / body
# expect:  exit 75 (AUTH failure is temporary and the queue is off), one line
#          "postern: ..." on stderr; Postfix logged the failed AUTH, saw no
#          MAIL; nothing delivered.

printf 'To: a@example.org\nSubject: s\n\nbody\n' |
    expect_exit 75 postern -C "$CONF/badpass.ini" -t -i
expect_stderr_line
! grep -q 'not-the-password' "$CMD_ERR" || fail "stderr shows the password"
log_wait 'SASL [A-Z0-9-]+ authentication failed' >/dev/null
s=$(smtpd_sessions)
printf '%s\n' "$s" | grep -q ' auth=0/' || fail "no failed AUTH in session: $s"
! printf '%s\n' "$s" | grep -Eq ' (mail|rcpt|data)=' || fail "MAIL after failed AUTH: $s"
[ "$(maildir_count)" = 0 ] || fail "message delivered"
