# 622: a changed TLS setting never reuses a cached session.
#
# server:  Postfix starttls listener, smtpd_tls_loglevel 2 (lib/tlscache.sh)
# command: postern -C VARIANT.ini a@example.org with one queue directory
#          (so one cache file) and, in turn: the CA file (a copy in the
#          case directory), the same again, the CA file touched (new
#          mtime), a chmod of it (new ctime), tls_fingerprint added (the
#          right pin), tls_min_version = 1.3, tls_verify = no + the pin,
#          and finally a CA file that does not hold the server's CA
# expect:  each changed setting: Postfix sees a full handshake and the
#          message is delivered; the unchanged second run resumes (so the
#          check can fail); the wrong CA: exit 75 "not trusted", no
#          resumption, nothing sent (queue off), and the cached session of
#          the earlier settings is still not used by it.
. "$TOP/compat-tests/lib/tlscache.sh"
tc_setup

cp "$TEST_CA" "$CASE_DIR/ca.pem"
pin=$(openssl x509 -in "$TLS_DIR/localhost.pem" -noout -fingerprint -sha256 | sed 's/^[^=]*=/sha256:/')
base() { tc_conf "$1" "smarthost.tls_ca_file=$CASE_DIR/ca.pem" "${@:2}"; }

c=$(base a)
tc_send "$c" full
tc_send "$c" resumed
touch -d '-1 hour' "$CASE_DIR/ca.pem"
tc_send "$c" full
tc_send "$c" resumed
chmod 0604 "$CASE_DIR/ca.pem"
tc_send "$c" full
tc_send "$c" resumed
tc_send "$(base pin "smarthost.tls_fingerprint=$pin")" full
tc_send "$(base v13 smarthost.tls_min_version=1.3)" full
tc_send "$(base pinonly smarthost.tls_verify=no "smarthost.tls_fingerprint=$pin")" full
tc_send "$(base pinonly2 smarthost.tls_verify=no "smarthost.tls_fingerprint=$pin")" resumed
# Back to the first settings: the file now holds the pin-only session.
tc_send "$c" full
maildir_wait 11
maildir_clear

# A CA that did not sign the server's certificate: the cached session
# (made under the good CA) must not carry the connection through.
wrong=$(base wrong "smarthost.tls_ca_file=$TLS_DIR/selfsigned.pem" queue.enabled=no)
[ -f "$TLS_DIR/selfsigned.pem" ] || skip "no selfsigned.pem in $TLS_DIR"
log_mark
printf 'Subject: s622-wrong\n\nbody\n' | expect_exit 75 postern -C "$wrong" a@example.org
expect_stderr_line 'not trusted'
expect_no_transaction
! postfix_log_since_mark | grep -q 'Reusing old session' || fail "resumed with a changed CA file"
