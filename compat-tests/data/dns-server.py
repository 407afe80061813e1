#!/usr/bin/python3
# dns-server.py -- a small authoritative DNS server for the DKIM cases
# (stdlib only): TXT records from a zone file, over UDP and TCP.
#
#   dns-server.py ZONE ADDR PORT READYFILE
#
# ZONE holds lines "NAME TXT TEXT" (NAME without the final dot, TEXT the
# record's text, split into 255-octet strings on the wire).  A name with no
# line is NXDOMAIN; a query for another type at a known name is NODATA.
# READYFILE is created once both sockets listen.
import socket, socketserver, struct, sys, threading

zone = {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    name, typ, text = line.split(" ", 2)
    zone.setdefault(name.lower().rstrip("."), []).append(text.encode())

def answer(q):
    qid, flags, qd = struct.unpack("!HHH", q[:6])
    pos, labels = 12, []
    while q[pos]:
        labels.append(q[pos + 1:pos + 1 + q[pos]].decode("ascii", "replace"))
        pos += 1 + q[pos]
    qtype, qclass = struct.unpack("!HH", q[pos + 1:pos + 5])
    question = q[12:pos + 5]
    name = ".".join(labels).lower()
    recs = zone.get(name)
    rcode = 3 if recs is None else 0
    ans = b""
    n = 0
    if recs is not None and qtype == 16:
        for r in recs:
            rd = b"".join(bytes([len(r[i:i + 255])]) + r[i:i + 255]
                          for i in range(0, max(len(r), 1), 255))
            ans += b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 60, len(rd)) + rd
            n += 1
    hdr = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode,
                      1, n, 0, 0)
    return hdr + question + ans

class UDP(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        a = answer(data)
        if len(a) > 512:   # truncated: the resolver retries over TCP
            a = a[:2] + bytes([a[2] | 0x02, a[3]]) + b"\0\1\0\0\0\0\0\0" + \
                data[12:]
        sock.sendto(a, self.client_address)

class TCP(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            h = self.request.recv(2)
            if len(h) < 2:
                return
            n = struct.unpack("!H", h)[0]
            q = b""
            while len(q) < n:
                c = self.request.recv(n - len(q))
                if not c:
                    return
                q += c
            a = answer(q)
            self.request.sendall(struct.pack("!H", len(a)) + a)

addr, port = sys.argv[2], int(sys.argv[3])
socketserver.ThreadingUDPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.allow_reuse_address = True
u = socketserver.ThreadingUDPServer((addr, port), UDP)
t = socketserver.ThreadingTCPServer((addr, port), TCP)
for s in (u, t):
    threading.Thread(target=s.serve_forever, daemon=True).start()
open(sys.argv[4], "w").close()
threading.Event().wait()
