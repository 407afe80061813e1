# 633: tls_ktls = yes where the kernel has no TLS module: the fall-back.
#
# server:  Postfix starttls listener (STARTTLS + AUTH, CHUNKING offered)
# command: postern -C k.ini -i a@example.org, k.ini = starttls.ini with
#          [smarthost] tls_ktls = yes
# input:   a 2 MiB message with dot-lines and a last line without newline
# expect:  exit 0; Postfix saw STARTTLS, AUTH and BDAT (bdat=3); the
#          message arrives byte for byte (LF line ends, as stored).  When
#          the kernel has kernel TLS (/proc/sys/net/ipv4/tcp_available_ulp
#          lists "tls") the same must hold, then through SSL_sendfile; the
#          case says which path it saw.
need postconf

ulp=$(cat /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null || true)
case " $ulp " in
*" tls "*) echo "kernel TLS available: SSL_sendfile path" >&2 ;;
*)	echo "no kernel TLS ($ulp): the fall-back path" >&2 ;;
esac
in=$CASE_DIR/in.txt
{
	printf 'From: root@example.org\nTo: a@example.org\nSubject: s633\n'
	printf 'Date: Tue, 01 Dec 2026 00:00:00 +0000\nMessage-ID: <s633@example.org>\n\n'
	awk 'BEGIN { for (i = 0; i < 40000; i++)
		printf "%s%07d the quick brown fox jumps over the lazy dog ....\n",
		    i % 499 ? "" : ".", i }'
	printf 'last line without a newline'
} >"$in"
c=$(conf_variant k starttls smarthost.tls_ktls=yes)
log_mark
expect_exit 0 postern -C "$c" -i a@example.org <"$in"
sess=$(smtpd_sessions)
case $sess in
*' starttls=1 auth=1 mail=1 rcpt=1 bdat=3 '*) ;;
*)	fail "unexpected session: $sess" ;;
esac
f=$(msg_file_for a@example.org)
{ cat "$in"; printf '\n'; } >"$CASE_DIR/want"
awk 'f || /^From: / { f = 1; print }' "$f" >"$CASE_DIR/got"
cmp "$CASE_DIR/want" "$CASE_DIR/got" || fail "delivered message differs"
