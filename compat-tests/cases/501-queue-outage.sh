# 501: a smarthost outage queues the message; postern -q delivers it once.
#
# server:  Postfix, STARTTLS + AUTH ($PORT_STARTTLS); "down" is the same
#          config with the port of a closed loopback port (ECONNREFUSED)
# command: postern -C down.ini -t; postern -C down.ini -bp;
#          postern -C up.ini -q; -bp; -odq then -q; -odb; a silent
#          smarthost (perl listener that never answers);
#          [queue] enabled = no with down.ini
# input:   To: a@example.org / Subject: <marker> / (blank) / body
# expect:  down: exit 0 well within the connect timeout (10 s), one stderr
#          line "postern: queued (reason); id ID"; -bp lists ID, the size of
#          q/ID.data, the sender, the recipient and the last error; nothing
#          reached Postfix.  -q with up.ini: exit 0, the message arrives
#          exactly once (Maildir +1, Postfix received one message), -bp says
#          "Mail queue is empty", and a second -q sends nothing.
#          -odq: exit 0, queued, no SMTP session until -q, then delivered
#          once.  -odb: exit 0 at once, delivered shortly after, queue empty.
#          A listener that accepts and never speaks, with timeout = 2:
#          exit 0, queued, after about 2 s (not more than 5).
#          enabled = no + down: exit 75, one stderr line, nothing kept.

. "$TOP/compat-tests/lib/queue.sh"
queue_confs starttls

# --- outage: interactive submission queues
t0=$(now_ms)
make_msg a@example.org m501-outage |
    expect_exit 0 postern -C "$DOWN" -t
t1=$(now_ms)
outage_ms=$((t1 - t0))
[ "$outage_ms" -lt 10000 ] || fail "took $outage_ms ms, not within the 10 s connect timeout"
expect_stderr_line '^postern: queued \(.+\); id [0-9A-F]{24}$'
id=$(sed -n 's/.*; id \([0-9A-F]*\)$/\1/p' "$CMD_ERR")
[ "$(q_ids)" = "$id" ] || fail "queue holds '$(q_ids)', stderr said $id"
[ -z "$(q_files "$QDIR" tmp)" ] || fail "tmp/ not empty: $(q_files "$QDIR" tmp)"
size=$(stat -c %s "$QDIR/q/$id.data")

expect_exit 0 postern -C "$DOWN" -bp
expect_stdout "^$id +$size $MAILQ_ENTRY_RE""root@example.org\$"
expect_stdout '^ *\(.*(refused|connect).*\)$'
expect_stdout '^ {41}a@example.org$'
expect_stdout '^-- [0-9]+ Kbytes in 1 Request\.$'
bp_json "$DOWN"
[ "$(bp_field "$id" attempts)" = 1 ] || fail "attempts $(bp_field "$id" attempts), want 1"
bp_rcpt a@example.org | grep -Eq '^deferred\|.*(refused|connect)' || fail "a@ not deferred: $(bp_rcpt a@example.org)"
[ "$(pf_received)" = 0 ] || fail "Postfix received something during the outage"
[ "$(maildir_count)" = 0 ] || fail "delivered during the outage"

# --- the smarthost is back: -q delivers it exactly once
expect_exit 0 postern -C "$UP" -q
maildir_wait 1
[ "$(marker_count m501-outage)" = 1 ] || fail "m501-outage arrived $(marker_count m501-outage) times"
[ "$(pf_received)" = 1 ] || fail "Postfix received $(pf_received) messages, want 1"
expect_exit 0 postern -C "$UP" -bp
expect_stdout '^Mail queue is empty$'
[ -z "$(q_files "$QDIR" q)$(q_files "$QDIR" tmp)" ] || fail "files left: q/ $(q_files "$QDIR" q) tmp/ $(q_files "$QDIR" tmp)"
expect_exit 0 postern -C "$UP" -q
sleep 0.3
[ "$(pf_received)" = 1 ] || fail "a second -q sent again"
[ "$(marker_count m501-outage)" = 1 ] || fail "m501-outage arrived twice"

# --- -odq: committed only; nothing sent until -q
log_mark
make_msg a@example.org m501-odq |
    expect_exit 0 postern -C "$UP" -odq -t
[ ! -s "$CMD_ERR" ] || fail "-odq printed: $(cat "$CMD_ERR")"
[ "$(q_entries)" = 1 ] || fail "-odq: $(q_entries) entries queued, want 1"
sleep 0.5
if postfix_log_since_mark | grep -q 'smtpd\[[0-9]*\]: connect from'; then
	fail "-odq connected to the smarthost"
fi
[ "$(marker_count m501-odq)" = 0 ] || fail "-odq delivered before -q"
expect_exit 0 postern -C "$UP" -q
n=0
for _ in $(seq 100); do
	n=$(marker_count m501-odq)
	[ "$n" = 0 ] || break
	sleep 0.05
done
[ "$n" = 1 ] || fail "-odq message arrived $n times after -q"
[ "$(q_entries)" = 0 ] || fail "-odq entry still queued after -q"

# --- -odb: exit 0 at once, a detached child delivers
log_mark
t0=$(now_ms)
make_msg a@example.org m501-odb |
    expect_exit 0 postern -C "$UP" -odb -t
t1=$(now_ms)
[ $((t1 - t0)) -lt 2000 ] || fail "-odb took $((t1 - t0)) ms to return"
[ ! -s "$CMD_ERR" ] || fail "-odb printed: $(cat "$CMD_ERR")"
n=0
for _ in $(seq 200); do
	n=$(marker_count m501-odb)
	[ "$n" = 0 ] || break
	sleep 0.05
done
[ "$n" = 1 ] || fail "-odb message arrived $n times within 10 s"
for _ in $(seq 100); do
	[ "$(q_entries)" = 0 ] && [ -z "$(q_files "$QDIR" q)" ] && break
	sleep 0.05
done
[ "$(q_entries)" = 0 ] || fail "-odb entry still queued after delivery"
[ -z "$(q_files "$QDIR" q)" ] || fail "-odb left q/ $(q_files "$QDIR" q)"
[ "$(pf_received)" = 1 ] || fail "-odb: Postfix received $(pf_received) messages"

# --- a smarthost that accepts the connection and never answers: queued
# once [smarthost] timeout (2 s here) has passed, not later
need perl
mute_port=$(closed_port)
perl -MSocket -e '
	socket(S, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
	setsockopt(S, SOL_SOCKET, SO_REUSEADDR, 1);
	bind(S, sockaddr_in($ARGV[0], inet_aton("127.0.0.1"))) or die "bind: $!";
	listen(S, 8) or die "listen: $!";
	print "ready\n"; close(STDOUT);
	my @c; for (1 .. 30) { my $c; accept($c, S) and push @c, $c; }' \
    "$mute_port" >mute.ready 2>mute.err &
mute_pid=$!
trap 'kill "$mute_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s mute.ready ] && break; sleep 0.02; done
[ -s mute.ready ] || fail "silent listener did not start: $(cat mute.err)"
mute=$(conf_variant mute plain "queue.dir=$QDIR" "smarthost.port=$mute_port" \
    smarthost.timeout=2)
t0=$(now_ms)
make_msg a@example.org m501-mute |
    expect_exit 0 postern -C "$mute" -t
mute_ms=$(( $(now_ms) - t0 ))
expect_stderr_line '^postern: queued \(.+\); id [0-9A-F]{24}$'
[ "$mute_ms" -ge 1500 ] && [ "$mute_ms" -lt 5000 ] ||
    fail "silent smarthost: took $mute_ms ms with timeout = 2"
kill "$mute_pid" 2>/dev/null || true
wait "$mute_pid" 2>/dev/null || true
trap - EXIT
[ "$(q_entries)" = 1 ] || fail "silent smarthost: $(q_entries) entries queued, want 1"
expect_exit 0 postern -C "$UP" -q
n=0
for _ in $(seq 100); do
	n=$(marker_count m501-mute)
	[ "$n" = 0 ] || break
	sleep 0.05
done
[ "$n" = 1 ] || fail "m501-mute arrived $n times after -q"

# --- enabled = no: a temporary failure is the caller's (75), nothing kept
off=$(conf_variant off starttls "queue.dir=$CASE_DIR/qoff" \
    "smarthost.port=$(closed_port)" queue.enabled=no)
make_msg a@example.org m501-off |
    expect_exit 75 postern -C "$off" -t
expect_stderr_line
if [ -e "$CASE_DIR/qoff" ]; then
	left=$(find "$CASE_DIR/qoff" -type f | head -n 3)
	[ -z "$left" ] || fail "enabled = no kept files: $left"
fi
[ "$(marker_count m501-off)" = 0 ] || fail "enabled = no delivered?"
echo "501: refused: queued, exit 0 in $outage_ms ms; silent smarthost (timeout 2 s): $mute_ms ms"
