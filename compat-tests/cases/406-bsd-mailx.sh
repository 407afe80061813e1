# 406: bsd-mailx (8.1.2) sends through the installed postern.
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS)
# command: echo body | bsd-mailx -s 'mailx subject' -r 'Mailx Sender
#          <mx-sender@example.org>' -c mx-cc@example.org -b mx-bcc@example.org
#          mx-to@example.org
#          bsd-mailx runs /usr/sbin/sendmail -i -t -f mx-sender@example.org
#          (-r 'Name <a>' becomes -f a; recipients only in the headers,
#          Bcc: included; LF; no Date/Message-ID); then the same without -r
# expect:  exit 0; one copy each for To, Cc and Bcc with Return-Path
#          <mx-sender@example.org>, To/Cc/Subject as given, no Bcc: header,
#          Date and Message-ID added, body intact; without -r the
#          envelope sender is root@example.org ([sender] from).

need bsd-mailx strip
. "$TOP/compat-tests/lib/callers.sh"
callers_setup
sendmail_note

export HOME=$CASE_DIR   # dead.letter, if any, lands here
echo 'mailx body' | expect_exit 0 bsd-mailx -s 'mailx subject' \
    -r 'Mailx Sender <mx-sender@example.org>' -c mx-cc@example.org \
    -b mx-bcc@example.org mx-to@example.org
[ ! -s "$CMD_ERR" ] || fail "bsd-mailx wrote to stderr: $(head -c 200 "$CMD_ERR")"
maildir_wait 3
for r in mx-to@example.org mx-cc@example.org mx-bcc@example.org; do
	m=$(msg_file_for "$r")
	expect_return_path "$m" mx-sender@example.org
	expect_header "$m" From 'mx-sender@example\.org'
	expect_header "$m" To '^mx-to@example\.org$'
	expect_header "$m" Cc '^mx-cc@example\.org$'
	expect_header "$m" Subject '^mailx subject$'
	expect_header "$m" Date '[0-9]{4} [0-9]{2}:[0-9]{2}'
	expect_header "$m" Message-ID '^<[^<>@ ]+@[^<>@ ]+>$'
	no_header "$m" Bcc
	[ "$(msg_body "$m" | tr -d '\r')" = 'mailx body' ] ||
	    fail "$r: body: $(msg_body "$m" | head -c 200)"
done

# Without -r: no -f, so [sender] from decides.
maildir_clear
echo 'second body' | expect_exit 0 bsd-mailx -s 'no -r' mx-plain@example.org
m=$(msg_file_for mx-plain@example.org)
expect_return_path "$m" root@example.org
expect_header "$m" From 'root@example\.org'
expect_header "$m" Subject '^no -r$'
[ ! -e "$CASE_DIR/dead.letter" ] || fail "bsd-mailx saved a dead.letter"
maildir_wait 1
