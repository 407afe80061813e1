# compat-tests/lib/setgid.sh -- the privileged (set-gid) layout for a case,
# built privately so that nothing outside $CASE_DIR is read or written.
#
# Source it from a case after common.sh:  . "$TOP/compat-tests/lib/setgid.sh"
#
#   SETGID_GROUP             the set-gid group: the package's "postern" when
#                            it exists, else the system group "mail" (every
#                            Debian has it), so no case adds a group to the
#                            host (make check compares /etc/group)
#   setgid_build ETC BIN     BIN: a copy of postern built with SYSCONFDIR =
#                            ETC (its default config is ETC/postern.ini),
#                            root:$SETGID_GROUP 2755; skips when postern is
#                            not built

SETGID_GROUP=postern
getent group postern >/dev/null || SETGID_GROUP=mail

setgid_build() {
	local etc=$1 bin=$2 flags
	[ -r "$TOP/sendmail/.build-flags" ] && [ -r "$TOP/sendmail/libpostern.a" ] ||
	    skip "build postern first (make)"
	flags=$(sed "s#-DSYSCONFDIR='\"[^']*\"'#-DSYSCONFDIR='\"$etc\"'#" \
	    "$TOP/sendmail/.build-flags")
	eval "$flags -o '$bin' '$TOP/sendmail/main.c' '$TOP/sendmail/libpostern.a' \
	    -lssl -lcrypto -linih" || fail "cannot build the set-gid copy"
	chgrp "$SETGID_GROUP" "$bin"
	chmod 2755 "$bin"
}
