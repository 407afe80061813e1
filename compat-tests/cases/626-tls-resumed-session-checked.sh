# 626: a resumed session is checked as a full handshake would be.  A cache
# file can be forged by whoever can write the queue directory (it is
# protected like queued mail, not signed): one that carries a session
# under the right binding but for a certificate that would fail a full
# handshake does not get through.
#
# server:  Postfix; smtpd_tls_loglevel 2 on the starttls and wrongname
#          listeners (lib/tlscache.sh); every listener of one Postfix shares
#          the ticket keys, so a ticket from one is resumed by another
# command: 1. postern to localhost:$PORT_STARTTLS with the CA file: a
#          session is cached;
#          2. sanity: compat-tests/data/tls-cache-forge.py re-binds that
#          session to its own settings: Postfix resumes it (the forger
#          computes postern's binding);
#          3. the session bound to host "other.test" (127.0.0.1 in a
#          private /etc/hosts, bind-mounted in a private mount namespace;
#          not a name in localhost.pem): postern -C other.ini, [queue]
#          enabled = no;
#          4. a session made with the wrong-name server's pin alone (its
#          verify result is not "ok"), bound to the starttls listener's
#          chain+name settings
# expect:  2: exit 0, "Reusing old session"; 3: Postfix resumes, postern
#          refuses: exit 75 "hostname mismatch (resumed session)", no AUTH
#          or MAIL, the file removed, and the next run fails the name check
#          in a full handshake; 4: Postfix resumes, postern refuses: exit 75
#          "not trusted", no transaction; then a full handshake delivers.
. "$TOP/compat-tests/lib/tlscache.sh"
tc_setup
need python3

FORGE=$TOP/compat-tests/data/tls-cache-forge.py
cp "$TEST_CA" "$CASE_DIR/ca.pem"
CA=$CASE_DIR/ca.pem
c=$(tc_conf c "smarthost.tls_ca_file=$CA")
f=$(tc_file)

# 1, 2
tc_send "$c" full
cp "$f" "$CASE_DIR/good"
python3 "$FORGE" "$CASE_DIR/good" "$f" localhost "$PORT_STARTTLS" 1 12 - "$CA"
tc_send "$c" resumed
maildir_wait 2
maildir_clear

# 3
need unshare
{ cat /etc/hosts; echo "127.0.0.1 other.test"; } >"$CASE_DIR/hosts"
other() {	# other ARGS...: postern with other.test resolving to 127.0.0.1
	unshare -m /bin/sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' \
	    sh "$CASE_DIR/hosts" "$POSTERN" "$@"
}
h=$(tc_conf other "smarthost.tls_ca_file=$CA" smarthost.host=other.test queue.enabled=no)
hf=$CASE_DIR/q/tls/session-other.test-$PORT_STARTTLS
python3 "$FORGE" "$CASE_DIR/good" "$hf" other.test "$PORT_STARTTLS" 1 12 - "$CA"
chmod 0640 "$hf"
log_mark
printf 'Subject: s626-3\n\nbody\n' | expect_exit 75 other -C "$h" a@example.org
expect_stderr_line 'hostname mismatch \(resumed session\)'
expect_no_transaction
postfix_log_since_mark | grep -q 'postfix/starttls/smtpd\[[0-9]*\]: .*Reusing old session' ||
    fail "Postfix did not resume the forged session, so the check was not exercised"
[ ! -e "$hf" ] || fail "the refused session is still cached"
log_mark
printf 'Subject: s626-3b\n\nbody\n' | expect_exit 75 other -C "$h" a@example.org
expect_stderr_line 'not trusted: hostname mismatch$'
expect_no_transaction

# 4
mkdir -p -m 0700 "$CASE_DIR/qwn"
pin=$(openssl x509 -in "$TLS_DIR/wrongname.pem" -noout -fingerprint -sha256 | sed 's/^[^=]*=/sha256:/')
wn=$(conf_variant wn wrongname "queue.dir=$CASE_DIR/qwn" "smarthost.tls_ca_file=$CA" \
    "smarthost.tls_fingerprint=$pin")
printf 'Subject: s626-4\n\nbody\n' | expect_exit 0 postern -C "$wn" a@example.org
[ -f "$CASE_DIR/qwn/tls/session-localhost-$PORT_WRONGNAME" ] || fail "no session cached for the wrong-name listener"
python3 "$FORGE" "$CASE_DIR/qwn/tls/session-localhost-$PORT_WRONGNAME" "$f" localhost "$PORT_STARTTLS" 1 12 - "$CA"
maildir_wait 1
maildir_clear
c75=$(tc_conf c75 "smarthost.tls_ca_file=$CA" queue.enabled=no)
log_mark
printf 'Subject: s626-4b\n\nbody\n' | expect_exit 75 postern -C "$c75" a@example.org
expect_stderr_line 'not trusted'
expect_no_transaction
postfix_log_since_mark | grep -q 'postfix/starttls/smtpd\[[0-9]*\]: .*Reusing old session' ||
    fail "Postfix did not resume the forged wrong-name session, so the check was not exercised"
[ ! -e "$f" ] || fail "the refused session is still cached"
tc_send "$c" full
maildir_wait 1
