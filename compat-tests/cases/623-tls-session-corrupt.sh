# 623: an unusable session cache file means a full handshake, never a
# failed delivery.
#
# server:  Postfix starttls listener, smtpd_tls_loglevel 2 (lib/tlscache.sh)
# command: postern -C c.ini a@example.org after replacing the cache file
#          with: garbage, an empty file, a truncated copy, a copy with its
#          session bytes flipped, a copy with another binding, a copy with
#          an expiry in the past, a group-writable copy, a symbolic link to
#          a good copy, a directory
# expect:  every run exits 0 and its message is delivered; Postfix sees a
#          full handshake each time (no "Reusing old session"); after each
#          run but the directory one the file is a fresh, valid session
#          again, which the next unchanged run resumes.
. "$TOP/compat-tests/lib/tlscache.sh"
tc_setup

c=$(tc_conf c)
f=$(tc_file)
tc_send "$c" full
cp "$f" "$CASE_DIR/good"
n=1

corrupt_run() {	# corrupt_run DESCRIPTION: the file was just replaced
	tc_send "$c" full
	n=$((n + 1))
	[ -f "$f" ] && [ ! -L "$f" ] || fail "$1: no fresh cache file"
	[ "$(head -n 1 "$f")" = "POSTERN-TLS-SESSION 1" ] || fail "$1: the file was not replaced"
}

head -c 600 /dev/urandom >"$f"
corrupt_run garbage
: >"$f"
corrupt_run empty
head -c 200 "$CASE_DIR/good" >"$f"
corrupt_run truncated
# Flip bytes inside the session data (after the 4 header lines).
python3 - "$CASE_DIR/good" "$f" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
h = 0
for _ in range(4):
    h = d.index(b'\n', h) + 1
for i in range(h + 10, len(d), 7):
    d[i] ^= 0x5a
open(sys.argv[2], 'wb').write(d)
PY
corrupt_run flipped
sed '2s/^B ./B x/' "$CASE_DIR/good" >"$f"
corrupt_run "bad binding hex"
sed '2s/^B \(.\)/B \1\1/; 2s/.$//' "$CASE_DIR/good" >"$f"
python3 - "$CASE_DIR/good" "$f" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read().split(b'\n', 4)
b = bytearray(d[1]); b[2] = ord('0') if b[2] != ord('0') else ord('1')
d[1] = bytes(b)
open(sys.argv[2], 'wb').write(b'\n'.join(d))
PY
corrupt_run "other binding"
python3 - "$CASE_DIR/good" "$f" <<'PY'
import sys, time
d = open(sys.argv[1], 'rb').read().split(b'\n', 4)
d[2] = b'X %d' % (int(time.time()) - 10)
open(sys.argv[2], 'wb').write(b'\n'.join(d))
PY
corrupt_run expired
cp "$CASE_DIR/good" "$f"
chmod 0660 "$f"
corrupt_run group-writable
rm -f "$f"
cp "$CASE_DIR/good" "$CASE_DIR/good2"
ln -s "$CASE_DIR/good2" "$f"
corrupt_run symlink
# The fresh file is good: the next run resumes.
tc_send "$c" resumed
n=$((n + 1))
rm -f "$f"
mkdir "$f"
tc_send "$c" full
n=$((n + 1))
[ -d "$f" ] || fail "the directory was replaced"
rmdir "$f"
maildir_wait "$n"
