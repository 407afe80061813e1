# 705: --import refuses what it cannot convert, with exit 78 and one line.
#
# server:  none
# command: postern --import FILE for an unknown file (a postern.ini, an
#          /etc/passwd-like file), a missing file, a directory, an empty
#          file; --account on an ssmtp.conf; --account without --import
#          (64); an msmtprc without the default account (78, names them)
# expect:  the exit status; one "postern: ..." line naming the file;
#          nothing on stdout.
. "$TOP/compat-tests/lib/import.sh"

refused() {  # refused CODE ERE ARGS...
	local code=$1 ere=$2
	shift 2
	expect_exit "$code" postern "$@"
	expect_stderr_line "$ere"
	[ ! -s "$CMD_OUT" ] || fail "stdout not empty: $(head -c 200 "$CMD_OUT")"
}

cp "$CONF/starttls.ini" postern.ini
printf 'root:x:0:0:root:/root:/bin/bash\n' >passwd
: >empty
printf 'mailhub=localhost\n' >ssmtp.conf
printf 'account a\nhost localhost\n' >msmtprc

refused 78 "postern\.ini: not recognised as an msmtprc, ssmtp\.conf, dma\.conf or nullmailer remotes file" --import postern.ini
refused 78 'passwd: not recognised' --import passwd
refused 78 'empty: not recognised' --import empty
refused 78 'nosuch: No such file or directory' --import nosuch
refused 78 "$CASE_DIR: not a regular file" --import "$CASE_DIR"
refused 78 'ssmtp\.conf: --account is for msmtprc files only' --import ssmtp.conf --account x
refused 64 '--account: only with --import' --account x -t
refused 64 '--import: option requires an argument' --import
refused 78 "msmtprc: no account 'default' \(accounts: a; choose one with --account NAME\)" --import msmtprc
refused 64 '--import takes no recipients' --import msmtprc --account a rcpt@example.org

# A set-group-ID postern gives up its group before reading FILE: a file
# only that group can read is not shown (it would otherwise print a secret
# such as a nullmailer remotes file's password).
need runuser
cp "$POSTERN" sgid-postern
chgrp mail sgid-postern
chmod 2755 sgid-postern
printf 'smtp.example.org smtp --user=u --pass=group-secret\n' >remotes
chgrp mail remotes
chmod 0640 remotes
chmod 0755 "$CASE_DIR"
runuser -u nobody -- test -x "$CASE_DIR/sgid-postern" ||
    skip "nobody cannot reach $CASE_DIR"
expect_exit 78 runuser -u nobody -- "$CASE_DIR/sgid-postern" --import "$CASE_DIR/remotes"
expect_stderr_line 'remotes: Permission denied'
! grep -q group-secret "$CMD_OUT" || fail "the group's file was shown"
# The same binary run by root (real group root, not the file's) still reads it.
expect_exit 0 "$CASE_DIR/sgid-postern" --import "$CASE_DIR/remotes"
