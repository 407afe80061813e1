# compat-tests/lib/dovecot.sh -- a private Dovecot submission server for the
# AUTH cases (82x), sourced by a case after common.sh.
#
#   dovecot_start [USER:PASSWORD...]
#                     write a config under $DOVECOT_DIR ($WORK/dovecot), one
#                     passwd-file user per argument (default
#                     $SASL_USER:$SASL_PASSWORD; PASSWORD is stored {PLAIN},
#                     byte for byte, so a SCRAM client must derive the same
#                     bytes), start `dovecot -c CONF` and wait for its
#                     listeners; stops it when the case ends, whatever happens
#                     (it sets the case's EXIT trap; compat-tests/run also
#                     stops an instance a killed case left)
#   dovecot_stop      `dovecot -c CONF stop`, then wait for the master to go
#   dovecot_conf NAME [section.key=value...]
#                     a postern config for the STARTTLS listener (TLS verified
#                     with the test CA, user $SASL_USER, [queue] off, its own
#                     queue directory); prints the path
#   dovecot_log       what Dovecot logged since dovecot_start
#   dovecot_log_wait ERE [T]
#                     wait until Dovecot's log has a line matching ERE
#
# The server: Dovecot's submission service (dovecot-submissiond) on
# 127.0.0.1 only: $DOVECOT_PORT (base + 50, STARTTLS; AUTH only after TLS)
# and $DOVECOT_PORT_TLS (base + 51, implicit TLS), certificate
# $TLS_DIR/localhost.pem from the harness's test CA, mechanisms PLAIN LOGIN
# CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 (or $DOVECOT_MECHS, set before
# dovecot_start; $DOVECOT_EXTRA adds config lines) against a passwd-file
# passdb.  It
# relays what it accepts to the Postfix harness's plain listener
# ($PORT_PLAIN, relays for loopback), so a message Dovecot took lands in
# $MAILDIR like every other.
#
# Security assumptions: the instance has its own base_dir, state_dir and log
# under the work directory and never reads /etc/dovecot or touches the
# system service (which policy-rc.d keeps from starting).  The master is
# found by its own pid file and command line before it is signalled; an
# instance a killed case left behind is stopped by the next dovecot_start.

DOVECOT_DIR=$POSTERN_TEST_WORK/dovecot
DOVECOT_CONF=$DOVECOT_DIR/dovecot.conf
DOVECOT_LOG=$DOVECOT_DIR/dovecot.log
DOVECOT_PORT=$(( ${POSTERN_TEST_PORT_BASE:-25580} + 50 ))
DOVECOT_PORT_TLS=$(( ${POSTERN_TEST_PORT_BASE:-25580} + 51 ))
DOVECOT_LOG_MARK=0

# dovecot_pid: the master of our instance (its pid file, and a command line
# naming our config), or nothing.
dovecot_pid() {
	local pid
	[ -s "$DOVECOT_DIR/run/master.pid" ] || return 1
	read -r pid <"$DOVECOT_DIR/run/master.pid" || return 1
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DOVECOT_CONF" ||
	    return 1
	echo "$pid"
}

dovecot_stop() {
	local pid i
	pid=$(dovecot_pid) || return 0
	dovecot -c "$DOVECOT_CONF" stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		[ -d "/proc/$pid" ] || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

dovecot_port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

dovecot_start() {
	local users=("$@") u i uid gid
	need dovecot openssl
	[ -x /usr/lib/dovecot/submission ] ||
	    skip "dovecot-submissiond not installed"
	[ ${#users[@]} -gt 0 ] || users=("$SASL_USER:$SASL_PASSWORD")
	dovecot_stop
	rm -rf "$DOVECOT_DIR"
	mkdir -p "$DOVECOT_DIR/run" "$DOVECOT_DIR/state" "$DOVECOT_DIR/home"
	chmod 0755 "$DOVECOT_DIR" "$DOVECOT_DIR/run"
	: >"$DOVECOT_LOG"
	uid=$(id -u nobody); gid=$(getent group nogroup | cut -d: -f3)
	(umask 077
	for u in "${users[@]}"; do
		printf '%s:{PLAIN}%s:%s:%s::%s/home/%s\n' "${u%%:*}" "${u#*:}" \
		    "$uid" "$gid" "$DOVECOT_DIR" "${u%%:*}"
	done >"$DOVECOT_DIR/users")
	chown root:dovecot "$DOVECOT_DIR/users"
	chmod 0640 "$DOVECOT_DIR/users"
	cat >"$DOVECOT_CONF" <<-EOF
	# Private Dovecot for postern's compat tests; written by
	# compat-tests/lib/dovecot.sh.  Do not edit.
	base_dir = $DOVECOT_DIR/run
	state_dir = $DOVECOT_DIR/state
	instance_name = postern-test
	log_path = $DOVECOT_LOG
	info_log_path = $DOVECOT_LOG
	debug_log_path = $DOVECOT_LOG
	protocols = submission
	listen = 127.0.0.1
	hostname = dovecot.test
	default_internal_user = dovecot
	default_login_user = dovenull
	ssl = required
	ssl_cert = <$TLS_DIR/localhost.pem
	ssl_key = <$TLS_DIR/localhost.key
	ssl_min_protocol = TLSv1.2
	disable_plaintext_auth = yes
	auth_mechanisms = ${DOVECOT_MECHS:-plain login cram-md5 scram-sha-1 scram-sha-256}
	auth_verbose = yes
	auth_failure_delay = 0
	mail_location = maildir:~/Maildir
	submission_relay_host = 127.0.0.1
	submission_relay_port = $PORT_PLAIN
	submission_relay_trusted = no
	submission_relay_ssl = no
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN username_format=%u $DOVECOT_DIR/users
	}
	userdb {
	  driver = passwd-file
	  args = username_format=%u $DOVECOT_DIR/users
	}
	service submission-login {
	  inet_listener submission {
	    address = 127.0.0.1
	    port = $DOVECOT_PORT
	  }
	  inet_listener submissions {
	    address = 127.0.0.1
	    port = $DOVECOT_PORT_TLS
	    ssl = yes
	  }
	}
	# No brute-force penalty (each wrong password would delay the next
	# login from 127.0.0.1 by 2..15 s).
	${DOVECOT_EXTRA:-}
	service anvil {
	  chroot =
	  unix_listener anvil-auth-penalty {
	    mode = 0
	  }
	}
	EOF
	trap dovecot_stop EXIT
	trap 'exit 143' TERM INT
	dovecot -c "$DOVECOT_CONF" 2>"$DOVECOT_DIR/start.err" ||
	    fail "dovecot did not start: $(head -c 300 "$DOVECOT_DIR/start.err") $(tail -n 3 "$DOVECOT_LOG")"
	for ((i = 0; i < 100; i++)); do
		dovecot_port_open "$DOVECOT_PORT" && dovecot_port_open "$DOVECOT_PORT_TLS" && break
		sleep 0.05
	done
	[ "$i" -lt 100 ] || fail "dovecot is not listening on $DOVECOT_PORT/$DOVECOT_PORT_TLS: $(tail -n 5 "$DOVECOT_LOG")"
	DOVECOT_LOG_MARK=$(stat -c %s "$DOVECOT_LOG")
}

dovecot_log() {
	tail -c +"$((DOVECOT_LOG_MARK + 1))" "$DOVECOT_LOG"
}

dovecot_log_mark() {
	DOVECOT_LOG_MARK=$(stat -c %s "$DOVECOT_LOG")
}

dovecot_log_wait() {
	local t=${2:-5} end line
	end=$(( $(now_ms) + t * 1000 ))
	while :; do
		line=$(dovecot_log | grep -E -m1 -- "$1" || true)
		[ -z "$line" ] || { printf '%s\n' "$line"; return 0; }
		[ "$(now_ms)" -lt "$end" ] ||
		    fail "Dovecot did not log /$1/ within ${t}s: $(dovecot_log | tail -n 3 | tr '\n' '|')"
		sleep 0.05
	done
}

# dovecot_conf NAME [section.key=value...]: prints the path.
dovecot_conf() {
	local name=$1
	shift
	mkdir -p -m 0700 "$CASE_DIR/q"
	conf_variant "$name" starttls "smarthost.port=$DOVECOT_PORT" \
	    queue.enabled=no "queue.dir=$CASE_DIR/q" "$@"
}
