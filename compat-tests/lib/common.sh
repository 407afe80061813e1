# compat-tests/lib/common.sh -- helpers for end-to-end cases.
#
# compat-tests/run sources this file, then one case file, in a fresh bash per
# case, with the working directory set to the case's scratch directory
# ($CASE_DIR) and stdin from /dev/null.  The shell runs with `set -eEu`
# (no pipefail, so `printf ... | expect_exit 0 postern ...` judges postern
# alone) and `lastpipe`, so the last command of a pipeline runs in the case's
# own shell and its `fail` ends the case.
#
# A case passes when it reaches its end; it fails on `fail REASON`, on any
# unchecked command that returns non-zero (the ERR trap names the line), or
# on the per-case timeout (COMPAT_CASE_TIMEOUT, default 60 s).  `skip WHY`
# marks it skipped (a missing tool; CI treats skips as failures).
#
# Variables from the smarthost (see lib/smarthost.sh, written to $WORK/env):
#   POSTERN             the binary under test (default $TOP/sendmail/postern)
#   CONF                directory of ready-made postern configs:
#                         starttls.ini implicit.ini plain.ini plainauth.ini
#                         no8bitmime.ini
#                         wrongname.ini selfsigned.ini expired.ini badpass.ini
#   PORT_PLAIN PORT_PLAINAUTH PORT_NO8BITMIME PORT_IMPLICIT PORT_STARTTLS
#   PORT_WRONGNAME
#   PORT_SELFSIGNED PORT_EXPIRED     loopback ports of the Postfix listeners
#   TEST_CA TLS_DIR     CA certificate (PEM) and the directory of all certs
#   SASL_USER SASL_PASSWORD PASSWORD_FILE   credentials that work
#   MAILDIR             where every delivered message lands
#   POSTFIX_LOG         Postfix's own log (smtpd, cleanup, qmgr, virtual)
#   POSTFIX_CONFIG_DIR  the instance's main.cf/master.cf
#   QUEUE_DIR           [queue] dir of the ready-made configs
#   POSTERN_LOG         [log] file of the ready-made configs
#   MSMTPRC             msmtp config with one account per scenario
#   CASE_NAME CASE_DIR  this case's name and scratch directory (cwd)
#   TOP                 the source tree

set -eEu
shopt -s lastpipe

: "${TOP:?}" "${POSTERN_TEST_WORK:?}" "${CASE_DIR:?}" "${CASE_NAME:?}"
# shellcheck source=/dev/null
. "$POSTERN_TEST_WORK/env"
POSTERN=${POSTERN:-$TOP/sendmail/postern}
CMD_TIMEOUT=${CMD_TIMEOUT:-30}     # seconds, for each expect_exit command
MAIL_TIMEOUT=${MAIL_TIMEOUT:-10}   # seconds to wait for a delivery
LOG_MARK=${LOG_MARK:-0}            # byte offset into $POSTFIX_LOG
CMD_OUT=$CASE_DIR/.stdout          # stdout of the last expect_exit
CMD_ERR=$CASE_DIR/.stderr          # stderr of the last expect_exit
CMD_RC=                            # exit status of the last expect_exit

# ---------------------------------------------------------------- outcome

# fail REASON: end the case as failed.  The first reason wins, also when
# called from a command substitution or a subshell.
fail() {
	[ -e "$CASE_DIR/.fail" ] || printf '%s\n' "$*" >"$CASE_DIR/.fail"
	echo "FAIL: $*" >&2
	exit 1
}

# skip WHY: end the case as skipped.
skip() {
	printf '%s\n' "$*" >"$CASE_DIR/.skip"
	exit 77
}

# need TOOL...: skip unless every tool is on PATH.
need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "$t not installed"
	done
}

# Report an unchecked failure once, from the case's own shell; in a
# subshell or command substitution the status reaches the parent, which
# reports it with its own line number.
trap '__rc=$?; [ "$BASHPID" != "$$" ] || fail "line $LINENO: \`$BASH_COMMAND\` returned $__rc"' ERR

# postern ARGS...: run the binary under test.
postern() {
	"$POSTERN" "$@"
}

# ---------------------------------------------------------------- commands

# expect_exit CODE CMD ARGS...: run CMD (stdin inherited), keep stdout in
# $CMD_OUT and stderr in $CMD_ERR (both also copied to the case log), and
# fail unless it exits with CODE.  CODE "!0" means any non-zero status
# (but not a timeout).  External commands get CMD_TIMEOUT seconds.
expect_exit() {
	local want=$1 rc=0
	shift
	echo "+ $*" >&2
	if [ "$1" = postern ]; then
		set -- "$POSTERN" "${@:2}"
	fi
	if [ "$(type -t "$1")" = function ]; then
		"$@" >"$CMD_OUT" 2>"$CMD_ERR" || rc=$?
	else
		timeout -k 2 "$CMD_TIMEOUT" "$@" >"$CMD_OUT" 2>"$CMD_ERR" || rc=$?
	fi
	CMD_RC=$rc
	sed 's/^/  stdout: /' "$CMD_OUT" >&2
	sed 's/^/  stderr: /' "$CMD_ERR" >&2
	echo "  exit: $rc" >&2
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		fail "timed out after ${CMD_TIMEOUT}s: ${*##*/}"
	fi
	case $want in
	'!0')	[ "$rc" != 0 ] && return 0 ;;
	*)	[ "$rc" = "$want" ] && return 0 ;;
	esac
	fail "expected exit $want, got $rc from ${1##*/}${2:+ $2}...: $(head -c 300 "$CMD_ERR" | head -n 2 | tr '\n' ' ')"
}

# expect_stderr_line [ERE]: stderr of the last command is exactly one line,
# starting "postern: " and matching ERE when given.
expect_stderr_line() {
	local n
	n=$(wc -l <"$CMD_ERR")
	[ "$n" = 1 ] || fail "expected one line on stderr, got $n: $(head -c 200 "$CMD_ERR" | tr '\n' '|')"
	grep -q '^postern: ' "$CMD_ERR" || fail "stderr does not start with 'postern: ': $(cat "$CMD_ERR")"
	[ $# = 0 ] || grep -Eq -- "$1" "$CMD_ERR" || fail "stderr does not match /$1/: $(cat "$CMD_ERR")"
}

# expect_stderr ERE / expect_stdout ERE: the last command's output matches.
expect_stderr() {
	grep -Eq -- "$1" "$CMD_ERR" || fail "stderr does not match /$1/: $(head -c 300 "$CMD_ERR" | tr '\n' '|')"
}
expect_stdout() {
	grep -Eq -- "$1" "$CMD_OUT" || fail "stdout does not match /$1/: $(head -c 300 "$CMD_OUT" | tr '\n' '|')"
}

# ---------------------------------------------------------------- configs

# write_conf FILE: stdin becomes FILE (relative names land in $CASE_DIR),
# mode 0600; prints the path.
write_conf() {
	local f=$1
	case $f in /*) ;; *) f=$CASE_DIR/$f ;; esac
	(umask 077; cat >"$f")
	chmod 0600 "$f"
	echo "$f"
}

# conf_variant NEW BASE [section.key=value | -section.key]...: copy
# $CONF/BASE.ini to $CASE_DIR/NEW.ini, setting (or adding) and deleting keys;
# prints the path.  Example: conf_variant q starttls queue.enabled=no
conf_variant() {
	local new=$1 base=$2
	shift 2
	local out=$CASE_DIR/$new.ini
	(umask 077
	awk -v src="$CONF/$base.ini" '
	BEGIN {
		for (i = 1; i < ARGC; i++) {
			a = ARGV[i]; ARGV[i] = ""
			if (a ~ /^-/) { del[substr(a, 2)] = 1; continue }
			eq = index(a, "="); k = substr(a, 1, eq - 1)
			set[k] = substr(a, eq + 1); order[++n] = k
		}
		ARGV[1] = src; ARGC = 2
	}
	function flush(   j, k) {
		for (j = 1; j <= n; j++) {
			k = order[j]
			if (!done[k] && index(k, sec ".") == 1) {
				print substr(k, length(sec) + 2) " = " set[k]; done[k] = 1
			}
		}
	}
	/^\[.*\]/ { flush(); sec = substr($0, 2, index($0, "]") - 2); print; next }
	/^[ \t]*[A-Za-z_]+[ \t]*=/ {
		k = $0; sub(/[ \t]*=.*/, "", k); sub(/^[ \t]*/, "", k); k = sec "." k
		if (k in del) next
		if (k in set) { if (!done[k]) print substr(k, length(sec) + 2) " = " set[k]; done[k] = 1; next }
	}
	{ print }
	END {
		flush()
		for (j = 1; j <= n; j++) {
			k = order[j]
			if (!done[k]) {
				s = substr(k, 1, index(k, ".") - 1)
				print "\n[" s "]"; sec = s; flush()
			}
		}
	}' "$@" >"$out")
	echo "$out"
}

# ---------------------------------------------------------------- maildir

maildir_clear() {
	find "$MAILDIR/new" "$MAILDIR/cur" "$MAILDIR/tmp" -type f -delete
}

# maildir_files: delivered messages, oldest first, one path per line.
maildir_files() {
	find "$MAILDIR/new" "$MAILDIR/cur" -type f -printf '%T@ %p\n' |
	    sort -n | cut -d' ' -f2-
}

maildir_count() {
	find "$MAILDIR/new" "$MAILDIR/cur" -type f | wc -l
}

now_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	echo $((t / 1000))
}

# maildir_wait N [TIMEOUT]: wait until exactly N messages have arrived.
# Without an explicit TIMEOUT it gives up after 2 s when no SMTP session
# has reached Postfix since the mark (nothing can arrive then).
maildir_wait() {
	local want=$1 t=${2:-$MAIL_TIMEOUT} n start end
	start=$(now_ms)
	end=$((start + t * 1000))
	while :; do
		n=$(maildir_count)
		[ "$n" -gt "$want" ] && fail "expected $want messages, $n arrived"
		[ "$n" = "$want" ] && return 0
		[ "$(now_ms)" -lt "$end" ] ||
		    fail "expected $want messages within ${t}s, $n arrived"
		if [ $# -lt 2 ] && [ "$(now_ms)" -gt $((start + 2000)) ] &&
		    ! postfix_log_since_mark | grep -q '/smtpd\[[0-9]*\]: connect from'; then
			fail "expected $want messages, $n arrived: no SMTP session reached Postfix"
		fi
		sleep 0.05
	done
}

# msg_file_for RCPT [TIMEOUT]: path of the delivered message whose
# Delivered-To is RCPT (case-insensitive), waiting for it to arrive.
msg_file_for() {
	local want f end t=${2:-$MAIL_TIMEOUT}
	want=$(printf '%s' "delivered-to: $1" | tr '[:upper:]' '[:lower:]')
	end=$(( $(now_ms) + t * 1000 ))
	while :; do
		while IFS= read -r f; do
			if awk -v w="$want" '/^\r?$/ { exit } tolower($0) == w { f = 1; exit }
			    END { exit !f }' "$f"; then
				echo "$f"
				return 0
			fi
		done < <(maildir_files)
		[ "$(now_ms)" -lt "$end" ] ||
		    fail "no message for $1 arrived within ${t}s ($(maildir_count) other(s))"
		sleep 0.05
	done
}

# msg_for RCPT [TIMEOUT]: print the message delivered to RCPT, as stored.
msg_for() {
	local f
	f=$(msg_file_for "$@")
	cat "$f"
}

# msg_header FILE NAME: the unfolded value of the first NAME header (exit 1
# when absent).  msg_headers FILE NAME: every value, one per line.
msg_headers() {
	awk -v h="$(printf '%s' "$2" | tr '[:upper:]' '[:lower:]')" '
	/^\r?$/ { exit }
	/^[ \t]/ { if (cur != "") cur = cur " " substr($0, match($0, /[^ \t]/)); next }
	{ if (cur != "") { print cur; n++ } cur = "" }
	tolower(substr($0, 1, length(h) + 1)) == h ":" {
		cur = substr($0, length(h) + 2); sub(/^[ \t]*/, "", cur); sub(/\r$/, "", cur)
		if (cur == "") cur = " "
	}
	END { if (cur != "") { print cur; n++ } exit !n }' "$1"
}
msg_header() {
	local v
	v=$(msg_headers "$1" "$2") || return 1
	printf '%s\n' "$v" | head -n 1
}

# msg_body FILE: everything after the first empty line.
msg_body() {
	awk 'body { print; next } /^\r?$/ { body = 1 }' "$1"
}

# expect_header FILE NAME [ERE]: the header exists (and matches ERE).
expect_header() {
	local v
	v=$(msg_header "$1" "$2") || fail "no $2: header in the delivered message"
	[ $# -lt 3 ] || printf '%s\n' "$v" | grep -Eq -- "$3" ||
	    fail "$2: '$v' does not match /$3/"
}

# ---------------------------------------------------------------- postfix log

# log_mark: later log functions look only at what Postfix logs from now on.
# The runner sets a mark before each case.
log_mark() {
	LOG_MARK=$(stat -c %s "$POSTFIX_LOG")
}

postfix_log_since_mark() {
	tail -c +"$((LOG_MARK + 1))" "$POSTFIX_LOG"
}

# log_wait ERE [TIMEOUT]: wait until a line matching ERE is logged after
# the mark (Postfix logs asynchronously); print the first such line.
log_wait() {
	local t=${2:-5} end line
	end=$(( $(now_ms) + t * 1000 ))
	while :; do
		line=$(postfix_log_since_mark | grep -E -m1 -- "$1" || true)
		[ -z "$line" ] || { printf '%s\n' "$line"; return 0; }
		[ "$(now_ms)" -lt "$end" ] ||
		    fail "Postfix did not log /$1/ within ${t}s"
		sleep 0.05
	done
}

# smtpd_sessions [TIMEOUT]: wait until at least one smtpd session since the
# mark has ended and none is still open, then print each session's
# "disconnect from ..." summary (e.g. "ehlo=2 starttls=1 auth=1 mail=1 ...").
smtpd_sessions() {
	local t=${1:-5} end c d
	end=$(( $(now_ms) + t * 1000 ))
	while :; do
		c=$(postfix_log_since_mark | grep -c '/smtpd\[[0-9]*\]: connect from' || true)
		d=$(postfix_log_since_mark | grep -c '/smtpd\[[0-9]*\]: disconnect from' || true)
		[ "$d" -gt 0 ] && [ "$d" -ge "$c" ] && break
		[ "$(now_ms)" -lt "$end" ] ||
		    fail "smtpd sessions did not end within ${t}s ($c connects, $d disconnects)"
		sleep 0.05
	done
	postfix_log_since_mark | grep '/smtpd\[[0-9]*\]: disconnect from'
}

# expect_no_transaction: after the session(s) since the mark ended, Postfix
# saw no AUTH and no MAIL, queued nothing, and nothing was delivered.
expect_no_transaction() {
	local s
	s=$(smtpd_sessions)
	if printf '%s\n' "$s" | grep -Eq ' (auth|mail|rcpt|data|bdat)='; then
		fail "smtpd saw AUTH/MAIL: $s"
	fi
	if postfix_log_since_mark | grep -Eq 'sasl_method=|: client=|from=<'; then
		fail "Postfix logged a transaction: $(postfix_log_since_mark | grep -E -m1 'sasl_method=|: client=|from=<')"
	fi
	[ "$(maildir_count)" = 0 ] || fail "$(maildir_count) message(s) delivered"
}

# queue_clear: empty $QUEUE_DIR (the ready-made configs' postern queue).
queue_clear() {
	find "$QUEUE_DIR" -mindepth 1 -delete
}
