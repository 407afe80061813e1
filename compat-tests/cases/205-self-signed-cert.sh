# 205: a self-signed certificate (right name, unknown issuer) is refused
# before AUTH.
#
# server:  Postfix, STARTTLS + SASL, self-signed cert for localhost ($PORT_SELFSIGNED)
# command: postern -C selfsigned.ini -t -i     ([queue] enabled = no)
# input:   To: a@example.org / Subject: s / (blank) / body
# expect:  exit 75, one line "postern: ..." on stderr; no AUTH, no MAIL,
#          nothing delivered.

printf 'To: a@example.org\nSubject: s\n\nbody\n' |
    expect_exit 75 postern -C "$CONF/selfsigned.ini" -t -i
expect_stderr_line
expect_no_transaction
smtpd_sessions | grep -q 'postfix/selfsigned/' || fail "no session on the selfsigned listener"
