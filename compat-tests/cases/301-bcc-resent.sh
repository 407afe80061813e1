# 301: -t with Resent-* uses only the Resent set; Bcc and Resent-Bcc never
#      arrive, however the recipients came.
#
# server:  Postfix plain listener ($PORT_PLAIN), own postern queue
# commands and inputs:
#   a: postern -t -i; From, To, Cc, Bcc, then a resend block Resent-Date,
#      Resent-From, Resent-To, Resent-Cc, Resent-Bcc (folded, two
#      addresses)  -> exactly r-to, r-cc, r-bcc1, r-bcc2 receive it (not
#      to/cc/bcc); To/Cc/Resent-To/Resent-Cc kept
#   b: postern -t -i; To, Cc, "Bcc: b1, hidden: b2;" and a second "bcc:"
#      field, no Resent-*  -> to, cc, b1, b2, b3 receive it
#   c: postern -i -f sender -- n-rcpt (Nodemailer style, no -t) with To and
#      Bcc headers -> only n-rcpt receives it
#   d: postern -t -i x-argv; To: x-to, Bcc: x-bcc -> x-argv, x-to, x-bcc
# expect:  exit 0 each; the Delivered-To set is exactly the one listed
#          (count checked); no delivered copy has a Bcc: or Resent-Bcc:
#          field (any case, any spacing); the body is intact.

conf=$(conf_variant q plain "queue.dir=$CASE_DIR/q")

# delivered: sorted Delivered-To values of everything in the Maildir.
delivered() {
	local f
	for f in $(maildir_files); do msg_header "$f" Delivered-To; done |
	    tr '[:upper:]' '[:lower:]' | sort | tr '\n' ' '
}
# no_bcc: no delivered copy carries a Bcc or Resent-Bcc field; bodies ok.
no_bcc() {
	local f
	for f in $(maildir_files); do
		! awk '/^$/ { exit } { print }' "$f" | grep -Eiq '^(resent-)?bcc[ \t]*:' ||
		    fail "$(msg_header "$f" Delivered-To) got a Bcc field: $(awk '/^$/ { exit } { print }' "$f" | grep -Ei -m1 '^(resent-)?bcc')"
		[ "$(msg_body "$f")" = "body $1" ] || fail "$(msg_header "$f" Delivered-To): body changed"
	done
}
# expect_set WANT...: exactly these recipients got a copy.
expect_set() {
	local want got
	maildir_wait $#
	smtpd_sessions >/dev/null
	sleep 0.2   # a stray extra delivery would show up now
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	got=$(delivered)
	[ "$got" = "$want" ] || fail "delivered to: $got; want: $want"
}

printf '%s\n' \
    'From: Original <orig@example.org>' \
    'To: to301@example.org' \
    'Cc: cc301@example.org' \
    'Bcc: bcc301@example.org' \
    'Subject: 301a' \
    'Date: Mon, 1 Jan 2024 00:00:00 +0000' \
    'Message-ID: <301a@example.org>' \
    'Resent-Date: Tue, 2 Jan 2024 00:00:00 +0000' \
    'Resent-From: Resender <resender@example.org>' \
    'Resent-To: r-to301@example.org' \
    'Resent-Cc: r-cc301@example.org' \
    'Resent-Bcc: r-bcc1-301@example.org,' \
    ' r-bcc2-301@example.org' \
    '' 'body a' | expect_exit 0 postern -C "$conf" -t -i
expect_set r-to301@example.org r-cc301@example.org \
    r-bcc1-301@example.org r-bcc2-301@example.org
no_bcc a
m=$(msg_file_for r-to301@example.org)
expect_header "$m" To '^to301@example\.org$'
expect_header "$m" Cc '^cc301@example\.org$'
expect_header "$m" Resent-To '^r-to301@example\.org$'
expect_header "$m" Resent-Cc '^r-cc301@example\.org$'
expect_header "$m" Resent-From 'resender@example\.org'

maildir_clear
log_mark
printf '%s\n' \
    'To: to301b@example.org' \
    'Cc: cc301b@example.org' \
    'Bcc: b1-301b@example.org, hidden: b2-301b@example.org;' \
    'Subject: 301b' \
    'bcc : b3-301b@example.org' \
    '' 'body b' | expect_exit 0 postern -C "$conf" -t -i
expect_set to301b@example.org cc301b@example.org b1-301b@example.org \
    b2-301b@example.org b3-301b@example.org
no_bcc b

maildir_clear
log_mark
printf '%s\n' \
    'From: app@example.org' \
    'To: shown301c@example.org' \
    'Bcc: hidden301c@example.org' \
    'Subject: 301c' \
    '' 'body c' | expect_exit 0 postern -C "$conf" -i -f app@example.org -- n-rcpt301c@example.org
expect_set n-rcpt301c@example.org
no_bcc c

maildir_clear
log_mark
printf '%s\n' \
    'To: x-to301d@example.org' \
    'Bcc: x-bcc301d@example.org' \
    'Subject: 301d' \
    '' 'body d' | expect_exit 0 postern -C "$conf" -t -i x-argv301d@example.org
expect_set x-argv301d@example.org x-to301d@example.org x-bcc301d@example.org
no_bcc d
