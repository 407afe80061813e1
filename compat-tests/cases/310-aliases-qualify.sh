# 310: aliases and qualification of bare local names.
#
# server:  Postfix plain listener ($PORT_PLAIN), own postern queue
# config:  plain.ini + [aliases] root = x310@example.org,
#          default = catch310@example.org; [sender] aliases_file = a file in
#          /etc/aliases syntax (comment, "ops:" continued on a second line)
# commands and inputs:
#   a: postern -t -i; To: root / From: root (Cron Daemon) / Cc: Ops <ops>
#      -> x310@, ops1-310@, ops2-310@ receive it; the headers arrive as
#      "To: root@example.org", "From: root@example.org (Cron Daemon)",
#      "Cc: Ops <ops@example.org>"
#   b: postern -FCronDaemon -i -B8BITMIME -oem root (Debian cron; no To)
#      -> only x310@
#   c: postern -i ops -> ops1-310@, ops2-310@ (from the file)
#   d: postern -i nobody-here www-data@localhost -> catch310@ (once)
#   e: an aliases file with ":include:/etc/lists" on line 3
#      -> exit 78, "FILE:3:" and ":include:" on stderr, no SMTP session
# expect:  the Delivered-To sets listed (count checked).

afile=$CASE_DIR/aliases
printf '%s\n' \
    '# postern test aliases' \
    'ops: ops1-310@example.org,' \
    '	ops2-310@example.org' \
    '' \
    'web: root' >"$afile"
conf=$(conf_variant al plain "queue.dir=$CASE_DIR/q" \
    "sender.aliases_file=$afile" \
    aliases.root=x310@example.org aliases.default=catch310@example.org)

delivered() {
	local f
	for f in $(maildir_files); do msg_header "$f" Delivered-To; done |
	    tr '[:upper:]' '[:lower:]' | sort | tr '\n' ' '
}
expect_set() {
	local want got
	maildir_wait $#
	smtpd_sessions >/dev/null
	sleep 0.2   # a stray extra delivery would show up now
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	got=$(delivered)
	[ "$got" = "$want" ] || fail "delivered to: $got; want: $want"
}
next() { maildir_clear; log_mark; }

printf 'To: root\nFrom: root (Cron Daemon)\nCc: Ops <ops>\nSubject: 310a\n\nbody\n' |
    expect_exit 0 postern -C "$conf" -t -i
expect_set x310@example.org ops1-310@example.org ops2-310@example.org
m=$(msg_file_for x310@example.org)
expect_header "$m" To '^root@example\.org$'
expect_header "$m" From '^root@example\.org \(Cron Daemon\)$'
expect_header "$m" Cc '^Ops <ops@example\.org>$'
[ "$(msg_body "$m")" = body ] || fail "body changed"

next
printf 'Subject: 310b cron\n\noutput\n' |
    expect_exit 0 postern -C "$conf" -FCronDaemon -i -B8BITMIME -oem root
expect_set x310@example.org
m=$(msg_file_for x310@example.org)
expect_header "$m" From '^"?CronDaemon"? <root@example\.org>$'

next
printf 'Subject: 310c\n\nbody\n' | expect_exit 0 postern -C "$conf" -i ops
expect_set ops1-310@example.org ops2-310@example.org

next
printf 'Subject: 310d\n\nbody\n' |
    expect_exit 0 postern -C "$conf" -i nobody-here www-data@localhost
expect_set catch310@example.org

next
bad=$CASE_DIR/aliases-include
printf '# lists\npostmaster: root\nlists: :include:/etc/lists\n' >"$bad"
conf2=$(conf_variant inc plain "queue.dir=$CASE_DIR/q" "sender.aliases_file=$bad")
printf 'Subject: 310e\n\nbody\n' | expect_exit 78 postern -C "$conf2" -i root
expect_stderr_line "aliases-include:3:.*:include:"
sleep 0.2
! postfix_log_since_mark | grep -q 'connect from' || fail "postern connected despite the bad aliases file"
[ "$(maildir_count)" = 0 ] || fail "$(maildir_count) message(s) delivered"
