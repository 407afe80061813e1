# 625: "a pin is enough" (SPEC 0.2): tls_fingerprint without a tls_verify
# line is the only check; tls_verify = yes written out adds chain and name.
#
# server:  Postfix, STARTTLS + SASL, self-signed cert for localhost
#          ($PORT_SELFSIGNED) and a CA-signed cert for wrong.example
#          ($PORT_WRONGNAME)
# command: postern -C VARIANT.ini a@example.org, [queue] enabled = no
# expect:  self-signed, no pin: exit 75, the one stderr line names the fix
#          with the server's own pin ("tls_fingerprint = sha256:..."), no
#          AUTH; the pin alone: exit 0, delivered; the pin and tls_verify =
#          yes: exit 75 "not trusted"; a wrong pin alone: exit 75 "does not
#          match tls_fingerprint"; the wrong-name server with its pin alone:
#          exit 0 (the pin replaces the name check).

pin() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^[^=]*=/sha256:/'
}
self=$(pin "$TLS_DIR/selfsigned.pem")
wrongname=$(pin "$TLS_DIR/wrongname.pem")
wrong=$(pin "$TLS_DIR/localhost.pem")
[ "$self" != "$wrong" ] || fail "test certificates share a pin"

send() {	# send EXIT CONF
	log_mark
	printf 'Subject: s625\n\nbody\n' | expect_exit "$1" postern -C "$2" a@example.org
}
v() { conf_variant "$1" selfsigned "queue.dir=$CASE_DIR/q" "${@:2}"; }

send 75 "$(v nopin)"
expect_stderr_line 'self-signed'
grep -qF "tls_fingerprint = $self" "$CMD_ERR" ||
    fail "the error does not name the fix with the server's pin: $(cat "$CMD_ERR")"
expect_no_transaction

send 0 "$(v pinonly "smarthost.tls_fingerprint=$self")"
maildir_wait 1
maildir_clear

send 75 "$(v pinverify "smarthost.tls_fingerprint=$self" smarthost.tls_verify=yes)"
expect_stderr_line 'not trusted'
expect_no_transaction

send 75 "$(v wrongpin "smarthost.tls_fingerprint=$wrong")"
expect_stderr_line 'does not match tls_fingerprint'
expect_no_transaction

send 0 "$(conf_variant wn wrongname "queue.dir=$CASE_DIR/q" "smarthost.tls_fingerprint=$wrongname")"
maildir_wait 1
