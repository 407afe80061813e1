# 527: in the set-gid layout a user may --delete the entries they
# submitted (record O), and only those; another user's entry answers
# exactly as an id that names nothing, at once, so nothing is revealed.
#
# server:  none reached: a closed port keeps every message queued
# setup:   as case 811: a private set-gid copy of postern (root:postern
#          2755, or group mail, built with SYSCONFDIR = this case's etc/),
#          its config root:postern 0640, the queue 2770 root:postern, the
#          log file root:postern 0660; callers uid 60811 ("alice") and
#          60812 ("bob") via setpriv, and root
# command: alice queues A, bob queues B1 and B2, root queues R; then
#          bob --delete A; bob --delete UNKNOWN; bob --delete A while
#          another process holds A's lock (a runner delivering it);
#          bob --delete B1 A; bob --delete ALL; alice --delete A;
#          alice --delete ALL (only R left); root --delete R
# expect:  bob's A and UNKNOWN: exit 77 and one line each, "postern: ID:
#          not one of your queue entries", the same words for both; A
#          untouched; held A: the same answer in well under the 5 s lock
#          wait; B1 A: B1 removed, exit 77 for A; ALL: B2 removed, A and R
#          stay, exit 0; alice's A: exit 0, removed from q/; alice's ALL:
#          exit 0, R stays; root removes R; the log names each removal
#          with the caller's uid.

need setpriv flock

. "$TOP/compat-tests/lib/setgid.sh"
. "$TOP/compat-tests/lib/queue.sh"
etc=$CASE_DIR/etc
spool=$CASE_DIR/spool
bin=$CASE_DIR/sbin/postern
grp=$SETGID_GROUP
rm -rf "$etc" "$spool" "$CASE_DIR/sbin" "$CASE_DIR/log"
install -d -m 0755 "$etc" "$CASE_DIR/sbin"
install -d -o root -g "$grp" -m 2770 "$spool" "$spool/tmp" "$spool/q" "$spool/failed" \
    "$CASE_DIR/log"
install -o root -g "$grp" -m 0660 /dev/null "$CASE_DIR/log/postern.log"
setgid_build "$etc" "$bin"
chmod 0755 "$CASE_DIR"
QDIR=$spool
install -o root -g "$grp" -m 0640 /dev/null "$etc/postern.ini"
cat >"$etc/postern.ini" <<EOF
[smarthost]
host = localhost
port = $(closed_port)
tls = none

[sender]
domain = example.org

[queue]
dir = $spool

[log]
syslog = no
file = $CASE_DIR/log/postern.log
EOF

alice() { setpriv --reuid=60811 --regid=60811 --clear-groups "$@"; }
bob() { setpriv --reuid=60812 --regid=60812 --clear-groups "$@"; }
queued_id() { sed -n 's/.*; id \([0-9A-F]*\)$/\1/p' "$CMD_ERR"; }

make_msg a@example.org m527-A | expect_exit 0 alice "$bin" -i a@example.org
ida=$(queued_id)
make_msg b@example.org m527-B1 | expect_exit 0 bob "$bin" -i b@example.org
idb1=$(queued_id)
make_msg b@example.org m527-B2 | expect_exit 0 bob "$bin" -i b@example.org
idb2=$(queued_id)
make_msg r@example.org m527-R | expect_exit 0 "$bin" -i r@example.org
idr=$(queued_id)
[ -n "$ida" ] && [ -n "$idb1" ] && [ -n "$idb2" ] && [ -n "$idr" ] ||
    fail "not all queued: A=$ida B1=$idb1 B2=$idb2 R=$idr"
[ "$(q_entries)" = 4 ] || fail "$(q_entries) entries, want 4"
grep -q '^O 5:60811$' "$spool/q/$ida.ctl" || fail "A does not record alice's uid"

# --- another's entry and no entry at all read the same
expect_exit 77 bob "$bin" --delete "$ida"
[ "$(cat "$CMD_ERR")" = "postern: $ida: not one of your queue entries" ] ||
    fail "bob's --delete of A said: $(cat "$CMD_ERR")"
ans_a=$(sed "s/$ida/ID/" "$CMD_ERR")
unknown=06B0FFFFFFFFFFFFFFFFFFFF
expect_exit 77 bob "$bin" --delete "$unknown"
ans_u=$(sed "s/$unknown/ID/" "$CMD_ERR")
[ "$ans_a" = "$ans_u" ] || fail "A and an unknown id answer differently: '$ans_a' / '$ans_u'"
[ -e "$spool/q/$ida.ctl" ] && [ -e "$spool/q/$ida.data" ] || fail "bob removed alice's entry"

# --- nor by time: A being delivered is not waited for
flock -o -x "$spool/q/$ida.data" sleep 8 &	# -o: killing flock releases it
holder=$!
trap 'kill "$holder" 2>/dev/null || true' EXIT
sleep 0.3
t0=$(now_ms)
expect_exit 77 bob "$bin" --delete "$ida"
t1=$(now_ms)
[ "$(sed "s/$ida/ID/" "$CMD_ERR")" = "$ans_a" ] || fail "held A answered: $(cat "$CMD_ERR")"
[ $((t1 - t0)) -lt 2000 ] || fail "bob waited $((t1 - t0)) ms on alice's lock"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true

# --- bob's own: by id and ALL
expect_exit 77 bob "$bin" --delete "$idb1" "$ida"
[ "$(wc -l <"$CMD_ERR")" = 1 ] || fail "want one line: $(cat "$CMD_ERR")"
[ ! -e "$spool/q/$idb1.ctl" ] && [ ! -e "$spool/q/$idb1.data" ] || fail "B1 not removed"
expect_exit 0 bob "$bin" --delete ALL
[ ! -s "$CMD_ERR" ] || fail "bob's ALL printed: $(cat "$CMD_ERR")"
[ "$(q_ids)" = "$(printf '%s\n' "$ida" "$idr" | sort)" ] || fail "after bob's ALL: $(q_ids | tr '\n' ' ')"

# --- alice's own; her ALL leaves root's
expect_exit 0 alice "$bin" --delete "$ida"
[ ! -e "$spool/q/$ida.ctl" ] && [ ! -e "$spool/q/$ida.data" ] || fail "alice could not remove A"
expect_exit 0 alice "$bin" --delete ALL
[ "$(q_ids)" = "$idr" ] || fail "after alice's ALL: $(q_ids | tr '\n' ' ')"
expect_exit 0 "$bin" --delete "$idr"
[ "$(q_entries)" = 0 ] || fail "root could not remove R"

log=$CASE_DIR/log/postern.log
grep -q 'queue: --delete removed 1 entry (uid 60812)' "$log" || fail "bob's B1 not logged: $(grep -- --delete "$log")"
grep -q 'queue: --delete removed 1 entry (uid 60811)' "$log" || fail "alice's A not logged"
grep -q 'queue: --delete removed 1 entry (uid 0)' "$log" || fail "root's R not logged"
[ "$(grep -c 'queue: --delete removed' "$log")" = 4 ] ||
    fail "want 4 removal lines (B1, B2, A, R): $(grep -- --delete "$log" | tr '\n' '|')"
