#!/usr/bin/env python3
"""msgcheck.py -- file checks for compat-tests/data/msgcheck.sh (one python
start per message: python3 is slow to start on small CI machines).

  msgcheck.py STORED SESSION PAYLOAD WANT [DECODE]

STORED   the message as Postfix stored it (LF line ends)
SESSION  every octet postern sent to smtp-capture.py in that session
PAYLOAD  the DATA payload from that session (dot-stuffed, CRLF)
WANT     the body that must arrive, LF line ends
DECODE   "qp": the stored and wire bodies are decoded as quoted-printable
         (with Content-Transfer-Encoding: quoted-printable required) before
         they are compared with WANT

Prints the first problem and exits 1, or exits 0.
"""
import quopri
import sys

stored, session, payload, want = (open(p, "rb").read() for p in sys.argv[1:5])
decode = sys.argv[5] if len(sys.argv) > 5 else ""


def die(msg):
    print(msg)
    sys.exit(1)


def show(b):
    return repr(b[:120]) + ("..." if len(b) > 120 else "")


def split(msg):
    i = msg.find(b"\n\n")
    return (msg, b"") if i < 0 else (msg[: i + 1], msg[i + 2:])


def check_body(where, head, body):
    if decode == "qp":
        h = head.lower().replace(b"\n\t", b" ").replace(b"\n ", b" ")
        if b"content-transfer-encoding: quoted-printable" not in h:
            die("%s: no Content-Transfer-Encoding: quoted-printable" % where)
        if h.count(b"content-transfer-encoding:") != 1:
            die("%s: %d Content-Transfer-Encoding fields" % (where, h.count(b"content-transfer-encoding:")))
        body = quopri.decodestring(body)
    if body != want:
        die("%s: body %s, want %s" % (where, show(body), show(want)))


# Stored copy: Postfix turned CRLF into LF; any CR left came as a bare CR.
if b"\r" in stored:
    i = stored.find(b"\r")
    die("stored copy holds a CR: %s" % show(stored[max(0, i - 30):i + 30]))
n = max(len(l) for l in stored.split(b"\n"))
if n > 998:
    die("stored copy has a line of %d octets" % n)
check_body("stored", *split(stored))

# The wire: CRLF only, in the commands and in the data alike.
for i in range(len(session)):
    c = session[i:i + 1]
    if (c == b"\r" and session[i + 1:i + 2] != b"\n") or \
       (c == b"\n" and (i == 0 or session[i - 1:i] != b"\r")):
        die("bare %s on the wire at offset %d: %s" % ("CR" if c == b"\r" else "LF", i, show(session[max(0, i - 30):i + 30])))
lines = payload.split(b"\r\n")
n = max(len(l) for l in lines)
if n > 998:
    die("line of %d octets on the wire" % n)
if b"\0" in payload:
    die("NUL on the wire")
unstuffed = b"\n".join(l[1:] if l.startswith(b".") else l for l in lines)
check_body("wire", *split(unstuffed))
