# 302: "\n.\n" in the body (and an SMTP smuggling attempt built on it)
#      arrives as exactly one message.
#
# server:  Postfix plain listener ($PORT_PLAIN; smtpd_forbid_bare_newline
#          = no, so a bare "\n.\n" on the wire WOULD end its DATA) and
#          data/smtp-capture.py (keeps the raw octets postern sends)
# command: postern -C plain.ini -v -t [-i]
# inputs:  a: -i    body "a\n.\nb\n"                  -> body intact
#          b: no -i body "a\n.\nb\n"                  -> body "a\n", "b" never
#                                                        arrives anywhere
#          c: -i    body "a\n.\nMAIL FROM:<x@example.org>\nRCPT TO:<victim@
#                   example.org>\nDATA\nSubject: smuggled\n\nevil\n.\nc\n"
#                                                     -> body intact, one message
#          d: no -i the same smuggling body           -> body "a\n"
# expect:  exit 0 each; per input exactly one "queued as" in the -v
#          transcript, one new Maildir message, one Postfix queue entry;
#          nothing for victim@example.org; stored copy without CR and lines
#          <= 998; on the wire CRLF only and one DATA whose un-stuffed body
#          is the expected one.

. "$TOP/compat-tests/data/msgcheck.sh"

smuggle=$'a\n.\nMAIL FROM:<x@example.org>\nRCPT TO:<victim@example.org>\nDATA\nSubject: smuggled\n\nevil\n.\nc\n'

printf 'To: s302a@example.org\nSubject: 302a\n\na\n.\nb\n' >in-a
printf 'a\n.\nb\n' >want-a
check_one s302a@example.org in-a want-a -t -i

printf 'To: s302b@example.org\nSubject: 302b\n\na\n.\nb\n' >in-b
printf 'a\n' >want-b
check_one s302b@example.org in-b want-b -t

printf 'To: s302c@example.org\nSubject: 302c\n\n%s' "$smuggle" >in-c
printf '%s' "$smuggle" >want-c
check_one s302c@example.org in-c want-c -t -i

printf 'To: s302d@example.org\nSubject: 302d\n\n%s' "$smuggle" >in-d
printf 'a\n' >want-d
check_one s302d@example.org in-d want-d -t

[ "$(maildir_count)" = 4 ] || fail "$(maildir_count) messages arrived, want 4"
! grep -rlq 'evil' "$MAILDIR/new" "$MAILDIR/cur" ||
    [ "$(grep -rl 'evil' "$MAILDIR/new" "$MAILDIR/cur" | wc -l)" = 1 ] ||
    fail "the smuggled body arrived outside message c"
