# 311: header fix-ups: Date, Message-ID and From added when missing, -F
#      RFC 2047-encoded, from_header = force, allow_from_override = no.
#
# server:  Postfix plain listener ($PORT_PLAIN), own postern queue
# commands and inputs:
#   a: postern -t -i -f s311@example.org; To/Subject only
#      -> Date parses with email.utils.parsedate_to_datetime, has an offset
#         and is within 10 minutes of now; Message-ID "<x@y>"; one From,
#         address s311@example.org; each field exactly once
#   b: postern -i -F 'Jörg Müller' -f joerg@example.org b311@example.org
#      -> From is pure ASCII with an RFC 2047 word that decodes to
#         "Jörg Müller", address joerg@example.org
#   c: Date, Message-ID, From present -> kept as they were, not doubled
#   d: from_header = force; From: "Web Form" <www-data@example.org>;
#      -f real311@example.org -> From: display "Web Form", address
#      real311@example.org; envelope sender real311@
#   e: allow_from_override = no; postern -f x@example.org run as "nobody"
#      -> exit 77, one stderr line, no SMTP session; without -f -> exit 0
#      (run as nobody: main.c exempts uid 0 from allow_from_override, which
#      the SPEC and postern.ini(5) do not say; reported, not tested here)
# expect:  as listed; every send checked at the Maildir.

need python3 setpriv
conf=$(conf_variant q plain "queue.dir=$CASE_DIR/q")

printf 'To: a311@example.org\nSubject: 311a\n\nbody\n' |
    expect_exit 0 postern -C "$conf" -t -i -f s311@example.org
printf 'Subject: 311b\n\nbody\n' |
    expect_exit 0 postern -C "$conf" -i -F 'Jörg Müller' -f joerg@example.org b311@example.org
printf 'To: c311@example.org\nSubject: 311c\nDate: Mon, 1 Jan 2024 10:00:00 +0100\nMessage-ID: <keep.311c@example.org>\nFrom: Keeper <keep@example.org>\n\nbody\n' |
    expect_exit 0 postern -C "$conf" -t -i -f s311@example.org
force=$(conf_variant force plain "queue.dir=$CASE_DIR/q" sender.from_header=force)
printf 'From: "Web Form" <www-data@example.org>\nTo: d311@example.org\nSubject: 311d\n\nbody\n' |
    expect_exit 0 postern -C "$force" -t -i -f real311@example.org
maildir_wait 4
a=$(msg_file_for a311@example.org)
b=$(msg_file_for b311@example.org)
c=$(msg_file_for c311@example.org)
d=$(msg_file_for d311@example.org)
expect_header "$d" Return-Path '^<real311@example\.org>$'

python3 -S - "$a" "$b" "$c" "$d" >check.out <<'PY' || fail "$(cat check.out)"
import sys, time
sys.path[:0] = []
import email, email.policy, email.utils, email.header
a, b, c, d = (email.message_from_binary_file(open(p, "rb"), policy=email.policy.compat32) for p in sys.argv[1:5])
def die(m):
    print(m); sys.exit(1)
# a
for h in ("Date", "Message-ID", "From"):
    if len(a.get_all(h, [])) != 1:
        die("a: %d %s fields" % (len(a.get_all(h, [])), h))
dt = email.utils.parsedate_to_datetime(a["Date"])
if dt.tzinfo is None:
    die("a: Date without a zone: %r" % a["Date"])
if abs(dt.timestamp() - time.time()) > 600:
    die("a: Date %r is not now" % a["Date"])
import re
if not re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", a["Message-ID"].strip()):
    die("a: Message-ID %r" % a["Message-ID"])
if email.utils.parseaddr(a["From"])[1] != "s311@example.org":
    die("a: From %r" % a["From"])
# b
raw = b["From"]
try:
    raw.encode("ascii")
except UnicodeEncodeError:
    die("b: From is not ASCII: %r" % raw)
if "=?" not in raw:
    die("b: From has no encoded word: %r" % raw)
name, addr = email.utils.parseaddr(str(email.header.make_header(email.header.decode_header(raw))))
if (name, addr) != ("Jörg Müller", "joerg@example.org"):
    die("b: From %r decodes to %r" % (raw, (name, addr)))
# c
for h, v in (("Date", "Mon, 1 Jan 2024 10:00:00 +0100"), ("Message-ID", "<keep.311c@example.org>"),
             ("From", "Keeper <keep@example.org>")):
    if c.get_all(h, []) != [v]:
        die("c: %s is %r, want [%r]" % (h, c.get_all(h, []), v))
# d
if len(d.get_all("From", [])) != 1 or email.utils.parseaddr(d["From"]) != ("Web Form", "real311@example.org"):
    die("d: From %r, want Web Form <real311@example.org>" % d.get_all("From"))
PY

# e: as an unprivileged user (the case a web server is in).
maildir_clear
log_mark
noov=$(conf_variant noov plain "queue.dir=$CASE_DIR/qn" sender.allow_from_override=no)
mkdir -p "$CASE_DIR/qn"
chown nobody "$noov" "$CASE_DIR/qn"
asnobody=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
printf 'Subject: 311e\n\nbody\n' |
    expect_exit 77 "${asnobody[@]}" "$POSTERN" -C "$noov" -i -f x@example.org e311@example.org
expect_stderr_line 'allow_from_override|not allowed'
sleep 0.2
! postfix_log_since_mark | grep -q 'connect from' || fail "postern connected although -f is forbidden"
printf 'Subject: 311e\n\nbody\n' |
    expect_exit 0 "${asnobody[@]}" "$POSTERN" -C "$noov" -i e311@example.org
maildir_wait 1
expect_header "$(msg_file_for e311@example.org)" Return-Path '^<nobody@example\.org>$'
