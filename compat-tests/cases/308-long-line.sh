# 308: a 5,000-octet body line is re-encoded quoted-printable: no line over
#      998 octets anywhere, and the decoded body is exactly the input.
#
# server:  Postfix plain listener and data/smtp-capture.py (see 302)
# command: postern -C plain.ini -v -t -i
# inputs:  a: plain text, no MIME fields; body "start\n" + one 5,000-octet
#             line (starts with ".", holds "=", runs of spaces, UTF-8 "é",
#             a "." at 998) + "\nend\n"
#          b: MIME-Version/Content-Type/Content-Transfer-Encoding: 8bit
#             already present; body the same long line without a final LF
# expect:  one message each; Content-Transfer-Encoding: quoted-printable
#          (exactly one such field); stored and wire bodies, decoded with
#          python3 quopri, equal the input body (b: plus the final LF).

. "$TOP/compat-tests/data/msgcheck.sh"

python3 -S - <<'PY'
unit = b"=x y  z\xc3\xa9" + b"." + b"0123456789" * 3
line = (b"." + unit * 200)[:5000]
line = line[:997] + b"." + line[998:]
assert len(line) == 5000
open("long", "wb").write(line)
open("in-a", "wb").write(b"To: s308a@example.org\nSubject: 308a\n\nstart\n" + line + b"\nend\n")
open("want-a", "wb").write(b"start\n" + line + b"\nend\n")
open("in-b", "wb").write(b"To: s308b@example.org\nSubject: 308b\nMIME-Version: 1.0\n"
    b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + line)
open("want-b", "wb").write(line + b"\n")
PY

DECODE=qp check_one s308a@example.org in-a want-a -t -i
expect_header "$STORED" Content-Type '^text/plain; charset="?[Uu][Tt][Ff]-8"?$'
DECODE=qp check_one s308b@example.org in-b want-b -t -i
expect_header "$STORED" Content-Type '^text/plain; charset=utf-8$'
[ "$(maildir_count)" = 2 ] || fail "$(maildir_count) messages arrived, want 2"
