# 521: mailq in Postfix's format, read by the real check_mailq -M postfix.
#
# server:  Postfix, plain listener ($PORT_PLAIN), used only to refuse
#          reject1@ (550) so that failed/ holds an entry; "down" (a closed
#          port) keeps everything else queued
# command: /usr/bin/mailq (postern bind-mounted over it in a private mount
#          namespace: unshare -m, so the host's mailq is untouched) as run by
#          /usr/lib/nagios/plugins/check_mailq -M postfix -w 2 -c 4 -d CONF
#          (-d makes it call "mailq -C CONF"), on an empty queue, then with
#          1, 2 and 4 requests (the 4th in failed/); then a config that
#          cannot be read.
# input:   small messages, queued while the smarthost is down
# expect:  check_mailq exits 0 "OK: postfix mailq reports queue is empty",
#          0 "OK ... (1) is below threshold", 1 "WARNING: postfix mailq is
#          2", 2 "CRITICAL: postfix mailq is 4", 2 CRITICAL when mailq fails.
#          The listing itself: the heading line exactly, each entry's line
#          "ID SIZE Www Mmm dd hh:mm:ss  SENDER" where SIZE is the data
#          file's size and the time the arrival (local time), the failed/
#          entry's id followed by "!", the reason right-aligned in
#          parentheses ending in column 78, recipients at column 42, a
#          blank line between entries, the footer "-- N Kbytes in M
#          Requests." (N the total size / 1024), and the entry line matched
#          by the regular expression postfix_exporter uses for Postfix's
#          mailq.

. "$TOP/compat-tests/lib/queue.sh"
CHECK=/usr/lib/nagios/plugins/check_mailq
[ -x "$CHECK" ] || skip "monitoring-plugins-standard not installed ($CHECK)"
command -v unshare >/dev/null || skip "unshare (util-linux) missing"
[ -e /usr/bin/mailq ] || skip "/usr/bin/mailq missing (the bind target must exist)"
queue_confs plain

# check_mailq in a private mount namespace with postern as /usr/bin/mailq.
check_mailq() {
	unshare -m sh -c 'mount --bind "$1" /usr/bin/mailq && shift &&
	    exec "$@"' sh "$POSTERN" "$CHECK" -M postfix -w 2 -c 4 -d "$1"
}

expect_exit 0 check_mailq "$DOWN"
expect_stdout '^OK: postfix mailq reports queue is empty'
# Nothing leaked out of the namespace.
cmp -s "$POSTERN" /usr/bin/mailq && fail "/usr/bin/mailq is postern outside the namespace"

# One request: still OK.
make_msg a@example.org m521-1 | expect_exit 0 postern -C "$DOWN" -f sender@example.org a@example.org
expect_exit 0 check_mailq "$DOWN"
expect_stdout '^OK: postfix mailq \(1\) is below threshold \(2/4\)'

# Two: WARNING.
make_msg b@example.org m521-2 | expect_exit 0 postern -C "$DOWN" -f '<>' b@example.org c@example.org
expect_exit 1 check_mailq "$DOWN"
expect_stdout '^WARNING: postfix mailq is 2 \(threshold w = 2\)'

# Four, one of them in failed/ (reject1@ refused for good, nothing queued).
make_msg d@example.org m521-3 | expect_exit 0 postern -C "$DOWN" d@example.org
printf 'Subject: m521-4\n\nbody\n' | expect_exit 69 postern -C "$UP" reject1@example.org
[ "$(find "$QDIR/failed" -name '*.ctl' | wc -l)" = 1 ] || fail "failed/ holds $(q_files "$QDIR" failed)"
expect_exit 2 check_mailq "$DOWN"
expect_stdout '^CRITICAL: postfix mailq is 4 \(threshold c = 4\)'

# mailq failing is CRITICAL too (check_mailq treats a non-zero exit so).
expect_exit 2 check_mailq "$CASE_DIR/missing.ini"
expect_stdout '^CRITICAL: Error code 78 returned'

# --- the listing, line by line
expect_exit 0 postern -C "$DOWN" -bp
out=$CMD_OUT
head -n 1 "$out" | grep -qx -- '-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------' ||
    fail "heading: $(head -n 1 "$out")"
tail -n 1 "$out" | grep -Eqx -- '-- [0-9]+ Kbytes in 4 Requests\.' || fail "footer: $(tail -n 1 "$out")"
total=0
for f in "$QDIR"/q/*.data "$QDIR"/failed/*.data; do
	total=$((total + $(stat -c %s "$f")))
done
tail -n 1 "$out" | grep -qx -- "-- $((total / 1024)) Kbytes in 4 Requests." || fail "footer: want $((total / 1024)) Kbytes"
[ "$(tail -n 2 "$out" | head -n 1)" = "" ] || fail "no blank line before the footer"
for id in $(q_ids); do
	size=$(stat -c %s "$QDIR/q/$id.data")
	arr=$(TZ=${TZ:-} date -d "@$(grep -a '^T ' "$QDIR/q/$id.ctl" | sed 's/^T [0-9]*://')" '+%a %b %e %H:%M:%S')
	line=$(grep "^$id " "$out") || fail "$id not listed"
	want=$(printf '%-11s %7s %-20.20s %s' "$id" "$size" "$arr " "")
	case $line in "$want"*) ;; *) fail "entry line '$line', want prefix '$want'" ;; esac
	# postfix_exporter's pattern for Postfix's mailq entries.
	printf '%s\n' "$line" | grep -Eq '^[0-9A-F]+([*!]?) +([0-9]+) ([A-Za-z]{3} [A-Za-z]{3} +[0-9]+ +[0-9]+:[0-9]{2}:[0-9]{2}) +' ||
	    fail "postfix_exporter would not match '$line'"
done
grep -Eq "^[0-9A-F]{24} +[0-9]+ $MAILQ_ENTRY_RE""sender@example\\.org\$" "$out" || fail "no entry from sender@example.org"
grep -Eq "^[0-9A-F]{24} +[0-9]+ $MAILQ_ENTRY_RE""MAILER-DAEMON\$" "$out" || fail "the null sender is not MAILER-DAEMON"
fid=$(find "$QDIR/failed" -name '*.ctl' -printf '%f\n' | sed 's/\.ctl$//')
grep -Eq "^$fid! +[0-9]+ $MAILQ_ENTRY_RE" "$out" || fail "failed/$fid is not marked '!'"
grep -Eqx ' {41}reject1@example\.org' "$out" || fail "reject1@ not listed at column 42"
grep -Eqx ' {41}c@example\.org' "$out" || fail "c@ not listed at column 42"
# Reasons: "(...)" ending in column 78 when shorter, never a control octet.
grep -E '^ *\(.*\)$' "$out" >reasons.txt || fail "no reason lines"
while IFS= read -r l; do
	if [ "${#l}" -lt 78 ]; then fail "reason line of ${#l} columns: '$l'"; fi
	case $l in " "*) [ "${#l}" = 78 ] || fail "padded reason line is ${#l} columns: '$l'" ;; esac
done <reasons.txt
! LC_ALL=C grep -q '[[:cntrl:]]' "$out" || fail "a control character in the listing"
# Between entries exactly one blank line; 4 entries, 4 blank lines (one
# before the footer).
[ "$(grep -c '^$' "$out")" = 4 ] || fail "$(grep -c '^$' "$out") blank lines, want 4"
