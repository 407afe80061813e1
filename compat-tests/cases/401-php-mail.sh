# 401: PHP mail() (php-cli, Debian 12) through the installed postern.
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS); later a closed port
# command: php -r 'var_dump(mail(...))'; PHP runs
#          sh -c "/usr/sbin/sendmail -t -i [5th argument]"
#          (CRLF headers, LF body), which is postern via the installed link
#          reading /etc/postern.ini (setgid postern, root:postern 0640)
# expect:  - mail() without a 5th argument returns true; the message arrives
#            with Return-Path <root@example.org>, the given To/Subject/From,
#            Date and Message-ID added, body intact;
#          - with "-fbounce@example.org": Return-Path <bounce@example.org>;
#          - as www-data (a web server's PHP): true, Return-Path
#            <www-data@example.org> (the setgid layout lets a user send);
#          - recipient reject-php@... (550 at RCPT): false, nothing arrives;
#          - smarthost down (closed port, queue on): true, nothing arrives,
#            one entry in the queue; `sendmail -q` with the good config
#            delivers it.

need php strip
. "$TOP/compat-tests/lib/callers.sh"
callers_setup
sendmail_note

# php_mail TO SUBJECT BODY HEADERS [PARAMS]: prints bool(true)/bool(false).
php_mail() {
	local code='var_dump(mail(getenv("M_TO"), getenv("M_SUBJ"), getenv("M_BODY"), getenv("M_HDRS"), getenv("M_PARAMS")));'
	M_TO=$1 M_SUBJ=$2 M_BODY=$3 M_HDRS=${4:-} M_PARAMS=${5:-} \
	    expect_exit 0 ${PHP_AS:+runuser -u "$PHP_AS" --} php -d display_errors=stderr -r "$code"
}

# 1. Plain mail(), as root.
php_mail plain@example.org 'PHP subject' $'line one\nline two\n' 'From: Web Site <web@example.org>'
expect_stdout '^bool\(true\)$'
m=$(msg_file_for plain@example.org)
expect_return_path "$m" root@example.org
expect_header "$m" To '^plain@example\.org$'
expect_header "$m" Subject '^PHP subject$'
expect_header "$m" From '^Web Site <web@example\.org>$'
expect_header "$m" Date '[0-9]{4} [0-9]{2}:[0-9]{2}'
expect_header "$m" Message-ID '^<[^<>@ ]+@[^<>@ ]+>$'
[ "$(msg_body "$m" | tr -d '\r')" = $'line one\nline two' ] ||
    fail "body changed: $(msg_body "$m" | head -c 200 | od -c | head -n 3)"

# 2. The 5th argument sets the envelope sender.
php_mail fifth@example.org 'With -f' 'body' 'From: web@example.org' '-fbounce@example.org'
expect_stdout '^bool\(true\)$'
m=$(msg_file_for fifth@example.org)
expect_return_path "$m" bounce@example.org
expect_header "$m" Subject '^With -f$'

# 3. As www-data: the installed, set-group-ID layout.
PHP_AS=www-data php_mail www@example.org 'From the web' 'body'
expect_stdout '^bool\(true\)$'
m=$(msg_file_for www@example.org)
expect_return_path "$m" www-data@example.org
expect_header "$m" From 'www-data@example\.org'
maildir_wait 3

# 4. A permanent failure: mail() returns false, nothing arrives.
php_mail reject-php@example.org 'Rejected' 'body' ''
expect_stdout '^bool\(false\)$'
log_wait 'NOQUEUE: reject: RCPT .*<reject-php@example\.org>' >/dev/null
sleep 0.3
[ "$(maildir_count)" = 3 ] || fail "a rejected message was delivered"

# 5. Smarthost down, queue on: mail() returns true and the message waits.
callers_conf "smarthost.port=$(closed_port)"
php_mail queued@example.org 'Queued' 'queued body' ''
expect_stdout '^bool\(true\)$'
[ "$(inst_queue_count)" = 1 ] || fail "expected 1 queued entry, found $(inst_queue_count)"
expect_exit 0 /usr/bin/mailq
expect_stdout 'queued@example\.org'
sleep 0.3
[ "$(maildir_count)" = 3 ] || fail "delivered although the smarthost was down"
callers_conf
expect_exit 0 "$SENDMAIL" -q
m=$(msg_file_for queued@example.org)
expect_return_path "$m" root@example.org
expect_header "$m" Subject '^Queued$'
[ "$(msg_body "$m" | tr -d '\r')" = 'queued body' ] || fail "queued body changed"
[ "$(inst_queue_count)" = 0 ] || fail "queue not empty after -q"
maildir_wait 4
