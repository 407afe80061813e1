#!/usr/bin/env python3
# compat-tests/data/tls-cache-forge.py -- write a postern TLS session cache
# file (sendmail/tls_cache.h) holding the session of GOODFILE under the
# binding that postern computes (tls.c make_binding) for other settings:
# what someone who can write the queue directory could do.  Test use only.
#
#   tls-cache-forge.py GOODFILE OUT HOST PORT VERIFY MIN PIN CAFILE
#
# PIN and CAFILE are "-" when unset; MIN is 12 or 13.
import hashlib, os, ssl, sys, time
good, out, host, port, verify, mn, pin, ca = sys.argv[1:9]
d = open(good, 'rb').read().split(b'\n', 4)
data = d[4]
def fid(what, path):
    if path == '-':
        return '%s -\n' % what
    st = os.stat(path)
    return '%s %d:%s %d %d %d %d.%09d %d.%09d\n' % (what, len(path), path, st.st_dev, st.st_ino,
        st.st_size, st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9, st.st_ctime_ns // 10**9, st.st_ctime_ns % 10**9)
line = 'postern tls binding 1\n%d:%s %s\nverify %s min %s pin %s openssl %x\n' % (len(host), host, port, verify, mn, pin, ssl.OPENSSL_VERSION_NUMBER)
h = hashlib.sha256((line + fid('ca', ca) + fid('cert', '-') + fid('key', '-')).encode()).hexdigest()
exp = int(time.time()) + 3600
open(out, 'wb').write(b'POSTERN-TLS-SESSION 1\nB %s\nX %d\nL %d\n' % (h.encode(), exp, len(data)) + data)
