# 309: 8-bit UTF-8 text goes out unchanged with BODY=8BITMIME.
#
# server:  Postfix plain listener (offers 8BITMIME) and
#          data/smtp-capture.py (also offers it)
# command: postern -C plain.ini -v -t -i
# input:   To: s309a@example.org / Subject: Grüße aus Köln ☃ / (blank) /
#          "Grüße, Jörg — ☃\n.Zürich\n" + 400 "é" (800 octets, under the
#          998 limit) + "\n"
# expect:  one message; MAIL FROM carries BODY=8BITMIME (-v transcript and
#          wire); Subject and body bytes arrive unchanged; no
#          Content-Transfer-Encoding added.

. "$TOP/compat-tests/data/msgcheck.sh"

subject='Grüße aus Köln ☃'
body="Grüße, Jörg — ☃"$'\n'".Zürich"$'\n'"$(printf 'é%.0s' $(seq 400))"$'\n'
printf 'To: s309a@example.org\nSubject: %s\n\n%s' "$subject" "$body" >in-a
printf '%s' "$body" >want-a
check_one s309a@example.org in-a want-a -t -i
grep -Eq '^> MAIL FROM:<[^>]*>.* BODY=8BITMIME' "$TRANSCRIPT" ||
    fail "no BODY=8BITMIME in the -v transcript: $(grep 'MAIL FROM' "$TRANSCRIPT")"
grep -Eq '^MAIL FROM:<[^>]*>.* BODY=8BITMIME' "$CAP_DIR/cmds.$CAP_N" ||
    fail "no BODY=8BITMIME on the wire: $(grep 'MAIL FROM' "$CAP_DIR/cmds.$CAP_N")"
[ "$(msg_header "$STORED" Subject)" = "$subject" ] || fail "Subject changed: $(msg_header "$STORED" Subject)"
! msg_header "$STORED" Content-Transfer-Encoding >/dev/null || fail "a Content-Transfer-Encoding was added"
[ "$(maildir_count)" = 1 ] || fail "$(maildir_count) messages arrived, want 1"
