# compat-tests/lib/tlscache.sh -- helpers for the TLS session cache cases
# (62x), sourced by the case after common.sh.
#
# The Postfix listeners log at smtpd_tls_loglevel 1; these cases raise it
# to 2 for the starttls and wrongname listeners only (master.cf -o), so
# that smtpd logs
# "Issuing session ticket" after a full handshake and "Reusing old
# session" when a client resumes, and put it back when the case ends,
# whatever happens.

TC_SERVICES="127.0.0.1:$PORT_STARTTLS/inet 127.0.0.1:$PORT_WRONGNAME/inet"

tc_restore() {
	local s
	for s in $TC_SERVICES; do
		postconf -c "$POSTFIX_CONFIG_DIR" -PX "$s/smtpd_tls_loglevel" 2>/dev/null || true
	done
	postfix -c "$POSTFIX_CONFIG_DIR" reload >/dev/null 2>&1 || true
}

tc_setup() {
	local s
	need postconf postfix
	trap tc_restore EXIT
	for s in $TC_SERVICES; do
		postconf -c "$POSTFIX_CONFIG_DIR" -P "$s/smtpd_tls_loglevel=2"
	done
	postfix -c "$POSTFIX_CONFIG_DIR" reload >/dev/null 2>&1 ||
	    fail "postfix reload failed"
	# Old smtpd processes exit after a reload; give the master a moment.
	sleep 1
}

# tc_conf NAME [section.key=value...]: the starttls config with its own
# queue directory in the case directory; prints the path.
tc_conf() {
	local name=$1
	shift
	conf_variant "$name" starttls "queue.dir=$CASE_DIR/q" "$@"
}

TC_RUNS=0

# tc_send CONF full|resumed [EXIT]: one submission; Postfix must report a
# full handshake (a new ticket issued, no reuse) or a resumed session.
tc_send() {
	local conf=$1 want=$2 rc=${3:-0} reused issued
	TC_RUNS=$((TC_RUNS + 1))
	log_mark
	printf 'Subject: s62x-%s\n\nbody %s\n' "$TC_RUNS" "$TC_RUNS" |
	    expect_exit "$rc" postern -C "$conf" a@example.org
	smtpd_sessions >/dev/null
	reused=$(postfix_log_since_mark | grep -c 'postfix/starttls/smtpd\[[0-9]*\]: .*Reusing old session' || true)
	issued=$(postfix_log_since_mark | grep -c 'postfix/starttls/smtpd\[[0-9]*\]: .*Issuing session ticket' || true)
	case $want in
	full)	[ "$reused" = 0 ] || fail "run $TC_RUNS: Postfix resumed a session, expected a full handshake"
		[ "$issued" -gt 0 ] || fail "run $TC_RUNS: Postfix issued no ticket (is smtpd_tls_loglevel 2 in effect?)" ;;
	resumed) [ "$reused" -gt 0 ] || fail "run $TC_RUNS: Postfix did not report a resumed session" ;;
	esac
}

# tc_file: the cache file of the starttls listener.
tc_file() {
	echo "$CASE_DIR/q/tls/session-localhost-$PORT_STARTTLS"
}
