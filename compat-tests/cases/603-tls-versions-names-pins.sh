# 603: implicit TLS: protocol floor, IP-address certificates, fingerprint
#      pins.
#
# server:  data/fault-server.py DIR ok --tls implicit (Python ssl, one
#          session) with, in turn:
#            --tls-max 1.1  TLS 1.0/1.1 only (security level 0, so OpenSSL 3
#                           offers them at all)
#            --tls-max 1.2  TLS 1.2 only
#            --cert localhost   test-CA cert, SAN DNS:localhost IP:127.0.0.1
#            --bind 127.0.0.2   the same cert, reached as 127.0.0.2
#            --cert selfsigned  self-signed localhost cert (not CA-trusted)
# command: postern -C tls.ini a@example.org (plain.ini with tls = implicit,
#          tls_ca_file = $TEST_CA, host = 127.0.0.1 or 127.0.0.2,
#          timeout = 3, [queue] enabled = no), and variants
#          tls_min_version = 1.3; tls_verify = no + tls_fingerprint =
#          sha256:<the self-signed cert's pin> (right, or the localhost
#          cert's pin: wrong)
# input:   Subject: s603 / (blank) / body
# expect:  TLS 1.1-only server: exit 75, "protocol version", no MAIL.
#          TLS 1.2-only: exit 0 by default; exit 75 with tls_min_version =
#          1.3.  host = 127.0.0.1 against the IP-SAN cert: exit 0 (MAIL and
#          DATA arrive over TLS); host = 127.0.0.2: exit 75 "IP address
#          mismatch", nothing after the handshake.  Right pin with
#          tls_verify = no: exit 0 although the cert is self-signed; wrong
#          pin: exit 75 "does not match tls_fingerprint", nothing sent;
#          the self-signed cert without a pin: exit 75 "self-signed".
#          Every delivery: the whole decrypted transcript is EHLO MAIL RCPT
#          DATA QUIT and the payload, nothing else (transcript_is).

need python3 openssl

. "$TOP/compat-tests/lib/faults.sh"

# fault [OPTIONS]: an implicit-TLS server that accepts the message.
fault() { fault_start tls ok --tls implicit --tls-dir "$TLS_DIR" "$@"; }

tconf() {
	conf_variant "tls$FSN" plain "smarthost.port=$FPORT" smarthost.timeout=3 \
	    smarthost.tls=implicit "smarthost.tls_ca_file=$TEST_CA" \
	    queue.enabled=no "queue.dir=$CASE_DIR/qoff" "$@"
}

send() {
	printf 'Subject: s603\n\nbody\n' | expect_exit "$1" postern -C "$2" a@example.org
	fs_done
}

delivered() {
	grep -q '^MAIL FROM:' "$FS/cmds" 2>/dev/null && [ -e "$FS/data.1" ] ||
	    fail "$FSN: no message reached the server"
	transcript_is 'EHLO *|MAIL FROM:<u@example.org> SIZE=N|RCPT TO:<a@example.org>|DATA|QUIT'
}

nothing_sent() {
	! [ -s "$FS/cmds" ] || fail "$FSN: commands reached the server: $(tr '\n' '|' <"$FS/cmds")"
}

pin() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^[^=]*=/sha256:/'
}

# --- protocol floor
fault --tls-max 1.1
send 75 "$(tconf)"
expect_stderr_line 'protocol version|unsupported protocol|no protocols'
nothing_sent
fault --tls-max 1.2
send 0 "$(tconf)"
delivered
fault --tls-max 1.2
send 75 "$(tconf smarthost.tls_min_version=1.3)"
expect_stderr_line
nothing_sent

# --- an IP address as the host name: the IP SAN must match
fault
send 0 "$(tconf smarthost.host=127.0.0.1)"
delivered
fault --bind 127.0.0.2
send 75 "$(tconf smarthost.host=127.0.0.2)"
expect_stderr_line 'IP address mismatch'
nothing_sent

# --- fingerprint pins
right=$(pin "$TLS_DIR/selfsigned.pem")
wrong=$(pin "$TLS_DIR/localhost.pem")
[ ${#right} = 102 ] || fail "pin '$right' is not sha256:+32 octets"
fault --cert selfsigned
send 75 "$(tconf)"
expect_stderr_line 'self-signed'
nothing_sent
fault --cert selfsigned
send 0 "$(tconf smarthost.tls_verify=no "smarthost.tls_fingerprint=$right")"
delivered
fault --cert selfsigned
send 75 "$(tconf smarthost.tls_verify=no "smarthost.tls_fingerprint=$wrong")"
expect_stderr_line 'does not match tls_fingerprint'
nothing_sent
echo "603: TLS 1.1 refused, 1.2 vs min 1.3 refused, IP SAN, pins: as expected"
