# 905: a DKIM key that cannot be used stops postern before anything is
# sent: exit 78, one stderr line naming the key file.
#
# server:  Postfix, STARTTLS + AUTH ($PORT_STARTTLS)
# command: postern -C bad.ini -t, postern -C bad.ini -bs, with key_file:
#          missing, a 1024-bit RSA key, an EC P-256 key, not a key, a
#          symbolic link; and [dkim] with domain but no selector.  The key
#          file is checked like password_file: a private set-gid copy of
#          postern (as in 811; SYSCONFDIR = this case's etc/) run by an
#          unprivileged uid, with key_file root-owned 0644, then 0640
#          root:GROUP; and the unprivileged postern -C with a 0644 key
#          (a container's secret mount)
# expect:  exit 78 each, exactly one stderr line "postern: KEYFILE: ..."
#          with the reason; Postfix saw no transaction, nothing arrived,
#          the queue holds nothing.  -bs says nothing on stdout (no 220).
#          The set-gid run: 0644 exits 78 "accessible by others", 0640
#          exits 0.  Unprivileged, 0644 is accepted.  Both messages that
#          went arrive signed and verify (python3-dkim, opendkim-testmsg).

. "$TOP/compat-tests/lib/dkim.sh"
need openssl setpriv
dkim_need
(umask 077
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out small.key 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key
echo 'not a key' >junk.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out open.key 2>/dev/null)
chmod 0644 open.key
ln -sf "$CASE_DIR/open.key" link.key
chmod 0600 open.key

check() {
	local key=$1 why=$2 conf
	conf=$(conf_variant "bad-${key##*/}" starttls dkim.domain=example.org \
	    dkim.selector=s "dkim.key_file=$key" "queue.dir=$CASE_DIR/q")
	printf 'To: a@example.org\nSubject: s\n\nbody\n' |
	    expect_exit 78 postern -C "$conf" -t
	expect_stderr_line "^postern: $key: .*$why"
	printf 'EHLO x\r\nQUIT\r\n' | expect_exit 78 postern -C "$conf" -bs
	expect_stderr_line "^postern: $key: .*$why"
	[ ! -s "$CMD_OUT" ] || fail "-bs answered: $(head -c 100 "$CMD_OUT")"
}
check "$CASE_DIR/missing.key" 'No such file'
check "$CASE_DIR/small.key" 'RSA key of 1024 bits; DKIM needs 2048 or more'
check "$CASE_DIR/ec.key" 'neither an RSA nor an Ed25519 key'
check "$CASE_DIR/junk.key" 'not an unencrypted PEM private key'
check "$CASE_DIR/link.key" 'symbolic link'
sleep 0.2
! postfix_log_since_mark | grep -q '/smtpd\[[0-9]*\]: connect from' ||
    fail "a session reached Postfix: $(postfix_log_since_mark | grep -m1 'connect from')"
[ "$(maildir_count)" = 0 ] || fail "$(maildir_count) message(s) delivered"
[ ! -d q/q ] || [ "$(find q/q -type f | wc -l)" = 0 ] || fail "something was queued"

conf=$(conf_variant half starttls dkim.domain=example.org "dkim.key_file=$CASE_DIR/open.key")
printf 'To: a@example.org\n\nbody\n' | expect_exit 78 postern -C "$conf" -t
expect_stderr_line 'half\.ini:[0-9]+: \[dkim\] signs only with domain, selector and key_file all set'

# --- checked like password_file: others may read it only when postern is
#     not privileged.  A set-gid copy run by an unprivileged uid refuses a
#     0644 key and takes a 0640 root:GROUP one.
. "$TOP/compat-tests/lib/setgid.sh"
etc=$CASE_DIR/etc
bin=$CASE_DIR/sbin/postern
grp=$SETGID_GROUP
rm -rf "$etc" "$CASE_DIR/sbin"
install -d -m 0755 "$etc" "$CASE_DIR/sbin"
setgid_build "$etc" "$bin"
dkim_keys
install -o root -g "$grp" -m 0640 "$CONF/password" "$etc/password"
install -o root -g root -m 0644 "$TEST_CA" "$etc/ca.pem"
install -o root -g root -m 0644 "$CASE_DIR/ed.key" "$etc/ed.key"
install -d -o root -g "$grp" -m 2770 "$etc/q" "$etc/q/tmp" "$etc/q/q" \
    "$etc/q/failed"
cat >"$etc/postern.ini" <<INI
[smarthost]
host = localhost
port = $PORT_STARTTLS
tls = starttls
tls_ca_file = $etc/ca.pem
user = $SASL_USER
password_file = $etc/password

[sender]
domain = example.org

[queue]
dir = $etc/q

[log]
syslog = no

[dkim]
domain = example.org
selector = ed
key_file = $etc/ed.key
INI
chown "root:$grp" "$etc/postern.ini"
chmod 0640 "$etc/postern.ini"
user() { setpriv --reuid=60905 --regid=60905 --clear-groups "$@"; }
printf 'From: u@example.org\nTo: setgid@example.org\nSubject: s\n\nbody\n' |
    expect_exit 78 user "$bin" -t
expect_stderr_line "^postern: $etc/ed.key: holds a private key but is accessible by others \(mode 0644; chmod o-rwx\)"
[ "$(maildir_count)" = 0 ] || fail "the set-gid run sent with a 0644 key"
chgrp "$grp" "$etc/ed.key"
chmod 0640 "$etc/ed.key"
printf 'From: u@example.org\nTo: setgid@example.org\nSubject: s\n\nbody\n' |
    expect_exit 0 user "$bin" -t
# Unprivileged (no set-id), a 0644 key is what a container mounts.
chmod 0644 "$CASE_DIR/rsa.key"
conf=$(dkim_conf world starttls rsa relaxed/relaxed)
printf 'To: world@example.org\nSubject: s\n\nbody\n' |
    expect_exit 0 postern -C "$conf" -t
maildir_wait 2
dkim_verify "$(msg_file_for setgid@example.org)" "$(msg_file_for world@example.org)"
