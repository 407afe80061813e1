# compat-tests/lib/queue.sh -- helpers for the queue cases (5xx).
#
# Source it from a case after common.sh:  . "$TOP/compat-tests/lib/queue.sh"
#
#   closed_port              a loopback port near $PORT_BASE that nothing
#                            listens on (connecting gets ECONNREFUSED at once)
#   queue_confs BASE [k=v..] write $CASE_DIR/up.ini (BASE with
#                            queue.dir=$CASE_DIR/q) and down.ini (the same,
#                            smarthost port closed); sets UP, DOWN, QDIR
#   q_entries [DIR]          number of entries (q/*.ctl) in the queue
#   q_files [DIR] SUB        names of the files in DIR/SUB (tmp, q, failed)
#   q_ids [DIR]              ids of the queued entries, one per line
#   marker_count MARKER      delivered messages that contain MARKER
#   pf_received              messages Postfix accepted since the mark
#                            (one cleanup "message-id=" line each)
#   make_msg TO MARKER       a small message on stdout, Subject = MARKER
#   silent_listener PORT     in the background, a listener on 127.0.0.1:PORT
#                            that accepts and never speaks (a smarthost
#                            stalled before its greeting: a runner waits on
#                            it holding its entry's lock); SILENT_PID is its
#                            pid, for the case's own EXIT trap to kill
#   wait_connected PORT      wait up to 10 s until a TCP connection to PORT
#                            is established (a runner reached the listener);
#                            1 when none came

# closed_port: offsets 2, 3, 4, 6 of the port range are not used by the
# smarthost; take the first one nothing listens on.
closed_port() {
	local off port line ports=" "
	while read -r _ line; do
		# shellcheck disable=SC2086 # split the /proc line into fields
		set -- $line
		[ "${3:-}" = 0A ] || continue
		ports="$ports$((16#${1##*:})) "
	done < <(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	for off in 2 3 4 6 11 12 13; do
		port=$((PORT_BASE + off))
		case $ports in *" $port "*) continue ;; esac
		echo "$port"
		return 0
	done
	fail "no closed port near $PORT_BASE"
}

# queue_confs BASE [section.key=value...]
# shellcheck disable=SC2034 # UP, DOWN and QDIR are for the case
queue_confs() {
	local base=$1
	shift
	QDIR=$CASE_DIR/q
	UP=$(conf_variant up "$base" "queue.dir=$QDIR" "$@")
	DOWN=$(conf_variant down "$base" "queue.dir=$QDIR" \
	    "smarthost.port=$(closed_port)" "$@")
}

q_entries() {
	local d=${1:-$QDIR}
	find "$d/q" -maxdepth 1 -name '*.ctl' 2>/dev/null | wc -l
}

# q_files DIR SUB: file names under DIR/SUB, space separated ("" = none).
q_files() {
	local d=$1 sub=$2
	[ -d "$d/$sub" ] || return 0
	find "$d/$sub" -mindepth 1 -maxdepth 1 -printf '%f ' | sed 's/ $//'
}

q_ids() {
	local d=${1:-$QDIR}
	find "$d/q" -maxdepth 1 -name '*.ctl' -printf '%f\n' 2>/dev/null |
	    sed 's/\.ctl$//' | sort
}

marker_count() {
	local n
	n=$(find "$MAILDIR/new" "$MAILDIR/cur" -type f -exec grep -l -F -- "$1" {} + 2>/dev/null | wc -l)
	echo "$n"
}

pf_received() {
	postfix_log_since_mark | grep -Ec '/cleanup\[[0-9]+\]: [0-9A-F]+: message-id=' || true
}

make_msg() {
	printf 'From: sender@example.org\nTo: %s\nSubject: %s\n\nbody of %s\n' \
	    "$1" "$2" "$2"
}

# ---- mailq helpers (the listing is Postfix's; see 52x) ----
#
#   MAILQ_ENTRY_RE           ERE of the time and blanks of an entry line,
#                            after "ID SIZE" and before the sender
#   bp_json CONF             postern -C CONF -bp --json into $CASE_DIR/bp.json;
#                            fails unless each line is one valid JSON object
#   bp_rcpt ADDR [QUEUE]     "state|delay_reason" of ADDR in bp.json
#                            (QUEUE: deferred (default) or failed)
#   bp_field ID FIELD [QUEUE]  FIELD of entry ID in bp.json
MAILQ_ENTRY_RE='[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}  '

bp_json() {
	"$POSTERN" -C "$1" -bp --json >"$CASE_DIR/bp.json" 2>"$CASE_DIR/bp.err" ||
	    fail "-bp --json failed: $(head -c 200 "$CASE_DIR/bp.err")"
	sed 's/^/  bp.json: /' "$CASE_DIR/bp.json" >&2
	python3 -c '
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    if not isinstance(json.loads(line), dict):
        sys.exit("line %d is not an object" % n)
' "$CASE_DIR/bp.json" || fail "-bp --json is not one JSON object a line"
}

bp_rcpt() {
	python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    if d["queue_name"] != sys.argv[3]:
        continue
    for r in d["recipients"]:
        if r["address"] == sys.argv[2]:
            print("%s|%s" % (r["state"], r.get("delay_reason", "")))
' "$CASE_DIR/bp.json" "$1" "${2:-deferred}"
}

bp_field() {
	python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    if d["queue_id"] == sys.argv[2] and d["queue_name"] == sys.argv[4]:
        print(json.dumps(d[sys.argv[3]]))
' "$CASE_DIR/bp.json" "$1" "$2" "${3:-deferred}"
}

# shellcheck disable=SC2034 # SILENT_PID is for the case
silent_listener() {
	local port=$1
	python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
print("ready", flush=True); sys.stdout.close()
c = [s.accept() for _ in range(4)]
time.sleep(60)' "$port" >"$CASE_DIR/silent.ready" 2>"$CASE_DIR/silent.err" &
	SILENT_PID=$!
	for _ in $(seq 100); do [ -s "$CASE_DIR/silent.ready" ] && return 0; sleep 0.05; done
	fail "silent listener on $port did not start: $(cat "$CASE_DIR/silent.err")"
}

wait_connected() {
	local i
	for i in $(seq 200); do
		ss -Htn state established "( dport = :$1 )" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}
