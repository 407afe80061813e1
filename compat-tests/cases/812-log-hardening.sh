# 812: the log line cannot be forged, and the log file cannot block postern.
#
# server:  none reached: the smarthost port is closed (outage), so every
#          message is queued and logged "status=queued"
# command: postern -C down.ini with the recipient
#          "x> status=sent relay=evil, <y"@example.org;
#          a malformed control file in q/, then postern -q;
#          [log] file = a FIFO nobody reads, then postern -bp and a submission;
#          [log] file missing, postern creates it (umask 077)
# expect:  the injected recipient's log line has exactly one status= field
#          (status=queued) and its address escaped as
#          to=<"x\x3e\x20status=sent\x20relay=evil\x2c\x20\x3cy"@example.org>,
#          which decodes back to the recipient; the malformed entry logs
#          "status=malformed" with from=none, never "(null)"; with the FIFO
#          both commands finish at once (exit 0); a created log file is a regular file mode 0640.

. "$TOP/compat-tests/lib/queue.sh"
log=$CASE_DIR/postern.log
rm -f "$log"
queue_confs plain "log.file=$log"

# --- a recipient that tries to write a field of its own
rcpt='"x> status=sent relay=evil, <y"@example.org'
make_msg "$rcpt" m812-inject | expect_exit 0 postern -C "$DOWN" -i -- "$rcpt"
expect_stderr_line '^postern: queued'
line=$(grep -F 'status=queued' "$log" | tail -n 1)
[ -n "$line" ] || fail "no log line: $(cat "$log")"
n=$(printf '%s\n' "$line" | grep -o ' status=' | wc -l)
[ "$n" = 1 ] || fail "the log line has $n status= fields: $line"
! printf '%s\n' "$line" | grep -q ' relay=evil' ||
    fail "a forged relay= field in the log line: $line"
printf '%s\n' "$line" | grep -qF 'to=<"x\x3e\x20status=sent\x20relay=evil\x2c\x20\x3cy"@example.org> ' ||
    fail "the recipient is not escaped as documented: $line"
# It decodes back to the recipient.
enc=$(printf '%s\n' "$line" | sed -n 's/.* to=<\([^>]*\)> .*/\1/p')
dec=$(printf '%b' "$enc")
[ "$dec" = "$rcpt" ] || fail "the escaped recipient decodes to '$dec'"

# --- a malformed entry
mode=$(stat -c %a "$log")
[ "$mode" = 640 ] || fail "the log file postern created is mode $mode, want 640"
[ -f "$log" ] && [ ! -L "$log" ] || fail "the log file is not a regular file"
bad=0000000000000000000000AA
printf 'POSTERN-QUEUE 1\nI 24:%s\nT 1:0\nZ 1:x\n' "$bad" >"$QDIR/q/$bad.ctl"
printf 'x' >"$QDIR/q/$bad.data"
expect_exit 0 postern -C "$DOWN" -q
line=$(grep -F "id=$bad" "$log" | tail -n 1)
[ -n "$line" ] || fail "the malformed entry was not logged: $(tail -n 3 "$log")"
! printf '%s\n' "$line" | grep -qF '(null)' || fail "logged (null): $line"
printf '%s\n' "$line" | grep -q ' from=none to=none .*status=malformed' ||
    fail "the malformed entry's line: $line"

# --- a FIFO as the log file: never waited on
fifo=$CASE_DIR/log.fifo
rm -f "$fifo"
mkfifo -m 0600 "$fifo"
ff=$(conf_variant fifo plain "queue.dir=$QDIR" "log.file=$fifo" \
    "smarthost.port=$(closed_port)")
CMD_TIMEOUT=5
t0=$(now_ms)
expect_exit 0 postern -C "$ff" -bp
make_msg a@example.org m812-fifo | expect_exit 0 postern -C "$ff" -t
ms=$(( $(now_ms) - t0 ))
[ "$ms" -lt 4000 ] || fail "the FIFO log file took $ms ms"
echo "812: FIFO log file: two commands in $ms ms"
