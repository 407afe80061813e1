# 210: an expired certificate (right name, trusted CA) is refused before AUTH.
#
# server:  Postfix, STARTTLS + SASL, cert for localhost that expired in 2020
#          ($PORT_EXPIRED)
# command: postern -C expired.ini -t -i     ([queue] enabled = no)
# input:   To: a@example.org / Subject: s / (blank) / body
# expect:  exit 75, one line "postern: ..." on stderr; no AUTH, no MAIL,
#          nothing delivered.

printf 'To: a@example.org\nSubject: s\n\nbody\n' |
    expect_exit 75 postern -C "$CONF/expired.ini" -t -i
expect_stderr_line
expect_no_transaction
