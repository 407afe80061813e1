# 632: BDAT against a scripted server: exact chunk octets, and a 5xx to a
#      chunk in the middle of a pipelined message.
#
# server:  data/fault-server.py "chunking" (offers CHUNKING and PIPELINING,
#          reads exactly n octets per "BDAT n", records them in DIR/bdat
#          and the sizes in DIR/bdat.sizes) and "bdat-5xx --n 2" (the same,
#          but "554 5.6.0 chunk 2 refused" to the second chunk, 503 to the
#          ones after it)
# command: postern -C fault.ini -i a@example.org (plain.ini pointed at the
#          server, timeout = 10, [queue] enabled = no)
# input:   chunking: From/Subject/Date/Message-ID, ".dot", "..two", a
#          non-ASCII line and a last line without a newline, LF line ends;
#          bdat-5xx: 6.5 MiB of lines (seven 1 MiB chunks)
# expect:  chunking: exit 0, one "BDAT n LAST" whose n octets are the input
#          with CRLF line ends and the final CRLF added, nothing stuffed
#          (DIR/bdat compared whole); commands EHLO MAIL RCPT BDAT QUIT.
#          bdat-5xx: exit 69 (permanent, queue off), one stderr line naming
#          "554 5.6.0 chunk 2 refused"; with PIPELINING four chunks are in
#          flight when the refusal arrives, one more had gone out: five
#          chunks of 1048576, none "LAST", then RSET and QUIT; the server
#          got exactly 5 MiB of the message.
. "$TOP/compat-tests/lib/faults.sh"
need python3

in=$CASE_DIR/in.txt
printf 'From: root@example.org\nSubject: s632\nDate: Tue, 01 Dec 2026 00:00:00 +0000\nMessage-ID: <s632@example.org>\n\n.dot\n..two\ncaf\xc3\xa9\nno newline' >"$in"
fault_start chunking chunking
expect_exit 0 postern -C "$(fault_conf chunking 10)" -i a@example.org <"$in"
fs_done
cmds_are 'EHLO MAIL RCPT BDAT QUIT '
[ "$(cat "$FS/bdat.sizes")" = "$(( $(wc -c <"$in") + $(wc -l <"$in") + 2 )) LAST" ] ||
    fail "chunk sizes: $(tr '\n' ' ' <"$FS/bdat.sizes"), input $(wc -c <"$in") octets"
{ cat "$in"; echo; } | sed 's/$/\r/' >"$CASE_DIR/want"
cmp "$CASE_DIR/want" "$FS/bdat" || fail "BDAT octets differ from the input in CRLF form"

awk 'BEGIN { printf "Subject: s632-big\n\n"
	for (i = 0; i < 6.5 * 1048576 / 64; i++)
		printf "%07d the quick brown fox jumps over the lazy dog 0123456\n", i }' >"$in"
fault_start bdat-5xx bdat-5xx --n 2
expect_exit 69 postern -C "$(fault_conf b5xx 10)" -i a@example.org <"$in"
expect_stderr_line '554 5\.6\.0 chunk 2 refused'
fs_done
cmds_are 'EHLO MAIL RCPT BDAT BDAT BDAT BDAT BDAT RSET QUIT '
[ "$(tr '\n' ' ' <"$FS/bdat.sizes")" = "1048576 1048576 1048576 1048576 1048576 " ] ||
    fail "chunk sizes: $(tr '\n' ' ' <"$FS/bdat.sizes")"
[ "$(wc -c <"$FS/bdat")" = 5242880 ] || fail "server got $(wc -c <"$FS/bdat") octets"
