# 408: mutt (2.2) in batch mode sends through the installed postern.
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS)
# command: mutt -n -F /dev/null -s 'mutt subject' -c mu-cc@example.org
#          -b mu-bcc@example.org -e 'set sendmail="/usr/sbin/sendmail -oem
#          -oi"; set use_envelope_from=yes; set from="Mutt User
#          <mu-sender@example.org>"; set use_8bitmime=yes; set
#          dsn_notify="failure,delay"; set dsn_return=hdrs; ...'
#          mu-to@example.org < body   (UTF-8 body)
#          mutt runs /usr/sbin/sendmail -oem -oi -B8BITMIME -f
#          mu-sender@example.org -N failure,delay -R hdrs -- mu-to@...
#          mu-cc@... mu-bcc@...  with stdin a regular temp file (LF, 8bit,
#          no Bcc: header)
# expect:  exit 0; one copy each for To, Cc, Bcc with Return-Path
#          <mu-sender@example.org>, From/To/Cc/Subject as given, no Bcc:
#          header, the 8-bit body intact.

need mutt strip
. "$TOP/compat-tests/lib/callers.sh"
callers_setup
sendmail_note

export HOME=$CASE_DIR LANG=C.UTF-8 LC_ALL=C.UTF-8 EDITOR=true
printf 'mutt body: gr\303\274\303\237e\nsecond line\n' >body
settings='set sendmail="/usr/sbin/sendmail -oem -oi"; set use_envelope_from=yes;'
settings+=' set from="Mutt User <mu-sender@example.org>"; set use_8bitmime=yes;'
settings+=' set dsn_notify="failure,delay"; set dsn_return=hdrs;'
settings+=' set charset=utf-8; set send_charset=utf-8; set copy=no; set record="";'
settings+=' set hostname=example.org'
expect_exit 0 mutt -n -F /dev/null -s 'mutt subject' -c mu-cc@example.org \
    -b mu-bcc@example.org -e "$settings" mu-to@example.org <body
maildir_wait 3
for r in mu-to@example.org mu-cc@example.org mu-bcc@example.org; do
	m=$(msg_file_for "$r")
	expect_return_path "$m" mu-sender@example.org
	expect_header "$m" From '^Mutt User <mu-sender@example\.org>$'
	expect_header "$m" To '^mu-to@example\.org$'
	expect_header "$m" Cc '^mu-cc@example\.org$'
	expect_header "$m" Subject '^mutt subject$'
	expect_header "$m" Message-ID '^<[^<>@ ]+@[^<>@ ]+>$'
	no_header "$m" Bcc
	[ "$(msg_body "$m" | tr -d '\r')" = $'mutt body: gr\303\274\303\237e\nsecond line' ] ||
	    fail "$r: body: $(msg_body "$m" | head -c 200 | od -c | head -n 4)"
done
