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
#   transcript_is 'L|L'    the whole transcript, line by line (see below)
#   fault_conf NAME T [k=v...]  plain.ini pointed at the server ($FPORT),
#                             timeout = T, queue off ($CASE_DIR/qoff), log
#                             file $CASE_DIR/postern.log; prints its path

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

fault_conf() {
	local n=$1 t=$2
	shift 2
	conf_variant "$n" plain "smarthost.port=$FPORT" "smarthost.timeout=$t" \
	    queue.enabled=no "queue.dir=$CASE_DIR/qoff" \
	    "log.file=$CASE_DIR/postern.log" "$@"
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

# transcript_is 'LINE|LINE|...': the server's whole command transcript
# (DIR/cmds) is exactly these lines, after normalizing what differs between
# machines: the EHLO/HELO argument becomes '*', SIZE=<n> becomes SIZE=N and
# the caller's login in "<login@" becomes "<u@".  Then the raw session
# (DIR/session, every octet received) must be exactly those lines, each
# DATA followed by its payload and ".\r\n" (a payload cut short: the
# session may end anywhere inside it), so nothing went out unrecorded.
transcript_is() {
	local want=$1 got
	got=$(sed -E "s/^(EHLO|HELO) .*/\\1 */; s/SIZE=[0-9]+/SIZE=N/g; s/<$(id -un)@/<u@/g" "$FS/cmds" | tr '\n' '|')
	[ "$got" = "$want${want:+|}" ] || fail "$FSN: transcript '$got', want '$want${want:+|}'"
	python3 - "$FS" <<'PY' || fail "$FSN: the session holds octets the transcript does not show: $(od -c "$FS/session" | tail -n 3)"
import os, sys
d = sys.argv[1]
cmds = open(os.path.join(d, "cmds"), "rb").read().split(b"\n")[:-1]
out, k, cut = b"", 0, False
for c in cmds:
    out += c + b"\r\n"
    if c.upper() == b"DATA":
        k += 1
        p = os.path.join(d, "data.%d" % k)
        if os.path.exists(p):
            out += open(p, "rb").read() + b".\r\n"
        else:
            cut = True
            break
s = open(os.path.join(d, "session"), "rb").read()
sys.exit(0 if s == out or (cut and s.startswith(out)) else 1)
PY
}
