# 604: deadlines, permanent greetings, 8-bit content to a 7-bit server
#      (issue 11 items 3, 4, 5), each with the whole transcript the server
#      recorded.
#
# server:  data/fault-server.py DIR SCENARIO on 127.0.0.1, one session per
#          start (greet554, greet521, slow-ehlo, slow-dot, no8bit, ok).
# command: postern -C fault.ini -t (plain.ini pointed at the fault server,
#          timeout = 2, [queue] enabled = no unless said).
# input:   To: a@example.org / Subject: <marker> / (blank) / body; for the
#          8-bit cases the body is "café" in UTF-8.
# expect:
#   greet554 greet521  the server greets 5xx and closes: exit 69 (queue off
#            and on: permanent, not retried), one stderr line naming the
#            greeting, nothing reached the server (the QUIT may be lost)
#   slow-ehlo  12 EHLO reply lines 0.5 s apart (each line within timeout,
#            the reply not): exit 75 within 3 s; transcript: EHLO only
#   slow-dot   the final dot's reply after 4 s, timeout = 2: exit 0 (the
#            final reply gets 10 minutes, RFC 5321 4.5.3.2.6); transcript
#            EHLO MAIL RCPT DATA QUIT, the payload once
#   no8bit     8-bit text body, server without 8BITMIME: exit 0, sent
#            quoted-printable (every octet on the wire 7-bit, CTE
#            quoted-printable, decodes to "café"), no BODY=; the same with
#            -B7BIT; an 8-bit Subject or an 8-bit multipart body: exit 69,
#            stderr says 5.6.3 and 8BITMIME, transcript EHLO QUIT; a 7-bit
#            body: exit 0, no BODY=
#   ok         8-bit body with -B7BIT to a server with 8BITMIME: exit 0,
#            MAIL carries BODY=8BITMIME

need python3
. "$TOP/compat-tests/lib/queue.sh"
. "$TOP/compat-tests/lib/faults.sh"

conf() { fault_conf "$1" 2 "${@:2}"; }
msg() { make_msg a@example.org "${1:-m604}"; }
msg8() { printf 'To: a@example.org\nSubject: %s\n\ncaf\303\251\n' "${1:-m604-8}"; }
QDIR=$CASE_DIR/q
# fault SCENARIO [OPTIONS]: start the server playing SCENARIO.
fault() { fault_start "$1" "$@"; }

# --- 554 / 521 greeting and a close: permanent (the QUIT must not turn it
#     into a temporary failure)
for sc in greet554 greet521; do
	code=${sc#greet}
	fault "$sc"
	msg | expect_exit 69 postern -C "$(conf "g$code")" -t
	fs_done
	expect_stderr_line "greeted with $code"
	transcript_is ''
	fault "$sc"
	msg | expect_exit 69 postern -C "$(conf "gq$code" queue.enabled=yes "queue.dir=$QDIR")" -t
	fs_done
	expect_stderr_line "$code"
	[ "$(q_entries)" = 0 ] || fail "$sc: $(q_entries) entries kept for retry"
done

# --- a slow multi-line EHLO reply: one deadline for the whole reply
fault slow-ehlo
t0=$(now_ms)
msg | expect_exit 75 postern -C "$(conf slow)" -t
dt=$(( $(now_ms) - t0 ))
fs_done
expect_stderr_line 'timed out'
[ "$dt" -lt 3000 ] || fail "slow-ehlo: took $dt ms with timeout = 2"
transcript_is 'EHLO *'

# --- the final dot's reply may take longer than `timeout`
fault slow-dot --n 4
t0=$(now_ms)
msg m604-dot | expect_exit 0 postern -C "$(conf dot)" -t
dt=$(( $(now_ms) - t0 ))
fs_done
[ "$dt" -ge 3500 ] || fail "slow-dot: done after $dt ms, before the reply came"
transcript_is 'EHLO *|MAIL FROM:<u@example.org> SIZE=N|RCPT TO:<a@example.org>|DATA|QUIT'
grep -q '^Subject: m604-dot' "$FS/data.1" || fail "payload: $(head -c 300 "$FS/data.1")"
[ ! -e "$FS/data.2" ] || fail "the message went out twice"

# --- 8-bit content never goes to a server without 8BITMIME: a text body
#     is made quoted-printable, anything else is refused
qp_check() {
	python3 - "$FS/data.1" <<'PY' || fail "$FSN: payload not 7-bit quoted-printable café: $(head -c 600 "$FS/data.1")"
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
assert all(b < 128 for b in raw), "8-bit octet on the wire"
m = email.message_from_bytes(raw, policy=email.policy.default)
assert m["Content-Transfer-Encoding"] == "quoted-printable"
assert m.get_content().rstrip("\r\n") == "caf\u00e9", repr(m.get_content())
PY
}
fault no8bit
msg8 | expect_exit 0 postern -C "$(conf n8)" -t
fs_done
transcript_is 'EHLO *|MAIL FROM:<u@example.org> SIZE=N|RCPT TO:<a@example.org>|DATA|QUIT'
qp_check
fault no8bit
msg8 | expect_exit 0 postern -C "$(conf n8b)" -B7BIT -t
fs_done
transcript_is 'EHLO *|MAIL FROM:<u@example.org> SIZE=N|RCPT TO:<a@example.org>|DATA|QUIT'
qp_check
fault no8bit
printf 'To: a@example.org\nSubject: caf\303\251\n\nbody\n' |
    expect_exit 69 postern -C "$(conf n8h)" -t
fs_done
expect_stderr_line '5\.6\.3.*8BITMIME.*header'
transcript_is 'EHLO *|QUIT'
fault no8bit
printf 'To: a@example.org\nSubject: mp\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\ncaf\303\251\n--b--\n' |
    expect_exit 69 postern -C "$(conf n8m)" -t
fs_done
expect_stderr_line '5\.6\.3.*8BITMIME'
transcript_is 'EHLO *|QUIT'
fault no8bit
msg m604-7 | expect_exit 0 postern -C "$(conf n7)" -t
fs_done
transcript_is 'EHLO *|MAIL FROM:<u@example.org> SIZE=N|RCPT TO:<a@example.org>|DATA|QUIT'

# --- -B7BIT does not hide 8-bit content from a server that offers 8BITMIME
fault ok
msg8 | expect_exit 0 postern -C "$(conf b7)" -B7BIT -t
fs_done
transcript_is 'EHLO *|MAIL FROM:<u@example.org> SIZE=N BODY=8BITMIME|RCPT TO:<a@example.org>|DATA|QUIT'
echo "604: greetings, deadlines and 8-bit as expected"
