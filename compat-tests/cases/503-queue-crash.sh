# 503: SIGKILL at every step of submission and of a queue run never loses
# a promised message; duplicates happen only inside the named window.
#
# server:  Postfix, plain listener ($PORT_PLAIN); reject* get 550 at RCPT,
#          tempfail* 450; "down" configs point at a closed loopback port
# command: for each crash point of QUEUE_CRASH_POINTS (sendmail/queue.h),
#          POSTERN_CRASH_AT=POINT makes postern SIGKILL itself there (exit
#          137); then `postern -q` twice without the variable (the second
#          sends DSNs queued by the first), each step in its own queue dir
#          and with its own marker (Subject), counted in the Maildir at the
#          end.  Scenarios:
#            sub-down  interactive submission, smarthost down   (spool, commit)
#            sub-odq   -odq submission                          (spool, commit)
#            sub-up    interactive, smarthost up, ok@ + tempfail1@: ok@ is
#                      delivered before the kill              (spool, commit)
#            odb       -odb: the parent exits 0, its child is killed  (run:*)
#            run       entry from -odq to ok@, a killed -q run        (run:*)
#            upd       entry to ok@ + tempfail1@: the run updates it  (run:*)
#            fail      entry to reject1@ from sender@example.org: the run
#                      records the failure and queues a DSN (fail:*, and
#                      spool:/commit: of the DSN); "delivered" = DSNs
# expect:  one line per step "SCENARIO POINT: caller-exit=N delivered=K"
#          (caller = the submitter; for run scenarios also runner-exit);
#          the crashed process exited 137 (killed at the point) or 0 (the
#          point is not on this scenario's path, e.g. run:after-ctl-write
#          when nothing is left to retry);
#          caller-exit 0 => delivered >= 1 (never lost); delivered <= 1
#          except inside THE DUPLICATE WINDOW: after the smarthost's final
#          reply and before the control file is renamed or unlinked
#          (run:after-deliver, run:after-ctl-write; for a failure, the DSN
#          already committed: commit:after-ctl-rename, commit:after-dir-fsync,
#          fail:after-dsn), where delivered <= 2.  Every crash point in
#          queue.h is reached by at least one step; nothing is left in q/
#          but the entry still waiting for tempfail1@.

. "$TOP/compat-tests/lib/queue.sh"
need pgrep

# The crash points, from the header, so that a new one cannot go untested.
points=$(sed -n '/^#define QUEUE_CRASH_POINTS/,/NULL/p' "$TOP/sendmail/queue.h" |
    grep -o '"[a-z]*:[a-z-]*"' | tr -d '"')
[ "$(printf '%s\n' "$points" | wc -l)" -ge 10 ] || fail "cannot read QUEUE_CRASH_POINTS: $points"
sub_points=$(printf '%s\n' "$points" | grep -E '^(spool|commit):')
run_points=$(printf '%s\n' "$points" | grep -E '^run:')
fail_points=$(printf '%s\n' "$points" | grep -E '^fail:')

port_down=$(closed_port)
step=0
declare -A reached=()
: >steps.txt	# step scenario point caller_exit crash_exit marker rcpt window

# new_step SCENARIO: a queue dir, configs up/down and a marker.
new_step() {
	step=$((step + 1))
	S=$CASE_DIR/s$step
	MK="m503-$step-$1"
	UPC=$(conf_variant "up$step" plain "queue.dir=$S")
	DOWNC=$(conf_variant "down$step" plain "queue.dir=$S" \
	    "smarthost.port=$port_down")
	make_msg "${2:-ok@example.org}" "$MK" >"msg$step"
}

# crash RC_VAR POINT CMD...: run CMD with the crash point set, stdin from
# the step's message; sets crash_rc.
crash() {
	local point=$1
	shift
	crash_rc=0
	{ POSTERN_CRASH_AT=$point "$POSTERN" "$@" <"msg$step" >"out$step" 2>&1; } 2>/dev/null || crash_rc=$?
	[ "$crash_rc" != 137 ] || reached[$point]=1
}

# clean_runs: what an operator does next, without the crash variable.
clean_runs() {
	"$POSTERN" -C "$UPC" -q >>"out$step" 2>&1 || fail "step $step: postern -q failed: $(tail -n 1 "out$step")"
	"$POSTERN" -C "$UPC" -q >>"out$step" 2>&1 || fail "step $step: postern -q failed: $(tail -n 1 "out$step")"
}

# record SCENARIO POINT CALLER_EXIT COUNT_RCPT WINDOW
record() {
	echo "$step $1 $2 $3 $crash_rc $MK $4 $5" >>steps.txt
}

in_window() {
	case "$1 $2" in
	"run run:after-deliver" | "odb run:after-deliver" | \
	"upd run:after-deliver" | "upd run:after-ctl-write" | \
	"fail commit:after-ctl-rename" | "fail commit:after-dir-fsync" | \
	"fail fail:after-dsn")
		echo 1 ;;
	*)	echo 0 ;;
	esac
}

# --- submission
for p in $sub_points; do
	new_step sub-down
	crash "$p" -C "$DOWNC" -t
	clean_runs
	record sub-down "$p" "$crash_rc" ok@example.org 0

	new_step sub-odq
	crash "$p" -C "$UPC" -odq -t
	clean_runs
	record sub-odq "$p" "$crash_rc" ok@example.org 0

	new_step sub-up
	printf 'Subject: %s\n\nbody\n' "$MK" >"msg$step"
	crash "$p" -C "$UPC" ok@example.org tempfail1@example.org
	clean_runs
	record sub-up "$p" "$crash_rc" ok@example.org 0
done

# --- queue runs (each entry committed first: its submitter saw exit 0)
submit_odq() {
	"$POSTERN" -C "$UPC" -odq "$@" <"msg$step" >"out$step" 2>&1 ||
	    fail "step $step: -odq submission failed: $(cat "out$step")"
}
for p in $run_points; do
	new_step odb
	crash "$p" -C "$UPC" -odb -t
	caller=$crash_rc
	# The parent returned; wait for its detached child to deliver or die
	# (its exit status cannot be seen: the run scenario below shows that
	# each point is reached).
	for _ in $(seq 200); do
		pgrep -f -- "-C $UPC " >/dev/null || break
		sleep 0.05
	done
	crash_rc=-
	clean_runs
	record odb "$p" "$caller" ok@example.org "$(in_window odb "$p")"

	new_step run
	submit_odq -t
	crash "$p" -C "$UPC" -q
	clean_runs
	record run "$p" 0 ok@example.org "$(in_window run "$p")"

	new_step upd
	printf 'Subject: %s\n\nbody\n' "$MK" >"msg$step"
	submit_odq ok@example.org tempfail1@example.org
	crash "$p" -C "$UPC" -q
	clean_runs
	record upd "$p" 0 ok@example.org "$(in_window upd "$p")"
done
for p in $fail_points $sub_points; do
	new_step fail reject1@example.org
	submit_odq -f sender@example.org -t
	crash "$p" -C "$UPC" -q
	clean_runs
	record fail "$p" 0 sender@example.org "$(in_window fail "$p")"
done

# --- let Postfix deliver everything, then count each step's marker
want=$(pf_received)
for _ in $(seq 300); do
	got=$(postfix_log_since_mark | grep -Ec '/qmgr\[[0-9]+\]: [0-9A-F]+: removed' || true)
	now=$(pf_received)
	[ "$now" = "$want" ] && [ "$got" -ge "$now" ] && break
	want=$now
	sleep 0.05
done

bad=
while read -r n scen point caller crashed mk rcpt window; do
	k=0
	while IFS= read -r f; do
		if awk -v w="delivered-to: $rcpt" '/^\r?$/ { exit } tolower($0) == w { f = 1; exit } END { exit !f }' "$f"; then
			k=$((k + 1))
		fi
	done < <(find "$MAILDIR/new" "$MAILDIR/cur" -type f -exec grep -l -F -- "Subject: $mk" {} + 2>/dev/null)
	note=
	[ "$window" = 1 ] && note=" (duplicate window)"
	case $scen in
	sub-*)	echo "$scen $point: caller-exit=$caller delivered=$k$note" ;;
	odb)	echo "$scen $point: caller-exit=$caller (crash point in the -odb child) delivered=$k$note" ;;
	*)	[ "$crashed" = 0 ] && note="$note (not on this path: run completed)"
		echo "$scen $point: caller-exit=$caller runner-exit=$crashed delivered=$k$note" ;;
	esac
	# The crashed process was killed at the point, or the point is not on
	# this scenario's path (it finished); coverage is checked below.
	case $crashed in
	137 | 0 | -) ;;
	*)	bad="$bad; step $n $scen $point: exit $crashed, want 137" ;;
	esac
	[ "$caller" = 0 ] && [ "$k" -lt 1 ] &&
	    bad="$bad; step $n $scen $point: LOST (caller saw 0, delivered 0)"
	if [ "$window" = 1 ]; then
		[ "$k" -le 2 ] || bad="$bad; step $n $scen $point: delivered $k times"
	else
		[ "$k" -le 1 ] || bad="$bad; step $n $scen $point: DUPLICATE outside the window ($k)"
	fi
done <steps.txt

# Every crash point was reached by some step.
for p in $points; do
	[ -n "${reached[$p]:-}" ] ||
	    bad="$bad; crash point $p never reached"
done

# Nothing half-made is left in q/: only the upd entries waiting for
# tempfail1@ (and the sub-up ones that were committed) remain.
for d in "$CASE_DIR"/s*; do
	for f in "$d"/q/*.data; do
		[ -e "$f" ] || continue
		[ -e "${f%.data}.ctl" ] || bad="$bad; orphan $f after postern -q"
	done
	for f in "$d"/q/*.ctl; do
		[ -e "$f" ] || continue
		grep -q 'tempfail1@example.org' "$f" ||
		    bad="$bad; $f still queued after postern -q"
	done
done
[ -z "$bad" ] || fail "${bad#; }"
echo "503: $step steps, $(maildir_count) messages delivered"
