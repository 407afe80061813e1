# 303: "\r\n.\r\n" in a CRLF message (and smuggling built on it) arrives as
#      exactly one message.
#
# server:  Postfix plain listener and data/smtp-capture.py (see 302)
# command: postern -C plain.ini -v -t [-i]
# inputs (CRLF throughout):
#          a: -i    body "a\r\n.\r\nb\r\n"            -> "a\n.\nb\n"
#          b: no -i the same                          -> "a\n"; "b" never arrives
#          c: -i    "a\r\n.\r\nMAIL FROM:<x@example.org>\r\nRCPT TO:<victim@
#                   example.org>\r\nDATA\r\n...\r\n.\r\nc\r\n" -> intact
#          d: no -i the same smuggling body           -> "a\n"
# expect:  as in 302: one message per input at Postfix (Maildir delta, one
#          "queued as", one queue entry), nothing for victim@, CRLF only and
#          one DATA on the wire, bodies as listed, lines <= 998.

. "$TOP/compat-tests/data/msgcheck.sh"

smuggle=$'a\r\n.\r\nMAIL FROM:<x@example.org>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\nc\r\n'

printf 'To: s303a@example.org\r\nSubject: 303a\r\n\r\na\r\n.\r\nb\r\n' >in-a
printf 'a\n.\nb\n' >want-a
check_one s303a@example.org in-a want-a -t -i

printf 'To: s303b@example.org\r\nSubject: 303b\r\n\r\na\r\n.\r\nb\r\n' >in-b
printf 'a\n' >want-b
check_one s303b@example.org in-b want-b -t

printf 'To: s303c@example.org\r\nSubject: 303c\r\n\r\n%s' "$smuggle" >in-c
printf '%s' "${smuggle//$'\r'/}" >want-c
check_one s303c@example.org in-c want-c -t -i

printf 'To: s303d@example.org\r\nSubject: 303d\r\n\r\n%s' "$smuggle" >in-d
printf 'a\n' >want-d
check_one s303d@example.org in-d want-d -t

[ "$(maildir_count)" = 4 ] || fail "$(maildir_count) messages arrived, want 4"
