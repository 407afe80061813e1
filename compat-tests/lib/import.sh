# compat-tests/lib/import.sh -- helpers for the --import cases (70x).
# Source it from a case: . "$TOP/compat-tests/lib/import.sh"

# import_save SRC [--account NAME]: run `postern --import SRC`, which must
# exit 0 with nothing on stderr; save the output as $CASE_DIR/imported.ini
# (0600, as the output tells the user to) and check that postern reads it
# unchanged (-bp loads the whole configuration; the default queue
# directory is only read, and lists as empty when missing).
import_save() {
	expect_exit 0 postern --import "$@"
	[ ! -s "$CMD_ERR" ] || fail "--import wrote on stderr: $(head -c 200 "$CMD_ERR")"
	write_conf imported.ini <"$CMD_OUT" >/dev/null
	sed 's/^/  imported: /' "$CASE_DIR/imported.ini" >&2
	expect_exit 0 postern -C "$CASE_DIR/imported.ini" -bp
}

# imported_line LINE: the saved output holds LINE as a whole line.
imported_line() {
	grep -qxF -- "$1" "$CASE_DIR/imported.ini" ||
	    fail "imported.ini has no line '$1'"
}

# imported_has ERE: the saved output matches ERE somewhere (comments).
imported_has() {
	grep -Eq -- "$1" "$CASE_DIR/imported.ini" ||
	    fail "imported.ini does not match /$1/"
}

# imported_ready [section.key=value...]: what a user does before using the
# file here: keep the test's queue and no syslog (and any edits given);
# prints the path of the edited copy.
imported_ready() {
	conf_variant ready "../cases/$CASE_NAME/imported" \
	    "queue.dir=$CASE_DIR/queue" log.syslog=no "$@"
}

# imported_comment ERE: the comments of the saved output, joined into one
# line (the output wraps them at 76 columns), match ERE.
imported_comment() {
	sed -n 's/^# //p' "$CASE_DIR/imported.ini" | tr '\n' ' ' | grep -Eq -- "$1" ||
	    fail "no comment in imported.ini matches /$1/"
}
