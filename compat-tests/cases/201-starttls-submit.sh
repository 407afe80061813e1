# 201: -t -i over STARTTLS with SASL; the message arrives with fix-ups.
#
# server:  Postfix, STARTTLS required, SASL required, good cert ($PORT_STARTTLS)
# command: postern -C starttls.ini -t -i
# input:   To: a@example.org / Subject: s / (blank) / body
# expect:  exit 0, nothing on stderr; one message for a@example.org with
#          Date, Message-ID and From added, Subject and body intact;
#          Postfix logged a TLS session with sasl_username=postern.

printf 'To: a@example.org\nSubject: s\n\nbody\n' |
    expect_exit 0 postern -C "$CONF/starttls.ini" -t -i
[ ! -s "$CMD_ERR" ] || fail "stderr not empty: $(head -c 200 "$CMD_ERR")"
maildir_wait 1
m=$(msg_file_for a@example.org)
expect_header "$m" Date '[0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}(:[0-9]{2})? [-+][0-9]{4}'
expect_header "$m" Message-ID '^<[^<>@ ]+@[^<>@ ]+>$'
expect_header "$m" From 'root@example\.org'
expect_header "$m" To '^a@example\.org$'
expect_header "$m" Subject '^s$'
[ "$(msg_headers "$m" Date | wc -l)" = 1 ] || fail "more than one Date:"
[ "$(msg_body "$m")" = body ] || fail "body changed: $(msg_body "$m" | head -c 200)"
log_wait 'postfix/starttls/smtpd\[[0-9]+\]: .*TLS connection established' >/dev/null
log_wait 'postfix/starttls/smtpd\[[0-9]+\]: .*sasl_username=postern$' >/dev/null
smtpd_sessions | grep -Eq ' starttls=1 auth=1 mail=1 rcpt=1 (data|bdat)=1' ||
    fail "unexpected session: $(smtpd_sessions)"
