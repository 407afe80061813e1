# 901: signed messages verify with python3-dkim and OpenDKIM, for RSA and
# Ed25519, both canonicalizations, a plain, an 8-bit, a quoted-printable
# re-encoded, a multipart and a 1-byte message; a changed header or body
# fails verification.
#
# server:  Postfix, STARTTLS + AUTH ($PORT_STARTTLS); verifiers: python3-dkim
#          (dkim.verify, dnsfunc from the zone) and opendkim-testmsg (key
#          from compat-tests/data/dns-server.py inside a private network
#          namespace)
# command: postern -C {rsa,ed}-{relaxed,simple}.ini [-t] RCPT
# input:   five messages per configuration (see below)
# expect:  exit 0 each; every delivered message has DKIM-Signature as its
#          first header after the smarthost's own trace fields, folded
#          within 78 columns, h= with every From and To plus one more
#          from, c= as configured; both verifiers accept all 20; the QP
#          message arrived quoted-printable; a changed Subject, a changed
#          body and an added From each make both verifiers reject.

. "$TOP/compat-tests/lib/dkim.sh"
dkim_need
dkim_keys

long=$(head -c 1500 /dev/zero | tr '\0' 'q')
files=()
for alg in rsa ed; do
	for canon in relaxed/relaxed simple/simple; do
		c=${canon%%/*}
		conf=$(dkim_conf "$alg-$c" starttls "$alg" "$canon")
		tag=$alg-$c
		printf 'To: %s-plain@example.org\nSubject: plain   %s\n\nHello  world \n\n  indented\n\n\n' "$tag" "$tag" |
		    expect_exit 0 postern -C "$conf" -t
		printf 'To: %s-8bit@example.org\nSubject: 8bit\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\nh\303\251llo w\303\266rld\n' "$tag" |
		    expect_exit 0 postern -C "$conf" -t
		printf 'To: %s-qp@example.org\nSubject: qp\n\nshort\n%s\nend\n' "$tag" "$long" |
		    expect_exit 0 postern -C "$conf" -t
		printf 'To: %s-multi@example.org\nSubject: multi\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n\npreamble\n--b1\nContent-Type: text/plain\n\npart one  \n--b1\nContent-Type: text/plain\n\n%s\n--b1--\n' "$tag" "$long" |
		    expect_exit 0 postern -C "$conf" -t
		printf 'x' | expect_exit 0 postern -C "$conf" "$tag-1byte@example.org"
		for kind in plain 8bit qp multi 1byte; do
			f=$(msg_file_for "$tag-$kind@example.org")
			files+=("$f")
			# The signature as postern wrote it: c=, h=, the fold.
			expect_header "$f" DKIM-Signature "c=$canon;"
			expect_header "$f" DKIM-Signature "a=$([ $alg = rsa ] && echo rsa-sha256 || echo ed25519-sha256);"
			expect_header "$f" DKIM-Signature "d=example.org; s=$alg;"
			awk '/^[A-Za-z-]+:/ { name = tolower($1) } /^\r?$/ { exit }
			    name != "dkim-signature:" && !seen && /^[A-Za-z]/ && name !~ /^(return-path|delivered-to|x-original-to|received):$/ { print "first: " name; exit }
			    name == "dkim-signature:" { seen = 1; if (length($0) > 78) { print "long: " length($0); exit } }' "$f" |
			    grep . && fail "$f: DKIM-Signature not first or a line over 78 columns"
			true
		done
		f=$(msg_file_for "$tag-plain@example.org")
		expect_header "$f" DKIM-Signature 'h=from:from:to:subject:date:message-id;'
		f=$(msg_file_for "$tag-qp@example.org")
		expect_header "$f" Content-Transfer-Encoding '^quoted-printable$'
		f=$(msg_file_for "$tag-multi@example.org")
		expect_header "$f" DKIM-Signature 'h=from:from:to:subject:message-id:mime-version:content-type;|h=from:from:to:subject:date:message-id:mime-version: *content-type;'
	done
done
maildir_wait 20
dkim_verify "${files[@]}"

# The test can fail: change a signed header, the body, or add a From.
for f in "$(msg_file_for rsa-relaxed-plain@example.org)" \
    "$(msg_file_for ed-simple-8bit@example.org)"; do
	n=$(basename "$f")
	sed 's/^Subject: \(.*\)/Subject: \1!/' "$f" >"$CASE_DIR/$n.subject"
	awk 'b && !d { print "X" $0; d = 1; next } /^$/ { b = 1 } { print }' "$f" >"$CASE_DIR/$n.body"
	awk '/^From:/ && !d { print "From: mallory@example.org"; d = 1 } { print }' "$f" >"$CASE_DIR/$n.from"
	cmp -s "$f" "$CASE_DIR/$n.subject" && fail "the Subject change changed nothing"
	cmp -s "$f" "$CASE_DIR/$n.body" && fail "the body change changed nothing"
	dkim_reject "$CASE_DIR/$n.subject" "$CASE_DIR/$n.body" "$CASE_DIR/$n.from"
done
