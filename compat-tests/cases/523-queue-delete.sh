# 523: postern --delete ID...|ALL removes queue entries; locking; who may.
#
# server:  none reached: "down" (a closed port) keeps messages queued
# command: four messages queued (A B C D), A also with a failed/ copy made
#          by hand (a partly failed entry); then
#          --delete B UNKNOWN C      (one unknown id)
#          --delete A                (removes q/A and failed/A)
#          --delete D while another process holds D's lock (flock(1) on
#            q/D.data, as a runner delivering it does) for 8 s; again while
#            it holds it for 1 s
#          --delete ALL
#          the set-gid layout (a copy of postern root:postern 2755, queue
#          root:postern 2770, /etc/postern.ini root:postern 0640, group
#          mail when there is no group postern, in an
#          overlay on /etc inside a private mount namespace): nobody runs
#          --delete, then root does
# expect:  B and C gone (both files), A D untouched, the unknown id named in
#          exactly one stderr line "postern: ID: no such queue entry", exit
#          67; A gone from q/ and failed/, exit 0; the held entry: exit 75
#          after about 5 s with one line saying another process is
#          delivering it, still queued; held 1 s: waited for and removed,
#          exit 0; ALL: exit 0, mailq says "Mail queue is empty", no file
#          left in q/ or failed/; no DSN is ever queued; the log has one
#          line per --delete that removed something.  Set-gid: nobody gets
#          exit 77 and one line "ID: not one of your queue entries", the
#          entry stays; root removes it.

. "$TOP/compat-tests/lib/queue.sh"
need flock
queue_confs starttls
log0=$(grep -c 'queue: --delete removed' "$POSTERN_LOG" 2>/dev/null || true)

for m in A B C D; do
	make_msg "$m@example.org" "m523-$m" | expect_exit 0 postern -C "$DOWN" "$m@example.org"
	id=$(sed -n 's/.*; id \([0-9A-F]*\)$/\1/p' "$CMD_ERR")
	eval "id_$m=\$id"
done
[ "$(q_entries)" = 4 ] || fail "$(q_entries) entries, want 4"
# A partly failed entry: its failed/ copy has the same id.
cp "$QDIR/q/$id_A.data" "$QDIR/failed/$id_A.data"
sed 's/^s 1:D$/s 1:F/' "$QDIR/q/$id_A.ctl" >"$QDIR/failed/$id_A.ctl"

unknown=06B0FFFFFFFFFFFFFFFFFFFF
expect_exit 67 postern -C "$DOWN" --delete "$id_B" "$unknown" "$id_C"
expect_stderr_line "^postern: $unknown: no such queue entry\$"
for m in B C; do
	eval "id=\$id_$m"
	[ ! -e "$QDIR/q/$id.ctl" ] && [ ! -e "$QDIR/q/$id.data" ] || fail "$m not removed"
done
[ "$(q_entries)" = 2 ] || fail "$(q_entries) entries left, want A and D"

expect_exit 0 postern -C "$DOWN" --delete "$id_A"
[ ! -s "$CMD_ERR" ] || fail "stderr: $(cat "$CMD_ERR")"
[ -z "$(q_files "$QDIR" failed)" ] || fail "failed/ still holds $(q_files "$QDIR" failed)"
[ "$(q_ids)" = "$id_D" ] || fail "left: $(q_ids), want D"

# A runner holds D (flock on its data file): refused after the bound.
flock -x "$QDIR/q/$id_D.data" sleep 8 &
holder=$!
sleep 0.3
t0=$(now_ms)
expect_exit 75 postern -C "$DOWN" --delete "$id_D"
t1=$(now_ms)
expect_stderr_line "^postern: $id_D: another postern process is delivering it .*try again"
[ $((t1 - t0)) -ge 4500 ] && [ $((t1 - t0)) -lt 7500 ] || fail "refused after $((t1 - t0)) ms, want about 5 s"
[ "$(q_ids)" = "$id_D" ] || fail "D removed while locked"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true
# Held for a moment only: waited for, then removed.
flock -x "$QDIR/q/$id_D.data" sleep 1 &
holder=$!
sleep 0.3
t0=$(now_ms)
expect_exit 0 postern -C "$DOWN" --delete "$id_D"
t1=$(now_ms)
wait "$holder" 2>/dev/null || true
[ $((t1 - t0)) -ge 400 ] || fail "did not wait for the lock ($((t1 - t0)) ms)"
[ "$(q_entries)" = 0 ] || fail "D still queued"

# ALL, over q/ and failed/ (and a malformed control file kept aside).
for m in E F; do
	make_msg "$m@example.org" "m523-$m" | expect_exit 0 postern -C "$DOWN" "$m@example.org"
done
printf 'POSTERN-QUEUE 1\ngarbage' >"$QDIR/failed/06B0EEEEEEEEEEEEEEEEEEEE.bad"
expect_exit 0 postern -C "$DOWN" -bp
expect_stdout '^-- [0-9]+ Kbytes in 3 Requests\.$'
expect_exit 0 postern -C "$DOWN" --delete ALL
[ ! -s "$CMD_ERR" ] || fail "stderr: $(cat "$CMD_ERR")"
expect_exit 0 postern -C "$DOWN" -bp
expect_stdout '^Mail queue is empty$'
[ -z "$(q_files "$QDIR" q)$(q_files "$QDIR" failed)" ] ||
    fail "left: q/ $(q_files "$QDIR" q) failed/ $(q_files "$QDIR" failed)"
n=$(grep -c 'queue: --delete removed' "$POSTERN_LOG" || true)
[ $((n - ${log0:-0})) = 4 ] ||
    fail "want 4 --delete log lines (the refused one removed nothing): $(grep 'queue: --delete' "$POSTERN_LOG" | tr '\n' '|')"
grep -q 'queue: --delete removed 3 entries' "$POSTERN_LOG" || fail "ALL did not log 3 entries"

# --- the set-gid layout, in a private mount namespace
# Any group does for the set-gid bit; postern's own is made by its package
# (and removed with it), so take it only when it is there.
grp=postern
getent group "$grp" >/dev/null || grp=mail
getent group "$grp" >/dev/null || skip "neither group postern nor mail exists"
command -v unshare >/dev/null && command -v runuser >/dev/null || skip "unshare/runuser missing"
P=$CASE_DIR/priv
mkdir -p "$P/bin" "$P/upper" "$P/work"
install -o root -g "$grp" -m 2755 "$POSTERN" "$P/bin/postern"
install -d -o root -g "$grp" -m 2770 "$P/q"
chmod 0755 "$CASE_DIR" "$P"
sed -e "s#^dir = .*#dir = $P/q#" "$DOWN" >"$P/postern.ini"
grep -q "^dir = $P/q" "$P/postern.ini" || fail "no queue dir in $P/postern.ini"
grep -v '^password' "$P/postern.ini" >"$P/p.ini" && mv "$P/p.ini" "$P/postern.ini"
# Private: /etc gets an overlay in which postern.ini exists; the host's
# /etc is not changed.
cat >"$P/ns.sh" <<'NS'
set -e
P=$1 grp=$2; shift 2
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$P/upper,workdir=$P/work" /etc
install -o root -g "$grp" -m 0640 "$P/postern.ini" /etc/postern.ini
"$@"
NS
in_ns() { unshare -m sh "$P/ns.sh" "$P" "$grp" "$@"; }
make_msg g@example.org m523-G | expect_exit 0 in_ns "$P/bin/postern" g@example.org
[ -e /etc/postern.ini ] && fail "/etc/postern.ini appeared on the host"
gid=$(find "$P/q/q" -name '*.ctl' -printf '%f\n' | sed 's/\.ctl$//')
[ -n "$gid" ] || fail "nothing queued in the set-gid layout: $(cat "$CMD_ERR")"
# Root's entry is not nobody's: refused, saying nothing about it (case
# 527 has users deleting their own entries).
expect_exit 77 in_ns runuser -u nobody -- "$P/bin/postern" --delete "$gid"
expect_stderr_line "^postern: $gid: not one of your queue entries\$"
[ -e "$P/q/q/$gid.ctl" ] || fail "nobody removed an entry"
expect_exit 0 in_ns "$P/bin/postern" --delete "$gid"
[ ! -e "$P/q/q/$gid.ctl" ] || fail "root could not remove it"
