# 903: a 40 MiB message is signed in the spooling pass and verifies.
#
# server:  Postfix's smtp-sink on 127.0.0.1:$((POSTERN_TEST_PORT_BASE+60)),
#          dumping the message (the Postfix harness refuses more than
#          10 MB), tls = none to loopback
# command: postern -C big-ALG.ini -t (plain.ini with [dkim]), RSA
#          relaxed/relaxed, then Ed25519 simple/simple (lib/dkim.sh
#          dkim_big)
# input:   To, Subject, a 40 MiB body of lines with runs of blanks and a
#          tail of empty lines (the trailing-empty-line rules at scale)
# expect:  exit 0 each; python3-dkim and opendkim-testmsg accept the
#          dumped message; the whole case stays well under 60 s.
# case-timeout: 120

. "$TOP/compat-tests/lib/dkim.sh"
. "$TOP/compat-tests/lib/sink.sh"
need smtp-sink
dkim_need
dkim_keys

dkim_big 40 $(( ${POSTERN_TEST_PORT_BASE:-25580} + 60 )) \
    rsa:relaxed/relaxed ed:simple/simple
