# 704: a nullmailer remotes file (with adminaddr, me, defaultdomain beside
# it) converted by --import delivers, over STARTTLS + AUTH and plain.
#
# server:  Postfix, STARTTLS + AUTH ($PORT_STARTTLS); plain relay for
#          loopback without AUTH ($PORT_PLAIN)
# source:  nullmailer/remotes: "localhost smtp --port=P --starttls
#          --user=postern --pass='...' --x509cafile=CA" plus a qmqp remote;
#          nullmailer/adminaddr, me (short name), defaultdomain
# command: postern --import nullmailer/remotes; -t -i
# expect:  exit 0; [aliases] default = the adminaddr, domain = me +
#          defaultdomain, qmqp named as not carried over; "To: root"
#          reaches the adminaddr address with AUTH.  A second remotes file
#          "127.0.0.1 smtp --port=PLAIN" gives tls = none and delivers.
. "$TOP/compat-tests/lib/import.sh"

mkdir -p nullmailer
cat >nullmailer/remotes <<EOF2
# nullmailer remotes: host protocol options
localhost smtp --port=$PORT_STARTTLS --starttls --user=$SASL_USER --pass='$SASL_PASSWORD' --x509cafile=$TEST_CA
backup.example.org qmqp
EOF2
chmod 0600 nullmailer/remotes
printf 'ops@example.org\n' >nullmailer/adminaddr
printf 'client\n' >nullmailer/me
printf 'example.org\n' >nullmailer/defaultdomain

import_save nullmailer/remotes
imported_line "host = localhost"
imported_line "port = $PORT_STARTTLS"
imported_line "tls = starttls"
imported_line "tls_ca_file = $TEST_CA"
imported_line "user = $SASL_USER"
imported_line "password = $SASL_PASSWORD"
imported_line "domain = client.example.org"
imported_line "default = ops@example.org"
imported_has "^# nullmailer/remotes:3: qmqp: postern speaks SMTP only"

c=$(imported_ready)
printf 'To: root\nSubject: imported from nullmailer\n\nbody\n' |
    expect_exit 0 postern -C "$c" -t -i
maildir_wait 1
m=$(msg_file_for ops@example.org)
expect_header "$m" To 'root@client\.example\.org'
log_wait 'postfix/starttls/smtpd\[[0-9]+\]: .*sasl_username=postern$' >/dev/null

# A plain relay on loopback, no login: tls = none is carried over.
mkdir -p plain
printf '127.0.0.1 smtp --port=%s\n' "$PORT_PLAIN" >plain/remotes
import_save plain/remotes
imported_line "tls = none"
c=$(imported_ready)
log_mark
printf 'To: p@example.net\n\nbody\n' | expect_exit 0 postern -C "$c" -t -i
maildir_wait 2
smtpd_sessions | grep -q 'postfix/plain/' || fail "not the plain listener"
