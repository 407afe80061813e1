# 525: postern's mailq and Postfix's own mailq, side by side.
#
# server:  the test Postfix, with defer_transports = virtual for this case
#          (restored at the end), so mail submitted with Postfix's own
#          sendmail waits in its deferred queue; postern's queue gets the
#          same kind of entry with the smarthost down.
# command: Postfix: sendmail -f sender@example.org a@example.org, then
#          postqueue -p and postqueue -j; postern: the same message queued
#          (down.ini), then postern -bp and postern -bp --json.
# expect:  the same heading line; each entry line has, after the queue id,
#          the same columns (" %7ld %20.20s %s": size right-aligned in 7,
#          the 20 characters of the arrival time, the sender); the reason
#          lines end in column 78 in both; the recipient lines are 41
#          blanks and the address in both; the footer has the same form;
#          every field name Postfix's postqueue -j writes, for the entry and
#          for a recipient, is in postern's JSON too.

. "$TOP/compat-tests/lib/queue.sh"
queue_confs plain
PC=$POSTFIX_CONFIG_DIR
sendmail_pf=$(postconf -c "$PC" -h sendmail_path)
[ -x "$sendmail_pf" ] || skip "Postfix's sendmail not found ($sendmail_pf)"
cmp -s "$sendmail_pf" "$POSTERN" && skip "$sendmail_pf is postern"

restore() {
	postsuper -c "$PC" -d ALL >/dev/null 2>&1 || true
	postconf -c "$PC" -X defer_transports 2>/dev/null || true
	postfix -c "$PC" reload >/dev/null 2>&1 || true
}
trap restore EXIT
postconf -c "$PC" -e 'defer_transports = virtual'
postfix -c "$PC" reload >/dev/null 2>&1

make_msg a@example.org m525 >msg.txt
MAIL_CONFIG=$PC "$sendmail_pf" -f sender@example.org a@example.org <msg.txt ||
    fail "Postfix's sendmail failed"
# Wait until Postfix has deferred it (no '*', the active mark).
for _ in $(seq 1 100); do
	postqueue -c "$PC" -p >pf.txt 2>&1 || true
	grep -Eq '^[0-9A-F]+ +[0-9]+ ' pf.txt && grep -q 'deferred transport' pf.txt && break
	sleep 0.1
done
sed 's/^/  postfix: /' pf.txt >&2
grep -Eq '^[0-9A-F]+ +[0-9]+ ' pf.txt || fail "Postfix did not defer the message: $(head -c 300 pf.txt)"
postqueue -c "$PC" -j >pf.json
sed 's/^/  postfix -j: /' pf.json >&2

expect_exit 0 postern -C "$DOWN" -f sender@example.org a@example.org <msg.txt
expect_exit 0 postern -C "$DOWN" -bp
cp "$CMD_OUT" pt.txt
bp_json "$DOWN"

python3 - pf.txt pt.txt pf.json "$CASE_DIR/bp.json" <<'PY' || fail "postern's mailq differs from Postfix's (see the case log)"
import json, re, sys
pf = open(sys.argv[1]).read().splitlines()
pt = open(sys.argv[2]).read().splitlines()
def entry(lines):
    for l in lines:
        m = re.match(r"^([0-9A-F]+[*!]?)( .*)$", l)
        if m and not l.startswith("-"):
            return m.group(1), m.group(2)
    sys.exit("no entry line in %r" % lines)
assert pf[0] == pt[0], (pf[0], pt[0])
(pid, prest), (tid, trest) = entry(pf), entry(pt)
# Postfix pads the id to 11 columns; ours is longer, so compare what follows.
prest = prest[max(0, 11 - len(pid)):]
shape = r"^ [ 0-9]{6}[0-9] [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] \d\d:\d\d:\d\d  sender@example\.org$"
assert re.match(shape, prest), ("postfix", prest)
assert re.match(shape, trest), ("postern", trest)
for name, lines in (("postfix", pf), ("postern", pt)):
    reasons = [l for l in lines if re.match(r"^ *\(.*\)$", l)]
    assert reasons, (name, "no reason line")
    for l in reasons:
        assert len(l) == 78 or not l.startswith(" "), (name, len(l), l)
    assert " " * 41 + "a@example.org" in lines, (name, "recipient line")
    assert re.match(r"^-- \d+ Kbytes in 1 Request\.$", lines[-1]), (name, lines[-1])
    assert lines[-2] == "", (name, "no blank line before the footer")
pj = json.loads(open(sys.argv[3]).read().splitlines()[0])
tj = json.loads(open(sys.argv[4]).read().splitlines()[0])
missing = set(pj) - set(tj)
assert not missing, ("fields Postfix has and postern lacks", missing)
rmissing = set(pj["recipients"][0]) - set(tj["recipients"][0])
assert not rmissing, ("recipient fields missing", rmissing)
for k in ("arrival_time", "message_size"):
    assert type(pj[k]) is type(tj[k]), (k, pj[k], tj[k])
assert pj["queue_name"] == tj["queue_name"] == "deferred", (pj["queue_name"], tj["queue_name"])
print("same shape as Postfix:", sorted(pj))
PY
