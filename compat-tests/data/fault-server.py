#!/usr/bin/env python3
"""fault-server.py DIR SCENARIO [options] -- a scripted, misbehaving SMTP
server for compat-tests/cases/6*.sh.

Listens on 127.0.0.1 (or --bind ADDR, which must be a loopback address) on
a port the kernel picks and writes that port to DIR/port once it accepts
connections.  It serves ONE session, then exits; it also exits after IDLE
seconds (--idle, default 20) without a connection or without a byte from
the client, so a case that dies never leaves it behind.  It keeps:
  DIR/session     every octet the client sent, as received (after a TLS
                  handshake: the decrypted octets)
  DIR/cmds        each command line it read, one per line (AUTH payloads
                  included: the case checks what was sent)
  DIR/data.K      the K-th DATA payload, as on the wire (dot-stuffing
                  kept, the final CRLF.CRLF left out)
  DIR/done        written when the session is over: "end REASON"

Options: --tls implicit (handshake at once, with --cert NAME from
--tls-dir, default "localhost"), --tls-max 1.1|1.2|1.3 (highest protocol
offered; 1.1 needs OpenSSL security level 0), --n N (the scenario's
number, e.g. how many RCPTs get 250 before 452).

Scenarios (the default behaviour is a well-behaved ESMTP server offering
PIPELINING SIZE 10240000 8BITMIME SMTPUTF8 ENHANCEDSTATUSCODES and, with
--dsn, DSN, which says 250 to everything):
  ok            the default
  inject        offers STARTTLS; answers it with "220 go" plus injected
                "250-injected" and "250 AUTH PLAIN" lines in ONE write,
                then only records what arrives (a ClientHello, AUTH, MAIL)
  nostarttls    EHLO offers AUTH PLAIN LOGIN but no STARTTLS
  starttls454   offers STARTTLS, answers it "454 4.7.0 TLS not available"
  r-25O         EHLO answered "25O ok" (letter O)
  r-mixed       EHLO answered "250-first" then "550 second"
  r-long        EHLO answered with one 2 MB line
  r-many        EHLO answered with 100000 "250-" lines, then "250 end"
  r-nul         EHLO answered "250-a\\0b" / "250 c"
  r-dot-25O     everything fine until ".", answered "25O ok"
  drop-data     after DATA's 354, reads the first octets of the payload
                and closes the connection
  drop-dot      reads the whole payload incl. CRLF.CRLF, closes without a
                reply
  auth-535      offers AUTH PLAIN LOGIN; any AUTH gets 535 5.7.8
  auth-454      offers AUTH PLAIN LOGIN; any AUTH gets 454 4.7.0
  auth-badb64   offers AUTH LOGIN; AUTH gets "334 !!not*base64!!"; a
                following "*" gets "501 5.7.0 cancelled"
  size100       EHLO says SIZE 100
  noutf8        EHLO does not say SMTPUTF8
  rcpt452       the first N RCPTs (--n, default 2) get 250, the others
                "452 4.5.3 Too many recipients"
  greet554      greets "554 5.7.1 no SMTP service here" and closes at once
  greet521      greets "521 5.3.2 does not accept mail" and closes at once
  slow-ehlo     EHLO answered with 12 lines, one every 0.5 s (6 s in all)
  slow-dot      the reply to the final dot comes after N seconds (--n)
  no8bit        EHLO does not say 8BITMIME
  chunking      also offers CHUNKING (RFC 3030): each "BDAT n [LAST]" reads
                exactly n octets (appended to DIR/bdat, sizes one per line
                in DIR/bdat.sizes) and gets 250
  bdat-5xx      like chunking, but the N-th chunk (--n) gets "554 5.6.0
                chunk N refused" and every later one "503 5.5.1 earlier
                chunk refused", until RSET
"""
import argparse
import os
import socket
import ssl
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("scenario")
ap.add_argument("--bind", default="127.0.0.1")
ap.add_argument("--idle", type=float, default=20.0)
ap.add_argument("--tls", choices=("none", "implicit"), default="none")
ap.add_argument("--tls-dir", default=os.environ.get("TLS_DIR", ""))
ap.add_argument("--cert", default="localhost")
ap.add_argument("--tls-max", default="")
ap.add_argument("--dsn", action="store_true")
ap.add_argument("--n", type=int, default=2)
a = ap.parse_args()
if not a.bind.startswith("127."):
    sys.exit("fault-server: loopback addresses only")
D = a.dir
SC = a.scenario


def path(name):
    return os.path.join(D, name)


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(a.tls_dir, a.cert + ".pem"),
                        os.path.join(a.tls_dir, a.cert + ".key"))
    if a.tls_max:
        v = {"1.1": ssl.TLSVersion.TLSv1_1, "1.2": ssl.TLSVersion.TLSv1_2,
             "1.3": ssl.TLSVersion.TLSv1_3}[a.tls_max]
        if a.tls_max == "1.1":
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = v
    return ctx


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((a.bind, 0))
srv.listen(4)
srv.settimeout(a.idle)
ctx = tls_context() if a.tls == "implicit" else None
with open(path("port.tmp"), "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
os.rename(path("port.tmp"), path("port"))


class Closed(Exception):
    pass


class Session:
    def __init__(self, conn):
        self.c = conn
        self.buf = b""
        self.raw = open(path("session"), "wb")
        self.cmds = open(path("cmds"), "wb")
        self.ndata = 0
        self.nrcpt = 0
        self.nchunk = 0
        self.refused = False

    def recv(self):
        chunk = self.c.recv(65536)
        if not chunk:
            raise Closed("client closed")
        self.raw.write(chunk)
        self.raw.flush()
        self.buf += chunk

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                ln, self.buf = self.buf[:i], self.buf[i + 2:]
                self.cmds.write(ln + b"\n")
                self.cmds.flush()
                return ln
            self.recv()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.c.sendall(data)

    def reply(self, *lines):
        self.send("".join(l + "\r\n" for l in lines))

    def payload(self):
        """Read a DATA payload up to CRLF.CRLF; keep it in data.K."""
        while True:
            if self.buf.startswith(b".\r\n"):
                p, self.buf = b"", self.buf[3:]
                break
            i = self.buf.find(b"\r\n.\r\n")
            if i >= 0:
                p, self.buf = self.buf[:i + 2], self.buf[i + 5:]
                break
            self.recv()
        self.ndata += 1
        with open(path("data.%d" % self.ndata), "wb") as f:
            f.write(p)
        return p

    def bdat(self, ln):
        """One BDAT chunk: exactly n octets, whatever they contain."""
        parts = ln.split()
        n = int(parts[1])
        last = len(parts) > 2 and parts[2].upper() == b"LAST"
        while len(self.buf) < n:
            self.recv()
        chunk, self.buf = self.buf[:n], self.buf[n:]
        self.nchunk += 1
        with open(path("bdat"), "ab") as f:
            f.write(chunk)
        with open(path("bdat.sizes"), "a") as f:
            f.write("%d%s\n" % (n, " LAST" if last else ""))
        if self.refused:
            self.reply("503 5.5.1 Error: earlier chunk refused")
        elif SC == "bdat-5xx" and self.nchunk == a.n:
            self.refused = True
            self.reply("554 5.6.0 chunk %d refused" % self.nchunk)
        elif last:
            self.reply("250 2.0.0 Ok: %d octets, queued as FAULTB" % n)
        else:
            self.reply("250 2.0.0 Ok: %d octets" % n)

    def ehlo_lines(self):
        ext = ["PIPELINING", "SIZE 10240000", "8BITMIME", "SMTPUTF8",
               "ENHANCEDSTATUSCODES"]
        if a.dsn:
            ext.append("DSN")
        if SC in ("inject", "starttls454"):
            ext.append("STARTTLS")
        if SC in ("nostarttls", "auth-535", "auth-454"):
            ext.append("AUTH PLAIN LOGIN")
        if SC == "auth-badb64":
            ext.append("AUTH LOGIN")
        if SC == "size100":
            ext = [e if not e.startswith("SIZE") else "SIZE 100"
                   for e in ext]
        if SC == "noutf8":
            ext.remove("SMTPUTF8")
        if SC == "no8bit":
            ext.remove("8BITMIME")
        if SC in ("chunking", "bdat-5xx"):
            ext.append("CHUNKING")
        lines = ["fault.test"] + ext
        return ["250-" + l for l in lines[:-1]] + ["250 " + lines[-1]]

    def ehlo(self):
        if SC == "r-25O":
            self.reply("25O ok")
        elif SC == "r-mixed":
            self.reply("250-first", "550 second")
        elif SC == "r-long":
            self.send(b"250 " + b"x" * (2 * 1024 * 1024) + b"\r\n")
        elif SC == "r-many":
            self.send(b"250-line\r\n" * 100000 + b"250 end\r\n")
        elif SC == "r-nul":
            self.send(b"250-a\0b\r\n250 c\r\n")
        elif SC == "slow-ehlo":
            lines = ["250-fault.test"] + ["250-X-SLOW%d" % i
                                          for i in range(10)] + ["250 SIZE"]
            for l in lines:
                time.sleep(0.5)
                self.reply(l)
        else:
            self.reply(*self.ehlo_lines())

    def run(self):
        if SC in ("greet554", "greet521"):
            self.reply("554 5.7.1 no SMTP service here" if SC == "greet554"
                       else "521 5.3.2 does not accept mail")
            return "greeted %s and closed" % SC[5:]
        self.reply("220 fault.test ESMTP fault-server")
        while True:
            ln = self.line()
            verb = ln.split(b" ", 1)[0].upper()
            if verb == b"EHLO":
                self.ehlo()
            elif verb == b"HELO":
                self.reply("250 fault.test")
            elif verb == b"STARTTLS":
                if SC == "inject":
                    self.send(b"220 go\r\n250-injected\r\n250 AUTH PLAIN\r\n")
                    # Record whatever the client does next; never handshake.
                    end = time.time() + 3
                    self.c.settimeout(0.2)
                    while time.time() < end:
                        try:
                            self.recv()
                        except socket.timeout:
                            continue
                    return "inject: nothing more"
                self.reply("454 4.7.0 TLS not available due to "
                           "temporary reason")
            elif verb == b"AUTH":
                if SC == "auth-535":
                    self.reply("535 5.7.8 Error: authentication failed")
                elif SC == "auth-454":
                    self.reply("454 4.7.0 Temporary authentication failure")
                elif SC == "auth-badb64":
                    self.reply("334 !!not*base64!!")
                    ln = self.line()
                    if ln == b"*":
                        self.reply("501 5.7.0 Authentication cancelled")
                    else:
                        self.reply("535 5.7.8 unexpected")
                else:
                    self.reply("503 5.5.1 no AUTH here")
            elif verb == b"MAIL":
                self.reply("250 2.1.0 Ok")
                self.nrcpt = 0
            elif verb == b"RCPT":
                self.nrcpt += 1
                if SC == "rcpt452" and self.nrcpt > a.n:
                    self.reply("452 4.5.3 Error: too many recipients")
                else:
                    self.reply("250 2.1.5 Ok")
            elif verb == b"DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                if SC == "drop-data":
                    while len(self.buf) < 10:
                        self.recv()
                    return "dropped mid-DATA"
                self.payload()
                if SC == "drop-dot":
                    return "dropped after the final dot"
                if SC == "slow-dot":
                    time.sleep(a.n)
                if SC == "r-dot-25O":
                    self.reply("25O ok")
                else:
                    self.reply("250 2.0.0 Ok: queued as FAULT%d" %
                               self.ndata)
            elif verb == b"BDAT" and SC in ("chunking", "bdat-5xx"):
                self.bdat(ln)
            elif verb in (b"RSET", b"NOOP"):
                self.refused = False
                self.nchunk = 0
                self.reply("250 2.0.0 Ok")
            elif verb == b"QUIT":
                self.reply("221 2.0.0 Bye")
                return "quit"
            else:
                self.reply("502 5.5.2 Error: command not recognized")


reason = "no connection"
try:
    conn, _ = srv.accept()
except socket.timeout:
    conn = None
if conn is not None:
    conn.settimeout(a.idle)
    try:
        if ctx is not None:
            conn = ctx.wrap_socket(conn, server_side=True)
        s = Session(conn)
        try:
            reason = s.run()
        except Closed as ex:
            reason = str(ex)
        finally:
            s.raw.close()
            s.cmds.close()
    except (OSError, ssl.SSLError, socket.timeout) as ex:
        reason = "error: %s" % ex
    try:
        conn.close()
    except OSError:
        pass
with open(path("done"), "w") as f:
    f.write("end %s\n" % reason)
