# 209: lone-dot handling with and without -i; lines starting with a dot.
#
# server:  Postfix submission listener ($PORT_STARTTLS)
# commands and inputs (each -t, one recipient per sub-case):
#   d1: no -i; body "before" "." "after"   -> body "before" only
#   d2: -i;    body "before" "." "after"   -> body intact, "." is data
#   d3: -i;    body ".one" "..two" ". x" "." (last line) -> intact
#   d4: no -i; body ".one" "..two" ". x"   -> intact (no un-stuffing)
# expect:  exit 0 each; exactly four messages; "after" never becomes a
#          message of its own.

send() {  # send RCPT BODY [OPTIONS...]
	local r=$1 b=$2
	shift 2
	printf 'To: %s\nSubject: dots\n\n%s' "$r" "$b" |
	    expect_exit 0 postern -C "$CONF/starttls.ini" -t "$@"
}
body_is() {  # body_is RCPT EXPECTED
	local m got
	m=$(msg_file_for "$1")
	got=$(msg_body "$m")
	[ "$got" = "$2" ] || fail "$1: body is '$(printf '%s' "$got" | tr '\n' '|')', want '$(printf '%s' "$2" | tr '\n' '|')'"
}

send d1@example.org $'before\n.\nafter\n'
send d2@example.org $'before\n.\nafter\n' -i
send d3@example.org $'.one\n..two\n. x\n.\n' -i
send d4@example.org $'.one\n..two\n. x\n'
maildir_wait 4
body_is d1@example.org 'before'
body_is d2@example.org $'before\n.\nafter'
body_is d3@example.org $'.one\n..two\n. x\n.'
body_is d4@example.org $'.one\n..two\n. x'
