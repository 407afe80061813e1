# compat-tests/lib/faults.sh -- drive compat-tests/data/fault-server.py, a
# scripted SMTP server for faults a real MTA will not produce on demand.
# Sourced by cases after common.sh.
#
#   fault_start NAME ARGS...  start the server (ARGS go to fault-server.py
#                             after its directory); sets FS (its directory)
#                             and FPORT (its port); stops any previous one
#   fs_done                   wait (bounded) for its session to end, stop it
#   fs_stop                   stop it now (also on exit)
#   cmds_are 'EHLO AUTH '     the commands it saw, first words, in order

FSN=0
FS_PID=
fs_stop() {
	[ -n "$FS_PID" ] || return 0
	kill "$FS_PID" 2>/dev/null || true
	wait "$FS_PID" 2>/dev/null || true
	FS_PID=
}
trap fs_stop EXIT

fault_start() {
	local name=$1
	shift
	fs_stop
	FSN=$((FSN + 1))
	FS=$CASE_DIR/fs.$FSN.$name
	mkdir -p "$FS"
	TLS_DIR=$TLS_DIR python3 -W ignore "$TOP/compat-tests/data/fault-server.py" \
	    "$FS" "$@" --idle 10 2>"$FS/stderr" &
	FS_PID=$!
	for _ in $(seq 200); do
		[ -s "$FS/port" ] && break
		sleep 0.02
	done
	[ -s "$FS/port" ] || fail "fault-server $* did not start: $(cat "$FS/stderr")"
	FPORT=$(cat "$FS/port")
	echo "--- fault-server $* on port $FPORT" >&2
}

fs_done() {
	for _ in $(seq 100); do
		[ -e "$FS/done" ] && break
		sleep 0.05
	done
	fs_stop
	echo "    server: $(cat "$FS/done" 2>/dev/null); cmds: $(tr "\n" "|" 2>/dev/null <"$FS/cmds" | head -c 300)" >&2
}

cmds_are() {
	local want=$1 got
	got=$(cut -d' ' -f1 "$FS/cmds" | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "$FSN: server saw '$got', want '$want'"
}
