# compat-tests/lib/callers.sh -- helpers for the 4xx cases: real callers
# (PHP, PHPMailer, Symfony, cron, mailx, s-nail, mutt, git, sudo) running
# the *installed* postern at /usr/sbin/sendmail.
#
# A 4xx case starts with
#
#     . "$TOP/compat-tests/lib/callers.sh"
#     callers_setup [section.key=value | -section.key]...
#
# The host is left alone: callers_setup re-runs the whole case in a private
# mount namespace (unshare -m, private propagation) in which /etc and /usr
# are overlay mounts whose upper layers live on a tmpfs of that namespace.
# There it
#   - "installs" postern from its real production .deb (built once per
#     compat run into $WORK/pkg by packaging/debian/build-deb and unpacked
#     with dpkg-deb -x): the package's /usr and /etc files are copied into
#     the overlays and given the modes postinst gives them (binary root:
#     postern 2755, /etc/postern.ini root:postern 0640);
#   - creates the group postern in the private /etc/group when the host has
#     none (groupadd writes the overlay; the host's /etc/group is unchanged;
#     files the case creates under $CASE_DIR carry that gid);
#   - makes the host name resolve (a private /etc/hosts line), so sudo does
#     not mail an extra "unable to resolve host" message (case 410) on
#     machines where it does not;
#   - writes /etc/postern.ini from $CONF/starttls.ini with a private
#     directory $INST = $CASE_DIR/inst (root:postern 0750) holding the
#     password file (root:postern 0640), the queue ($INST/queue, root:postern
#     2770) and the log ($INST/postern.log), so that callers running as a
#     user (PHP as www-data) work as they would in the field.
# Files a case writes under /etc (sudoers.d, cron.d, mailname) go to the
# overlay too.  When the case ends the namespace and everything in it goes
# away; nothing is restored because nothing outside $WORK was changed
# (make check compares checksums before and after: compat-tests/host-state).
#
# The cases check what arrives, not that /usr/sbin/sendmail is postern: a
# case must fail when someone replaced it (e.g. with /bin/true).  The
# package build is shared by the cases of one run; cron's pid file (/run)
# is the one machine-wide thing left, so 4xx cases still take a lock
# (callers_lock).
#
# Variables set: INST, INST_QUEUE, INST_LOG, SENDMAIL (/usr/sbin/sendmail).

SENDMAIL=/usr/sbin/sendmail
INST=$CASE_DIR/inst
INST_QUEUE=$INST/queue
INST_LOG=$INST/postern.log
CALLERS_ETC=/etc/postern.ini
CALLERS_CLEANUP=()

# callers_at_exit CMD: run CMD (a string, eval'd) when the case ends; later
# registrations run first.
callers_at_exit() {
	CALLERS_CLEANUP=("$1" "${CALLERS_CLEANUP[@]}")
}

callers_cleanup() {
	local c
	trap - EXIT TERM INT
	for c in "${CALLERS_CLEANUP[@]}"; do
		eval "$c" || true
	done
	CALLERS_CLEANUP=()
}

# callers_package: print the directory holding this tree's production .deb
# unpacked (dpkg-deb -x), building it when sendmail/postern changed.
callers_package() {
	local pkg=$POSTERN_TEST_WORK/pkg sum deb
	command -v dpkg-deb >/dev/null 2>&1 || skip "dpkg-deb not installed"
	[ -x "$TOP/sendmail/postern" ] || fail "sendmail/postern is not built"
	mkdir -p "$pkg"
	sum=$(sha256sum "$TOP/sendmail/postern" "$TOP"/packaging/debian/* | sha256sum | cut -c1-16)
	(
		flock 8
		if [ "$(cat "$pkg/sum" 2>/dev/null)" != "$sum" ]; then
			rm -rf "$pkg/root" "$pkg"/*.deb "$pkg/sum"
			echo "+ packaging/debian/build-deb --no-build --outdir $pkg" >&2
			deb=$("$TOP/packaging/debian/build-deb" --no-build --outdir "$pkg" \
			    2>"$pkg/build.log") ||
			    fail "build-deb failed: $(tail -n 3 "$pkg/build.log" | tr '\n' ' ')"
			dpkg-deb -x "$deb" "$pkg/root"
			echo "$sum" >"$pkg/sum"
		fi
	) 8>"$pkg/.lock" || exit $?
	echo "$pkg/root"
}

# callers_namespace: in the private namespace, overlay /etc and /usr and
# put the package's files in place.
callers_namespace() {
	local root ns=$CASE_DIR/.ns d
	root=$(callers_package)
	mkdir -p "$ns"
	mount -t tmpfs -o mode=0700 postern-compat "$ns" ||
	    skip "cannot mount a tmpfs in the private namespace"
	for d in etc usr var/spool; do
		mkdir -p "$ns/${d//\//_}.up" "$ns/${d//\//_}.work"
		mount -t overlay "postern-${d//\//_}" \
		    -o "lowerdir=/$d,upperdir=$ns/${d//\//_}.up,workdir=$ns/${d//\//_}.work" "/$d" ||
		    skip "overlayfs over /$d is not available here"
	done
	# The package's files (its queue too, for cases that use the default).
	cp -a "$root/usr/." /usr/
	cp -a "$root/etc/." /etc/
	cp -a "$root/var/spool/." /var/spool/
	# What postinst does, in the private /etc/group.
	if ! getent group postern >/dev/null; then
		groupadd --system postern || fail "groupadd postern failed"
		# The gid exists only in here: give what the case leaves under
		# $CASE_DIR back to root's group when it ends, so that no file on
		# the host carries a gid a later group could get.
		callers_at_exit "chown -R --from=:postern :root '$CASE_DIR'"
	fi
	chown root:postern /usr/sbin/postern /etc/postern.ini
	chmod 2755 /usr/sbin/postern
	chmod 0640 /etc/postern.ini
	chown -R root:postern /var/spool/postern
	chmod 2770 /var/spool/postern /var/spool/postern/*
	# The host name resolves (sudo, case 410), whatever the host's files say.
	if ! getent hosts "$(hostname)" >/dev/null 2>&1; then
		printf '127.0.1.1\t%s\n' "$(hostname)" >>/etc/hosts
	fi
	# A mailname a case sets itself (the default: none, like the SPEC's
	# examples that set [sender] domain).
	rm -f /etc/mailname
}

# callers_syslog: capture what is sent to /dev/log in $CASE_DIR/syslog
# (one datagram a line).  /dev gets an overlay in the namespace (its
# submounts bound again) so that /dev/log can be our socket even where the
# host has none, or a real syslog daemon's.
callers_syslog() {
	local ns=$CASE_DIR/.ns m
	mkdir -p "$ns/dev.up" "$ns/dev.work" "$ns/dev.orig"
	mount --rbind /dev "$ns/dev.orig"
	mount -t overlay postern-dev \
	    -o "lowerdir=/dev,upperdir=$ns/dev.up,workdir=$ns/dev.work" /dev ||
	    skip "overlayfs over /dev is not available here"
	for m in pts shm mqueue hugepages; do
		if [ -d "$ns/dev.orig/$m" ] && mountpoint -q "$ns/dev.orig/$m"; then
			mount --rbind "$ns/dev.orig/$m" "/dev/$m"
		fi
	done
	rm -f /dev/log
	: >"$CASE_DIR/syslog"
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
import os; os.chmod("/dev/log", 0o666)
print("ready", flush=True)
out = open(sys.argv[1], "ab", buffering=0)
while True:
    d = s.recv(65536)
    out.write(d.rstrip(b"\0\n").replace(b"\n", b" ") + b"\n")
' "$CASE_DIR/syslog" >"$CASE_DIR/.syslog.ready" 2>&1 &
	CALLERS_SYSLOG_PID=$!
	callers_at_exit "kill $CALLERS_SYSLOG_PID 2>/dev/null"
	wait_for_line() { grep -q ready "$CASE_DIR/.syslog.ready"; }
	for m in $(seq 50); do wait_for_line && return 0; sleep 0.05; done
	fail "the syslog listener did not start: $(cat "$CASE_DIR/.syslog.ready")"
}

# callers_conf [section.key=value | -section.key]...: (re)write
# /etc/postern.ini from $CONF/starttls.ini with the private queue, password
# and log, then the given changes.
callers_conf() {
	local f
	f=$(conf_variant .etc-postern starttls \
	    "smarthost.password_file=$INST/password" \
	    "queue.dir=$INST_QUEUE" "log.file=$INST_LOG" "$@")
	install -o root -g postern -m 0640 "$f" "$CALLERS_ETC.tmp"
	mv -f "$CALLERS_ETC.tmp" "$CALLERS_ETC"
	rm -f "$f"
}

# callers_lock: cron's pid file is machine-wide, so 4xx cases of parallel
# compat runs take turns.  Waits up to CALLERS_LOCK_WAIT (45) seconds,
# then skips.  POSTERN_CALLERS_LOCK_HELD=1: a parent holds it already.
callers_lock() {
	local d=/run/lock
	[ "${POSTERN_CALLERS_LOCK_HELD:-0}" != 1 ] || return 0
	[ -d "$d" ] || d=/tmp
	exec {CALLERS_LOCK_FD}>"$d/postern-compat-callers.lock"
	if ! flock -n "$CALLERS_LOCK_FD"; then
		echo "# waiting for another compat run's 4xx case" >&2
		flock -w "${CALLERS_LOCK_WAIT:-45}" "$CALLERS_LOCK_FD" ||
		    skip "another compat run holds $d/postern-compat-callers.lock"
	fi
	export POSTERN_CALLERS_LOCK_HELD=1
}

# callers_setup [section.key=value | -section.key]...: see the top.
callers_setup() {
	local case_file=${BASH_SOURCE[1]}
	[ "$(id -u)" = 0 ] || skip "the installed-caller cases need root"
	command -v unshare >/dev/null 2>&1 || skip "unshare (util-linux) not installed"
	if [ "${POSTERN_CALLERS_NS:-}" != "$CASE_DIR" ]; then
		callers_lock
		# Private propagation needs "/" to be a mount point (in a plain
		# chroot it is not: bind-mount the chroot onto itself first).
		if ! unshare --mount --propagation private true 2>"$CASE_DIR/.unshare.err"; then
			skip "no private mount namespace: $(head -n 1 "$CASE_DIR/.unshare.err")"
		fi
		# Run the whole case again, inside its own mount namespace.
		trap - ERR
		POSTERN_CALLERS_NS=$CASE_DIR exec unshare --mount --propagation private \
		    bash -c '. "$1"; . "$2"' case "$TOP/compat-tests/lib/common.sh" "$case_file"
		skip "unshare --mount failed"
	fi
	callers_namespace
	trap callers_cleanup EXIT
	trap 'exit 143' TERM INT
	rm -rf "$INST"
	install -d -o root -g postern -m 0750 "$INST"
	install -o root -g postern -m 0640 "$PASSWORD_FILE" "$INST/password"
	install -d -o root -g postern -m 2770 "$INST_QUEUE"
	install -o root -g postern -m 0660 /dev/null "$INST_LOG"
	callers_conf "$@"
}

# closed_port: a loopback TCP port nothing listens on (a free offset of the
# smarthost's port range).
closed_port() {
	local p ports=" " line port
	while read -r _ line; do
		set -- $line
		[ "${3:-}" = 0A ] || continue
		port=${1##*:}
		ports="$ports$((16#$port)) "
	done < <(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	for p in $((PORT_BASE + 3)) $((PORT_BASE + 4)) $((PORT_BASE + 6)) $((PORT_BASE + 2)); do
		case $ports in *" $p "*) ;; *) echo "$p"; return 0 ;; esac
	done
	fail "no closed port found near $PORT_BASE"
}

# inst_queue_count: entries in the private queue (q/*.ctl).
inst_queue_count() {
	find "$INST_QUEUE" -path '*/q/*.ctl' -type f 2>/dev/null | wc -l
}

# expect_return_path FILE ADDR: the envelope sender was ADDR.
expect_return_path() {
	expect_header "$1" Return-Path "^<$(ere_quote "$2")>\$"
}

# ere_quote STRING: STRING with ERE metacharacters escaped.
ere_quote() {
	printf '%s' "$1" | sed 's/[][\.|$(){}?+*^]/\\&/g'
}

# no_header FILE NAME: fail when the delivered message has a NAME header.
no_header() {
	if msg_headers "$1" "$2" >/dev/null; then
		fail "delivered message has a $2: header: $(msg_header "$1" "$2")"
	fi
}

# sendmail_note: say in the case log what /usr/sbin/sendmail runs (the
# cases do not insist on postern: they check what arrives).
sendmail_note() {
	echo "# /usr/sbin/sendmail -> $(readlink -f "$SENDMAIL" 2>/dev/null || echo missing)" >&2
}

# wait_for FILE [TIMEOUT]: wait until FILE exists (seconds, default 10).
wait_for() {
	local end
	end=$(( $(now_ms) + ${2:-10} * 1000 ))
	while [ ! -e "$1" ]; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}
