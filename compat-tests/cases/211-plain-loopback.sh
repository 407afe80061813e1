# 211: tls = none to a loopback smarthost without AUTH delivers.
#
# server:  Postfix, no TLS, no AUTH, relays for 127.0.0.0/8 ($PORT_PLAIN)
# command: postern -C plain.ini -t -i      (host 127.0.0.1, tls none, auth none)
# input:   To: p@example.net / Subject: plain / (blank) / body
# expect:  exit 0; the message arrives; the session had no STARTTLS, no AUTH.

printf 'To: p@example.net\nSubject: plain\n\nbody\n' |
    expect_exit 0 postern -C "$CONF/plain.ini" -t -i
maildir_wait 1
m=$(msg_file_for p@example.net)
[ "$(msg_body "$m")" = body ] || fail "body changed"
s=$(smtpd_sessions)
printf '%s\n' "$s" | grep -q 'postfix/plain/' || fail "not the plain listener: $s"
! printf '%s\n' "$s" | grep -Eq ' (starttls|auth)=' || fail "STARTTLS/AUTH on plain: $s"
