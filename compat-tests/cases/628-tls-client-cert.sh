# 628: client-certificate authentication against a Postfix listener that
# requires one, and the session cache bound to the client certificate.
#
# server:  a Postfix listener this case adds on 127.0.0.1:(port base + 60)
#          (master.cf, removed when the case ends): STARTTLS required,
#          smtpd_tls_req_ccert = yes (a client certificate signed by the
#          test CA), AUTH offered, smtpd_tls_loglevel 2
# setup:   two client certificates (CN postern-client, postern-client-2)
#          signed by the test CA, made in the case directory
# command: postern -C VARIANT.ini a@example.org, [queue] enabled = no
# expect:  no client certificate: exit 75, nothing sent; with the first:
#          exit 0, delivered, Postfix logs a trusted client certificate
#          (CN postern-client); again: resumed ("Reusing old session"),
#          exit 0; with the second certificate: a full handshake (the
#          cache is bound to the client certificate), exit 0, and Postfix
#          names CN postern-client-2; a certificate whose key does not
#          match: exit 78 (a configuration error, queue off) before
#          anything is sent.
need postconf postfix openssl

PORT_CC=$(( ${POSTERN_TEST_PORT_BASE:-25580} + 60 ))
SVC="127.0.0.1:$PORT_CC/inet"
cc_restore() {
	postconf -c "$POSTFIX_CONFIG_DIR" -MX "$SVC" 2>/dev/null || true
	postfix -c "$POSTFIX_CONFIG_DIR" reload >/dev/null 2>&1 || true
}
trap cc_restore EXIT
postconf -c "$POSTFIX_CONFIG_DIR" -M "$SVC=127.0.0.1:$PORT_CC inet n - n - - smtpd"
for o in syslog_name=postfix/ccert smtpd_tls_security_level=encrypt \
    smtpd_tls_ask_ccert=yes smtpd_tls_req_ccert=yes "smtpd_tls_CAfile=$TEST_CA" \
    smtpd_tls_loglevel=2 smtpd_sasl_auth_enable=yes smtpd_tls_auth_only=yes; do
	postconf -c "$POSTFIX_CONFIG_DIR" -P "$SVC/$o"
done
postfix -c "$POSTFIX_CONFIG_DIR" reload >/dev/null 2>&1 || fail "postfix reload failed"
for ((i = 0; i < 100; i++)); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT_CC") 2>/dev/null && break
	sleep 0.1
done
[ "$i" -lt 100 ] || fail "the client-certificate listener did not come up on $PORT_CC"

. "$TOP/compat-tests/lib/certs.sh"
client_cert c1 postern-client
client_cert c2 postern-client-2

v() { conf_variant "$1" starttls "smarthost.port=$PORT_CC" queue.enabled=no \
    "queue.dir=$CASE_DIR/q" "${@:2}"; }
mkdir -p -m 0700 "$CASE_DIR/q"
send() {	# send EXIT CONF
	log_mark
	printf 'Subject: s628\n\nbody\n' | expect_exit "$1" postern -C "$2" a@example.org
}
reused() { postfix_log_since_mark | grep -c 'postfix/ccert/smtpd\[[0-9]*\]: .*Reusing old session' || true; }

send 75 "$(v none)"
expect_stderr_line
expect_no_transaction

c1=$(v c1 "smarthost.tls_client_cert=$CASE_DIR/c1.pem" "smarthost.tls_client_key=$CASE_DIR/c1.key")
send 0 "$c1"
log_wait 'postfix/ccert/smtpd\[[0-9]*\]: Trusted TLS connection established' >/dev/null
log_wait 'postfix/ccert/smtpd\[[0-9]*\]: .*CN=postern-client[,/ ]|subject_CN=postern-client,' >/dev/null
smtpd_sessions >/dev/null
[ "$(reused)" = 0 ] || fail "the first connection resumed a session"
send 0 "$c1"
smtpd_sessions >/dev/null
[ "$(reused)" -gt 0 ] || fail "the second connection with the same certificate did not resume"

send 0 "$(v c2 "smarthost.tls_client_cert=$CASE_DIR/c2.pem" "smarthost.tls_client_key=$CASE_DIR/c2.key")"
smtpd_sessions >/dev/null
[ "$(reused)" = 0 ] || fail "a session made with another client certificate was reused"
log_wait 'postfix/ccert/smtpd\[[0-9]*\]: .*postern-client-2' >/dev/null
maildir_wait 3
maildir_clear

send 78 "$(v mismatch "smarthost.tls_client_cert=$CASE_DIR/c1.pem" "smarthost.tls_client_key=$CASE_DIR/c2.key")"
expect_stderr_line 'client certificate'
expect_no_transaction
