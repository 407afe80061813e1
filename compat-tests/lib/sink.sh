# compat-tests/lib/sink.sh -- Postfix's smtp-sink as a one-session server
# that dumps what it takes, for the cases that need a fault or a message
# the Postfix harness will not take (601, 903, 908).
#
# Source it from a case after common.sh:  . "$TOP/compat-tests/lib/sink.sh"
#
#   sink_listening PORT      something listens on 127.0.0.1:PORT (read from
#                            /proc/net/tcp: connecting would use up the
#                            sink's only session)
#   sink_start PORT ARGS...  (re)start smtp-sink -u nobody -n 1 with ARGS,
#                            dumping into $CASE_DIR/dump (emptied first),
#                            on 127.0.0.1:PORT, and wait until it listens;
#                            it is killed after $SINK_TIMEOUT s (default 60)
#   sink_stop                stop it (also on exit: the case's EXIT trap)
#   sink_dump                the path of the one dumped message, or fail

SINK_PID=
mkdir -p "$CASE_DIR/dump"
chmod 0777 "$CASE_DIR/dump"	# smtp-sink writes as nobody

sink_listening() {
	grep -Eq "^ *[0-9]+: 0100007F:$(printf '%04X' "$1") 00000000:0000 0A" \
	    /proc/net/tcp
}

# smtp-sink -n 1 lingers for seconds after its session: stop it once
# postern has exited (the session is over).
sink_stop() {
	[ -n "$SINK_PID" ] || return 0
	kill "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
	SINK_PID=
}
trap sink_stop EXIT

sink_start() {
	local port=$1
	shift
	sink_stop
	find "$CASE_DIR/dump" -type f -delete
	timeout "${SINK_TIMEOUT:-60}" smtp-sink -u nobody -n 1 \
	    -d "$CASE_DIR/dump/%H%M%S." "$@" "127.0.0.1:$port" 5 \
	    >>"$CASE_DIR/sink.log" 2>&1 &
	SINK_PID=$!
	for _ in $(seq 100); do
		sink_listening "$port" && return 0
		sleep 0.02
	done
	fail "smtp-sink $* did not start: $(tail -n 3 "$CASE_DIR/sink.log")"
}

sink_dump() {
	local d
	d=$(find "$CASE_DIR/dump" -type f | head -n 1)
	[ -n "$d" ] || fail "smtp-sink dumped nothing"
	echo "$d"
}
