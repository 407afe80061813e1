# 902: signing through -bs and after a stay in the queue (signed once,
# when spooled: every retry sends the same bytes); sign = from-domain
# leaves mail from another domain unsigned.
#
# server:  Postfix, STARTTLS + AUTH ($PORT_STARTTLS); "down" is the same
#          config with a closed port
# command: postern -bs (one pipelined SMTP session, two messages);
#          postern -C down.ini -t (queued), -q with down.ini (a failed
#          retry), -q with up.ini; sign = from-domain with From in
#          another domain, then in a subdomain; sign = always
# expect:  both -bs messages signed and verified by python3-dkim and
#          opendkim-testmsg; the queued data file starts with the
#          DKIM-Signature, is byte for byte the same after the failed
#          retry, and what arrives after -q is that file (the signature
#          unchanged, t= of the submission) and verifies; From in
#          example.net arrives unsigned, From in mail.example.org signed,
#          sign = always signs example.net mail too.

. "$TOP/compat-tests/lib/dkim.sh"
. "$TOP/compat-tests/lib/queue.sh"
dkim_need
dkim_keys

# --- -bs: two messages in one pipelined session
conf=$(dkim_conf bs starttls ed relaxed/simple)
printf 'EHLO client\r\nMAIL FROM:<root@example.org>\r\nRCPT TO:<bs1@example.org>\r\nDATA\r\nSubject: bs one\r\nTo: bs1@example.org\r\n\r\nfirst\r\n.\r\nMAIL FROM:<root@example.org>\r\nRCPT TO:<bs2@example.org>\r\nDATA\r\nSubject: bs two\r\nTo: bs2@example.org\r\n\r\n..dot-stuffed line\r\n.\r\nQUIT\r\n' |
    expect_exit 0 postern -C "$conf" -bs
[ "$(grep -c '^250 2.0.0 sent' "$CMD_OUT")" = 2 ] || fail "-bs: not two messages sent: $(tr '\r\n' '  ' <"$CMD_OUT")"
b1=$(msg_file_for bs1@example.org)
b2=$(msg_file_for bs2@example.org)
grep -q '^\.dot-stuffed line' "$b2" || fail "-bs: the dot line changed"
expect_header "$b1" DKIM-Signature 'a=ed25519-sha256; c=relaxed/simple;'
dkim_verify "$b1" "$b2"

# --- the queue: signed once, when spooled
queue_confs starttls dkim.domain=example.org dkim.selector=rsa \
    "dkim.key_file=$CASE_DIR/rsa.key" dkim.canonicalization=simple/simple
make_msg queued@example.org m902-queued | sed 's/^From: .*/From: root@example.org/' |
    expect_exit 0 postern -C "$DOWN" -t
id=$(sed -n 's/.*; id \([0-9A-F]*\)$/\1/p' "$CMD_ERR")
[ -n "$id" ] || fail "not queued: $(cat "$CMD_ERR")"
data=$QDIR/q/$id.data
head -c 15 "$data" | grep -q '^DKIM-Signature:' || fail "the data file does not start with the signature"
cp "$data" "$CASE_DIR/spooled"
sleep 1.1   # a re-signature would get another t=
expect_exit 0 postern -C "$DOWN" -q
[ "$(q_ids)" = "$id" ] || fail "the entry left the queue on a failed retry"
cmp "$data" "$CASE_DIR/spooled" || fail "a retry changed the data file"
expect_exit 0 postern -C "$UP" -q
f=$(msg_file_for queued@example.org)
[ "$(q_entries)" = 0 ] || fail "still queued"
# What arrived is the spooled file (Postfix prepends its trace fields and
# stores LF line ends).
awk 'h || /^DKIM-Signature:/ { h = 1; print }' "$f" >"$CASE_DIR/arrived"
tr -d '\r' <"$CASE_DIR/spooled" | cmp - "$CASE_DIR/arrived" ||
    fail "the message sent after the queue stay is not the spooled one"
dkim_verify "$f"

# --- sign = from-domain (the default) and always
conf=$(dkim_conf fd starttls rsa relaxed/relaxed)
printf 'From: someone@example.net\nTo: other@example.org\nSubject: other domain\n\nx\n' |
    expect_exit 0 postern -C "$conf" -t
dkim_unsigned "$(msg_file_for other@example.org)"
printf 'From: someone@mail.example.org\nTo: sub@example.org\nSubject: subdomain\n\nx\n' |
    expect_exit 0 postern -C "$conf" -t
f=$(msg_file_for sub@example.org)
expect_header "$f" DKIM-Signature 'd=example.org;'
conf=$(dkim_conf al starttls rsa relaxed/relaxed dkim.sign=always)
printf 'From: someone@example.net\nTo: always@example.org\nSubject: always\n\nx\n' |
    expect_exit 0 postern -C "$conf" -t
g=$(msg_file_for always@example.org)
dkim_verify "$f" "$g"
