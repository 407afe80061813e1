# compat-tests/lib/certs.sh -- client certificates for the cases that
# present one (628, 831, 832).
#
# Source it from a case after common.sh:  . "$TOP/compat-tests/lib/certs.sh"
#
#   client_cert NAME CN [CA CAKEY]
#                   $CASE_DIR/NAME.pem and NAME.key (mode 0600): a P-256
#                   client certificate (clientAuth, not a CA, 2 days) for
#                   O=postern tests, CN=CN, issued by CA/CAKEY (default the
#                   harness's test CA)
#   other_ca        $CASE_DIR/other-ca.pem and other-ca.key: a CA that
#                   nothing here trusts

client_cert() {
	local name=$1 cn=$2 ca=${3:-$TLS_DIR/ca.pem} cakey=${4:-$TLS_DIR/ca.key}
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$CASE_DIR/$name.key" -out "$CASE_DIR/$name.csr" \
	    -subj "/O=postern tests/CN=$cn" 2>/dev/null
	printf 'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = clientAuth\n' \
	    >"$CASE_DIR/$name.ext"
	openssl x509 -req -in "$CASE_DIR/$name.csr" -CA "$ca" -CAkey "$cakey" \
	    -CAcreateserial -CAserial "$CASE_DIR/ca.srl" -days 2 \
	    -extfile "$CASE_DIR/$name.ext" -out "$CASE_DIR/$name.pem" 2>/dev/null
	chmod 0600 "$CASE_DIR/$name.key"
}

other_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$CASE_DIR/other-ca.key" -out "$CASE_DIR/other-ca.pem" \
	    -days 2 -subj "/O=postern tests/CN=another CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
