# 822: SCRAM with non-ASCII passwords against a real Dovecot: SASLprep
# (RFC 4013, NFKC included) of the password before PBKDF2, and what
# postern does with a password it cannot prepare.
#
# server:  Dovecot's submission service (lib/dovecot.sh), passwd-file users
#          (Dovecot keeps the password byte for byte and derives SCRAM from
#          it without SASLprep, so the file holds the prepared form, as
#          RFC 5802 has a server keep the salted Normalize(password)):
#          umlaut  "pässwörd" (precomposed, already NFKC)
#          nbsp    "pass word" (the prepared form of "pass<U+00A0>word")
#          decomp  "pässwörd" too, given to postern decomposed
#                  ("pa<U+0308>sswo<U+0308>rd": NFKC composes it)
#          compat  "fiIXa-각", given to postern as compatibility and jamo
#                  forms "<U+FB01><U+2168><U+00AA>-<U+1100><U+1161><U+11A8>"
#          priv    "priv<U+E000>ate" (private use: prohibited by RFC 4013)
#          first with every mechanism, then with SCRAM-SHA-256 and LOGIN only
# command: postern -C VARIANT.ini a@example.org, [queue] enabled = no
# expect:  umlaut with scram-sha-256 and scram-sha-1: exit 0, Dovecot logs
#          the SCRAM login; nbsp, decomp and compat with scram-sha-256:
#          exit 0 and a SCRAM login (without SASLprep and its NFKC the
#          proof would be over other bytes and fail); priv with auth =
#          scram-sha-256: exit 78, one line "cannot use SCRAM-SHA-256: the
#          password cannot be prepared with SASLprep ...", no AUTH reached
#          Dovecot; priv with auth = auto against the SCRAM-SHA-256 + LOGIN
#          server: exit 0 with LOGIN, and -v says "* not using
#          SCRAM-SHA-256: ...".
. "$TOP/compat-tests/lib/dovecot.sh"

umlaut=$(printf 'p\303\244ssw\303\266rd')
nbsp_cfg=$(printf 'pass\302\240word')
decomp=$(printf 'pa\314\210sswo\314\210rd')
compat_cfg=$(printf '\357\254\201\342\205\250\302\252-\341\204\200\341\205\241\341\206\250')
compat=$(printf 'fiIXa-\352\260\201')
priv=$(printf 'priv\356\200\200ate')
dovecot_start "umlaut:$umlaut" "nbsp:pass word" "decomp:$umlaut" \
    "compat:$compat" "priv:$priv"

u() {	# u NAME USER PASSWORD [k=v...]: a config for USER with PASSWORD
	local name=$1 user=$2 pw=$3
	shift 3
	(umask 077; printf '%s\n' "$pw" >"$CASE_DIR/$name.pw")
	dovecot_conf "$name" "smarthost.user=$user" \
	    "smarthost.password_file=$CASE_DIR/$name.pw" "$@"
}
send() {	# send EXIT CONF [postern options...]
	local want=$1 conf=$2
	shift 2
	dovecot_log_mark
	printf 'Subject: s822\n\nbody\n' | expect_exit "$want" postern "$@" -C "$conf" a@example.org
}

for mech in scram-sha-256 scram-sha-1; do
	M=$(echo "$mech" | tr a-z A-Z)
	send 0 "$(u "umlaut-$mech" umlaut "$umlaut" "smarthost.auth=$mech")"
	dovecot_log_wait "Login: user=<umlaut>, method=$M," >/dev/null
done

send 0 "$(u nbsp nbsp "$nbsp_cfg" smarthost.auth=scram-sha-256)"
dovecot_log_wait "Login: user=<nbsp>, method=SCRAM-SHA-256," >/dev/null

send 0 "$(u decomp decomp "$decomp" smarthost.auth=scram-sha-256)"
dovecot_log_wait "Login: user=<decomp>, method=SCRAM-SHA-256," >/dev/null

send 0 "$(u compat compat "$compat_cfg" smarthost.auth=scram-sha-256)"
dovecot_log_wait "Login: user=<compat>, method=SCRAM-SHA-256," >/dev/null
maildir_wait 5

send 78 "$(u priv-scram priv "$priv" smarthost.auth=scram-sha-256)"
expect_stderr_line 'cannot use SCRAM-SHA-256: the password cannot be prepared with SASLprep'
grep -qF "$priv" "$CMD_ERR" && fail "the error quotes the password"
sleep 0.3
dovecot_log | grep -q 'user=<priv>' && fail "postern tried AUTH with a prohibited password"

dovecot_stop
DOVECOT_MECHS="scram-sha-256 login" dovecot_start "priv:$priv"
send 0 "$(u priv-auto priv "$priv")" -v
grep -q '^\* not using SCRAM-SHA-256: the password cannot be prepared with SASLprep .*; using LOGIN instead' "$CMD_ERR" ||
    fail "-v does not say why SCRAM was not used: $(grep -v '^[<>]' "$CMD_ERR" | head -n 3)"
grep -q '^> AUTH LOGIN' "$CMD_ERR" || fail "no AUTH LOGIN"
dovecot_log_wait "Login: user=<priv>, method=LOGIN," >/dev/null
maildir_wait 6
