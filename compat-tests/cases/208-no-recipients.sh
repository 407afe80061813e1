# 208: no recipients at all is a usage error.
#
# server:  none (postern must stop before connecting)
# command: postern -C starttls.ini -i        (no -t, no recipient arguments)
# input:   Subject: x / (blank) / b
# expect:  exit 64, one line "postern: ..." on stderr, nothing delivered.

printf 'Subject: x\n\nb\n' | expect_exit 64 postern -C "$CONF/starttls.ini" -i
expect_stderr_line
[ "$(maildir_count)" = 0 ] || fail "message delivered"
! postfix_log_since_mark | grep -q ': client=' || fail "a message reached Postfix"
