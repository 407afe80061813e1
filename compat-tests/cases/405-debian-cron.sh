# 405: Debian cron (cron 3.0pl1) mails a job's output through the
# installed postern.
#
# case-timeout: 130
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS)
# command: cron -f (foreground, as root) with /etc/cron.d/postern-test:
#            MAILTO=cron-a@example.org,cron-b@example.org
#            * * * * * root echo hello-cron
#          cron runs the job at the next minute boundary (up to 60 s) and
#          pipes its output to
#            /usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem \
#                cron-a@example.org,cron-b@example.org
#          (one argv element holding a comma list; no -f, no -t; LF; no
#          Date/Message-ID; From: root (Cron Daemon))
# expect:  one copy for each MAILTO address, Return-Path <root@example.org>
#          (no -f: [sender] from), From qualified (root@example.org, with
#          the Cron Daemon comment or display name), Subject
#          "Cron <root@HOST> echo hello-cron", Date and Message-ID added,
#          body "hello-cron".  cron is stopped and the crontab removed at
#          the end.

need cron strip
. "$TOP/compat-tests/lib/callers.sh"
callers_setup
sendmail_note

tab=/etc/cron.d/postern-test
callers_at_exit "rm -f $tab"
umask 022
cat >"$tab" <<'CRON'
# written by postern's compat-tests (405-debian-cron); removed at its end
MAILTO=cron-a@example.org,cron-b@example.org
* * * * * root echo hello-cron
CRON
chmod 0644 "$tab"

# Our own cron in the foreground; if one already runs (a CI image with the
# service started), it reads /etc/cron.d again at the next minute anyway.
# (Without the 4xx lock's descriptor: cron must not hold it.)
( [ -z "${CALLERS_LOCK_FD:-}" ] || exec {CALLERS_LOCK_FD}>&-; exec cron -f ) >cron.out 2>&1 &
cron_pid=$!
callers_at_exit "kill $cron_pid 2>/dev/null; wait $cron_pid 2>/dev/null"
sleep 0.2
if ! kill -0 "$cron_pid" 2>/dev/null; then
	echo "# cron -f exited: $(cat cron.out); relying on the running cron" >&2
	pgrep -x cron >/dev/null || fail "cron -f did not start: $(cat cron.out)"
fi

# The job runs at the next minute boundary; wait until then plus a margin.
now=$(date +%s)
wait_s=$(( 60 - now % 60 + 15 ))
echo "# waiting up to ${wait_s}s for the minute boundary" >&2
m=$(msg_file_for cron-a@example.org "$wait_s")
host=$(hostname)
for r in cron-a@example.org cron-b@example.org; do
	m=$(msg_file_for "$r")
	expect_return_path "$m" root@example.org
	expect_header "$m" From 'root@example\.org'
	expect_header "$m" From 'Cron Daemon'
	expect_header "$m" To 'cron-a@example\.org, ?cron-b@example\.org'
	expect_header "$m" Subject "^Cron <root@$(ere_quote "$host")[^>]*> echo hello-cron\$"
	expect_header "$m" Date '[0-9]{4} [0-9]{2}:[0-9]{2}'
	expect_header "$m" Message-ID '^<[^<>@ ]+@[^<>@ ]+>$'
	[ "$(msg_body "$m" | tr -d '\r')" = hello-cron ] ||
	    fail "$r: body: $(msg_body "$m" | head -c 200)"
done
