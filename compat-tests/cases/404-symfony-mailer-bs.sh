# 404: Symfony Mailer (php-symfony-mailer 5.4) with sendmail://default,
# which speaks SMTP to "/usr/sbin/sendmail -bs" over a pipe.
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS); then a recipient the
#          server rejects (550), then a closed port with the queue disabled
# command: a PHP script run as www-data: Transport::fromDsn(
#          'sendmail://default'), three $mailer->send() on one transport
#          (one -bs process: HELO, MAIL, RCPT, DATA, ... QUIT)
# expect:  three messages arrive, each with Return-Path <web@example.org>,
#          its own Subject, To as given, the Bcc recipient of the second
#          gets it and no copy has a Bcc: header; the postern log shows one
#          process for the three.  A rejected recipient and a smarthost
#          that is down (queue disabled: 4xx after the dot) each make
#          send() throw a TransportException, and neither leaves anything
#          in the queue (no bounce for a failure the reply reported).

need php strip
autoload=/usr/share/php/Symfony/Component/Mailer/autoload.php
[ -r "$autoload" ] || skip "php-symfony-mailer not installed ($autoload)"
php -r 'exit(function_exists("mb_strlen") ? 0 : 1);' || skip "php8.2-mbstring not installed"
. "$TOP/compat-tests/lib/callers.sh"
callers_setup
sendmail_note

cat >send.php <<'PHP'
<?php
require '/usr/share/php/Symfony/Component/Mailer/autoload.php';
use Symfony\Component\Mailer\Mailer;
use Symfony\Component\Mailer\Transport;
use Symfony\Component\Mime\Email;

// usage: php send.php RCPT-LOCAL-PART...: one message per argument, all
// through one transport.
$mailer = new Mailer(Transport::fromDsn('sendmail://default'));
$n = 0;
foreach (array_slice($argv, 1) as $local) {
	$n++;
	$email = (new Email())
	    ->from('Web App <web@example.org>')
	    ->to($local . '@example.org')
	    ->subject("Symfony message $n")
	    ->text("Symfony body $n\n.\nend\n");
	if ($n == 2)
		$email->bcc('sf-hidden@example.org');
	try {
		$mailer->send($email);
		echo "sent $n\n";
	} catch (\Symfony\Component\Mailer\Exception\TransportExceptionInterface $e) {
		echo "TransportException $n: ", get_class($e), ": ",
		    strtok($e->getMessage(), "\n"), "\n";
	}
}
PHP

sf() { expect_exit 0 runuser -u www-data -- php -d display_errors=stderr "$CASE_DIR/send.php" "$@"; }

# Three messages, one transport.
sf sf-one sf-two sf-three
[ "$(grep -c '^sent ' "$CMD_OUT")" = 3 ] || fail "Symfony did not send all three: $(tr '\n' '|' <"$CMD_OUT")"
maildir_wait 4
for i in 1 2 3; do
	case $i in 1) r=sf-one ;; 2) r=sf-two ;; 3) r=sf-three ;; esac
	m=$(msg_file_for "$r@example.org")
	expect_return_path "$m" web@example.org
	expect_header "$m" From '^Web App <web@example\.org>$'
	expect_header "$m" To "^$r@example\\.org\$"
	expect_header "$m" Subject "^Symfony message $i\$"
	expect_header "$m" Message-ID '^<[^<>@ ]+@[^<>@ ]+>$'
	no_header "$m" Bcc
	[ "$(msg_body "$m" | tr -d '\r')" = "Symfony body $i"$'\n.\nend' ] ||
	    fail "$r: body changed: $(msg_body "$m" | head -c 200)"
done
m=$(msg_file_for sf-hidden@example.org)
expect_header "$m" Subject '^Symfony message 2$'
no_header "$m" Bcc
# One -bs process for the three messages: the log names one PID.
pids=$(grep -o 'postern\[[0-9]*\]' "$INST_LOG" | sort -u | wc -l)
[ "$pids" = 1 ] || fail "expected one postern process in the log, found $pids: $(cat "$INST_LOG")"

# A recipient the smarthost rejects.
maildir_clear
sf reject-sf
expect_stdout '^TransportException 1: '
[ "$(grep -c '^sent ' "$CMD_OUT")" = 0 ] || fail "Symfony reported success for a rejected recipient"
# The failure was reported in the reply to the dot; a bounce on top would
# tell the sender twice (submit mode queues none either).
[ "$(inst_queue_count)" = 0 ] ||
    fail "a failure already reported in the SMTP reply also queued $(inst_queue_count) entry (a DSN to the sender?)"

# The smarthost is down and the queue disabled: the reply after the dot is
# 4xx; Symfony must throw.
callers_conf "smarthost.port=$(closed_port)" queue.enabled=no
sf sf-down
expect_stdout '^TransportException 1: '
[ "$(grep -c '^sent ' "$CMD_OUT")" = 0 ] || fail "Symfony reported success although nothing was relayed"
[ "$(inst_queue_count)" = 0 ] || fail "queued although the queue is disabled"
sleep 0.3
[ "$(maildir_count)" = 0 ] || fail "$(maildir_count) message(s) delivered after a failure"
