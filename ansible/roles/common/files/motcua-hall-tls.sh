#!/bin/sh
# Make the hall's own CA and the broker's certificate, once: run by Ansible (roles/common, tasks/mqtt_ca.yml) on the
# technician's computer, under flock. Existing files are never replaced (devices trust this CA).
#   motcua-hall-tls.sh DIR BROKER_ADDRESS SITE
# DIR/ca.crt      the hall CA: copied to every Pi (/etc/motcua/hall-ca.crt), devices check the broker with it
# DIR/ca.key      the CA's key: stays here; encrypt it (ansible-vault encrypt DIR/ca.key DIR/server.key)
# DIR/server.crt  the broker's certificate for BROKER_ADDRESS (and 127.0.0.1 for the coordinator's own tools)
# DIR/server.key  its key: copied to the coordinator only (root:mosquitto 0640)
set -eu
dir=$1
address=$2
site=$3
umask 077
mkdir -p "$dir"
cd "$dir"
if [ -s server.crt ] && [ -s ca.crt ]; then
  echo unchanged
  exit 0
fi
case $address in
  *[!0-9.]*) name="DNS:$address" ;;
  *) name="IP:$address" ;;
esac
if [ ! -s ca.crt ]; then
  openssl req -x509 -newkey rsa:3072 -sha256 -days 3650 -nodes -keyout ca.key -out ca.crt \
    -subj "/CN=motcua hall CA $site" \
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
