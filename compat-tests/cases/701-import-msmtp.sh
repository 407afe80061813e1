# 701: an msmtprc converted by --import delivers through the smarthost.
#
# server:  Postfix, STARTTLS + AUTH required ($PORT_STARTTLS); the
#          self-signed listener ($PORT_SELFSIGNED) for the weakening check
# source:  /etc/msmtprc-style file with defaults, two accounts, inheritance
#          (account default : work), tls on, tls_trust_file = the test CA,
#          auth on, passwordeval "cat PASSWORD_FILE", from, aliases; and an
#          account "lax" with tls_certcheck off
# command: postern --import msmtprc > imported.ini; the saved file as is
#          with -bp; then (queue dir and syslog set for the test) -t -i
# expect:  exit 0; imported.ini has the carried-over lines and a comment
#          naming proxy_host's line; the message reaches the alias target
#          with AUTH as postern over STARTTLS; real msmtp delivers with the
#          same file too; --account lax keeps tls_verify = yes with a comment
#          and then refuses the self-signed server (75, nothing delivered).
. "$TOP/compat-tests/lib/import.sh"

printf 'root: admin@example.org\n' >aliases
cat >msmtprc <<EOF2
# msmtp system configuration
defaults
auth on
tls on
tls_trust_file $TEST_CA
timeout 10

account work
host localhost
port $PORT_STARTTLS
from root@example.org
user $SASL_USER
passwordeval "cat $PASSWORD_FILE"
proxy_port 1080

account default : work
aliases $CASE_DIR/aliases

account lax : work
port $PORT_SELFSIGNED
tls_trust_file
tls_certcheck off
EOF2
chmod 0600 msmtprc

import_save msmtprc
imported_line "host = localhost"
imported_line "port = $PORT_STARTTLS"
imported_line "tls = starttls"
imported_line "tls_ca_file = $TEST_CA"
imported_line "user = $SASL_USER"
imported_line "password_command = cat $PASSWORD_FILE"
imported_line "from = root@example.org"
imported_line "aliases_file = $CASE_DIR/aliases"
imported_has "^# msmtprc:14: proxy_port: postern does not connect through a SOCKS"
c=$(imported_ready)

printf 'To: root\nSubject: imported from msmtp\n\nbody\n' |
    expect_exit 0 postern -C "$c" -t -i
maildir_wait 1
m=$(msg_file_for admin@example.org)
[ "$(msg_body "$m")" = body ] || fail "body changed"
log_wait 'postfix/starttls/smtpd\[[0-9]+\]: .*sasl_username=postern$' >/dev/null

# The source itself works with msmtp (the conversion kept its meaning).
need msmtp
printf 'To: b@example.org\nSubject: msmtp\n\nbody\n' |
    expect_exit 0 msmtp -C msmtprc -t
maildir_wait 2

# A weakening setting is not carried over: verification stays on.
import_save msmtprc --account lax
imported_line "tls_verify = yes"
imported_has "^# msmtprc:[0-9]+: msmtp had certificate checks off"
c=$(imported_ready queue.enabled=no)
printf 'To: c@example.org\n\nbody\n' |
    expect_exit 75 postern -C "$c" -t -i
expect_stderr_line
[ "$(maildir_count)" = 2 ] || fail "delivered despite a self-signed certificate"
