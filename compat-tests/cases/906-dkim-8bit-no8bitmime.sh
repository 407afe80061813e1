# 906: a signed 8-bit message still verifies when the smarthost does not
# offer 8BITMIME: with signing on, postern makes an 8-bit text body
# quoted-printable when it spools the message, before it signs, so what
# it signed is what every server gets (RFC 6376 5.3).  Before that, the
# conversion for a 7-bit server happened after signing and broke the
# signature.
#
# server:  Postfix on $PORT_NO8BITMIME (plain, no AUTH,
#          smtpd_discard_ehlo_keywords = 8bitmime), and the STARTTLS
#          listener (8BITMIME offered)
# command: postern -C {rsa-relaxed,ed-simple}.ini -t; one message kept in
#          the queue with -odq and sent by -q; one through -bs
# input:   a text/plain 8bit body ("héllo wörld"), a body with 8-bit
#          octets and no MIME fields at all, and a 2,000-octet 8-bit line
#          (long line and 8-bit together)
# expect:  exit 0 each; every delivered message is 7-bit on the wire,
#          Content-Transfer-Encoding quoted-printable, decodes to the
#          input text, and python3-dkim and opendkim-testmsg accept it;
#          the Postfix log shows the no8bitmime listener took them.  The
#          same message to the 8BITMIME listener arrives the same way
#          (signed once, at spool time).  Unsigned (sign = from-domain,
#          From elsewhere) an 8-bit body to the 8BITMIME listener stays
#          8-bit.  A signed 8-bit multipart body (not convertible) to the
#          8BITMIME listener stays 8-bit and verifies.  An 8-bit Subject (not convertible) to the 7-bit
#          listener: exit 69, 5.6.3, nothing delivered.  Changing one
#          encoded octet makes both verifiers reject.

. "$TOP/compat-tests/lib/dkim.sh"
dkim_need
dkim_keys

[ -n "${PORT_NO8BITMIME:-}" ] || fail "the harness has no no8bitmime listener"
# The listener really hides 8BITMIME (the test can only fail if so).
ehlo=$(printf 'EHLO x\r\nQUIT\r\n' | timeout 5 "$PY3" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read()); s.shutdown(socket.SHUT_WR)
print(s.makefile("rb").read().decode())' "$PORT_NO8BITMIME")
case $ehlo in *8BITMIME*) fail "no8bitmime listener offers 8BITMIME: $ehlo" ;; esac
case $ehlo in *250*) ;; *) fail "no EHLO reply from $PORT_NO8BITMIME: $ehlo" ;; esac

long=$(head -c 2000 /dev/zero | tr '\0' 'x')
msg_mime() {
	printf 'To: %s\nSubject: 8bit mime\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\nh\303\251llo w\303\266rld\n\n  indented  line \n' "$1"
}
msg_bare() {
	printf 'To: %s\nSubject: 8bit bare\n\ncaf\303\251\n' "$1"
}
msg_long() {
	printf 'To: %s\nSubject: 8bit long\n\n\303\251%s\n' "$1" "$long"
}

# check_7bit FILE TEXT: all octets 7-bit, CTE quoted-printable, the body
# decodes to TEXT (ignoring the final line ends).
check_7bit() {
	"$PY3" - "$1" "$2" <<'PY' || fail "$1: not 7-bit quoted-printable: $(head -c 800 "$1")"
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
assert all(b < 128 for b in raw), "8-bit octet delivered"
m = email.message_from_bytes(raw, policy=email.policy.default)
assert m["Content-Transfer-Encoding"] == "quoted-printable", m["Content-Transfer-Encoding"]
want = sys.argv[2]
got = m.get_content().rstrip("\r\n")
assert got == want, (got, want)
PY
}

text_mime=$(printf 'h\303\251llo w\303\266rld\n\n  indented  line ')
text_bare=$(printf 'caf\303\251')
text_long=$(printf '\303\251%s' "$long")
files=()
for spec in rsa:relaxed/relaxed ed:simple/simple; do
	alg=${spec%%:*}
	canon=${spec#*:}
	c=${canon%%/*}
	conf=$(dkim_conf "$alg-$c" no8bitmime "$alg" "$canon" \
	    "queue.dir=$CASE_DIR/q")
	tls=$(dkim_conf "$alg-$c-tls" starttls "$alg" "$canon" \
	    "queue.dir=$CASE_DIR/q")
	for kind in mime bare long; do
		"msg_$kind" "$alg-$c-$kind@example.org" |
		    expect_exit 0 postern -C "$conf" -t
		"msg_$kind" "$alg-$c-$kind-tls@example.org" |
		    expect_exit 0 postern -C "$tls" -t
	done
	# A stay in the queue: the signed bytes are spooled once.
	msg_mime "$alg-$c-queued@example.org" |
	    expect_exit 0 postern -C "$conf" -odq -t
	expect_exit 0 postern -C "$conf" -q
	# -bs: the same spool path.
	{
		printf 'EHLO client\r\nMAIL FROM:<u@example.org>\r\n'
		printf 'RCPT TO:<%s-bs@example.org>\r\nDATA\r\n' "$alg-$c"
		msg_bare "$alg-$c-bs@example.org" | sed 's/$/\r/'
		printf '.\r\nQUIT\r\n'
	} | expect_exit 0 postern -C "$conf" -bs
	grep -q '^250 .*' "$CMD_OUT" || fail "-bs: $(cat "$CMD_OUT")"
done
maildir_wait 16
# First what went through the 7-bit listener: this failed before the fix.
for spec in rsa-relaxed ed-simple; do
	for kind in mime bare long queued bs; do
		files+=("$(msg_file_for "$spec-$kind@example.org")")
	done
done
dkim_verify "${files[@]}"
for spec in rsa-relaxed ed-simple; do
	for kind in mime bare long; do
		files+=("$(msg_file_for "$spec-$kind-tls@example.org")")
		v=text_$kind
		for where in "" -tls; do
			f=$(msg_file_for "$spec-$kind$where@example.org")
			check_7bit "$f" "${!v}"
			expect_header "$f" DKIM-Signature "d=example.org;"
		done
	done
	check_7bit "$(msg_file_for "$spec-queued@example.org")" "$text_mime"
	check_7bit "$(msg_file_for "$spec-bs@example.org")" "$text_bare"
done
dkim_verify "${files[@]}"
n=$(postfix_log_since_mark | grep -Ec 'postfix/no8bitmime/smtpd\[[0-9]*\]: disconnect from .* (data|bdat)=1' || true)
[ "$n" -ge 10 ] || fail "$n sessions with data through the no8bitmime listener"

# The test can fail: one encoded octet changed.
f=$(msg_file_for rsa-relaxed-mime@example.org)
sed 's/=C3=A9/=C3=A8/' "$f" >"$CASE_DIR/changed.eml"
cmp -s "$f" "$CASE_DIR/changed.eml" && fail "the body change changed nothing"
dkim_reject "$CASE_DIR/changed.eml"

# Not signed (From in another domain): 8-bit stays 8-bit where offered.
maildir_clear
conf=$(dkim_conf unsigned starttls rsa relaxed/relaxed)
printf 'From: someone@elsewhere.example\nTo: unsigned@example.org\nSubject: u\n\ncaf\303\251\n' |
    expect_exit 0 postern -C "$conf" -t
maildir_wait 1
f=$(msg_file_for unsigned@example.org)
dkim_unsigned "$f"
grep -q $'caf\303\251' "$f" || fail "the unsigned 8-bit body was converted: $(tail -c 200 "$f")"

# Not convertible (multipart): signed 8-bit, and it goes as it is where
# 8BITMIME is offered.
maildir_clear
conf=$(dkim_conf multi starttls ed simple/relaxed)
printf 'To: multi@example.org\nSubject: mp\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\ncaf\303\251\n--b--\n' |
    expect_exit 0 postern -C "$conf" -t
maildir_wait 1
f=$(msg_file_for multi@example.org)
grep -q $'caf\303\251' "$f" || fail "the multipart 8-bit body changed: $(tail -c 200 "$f")"
dkim_verify "$f"

# Not convertible (8-bit header field) to the 7-bit listener: refused,
# never sent with a broken signature.
maildir_clear
conf=$(dkim_conf hdr8 no8bitmime rsa relaxed/relaxed queue.enabled=no)
printf 'To: hdr8@example.org\nSubject: caf\303\251\n\nbody \303\251\n' |
    expect_exit 69 postern -C "$conf" -t
expect_stderr_line '5\.6\.3.*8BITMIME'
sleep 0.3
[ "$(maildir_count)" = 0 ] || fail "the 8-bit header message was delivered"
echo "906: signed 8-bit messages verify through a 7-bit smarthost"
