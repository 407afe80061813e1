# 811: in the set-gid layout a user's -q runs only that user's own entries,
# so one local user can neither repeat nor stall another user's queued mail.
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS); a closed port (outage);
#          a listener that accepts and never speaks ($PORT_BASE + 55)
# setup:   a private set-gid copy of postern (root:postern 2755, built with
#          SYSCONFDIR = this case's etc/, so nothing outside the case
#          directory is read or written), its config and password file
#          root:postern 0640, the queue 2770 root:postern; two unprivileged
#          callers, uid 60811 ("alice") and 60812 ("bob"), via setpriv
# command: alice queues a message during an outage; bob runs -q -v with the
#          smarthost back; then bob queues his own message and runs -q
#          against the silent listener, and is SIGSTOPped while it waits
# expect:  alice's run creates neither a missing queue subdirectory (it
#          exits 73 then: the queue cannot keep the message) nor the
#          (missing) log file; once
#          root:postern 0660 it gets every caller's lines;
#          bob's -q -v sends nothing of alice's (no delivery, no MAIL FROM in
#          his transcript, alice's entry untouched) -- so bob cannot make it
#          go out again and again; alice's control file records her uid
#          (record O); while bob's runner is stopped, alice's data file is
#          not locked and root's -q delivers her message exactly once (bob's
#          own entry is skipped: he holds it); root later delivers bob's.

need setpriv flock python3

. "$TOP/compat-tests/lib/setgid.sh"
etc=$CASE_DIR/etc
spool=$CASE_DIR/spool
bin=$CASE_DIR/sbin/postern
grp=$SETGID_GROUP
rm -rf "$etc" "$spool" "$CASE_DIR/sbin"
install -d -m 0755 "$etc" "$CASE_DIR/sbin"
install -d -o root -g "$grp" -m 2770 "$spool" "$spool/tmp" "$spool/q" "$spool/failed" \
    "$CASE_DIR/log"

# The program under test, with its default config in $etc.
setgid_build "$etc" "$bin"

install -o root -g "$grp" -m 0640 "$CONF/password" "$etc/password"
install -o root -g root -m 0644 "$TEST_CA" "$etc/ca.pem"
# sys_conf PORT [TIMEOUT]: (re)write the system config for that smarthost.
sys_conf() {
	cat >"$etc/postern.ini.new" <<-EOF
	[smarthost]
	host = localhost
	port = $1
	tls = starttls
	tls_ca_file = $etc/ca.pem
	user = $SASL_USER
	password_file = $etc/password
	timeout = ${2:-10}

	[sender]
	domain = example.org

	[queue]
	dir = $spool

	[log]
	syslog = no
	file = $CASE_DIR/log/postern.log
	EOF
	chown "root:$grp" "$etc/postern.ini.new"
	chmod 0640 "$etc/postern.ini.new"
	mv "$etc/postern.ini.new" "$etc/postern.ini"
}
. "$TOP/compat-tests/lib/queue.sh"
QDIR=$spool
down=$(closed_port)

alice() { setpriv --reuid=60811 --regid=60811 --clear-groups "$@"; }
bob() { setpriv --reuid=60812 --regid=60812 --clear-groups "$@"; }

# --- alice's message waits in the shared queue
sys_conf "$down"
# A missing subdirectory is not made by a user's run: she would own it
# (and could chmod it shut for everyone).  The package makes them.
# Without it the queue cannot keep the message: 73, nothing promised.
rmdir "$spool/failed"
make_msg alice-rcpt@example.org m811-alice | expect_exit 73 alice "$bin" -t -i
expect_stderr_line 'incomplete'
[ ! -e "$spool/failed" ] ||
    fail "alice's run created failed/: $(stat -c '%U:%G %a' "$spool/failed")"
install -d -o root -g "$grp" -m 2770 "$spool/failed"
make_msg alice-rcpt@example.org m811-alice | expect_exit 0 alice "$bin" -t -i
expect_stderr_line '^postern: queued \(.+\); id [0-9A-F]{24}$'
aid=$(sed -n 's/.*; id \([0-9A-F]*\)$/\1/p' "$CMD_ERR")
[ "$(q_ids)" = "$aid" ] || fail "queue holds '$(q_ids)', want $aid"
# A user's set-gid run does not create the system's log file (she would
# own it); the administrator makes it root:postern 0660.
[ ! -e "$CASE_DIR/log/postern.log" ] ||
    fail "alice's run created the log file: $(stat -c '%U:%G %a' "$CASE_DIR/log/postern.log")"
install -o root -g "$grp" -m 0660 /dev/null "$CASE_DIR/log/postern.log"
grep -q '^O 5:60811$' "$spool/q/$aid.ctl" ||
    fail "control file does not record alice's uid: $(head -c 300 "$spool/q/$aid.ctl" | tr '\n' '|')"

# --- bob cannot send it: not once, so not again and again
sys_conf "$PORT_STARTTLS"
log_mark
expect_exit 0 bob "$bin" -q -v
sleep 0.3
[ "$(marker_count m811-alice)" = 0 ] || fail "bob's -q delivered alice's message"
! grep -q 'MAIL FROM' "$CMD_ERR" || fail "bob's -v shows a transaction: $(grep -m1 'MAIL FROM' "$CMD_ERR")"
[ "$(q_ids)" = "$aid" ] || fail "alice's entry changed after bob's -q: '$(q_ids)'"
grep -q '^A 1:1$' "$spool/q/$aid.ctl" || fail "bob's run counted an attempt on alice's entry"

# --- bob cannot stall it: his stopped runner holds only his own entry
sys_conf "$down"
make_msg bob-rcpt@example.org m811-bob | expect_exit 0 bob "$bin" -t -i
bid=$(sed -n 's/.*; id \([0-9A-F]*\)$/\1/p' "$CMD_ERR")
[ -n "$bid" ] || fail "bob's message was not queued"
port=$((PORT_BASE + 55))
silent_listener "$port"
trap 'kill -9 "$SILENT_PID" ${bob_pid:+"$bob_pid"} 2>/dev/null || true' EXIT
sys_conf "$port" 30
# Not the function: $! must be postern itself (setpriv execs it).
setpriv --reuid=60812 --regid=60812 --clear-groups "$bin" -q >bob.out 2>bob.err &
bob_pid=$!
# Wait until bob's runner is connected to the silent listener.
wait_connected "$port" || fail "bob's runner never connected: $(cat bob.err)"
kill -STOP "$bob_pid"
[ "$(readlink "/proc/$bob_pid/exe")" = "$bin" ] || fail "stopped the wrong process"
flock -n -x "$spool/q/$aid.data" true ||
    fail "bob's stopped runner holds alice's entry: it is stalled"
flock -n -x "$spool/q/$bid.data" true &&
    fail "bob's stopped runner does not hold his own entry (the test is void)"
sys_conf "$PORT_STARTTLS"
expect_exit 0 "$bin" -q -v
maildir_wait 1
[ "$(marker_count m811-alice)" = 1 ] || fail "alice's message arrived $(marker_count m811-alice) times"
[ "$(q_ids)" = "$bid" ] || fail "queue holds '$(q_ids)', want only bob's $bid"
kill -9 "$bob_pid"
wait "$bob_pid" 2>/dev/null || true
bob_pid=
expect_exit 0 "$bin" -q -v
maildir_wait 2
[ "$(marker_count m811-bob)" = 1 ] || fail "bob's message arrived $(marker_count m811-bob) times"
[ "$(q_entries)" = 0 ] || fail "entries left: $(q_ids)"
grep -q "id=$bid .*uid60812@example.org.*status=queued" "$CASE_DIR/log/postern.log" ||
    fail "bob's submission is not in the log: $(cat "$CASE_DIR/log/postern.log")"
