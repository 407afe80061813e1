# 821: every AUTH mechanism postern has for passwords, against a real
# Dovecot submission server, with the right and with a wrong password.
#
# server:  Dovecot's submission service (lib/dovecot.sh): STARTTLS on base
#          + 50 and implicit TLS on base + 51, certificate from the test CA,
#          AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 against a
#          passwd-file, relaying to the Postfix harness (plain listener)
# command: postern -C VARIANT.ini a@example.org, [queue] enabled = no,
#          auth = scram-sha-1 | scram-sha-256 | plain | login | cram-md5,
#          then auth = auto (STARTTLS) and auth = scram-sha-256 over
#          implicit TLS
# expect:  right password: exit 0, Dovecot logs "Login: user=<postern>,
#          method=MECH", the message arrives in the Maildir through
#          Dovecot's relay; wrong password: exit 75 (temporary failure,
#          queue off) with one line "postern: ... AUTH MECH ... 535 ...",
#          Dovecot logs the failed attempt for MECH, no message relayed;
#          auth = auto over verified TLS: PLAIN.
. "$TOP/compat-tests/lib/dovecot.sh"
dovecot_start

n=0
for mech in scram-sha-1 scram-sha-256 plain login cram-md5; do
	M=$(echo "$mech" | tr a-z A-Z)
	dovecot_log_mark
	printf 'Subject: s821 %s\n\nbody\n' "$mech" |
	    expect_exit 0 postern -C "$(dovecot_conf "$mech" "smarthost.auth=$mech")" "rcpt-$mech@example.org"
	dovecot_log_wait "Login: user=<$SASL_USER>, method=$M," >/dev/null
	dovecot_log_wait "Successfully relayed message" >/dev/null
	m=$(msg_file_for "rcpt-$mech@example.org")
	[ "$(msg_header "$m" Subject)" = "s821 $mech" ] || fail "$mech: wrong message arrived"
	n=$((n + 1))

	dovecot_log_mark
	log_mark
	printf 'Subject: s821 bad\n\nbody\n' |
	    expect_exit 75 postern -C "$(dovecot_conf "bad-$mech" "smarthost.auth=$mech" \
	    "smarthost.password_file=$CONF/badpassword")" "bad-$mech@example.org"
	expect_stderr_line "authentication as $SASL_USER \($M\) failed: 535 "
	dovecot_log_wait "(auth failed|Authentication failed|password mismatch).*method=$M|method=$M.*(auth failed|Authentication failed)" >/dev/null
	! dovecot_log | grep -q "Successfully relayed" || fail "$mech: a message was relayed after a failed AUTH"
done

dovecot_log_mark
printf 'Subject: s821 auto\n\nbody\n' |
    expect_exit 0 postern -C "$(dovecot_conf auto)" auto@example.org
dovecot_log_wait "Login: user=<$SASL_USER>, method=PLAIN," >/dev/null
msg_file_for auto@example.org >/dev/null

dovecot_log_mark
printf 'Subject: s821 implicit\n\nbody\n' |
    expect_exit 0 postern -C "$(dovecot_conf implicit smarthost.tls=implicit \
    "smarthost.port=$DOVECOT_PORT_TLS" smarthost.auth=scram-sha-256)" implicit@example.org
dovecot_log_wait "Login: user=<$SASL_USER>, method=SCRAM-SHA-256,.*TLS" >/dev/null
msg_file_for implicit@example.org >/dev/null
maildir_wait $((n + 2))
for mech in scram-sha-1 scram-sha-256 plain login cram-md5; do
	grep -rlqi "^Delivered-To: bad-$mech@" "$MAILDIR" && fail "$mech: delivered with a wrong password"; :
done
