# 624: auth = auto picks PLAIN over verified TLS, SCRAM-SHA-256 without TLS;
# SCRAM-SHA-1 and SCRAM-SHA-256 against Postfix's Cyrus SASL, each with the
# wrong password too.
#
# server:  Postfix, mechanisms PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256
#          SCRAM-SHA-1; the starttls listener (TLS, AUTH required) and the
#          plainauth listener (loopback, no TLS, AUTH offered)
# command: postern -C starttls.ini a@example.org (auth = auto, default);
#          postern -C plainauth.ini a@example.org (tls = none to 127.0.0.1);
#          postern -C scram.ini a@example.org (starttls, auth = scram-sha-256)
#          postern -C sha1.ini a@example.org (starttls, auth = scram-sha-1)
#          the last two with the wrong password ([queue] enabled = no)
# expect:  each exit 0 and delivered; Postfix logs sasl_method=PLAIN for
#          the first, SCRAM-SHA-256 for the second and the third,
#          SCRAM-SHA-1 for the fourth; a wrong password: exit 75, Postfix
#          logs the failed SCRAM AUTH, no MAIL.

mech_of() {	# mech_of CONF: submit once, print Postfix's sasl_method
	log_mark
	printf 'Subject: s624\n\nbody\n' | expect_exit 0 postern -C "$1" a@example.org
	log_wait 'sasl_method=' | sed 's/.*sasl_method=\([^,]*\).*/\1/'
}

m=$(mech_of "$(conf_variant auto starttls "queue.dir=$CASE_DIR/q")")
[ "$m" = PLAIN ] || fail "auth = auto over TLS used $m, expected PLAIN"
m=$(mech_of "$(conf_variant loop plainauth "queue.dir=$CASE_DIR/q")")
[ "$m" = SCRAM-SHA-256 ] || fail "auth = auto without TLS used $m, expected SCRAM-SHA-256"
m=$(mech_of "$(conf_variant scram starttls "queue.dir=$CASE_DIR/q" smarthost.auth=scram-sha-256)")
[ "$m" = SCRAM-SHA-256 ] || fail "auth = scram-sha-256 used $m"
m=$(mech_of "$(conf_variant sha1 starttls "queue.dir=$CASE_DIR/q" smarthost.auth=scram-sha-1)")
[ "$m" = SCRAM-SHA-1 ] || fail "auth = scram-sha-1 used $m"
maildir_wait 4
maildir_clear

for mech in scram-sha-256 scram-sha-1; do
	log_mark
	printf 'Subject: s624\n\nbody\n' | expect_exit 75 postern -C \
	    "$(conf_variant "bad-$mech" badpass "queue.dir=$CASE_DIR/q" "smarthost.auth=$mech")" a@example.org
	expect_stderr_line
	M=$(echo "$mech" | tr a-z A-Z)
	log_wait "SASL $M authentication failed" >/dev/null
	! smtpd_sessions | grep -Eq ' (mail|rcpt|data)=' || fail "$mech: MAIL after a failed AUTH"
done
[ "$(maildir_count)" = 0 ] || fail "a message was delivered with a wrong password"
