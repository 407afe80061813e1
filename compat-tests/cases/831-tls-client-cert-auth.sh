# 831: client-certificate authentication: the certificate is the only
# credential, against a Postfix listener that requires one and relays for
# the certificates it lists (no SASL at all).
#
# server:  a Postfix listener this case adds on 127.0.0.1:(port base + 62)
#          (removed when the case ends): STARTTLS required,
#          smtpd_tls_ask_ccert = yes, smtpd_tls_req_ccert = yes (signed by
#          the test CA), no AUTH offered, smtpd_relay_restrictions =
#          permit_tls_clientcerts, reject, relay_clientcerts = the SHA-256
#          fingerprint of the first client certificate only
# setup:   client certificates c1 (CN postern-relay, listed) and c2 (CN
#          postern-unlisted, same CA, not listed), and c3 signed by a CA the
#          server does not trust
# command: postern -C VARIANT.ini a@example.org (no user, so no AUTH),
#          [queue] enabled = no
# expect:  c1: exit 0, delivered, Postfix logs the trusted client
#          certificate and no sasl_method; no certificate: exit 75, one line
#          naming the server's refusal (421 4.7.1 ... client certificate),
#          nothing sent; c3 (untrusted issuer): exit 75, the same; c2
#          (trusted but not listed): the recipient is refused (554 5.7.1
#          Access denied), exit 69 with one line, nothing delivered.
need postconf postfix openssl

PORT_CA=$(( ${POSTERN_TEST_PORT_BASE:-25580} + 62 ))
SVC="127.0.0.1:$PORT_CA/inet"
ca_restore() {
	postconf -c "$POSTFIX_CONFIG_DIR" -MX "$SVC" 2>/dev/null || true
	postfix -c "$POSTFIX_CONFIG_DIR" reload >/dev/null 2>&1 || true
}
trap ca_restore EXIT
trap 'exit 143' TERM INT

. "$TOP/compat-tests/lib/certs.sh"
client_cert c1 postern-relay
client_cert c2 postern-unlisted
other_ca
client_cert c3 postern-relay "$CASE_DIR/other-ca.pem" "$CASE_DIR/other-ca.key"

fp=$(openssl x509 -in "$CASE_DIR/c1.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
printf '%s postern-relay\n' "$fp" >"$CASE_DIR/relay_clientcerts"
chmod 0644 "$CASE_DIR/relay_clientcerts"
chmod 0755 "$CASE_DIR"

postconf -c "$POSTFIX_CONFIG_DIR" -M "$SVC=127.0.0.1:$PORT_CA inet n - n - - smtpd"
for o in syslog_name=postfix/ccauth smtpd_tls_security_level=encrypt \
    smtpd_tls_ask_ccert=yes smtpd_tls_req_ccert=yes "smtpd_tls_CAfile=$TEST_CA" \
    smtpd_tls_fingerprint_digest=sha256 \
    "relay_clientcerts=texthash:$CASE_DIR/relay_clientcerts" \
    smtpd_sasl_auth_enable=no \
    smtpd_relay_restrictions=permit_tls_clientcerts,reject; do
	postconf -c "$POSTFIX_CONFIG_DIR" -P "$SVC/$o"
done
postfix -c "$POSTFIX_CONFIG_DIR" reload >/dev/null 2>&1 || fail "postfix reload failed"
for ((i = 0; i < 100; i++)); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT_CA") 2>/dev/null && break
	sleep 0.1
done
[ "$i" -lt 100 ] || fail "the client-certificate listener did not come up on $PORT_CA"

mkdir -p -m 0700 "$CASE_DIR/q"
v() { conf_variant "$1" starttls "smarthost.port=$PORT_CA" queue.enabled=no \
    "queue.dir=$CASE_DIR/q" -smarthost.user -smarthost.password_file "${@:2}"; }
cert() { v "$1" "smarthost.tls_client_cert=$CASE_DIR/$1.pem" \
    "smarthost.tls_client_key=$CASE_DIR/$1.key"; }
send() {	# send EXIT CONF [-v]
	log_mark
	printf 'Subject: s831\n\nbody\n' | expect_exit "$1" postern ${3:+"$3"} -C "$2" a@example.org
}

send 0 "$(cert c1)" -v
grep -q '^> AUTH' "$CMD_ERR" && fail "postern sent AUTH"
log_wait 'postfix/ccauth/smtpd\[[0-9]*\]: Trusted TLS connection established' >/dev/null
s=$(smtpd_sessions)
printf '%s\n' "$s" | grep -q ' auth=' && fail "AUTH was used: $s"
printf '%s\n' "$s" | grep -Eq ' mail=1 rcpt=1 (data|bdat)=1' || fail "no transaction: $s"
postfix_log_since_mark | grep -q 'sasl_method=' && fail "Postfix logged a SASL login"
maildir_wait 1
maildir_clear

send 75 "$(v none)"
expect_stderr_line '421 4\.7\.1 .*[Cc]lient certificate'
expect_no_transaction

send 75 "$(cert c3)"
expect_stderr_line '421 4\.7\.1 .*[Cc]lient certificate'
expect_no_transaction

send 69 "$(cert c2)"
expect_stderr_line '<a@example.org> refused: 554 5\.7\.1 .*Access denied'
log_wait 'NOQUEUE: reject: RCPT .*Access denied' >/dev/null
maildir_wait 0
