# 306: bare CRs (in the body, at the end of the input, and in a header where
#      they could start a new "Bcc:" field) become spaces; one message.
#
# server:  Postfix plain listener and data/smtp-capture.py (see 302)
# command: postern -C plain.ini -v -t -i
# input:   To: s306a@example.org / Subject: x\rBcc: evil@example.org /
#          (blank) / "line1\rline2\n\rstart\nend\r\nlast\r" (no final LF)
# expect:  one message at Postfix and one DATA on the wire, CRLF only;
#          Subject arrives as "x Bcc: evil@example.org" (one field, no Bcc
#          field, nothing for evil@); body "line1 line2\n start\nend\nlast \n".

. "$TOP/compat-tests/data/msgcheck.sh"

printf 'To: s306a@example.org\nSubject: x\rBcc: evil@example.org\n\nline1\rline2\n\rstart\nend\r\nlast\r' >in-a
printf 'line1 line2\n start\nend\nlast \n' >want-a
check_one s306a@example.org in-a want-a -t -i
expect_header "$STORED" Subject '^x Bcc: evil@example\.org$'
! msg_header "$STORED" Bcc >/dev/null || fail "a Bcc field arrived"
! postfix_log_since_mark | grep -q 'to=<evil@' || fail "Postfix saw evil@ as a recipient"
! grep -q '^RCPT TO:<evil@' "$CAP_DIR/cmds.$CAP_N" || fail "evil@ sent as a recipient"
[ "$(maildir_count)" = 1 ] || fail "$(maildir_count) messages arrived, want 1"
