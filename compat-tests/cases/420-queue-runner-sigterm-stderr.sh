# 420: the long-running queue runner (-qINTERVAL) as a container runs it:
# [log] stderr = yes, and SIGTERM / SIGINT end it promptly with exit 0 and
# nothing lost.
#
# server:  Postfix, STARTTLS + AUTH ($PORT_STARTTLS); "down" = closed port
# command: three messages queued with down.ini (-odq); then
#          postern -C up.ini -q1h (with [log] stderr = yes, syslog = no) in
#          the background; after its first run, SIGTERM; again with SIGINT;
#          a third runner gets SIGTERM while it is in a run against a
#          listener that accepts and never speaks (timeout = 2)
# expect:  the first runner delivers the three messages exactly once and
#          prints one per-message log line each on stderr (id= ...
#          status=sent); SIGTERM while it sleeps: exit 0 within 1 s, the
#          line "queue runner stopped by signal 15"; SIGINT: the same with
#          signal 2.  SIGTERM during the stalled session: exit 0 once that
#          session ends (within the 2 s timeout + 1 s), the entry still
#          queued and intact (same id, data file unchanged).

need python3
. "$TOP/compat-tests/lib/queue.sh"
queue_confs starttls log.stderr=yes log.syslog=no

for i in 1 2 3; do
	make_msg "sig$i@example.org" "m420-$i" | expect_exit 0 postern -C "$DOWN" -odq -t
done
[ "$(q_entries)" = 3 ] || fail "expected 3 queued entries, found $(q_entries)"

# runner SIGNAL: start -q1h, wait for its first run, signal it while it
# sleeps, check the exit.
runner() {
	local sig=$1 pid rc t0 t1
	"$POSTERN" -C "$UP" -q1h >"$CASE_DIR/run.out" 2>"$CASE_DIR/run.err" &
	pid=$!
	# Its first run is over when the queue is empty (or after 10 s).
	for _ in $(seq 200); do
		[ "$(q_entries)" = 0 ] && break
		sleep 0.05
	done
	sleep 0.3
	kill -0 "$pid" 2>/dev/null || fail "the runner exited by itself: $(cat "$CASE_DIR/run.err")"
	t0=$(now_ms)
	kill -"$sig" "$pid"
	rc=0; wait "$pid" || rc=$?
	t1=$(now_ms)
	cat "$CASE_DIR/run.err" >&2
	[ "$rc" = 0 ] || fail "SIG$sig: exit $rc, want 0"
	[ $((t1 - t0)) -lt 1000 ] || fail "SIG$sig: took $((t1 - t0)) ms to stop"
	echo "# SIG$sig: stopped in $((t1 - t0)) ms" >&2
}

runner TERM
maildir_wait 3
for i in 1 2 3; do
	[ "$(marker_count "m420-$i")" = 1 ] || fail "m420-$i arrived $(marker_count "m420-$i") times"
	grep -q "to=<sig$i@example.org>.*status=sent" "$CASE_DIR/run.err" ||
	    fail "no per-message line for sig$i on stderr: $(cat "$CASE_DIR/run.err")"
done
grep -q 'queue runner stopped by signal 15' "$CASE_DIR/run.err" ||
    fail "no stop line on stderr"
runner INT
grep -q 'queue runner stopped by signal 2' "$CASE_DIR/run.err" ||
    fail "no stop line for SIGINT"
[ "$(q_entries)" = 0 ] || fail "entries left: $(q_entries)"

# SIGTERM in the middle of a session with a server that never answers.
port=$(closed_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
print("ready", flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$port" >"$CASE_DIR/silent.out" 2>&1 &
silent=$!
trap 'kill $silent 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q ready "$CASE_DIR/silent.out" && break; sleep 0.05; done
silent_conf=$(conf_variant silent starttls "queue.dir=$QDIR" "smarthost.host=127.0.0.1" \
    "smarthost.port=$port" smarthost.timeout=2 log.stderr=yes log.syslog=no)
make_msg stall@example.org m420-stall | expect_exit 0 postern -C "$DOWN" -odq -t
id=$(q_ids)
sum=$(sha256sum <"$QDIR/q/$id.data")
"$POSTERN" -C "$silent_conf" -q1h >"$CASE_DIR/run.out" 2>"$CASE_DIR/run.err" &
pid=$!
sleep 0.5
t0=$(now_ms)
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
t1=$(now_ms)
cat "$CASE_DIR/run.err" >&2
[ "$rc" = 0 ] || fail "SIGTERM during a session: exit $rc"
[ $((t1 - t0)) -lt 3000 ] || fail "SIGTERM during a session: took $((t1 - t0)) ms"
[ "$(q_ids)" = "$id" ] || fail "the entry changed: '$(q_ids)', want $id"
[ "$(sha256sum <"$QDIR/q/$id.data")" = "$sum" ] || fail "the data file changed"
echo "# SIGTERM during a stalled session: stopped in $((t1 - t0)) ms, entry intact" >&2
