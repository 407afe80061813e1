# compat-tests/lib/dkim.sh -- helpers for the DKIM cases (90x).
#
# Source it from a case after common.sh:  . "$TOP/compat-tests/lib/dkim.sh"
#
#   dkim_keys                 $CASE_DIR/rsa.key (RSA 2048) and ed.key
#                             (Ed25519), mode 0600, and $ZONE, a zone file
#                             (dns-server.py format) publishing both as
#                             rsa._domainkey.example.org and
#                             ed._domainkey.example.org
#   dkim_txt KEY              the DKIM1 record text for a key file
#   dkim_conf NAME BASE ALG CANON [k=v...]
#                             conf_variant NAME BASE with [dkim] d=example.org,
#                             s=ALG, key_file=$CASE_DIR/ALG.key; prints the path
#   dkim_verify FILE...       both verifiers accept every file: python3-dkim
#                             (dkim.verify, key through dnsfunc) and
#                             opendkim-testmsg (key from the test DNS server
#                             in a private network namespace)
#   dkim_reject FILE...       both verifiers reject every file
#   dkim_unsigned FILE        the message carries no DKIM-Signature
#   in_dns_ns ZONE CMD...     CMD with /etc/resolv.conf pointing at the test
#                             DNS server serving ZONE (lib/dns-netns)
#   dkim_big MB PORT SPEC... [-- k=v...]
#                             for each SPEC (ALG:CANON), a message of MB MiB
#                             (lines with runs of blanks and a tab, a tail
#                             of empty lines) signed by postern -t into
#                             smtp-sink on PORT (lib/sink.sh), then both
#                             verifiers on every dump; k=v go to each
#                             config (conf_variant)

PY3=/usr/bin/python3
DKIM_VERIFY=$TOP/compat-tests/data/dkim-verify.py
DNS_NETNS=$TOP/compat-tests/lib/dns-netns

dkim_need() {
	need openssl opendkim-testmsg unshare ip
	[ -x "$PY3" ] || skip "/usr/bin/python3 missing"
	"$PY3" -c 'import dkim, nacl' 2>/dev/null ||
	    skip "python3-dkim or python3-nacl not installed"
}

dkim_txt() {
	case $(openssl pkey -in "$1" -noout -text 2>/dev/null | head -n 1) in
	ED25519*)
		printf 'v=DKIM1; k=ed25519; p=%s\n' "$(openssl pkey -in "$1" \
		    -pubout -outform DER | tail -c 32 | base64 -w0)" ;;
	*)
		printf 'v=DKIM1; k=rsa; p=%s\n' "$(openssl pkey -in "$1" \
		    -pubout -outform DER | base64 -w0)" ;;
	esac
}

dkim_keys() {
	(umask 077
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$CASE_DIR/rsa.key" 2>/dev/null
	openssl genpkey -algorithm ED25519 -out "$CASE_DIR/ed.key")
	ZONE=$CASE_DIR/zone
	{
		echo "rsa._domainkey.example.org TXT $(dkim_txt "$CASE_DIR/rsa.key")"
		echo "ed._domainkey.example.org TXT $(dkim_txt "$CASE_DIR/ed.key")"
	} >"$ZONE"
}

dkim_conf() {
	local name=$1 base=$2 alg=$3 canon=$4
	shift 4
	conf_variant "$name" "$base" dkim.domain=example.org \
	    "dkim.selector=$alg" "dkim.key_file=$CASE_DIR/$alg.key" \
	    "dkim.canonicalization=$canon" "$@"
}

in_dns_ns() {
	"$DNS_NETNS" "$@"
}

# opendkim_each ZONE want FILE...: opendkim-testmsg on each file inside
# the namespace; want 0 (verifies) or 1 (is rejected).
opendkim_each() {
	local zone=$1 want=$2
	shift 2
	in_dns_ns "$zone" bash -c '
		want=$1; err=$2; shift 2; bad=0
		for f; do
			rc=0
			opendkim-testmsg <"$f" 2>"$err" || rc=$?
			if [ "$want" = 0 ] && [ "$rc" != 0 ]; then
				echo "opendkim rejects $f: $(cat "$err")"; bad=1
			elif [ "$want" = 1 ] && [ "$rc" = 0 ]; then
				echo "opendkim accepts $f"; bad=1
			fi
		done
		exit $bad' _ "$want" "$CASE_DIR/opendkim.err" "$@"
}

dkim_verify() {
	local out
	out=$("$PY3" "$DKIM_VERIFY" "$ZONE" "$@") ||
	    fail "python3-dkim: $(printf '%s\n' "$out" | grep -v ': pass$' | head -n 3 | tr '\n' ' ')"
	echo "$out" >&2
	out=$(opendkim_each "$ZONE" 0 "$@") || fail "$out"
}

dkim_reject() {
	local f out
	for f; do
		if out=$("$PY3" "$DKIM_VERIFY" "$ZONE" "$f"); then
			fail "python3-dkim accepts a changed message: $out"
		fi
		echo "$out" >&2
	done
	out=$(opendkim_each "$ZONE" 1 "$@") || fail "$out"
}

dkim_unsigned() {
	if msg_header "$1" DKIM-Signature >/dev/null; then
		fail "$1 is signed: $(msg_header "$1" DKIM-Signature | head -c 120)"
	fi
}

dkim_big() {
	local mb=$1 port=$2 spec alg canon conf t0 d
	local specs=() extra=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do specs+=("$1"); shift; done
	[ $# -eq 0 ] || { shift; extra=("$@"); }
	{
		printf 'To: big@example.org\nSubject: big\n\n'
		yes 'a line  with   runs of blanks	and a tab, 0123456789 ' |
		    head -c $((mb * 1024 * 1024))
		printf '\n\n\n\n'
	} >"$CASE_DIR/big.eml"
	local dumps=()
	for spec in "${specs[@]}"; do
		alg=${spec%%:*}
		canon=${spec#*:}
		conf=$(dkim_conf "big-$alg" plain "$alg" "$canon" \
		    "smarthost.port=$port" "queue.dir=$CASE_DIR/q" "${extra[@]}")
		sink_start "$port"
		t0=$(now_ms)
		expect_exit 0 postern -C "$conf" -t <"$CASE_DIR/big.eml"
		echo "postern: $(( $(now_ms) - t0 )) ms for $(stat -c %s "$CASE_DIR/big.eml") octets ($spec)" >&2
		sink_stop
		d=$(sink_dump)
		[ "$(stat -c %s "$d")" -gt $((mb * 1024 * 1024)) ] ||
		    fail "dump too short: $(stat -c %s "$d")"
		mv "$d" "$CASE_DIR/big-$alg.dump"
		dumps+=("$CASE_DIR/big-$alg.dump")
	done
	t0=$(now_ms)
	dkim_verify "${dumps[@]}"
	echo "verification: $(( $(now_ms) - t0 )) ms" >&2
	rm -f "$CASE_DIR/big.eml" "${dumps[@]}"	# large; the case passed
}
