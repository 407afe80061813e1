# 908: a 100 MiB message is signed in the spooling pass and verifies (the
#      issue's size; 903 does 40 MiB with both key types).
#
# server:  Postfix's smtp-sink on 127.0.0.1:$((POSTERN_TEST_PORT_BASE+61)),
#          dumping the message (the Postfix harness refuses more than
#          10 MB), tls = none to loopback; [queue] max_message_size = 200M
# command: postern -C big-ed.ini -t, Ed25519, simple/simple
# input:   To, Subject, a 100 MiB body of lines with runs of blanks and a
#          tail of empty lines (the trailing-empty-line rules at scale)
# expect:  exit 0 each; python3-dkim and opendkim-testmsg accept the
#          dumped message; the case takes about 20 s, most of it the
#          two verifiers.
# case-timeout: 120

. "$TOP/compat-tests/lib/dkim.sh"
need smtp-sink
dkim_need
dkim_keys

port=$(( ${POSTERN_TEST_PORT_BASE:-25580} + 61 ))
mkdir -p dump
chmod 0777 dump
SINK_PID=
sink_stop() {
	[ -n "$SINK_PID" ] || return 0
	kill "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
	SINK_PID=
}
trap sink_stop EXIT
sink() {
	sink_stop
	find dump -type f -delete
	timeout 60 smtp-sink -u nobody -n 1 -d "$CASE_DIR/dump/%H%M%S." \
	    "127.0.0.1:$port" 5 >>sink.log 2>&1 &
	SINK_PID=$!
	for _ in $(seq 100); do
		grep -Eq "^ *[0-9]+: 0100007F:$(printf '%04X' "$port") 00000000:0000 0A" /proc/net/tcp && return 0
		sleep 0.02
	done
	fail "smtp-sink did not start: $(tail -n 3 sink.log)"
}

{
	printf 'To: big@example.org\nSubject: big\n\n'
	yes 'a line  with   runs of blanks	and a tab, 0123456789 ' | head -c $((100 * 1024 * 1024))
	printf '\n\n\n\n'
} >big.eml

for spec in ed:simple/simple; do
	alg=${spec%%:*}
	canon=${spec#*:}
	conf=$(write_conf "big-$alg.ini" <<INI
[smarthost]
host = 127.0.0.1
port = $port
tls = none
auth = none

[sender]
domain = example.org

[queue]
dir = $CASE_DIR/q
max_message_size = 200M

[dkim]
domain = example.org
selector = $alg
key_file = $CASE_DIR/$alg.key
canonicalization = $canon
INI
)
	sink
	t0=$(now_ms)
	expect_exit 0 postern -C "$conf" -t <big.eml
	echo "postern: $(( $(now_ms) - t0 )) ms for $(stat -c %s big.eml) octets" >&2
	sink_stop
	d=$(find dump -type f | head -n 1)
	[ -n "$d" ] || fail "smtp-sink dumped nothing"
	[ "$(stat -c %s "$d")" -gt $((100 * 1024 * 1024)) ] || fail "dump too short: $(stat -c %s "$d")"
	mv "$d" "$CASE_DIR/big-$alg.dump"
done
t0=$(now_ms)
dkim_verify "$CASE_DIR/big-ed.dump"
echo "verification: $(( $(now_ms) - t0 )) ms" >&2

rm -f big.eml "$CASE_DIR/big-ed.dump"	# 200 MiB; the case passed
