# compat-tests/lib/callers.sh -- helpers for the 4xx cases: real callers
# (PHP, PHPMailer, Symfony, cron, mailx, s-nail, mutt, git, sudo) running
# the *installed* postern at /usr/sbin/sendmail.
#
# A 4xx case starts with
#
#     . "$TOP/compat-tests/lib/callers.sh"
#     callers_setup [section.key=value | -section.key]...
#
# which
#   - installs postern as a Debian package with
#     packaging/debian/install-for-tests (the coexist flavour next to the
#     smarthost's postfix) unless the installed /usr/sbin/postern already is
#     the stripped sendmail/postern of this tree (cheap then);
#   - writes /etc/postern.ini from $CONF/starttls.ini the way the installed
#     layout wants it (root:postern 0640), with a private directory
#     $INST = $CASE_DIR/inst (root:postern 0750) holding the password file
#     (root:postern 0640), the queue ($INST/queue, root:postern 2770) and
#     the log ($INST/postern.log), so that callers running as a user (PHP as
#     www-data) work as they would in the field;
#   - restores the previous /etc/postern.ini when the case ends (EXIT/TERM
#     trap), whatever happens.
#
# It does not re-point /usr/sbin/sendmail when the package is installed:
# a case must fail when someone replaced it (e.g. with /bin/true), which is
# how the cases were checked.  POSTERN_CALLERS_NO_INSTALL=1 skips the
# install step altogether.  The installed package and /etc/postern.ini are
# machine-wide, so each 4xx case holds a machine-wide lock (callers_lock).
#
# Variables set: INST, INST_QUEUE, INST_LOG, SENDMAIL (/usr/sbin/sendmail).

SENDMAIL=/usr/sbin/sendmail
INST=$CASE_DIR/inst
INST_QUEUE=$INST/queue
INST_LOG=$INST/postern.log
CALLERS_ETC=/etc/postern.ini
CALLERS_SAVED=$CASE_DIR/.postern.ini.saved
CALLERS_CLEANUP=()

# callers_at_exit CMD: run CMD (a string, eval'd) when the case ends, before
# /etc/postern.ini is restored; later registrations run first.
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
	if [ -e "$CALLERS_SAVED" ]; then
		cp -p "$CALLERS_SAVED" "$CALLERS_ETC" && rm -f "$CALLERS_SAVED"
	elif [ -e "$CALLERS_SAVED.none" ]; then
		rm -f "$CALLERS_ETC" "$CALLERS_SAVED.none"
	fi
}

# callers_install: make sure the installed postern is this tree's build.
callers_install() {
	local want deb
	[ "${POSTERN_CALLERS_NO_INSTALL:-0}" != 1 ] || return 0
	[ "$(id -u)" = 0 ] || skip "installing postern needs root"
	command -v dpkg-deb >/dev/null 2>&1 || skip "dpkg-deb not installed"
	[ -x "$TOP/sendmail/postern" ] || fail "sendmail/postern is not built"
	if dpkg-query -W -f='${Status}' postern 2>/dev/null | grep -q ' installed$' &&
	    [ -e /usr/sbin/postern ]; then
		want=$CASE_DIR/.postern.stripped
		strip --strip-unneeded --remove-section=.comment \
		    --remove-section=.note -o "$want" "$TOP/sendmail/postern"
		if cmp -s "$want" /usr/sbin/postern; then
			rm -f "$want"
			return 0
		fi
		rm -f "$want"
	fi
	# The coexist flavour (the smarthost needs the postfix package), built
	# into the case directory rather than the source tree.
	echo "+ packaging/debian/build-deb --coexist; install-for-tests --coexist" >&2
	deb=$("$TOP/packaging/debian/build-deb" --coexist --outdir "$CASE_DIR/deb" \
	    2>"$CASE_DIR/install.log") ||
	    fail "build-deb failed: $(tail -n 3 "$CASE_DIR/install.log" | tr '\n' ' ')"
	"$TOP/packaging/debian/install-for-tests" --coexist "$deb" \
	    >>"$CASE_DIR/install.log" 2>&1 ||
	    fail "install-for-tests failed: $(tail -n 3 "$CASE_DIR/install.log" | tr '\n' ' ')"
	rm -rf "$CASE_DIR/deb"
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

# callers_lock: the installed package and /etc/postern.ini are shared by
# every compat run on this machine (each work directory has its own run
# lock), so 4xx cases take one machine-wide lock for their whole run.
# Waits up to CALLERS_LOCK_WAIT (45) seconds, then skips.
# POSTERN_CALLERS_LOCK_HELD=1: a parent holds it already, e.g.
#   flock /run/lock/postern-compat-callers.lock env POSTERN_CALLERS_LOCK_HELD=1 ...
callers_lock() {
	local d=/run/lock
	[ "${POSTERN_CALLERS_LOCK_HELD:-0}" != 1 ] || return 0
	[ -d "$d" ] || d=/tmp
	exec {CALLERS_LOCK_FD}>"$d/postern-compat-callers.lock"
	if ! flock -n "$CALLERS_LOCK_FD"; then
		echo "# waiting for another compat run's 4xx case" >&2
		flock -w "${CALLERS_LOCK_WAIT:-45}" "$CALLERS_LOCK_FD" ||
		    skip "another compat run holds the installed postern ($d/postern-compat-callers.lock)"
	fi
}

# callers_setup [section.key=value | -section.key]...: see the top.
callers_setup() {
	[ "$(id -u)" = 0 ] || skip "the installed-caller cases need root"
	callers_lock
	callers_install
	getent group postern >/dev/null || fail "no group postern (is postern installed?)"
	if [ ! -e "$CALLERS_SAVED" ] && [ ! -e "$CALLERS_SAVED.none" ]; then
		if [ -e "$CALLERS_ETC" ]; then
			cp -p "$CALLERS_ETC" "$CALLERS_SAVED"
		else
			: >"$CALLERS_SAVED.none"
		fi
	fi
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
