# 506: a queue that cannot be written gives 73 or 74 and leaves no partial
# entry: a full filesystem (small tmpfs) and a file size limit (ulimit -f).
#
# server:  Postfix, plain listener ($PORT_PLAIN) (nothing may reach it)
# command: queue.dir on a 256 KiB tmpfs: postern -C up.ini -odq -t with a
#          ~540 KiB message; then a sweep of sizes around the tmpfs size
#          (the data fits but the control file may not); queue.dir on the
#          normal disk under `ulimit -f 8` (8 KiB): -odq, and interactive
#          submission with the smarthost down
# input:   To: a@example.org / Subject: m506-* / base64 noise
# expect:  too big: exit 73 or 74, one stderr line "postern: ...", tmp/ and
#          q/ empty.  Sweep: each size either exits 0 with a whole entry
#          (-bp lists it with the data file's size) or 73/74 with nothing
#          left; both outcomes occur.  ulimit -f: 73/74, one line, nothing
#          left.  Postfix saw no session.  Skipped when mount is not allowed.

. "$TOP/compat-tests/lib/queue.sh"
FS=$CASE_DIR/fs
mkdir -p "$FS"
if ! mount -t tmpfs -o size=256k,mode=0700 tmpfs "$FS" 2>mount.err; then
	skip "cannot mount a tmpfs: $(head -n 1 mount.err)"
fi
trap 'umount "$FS" 2>/dev/null || umount -l "$FS" 2>/dev/null || true' EXIT
trap 'exit 143' TERM INT
QDIR=$FS/q
UP=$(conf_variant up plain "queue.dir=$QDIR")

# big_msg KIB MARKER: a message with about KIB KiB of base64 body.
big_msg() {
	printf 'To: a@example.org\nSubject: %s\n\n' "$2"
	head -c $(($1 * 1024 * 3 / 4)) /dev/urandom | base64 -w 76
}

# nothing_left DIR WHAT: tmp/ and q/ of the queue at DIR are empty.
nothing_left() {
	local left
	left="$(q_files "$1" tmp)$(q_files "$1" q)"
	[ -z "$left" ] || fail "$2: partial entry left: tmp/ $(q_files "$1" tmp) q/ $(q_files "$1" q)"
}

# --- the message does not fit the filesystem
big_msg 540 m506-big >big.txt
expect_exit '!0' postern -C "$UP" -odq -t <big.txt
case $CMD_RC in 73 | 74) ;; *) fail "full tmpfs: exit $CMD_RC, want 73 or 74" ;; esac
expect_stderr_line
echo "full tmpfs: exit $CMD_RC: $(cat "$CMD_ERR")"
nothing_left "$QDIR" "full tmpfs"

# --- sizes around the limit: all or nothing
ok=0 full=0
for kib in 200 220 236 244 248 250 252 254 256 262; do
	big_msg "$kib" "m506-$kib" >m.txt
	rc=0
	"$POSTERN" -C "$UP" -odq -t <m.txt >out.txt 2>err.txt || rc=$?
	case $rc in
	0)	ok=$((ok + 1))
		[ "$(q_entries)" = 1 ] || fail "$kib KiB: exit 0 but $(q_entries) entries"
		id=$(q_ids)
		"$POSTERN" -C "$UP" -bp >bp.txt 2>&1 || fail "$kib KiB: -bp failed: $(cat bp.txt)"
		grep -Eq "^$id +$(stat -c %s "$QDIR/q/$id.data") " bp.txt ||
		    fail "$kib KiB: -bp does not list a whole entry: $(head -n 3 bp.txt)"
		[ -z "$(q_files "$QDIR" tmp)" ] || fail "$kib KiB: tmp/ not empty after a commit"
		rm -f "$QDIR/q/$id.ctl" "$QDIR/q/$id.data"
		echo "$kib KiB: exit 0, entry complete ($(stat -c %s m.txt) octets of input)" ;;
	73 | 74)	full=$((full + 1))
		[ "$(wc -l <err.txt)" = 1 ] && grep -q '^postern: ' err.txt ||
		    fail "$kib KiB: stderr is not one 'postern:' line: $(head -c 300 err.txt)"
		nothing_left "$QDIR" "$kib KiB"
		echo "$kib KiB: exit $rc, nothing left: $(cat err.txt)" ;;
	*)	fail "$kib KiB: exit $rc: $(cat err.txt)" ;;
	esac
done
[ "$ok" -gt 0 ] && [ "$full" -gt 0 ] || fail "the sweep did not cross the limit ($ok fitted, $full did not)"

umount "$FS"
trap - EXIT

# --- ulimit -f during spooling (EFBIG), queue on the normal disk
QDIR=$CASE_DIR/q
queue_confs plain
expect_exit 0 postern -C "$UP" -q	# create the queue directories
big_msg 64 m506-ulimit >big.txt
for mode in -odq -odi; do
	cfg=$UP
	[ "$mode" = -odi ] && cfg=$DOWN
	rc=0
	(ulimit -f 8; exec "$POSTERN" -C "$cfg" "$mode" -t <big.txt >out.txt 2>err.txt) || rc=$?
	case $rc in 73 | 74) ;; *) fail "ulimit -f, $mode: exit $rc, want 73 or 74: $(cat err.txt)" ;; esac
	[ "$(wc -l <err.txt)" = 1 ] && grep -q '^postern: ' err.txt ||
	    fail "ulimit -f, $mode: stderr is not one 'postern:' line: $(head -c 300 err.txt)"
	nothing_left "$QDIR" "ulimit -f $mode"
	echo "ulimit -f 8, $mode: exit $rc: $(cat err.txt)"
done

[ "$(pf_received)" = 0 ] || fail "Postfix received something"
[ "$(maildir_count)" = 0 ] || fail "something was delivered"
