# 905: a DKIM key that cannot be used stops postern before anything is
# sent: exit 78, one stderr line naming the key file.
#
# server:  Postfix, STARTTLS + AUTH ($PORT_STARTTLS)
# command: postern -C bad.ini -t, postern -C bad.ini -bs, with key_file:
#          missing, a 1024-bit RSA key, an EC P-256 key, not a key, an RSA
#          key readable by others (0644), a symbolic link; and [dkim] with
#          domain but no selector
# expect:  exit 78 each, exactly one stderr line "postern: KEYFILE: ..."
#          with the reason; Postfix saw no transaction, nothing arrived,
#          the queue holds nothing.  -bs says nothing on stdout (no 220).

. "$TOP/compat-tests/lib/dkim.sh"
need openssl
(umask 077
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out small.key 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key
echo 'not a key' >junk.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out open.key 2>/dev/null)
chmod 0644 open.key
ln -sf "$CASE_DIR/open.key" link.key
chmod 0600 open.key
cp open.key world.key
chmod 0644 world.key

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
check "$CASE_DIR/world.key" 'accessible by others \(mode 0644'
check "$CASE_DIR/link.key" 'symbolic link'
sleep 0.2
! postfix_log_since_mark | grep -q '/smtpd\[[0-9]*\]: connect from' ||
    fail "a session reached Postfix: $(postfix_log_since_mark | grep -m1 'connect from')"
[ "$(maildir_count)" = 0 ] || fail "$(maildir_count) message(s) delivered"
[ ! -d q/q ] || [ "$(find q/q -type f | wc -l)" = 0 ] || fail "something was queued"

conf=$(conf_variant half starttls dkim.domain=example.org "dkim.key_file=$CASE_DIR/open.key")
printf 'To: a@example.org\n\nbody\n' | expect_exit 78 postern -C "$conf" -t
expect_stderr_line 'half\.ini:[0-9]+: \[dkim\] signs only with domain, selector and key_file all set'
