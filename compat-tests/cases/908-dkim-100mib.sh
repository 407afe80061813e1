# 908: a 100 MiB message is signed in the spooling pass and verifies (the
#      issue's size; 903 does 40 MiB with both key types).
#
# server:  Postfix's smtp-sink on 127.0.0.1:$((POSTERN_TEST_PORT_BASE+61)),
#          dumping the message (the Postfix harness refuses more than
#          10 MB), tls = none to loopback; [queue] max_message_size = 200M
# command: postern -C big-ed.ini -t (plain.ini with [dkim]), Ed25519,
#          simple/simple (lib/dkim.sh dkim_big)
# input:   To, Subject, a 100 MiB body of lines with runs of blanks and a
#          tail of empty lines (the trailing-empty-line rules at scale)
# expect:  exit 0 each; python3-dkim and opendkim-testmsg accept the
#          dumped message; the case takes about 20 s, most of it the
#          two verifiers.
# case-timeout: 120

. "$TOP/compat-tests/lib/dkim.sh"
. "$TOP/compat-tests/lib/sink.sh"
need smtp-sink
dkim_need
dkim_keys

dkim_big 100 $(( ${POSTERN_TEST_PORT_BASE:-25580} + 61 )) ed:simple/simple \
    -- queue.max_message_size=200M
