# 202: -t -i over implicit TLS with SASL; the message arrives with fix-ups.
#
# server:  Postfix, TLS on connect (wrapper mode), SASL required ($PORT_IMPLICIT)
# command: postern -C implicit.ini -t -i
# input:   To: a@example.org / Subject: s / (blank) / body
# expect:  exit 0; one message for a@example.org with Date, Message-ID and
#          From added and the body intact; Postfix logged TLS and
#          sasl_username=postern on the implicit listener.

printf 'To: a@example.org\nSubject: s\n\nbody\n' |
    expect_exit 0 postern -C "$CONF/implicit.ini" -t -i
maildir_wait 1
m=$(msg_file_for a@example.org)
expect_header "$m" Date
expect_header "$m" Message-ID '^<[^<>@ ]+@[^<>@ ]+>$'
expect_header "$m" From 'root@example\.org'
[ "$(msg_body "$m")" = body ] || fail "body changed: $(msg_body "$m" | head -c 200)"
log_wait 'postfix/implicit/smtpd\[[0-9]+\]: .*TLS connection established' >/dev/null
log_wait 'postfix/implicit/smtpd\[[0-9]+\]: .*sasl_username=postern$' >/dev/null
smtpd_sessions | grep -Eq ' auth=1 mail=1 rcpt=1 (data|bdat)=1' ||
    fail "unexpected session: $(smtpd_sessions)"
