# 207: configuration errors exit 78 and name FILE:LINE.
#
# server:  none (postern must stop before connecting)
# command: postern -C BAD.ini -t -i, for each BAD below
# input:   To: a@example.org / (blank) / body
# expect:  exit 78 and one line "postern: ...FILE:LINE..." on stderr for:
#          an unknown key (line 4), a duplicate key (line 4), a line of 300
#          characters (line 4), an unknown section (line 7); nothing
#          delivered, no smtpd session.

head="[smarthost]
host = localhost
port = $PORT_STARTTLS"
tail="tls_ca_file = $TEST_CA
user = $SASL_USER
password_file = $PASSWORD_FILE"
long="helo = $(printf 'x%.0s' $(seq 1 293))"
[ ${#long} = 300 ] || fail "test bug: long line is ${#long} characters"

check() {  # check NAME LINE CONTENTS
	local f
	f=$(printf '%s\n' "$3" | write_conf "$1.ini")
	printf 'To: a@example.org\n\nbody\n' |
	    expect_exit 78 postern -C "$f" -t -i
	expect_stderr_line
	grep -qF -- "$f:$2" "$CMD_ERR" || fail "$1: stderr does not name $f:$2: $(cat "$CMD_ERR")"
}

check unknown-key 4 "$head
colour = blue
$tail"
check duplicate-key 4 "$head
port = 25
$tail"
check long-line 4 "$head
$long
$tail"
check unknown-section 7 "$head
$tail
[nosuch]
x = 1"
[ "$(maildir_count)" = 0 ] || fail "message delivered"
! postfix_log_since_mark | grep -q 'connect from' || fail "postern connected despite a bad config"
