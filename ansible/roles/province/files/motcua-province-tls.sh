#!/bin/sh
# Make the province's CA and the provincial broker's certificate, once: run by Ansible (roles/province, tasks/tls.yml)
# on the technician's computer, under flock. Existing files are never replaced (every hall's bridge trusts this CA).
#   motcua-province-tls.sh DIR BROKER_ADDRESS PROVINCE_SLUG
# DIR/ca.crt      the province CA: each hall's inventory points mosquitto_bridge_ca_src at it; the collector checks
#                 the broker with it too (/etc/motcua/province-ca.crt)
# DIR/ca.key      the CA's key: stays here; encrypt it (ansible-vault encrypt DIR/ca.key DIR/server.key)
# DIR/server.crt  the broker's certificate for BROKER_ADDRESS (the name the halls' bridges dial) and 127.0.0.1
#                 (the collector, on the same server)
# DIR/server.key  its key: copied to the province server only (root:mosquitto 0640)
# A province with its own CA puts these four files (ca.key may be absent) in DIR before the first run.
set -eu
dir=$1
address=$2
province=$3
umask 077
mkdir -p "$dir"
cd "$dir"
if [ -s server.crt ] && [ -s server.key ] && [ -s ca.crt ]; then
  echo unchanged
  exit 0
fi
case $address in
  *[!0-9.]*) name="DNS:$address" ;;
  *) name="IP:$address" ;;
esac
if [ ! -s ca.crt ]; then
  openssl req -x509 -newkey rsa:3072 -sha256 -days 3650 -nodes -keyout ca.key -out ca.crt \
    -subj "/CN=motcua province CA $province" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
openssl req -newkey rsa:2048 -sha256 -nodes -keyout server.key -out server.csr -subj "/CN=$address" 2>/dev/null
printf 'subjectAltName=%s,IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
  "$name" > server.ext
openssl x509 -req -sha256 -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -out server.crt \
  -extfile server.ext 2>/dev/null
rm -f server.csr server.ext
chmod 0644 ca.crt server.crt
echo created
