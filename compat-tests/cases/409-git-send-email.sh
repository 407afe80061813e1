# 409: git send-email (git-email 2.39) sends a patch through the installed
# postern (sendemail.smtpserver unset: it runs /usr/sbin/sendmail).
#
# server:  Postfix, STARTTLS + SASL ($PORT_STARTTLS)
# command: git format-patch -1; git send-email --confirm=never
#          --suppress-cc=all --from='Git Sender <gs-from@example.org>'
#          --to=gs-to@example.org --cc=gs-cc@example.org
#          --envelope-sender=gs-bounce@example.org 0001-*.patch
#          git runs /usr/sbin/sendmail -f gs-bounce@example.org -i
#          gs-to@example.org gs-cc@example.org  (no --; LF; 8bit)
# expect:  exit 0; one copy each for To and Cc with Return-Path
#          <gs-bounce@example.org>, From/To/Cc as given, Subject
#          "[PATCH] add hello", git's Message-Id and Date kept (one each),
#          the patch in the body.

need git strip
[ -e /usr/lib/git-core/git-send-email ] || skip "git send-email not installed (git-email)"
perl -MMail::Address -e 1 2>/dev/null || skip "Mail::Address missing (libmailtools-perl)"
. "$TOP/compat-tests/lib/callers.sh"
callers_setup
sendmail_note

export HOME=$CASE_DIR GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_DATE='2024-01-02T03:04:05Z'
export GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
git init -q repo
git -C repo config user.name 'Git Author'
git -C repo config user.email gs-author@example.org
printf 'hello, world\n' >repo/hello.txt
git -C repo add hello.txt
git -C repo commit -q -m 'add hello' -m 'A file that says hello.'
git -C repo format-patch -q -1 -o "$CASE_DIR"
patch=$(ls 0001-*.patch)
expect_exit 0 git -C repo send-email --confirm=never --suppress-cc=all \
    --from='Git Sender <gs-from@example.org>' --to=gs-to@example.org \
    --cc=gs-cc@example.org --envelope-sender=gs-bounce@example.org \
    "$CASE_DIR/$patch"
expect_stdout 'OK|Result: OK'
maildir_wait 2
for r in gs-to@example.org gs-cc@example.org; do
	m=$(msg_file_for "$r")
	expect_return_path "$m" gs-bounce@example.org
	expect_header "$m" From '^Git Sender <gs-from@example\.org>$'
	expect_header "$m" To '^gs-to@example\.org$'
	expect_header "$m" Cc '^gs-cc@example\.org$'
	expect_header "$m" Subject '^\[PATCH\] add hello$'
	# git writes "Message-Id:"; postern must keep it and add no second one.
	expect_header "$m" Message-ID '^<[0-9.]+-1-gs-from@example\.org>$'
	[ "$(msg_headers "$m" Message-ID | wc -l)" = 1 ] || fail "$r: two Message-IDs"
	[ "$(msg_headers "$m" Date | wc -l)" = 1 ] || fail "$r: two Dates"
	msg_body "$m" | tr -d '\r' | grep -qx '+hello, world' || fail "$r: patch not in the body"
	msg_body "$m" | tr -d '\r' | grep -qx 'A file that says hello.' || fail "$r: commit message not in the body"
done
