# 703: a dma.conf (with its auth.conf) converted by --import delivers.
#
# server:  Postfix, STARTTLS + AUTH required ($PORT_STARTTLS)
# source:  dma.conf: SMARTHOST, PORT, SECURETRANSFER, STARTTLS, AUTHPATH,
#          FINGERPRINT (SHA-256 of the server certificate, no VERIFYCERT),
#          MAILNAME, MASQUERADE user@, INSECURE; auth.conf with a line for
#          another host and one for the smarthost
# command: postern --import dma.conf > imported.ini; -t -i (no fix-up but
#          the test queue: the pin is the check, as it was for dma)
# expect:  exit 0; tls_fingerprint + tls_verify = no, user/password from
#          auth.conf:3, from = sender@example.org, INSECURE named as not
#          carried over; the message arrives with that envelope sender.
#          The same file without FINGERPRINT keeps tls_verify = yes with a
#          comment and is refused by the server's unknown CA (75).
. "$TOP/compat-tests/lib/import.sh"

fp=$(openssl x509 -in "$TLS_DIR/localhost.pem" -noout -fingerprint -sha256 |
    sed 's/^.*=//; s/://g')
[ ${#fp} = 64 ] || fail "test bug: fingerprint '$fp'"
printf 'example.org\n' >mailname
cat >auth.conf <<EOF2
# SMTP authentication entries
# Format: user|my.smarthost.example.com:password
other|mail.example.net:not-this-one
$SASL_USER|localhost:$SASL_PASSWORD
EOF2
chmod 0640 auth.conf
cat >dma.conf <<EOF2
# Your smarthost (also called relayhost).
SMARTHOST localhost
PORT $PORT_STARTTLS
AUTHPATH $CASE_DIR/auth.conf
SECURETRANSFER
STARTTLS
FINGERPRINT $fp
INSECURE
MAILNAME $CASE_DIR/mailname
MASQUERADE sender@
NULLCLIENT
EOF2

import_save dma.conf
imported_line "tls = starttls"
imported_line "tls_verify = no"
imported_line "user = $SASL_USER"
imported_line "password = $SASL_PASSWORD"
imported_line "from = sender@example.org"
imported_line "domain = example.org"
grep -qi "^tls_fingerprint = sha256:$(printf '%s' "$fp" | sed 's/../&:/g; s/:$//')\$" imported.ini ||
    fail "no tls_fingerprint line for $fp"
imported_comment "$CASE_DIR/auth\.conf:3: for host mail\.example\.net, not the SMARTHOST"
imported_has "^# dma.conf:8: INSECURE: postern never sends credentials without TLS"
! grep -q not-this-one imported.ini || fail "another host's password carried over"

c=$(imported_ready)
printf 'To: d@example.net\nSubject: imported from dma\n\nbody\n' |
    expect_exit 0 postern -C "$c" -t -i
maildir_wait 1
log_wait 'from=<sender@example\.org>' >/dev/null
log_wait 'postfix/starttls/smtpd\[[0-9]+\]: .*sasl_username=postern$' >/dev/null

# dma 0.13 did not verify without a pin: postern does, and says so.
sed -i '/^FINGERPRINT/d' dma.conf
import_save dma.conf
imported_line "tls_verify = yes"
imported_has "dma did not verify the server certificate"
c=$(imported_ready queue.enabled=no)
printf 'To: e@example.net\n\nbody\n' | expect_exit 75 postern -C "$c" -t -i
[ "$(maildir_count)" = 1 ] || fail "delivered to an unverified server"
