#!/usr/bin/env python3
"""smtp-capture.py DIR -- a minimal ESMTP sink for compat-tests/cases/3*.sh.

Listens on 127.0.0.1 on a port the kernel picks and writes that port to
DIR/port once it accepts connections.  It keeps, for connection N:
  DIR/session.N      every octet the client sent, exactly as received
  DIR/data.N.K       the K-th DATA payload of the session, as on the wire
                     (dot-stuffing kept; the final CRLF.CRLF left out)
  DIR/cmds.N         each command line the server answered, one per line
It offers PIPELINING, SIZE, 8BITMIME, SMTPUTF8 and ENHANCEDSTATUSCODES and
says 250 to everything.  Only lines ending in CRLF count as commands, and
only CRLF.CRLF ends the data, so a client that sends a bare LF or CR shows it
in session.N (the case checks), it does not get lost in normalisation.
It exits after IDLE seconds (default 20) without a new connection, so a
case that dies never leaves it behind.
"""
import os
import socket
import sys
import threading

d = sys.argv[1]
idle = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
srv.settimeout(idle)
tmp = os.path.join(d, "port.tmp")
with open(tmp, "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
os.rename(tmp, os.path.join(d, "port"))


def handle(conn, n):
    conn.settimeout(idle)
    raw = open(os.path.join(d, "session.%d" % n), "wb")
    cmds = open(os.path.join(d, "cmds.%d" % n), "wb")
    buf = b""
    ndata = 0
    indata = False

    def send(s):
        conn.sendall(s.encode() + b"\r\n")

    send("220 capture.test ESMTP capture")
    try:
        while True:
            if indata:
                # Data ends at CRLF.CRLF; the payload starts right after
                # the 354, so an empty payload is ".\r\n" at once.
                if buf.startswith(b".\r\n"):
                    payload, buf = b"", buf[3:]
                else:
                    i = buf.find(b"\r\n.\r\n")
                    if i < 0:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        raw.write(chunk)
                        raw.flush()
                        buf += chunk
                        continue
                    payload, buf = buf[: i + 2], buf[i + 5:]
                ndata += 1
                with open(os.path.join(d, "data.%d.%d" % (n, ndata)), "wb") as f:
                    f.write(payload)
                indata = False
                send("250 2.0.0 Ok: queued as CAP%d%d" % (n, ndata))
                continue
            i = buf.find(b"\r\n")
            if i < 0:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                raw.write(chunk)
                raw.flush()
                buf += chunk
                continue
            line, buf = buf[:i], buf[i + 2:]
            cmds.write(line + b"\n")
            cmds.flush()
            verb = line.split(b" ", 1)[0].upper()
            if verb == b"EHLO":
                for l in ("250-capture.test", "250-PIPELINING",
                          "250-SIZE 10240000", "250-8BITMIME",
                          "250-SMTPUTF8", "250 ENHANCEDSTATUSCODES"):
                    send(l)
            elif verb == b"HELO":
                send("250 capture.test")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                send("250 2.0.0 Ok")
            elif verb == b"DATA":
                send("354 End data with <CR><LF>.<CR><LF>")
                indata = True
            elif verb == b"QUIT":
                send("221 2.0.0 Bye")
                break
            else:
                send("502 5.5.2 Error: command not recognized")
    except (OSError, socket.timeout):
        pass
    finally:
        raw.close()
        cmds.close()
        conn.close()


n = 0
while True:
    try:
        c, _ = srv.accept()
    except socket.timeout:
        break
    n += 1
    t = threading.Thread(target=handle, args=(c, n), daemon=True)
    t.start()
