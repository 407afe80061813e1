# 627: the system trust store (no tls_ca_file) is read through its hashed
# directory, never the whole bundle on a good connection, and trusts what
# SSL_CTX_set_default_verify_paths would.
#
# server:  Postfix starttls listener (cert for localhost by the test CA)
#          and wrongname listener (cert for wrong.example, same CA)
# setup:   private copies of /etc/ssl/certs, each bind-mounted over
#          /etc/ssl/certs in a private mount namespace (unshare -m) around
#          one postern run; the host's trust store is never changed:
#          linked   the test CA as a file with its c_rehash link (and a line
#                   in ca-certificates.crt), as update-ca-certificates does
#          bundle   the test CA appended to ca-certificates.crt only (what
#                   container recipes do), no link
#          nolinks  only ca-certificates.crt (with the CA): no hash links
#          none     the copy unchanged (the test CA is not trusted)
# command: postern -C sys.ini a@example.org (no tls_ca_file, session cache
#          off, [queue] enabled = no), under strace -e openat for linked
# expect:  linked: exit 0, ca-certificates.crt never opened; bundle: exit 0
#          (the bundle is read once the directory misses the issuer);
#          nolinks: exit 0; none: exit 75 "unable to get local issuer";
#          bundle with the wrong-name server: exit 75 "hostname mismatch"
#          (the second verification keeps every check).
need unshare strace

CERTS=/etc/ssl/certs
[ -f "$CERTS/ca-certificates.crt" ] || skip "no $CERTS/ca-certificates.crt"
hash=$(openssl x509 -hash -noout -in "$TEST_CA")
mk() {	# mk NAME: a copy of the system store
	rm -rf "${CASE_DIR:?}/$1"
	cp -a "$CERTS" "$CASE_DIR/$1"
}
mk linked
cp "$TEST_CA" "$CASE_DIR/linked/postern-test-ca.pem"
ln -s postern-test-ca.pem "$CASE_DIR/linked/$hash.0"
cat "$TEST_CA" >>"$CASE_DIR/linked/ca-certificates.crt"
mk bundle
cat "$TEST_CA" >>"$CASE_DIR/bundle/ca-certificates.crt"
mkdir -p "$CASE_DIR/nolinks"
cat "$CERTS/ca-certificates.crt" "$TEST_CA" >"$CASE_DIR/nolinks/ca-certificates.crt"
mk none
[ ! -e "$CASE_DIR/bundle/$hash.0" ] || fail "the system store already has the test CA's hash"

sys() {	# sys DIR ARGS...: postern with DIR as /etc/ssl/certs
	local d=$1
	shift
	unshare -m /bin/sh -c 'mount --bind "$1" /etc/ssl/certs && shift && exec "$@"' \
	    sh "$CASE_DIR/$d" "$@"
}
conf=$(conf_variant sys starttls -smarthost.tls_ca_file smarthost.tls_session_cache=no \
    queue.enabled=no "queue.dir=$CASE_DIR/q")
send() {	# send EXIT DIR [CONF]
	log_mark
	printf 'Subject: s627\n\nbody\n' | expect_exit "$1" sys "$2" "$POSTERN" -C "${3:-$conf}" a@example.org
}

log_mark
printf 'Subject: s627\n\nbody\n' | expect_exit 0 sys linked strace -f -qq -e trace=openat \
    -o "$CASE_DIR/strace.out" "$POSTERN" -C "$conf" a@example.org
grep -q "$hash.0" "$CASE_DIR/strace.out" || fail "the hashed lookup did not open $hash.0"
! grep -q 'ca-certificates.crt' "$CASE_DIR/strace.out" ||
    fail "the bundle was read on a good connection: $(grep ca-certificates.crt "$CASE_DIR/strace.out")"
maildir_wait 1
maildir_clear

send 0 bundle
maildir_wait 1
maildir_clear
send 0 nolinks
maildir_wait 1
maildir_clear
send 75 none
expect_stderr_line 'unable to get local issuer'
expect_no_transaction

wn=$(conf_variant sysw wrongname -smarthost.tls_ca_file smarthost.tls_session_cache=no \
    queue.enabled=no "queue.dir=$CASE_DIR/q")
send 75 bundle "$wn"
expect_stderr_line 'hostname mismatch'
expect_no_transaction
send 75 linked "$wn"
expect_stderr_line 'hostname mismatch'
expect_no_transaction
