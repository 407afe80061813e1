# 832: a client certificate against Dovecot, which requires a valid one
# before it lets anyone authenticate.
#
# server:  Dovecot's submission service (lib/dovecot.sh) with
#          ssl_verify_client_cert = yes, ssl_ca = the test CA,
#          ssl_require_crl = no, auth_ssl_require_client_cert = yes
# setup:   a client certificate signed by the test CA (c1) and one signed
#          by another CA (c3)
# command: postern -C VARIANT.ini a@example.org (auth = plain), [queue]
#          enabled = no
# expect:  with c1 and the password: exit 0, Dovecot logs the login, the
#          message arrives; without a certificate, and with c3: exit 75
#          (AUTH refused: a temporary failure, queue off), one line
#          "postern: authentication as postern (PLAIN) failed: 535 5.7.8
#          Client didn't present valid SSL certificate", nothing relayed.
need openssl
. "$TOP/compat-tests/lib/dovecot.sh"

. "$TOP/compat-tests/lib/certs.sh"
client_cert c1 postern-client
other_ca
client_cert c3 postern-client "$CASE_DIR/other-ca.pem" "$CASE_DIR/other-ca.key"

DOVECOT_EXTRA="ssl_ca = <$TLS_DIR/ca.pem
	ssl_verify_client_cert = yes
	ssl_require_crl = no
	auth_ssl_require_client_cert = yes" dovecot_start

cert() { dovecot_conf "$1" smarthost.auth=plain \
    "smarthost.tls_client_cert=$CASE_DIR/$1.pem" "smarthost.tls_client_key=$CASE_DIR/$1.key"; }
send() {	# send EXIT CONF
	dovecot_log_mark
	printf 'Subject: s832\n\nbody\n' | expect_exit "$1" postern -C "$2" a@example.org
}

send 0 "$(cert c1)"
dovecot_log_wait "Login: user=<$SASL_USER>, method=PLAIN," >/dev/null
dovecot_log_wait "Successfully relayed message" >/dev/null
maildir_wait 1

send 75 "$(dovecot_conf none smarthost.auth=plain)"
expect_stderr_line "authentication as $SASL_USER \\(PLAIN\\) failed: 535 "
dovecot_log_wait "[Cc]lient didn't present valid SSL certificate|valid client certificate" >/dev/null
dovecot_log | grep -q "Successfully relayed" && fail "relayed without a client certificate"

send 75 "$(cert c3)"
expect_stderr_line "authentication as $SASL_USER \\(PLAIN\\) failed: 535 .*valid SSL certificate"
dovecot_log | grep -q "Successfully relayed" && fail "relayed with an untrusted client certificate"
maildir_wait 1
