# 413: -bv checks the configuration, connects, shows the TLS session and
# certificate, authenticates, and verifies each recipient with MAIL/RCPT/RSET.
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS); local parts "reject*"
#          get 550, "tempfail*" get 450
# command: postern -C starttls.ini -bv ok@example.org root   (bare name)
#          postern -C starttls.ini -bv ok@example.org reject1@example.org
#          postern -C starttls.ini -bv tempfail1@example.org
#          postern -C wrongname.ini -bv ok@example.org
# expect:  a report naming the relay, TLSv1.x, the certificate subject and
#          issuer, the SHA-256 fingerprint, the AUTH mechanism, and one line
#          per recipient (root qualified to root@example.org); exit 0 when all
#          are accepted, 67 when one is refused, 75 when one is deferred, 75
#          for an untrusted certificate (no AUTH sent); nothing is delivered.

expect_exit 0 postern -C "$CONF/starttls.ini" -bv ok@example.org root
expect_stdout "^relay: +localhost\\[127\\.0\\.0\\.1\\]:$PORT_STARTTLS$"
expect_stdout '^tls: +TLSv1\.[23] .*chain and name verified'
expect_stdout '^certificate: .*CN = localhost'
expect_stdout '^issuer: .*postern test CA'
expect_stdout '^fingerprint: sha256:([0-9A-F]{2}:){31}[0-9A-F]{2}$'
expect_stdout '^auth: +PLAIN$'
expect_stdout '^recipient: +<ok@example\.org>: ok 250'
expect_stdout '^recipient: +<root@example\.org>: ok 250'

expect_exit 67 postern -C "$CONF/starttls.ini" -bv ok@example.org reject1@example.org
expect_stdout '^recipient: +<reject1@example\.org>: REFUSED 550'
expect_stderr_line 'refused'

expect_exit 75 postern -C "$CONF/starttls.ini" -bv tempfail1@example.org
expect_stdout '^recipient: +<tempfail1@example\.org>: TEMPORARY 450'

log_mark
expect_exit 75 postern -C "$CONF/wrongname.ini" -bv ok@example.org
expect_stdout '^connection: +FAILED: .*certificate'
! postfix_log_since_mark | grep -q 'sasl_method=' || fail "AUTH was sent to an untrusted server"

sleep 0.3
[ "$(maildir_count)" = 0 ] || fail "-bv delivered $(maildir_count) message(s)"
