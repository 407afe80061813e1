# 307: NUL octets are removed, in the body and in a header; one message.
#
# server:  Postfix plain listener and data/smtp-capture.py (see 302)
# command: postern -C plain.ini -v -t -i
# input:   To: s307a@example.org / Subject: nu\0l / (blank) /
#          "a\0b\n\0\n.\0\nend\n"
# expect:  one message, CRLF only, no NUL on the wire or stored; Subject
#          "nul"; body "ab\n\n.\nend\n" (the ".\0" line becomes "." and, with
#          -i, is data, dot-stuffed on the wire).

. "$TOP/compat-tests/data/msgcheck.sh"

printf 'To: s307a@example.org\nSubject: nu\0l\n\na\0b\n\0\n.\0\nend\n' >in-a
printf 'ab\n\n.\nend\n' >want-a
check_one s307a@example.org in-a want-a -t -i
expect_header "$STORED" Subject '^nul$'
! grep -qaP '\x00' "$STORED" || fail "NUL stored"
[ "$(maildir_count)" = 1 ] || fail "$(maildir_count) messages arrived, want 1"
