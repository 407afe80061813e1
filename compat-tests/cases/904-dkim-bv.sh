# 904: -bv checks the published DKIM key, SPF, DMARC and alignment
# against a test DNS server.
#
# server:  compat-tests/data/dns-server.py on 127.0.0.1:53 and smtp-sink
#          on 127.0.0.1:$((POSTERN_TEST_PORT_BASE+61)) (tls = none), both
#          inside a private mount + network namespace whose
#          /etc/resolv.conf says "nameserver 127.0.0.1" (lib/dns-netns)
# command: postern -C {rsa,ed}.ini -bv rcpt@example.org [-f ...]
# expect:  published key = key_file: "published key matches KEYFILE",
#          SPF and DMARC records printed, "aligns with d=example.org
#          (strict)", exit 0.  Another key published: "MISMATCH: the
#          published key is not the key in KEYFILE", exit 78 with one
#          stderr line.  An Ed25519 record for the RSA key: "MISMATCH:
#          k=ed25519", exit 78.  Nothing published: "no key published",
#          "none published" for SPF and DMARC, exit 78.  -f from
#          example.net: "does NOT align".  The "dkim-record:" line, once
#          published, makes the check pass.

. "$TOP/compat-tests/lib/dkim.sh"
need smtp-sink
dkim_need
dkim_keys
(umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$CASE_DIR/other.key" 2>/dev/null)

port=$(( ${POSTERN_TEST_PORT_BASE:-25580} + 61 ))
for alg in rsa ed; do
	write_conf "$alg.ini" >/dev/null <<INI
[smarthost]
host = 127.0.0.1
port = $port
tls = none
auth = none

[sender]
domain = example.org

[queue]
dir = $CASE_DIR/q

[dkim]
domain = example.org
selector = $alg
key_file = $CASE_DIR/$alg.key
INI
done

# bv ZONE CONF ARGS...: postern -bv inside the namespace with ZONE served
# and a smarthost listening; stdout/stderr/exit as expect_exit keeps them.
bv() {
	local zone=$1 conf=$2
	shift 2
	in_dns_ns "$zone" bash -c '
		port=$1 postern=$2; shift 2
		smtp-sink -u nobody 127.0.0.1:$port 5 &
		sink=$!
		for _ in $(seq 100); do
			grep -Eq "^ *[0-9]+: 0100007F:$(printf %04X "$port") 00000000:0000 0A" /proc/net/tcp && break
			sleep 0.02
		done
		rc=0
		"$postern" "$@" || rc=$?
		kill $sink
		exit $rc' _ "$port" "$POSTERN" -C "$conf" -bv "$@"
}

policy="example.org TXT v=spf1 ip4:192.0.2.1 -all
_dmarc.example.org TXT v=DMARC1; p=reject; adkim=s"

# --- the published key is ours
{ cat "$ZONE"; echo "$policy"; } >zone.ok
expect_exit 0 bv zone.ok "$CASE_DIR/rsa.ini" rcpt@example.org
expect_stdout "^dkim: +rsa\._domainkey\.example\.org: published key matches $CASE_DIR/rsa\.key\$"
expect_stdout '^spf: +example\.org: v=spf1 ip4:192\.0\.2\.1 -all$'
expect_stdout '^dmarc: +_dmarc\.example\.org: v=DMARC1; p=reject; adkim=s$'
expect_stdout '^alignment: +From domain example\.org aligns with d=example\.org \(strict\)$'
expect_stdout '^recipient: +<rcpt@example\.org>: ok'
expect_exit 0 bv zone.ok "$CASE_DIR/ed.ini" rcpt@example.org
expect_stdout "^dkim: +ed\._domainkey\.example\.org: published key matches $CASE_DIR/ed\.key\$"
expect_stdout '^dkim-record: publish: ed\._domainkey\.example\.org\. IN TXT \( "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=" \)$'

# --- another key under the selector
{ echo "rsa._domainkey.example.org TXT $(dkim_txt "$CASE_DIR/other.key")"; echo "$policy"; } >zone.other
expect_exit 78 bv zone.other "$CASE_DIR/rsa.ini" rcpt@example.org
expect_stdout "^dkim: +rsa\._domainkey\.example\.org: MISMATCH: the published key is not the key in $CASE_DIR/rsa\.key\$"
expect_stderr_line '^postern: DKIM: rsa\._domainkey\.example\.org: '
# ... and an Ed25519 record where the RSA key should be
echo "rsa._domainkey.example.org TXT $(dkim_txt "$CASE_DIR/ed.key")" >zone.type
expect_exit 78 bv zone.type "$CASE_DIR/rsa.ini" rcpt@example.org
expect_stdout 'MISMATCH: k=ed25519, the key file holds rsa$'

# --- nothing published; sender in another domain
: >zone.empty
expect_exit 78 bv zone.empty "$CASE_DIR/rsa.ini" -f someone@example.net rcpt@example.org
expect_stdout '^dkim: +rsa\._domainkey\.example\.org: no key published \(no such name\)$'
expect_stdout '^spf: +example\.net: none published \(no v=spf1 record\)$'
expect_stdout '^dmarc: +_dmarc\.example\.net: none published \(no v=DMARC1 record\)$'
expect_stdout '^alignment: +From domain example\.net does NOT align with d=example\.org'
expect_stderr_line '^postern: DKIM: no key published at rsa\._domainkey\.example\.org$'

# --- publish what -bv says to publish: then it matches
rec=$(sed -n 's/^dkim-record: publish: rsa\._domainkey\.example\.org\. IN TXT ( \(.*\) )$/\1/p' "$CMD_OUT" | sed 's/" "//g; s/^"//; s/"$//')
[ -n "$rec" ] || fail "no dkim-record line: $(cat "$CMD_OUT")"
echo "rsa._domainkey.example.org TXT $rec" >zone.published
expect_exit 0 bv zone.published "$CASE_DIR/rsa.ini" rcpt@example.org
expect_stdout 'published key matches'
