#!/usr/bin/python3
# dkim-verify.py -- verify DKIM signatures with python3-dkim (Debian's
# python3-dkim; Ed25519 through python3-nacl), the key taken from a zone
# file (the format of dns-server.py) through dkim.verify's dnsfunc hook.
#
#   dkim-verify.py ZONE MSG...
#
# Prints "MSG: pass", "MSG: FAIL (reason)" or "MSG: unsigned" per message;
# exit 0 only when every message passed.  Line ends are made CRLF first
# (a Maildir keeps LF).
import logging, sys
import dkim

zone = {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if line.strip() and not line.startswith("#"):
        name, _, text = line.split(" ", 2)
        zone.setdefault(name.lower().rstrip("."), []).append(text.encode())

def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    recs = zone.get(name.lower().rstrip("."))
    return recs[0] if recs else None

class Why(logging.Handler):
    def emit(self, record):
        self.last = record.getMessage()

ok = True
for path in sys.argv[2:]:
    msg = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    head = msg.split(b"\r\n\r\n", 1)[0]
    if b"\r\ndkim-signature:" not in b"\r\n" + head.lower():
        print("%s: unsigned" % path)
        ok = False
        continue
    h = Why()
    h.last = ""
    log = logging.getLogger("dkimverify")
    log.addHandler(h)
    try:
        res = dkim.verify(msg, logger=log, dnsfunc=dnsfunc)
    except Exception as e:
        res, h.last = False, str(e)
    log.removeHandler(h)
    print("%s: %s" % (path, "pass" if res else "FAIL (%s)" % h.last))
    ok = ok and res
sys.exit(0 if ok else 1)
