#!/bin/bash
# compat-tests/lib/smarthost.sh -- a private, loopback-only Postfix instance
# that plays the smarthost in postern's end-to-end tests.
#
#   smarthost.sh start    (re)create certificates, configs and start Postfix
#   smarthost.sh stop     stop Postfix; the work directory stays for inspection
#   smarthost.sh status   exit 0 when the instance is running
#   smarthost.sh workdir  print the work directory it uses
#
# Everything lives under the work directory ($POSTERN_TEST_WORK, default
# compat-tests/work, or /var/tmp/postern-compat-work when the Postfix user
# cannot reach the source tree).  After `start`, "$WORK/env" holds the shell variables
# that test cases use (ports, paths, credentials); see common.sh.
#
# Security assumptions: this runs as root on a test machine.  Every listener
# binds 127.0.0.1 only, the instance has its own config, queue and data
# directories and never touches /etc/postfix, /var/spool/postfix or the system
# Postfix (if one runs, it keeps port 25; we use high ports).  The test CA
# key is throw-away and regenerated on every start.
#
# Listeners (PORT_BASE defaults to 25580; when any of these ports is busy,
# the next base in steps of 20 is tried):
#   base+0  plain       no TLS, no AUTH, relays for 127.0.0.0/8 only
#   base+1  plainauth   no TLS, AUTH offered and required (smtpd_tls_auth_only=no)
#   base+5  implicit    TLS on connect (wrapper mode), AUTH required, good cert
#   base+7  starttls    STARTTLS required, AUTH required, good cert
#   base+8  wrongname   STARTTLS + AUTH, cert for wrong.example (same CA)
#   base+9  selfsigned  STARTTLS + AUTH, self-signed cert for localhost
#   base+10 expired     STARTTLS + AUTH, expired cert for localhost (same CA)
#   base+14 no8bitmime  as plain, but 8BITMIME is not offered
#                       (smtpd_discard_ehlo_keywords = 8bitmime)
#
# Recipients: every domain is accepted and delivered into one Maildir
# ($MAILDIR).  Local parts starting with "reject" get 550 5.1.1 at RCPT,
# local parts starting with "tempfail" get 450 4.2.0, so tests can provoke
# per-recipient failures against the real server.  Sender local parts
# starting with "badsender" get 553 5.7.1 at MAIL.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)

# default_work: compat-tests/work, unless the Postfix daemons (user postfix)
# and the Maildir owner (nobody) cannot reach it, as under a 0700 /root;
# then a directory under /var/tmp.
default_work() {
	local w=$TOP/compat-tests/work d
	d=$(dirname "$w")
	if command -v runuser >/dev/null 2>&1 && [ "$(id -u)" = 0 ] &&
	    id postfix >/dev/null 2>&1 &&
	    ! { runuser -u postfix -- test -x "$d" && runuser -u nobody -- test -x "$d"; }; then
		w=/var/tmp/postern-compat-work
	fi
	echo "$w"
}

WORK=${POSTERN_TEST_WORK:-$(default_work)}
PF=$WORK/postfix
PF_ETC=$PF/etc
PF_SPOOL=$PF/spool
PF_DATA=$PF/data
PF_LOG=$PF/maillog
TLS=$WORK/tls
CONF=$WORK/conf
MAIL_BASE=$WORK/mail
MAILDIR=$MAIL_BASE/Maildir
QUEUE=$WORK/queue
SASL_USER=postern
SASL_PASSWORD=s3cret-pw
SASL_REALM=smarthost.test
PF_DAEMON_DIR=$(postconf -dh daemon_directory 2>/dev/null || echo /usr/lib/postfix/sbin)

die() { echo "smarthost: $*" >&2; exit 1; }

need_tools() {
	local t missing=
	for t in postfix postconf saslpasswd2 openssl; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	[ -z "$missing" ] || die "missing tools:$missing (install the packages in .ci/packages)"
	[ "$(id -u)" = 0 ] || die "must run as root (Postfix needs it)"
	[ -d /usr/lib/x86_64-linux-gnu/sasl2 ] || [ -n "$(ls /usr/lib/*/sasl2/libsasldb.so* 2>/dev/null)" ] ||
	    echo "smarthost: warning: Cyrus SASL modules not found (libsasl2-modules)" >&2
}

OFFSETS="0 1 5 7 8 9 10 14"

# listening: " PORT PORT ... " of every listening TCP socket (any address).
# Reads /proc rather than connecting, so Postfix's log stays quiet, and needs
# no ss/netstat.
listening() {
	local line port ports=" "
	while read -r _ line; do
		set -- $line
		[ "${3:-}" = 0A ] || continue
		port=${1##*:}
		ports="$ports$((16#$port)) "
	done < <(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	echo "$ports"
}

pick_ports() {
	local base=${POSTERN_TEST_PORT_BASE:-25580} off busy ports
	ports=$(listening)
	for _ in 0 1 2 3 4 5 6 7 8 9; do
		busy=
		for off in $OFFSETS; do
			case $ports in *" $((base + off)) "*) busy=1 ;; esac
		done
		if [ -z "$busy" ]; then PORT_BASE=$base; return 0; fi
		base=$((base + 20))
	done
	die "no free port range found near ${POSTERN_TEST_PORT_BASE:-25580}"
}

# ---------------------------------------------------------------- certificates

# Certificates are made on the first start and remade when older than a
# day or when POSTERN_TEST_FRESH_CERTS=1 (they take most of a start's time
# on a busy machine).
make_certs() {
	if [ "${POSTERN_TEST_FRESH_CERTS:-0}" != 1 ] && [ -s "$TLS/expired.pem" ] &&
	    [ -n "$(find "$TLS/ca.pem" -mmin -1440 2>/dev/null)" ]; then
		return 0
	fi
	rm -rf "$TLS"
	mkdir -p "$TLS"
	chmod 0755 "$TLS"
	(
	cd "$TLS"
	local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
	openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 30 \
	    -subj "/O=postern tests/CN=postern test CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

	# leaf NAME CN SAN: a server certificate signed by the test CA.
	leaf() {
		openssl req -new "${ec[@]}" -keyout "$1.key" -out "$1.csr" \
		    -subj "/O=postern tests/CN=$2" 2>/dev/null
		cat >"$1.ext" <<-EOF
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature,keyEncipherment
		extendedKeyUsage = serverAuth
		subjectAltName = $3
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
		EOF
		openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 30 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
	}
	leaf localhost localhost "DNS:localhost, IP:127.0.0.1"
	leaf wrongname wrong.example "DNS:wrong.example"

	openssl req -x509 "${ec[@]}" -keyout selfsigned.key -out selfsigned.pem \
	    -days 30 -subj "/O=postern tests/CN=localhost" \
	    -addext "subjectAltName=DNS:localhost, IP:127.0.0.1" 2>/dev/null

	# An expired certificate needs explicit dates, which only `openssl ca`
	# takes in OpenSSL 3.0.
	openssl req -new "${ec[@]}" -keyout expired.key -out expired.csr \
	    -subj "/O=postern tests/CN=localhost" 2>/dev/null
	mkdir -p cadb
	: >cadb/index.txt
	cat >cadb/ca.cnf <<-EOF
	[ca]
	default_ca = test
	[test]
	dir = $TLS/cadb
	database = \$dir/index.txt
	new_certs_dir = \$dir
	serial = \$dir/serial
	certificate = $TLS/ca.pem
	private_key = $TLS/ca.key
	default_md = sha256
	policy = any
	unique_subject = no
	copy_extensions = none
	x509_extensions = leaf
	[any]
	commonName = supplied
	organizationName = optional
	[leaf]
	basicConstraints = critical,CA:FALSE
	keyUsage = critical,digitalSignature,keyEncipherment
	extendedKeyUsage = serverAuth
	subjectAltName = DNS:localhost, IP:127.0.0.1
	EOF
	echo 1000 >cadb/serial
	openssl ca -batch -config cadb/ca.cnf -in expired.csr -out expired.pem \
	    -notext -startdate 20200101000000Z -enddate 20200201000000Z 2>/dev/null
	rm -f ./*.csr ./*.ext
	chmod 0600 ./*.key
	)
}

# ---------------------------------------------------------------- postfix

write_postfix_config() {
	mkdir -p "$PF_ETC" "$PF_SPOOL" "$PF_DATA"
	chmod 0755 "$PF" "$PF_ETC" "$PF_SPOOL"
	chown postfix:postfix "$PF_DATA"; chmod 0700 "$PF_DATA"
	mkdir -p "$MAILDIR/new" "$MAILDIR/cur" "$MAILDIR/tmp"
	chown -R nobody:nogroup "$MAIL_BASE"
	chmod 0755 "$MAIL_BASE"
	: >"$PF_LOG"

	local uid gid
	uid=$(id -u nobody); gid=$(getent group nogroup | cut -d: -f3)

	cat >"$PF_ETC/main.cf" <<-EOF
	# Private Postfix instance for postern's compat tests; written by
	# compat-tests/lib/smarthost.sh on every start.  Do not edit.
	compatibility_level = 3.6
	queue_directory = $PF_SPOOL
	data_directory = $PF_DATA
	myhostname = $SASL_REALM
	mydomain = smarthost.test
	myorigin = \$myhostname
	mydestination =
	relay_domains =
	mynetworks = 127.0.0.0/8
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	smtp_bind_address = 127.0.0.1
	alias_maps =
	alias_database =
	biff = no
	append_dot_mydomain = no
	maillog_file_prefixes = $WORK
	maillog_file = $PF_LOG
	smtputf8_enable = yes

	# Leave headers as postern sent them: no Date/Message-ID/From fix-ups
	# (Postfix adds them for "local" clients, and 127.0.0.1 is one), no
	# address rewriting.  Tests must see postern's work, not Postfix's.
	local_header_rewrite_clients =
	always_add_missing_headers = no
	remote_header_rewrite_domain =

	# Every domain goes into one Maildir; Delivered-To names the recipient.
	virtual_mailbox_domains = regexp:$PF_ETC/virtual_domains
	virtual_mailbox_base = $MAIL_BASE
	virtual_mailbox_maps = static:Maildir/
	virtual_uid_maps = static:$uid
	virtual_gid_maps = static:$gid
	virtual_minimum_uid = 1
	message_size_limit = 10240000

	# Speed: no pauses after errors, no waiting for DNS, no delays in
	# delivery.
	smtpd_error_sleep_time = 0
	smtpd_soft_error_limit = 100
	smtpd_hard_error_limit = 200
	smtpd_peername_lookup = no
	smtpd_client_connection_count_limit = 0
	smtpd_delay_reject = yes
	queue_run_delay = 1s
	minimal_backoff_time = 1s
	maximal_backoff_time = 2s
	disable_dns_lookups = yes
	smtp_host_lookup = native
	address_verify_map =

	smtpd_banner = \$myhostname ESMTP postern-test
	smtpd_relay_restrictions = permit_sasl_authenticated, reject
	smtpd_recipient_restrictions = check_recipient_access regexp:$PF_ETC/recipient_access
	smtpd_sender_restrictions = check_sender_access regexp:$PF_ETC/sender_access

	# SASL: Cyrus with our own sasldb (see sasl/smtpd.conf).
	smtpd_sasl_type = cyrus
	smtpd_sasl_path = smtpd
	cyrus_sasl_config_path = $PF_ETC/sasl
	smtpd_sasl_local_domain =
	smtpd_sasl_auth_enable = no
	smtpd_sasl_security_options = noanonymous
	smtpd_sasl_tls_security_options = noanonymous
	smtpd_sasl_authenticated_header = yes
	broken_sasl_auth_clients = no

	# TLS.  Per-listener certificates are set in master.cf.
	smtpd_tls_security_level = none
	smtpd_tls_chain_files = $TLS/localhost.key, $TLS/localhost.pem
	smtpd_tls_loglevel = 1
	smtpd_tls_received_header = yes
	smtpd_tls_session_cache_database =
	smtpd_tls_protocols = >=TLSv1
	smtp_tls_security_level = none
	EOF

	# A lookup table that matches every domain.
	printf '/./ OK\n' >"$PF_ETC/virtual_domains"
	cat >"$PF_ETC/recipient_access" <<-'EOF'
	/^reject[^@]*@/     550 5.1.1 No such user (test)
	/^tempfail[^@]*@/   450 4.2.0 Mailbox busy, try later (test)
	EOF
	cat >"$PF_ETC/sender_access" <<-'EOF'
	/^badsender[^@]*@/  553 5.7.1 Sender not allowed (test)
	EOF

	local sub="smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=yes"
	local ca_dir=$TLS
	cat >"$PF_ETC/master.cf" <<-EOF
	# service type  private unpriv  chroot  wakeup  maxproc command + args
	127.0.0.1:$((PORT_BASE + 0)) inet n - n - - smtpd
	  -o syslog_name=postfix/plain
	  -o smtpd_client_restrictions=permit_mynetworks,reject
	  -o smtpd_relay_restrictions=permit_mynetworks,reject
	127.0.0.1:$((PORT_BASE + 14)) inet n - n - - smtpd
	  -o syslog_name=postfix/no8bitmime
	  -o smtpd_client_restrictions=permit_mynetworks,reject
	  -o smtpd_relay_restrictions=permit_mynetworks,reject
	  -o smtpd_discard_ehlo_keywords=8bitmime
	127.0.0.1:$((PORT_BASE + 1)) inet n - n - - smtpd
	  -o syslog_name=postfix/plainauth
	  -o smtpd_sasl_auth_enable=yes
	  -o smtpd_tls_auth_only=no
	127.0.0.1:$((PORT_BASE + 5)) inet n - n - - smtpd
	  -o syslog_name=postfix/implicit
	  -o smtpd_tls_wrappermode=yes
	  -o $sub
	127.0.0.1:$((PORT_BASE + 7)) inet n - n - - smtpd
	  -o syslog_name=postfix/starttls
	  -o smtpd_tls_security_level=encrypt
	  -o $sub
	127.0.0.1:$((PORT_BASE + 8)) inet n - n - - smtpd
	  -o syslog_name=postfix/wrongname
	  -o smtpd_tls_security_level=encrypt
	  -o smtpd_tls_chain_files=$ca_dir/wrongname.key,$ca_dir/wrongname.pem
	  -o $sub
	127.0.0.1:$((PORT_BASE + 9)) inet n - n - - smtpd
	  -o syslog_name=postfix/selfsigned
	  -o smtpd_tls_security_level=encrypt
	  -o smtpd_tls_chain_files=$ca_dir/selfsigned.key,$ca_dir/selfsigned.pem
	  -o $sub
	127.0.0.1:$((PORT_BASE + 10)) inet n - n - - smtpd
	  -o syslog_name=postfix/expired
	  -o smtpd_tls_security_level=encrypt
	  -o smtpd_tls_chain_files=$ca_dir/expired.key,$ca_dir/expired.pem
	  -o $sub
	pickup    unix  n       -       n       60      1       pickup
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	tlsmgr    unix  -       -       n       1000?   1       tlsmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	proxywrite unix -       -       n       -       1       proxymap
	smtp      unix  -       -       n       -       -       smtp
	relay     unix  -       -       n       -       -       smtp
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	local     unix  -       n       n       -       -       local
	virtual   unix  -       n       n       -       -       virtual
	lmtp      unix  -       -       n       -       -       lmtp
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
}

# Cyrus SASL reads $cyrus_sasl_config_path/smtpd.conf; the database is ours.
write_sasl() {
	local dir=$PF_ETC/sasl db=$PF_ETC/sasl/sasldb2
	mkdir -p "$dir"
	chmod 0755 "$dir"
	cat >"$dir/smtpd.conf" <<-EOF
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	sasldb_path: $db
	mech_list: PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 SCRAM-SHA-1
	EOF
	rm -f "$db"
	printf '%s' "$SASL_PASSWORD" |
	    saslpasswd2 -p -c -f "$db" -u "$SASL_REALM" "$SASL_USER"
	chown root:postfix "$db"
	chmod 0640 "$db"
}

# ---------------------------------------------------------------- postern configs

write_postern_configs() {
	rm -rf "$CONF"
	mkdir -p "$CONF"
	chmod 0700 "$CONF"
	rm -rf "$QUEUE"
	mkdir -p "$QUEUE"
	chmod 0700 "$QUEUE"
	(umask 077
	 printf '%s\n' "$SASL_PASSWORD" >"$CONF/password"
	 printf '%s\n' "not-the-password" >"$CONF/badpassword")

	# ini NAME HOST PORT TLS QUEUE_ENABLED [extra smarthost lines...]
	ini() {
		local name=$1 host=$2 port=$3 tls=$4 queue=$5
		shift 5
		(umask 077
		{
			echo "; $name: written by compat-tests/lib/smarthost.sh"
			echo "[smarthost]"
			echo "host = $host"
			echo "port = $port"
			echo "tls = $tls"
			[ "$tls" = none ] || echo "tls_ca_file = $TLS/ca.pem"
			local l
			for l in "$@"; do echo "$l"; done
			echo "timeout = 10"
			echo
			echo "[sender]"
			echo "domain = example.org"
			echo "from = %u@example.org"
			echo
			echo "[queue]"
			echo "dir = $QUEUE"
			echo "enabled = $queue"
			echo
			echo "[log]"
			echo "syslog = no"
			echo "file = $WORK/postern.log"
		} >"$CONF/$name.ini")
	}
	local auth=("user = $SASL_USER" "password_file = $CONF/password")
	ini starttls   localhost $((PORT_BASE + 7))  starttls yes "${auth[@]}"
	ini implicit   localhost $((PORT_BASE + 5))  implicit yes "${auth[@]}"
	ini wrongname  localhost $((PORT_BASE + 8))  starttls no  "${auth[@]}"
	ini selfsigned localhost $((PORT_BASE + 9))  starttls no  "${auth[@]}"
	ini expired    localhost $((PORT_BASE + 10)) starttls no  "${auth[@]}"
	ini badpass    localhost $((PORT_BASE + 7))  starttls no \
	    "user = $SASL_USER" "password_file = $CONF/badpassword"
	ini plain      127.0.0.1 $((PORT_BASE + 0))  none     yes "auth = none"
	ini plainauth  127.0.0.1 $((PORT_BASE + 1))  none     yes "${auth[@]}"
	ini no8bitmime 127.0.0.1 $((PORT_BASE + 14))  none     yes "auth = none"

	# msmtp equivalents, used to check the harness itself.
	local m=$CONF/msmtprc
	(umask 077
	cat >"$m" <<-EOF
	defaults
	auth on
	user $SASL_USER
	password $SASL_PASSWORD
	tls_trust_file $TLS/ca.pem
	from root@example.org
	timeout 10
	logfile $WORK/msmtp.log

	account starttls
	host localhost
	port $((PORT_BASE + 7))
	tls on
	tls_starttls on

	account implicit
	host localhost
	port $((PORT_BASE + 5))
	tls on
	tls_starttls off

	account wrongname : starttls
	port $((PORT_BASE + 8))

	account selfsigned : starttls
	port $((PORT_BASE + 9))

	account expired : starttls
	port $((PORT_BASE + 10))

	account badpass : starttls
	password not-the-password

	account plain
	host 127.0.0.1
	port $((PORT_BASE + 0))
	tls off
	auth off
	EOF
	)
}

write_env() {
	local f=$WORK/env
	cat >"$f.tmp" <<-EOF
	# Written by compat-tests/lib/smarthost.sh start; sourced by common.sh.
	POSTERN_TEST_WORK='$WORK'
	SMARTHOST_PID_FILE='$PF_SPOOL/pid/master.pid'
	POSTFIX_CONFIG_DIR='$PF_ETC'
	POSTFIX_LOG='$PF_LOG'
	MAILDIR='$MAILDIR'
	CONF='$CONF'
	QUEUE_DIR='$QUEUE'
	POSTERN_LOG='$WORK/postern.log'
	TEST_CA='$TLS/ca.pem'
	TLS_DIR='$TLS'
	SASL_USER='$SASL_USER'
	SASL_PASSWORD='$SASL_PASSWORD'
	SASL_REALM='$SASL_REALM'
	PASSWORD_FILE='$CONF/password'
	MSMTPRC='$CONF/msmtprc'
	PORT_BASE=$PORT_BASE
	PORT_PLAIN=$((PORT_BASE + 0))
	PORT_PLAINAUTH=$((PORT_BASE + 1))
	PORT_NO8BITMIME=$((PORT_BASE + 14))
	PORT_IMPLICIT=$((PORT_BASE + 5))
	PORT_STARTTLS=$((PORT_BASE + 7))
	PORT_WRONGNAME=$((PORT_BASE + 8))
	PORT_SELFSIGNED=$((PORT_BASE + 9))
	PORT_EXPIRED=$((PORT_BASE + 10))
	EOF
	mv "$f.tmp" "$f"
}

# ---------------------------------------------------------------- start/stop

master_pid() {
	local pidf=$PF_SPOOL/pid/master.pid pid
	[ -s "$pidf" ] || return 1
	read -r pid <"$pidf" || return 1
	[ -n "$pid" ] && alive "$pid" || return 1
	# Only ever signal our own master: its command line names our config.
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q master || return 1
	[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$PF_SPOOL" ] || return 1
	echo "$pid"
}

# alive PID: the process exists and is not a zombie (PID 1 on some
# machines reaps orphans only every second or so).
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

do_stop() {
	local pid i
	pid=$(master_pid) || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		alive "$pid" || return 0
		sleep 0.025
	done
	echo "smarthost: master $pid did not stop; killing its process group" >&2
	kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

wait_listening() {
	local i off ports
	for ((i = 0; i < 200; i++)); do
		ports=$(listening)
		for off in $OFFSETS; do
			case $ports in
			*" $((PORT_BASE + off)) "*) ;;
			*) sleep 0.025; continue 2 ;;
			esac
		done
		return 0
	done
	return 1
}

do_start() {
	need_tools
	# Postfix's Unix sockets live in $queue_directory/private; sun_path
	# holds 107 bytes.
	[ ${#PF_SPOOL} -le 80 ] ||
	    die "work directory path too long for Postfix sockets: $WORK (set POSTERN_TEST_WORK)"
	mkdir -p "$WORK"
	chmod 0755 "$WORK"
	do_stop
	pick_ports
	make_certs
	write_postfix_config
	write_sasl
	write_postern_configs
	# Postfix sleeps up to two seconds before reading a main.cf that was
	# modified within the last second; backdate the files we just wrote.
	find "$PF_ETC" -type f -exec touch -d '-1 minute' {} +
	postconf -c "$PF_ETC" -n >/dev/null 2>"$WORK/postconf.err" && ! [ -s "$WORK/postconf.err" ] ||
	    die "postconf rejects the config: $(cat "$WORK/postconf.err")"
	# The integrity check is slow (a second); the directory layout is
	# created by post-install, so run it ourselves and skip the check.
	local params=(command_directory daemon_directory data_directory
	    html_directory mail_owner mailq_path manpage_directory
	    newaliases_path queue_directory readme_directory sample_directory
	    sendmail_path setgid_group shlib_directory meta_directory)
	local values=() i
	mapfile -t values < <(postconf -c "$PF_ETC" -h "${params[@]}")
	local args=("config_directory=$PF_ETC")
	for ((i = 0; i < ${#params[@]}; i++)); do
		args+=("${params[i]}=${values[i]:-}")
	done
	: >"$WORK/postfix-start.out"
	if [ ! -e "$PF_SPOOL/.layout-ok" ]; then
		if ! "$PF_DAEMON_DIR/post-install" "${args[@]}" create-missing \
		    >"$WORK/postfix-start.out" 2>&1; then
			cat "$WORK/postfix-start.out" >&2
			die "post-install create-missing failed"
		fi
		: >"$PF_SPOOL/.layout-ok"
	fi
	: >"$PF_SPOOL/quick-start"
	if ! postfix -c "$PF_ETC" start >>"$WORK/postfix-start.out" 2>&1; then
		cat "$WORK/postfix-start.out" "$PF_LOG" >&2
		die "postfix start failed"
	fi
	wait_listening || { cat "$PF_LOG" >&2; die "listeners did not come up"; }
	write_env
}

case ${1:-} in
workdir) echo "$WORK" ;;
start)	do_start ;;
stop)	do_stop ;;
status)	master_pid >/dev/null ;;
*)	echo "usage: $0 start|stop|status|workdir" >&2; exit 64 ;;
esac
