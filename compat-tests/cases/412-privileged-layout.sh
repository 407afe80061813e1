# 412: the installed, set-gid layout protects the smarthost secret.
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS)
# setup:   postern installed from its package (binary root:postern 2755,
#          /etc/postern.ini root:postern 0640, its password file 0640)
# command: as the unprivileged user nobody:
#          sendmail -t -i                      (the normal path)
#          sendmail -C /etc/postern.ini -bv x  (an alternate config)
#          POSTERN_CONFIG=/etc/postern.ini sendmail -bv x
#          sendmail -C own.ini -t -i   (own.ini names the system password file)
#          sendmail -v -t -i           (the transcript)
# expect:  the normal path delivers with Return-Path <nobody@example.org>;
#          -C and POSTERN_CONFIG drop the group first, so the 0640 files are
#          unreadable: exit 78, one line, nothing sent (own.ini: the message
#          is queued in the user's queue, unsent); the transcript shows
#          AUTH payloads as *** and never the password in any encoding.

need strip base64
. "$TOP/compat-tests/lib/callers.sh"
callers_setup
sendmail_note

mode=$(stat -c '%a %U:%G' /usr/sbin/postern)
[ "$mode" = "2755 root:postern" ] || fail "/usr/sbin/postern is $mode, want 2755 root:postern"
mode=$(stat -c '%a %U:%G' /etc/postern.ini)
[ "$mode" = "640 root:postern" ] || fail "/etc/postern.ini is $mode, want 640 root:postern"

as_nobody() { runuser -u nobody -- "$@"; }

printf 'To: priv@example.org\nSubject: as nobody\n\nbody\n' |
    expect_exit 0 as_nobody /usr/sbin/sendmail -t -i
m=$(msg_file_for priv@example.org)
expect_return_path "$m" nobody@example.org
maildir_clear
log_mark

expect_exit 78 as_nobody /usr/sbin/sendmail -C /etc/postern.ini -bv a@example.org
expect_stderr_line '/etc/postern.ini'
expect_exit 78 as_nobody env POSTERN_CONFIG=/etc/postern.ini \
    /usr/sbin/sendmail -bv a@example.org
expect_stderr_line '/etc/postern.ini'

# A user's own config that points at the system secret: the file is read
# with the user's rights only.
own=$CASE_DIR/own
install -d -o nobody -m 0700 "$own"
sed -n '/^password_file/!p' /etc/postern.ini >"$own/own.ini"
sed -i "s#^\[smarthost\]#[smarthost]\npassword_file = $INST/password#" "$own/own.ini"
sed -i "s#^dir = .*#dir = $own/q#" "$own/own.ini"
chown nobody "$own/own.ini"
chmod 0600 "$own/own.ini"
# The secret cannot be read, so nothing is sent; the message is not lost
# either: it waits in the user's own queue for a fixed configuration.
printf 'To: stolen@example.org\nSubject: x\n\nb\n' |
    expect_exit 0 as_nobody /usr/sbin/sendmail -C "$own/own.ini" -t -i
expect_stderr_line '^postern: queued \(.*password: Permission denied\)'
sleep 0.3
[ "$(maildir_count)" = 0 ] || fail "a message was sent with the system secret through -C"
! postfix_log_since_mark | grep -Eq 'sasl_method=|: client=' ||
    fail "Postfix saw a transaction: $(postfix_log_since_mark | grep -E -m1 'sasl_method=|: client=')"

# -v: AUTH redacted, the secret in no form on stderr.
pw=$(cat "$INST/password")
plain=$(printf '\0postern\0%s' "$pw" | base64 -w0)
login=$(printf '%s' "$pw" | base64 -w0)
printf 'To: verbose@example.org\nSubject: v\n\nb\n' |
    expect_exit 0 as_nobody /usr/sbin/sendmail -v -t -i
expect_stderr '^> AUTH [A-Z0-9-]+ \*\*\*$'
for s in "$pw" "$plain" "$login"; do
	! grep -qF -- "$s" "$CMD_ERR" || fail "the -v transcript shows the secret"
done
msg_file_for verbose@example.org >/dev/null
