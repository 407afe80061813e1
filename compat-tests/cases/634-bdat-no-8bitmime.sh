# 634: CHUNKING offered but not 8BITMIME (real Postfix): an 8-bit text
#      message is converted to quoted-printable and goes by DATA, a 7-bit
#      one still goes by BDAT.
#
# server:  Postfix plain listener ($PORT_PLAIN) with
#          smtpd_discard_ehlo_keywords = 8bitmime (master.cf -o, put back
#          when the case ends): it offers CHUNKING and PIPELINING only
# command: postern -v -i -C plain.ini a@example.org (8-bit), then
#          b@example.org (7-bit)
# input:   8-bit: Subject, MIME 8bit UTF-8 headers, body "café .dot" and
#          ".lead"; 7-bit: Subject, body ".dot" and "x"
# expect:  8-bit: exit 0, no BODY=8BITMIME, DATA and no BDAT in the
#          transcript, the delivered body is quoted-printable
#          ("caf=C3=A9 .dot", ".lead" unstuffed once) with
#          Content-Transfer-Encoding: quoted-printable; 7-bit: exit 0,
#          "BDAT n LAST" and no DATA, body delivered as sent.
need postconf postfix

SVC="127.0.0.1:$PORT_PLAIN/inet"
restore() {
	postconf -c "$POSTFIX_CONFIG_DIR" -PX "$SVC/smtpd_discard_ehlo_keywords" 2>/dev/null || true
	postfix -c "$POSTFIX_CONFIG_DIR" reload >/dev/null 2>&1 || true
}
trap restore EXIT
postconf -c "$POSTFIX_CONFIG_DIR" -P "$SVC/smtpd_discard_ehlo_keywords=8bitmime"
postfix -c "$POSTFIX_CONFIG_DIR" reload >/dev/null 2>&1 || fail "postfix reload failed"
sleep 1

printf 'Subject: s634-8\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\ncaf\xc3\xa9 .dot\n.lead\n' |
    expect_exit 0 postern -v -i -C "$CONF/plain.ini" a@example.org
grep -q '^< 250.CHUNKING' "$CMD_ERR" || fail "CHUNKING not offered"
! grep -q '8BITMIME' "$CMD_ERR" || fail "8BITMIME offered or used: $(grep 8BITMIME "$CMD_ERR")"
grep -q '^> DATA$' "$CMD_ERR" || fail "no DATA for the converted message"
! grep -q '^> BDAT' "$CMD_ERR" || fail "BDAT used for the converted message"
grep -q '(message body, quoted-printable)' "$CMD_ERR" || fail "not sent quoted-printable"
m=$(msg_file_for a@example.org)
expect_header "$m" Content-Transfer-Encoding '^quoted-printable$'
[ "$(msg_body "$m")" = "$(printf 'caf=C3=A9 .dot\n.lead')" ] ||
    fail "body: $(msg_body "$m" | od -c | head -3)"

printf 'Subject: s634-7\n\n.dot\nx\n' |
    expect_exit 0 postern -v -i -C "$CONF/plain.ini" b@example.org
grep -q '^> BDAT [0-9]* LAST$' "$CMD_ERR" || fail "no BDAT for the 7-bit message"
! grep -q '^> DATA' "$CMD_ERR" || fail "DATA used for the 7-bit message"
m=$(msg_file_for b@example.org)
[ "$(msg_body "$m")" = "$(printf '.dot\nx')" ] || fail "body: $(msg_body "$m" | od -c | head -3)"
