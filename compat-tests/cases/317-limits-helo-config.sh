# 317: smaller hardening of issue 11 item 12.
#
# server:  Postfix plain listener ($PORT_PLAIN); data/smtp-capture.py for
#          the EHLO line
# command: (a) 10,001 distinct recipients in two argument lists, and 10,001
#              with -t (9,000 in an argument list, 1,001 in To:);
#          (b) in a UTS namespace whose host name is not a valid domain
#              ("-bad.example.org", "bad..example.org"), a message to the
#              capture server with no [smarthost] helo;
#          (c) an unprivileged run with a config that is world-writable
#              (mode 0666) and keeps the secret in a password file
# expect:  (a) exit 64 (arguments) / 65 (headers) with one line, before any
#          connection (the queue could not hold the message: it used to
#          exit 65 after a partial delivery); (b) "EHLO [127.0.0.1]", the
#          address literal, not the bad name; a valid name is used as is;
#          (c) exit 78 with one line naming the file and "writable by others".

. "$TOP/compat-tests/data/msgcheck.sh"
conf=$(conf_variant q plain "queue.dir=$CASE_DIR/q")
in=$CASE_DIR/in
printf 'Subject: x\n\nbody\n' >"$in"
list() {  # list FROM TO: "r$FROM@example.org, ..., r$TO@example.org"
	seq -f 'r%g@example.org' "$1" "$2" | paste -sd, | sed 's/,/, /g'
}

log_mark
expect_exit 64 postern -C "$conf" -i -- "$(list 1 5001)" "$(list 5002 10001)" <"$in"
expect_stderr_line '10001 recipients'
{ printf 'To: %s\nSubject: x\n\nbody\n' "$(list 9001 10001)"; } >in-t
expect_exit 65 postern -C "$conf" -t -i -- "$(list 1 4500)" "$(list 4501 9000)" <in-t
expect_stderr_line '10001 recipients'
sleep 0.3
! postfix_log_since_mark | grep -q 'connect from' ||
    fail "postern connected for a message it cannot queue"
[ "$(maildir_count)" = 0 ] || fail "$(maildir_count) message(s) delivered"

# (b) the default EHLO name
need unshare
cap_start
for h in -bad.example.org bad..example.org good-1.example.org; do
	rm -f "$CAP_DIR"/cmds.*
	expect_exit 0 unshare --uts sh -c 'printf %s "$1" >/proc/sys/kernel/hostname && exec "$2" -C "$3" -i ok@example.org <"$4"' \
	    sh "$h" "$POSTERN" "$CAP_CONF" "$in"
	helo=$(grep -h -m1 '^EHLO ' "$CAP_DIR"/cmds.* | tr -d '\r')
	case $h in
	good*)	[ "$helo" = "EHLO $h" ] || fail "host name $h: sent '$helo'" ;;
	*)	[ "$helo" = "EHLO [127.0.0.1]" ] || fail "host name $h: sent '$helo', want the address literal" ;;
	esac
done

# (c) a world-writable config, the secret elsewhere
printf 'x\n' >"$CASE_DIR/pw"
chmod 0600 "$CASE_DIR/pw"
ww=$(conf_variant ww plain smarthost.user=u "smarthost.password_file=$CASE_DIR/pw")
chmod 0666 "$ww"
expect_exit 78 postern -C "$ww" -bp
expect_stderr_line 'writable by others'
