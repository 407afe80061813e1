# 907: delivery status notifications that the queue sends are DKIM signed
# when their From (MAILER-DAEMON@ the [sender] domain) is in d=, like any
# submission; with sign = from-domain and another d= they go unsigned.
#
# server:  Postfix, plain listener ($PORT_PLAIN); reject* get 550 5.1.1
# command: [dkim] d=example.org (the harness's [sender] domain), Ed25519
#          relaxed/relaxed, then RSA simple/simple; postern -C down.ini
#          -f sender@example.org reject1@example.org (queued: smarthost
#          down), postern -C up.ini -q (550: failed, DSN queued), -q again
#          (the DSN goes out).  Then the same with d=other.example.
# expect:  exit 0 each; each sender gets one DSN (From MAILER-DAEMON@
#          example.org, multipart/report) with DKIM-Signature d=example.org
#          that python3-dkim and opendkim-testmsg accept; a changed
#          Final-Recipient line fails both; with d=other.example the DSN
#          has no DKIM-Signature.

. "$TOP/compat-tests/lib/dkim.sh"
. "$TOP/compat-tests/lib/queue.sh"
dkim_need
dkim_keys

# dsn_for SPEC SENDER REJECT [k=v...]: a message that fails at the second
# -q; prints the DSN's file.
dsn_for() {
	local spec=$1 sender=$2 rcpt=$3 alg canon
	shift 3
	alg=${spec%%:*}
	canon=${spec#*:}
	queue_confs plain "dkim.domain=example.org" "dkim.selector=$alg" \
	    "dkim.key_file=$CASE_DIR/$alg.key" "dkim.canonicalization=$canon" \
	    queue.retry=1s "queue.dir=$CASE_DIR/q-$alg" "$@"
	QDIR=$CASE_DIR/q-$alg
	printf 'Subject: m907 %s\n\nbody\n' "$spec" |
	    expect_exit 0 postern -C "$DOWN" -f "$sender" "$rcpt"
	expect_stderr_line '^postern: queued '
	sleep 1.2	# past the first retry time
	expect_exit 0 postern -C "$UP" -q
	[ "$(q_entries)" = 1 ] || fail "$spec: $(q_entries) entries after the refusal, want the DSN"
	expect_exit 0 postern -C "$UP" -q
	[ "$(q_entries)" = 0 ] || fail "$spec: the DSN is still queued"
	msg_file_for "$sender"
}

files=()
for spec in ed:relaxed/relaxed rsa:simple/simple; do
	alg=${spec%%:*}
	f=$(dsn_for "$spec" "sender-$alg@example.org" "reject-$alg@example.org")
	expect_header "$f" From 'MAILER-DAEMON@example\.org'
	expect_header "$f" Content-Type '^multipart/report;'
	expect_header "$f" DKIM-Signature "d=example.org; s=$alg;"
	expect_header "$f" DKIM-Signature "c=${spec#*:};"
	files+=("$f")
done

dkim_verify "${files[@]}"

# The test can fail: a changed report line breaks the signature.
sed 's/^Final-Recipient: rfc822; reject-ed@example.org/Final-Recipient: rfc822; reject-xx@example.org/' \
    "${files[0]}" >changed.eml
cmp -s "${files[0]}" changed.eml && fail "the change changed nothing"
dkim_reject changed.eml

# sign = from-domain with another d=: the DSN goes unsigned.
maildir_clear
f=$(dsn_for ed:relaxed/relaxed sender-other@example.org reject-other@example.org \
    dkim.domain=other.example)
expect_header "$f" From 'MAILER-DAEMON@example\.org'
dkim_unsigned "$f"
echo "907: DSNs signed in the signing domain, unsigned elsewhere"
