# 312: CR/LF and control characters in arguments and header addresses are
#      refused before anything is sent; bad -t header syntax exits 65.
#
# server:  Postfix plain listener ($PORT_PLAIN), own postern queue; and
#          data/smtp-capture.py for the commands postern sends
# commands (each with input "Subject: x / (blank) / body"):
#   64: -f 'a@b\r\nRCPT TO:<e312@example.org>'; -f 'a\x01@example.org';
#       -F 'N\nBcc: e312@example.org'; -F 'N\rBcc: ...'; -N, -R, -V holding
#       "\r\n"; a recipient argument 'ok@example.org\r\nRCPT TO:<e312@...>'
#   65 (with -t): To: "a\r\nRCPT TO:<e312@example.org>"@example.org (the
#       CRLF ends the header section: an unterminated quoted string);
#       To: a\x01b@example.org; To: ok@example.org, <b@example.org (no
#       ">"); a good To with "Cc: (unclosed"; "To: a b c" (a phrase
#       without an address); "To: a@example.org;"
# expect:  those exit 64/65 with one stderr line, and Postfix logs no
#          connection at all.
#   then:  To: "a\n RCPT TO:<e312@example.org>"@example.org (folded inside
#          the quoted string) and the same with a raw "\r " -> one address;
#          exit 0, 65 or 67 allowed, but e312@example.org never receives
#          anything, and on the wire no command line starts "RCPT TO:<e312".

. "$TOP/compat-tests/data/msgcheck.sh"
conf=$(conf_variant q plain "queue.dir=$CASE_DIR/q")
in=$CASE_DIR/in
printf 'Subject: x\n\nbody\n' >"$in"
e=e312@example.org

refuse() {  # refuse CODE ARGS...: postern ARGS <$in exits CODE, one line
	local code=$1
	shift
	expect_exit "$code" postern -C "$conf" "$@" <"$in"
	expect_stderr_line
}
refuse_t() {  # refuse_t HEADER-LINES: -t with these headers exits 65
	printf '%s\nSubject: x\n\nbody\n' "$1" >"$CASE_DIR/in-t"
	expect_exit 65 postern -C "$conf" -t -i <"$CASE_DIR/in-t"
	expect_stderr_line
}

refuse 64 -i -f $'a@b\r\nRCPT TO:<'$e'>' ok@example.org
refuse 64 -i -f $'a\x01@example.org' ok@example.org
refuse 64 -i -F $'N\nBcc: '$e ok@example.org
refuse 64 -i -F $'N\rBcc: '$e ok@example.org
refuse 64 -i -N $'success\r\nRCPT TO:<'$e'>' ok@example.org
refuse 64 -i -R $'full\r\nRCPT TO:<'$e'>' ok@example.org
refuse 64 -i -V $'id\r\nRCPT TO:<'$e'>' ok@example.org
refuse 64 -i $'ok@example.org\r\nRCPT TO:<'$e'>'
refuse_t $'To: "a\r\nRCPT TO:<'$e'>"@example.org'
refuse_t $'To: a\x01b@example.org'
refuse_t 'To: ok@example.org, <b@example.org'
refuse_t $'To: ok@example.org\nCc: (unclosed'
refuse_t 'To: a b c'
refuse_t 'To: a@example.org;'
sleep 0.2
! postfix_log_since_mark | grep -q 'connect from' ||
    fail "postern connected for a refused message: $(postfix_log_since_mark | grep -m1 'connect from')"
[ "$(maildir_count)" = 0 ] || fail "$(maildir_count) message(s) delivered"

# Folded or CR-broken quoted local parts: one (odd) address, never e312@.
cap_start
printf 'To: "a\n RCPT TO:<%s>"@example.org\nSubject: x\n\nbody\n' "$e" >in-f1
printf 'To: "a\r RCPT TO:<%s>"@example.org\nSubject: x\n\nbody\n' "$e" >in-f2
for f in in-f1 in-f2; do
	rc=0
	postern -C "$conf" -t -i <"$f" 2>"$CASE_DIR/err" || rc=$?
	case $rc in 0|65|67) ;; *) fail "$f: exit $rc: $(cat "$CASE_DIR/err")" ;; esac
	rc=0
	postern -C "$CAP_CONF" -t -i <"$f" 2>"$CASE_DIR/err" || rc=$?
	case $rc in 0|65|67) ;; *) fail "$f (capture): exit $rc: $(cat "$CASE_DIR/err")" ;; esac
done
if postfix_log_since_mark | grep -q 'connect from'; then
	smtpd_sessions >/dev/null
fi
sleep 0.3
! postfix_log_since_mark | grep -q "to=<$e>" || fail "Postfix delivered to $e"
! grep -rqi "^Delivered-To: $e" "$MAILDIR/new" "$MAILDIR/cur" || fail "$e received a message"
! cat "$CAP_DIR"/cmds.* 2>/dev/null | grep -qi "^RCPT TO:<$e" || fail "RCPT TO:<$e> sent as a command"
