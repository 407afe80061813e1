# 314: leading "From " / ">From " lines, Return-Path: and Content-Length:
#      never reach the smarthost (as Postfix's sendmail and cleanup).
#
# server:  Postfix plain listener ($PORT_PLAIN)
# command: postern -t -i, input:
#            >From old@example.org Mon Jan  1 00:00:00 2024
#            From again@example.org Mon Jan  1 00:00:00 2024
#            Return-Path: <forged@example.org>
#            Content-Length: 3
#            To: r314@example.org
#            Subject: m314
#            (blank) body
# expect:  exit 0 (the ">From " first line does not end the headers, so
#          -t finds To:); the delivered message has one Return-Path, the
#          envelope sender's (added by Postfix's delivery), no
#          Content-Length, no From/>From line, and its To/Subject headers.

conf=$(conf_variant q plain "queue.dir=$CASE_DIR/q")
printf '%s\n' '>From old@example.org Mon Jan  1 00:00:00 2024' \
    'From again@example.org Mon Jan  1 00:00:00 2024' \
    'Return-Path: <forged@example.org>' 'Content-Length: 3' \
    'To: r314@example.org' 'Subject: m314' '' 'body of m314' |
    expect_exit 0 postern -C "$conf" -t -i -f s314@example.org
m=$(msg_file_for r314@example.org)
expect_header "$m" Subject '^m314$'
rp=$(msg_headers "$m" Return-Path) || fail "no Return-Path at all"
[ "$rp" = '<s314@example.org>' ] || fail "Return-Path: $(printf '%s' "$rp" | tr '\n' '|')"
! msg_header "$m" Content-Length >/dev/null || fail "Content-Length reached the smarthost"
! grep -Eq '^>*From ' "$m" || fail "a From line reached the smarthost: $(grep -E -m1 '^>*From ' "$m")"
