# 631: BDAT (RFC 3030) to the real Postfix, and DATA when CHUNKING is not
#      offered; both deliver the same bytes.
#
# server:  Postfix plain listener ($PORT_PLAIN), which offers CHUNKING,
#          PIPELINING and 8BITMIME by default; then the same listener with
#          smtpd_discard_ehlo_keywords = chunking (master.cf -o, put back
#          when the case ends, whatever happens)
# command: postern -v -i -C plain.ini a@example.org (then b@example.org)
# input:   headers (From, To, Subject, Date, Message-ID, MIME 8bit UTF-8),
#          a body of ".dot", "..two", ".", "café ü", 3 MiB of lines with
#          every 997th one starting with ".", and a last line without a
#          newline
# expect:  with CHUNKING: exit 0; the -v transcript shows BODY=8BITMIME,
#          four "BDAT n" (three of 1048576, the last "LAST" with the rest,
#          the sizes adding up to SIZE=) and no DATA; Postfix's session
#          summary says bdat=4 and no data=; the delivered message is the
#          input (LF line ends, as Postfix's Maildir stores it) with the
#          final newline added, byte for byte, dot-lines unstuffed once.
#          Without CHUNKING: exit 0, DATA and no BDAT in the transcript,
#          Postfix says data=1; the delivered message has the same bytes.
# case-timeout: 120
need postconf postfix

SVC="127.0.0.1:$PORT_PLAIN/inet"
restore() {
	postconf -c "$POSTFIX_CONFIG_DIR" -PX "$SVC/smtpd_discard_ehlo_keywords" 2>/dev/null || true
	postfix -c "$POSTFIX_CONFIG_DIR" reload >/dev/null 2>&1 || true
}
trap restore EXIT

in=$CASE_DIR/in.txt
{
	printf 'From: root@example.org\nTo: a@example.org\nSubject: s631\n'
	printf 'Date: Tue, 01 Dec 2026 00:00:00 +0000\nMessage-ID: <s631@example.org>\n'
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n\n'
	printf '.dot\n..two\n.\ncaf\xc3\xa9 \xc3\xbc\n'
	awk 'BEGIN { for (i = 0; i < 60000; i++)
		printf "%s%07d the quick brown fox jumps over the lazy dog ....\n",
		    i % 997 ? "" : ".", i }'
	printf 'last line without a newline'
} >"$in"
# What must arrive: the same octets, with the final newline.
want=$CASE_DIR/want.txt
{ cat "$in"; printf '\n'; } >"$want"

# delivered RCPT: the message as stored, without the headers Postfix adds
# in front of ours (Return-Path, Delivered-To, Received).
delivered() {
	local f
	f=$(msg_file_for "$1")
	awk 'f || /^From: / { f = 1; print }' "$f"
}

log_mark
expect_exit 0 postern -v -i -C "$CONF/plain.ini" a@example.org <"$in"
grep -q '^> MAIL FROM:<root@example.org> SIZE=[0-9]* BODY=8BITMIME$' "$CMD_ERR" ||
    fail "no BODY=8BITMIME: $(grep '> MAIL' "$CMD_ERR")"
size=$(sed -n 's/^> MAIL FROM:.* SIZE=\([0-9]*\).*/\1/p' "$CMD_ERR")
sizes=$(sed -n 's/^> BDAT \([0-9]*\)\( LAST\)\{0,1\}$/\1\2/p' "$CMD_ERR" | tr '\n' ,)
case $sizes in
1048576,1048576,1048576,[0-9]*\ LAST,) ;;
*)	fail "BDAT chunks: '$sizes'" ;;
esac
sum=$(sed -n 's/^> BDAT \([0-9]*\).*/\1/p' "$CMD_ERR" | awk '{ s += $1 } END { print s }')
[ "$sum" = "$size" ] || fail "BDAT sizes add up to $sum, SIZE=$size"
! grep -q '^> DATA' "$CMD_ERR" || fail "DATA sent although CHUNKING was offered"
sess=$(smtpd_sessions)
case $sess in
*' bdat=4 '*) ;;
*)	fail "Postfix did not see 4 BDAT: $sess" ;;
esac
case $sess in *' data='*) fail "Postfix saw DATA: $sess" ;; esac
delivered a@example.org >"$CASE_DIR/got-bdat.txt"
cmp "$want" "$CASE_DIR/got-bdat.txt" ||
    fail "BDAT: delivered message differs: $(cmp "$want" "$CASE_DIR/got-bdat.txt" 2>&1)"

# The same message by DATA: Postfix no longer offers CHUNKING.
postconf -c "$POSTFIX_CONFIG_DIR" -P "$SVC/smtpd_discard_ehlo_keywords=chunking"
postfix -c "$POSTFIX_CONFIG_DIR" reload >/dev/null 2>&1 || fail "postfix reload failed"
sleep 1
log_mark
expect_exit 0 postern -v -i -C "$CONF/plain.ini" b@example.org <"$in"
! grep -q 'CHUNKING' "$CMD_ERR" || fail "CHUNKING still offered"
grep -q '^> DATA$' "$CMD_ERR" || fail "no DATA in the transcript"
! grep -q '^> BDAT' "$CMD_ERR" || fail "BDAT sent although CHUNKING was not offered"
sess=$(smtpd_sessions)
case $sess in
*' data=1 '*) ;;
*)	fail "Postfix did not see DATA: $sess" ;;
esac
delivered b@example.org >"$CASE_DIR/got-data.txt"
cmp "$want" "$CASE_DIR/got-data.txt" ||
    fail "DATA: delivered message differs: $(cmp "$want" "$CASE_DIR/got-data.txt" 2>&1)"
