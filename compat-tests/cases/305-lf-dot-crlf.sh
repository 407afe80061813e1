# 305: "\n.\r\n" (LF before the dot, CRLF after: CVE-2023-51764's variant)
#      arrives as exactly one message.
#
# server:  Postfix plain listener and data/smtp-capture.py (see 302)
# command: postern -C plain.ini -v -t [-i]
# inputs:  a: -i    body "a\n.\r\nb\n"                -> "a\n.\nb\n"
#          b: no -i the same                          -> "a\n"; "b" never arrives
#          c: -i    "a\n.\r\nMAIL FROM:<x@example.org>\r\nRCPT TO:<victim@
#                   example.org>\r\nDATA\r\n...\n.\r\nc\n" -> intact
#          d: no -i the same smuggling body           -> "a\n"
# expect:  as in 302.

. "$TOP/compat-tests/data/msgcheck.sh"

smuggle=$'a\n.\r\nMAIL FROM:<x@example.org>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\n.\r\nc\n'

printf 'To: s305a@example.org\nSubject: 305a\n\na\n.\r\nb\n' >in-a
printf 'a\n.\nb\n' >want-a
check_one s305a@example.org in-a want-a -t -i

printf 'To: s305b@example.org\nSubject: 305b\n\na\n.\r\nb\n' >in-b
printf 'a\n' >want-b
check_one s305b@example.org in-b want-b -t

printf 'To: s305c@example.org\nSubject: 305c\n\n%s' "$smuggle" >in-c
printf '%s' "${smuggle//$'\r'/}" >want-c
check_one s305c@example.org in-c want-c -t -i

printf 'To: s305d@example.org\nSubject: 305d\n\n%s' "$smuggle" >in-d
printf 'a\n' >want-d
check_one s305d@example.org in-d want-d -t

[ "$(maildir_count)" = 4 ] || fail "$(maildir_count) messages arrived, want 4"
