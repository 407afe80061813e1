# 522: mailq --json is valid JSON, one object a line, whatever bytes the
# queue holds.
#
# server:  none reached: "down" (a closed port) keeps the messages queued
# command: postern -C down.ini -f '"odd\"one"@example.org' (a quoted local
#          part with a quote and a backslash) a@example.org r\xc3\xb6@example.org;
#          a second message to b@example.org; then the control files are
#          rewritten as anyone in the queue's group could: the last error
#          and a recipient's reply get bytes that are not UTF-8 (\xff \xfe,
#          an overlong "/", a surrogate, a code point above U+10FFFF, a lone
#          continuation octet), quotes, backslashes, a raw "\u0041" and valid
#          UTF-8 (café, €); then postern -bp --json, mailq --json, -bp.
# expect:  exit 0; every line parses with python3 -m json.tool and as UTF-8
#          (strict); the fields are Postfix's (queue_name, queue_id,
#          arrival_time, message_size, sender, recipients with address,
#          state, delay_reason) plus attempts and next_attempt; the sender
#          and the valid UTF-8 come back exactly, each bad octet becomes
#          U+FFFD, the literal backslash-u stays text; mailq (text) shows no
#          control octet.

. "$TOP/compat-tests/lib/queue.sh"
queue_confs starttls

make_msg a@example.org m522-1 |
    expect_exit 0 postern -C "$DOWN" -f '"odd\"one"@example.org' a@example.org "$(printf 'r\303\266@example.org')"
make_msg b@example.org m522-2 | expect_exit 0 postern -C "$DOWN" b@example.org
[ "$(q_entries)" = 2 ] || fail "$(q_entries) entries, want 2"

# Rewrite E (last error) and the first recipient's m (reply) records.
for ctl in "$QDIR"/q/*.ctl; do
	python3 - "$ctl" <<'PY' || fail "rewriting $ctl"
import sys
path = sys.argv[1]
data = open(path, "rb").read()
magic, rest = data.split(b"\n", 1)
recs, i = [], 0
while i < len(rest):
    sp = rest.index(b" ", i)
    colon = rest.index(b":", sp)
    tag, n = rest[i:sp], int(rest[sp + 1:colon])
    val = rest[colon + 1:colon + 1 + n]
    recs.append([tag, val])
    i = colon + 1 + n + 1
hostile = (b'451 \xff\xfe "quoted" back\\slash \\u0041 caf\xc3\xa9 \xe2\x82\xac '
           b'over\xc0\xaflong sur\xed\xa0\x80rogate big\xf4\x90\x80\x80 lone\x80 end')
out, seen_m = [], False
for tag, val in recs:
    if tag == b"E":
        val = hostile
    if tag == b"m" and not seen_m:
        val, seen_m = b"450 4.2.0 " + hostile, True
    out.append(tag + b" " + str(len(val)).encode() + b":" + val + b"\n")
open(path + ".new", "wb").write(magic + b"\n" + b"".join(out))
PY
	mv "$ctl.new" "$ctl"
done

expect_exit 0 postern -C "$DOWN" -bp --json
[ "$(wc -l <"$CMD_OUT")" = 2 ] || fail "$(wc -l <"$CMD_OUT") lines, want one per entry"
while IFS= read -r line; do
	printf '%s\n' "$line" | python3 -m json.tool >/dev/null ||
	    fail "python3 -m json.tool refuses: $line"
done <"$CMD_OUT"
cp "$CMD_OUT" json.txt
python3 - json.txt <<'PY' || fail "the JSON listing is wrong (see the case log)"
import json, sys
lines = open(sys.argv[1], "rb").read().decode("utf-8").splitlines()   # strict UTF-8
objs = [json.loads(l) for l in lines]
keys = {"queue_name", "queue_id", "arrival_time", "message_size", "sender",
        "attempts", "next_attempt", "recipients"}
R = "\ufffd"
want_err = ('451 ' + R + R + ' "quoted" back\\slash \\u0041 caf\u00e9 \u20ac over' + R + R +
            'long sur' + R + R + R + 'rogate big' + R * 4 + ' lone' + R + ' end')
for o in objs:
    missing = keys - set(o)
    assert not missing, "missing %s" % missing
    assert o["queue_name"] == "deferred", o["queue_name"]
    assert isinstance(o["arrival_time"], int) and isinstance(o["next_attempt"], int)
    assert o["attempts"] == 1, o["attempts"]
    for r in o["recipients"]:
        assert set(r) >= {"address", "state"}, r
        assert r["state"] in ("pending", "deferred", "sent", "failed"), r
odd = [o for o in objs if o["sender"] == '"odd\\"one"@example.org']
assert len(odd) == 1, [o["sender"] for o in objs]
rc = odd[0]["recipients"]
assert [r["address"] for r in rc] == ["a@example.org", "r\u00f6@example.org"], rc
assert rc[0]["delay_reason"] == "450 4.2.0 " + want_err, repr(rc[0]["delay_reason"])
assert rc[1]["delay_reason"] != "", rc[1]
# The first recipient's reply replaced; the other keeps its own or the
# entry's last error (which is hostile too).
assert rc[1]["delay_reason"] in (want_err,) or "refused" in rc[1]["delay_reason"] or "connect" in rc[1]["delay_reason"], rc[1]
print("json ok:", len(objs), "entries")
PY

# The same through the mailq name.
ln -sf "$POSTERN" mailq
POSTERN_CONFIG=$DOWN expect_exit 0 ./mailq --json
cmp -s "$CMD_OUT" json.txt || fail "mailq --json differs from -bp --json"

# The text listing: no control octet, bad octets shown as they are read.
expect_exit 0 postern -C "$DOWN" -bp
! LC_ALL=C grep -q '[[:cntrl:]]' "$CMD_OUT" || fail "a control character in the listing"
expect_stdout '^-- [0-9]+ Kbytes in 2 Requests\.$'
