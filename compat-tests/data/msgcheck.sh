# compat-tests/data/msgcheck.sh -- shared checks for the message-handling
# cases 30x (sourced by a case after lib/common.sh).
#
# Every input goes twice through postern: once to the real Postfix (plain
# listener, $CONF/plain.ini) to count what arrives and to read the stored
# copy, and once to smtp-capture.py, a sink that keeps the exact octets
# postern sent, because Postfix (smtpd_forbid_bare_newline = no in the
# harness) normalises bare LF silently and stores LF line ends.
#
#   cap_start                start the sink (check_one does it when
#                            needed); sets CAP_DIR, CAP_CONF
#   check_one RCPT INPUT WANT [postern options...]
#       INPUT: file fed to postern (-v added; recipients from INPUT via -t
#       unless the options say otherwise).  WANT: file with the body that
#       must arrive (LF line ends, as Postfix stores it).  Checks at Postfix:
#       exit 0, exactly one "queued as" in the -v transcript, exactly one
#       new message (Maildir delta, for RCPT), exactly one queue entry in
#       Postfix's log for this session, nothing for victim@, no CR in the
#       stored file, no line over 998 octets, body == WANT.  Then the same
#       input to the sink: one session, one DATA, CRLF only, no line over
#       998 octets (+CRLF), un-stuffed payload body == WANT.
#       Set DECODE=qp to decode both bodies as quoted-printable first.
#       Leaves the stored message's path in $STORED, the captured payload
#       in $WIRE, the -v transcript in $TRANSCRIPT, the capture session
#       number in $CAP_N (commands in $CAP_DIR/cmds.$CAP_N).

CAP_DIR=
CAP_CONF=
CAP_PID=
CAP_N=0

cap_start() {
	CAP_DIR=$CASE_DIR/cap
	rm -rf "$CAP_DIR"
	mkdir -p "$CAP_DIR"
	python3 "$TOP/compat-tests/data/smtp-capture.py" "$CAP_DIR" 20 \
	    </dev/null >"$CAP_DIR/server.log" 2>&1 &
	CAP_PID=$!
	trap 'kill "$CAP_PID" 2>/dev/null || true' EXIT
	for _ in $(seq 100); do
		[ -s "$CAP_DIR/port" ] && break
		sleep 0.02
	done
	[ -s "$CAP_DIR/port" ] || fail "smtp-capture.py did not start"
	CAP_CONF=$(conf_variant cap plain "smarthost.port=$(cat "$CAP_DIR/port")" \
	    "queue.dir=$CASE_DIR/capq" queue.enabled=no)
}

# pf_entries: number of messages Postfix's smtpd queued since the mark
# (one "QUEUEID: client=" line each), after every session has ended.
pf_entries() {
	smtpd_sessions >/dev/null
	postfix_log_since_mark | grep -Ec '/smtpd\[[0-9]+\]: [0-9A-F]+: client=' || true
}

MC_CONF=

check_one() {
	local rcpt=$1 input=$2 want=$3 before n q entries
	shift 3
	STORED='' WIRE=''
	# Own queue directory: the shared one may hold other cases' leftovers,
	# which postern would drain into the Maildir after a delivery.
	[ -n "$MC_CONF" ] || MC_CONF=$(conf_variant mc plain "queue.dir=$CASE_DIR/q")
	# --- the real MTA
	log_mark
	before=$(maildir_count)
	expect_exit 0 postern -C "$MC_CONF" -v "$@" <"$input"
	TRANSCRIPT=$CASE_DIR/transcript.$rcpt
	cp "$CMD_ERR" "$TRANSCRIPT"
	q=$(grep -c 'queued as' "$CMD_ERR" || true)
	[ "$q" = 1 ] || fail "$rcpt: $q 'queued as' replies in the -v transcript, want 1"
	maildir_wait $((before + 1))
	STORED=$(msg_file_for "$rcpt")
	entries=$(pf_entries)
	[ "$entries" = 1 ] || fail "$rcpt: Postfix queued $entries messages in this session, want 1"
	[ "$(maildir_count)" = $((before + 1)) ] || fail "$rcpt: $(maildir_count) messages after, $before before"
	! postfix_log_since_mark | grep -qi 'victim' || fail "$rcpt: Postfix saw the smuggled victim: $(postfix_log_since_mark | grep -i -m1 victim)"
	! grep -rlqi '^Delivered-To: victim' "$MAILDIR/new" "$MAILDIR/cur" || fail "$rcpt: a message was delivered to victim"
	# --- the wire
	[ -n "$CAP_CONF" ] || cap_start
	expect_exit 0 postern -C "$CAP_CONF" "$@" <"$input"
	CAP_N=$((CAP_N + 1))
	for n in $(seq 100); do
		grep -q '^QUIT' "$CAP_DIR/cmds.$CAP_N" 2>/dev/null && break
		sleep 0.02
	done
	grep -q '^QUIT' "$CAP_DIR/cmds.$CAP_N" || fail "$rcpt: no QUIT in the captured session"
	[ ! -e "$CAP_DIR/cmds.$((CAP_N + 1))" ] || fail "$rcpt: postern opened a second session"
	n=$(grep -c '^DATA' "$CAP_DIR/cmds.$CAP_N" || true)
	[ "$n" = 1 ] || fail "$rcpt: $n DATA commands on the wire, want 1"
	if [ ! -e "$CAP_DIR/data.$CAP_N.1" ] || [ -e "$CAP_DIR/data.$CAP_N.2" ]; then
		fail "$rcpt: not exactly one DATA payload on the wire"
	fi
	! grep -qi 'victim' "$CAP_DIR/cmds.$CAP_N" || fail "$rcpt: a smuggled command reached the wire as a command"
	WIRE=$CAP_DIR/data.$CAP_N.1
	python3 -S "$TOP/compat-tests/data/msgcheck.py" "$STORED" \
	    "$CAP_DIR/session.$CAP_N" "$WIRE" "$want" ${DECODE:+"$DECODE"} >"$CASE_DIR/check.out" ||
	    fail "$rcpt: $(cat "$CASE_DIR/check.out")"
}
