# 403: PHPMailer (libphp-phpmailer 6.6) in sendmail mode through the
# installed postern: To + Cc + Bcc, envelope sender from Sender.
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS)
# command: a PHP script with $mail->isSendmail(); PHPMailer runs
#          popen("/usr/sbin/sendmail -t -i -oi -fbounce@example.org -t")
#          (-t twice: sendmail_path plus its own), bare LF throughout,
#          with the Bcc: header in the message
# expect:  send() returns true; one copy each for to@, cc@ and hidden@,
#          all with Return-Path <bounce@example.org>, From/To/Cc/Subject as
#          set, no Bcc: header in any delivered copy, body intact.

need php strip
autoload=/usr/share/php/libphp-phpmailer/autoload.php
[ -r "$autoload" ] || skip "libphp-phpmailer not installed ($autoload)"
. "$TOP/compat-tests/lib/callers.sh"
callers_setup
sendmail_note

cat >send.php <<'PHP'
<?php
require '/usr/share/php/libphp-phpmailer/autoload.php';
use PHPMailer\PHPMailer\PHPMailer;
$m = new PHPMailer(true);
$m->isSendmail();
$m->setFrom('web@example.org', 'Web Site');   // also sets Sender
$m->Sender = 'bounce@example.org';
$m->addAddress('to@example.org', 'To Person');
$m->addCC('cc@example.org');
$m->addBCC('hidden@example.org');
$m->Subject = 'PHPMailer test';
$m->Body = "first line\n.\nlast line\n";
try {
	$ok = $m->send();
	echo $ok ? "sent\n" : "not sent\n";
} catch (Exception $e) {
	echo "exception: ", $e->getMessage(), "\n";
	exit(1);
}
PHP
expect_exit 0 php -d display_errors=stderr send.php
expect_stdout '^sent$'
maildir_wait 3
for r in to@example.org cc@example.org hidden@example.org; do
	m=$(msg_file_for "$r")
	expect_return_path "$m" bounce@example.org
	expect_header "$m" From '^Web Site <web@example\.org>$'
	expect_header "$m" To '^To Person <to@example\.org>$'
	expect_header "$m" Cc '^cc@example\.org$'
	expect_header "$m" Subject '^PHPMailer test$'
	expect_header "$m" Message-ID '^<[^<>@ ]+@[^<>@ ]+>$'
	no_header "$m" Bcc
	grep -qi 'hidden@' <(awk '/^\r?$/ { exit } { print }' "$m" | grep -Evi '^(Delivered-To|X-Original-To):') &&
	    fail "$r: the Bcc address shows in the headers"
	[ "$(msg_body "$m" | tr -d '\r')" = $'first line\n.\nlast line' ] ||
	    fail "$r: body changed: $(msg_body "$m" | head -c 200)"
done
