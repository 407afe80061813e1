# 414: a stock Debian install with only [smarthost] configured keeps cron's
# mail to root, and a refused message leaves a syslog line.
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS)
# setup:   the installed package (private namespace, lib/callers.sh);
#          /etc/postern.ini holds ONLY the [smarthost] section (no
#          [sender], the package's default queue /var/spool/postern, default
#          syslog = mail); /etc/mailname says "mailname.example.org";
#          /dev/log is a capture socket
# command: Debian cron's exact argv with its kind of message (no From,
#          Date, Message-ID; LF):
#            /usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem root
#          then the same with a config error (an unknown key), and with
#          an option postern refuses (-X)
# expect:  exit 0; the message arrives for root@mailname.example.org with
#          Return-Path <root@mailname.example.org> and From root@ the
#          mailname (Cron Daemon); syslog got the per-message line
#          (status=sent).  The broken config exits 78 and syslog gets
#          "refused (exit 78): /etc/postern.ini:N: unknown key ..." with
#          the caller's argv; -X exits 64 with a syslog line too.

need strip python3
. "$TOP/compat-tests/lib/callers.sh"
callers_setup
callers_syslog
sendmail_note

# Only [smarthost]: the lines of the harness's config up to the next section.
awk '/^\[/ { s = ($0 == "[smarthost]") } s' "$CONF/starttls.ini" |
    sed "s#^password_file = .*#password_file = $INST/password#" >"$CASE_DIR/only.ini"
install -o root -g postern -m 0640 "$CASE_DIR/only.ini" /etc/postern.ini
cat /etc/postern.ini >&2
echo mailname.example.org >/etc/mailname

cron_mail() {
	printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@%s> echo hi\nContent-Type: text/plain; charset=UTF-8\n\nhi\n' "$(hostname)" |
	    expect_exit "$1" /usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem root "${@:2}"
}

cron_mail 0
m=$(msg_file_for root@mailname.example.org)
expect_return_path "$m" root@mailname.example.org
expect_header "$m" Delivered-To '^root@mailname\.example\.org$'
expect_header "$m" From 'root@mailname\.example\.org'
expect_header "$m" Message-ID '@'
grep -q 'status=sent' "$CASE_DIR/syslog" ||
    fail "no per-message line in syslog: $(cat "$CASE_DIR/syslog")"
grep -q '<2[0-9]>' "$CASE_DIR/syslog" || fail "syslog line not in facility mail: $(cat "$CASE_DIR/syslog")"

# A refusal: cron ignores the exit status, so syslog must say it.
printf 'bogus_key = 1\n' >>/etc/postern.ini
cron_mail 78
expect_stderr_line '^postern: /etc/postern.ini:[0-9]+: unknown key'
grep -E 'refused \(exit 78\): /etc/postern.ini:[0-9]+: unknown key .bogus_key.*argv: /usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem root' \
    "$CASE_DIR/syslog" >&2 || fail "no syslog line for the refusal: $(cat "$CASE_DIR/syslog")"

sed -i '/^bogus_key/d' /etc/postern.ini
cron_mail 64 -X /tmp/postern-414-x
grep -E 'refused \(exit 64\): .*argv: /usr/sbin/sendmail .*-X /tmp/postern-414-x' "$CASE_DIR/syslog" >&2 ||
    fail "no syslog line for the refused option: $(cat "$CASE_DIR/syslog")"
[ ! -e /tmp/postern-414-x ] || fail "-X created its file"
[ "$(maildir_count)" = 1 ] || fail "expected exactly one message, found $(maildir_count)"
