# 304: "\r.\r" (bare CRs around a dot; the Cisco "Clean" smuggling variant)
#      arrives as exactly one message, the CRs turned into spaces.
#
# server:  Postfix plain listener and data/smtp-capture.py (see 302)
# command: postern -C plain.ini -v -t [-i]
# inputs:  a: -i    body "a\r.\rb\n"                  -> "a . b\n"
#          b: no -i the same (not a lone dot)         -> "a . b\n"
#          c: -i    "a\r.\rMAIL FROM:<x@example.org>\rRCPT TO:<victim@example
#                   .org>\rDATA\r\revil\r.\rc\n"     -> one line, CRs as spaces
#          d: -i    body "a\r\n.\r\r\nb\n" (the "\r\r\n" Postfix variant)
#                                                     -> "a\n. \nb\n"
#          e: no -i the same                          -> "a\n. \nb\n" (". " is
#                                                        not a lone dot)
# expect:  as in 302: one message per input, nothing for victim@, CRLF only
#          on the wire, no CR stored, bodies as listed.

. "$TOP/compat-tests/data/msgcheck.sh"

printf 'To: s304a@example.org\nSubject: 304a\n\na\r.\rb\n' >in-a
printf 'a . b\n' >want-a
check_one s304a@example.org in-a want-a -t -i

printf 'To: s304b@example.org\nSubject: 304b\n\na\r.\rb\n' >in-b
check_one s304b@example.org in-b want-a -t

printf 'To: s304c@example.org\nSubject: 304c\n\na\r.\rMAIL FROM:<x@example.org>\rRCPT TO:<victim@example.org>\rDATA\r\revil\r.\rc\n' >in-c
printf 'a . MAIL FROM:<x@example.org> RCPT TO:<victim@example.org> DATA  evil . c\n' >want-c
check_one s304c@example.org in-c want-c -t -i

printf 'To: s304d@example.org\nSubject: 304d\n\na\r\n.\r\r\nb\n' >in-d
printf 'a\n. \nb\n' >want-d
check_one s304d@example.org in-d want-d -t -i

printf 'To: s304e@example.org\nSubject: 304e\n\na\r\n.\r\r\nb\n' >in-e
check_one s304e@example.org in-e want-d -t

[ "$(maildir_count)" = 5 ] || fail "$(maildir_count) messages arrived, want 5"
