# 410: sudo (1.9.13) with "Defaults mail_always" mails through the installed
# postern.
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS)
# command: /etc/sudoers.d/postern-test (0440, removed at the end):
#            Defaults mail_always
#            Defaults mailto="sudo-admin@example.org"
#            Defaults mailfrom="sudo-from@example.org"
#          then, as root, sudo -u nobody true.  sudo forks a daemonized
#          child that execs /usr/sbin/sendmail -t (argv[0] "sendmail") as
#          root, env HOME=/ PATH LOGNAME=root USER=root, stdout/stderr to
#          /dev/null; the mail arrives asynchronously.
# expect:  two messages (accept, exit) for sudo-admin@example.org with Return-Path
#          <root@example.org>, From sudo-from@example.org, Subject
#          "*** SECURITY information for HOST ***", Date and Message-ID
#          added, the command line in the body.

need sudo visudo strip
. "$TOP/compat-tests/lib/callers.sh"
callers_setup
sendmail_note

f=/etc/sudoers.d/postern-test
callers_at_exit "rm -f $f"
umask 022
cat >"$f.tmp" <<'SUDO'
# written by postern's compat-tests (410-sudo-mail-always); removed at its end
Defaults mail_always
Defaults mailto="sudo-admin@example.org"
Defaults mailfrom="sudo-from@example.org"
SUDO
chmod 0440 "$f.tmp"
visudo -c -q -f "$f.tmp" || fail "visudo rejects the test sudoers file"
mv -f "$f.tmp" "$f"

expect_exit 0 sudo -u nobody true
# sudo 1.9.13 mails twice with mail_always: when the command is accepted
# and when it exits (", EXIT=0").
maildir_wait 2 15
for m in $(maildir_files); do
	expect_return_path "$m" root@example.org
	expect_header "$m" Delivered-To '^sudo-admin@example\.org$'
	expect_header "$m" From '^sudo-from@example\.org$'
	expect_header "$m" To '^sudo-admin@example\.org$'
	expect_header "$m" Subject "^\\*\\*\\* SECURITY information for $(ere_quote "$(hostname)")[^ ]* \\*\\*\\*\$"
	expect_header "$m" Date '[0-9]{4} [0-9]{2}:[0-9]{2}'
	expect_header "$m" Message-ID '^<[^<>@ ]+@[^<>@ ]+>$'
	msg_body "$m" | grep -q ' : root : .*USER=nobody ; COMMAND=/usr/bin/true' ||
	    fail "the command is not in the body: $(msg_body "$m" | head -c 300)"
done
for m in $(maildir_files); do msg_body "$m"; done | grep -q 'COMMAND=/usr/bin/true ; EXIT=0' ||
    fail "no mail for the command's exit"
