# 526: mailq marks the entry a runner is delivering right now with '*'
# after its queue id (Postfix's mark for the active queue, Sendmail's for a
# locked entry), -bp --json says "active": true for it, and the real
# check_mailq -M postfix still reads the listing.
#
# server:  Postfix, plain listener ($PORT_PLAIN), only to refuse reject1@
#          (550) so that failed/ holds an entry; "down" (a closed port)
#          queues the others; a listener that accepts and never speaks
#          ($PORT_BASE + 56) as a smarthost too slow to answer
# command: two messages queued (A, B) and one failed; postern -q against
#          the silent listener (timeout 30), which locks A (the oldest) and
#          waits for the greeting; meanwhile -bp, -bp --json and
#          check_mailq -M postfix -w 5 -c 10 (in unshare -m, as case 521);
#          then the runner is killed and -bp runs again
# expect:  while the runner holds A (flock -n on q/A.data fails, on q/B.data
#          succeeds): exactly one '*' in the listing, on A's entry line
#          ("A*" then the size), B's line without a mark, the failed one
#          with '!'; every entry line still matches postfix_exporter's
#          pattern; the JSON lines parse, A has "active": true, B and the
#          failed one "active": false; check_mailq exits 0 "OK: postfix
#          mailq (3) is below threshold (5/10)"; listing does not disturb
#          the runner: A stays locked afterwards.  Once the runner is gone:
#          no '*' and every "active" false.

. "$TOP/compat-tests/lib/queue.sh"
need flock python3 unshare ss
CHECK=/usr/lib/nagios/plugins/check_mailq
[ -x "$CHECK" ] || skip "monitoring-plugins-standard not installed ($CHECK)"
[ -e /usr/bin/mailq ] || skip "/usr/bin/mailq missing (the bind target must exist)"
queue_confs plain

make_msg a@example.org m526-A | expect_exit 0 postern -C "$DOWN" a@example.org
ida=$(sed -n 's/.*; id \([0-9A-F]*\)$/\1/p' "$CMD_ERR")
# Ids carry the time: B sorts (and is tried) after A.
sleep 0.01
make_msg b@example.org m526-B | expect_exit 0 postern -C "$DOWN" b@example.org
idb=$(sed -n 's/.*; id \([0-9A-F]*\)$/\1/p' "$CMD_ERR")
printf 'Subject: m526-F\n\nbody\n' | expect_exit 69 postern -C "$UP" reject1@example.org
fid=$(find "$QDIR/failed" -name '*.ctl' -printf '%f\n' | sed 's/\.ctl$//')
[ -n "$ida" ] && [ -n "$idb" ] && [ -n "$fid" ] || fail "queue not set up: A=$ida B=$idb F=$fid"
[ "$(q_ids | head -n 1)" = "$ida" ] || fail "A ($ida) is not the oldest: $(q_ids | tr '\n' ' ')"

# A smarthost that accepts and never greets.
port=$((PORT_BASE + 56))
silent_listener "$port"
runner=
trap 'kill -9 "$SILENT_PID" ${runner:+"$runner"} 2>/dev/null || true' EXIT
SLOW=$(conf_variant slow plain "queue.dir=$QDIR" "smarthost.port=$port" \
    "smarthost.timeout=30")

"$POSTERN" -C "$SLOW" -q >runner.out 2>runner.err &
runner=$!
# Wait for the connection, not by polling the lock: a probe in the instant
# the runner tries A would make it skip A (and hold B instead).
wait_connected "$port" || fail "the runner never connected: $(cat runner.err)"
flock -n -x "$QDIR/q/$ida.data" true &&
    fail "the runner never locked A: $(cat runner.err)"
flock -n -x "$QDIR/q/$idb.data" true ||
    fail "B is locked too (the test cannot tell the entries apart)"

# --- the listing while A is being delivered
expect_exit 0 postern -C "$DOWN" -bp
out=$CMD_OUT
[ "$(grep -c '\*' "$out")" = 1 ] || fail "want exactly one '*': $(cat "$out")"
grep -Eq "^$ida\\* +[0-9]+ $MAILQ_ENTRY_RE" "$out" || fail "A is not marked '*': $(grep "^$ida" "$out")"
grep -Eq "^$idb +[0-9]+ $MAILQ_ENTRY_RE" "$out" || fail "B is marked or missing: $(grep "^$idb" "$out")"
grep -Eq "^$fid! +[0-9]+ $MAILQ_ENTRY_RE" "$out" || fail "the failed entry is not marked '!': $(grep "^$fid" "$out")"
grep -E '^[0-9A-F]{24}' "$out" >entries.txt
[ "$(wc -l <entries.txt)" = 3 ] || fail "$(wc -l <entries.txt) entry lines, want 3"
while IFS= read -r line; do
	# postfix_exporter's pattern for Postfix's mailq entries.
	printf '%s\n' "$line" | grep -Eq '^[0-9A-F]+([*!]?) +([0-9]+) ([A-Za-z]{3} [A-Za-z]{3} +[0-9]+ +[0-9]+:[0-9]{2}:[0-9]{2}) +' ||
	    fail "postfix_exporter would not match '$line'"
done <entries.txt
tail -n 1 "$out" | grep -Eqx -- '-- [0-9]+ Kbytes in 3 Requests\.' || fail "footer: $(tail -n 1 "$out")"

expect_exit 0 postern -C "$DOWN" -bp --json
python3 - "$CMD_OUT" "$ida" "$idb" "$fid" <<'PY' || fail "JSON: $(cat "$CMD_OUT")"
import json, sys
path, a, b, f = sys.argv[1:]
got = {}
for line in open(path, encoding="utf-8"):
    o = json.loads(line)
    got[o["queue_id"]] = o["active"]
want = {a: True, b: False, f: False}
if got != want:
    sys.exit("active: got %r, want %r" % (got, want))
PY

expect_exit 0 unshare -m sh -c 'mount --bind "$1" /usr/bin/mailq && shift &&
    exec "$@"' sh "$POSTERN" "$CHECK" -M postfix -w 5 -c 10 -d "$DOWN"
expect_stdout '^OK: postfix mailq \(3\) is below threshold \(5/10\)'

# Listing took no lock that stays and left the runner's in place.
flock -n -x "$QDIR/q/$ida.data" true && fail "A is no longer locked after the listings"
flock -n -x "$QDIR/q/$idb.data" true || fail "B is locked after the listings"
kill -0 "$runner" 2>/dev/null || fail "the runner ended early: $(cat runner.err)"

# --- the runner gone: nothing is active
kill -9 "$runner"
wait "$runner" 2>/dev/null || true
runner=
expect_exit 0 postern -C "$DOWN" -bp
! grep -q '\*' "$CMD_OUT" || fail "a '*' without a runner: $(grep '\*' "$CMD_OUT")"
grep -Eq "^$ida +[0-9]+ $MAILQ_ENTRY_RE" "$CMD_OUT" || fail "A not listed plainly: $(grep "^$ida" "$CMD_OUT")"
expect_exit 0 postern -C "$DOWN" -bp --json
! grep -q '"active": true' "$CMD_OUT" || fail "an active entry without a runner"
[ "$(grep -c '"active": false' "$CMD_OUT")" = 3 ] || fail "want 3 inactive entries: $(cat "$CMD_OUT")"
