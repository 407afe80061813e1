# 315: [queue] max_message_size bounds what a caller can make postern
#      store: larger input exits 65 with one line and nothing is kept;
#      the limit is checked while reading, so endless input stops at once;
#      -bs answers 552 and drops the message.
#
# server:  Postfix plain listener ($PORT_PLAIN)
# config:  max_message_size = 2K, own queue
# command: postern -t -i with 1 KiB, then 3 KiB of body; To: then endless
#          NULs from /dev/zero (NULs are removed: only counting the input
#          stops this); endless "x" lines; -bs with a 3 KiB message then
#          a small one; max_message_size = 1x and = -1 (exit 78)
# expect:  1 KiB: delivered (exit 0); 3 KiB: exit 65, one stderr line naming
#          max_message_size, nothing in tmp/ or q/, no connection; endless
#          input: exit 65 within 5 s; -bs: "552 5.3.4" for the big one,
#          "250" for the small one, only the small one delivered; bad values
#          exit 78.

. "$TOP/compat-tests/lib/queue.sh"
QDIR=$CASE_DIR/q
conf=$(conf_variant lim plain "queue.dir=$QDIR" queue.max_message_size=2K)
body() { head -c "$1" /dev/zero | tr '\0' 'a' | fold -w 70; echo; }

{ printf 'To: ok315@example.org\nSubject: small\n\n'; body 1024; } |
    expect_exit 0 postern -C "$conf" -t -i
msg_file_for ok315@example.org >/dev/null
maildir_clear
log_mark

{ printf 'To: big315@example.org\nSubject: big\n\n'; body 3072; } |
    expect_exit 65 postern -C "$conf" -t -i
expect_stderr_line 'max_message_size'
[ -z "$(q_files "$QDIR" tmp)$(q_files "$QDIR" q)" ] ||
    fail "files kept: tmp/ $(q_files "$QDIR" tmp) q/ $(q_files "$QDIR" q)"

CMD_TIMEOUT=10
t0=$(now_ms)
{ printf 'To: zero315@example.org\nSubject: zero\n\n'; cat /dev/zero; } |
    expect_exit 65 postern -C "$conf" -t -i
expect_stderr_line 'max_message_size'
yes xxxxxxxxxxxxxxxx | expect_exit 65 postern -C "$conf" -i zero315@example.org
expect_stderr_line 'max_message_size'
ms=$(( $(now_ms) - t0 ))
[ "$ms" -lt 5000 ] || fail "endless input took $ms ms to be refused"
[ -z "$(q_files "$QDIR" tmp)$(q_files "$QDIR" q)" ] ||
    fail "files kept: tmp/ $(q_files "$QDIR" tmp) q/ $(q_files "$QDIR" q)"
sleep 0.3
! postfix_log_since_mark | grep -q 'connect from' ||
    fail "postern connected for a refused message"

# -bs: 552 for the big message, the session goes on.
{
	printf 'HELO client\r\nMAIL FROM:<s315@example.org>\r\n'
	printf 'RCPT TO:<bs-big315@example.org>\r\nDATA\r\n'
	printf 'Subject: big\r\n\r\n'; body 3072 | sed 's/$/\r/'
	printf '.\r\nMAIL FROM:<s315@example.org>\r\n'
	printf 'RCPT TO:<bs-small315@example.org>\r\nDATA\r\n'
	printf 'Subject: small\r\n\r\nsmall\r\n.\r\nQUIT\r\n'
} | expect_exit 0 postern -C "$conf" -bs
expect_stdout '^552 5\.3\.4 '
[ "$(grep -c '^250 2\.0\.0' "$CMD_OUT")" = 1 ] ||
    fail "-bs: want one message accepted: $(tr '\r\n' '  ' <"$CMD_OUT")"
msg_file_for bs-small315@example.org >/dev/null
sleep 0.3
[ "$(maildir_count)" = 1 ] || fail "-bs: $(maildir_count) messages delivered, want 1"

for v in 1x -1 '2 K'; do
	bad=$(conf_variant bad plain "queue.max_message_size=$v")
	expect_exit 78 postern -C "$bad" -bp
	expect_stderr_line 'max_message_size'
done
