# 504: 20 concurrent submitters and 4 concurrent queue runners deliver
# 1,000 messages, each exactly once, to the real MTA.
#
# server:  Postfix, plain listener ($PORT_PLAIN)
# command: 20 loops of 50 `postern -C up.ini -odq -t` each (one queue dir,
#          $CASE_DIR/q), while 4 loops run `postern -C up.ini -q` over and
#          over; when the submitters are done the runners stop and one more
#          `postern -q` runs.
# input:   To: c<loop>@example.org / Subject: m504-<loop>-<n> / body
# expect:  every submission exits 0; every run exits 0; all 1,000 subjects
#          arrive in the Maildir exactly once (no duplicate, none missing);
#          Postfix received exactly 1,000 messages, the sum of MAIL commands
#          over all sessions is 1,000; q/ and tmp/ are empty at the end.
#          Prints the timings and how many runs and SMTP sessions it took.

. "$TOP/compat-tests/lib/queue.sh"
queue_confs plain
SUBMITTERS=${SUBMITTERS:-20}
PER=${PER:-50}
RUNNERS=${RUNNERS:-4}
TOTAL=$((SUBMITTERS * PER))
stop=$CASE_DIR/stop

# Create the queue directory before the crowd arrives.
expect_exit 0 postern -C "$UP" -q

runner() {
	local n=0 rc
	while [ ! -e "$stop" ]; do
		rc=0
		"$POSTERN" -C "$UP" -q 2>>"runner$1.err" || rc=$?
		[ "$rc" = 0 ] || echo "runner $1: exit $rc" >>"runner$1.err"
		n=$((n + 1))
		sleep 0.02
	done
	echo "$n" >"runner$1.runs"
}

submitter() {
	local j rc
	for ((j = 1; j <= PER; j++)); do
		rc=0
		printf 'To: c%d@example.org\nSubject: m504-%d-%d\n\nbody %d %d\n' \
		    "$1" "$1" "$j" "$1" "$j" |
		    "$POSTERN" -C "$UP" -odq -t 2>>"sub$1.err" || rc=$?
		[ "$rc" = 0 ] || echo "submitter $1 message $j: exit $rc" >>"sub$1.err"
	done
}

t0=$(now_ms)
rpids=()
for ((i = 1; i <= RUNNERS; i++)); do
	runner "$i" &
	rpids+=($!)
done
spids=()
for ((i = 1; i <= SUBMITTERS; i++)); do
	submitter "$i" &
	spids+=($!)
done
wait "${spids[@]}"
t1=$(now_ms)
: >"$stop"
wait "${rpids[@]}"
expect_exit 0 postern -C "$UP" -q
t2=$(now_ms)

errs=$(cat sub*.err runner*.err 2>/dev/null | head -n 5)
[ -z "$errs" ] || fail "errors: $errs"

# Wait for Postfix to store what it accepted.
for _ in $(seq 600); do
	[ "$(maildir_count)" -ge "$TOTAL" ] && break
	sleep 0.05
done
sleep 0.3
t3=$(now_ms)

find "$MAILDIR/new" "$MAILDIR/cur" -type f -exec grep -h -m1 '^Subject: m504-' {} + |
    sed 's/^Subject: //; s/\r$//' | sort | uniq -c >counts.txt
dups=$(awk '$1 > 1' counts.txt | head -n 5 | tr '\n' ' ')
got=$(wc -l <counts.txt)
for ((i = 1; i <= SUBMITTERS; i++)); do
	for ((j = 1; j <= PER; j++)); do
		echo "m504-$i-$j"
	done
done | sort >want.txt
missing=$(awk '{ print $2 }' counts.txt | sort | comm -23 want.txt - | head -n 5 | tr '\n' ' ')
extra=$(awk '{ print $2 }' counts.txt | sort | comm -13 want.txt - | head -n 5 | tr '\n' ' ')

runs=$(cat runner*.runs | awk '{ s += $1 } END { print s }')
sessions=$(postfix_log_since_mark | grep -c '/smtpd\[[0-9]*\]: disconnect from' || true)
mails=$(postfix_log_since_mark | grep '/smtpd\[[0-9]*\]: disconnect from' |
    grep -o ' mail=[0-9]*' | awk -F= '{ s += $2 } END { print s + 0 }')
echo "504: $TOTAL messages from $SUBMITTERS submitters in $((t1 - t0)) ms;" \
    "queue drained $((t2 - t1)) ms later; all stored after $((t3 - t0)) ms"
echo "504: $RUNNERS runners made $runs runs + 1; $sessions SMTP sessions," \
    "$mails MAIL commands; Postfix received $(pf_received); $got distinct subjects," \
    "$(maildir_count) files"

[ -z "$dups" ] || fail "delivered more than once: $dups"
[ -z "$missing" ] || fail "never delivered: $missing"
[ -z "$extra" ] || fail "unexpected subjects: $extra"
[ "$got" = "$TOTAL" ] || fail "$got distinct subjects, want $TOTAL"
[ "$(maildir_count)" = "$TOTAL" ] || fail "$(maildir_count) messages stored, want $TOTAL"
[ "$(pf_received)" = "$TOTAL" ] || fail "Postfix received $(pf_received), want $TOTAL"
[ "$mails" = "$TOTAL" ] || fail "$mails MAIL commands, want $TOTAL"
[ -z "$(q_files "$QDIR" q)$(q_files "$QDIR" tmp)$(q_files "$QDIR" failed)" ] ||
    fail "left in the queue: q/ $(q_files "$QDIR" q | head -c 200) tmp/ $(q_files "$QDIR" tmp | head -c 200) failed/ $(q_files "$QDIR" failed | head -c 200)"
