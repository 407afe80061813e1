# 524: -qI, -qR, -qS run the queue now for exactly the chosen entries; each
# run logs one summary line.
#
# server:  Postfix, STARTTLS + AUTH ($PORT_STARTTLS); "down" (a closed port)
#          while queueing
# command: four messages queued while down:
#            M1 -f alice@example.org   rcpt-one@example.org
#            M2 -f bob@example.org     rcpt-two@example.org other@example.org
#            M3 -f Carol@Example.org   rcpt-three@example.org
#            M4 -f dave@example.org    misc@example.org
#          then, with the smarthost up: -qRRCPT-TWO@EXAMPLE; -qScarol@EXAMPLE.ORG;
#          -qI with M4's id in lower case; -qI with the last 10 characters
#          of M4's id; -qRnobody; -qRrcpt-one -qSnobody; -qRrcpt-one
#          -qRnobody; with the smarthost down: -qRrcpt-one again.
# expect:  each run exits 0 and delivers exactly its entries, once: M2 (both
#          recipients), M3 (addresses match whatever their case), nothing
#          (ids match case-sensitively; they are upper case), M4, nothing,
#          nothing (different kinds must all match), M1 (the same kind:
#          either); the others stay queued with their attempts unchanged.
#          Every run logs "queue run: entries=N tried=T sent=S deferred=D
#          failed=0 expired=0 locked=0 ..." with N the entries seen and T, S
#          the chosen ones; the down run: tried=1 deferred=1.

. "$TOP/compat-tests/lib/queue.sh"
queue_confs starttls

queue_one() {	# NAME SENDER RCPT...
	local name=$1 from=$2
	shift 2
	make_msg "$1" "m524-$name" | expect_exit 0 postern -C "$DOWN" -f "$from" "$@"
	sed -n 's/.*; id \([0-9A-F]*\)$/\1/p' "$CMD_ERR"
}
id1=$(queue_one M1 alice@example.org rcpt-one@example.org)
id2=$(queue_one M2 bob@example.org rcpt-two@example.org other@example.org)
id3=$(queue_one M3 Carol@Example.org rcpt-three@example.org)
id4=$(queue_one M4 dave@example.org misc@example.org)
[ "$(q_entries)" = 4 ] || fail "$(q_entries) entries, want 4"
for i in "$id1" "$id2" "$id3" "$id4"; do
	[ -n "$i" ] || fail "an id is missing"
done

# run ARGS...: one run with the smarthost up; prints its summary line.
run() {
	local before
	before=$(wc -l <"$POSTERN_LOG")
	expect_exit 0 postern -C "${RUN_CONF:-$UP}" "$@"
	sleep 0.3
	tail -n +"$((before + 1))" "$POSTERN_LOG" | grep 'queue run: ' |
	    tail -n 1
}
# delivered NAME: how many copies of NAME's message arrived.
delivered() { marker_count "m524-$1"; }
queued() { q_ids | tr '\n' ' '; }
check_summary() {	# LINE ENTRIES TRIED SENT DEFERRED
	printf '%s\n' "$1" | grep -Eq "queue run: entries=$2 tried=$3 sent=$4 deferred=$5 failed=0 expired=0 locked=0 malformed=0 dsn=0 duration=[0-9]+\.[0-9]{2}s" ||
	    fail "summary '$1', want entries=$2 tried=$3 sent=$4 deferred=$5"
}

s=$(run -qRRCPT-TWO@EXAMPLE)
maildir_wait 2
[ "$(delivered M2)" = 2 ] || fail "M2 arrived $(delivered M2) times, want 2 (two recipients)"
[ "$(delivered M1)$(delivered M3)$(delivered M4)" = 000 ] || fail "-qR sent another entry"
[ "$(queued)" = "$id1 $id3 $id4 " ] || fail "queued: $(queued)"
check_summary "$s" 4 1 1 0

s=$(run -qScarol@EXAMPLE.ORG)
maildir_wait 3
[ "$(delivered M3)" = 1 ] || fail "M3 arrived $(delivered M3) times"
[ "$(delivered M1)$(delivered M4)" = 00 ] || fail "-qS sent another entry"
[ "$(queued)" = "$id1 $id4 " ] || fail "queued: $(queued)"
check_summary "$s" 3 1 1 0

lower=$(printf '%s' "$id4" | tr 'A-F' 'a-f')
s=$(run "-qI$lower")
check_summary "$s" 2 0 0 0
[ "$(queued)" = "$id1 $id4 " ] || fail "-qI with a lower-case id ran something: $(queued)"

s=$(run "-qI${id4:14}")
maildir_wait 4
[ "$(delivered M4)" = 1 ] || fail "M4 arrived $(delivered M4) times"
[ "$(delivered M1)" = 0 ] || fail "-qI sent M1"
[ "$(queued)" = "$id1 " ] || fail "queued: $(queued)"
check_summary "$s" 2 1 1 0

s=$(run -qRnobody)
check_summary "$s" 1 0 0 0
s=$(run -qRrcpt-one -qSnobody)
check_summary "$s" 1 0 0 0
[ "$(queued)" = "$id1 " ] || fail "a run that matched nothing sent M1"

# With the smarthost down, the chosen entry is tried and deferred.
s=$(RUN_CONF=$DOWN run -qRrcpt-one)
check_summary "$s" 1 1 0 1
bp_json "$UP"
[ "$(bp_field "$id1" attempts)" = 2 ] || fail "M1 attempts $(bp_field "$id1" attempts), want 2"

s=$(run -qRrcpt-one -qRnobody)
maildir_wait 5
[ "$(delivered M1)" = 1 ] || fail "M1 arrived $(delivered M1) times"
check_summary "$s" 1 1 1 0
[ "$(q_entries)" = 0 ] || fail "left: $(queued)"
[ "$(maildir_count)" = 5 ] || fail "$(maildir_count) messages delivered, want 5"
