# 601: a fault at every SMTP step (Postfix's smtp-sink) is temporary or
#      permanent as the SPEC says; ESMTP hidden still delivers, exactly.
#
# server:  /usr/sbin/smtp-sink -u nobody -n 1 -d DUMP [fault] 127.0.0.1:PORT
#          (one session, killed after it; PORT a free loopback port), where
#          fault is, in turn:
#            -Q CMD  421 and hang up after CMD, for CMD in CONNECT EHLO MAIL
#                    RCPT DATA "." (with PIPELINING; MAIL RCPT DATA "."
#                    also with -p, without it)
#            -q CMD  hang up without a reply after CMD (same list; -p DATA)
#            -f CMD  5xx to CMD: MAIL, RCPT (the only recipient), DATA, "."
#            -r CMD  4xx to CMD: MAIL, RCPT, DATA, "."
#            -w 5    5 s before answering DATA, with postern's timeout = 2
#            (none)  a normal ESMTP session with PIPELINING
#            -e -p -f EHLO   no ESMTP (EHLO gets 500), no PIPELINING
# command: postern -C sink.ini -t  (plain.ini: 127.0.0.1, tls = none,
#          auth = none; timeout = 2; queue.dir = $CASE_DIR/q, or qoff) with
#          [queue] enabled = no to see the raw exit code, and = yes
# input:   To: a@example.org / Subject: s601 / (blank) / ".dot" "..two" "end"
# expect:  -Q/-q/-r/-w with the queue off: exit 75, one stderr line, nothing
#          kept; with the queue on: exit 0, "postern: queued (REASON); id ID",
#          one more entry, and for -Q the REASON names the 421 reply.
#          -f MAIL, -f RCPT, -f DATA, -f ".": exit 69 with the queue off.
#          (-q CONNECT/EHLO and -r other than MAIL: with the queue on only.)
#          -w: exit 75 after 1.5..4.5 s.  Normal and HELO sessions: exit 0,
#          smtp-sink's dump holds the message with ".dot" and "..two"
#          unchanged (dot-stuffing applied on the wire and removed by the
#          server), X-Client-Proto ESMTP resp. SMTP (the HELO fallback).

need smtp-sink

# free_port: a random port in 40000-49999 that no TCP socket uses (smtp-sink
# cannot take port 0 and report it; python3 would cost 0.2 s a start).
free_port() {
	local p hex
	while :; do
		p=$((40000 + RANDOM % 10000))
		hex=$(printf '%04X' "$p")
		grep -q ":$hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null || break
	done
	echo "$p"
}

. "$TOP/compat-tests/lib/sink.sh"
SINK_TIMEOUT=20
mkdir -p q

# sink ARGS...: start smtp-sink with ARGS on a fresh port; sets PORT.
sink() {
	PORT=$(free_port)
	sink_start "$PORT" "$@"
}

msg() {
	printf 'To: a@example.org\nSubject: s601\n\n.dot\n..two\nend\n'
}

# run QUEUE(yes|no) EXIT SINK-ARGS...: one submission against one sink.
run() {
	local qon=$1 want=$2 conf qdir=$CASE_DIR/q
	shift 2
	[ "$qon" = yes ] || qdir=$CASE_DIR/qoff
	sink "$@"
	conf=$(conf_variant sink plain "smarthost.port=$PORT" smarthost.timeout=2 \
	    "queue.dir=$qdir" "queue.enabled=$qon")
	echo "--- smtp-sink $* (queue $qon)" >&2
	msg | expect_exit "$want" postern -C "$conf" -t
	sink_stop
}

entries() {
	find q/q -maxdepth 1 -name '*.ctl' 2>/dev/null | wc -l
}

# --- 421 and hang-ups at every step, with and without PIPELINING
for cmd in CONNECT EHLO MAIL RCPT DATA .; do
	for opt in -Q -q; do
		run no 75 "$opt" "$cmd"
		expect_stderr_line
		[ -z "$(find qoff -type f 2>/dev/null)" ] ||
		    fail "enabled = no kept $(find qoff -type f)"
		case $opt$cmd in -qCONNECT|-qEHLO) continue ;; esac
		before=$(entries)
		run yes 0 "$opt" "$cmd"
		expect_stderr_line '^postern: queued \(.+\); id [0-9A-F]{24}$'
		[ "$(entries)" = $((before + 1)) ] ||
		    fail "$opt $cmd: not queued ($(entries) entries)"
		if [ "$opt" = -Q ] && [ "$cmd" != CONNECT ]; then
			expect_stderr 'queued \(.*421 4\.0\.0'
		fi
		case $opt$cmd in -QMAIL|-QRCPT|-QDATA|-Q.|-qDATA)
			run no 75 -p "$opt" "$cmd"
			expect_stderr_line
			[ "$opt" = -q ] || expect_stderr '421 4\.0\.0'
			;;
		esac
	done
done

# --- hard rejects: permanent (69); soft rejects: temporary
for cmd in MAIL RCPT DATA .; do
	run no 69 -f "$cmd"
	expect_stderr_line '500 5\.3\.0'
	before=$(entries)
	run yes 0 -r "$cmd"
	expect_stderr_line '^postern: queued \(.*450 4\.3\.0.*\); id [0-9A-F]{24}$'
	[ "$(entries)" = $((before + 1)) ] || fail "-r $cmd: not queued"
done

run no 75 -r MAIL
expect_stderr_line '450 4\.3\.0'

# --- a DATA reply later than the timeout
t0=$(now_ms)
run no 75 -w 5
dt=$(( $(now_ms) - t0 ))
expect_stderr_line
[ "$dt" -ge 1500 ] && [ "$dt" -lt 4500 ] || fail "-w 5 with timeout = 2 took $dt ms"

# --- delivered: PIPELINING session, then HELO without ESMTP or PIPELINING
check_dump() {
	local proto=$1 f
	f=$(find dump -type f)
	[ "$(printf '%s\n' "$f" | grep -c .)" = 1 ] || fail "want one dump, have: $f"
	grep -qx "X-Client-Proto: $proto" "$f" || fail "not $proto: $(head -n 3 "$f")"
	grep -qx 'X-Mail-Args: <root@example.org>.*' "$f" || fail "MAIL args: $(grep X-Mail "$f")"
	grep -qx 'X-Rcpt-Args: <a@example.org>' "$f" || fail "RCPT args: $(grep X-Rcpt "$f")"
	# The dump ends with the message body and one empty line.
	[ "$(msg_body "$f" | tail -n 4)" = "$(printf '.dot\n..two\nend\n')" ] ||
	    fail "body not delivered exactly: $(msg_body "$f" | od -c | head -n 5)"
	rm -f "$f"
}
run no 0
check_dump ESMTP
run no 0 -e -p -f EHLO
check_dump SMTP
echo "601: -Q/-q/-f/-r at every step as expected; -w 5 timed out in $dt ms"
