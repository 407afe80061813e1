# 407: s-nail (14.9.24) sends through the installed postern.
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS)
# command: echo body | s-nail -:/ -Snosave -s 'snail subject'
#          -r 'Snail Sender <sn-sender@example.org>' -c sn-cc@example.org
#          -b sn-bcc@example.org sn-to@example.org
#          (-:/ skips every rc file; DEAD points into the case directory)
#          s-nail runs /usr/sbin/sendmail -i -F 'Snail Sender' -f
#          sn-sender@example.org -- sn-to@... sn-cc@... sn-bcc@...
#          (recipients only on argv, no Bcc: header, LF, with Date and
#          Message-ID)
# expect:  exit 0; one copy each for To, Cc and Bcc with Return-Path
#          <sn-sender@example.org>, From/To/Cc/Subject as given, no Bcc:
#          header, body intact; no dead letter.

need s-nail strip
. "$TOP/compat-tests/lib/callers.sh"
callers_setup
sendmail_note

export HOME=$CASE_DIR DEAD=$CASE_DIR/dead.letter
echo 'snail body' | expect_exit 0 s-nail -:/ -Snosave -s 'snail subject' \
    -r 'Snail Sender <sn-sender@example.org>' -c sn-cc@example.org \
    -b sn-bcc@example.org sn-to@example.org
[ ! -s "$CMD_ERR" ] || fail "s-nail wrote to stderr: $(head -c 200 "$CMD_ERR")"
maildir_wait 3
for r in sn-to@example.org sn-cc@example.org sn-bcc@example.org; do
	m=$(msg_file_for "$r")
	expect_return_path "$m" sn-sender@example.org
	expect_header "$m" From '^Snail Sender <sn-sender@example\.org>$'
	expect_header "$m" To '^sn-to@example\.org$'
	expect_header "$m" Cc '^sn-cc@example\.org$'
	expect_header "$m" Subject '^snail subject$'
	expect_header "$m" Date '[0-9]{4} [0-9]{2}:[0-9]{2}'
	expect_header "$m" Message-ID '^<[^<>@ ]+@[^<>@ ]+>$'
	no_header "$m" Bcc
	[ "$(msg_body "$m" | tr -d '\r')" = 'snail body' ] ||
	    fail "$r: body: $(msg_body "$m" | head -c 200)"
done
[ ! -e "$DEAD" ] || fail "s-nail wrote a dead letter: $(head -c 200 "$DEAD")"
