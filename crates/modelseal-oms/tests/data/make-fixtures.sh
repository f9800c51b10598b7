#!/bin/sh
# Regenerates the key and certificate fixtures in keys/ and chain/ with the
# OpenSSL CLI (3.x). Run from this directory. Outputs are random: tests only
# depend on their structure, never on their exact bytes.
set -eu
cd "$(dirname "$0")"
K=keys C=chain
mkdir -p "$K" "$C"

# SEC1 `EC PRIVATE KEY`, P-256, no parameters block.
openssl ecparam -genkey -name prime256v1 -noout -out "$K/sec1-p256.pem"
# SEC1 with the `EC PARAMETERS` block `openssl ecparam -genkey` writes by default.
openssl ecparam -genkey -name secp384r1 -out "$K/sec1-p384-with-params.pem"
# The same P-256 key as PKCS#8, preceded by explanatory text (as GnuTLS certtool writes).
{ printf 'Public Key Info:\n\tPublic Key Algorithm: EC/ECDSA\n\tKey Security Level: High (256 bits)\n\n'
  openssl pkcs8 -topk8 -nocrypt -in "$K/sec1-p256.pem"; } > "$K/pkcs8-p256-with-text.pem"
# OpenSSL's default encrypted PKCS#8 (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), password `hunter2`.
openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:hunter2 -in "$K/sec1-p256.pem" -out "$K/pkcs8-p256-encrypted.pem"
openssl ec -in "$K/sec1-p256.pem" -pubout -out "$K/sec1-p256.pub" 2>/dev/null
# The same public key with a compressed point (another encoding of one key).
openssl ec -in "$K/sec1-p256.pem" -pubout -conv_form compressed -out "$K/sec1-p256-compressed.pub" 2>/dev/null
# Ed25519 PKCS#8 and its SPKI.
openssl genpkey -algorithm ed25519 -out "$K/ed25519.pem"
openssl pkey -in "$K/ed25519.pem" -pubout -out "$K/ed25519.pub"
# P-521 PKCS#8.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$K/p521.pem"
# Unsupported: secp256k1 (SEC1 and PKCS#8), RSA (PKCS#8 and SPKI).
openssl ecparam -genkey -name secp256k1 -noout -out "$K/secp256k1-sec1.pem"
openssl pkcs8 -topk8 -nocrypt -in "$K/secp256k1-sec1.pem" -out "$K/secp256k1-pkcs8.pem"
openssl genrsa -out "$K/rsa.pem" 2048 2>/dev/null
openssl pkey -in "$K/rsa.pem" -pubout -out "$K/rsa.pub"

# Chain: RSA-3072 root -> P-521 intermediate (RSA-SHA256 signature)
#        -> P-521 code-signing leaf (ECDSA-SHA512 signature). Valid 100 years from generation.
cat > "$C/ca.ext" <<'EXT'
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
cat > "$C/leaf.ext" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=codeSigning
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
openssl genrsa -out "$C/rsa-root.key" 3072 2>/dev/null
openssl req -x509 -new -key "$C/rsa-root.key" -sha256 -subj "/O=modelseal test/CN=RSA test root" \
  -days 36500 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$C/rsa-root.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$C/p521-intermediate.key"
openssl req -new -key "$C/p521-intermediate.key" -subj "/O=modelseal test/CN=P-521 intermediate" -out "$C/int.csr"
openssl x509 -req -in "$C/int.csr" -CA "$C/rsa-root.pem" -CAkey "$C/rsa-root.key" -sha256 \
  -days 36500 -set_serial 0x1001 -extfile "$C/ca.ext" \
  -out "$C/p521-intermediate.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$C/p521-leaf.key"
openssl req -new -key "$C/p521-leaf.key" -subj "/O=modelseal test/CN=model signer" -out "$C/leaf.csr"
openssl x509 -req -in "$C/leaf.csr" -CA "$C/p521-intermediate.pem" -CAkey "$C/p521-intermediate.key" -sha512 \
  -days 36500 -set_serial 0x2002 -extfile "$C/leaf.ext" \
  -out "$C/p521-leaf.pem" 2>/dev/null
rm -f "$C/int.csr" "$C/leaf.csr" "$C/ca.ext" "$C/leaf.ext" "$C/rsa-root.key" "$C/p521-intermediate.key"
