# 602: a scripted, hostile SMTP server (data/fault-server.py): STARTTLS
#      injection and stripping, malformed replies, lost connections, AUTH
#      failures, SIZE, SMTPUTF8, DSN, 452 for some recipients.
#
# server:  data/fault-server.py DIR SCENARIO on 127.0.0.1, one session per
#          start (its header lists the scenarios); it records what arrived
#          in DIR/cmds, DIR/session, DIR/data.K.  Postfix plain listener
#          ($PORT_PLAIN) for the later `postern -q`.
# command: postern -C fault.ini [-v] -t (plain.ini pointed at the fault
#          server, timeout = 3, [queue] enabled = no unless said, log file
#          $CASE_DIR/postern.log); STARTTLS cases: tls = starttls,
#          tls_ca_file = $TEST_CA, user = postern, password_file; AUTH cases:
#          tls = none (loopback), auth = auto, user, password_file.
# input:   To: a@example.org / Subject: <marker> / (blank) / body
# expect:
#   inject       220 plus "250-injected" "250 AUTH PLAIN" in one write:
#                exit 75, stderr names the injection; the server saw
#                exactly "EHLO ..." "STARTTLS" and not one octet more (no
#                ClientHello, no AUTH, no MAIL)
#   nostarttls   exit 75, server saw only EHLO; starttls454: exit 75, only
#                EHLO and STARTTLS
#   r-25O r-mixed r-long r-many r-nul (EHLO reply): exit 75 in < 3 s, one
#                stderr line, server saw only EHLO, nothing delivered;
#                r-dot-25O (reply to "."): exit 75
#   drop-data drop-dot: exit 75 (queue off); queue on: exit 0 "queued",
#                then postern -q against Postfix delivers it exactly once
#   auth-535 (-v): exit 75, the password, base64 of it and of the PLAIN
#                string appear nowhere in stderr; auth-454: 75;
#                auth-badb64 (-v): 75, the server got "*" after AUTH LOGIN,
#                the transcript shows "> AUTH LOGIN" and "> *"
#   size100      exit 69, no MAIL, no DATA
#   noutf8       recipient jörg@example.org: exit 69, no MAIL
#   DSN          -N failure -R hdrs -V id1+x to a+b@example.org: without
#                DSN exit 0, MAIL/RCPT without DSN parameters, the log file
#                says "DSN options dropped"; with DSN: MAIL has
#                "RET=HDRS ENVID=id1+2Bx", RCPT "NOTIFY=FAILURE
#                ORCPT=rfc822;a+2Bb@example.org"
#   every scenario: the whole transcript (transcript_is in lib/faults.sh:
#                every command line, normalized for host name, size and
#                login, and nothing else in the raw session) is checked
#   rcpt452      r1..r4, 452 after 2, queue on: exit 0, the server got one
#                DATA; -bp: r1 r2 sent, r3 r4 deferred (452); -q delivers r3
#                and r4 once each through Postfix, r1 r2 never again

need python3
. "$TOP/compat-tests/lib/queue.sh"

. "$TOP/compat-tests/lib/faults.sh"

# fault SCENARIO [OPTIONS]: start the server playing SCENARIO.
fault() { fault_start "$1" "$@"; }

# conf NAME [k=v...]: plain.ini pointed at the fault server.
conf() { fault_conf "$1" 3 "${@:2}"; }

msg() { make_msg a@example.org "${1:-m602}"; }

tlsconf=(smarthost.tls=starttls "smarthost.tls_ca_file=$TEST_CA"
    -smarthost.auth smarthost.user=postern
    "smarthost.password_file=$PASSWORD_FILE")
authconf=(smarthost.auth=auto smarthost.user=postern
    "smarthost.password_file=$PASSWORD_FILE")

# --- STARTTLS response injection
fault inject
msg | expect_exit 75 postern -C "$(conf inj "${tlsconf[@]}")" -t
fs_done
expect_stderr_line 'injection'
cmds_are 'EHLO STARTTLS '
transcript_is 'EHLO *|STARTTLS'
sed 's/$/\r/' "$FS/cmds" | cmp -s - "$FS/session" ||
    fail "more than EHLO and STARTTLS reached the server: $(od -c "$FS/session" | tail -n 4)"

# --- STARTTLS stripped or refused
fault nostarttls
msg | expect_exit 75 postern -C "$(conf strip "${tlsconf[@]}")" -t
fs_done
expect_stderr_line 'STARTTLS'
cmds_are 'EHLO '
transcript_is 'EHLO *'
fault starttls454
msg | expect_exit 75 postern -C "$(conf s454 "${tlsconf[@]}")" -t
fs_done
expect_stderr_line '454'
cmds_are 'EHLO STARTTLS '
transcript_is 'EHLO *|STARTTLS'

# --- malformed replies: bounded, temporary, nothing sent
for sc in r-25O r-mixed r-long r-many r-nul; do
	fault "$sc"
	t0=$(now_ms)
	msg | expect_exit 75 postern -C "$(conf bad)" -t
	dt=$(( $(now_ms) - t0 ))
	fs_done
	expect_stderr_line
	[ "$dt" -lt 3000 ] || fail "$sc: took $dt ms"
	cmds_are 'EHLO '
	transcript_is 'EHLO *'
done
fault r-dot-25O
msg | expect_exit 75 postern -C "$(conf bad)" -t
fs_done
expect_stderr_line 'malformed'
transcript_is 'EHLO *|MAIL FROM:<u@example.org> SIZE=N|RCPT TO:<a@example.org>|DATA'

# --- lost connection mid-DATA and after the final dot
QDIR=$CASE_DIR/q
up=$(conf_variant up plain "queue.dir=$QDIR" "log.file=$CASE_DIR/postern.log")
for sc in drop-data drop-dot; do
	fault "$sc"
	msg | expect_exit 75 postern -C "$(conf drop)" -t
	fs_done
	expect_stderr_line 'closed'
	transcript_is 'EHLO *|MAIL FROM:<u@example.org> SIZE=N|RCPT TO:<a@example.org>|DATA'
	fault "$sc"
	msg "m602-$sc" | expect_exit 0 postern -C "$(conf dropq queue.enabled=yes "queue.dir=$QDIR")" -t
	fs_done
	expect_stderr_line '^postern: queued \(.*closed.*\); id [0-9A-F]{24}$'
	transcript_is 'EHLO *|MAIL FROM:<u@example.org> SIZE=N|RCPT TO:<a@example.org>|DATA'
	[ "$(q_entries)" = 1 ] || fail "$sc: $(q_entries) entries queued"
	expect_exit 0 postern -C "$up" -q
	for _ in $(seq 100); do
		[ "$(marker_count "m602-$sc")" = 0 ] || break
		sleep 0.05
	done
	[ "$(marker_count "m602-$sc")" = 1 ] || fail "$sc: delivered $(marker_count "m602-$sc") times"
	[ "$(q_entries)" = 0 ] || fail "$sc: still queued after -q"
	expect_exit 0 postern -C "$up" -q
done

# --- AUTH failures are temporary; the secret never shows
pw=$(head -n 1 "$PASSWORD_FILE")
pw_b64=$(printf '%s' "$pw" | base64)
plain_b64=$(printf '\0postern\0%s' "$pw" | base64)
fault auth-535
msg | expect_exit 75 postern -C "$(conf a535 "${authconf[@]}")" -v -t
fs_done
tail -n 1 "$CMD_ERR" | grep -q '^postern: .*535' || fail "last stderr line: $(tail -n 1 "$CMD_ERR")"
for s in "$pw" "$pw_b64" "$plain_b64" "${plain_b64%%=*}"; do
	! grep -qF -- "$s" "$CMD_ERR" || fail "stderr shows the secret ($s)"
done
grep -q '^AUTH PLAIN ' "$FS/cmds" || fail "no AUTH PLAIN sent"
# Refused, the session is still sound: a polite QUIT, and no MAIL.
cmds_are 'EHLO AUTH QUIT '
transcript_is "EHLO *|AUTH PLAIN $plain_b64|QUIT"
fault auth-454
msg | expect_exit 75 postern -C "$(conf a454 "${authconf[@]}")" -t
fs_done
expect_stderr_line '454'
cmds_are 'EHLO AUTH QUIT '
transcript_is "EHLO *|AUTH PLAIN $plain_b64|QUIT"
fault auth-badb64
msg | expect_exit 75 postern -C "$(conf ab64 "${authconf[@]}" smarthost.auth=login)" -v -t
fs_done
tail -n 1 "$CMD_ERR" | grep -q '^postern: .*base64' || fail "last stderr line: $(tail -n 1 "$CMD_ERR")"
grep -qx '> AUTH LOGIN' "$CMD_ERR" || fail "-v does not show '> AUTH LOGIN'"
grep -qx '> \*' "$CMD_ERR" || fail "-v does not show the '*' cancel"
[ "$(tr '\n' '|' <"$FS/cmds" | cut -d'|' -f2-3)" = 'AUTH LOGIN|*' ] ||
    fail "AUTH not cancelled with '*': $(tr '\n' '|' <"$FS/cmds")"
transcript_is 'EHLO *|AUTH LOGIN|*|QUIT'

# --- SIZE: refused before MAIL
fault size100
msg | expect_exit 69 postern -C "$(conf size)" -t
fs_done
expect_stderr_line 'limit of 100'
! grep -Eq '^(MAIL|DATA)' "$FS/cmds" || fail "MAIL/DATA sent to a too-small SIZE"
transcript_is 'EHLO *|QUIT'

# --- SMTPUTF8 needed, not offered: permanent, nothing sent
fault noutf8
printf 'Subject: utf8\n\nbody\n' |
    expect_exit 69 postern -C "$(conf utf8)" 'jörg@example.org'
fs_done
expect_stderr_line 'SMTPUTF8'
! grep -Eq '^(MAIL|RCPT|DATA)' "$FS/cmds" || fail "transaction started without SMTPUTF8"
transcript_is 'EHLO *|QUIT'

# --- DSN: dropped (and logged) without the extension, sent with it
fault ok
: >"$CASE_DIR/postern.log"
printf 'Subject: dsn\n\nbody\n' |
    expect_exit 0 postern -C "$(conf dsn0)" -N failure -R hdrs -V id1+x a+b@example.org
fs_done
grep -q '^MAIL FROM:<[^>]*> SIZE=[0-9]*$' "$FS/cmds" || fail "MAIL with DSN parameters: $(grep MAIL "$FS/cmds")"
grep -qx 'RCPT TO:<a+b@example.org>' "$FS/cmds" || fail "RCPT with DSN parameters: $(grep RCPT "$FS/cmds")"
grep -q 'DSN .*dropped' "$CASE_DIR/postern.log" || fail "log does not say DSN dropped: $(cat "$CASE_DIR/postern.log")"
transcript_is 'EHLO *|MAIL FROM:<u@example.org> SIZE=N|RCPT TO:<a+b@example.org>|DATA|QUIT'
fault ok --dsn
printf 'Subject: dsn\n\nbody\n' |
    expect_exit 0 postern -C "$(conf dsn1)" -N failure -R hdrs -V id1+x a+b@example.org
fs_done
grep -q '^MAIL FROM:<.*> .*RET=HDRS ENVID=id1+2Bx$' "$FS/cmds" || fail "MAIL: $(grep MAIL "$FS/cmds")"
grep -iqx 'RCPT TO:<a+b@example.org> NOTIFY=FAILURE ORCPT=rfc822;a+2Bb@example.org' "$FS/cmds" ||
    fail "RCPT: $(grep RCPT "$FS/cmds")"
transcript_is 'EHLO *|MAIL FROM:<u@example.org> SIZE=N RET=HDRS ENVID=id1+2Bx|RCPT TO:<a+b@example.org> NOTIFY=failure ORCPT=rfc822;a+2Bb@example.org|DATA|QUIT'

# --- 452 after two recipients: the rest is queued, then delivered once
find "$QDIR" -mindepth 1 -delete
fault rcpt452 --n 2
make_msg r1@example.org m602-452 |
    expect_exit 0 postern -C "$(conf r452 queue.enabled=yes "queue.dir=$QDIR")" \
    r1@example.org r2@example.org r3@example.org r4@example.org
fs_done
expect_stderr_line 'queued'
[ -e "$FS/data.1" ] && [ ! -e "$FS/data.2" ] || fail "want one DATA at the 452 server"
transcript_is 'EHLO *|MAIL FROM:<u@example.org> SIZE=N|RCPT TO:<r1@example.org>|RCPT TO:<r2@example.org>|RCPT TO:<r3@example.org>|RCPT TO:<r4@example.org>|DATA|QUIT'
[ "$(q_entries)" = 1 ] || fail "$(q_entries) entries queued, want 1"
bp_json "$up"
for r in r1 r2; do
	[ "$(bp_rcpt $r@example.org)" = "sent|" ] || fail "$r@ not sent: $(bp_rcpt $r@example.org)"
done
for r in r3 r4; do
	bp_rcpt $r@example.org | grep -q '^deferred|452 4\.5\.3' || fail "$r@ not deferred (452)"
done
expect_exit 0 postern -C "$up" -q
msg_file_for r3@example.org >/dev/null
msg_file_for r4@example.org >/dev/null
expect_exit 0 postern -C "$up" -q
sleep 0.3
[ "$(marker_count m602-452)" = 2 ] || fail "m602-452 arrived $(marker_count m602-452) times, want 2 (r3, r4)"
! postfix_log_since_mark | grep -Eq 'to=<r[12]@example.org>' || fail "r1/r2 delivered again"
[ "$(q_entries)" = 0 ] || fail "still queued after -q"
echo "602: all fault-server scenarios as expected"
