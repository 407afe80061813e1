# 313: domains that are not SMTP syntax, a stray CR inside a header address
#      and a line break in a recipient argument are refused before anything
#      is sent (RFC 5321 4.1.2 Domain and address-literal; SPEC "CR or LF
#      inside ... any address is refused (exit 64 for arguments, 65 for
#      headers)").
#
# server:  Postfix plain listener ($PORT_PLAIN)
# commands (input "Subject: x / (blank) / body" unless -t):
#   64: recipients a@-x.org, a@x.org-, a@x/y.org, a@[not-an-ip],
#       a@[IPv6:1::2:], a@[300.1.1.1], a@[1.2.3], a@[tag:text], a@x..org,
#       a 64-octet label; -f with a@-x.org; 'ok@example.org,\r\n b@example.org',
#       'ok@example.org\n\t(x)' and '"a\r\n b"@example.org' (a line break
#       followed by a blank: a fold in a header, but not in an argument)
#   65 (with -t): the same domains in To:; To: "\rtest"@example.org (a
#       stray CR inside the address) and To: a@example.org,\r b@example.org
# expect:  each exits 64/65 with one stderr line; Postfix logs no connection.
#   then:  a@[127.0.0.1], a@[IPv6:::1], a@x-y.example.org, a 63-octet label,
#          a digit-only label and a trailing "\r" before the LF of To:
#          are accepted (exit 0; Postfix refuses the literal domains' mail
#          or takes it, whichever: only the submission is judged).

conf=$(conf_variant q plain "queue.dir=$CASE_DIR/q")
in=$CASE_DIR/in
printf 'Subject: x\n\nbody\n' >"$in"
l63=$(printf 'a%.0s' $(seq 63))
l64=${l63}a

bad_domains=('-x.org' 'x.org-' 'x/y.org' '[not-an-ip]' '[IPv6:1::2:]'
    '[300.1.1.1]' '[1.2.3]' '[tag:text]' 'x..org' "$l64.example.org"
    'x+y.org')

log_mark
for d in "${bad_domains[@]}"; do
	expect_exit 64 postern -C "$conf" -i -- "a@$d" <"$in"
	expect_stderr_line
	printf 'To: a@%s\nSubject: x\n\nbody\n' "$d" |
	    expect_exit 65 postern -C "$conf" -t -i
	expect_stderr_line
done
expect_exit 64 postern -C "$conf" -i -f 'a@-x.org' ok@example.org <"$in"
expect_stderr_line
for a in $'ok@example.org,\r\n b@example.org' $'ok@example.org\n\t(x)' \
    $'"a\r\n b"@example.org'; do
	expect_exit 64 postern -C "$conf" -i -- "$a" <"$in"
	expect_stderr_line 'line break'
done
printf 'To: "\rtest"@example.org\nSubject: x\n\nbody\n' |
    expect_exit 65 postern -C "$conf" -t -i
expect_stderr_line 'CR'
printf 'To: a@example.org,\r b@example.org\nSubject: x\n\nbody\n' |
    expect_exit 65 postern -C "$conf" -t -i
expect_stderr_line 'CR'
sleep 0.3
! postfix_log_since_mark | grep -q 'connect from' ||
    fail "postern connected for a refused message: $(postfix_log_since_mark | grep -m1 'connect from')"

# What is SMTP syntax still goes through.
for d in '[127.0.0.1]' '[IPv6:::1]' 'x-y.example.org' "$l63.example.org" \
    '1.example.org'; do
	expect_exit 0 postern -C "$conf" -odq -i -- "a@$d" <"$in"
done
printf 'To: ok@example.org\r\r\nSubject: x\n\nbody\n' |
    expect_exit 0 postern -C "$conf" -odq -t -i
