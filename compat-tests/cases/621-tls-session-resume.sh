# 621: TLS session resumption across invocations, seen by Postfix.
#
# server:  Postfix starttls listener, smtpd_tls_loglevel 2 for this case
#          (lib/tlscache.sh), session tickets on (Postfix's default)
# command: postern -C r.ini a@example.org, three times; then with
#          tls_session_cache = no, twice, with another queue directory
# input:   Subject: s62x-N / (blank) / body N
# expect:  run 1: full handshake (Postfix issues a ticket), exit 0, and
#          q/tls/session-localhost-PORT exists, mode 0640, framed as
#          "POSTERN-TLS-SESSION 1"; runs 2 and 3: Postfix logs "Reusing old
#          session", exit 0; every message delivered with its body; with
#          the cache off: full handshakes, no tls/ directory made.
. "$TOP/compat-tests/lib/tlscache.sh"
tc_setup

c=$(tc_conf r)
tc_send "$c" full
f=$(tc_file)
[ -f "$f" ] || fail "no cache file $f: $(ls -la "$CASE_DIR/q" "$CASE_DIR/q/tls" 2>&1 | tr '\n' ' ')"
[ "$(stat -c %a "$f")" = 640 ] || fail "cache file mode $(stat -c %a "$f"), expected 640"
[ "$(head -n 1 "$f")" = "POSTERN-TLS-SESSION 1" ] || fail "cache file not framed: $(head -c 40 "$f" | od -c | head -2)"
[ -z "$(find "$CASE_DIR/q/tls" -name '*.tmp')" ] || fail "a tmp file was left behind"
tc_send "$c" resumed
tc_send "$c" resumed
maildir_wait 3
for i in 1 2 3; do
	grep -l "^Subject: s62x-$i" "$MAILDIR"/new/* >/dev/null 2>&1 ||
	    fail "message $i not delivered"
done

off=$(conf_variant off starttls "queue.dir=$CASE_DIR/qoff" \
    smarthost.tls_session_cache=no)
tc_send "$off" full
tc_send "$off" full
[ ! -e "$CASE_DIR/qoff/tls" ] || fail "tls_session_cache = no wrote $CASE_DIR/qoff/tls"
maildir_wait 5
