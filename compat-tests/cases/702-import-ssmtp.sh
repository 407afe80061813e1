# 702: an ssmtp.conf (with revaliases) converted by --import delivers.
#
# server:  Postfix, implicit TLS + AUTH required ($PORT_IMPLICIT)
# source:  ssmtp.conf as Debian's postinst writes it plus UseTLS,
#          AuthUser/AuthPass, root=, rewriteDomain; revaliases beside it
# command: postern --import ssmtp.conf > imported.ini; the user then sets
#          tls_ca_file to the test CA (the comment says to: ssmtp never
#          verified certificates, postern does); -t -i
# expect:  exit 0; tls = implicit, tls_verify = yes with the comment, the
#          inline password with the password_file advice, root alias,
#          domain; the revaliases line is named; "To: root" reaches the
#          Root address with AUTH over TLS.
. "$TOP/compat-tests/lib/import.sh"

mkdir -p etc/ssmtp
cat >etc/ssmtp/ssmtp.conf <<EOF2
#
# Config file for sSMTP sendmail
#
# The person who gets all mail for userids < 1000
# Make this empty to disable rewriting.
root=postmaster@example.org

# The place where the mail goes. The actual machine name is required no
# MX records are consulted. Commonly mailhosts are named mail.domain.com
mailhub=localhost:$PORT_IMPLICIT

# Where will the mail seem to come from?
rewriteDomain=example.org

# The full hostname
hostname=client.example.org

# Are users allowed to set their own From: address?
FromLineOverride=YES
UseTLS=YES
AuthUser=$SASL_USER
AuthPass=$SASL_PASSWORD
EOF2
printf '# sSMTP aliases\nwww-data:web@example.org\n' >etc/ssmtp/revaliases
chmod 0640 etc/ssmtp/ssmtp.conf

import_save etc/ssmtp/ssmtp.conf
imported_line "host = localhost"
imported_line "port = $PORT_IMPLICIT"
imported_line "tls = implicit"
imported_line "tls_verify = yes"
imported_line "user = $SASL_USER"
imported_line "password = $SASL_PASSWORD"
imported_line "domain = example.org"
imported_line "root = postmaster@example.org"
imported_has "ssmtp never verified the server certificate"
imported_has "password_file = PATH"
imported_has "^# etc/ssmtp/revaliases:2: www-data sends as web@example.org"
[ "$(grep -c -- "$SASL_PASSWORD" imported.ini)" = 1 ] ||
    fail "the password appears outside its own line"

c=$(imported_ready "smarthost.tls_ca_file=$TEST_CA")
printf 'To: root\nSubject: imported from ssmtp\n\nbody\n' |
    expect_exit 0 postern -C "$c" -t -i
maildir_wait 1
m=$(msg_file_for postmaster@example.org)
expect_header "$m" To 'root@example\.org'
log_wait 'postfix/implicit/smtpd\[[0-9]+\]: .*sasl_username=postern$' >/dev/null

# Without the CA the verification that ssmtp skipped fails: nothing sent.
c=$(imported_ready queue.enabled=no)
printf 'To: x@example.org\n\nbody\n' | expect_exit 75 postern -C "$c" -t -i
[ "$(maildir_count)" = 1 ] || fail "delivered without verifying the certificate"
