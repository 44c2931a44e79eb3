#!/bin/sh
# Make a CA and a broker's certificate, once: run by Ansible on the technician's computer, under flock, for the hall
# (roles/common, tasks/mqtt_ca.yml: KIND hall, NAME the site) and for the province (roles/province, tasks/tls.yml:
# KIND province, NAME the province's slug). Existing files are never replaced: devices and bridges trust this CA.
#   motcua-tls.sh DIR BROKER_ADDRESS KIND NAME
# DIR/ca.crt      the CA. Hall: copied to every Pi (/etc/motcua/hall-ca.crt), devices check the broker with it.
#                 Province: each hall's inventory points mosquitto_bridge_ca_src at it; the collector and the
#                 console's users check the provincial broker with it (/etc/motcua/province-ca.crt).
# DIR/ca.key      the CA's key: stays here; encrypt it (ansible-vault encrypt DIR/ca.key DIR/server.key)
# DIR/server.crt  the broker's certificate for BROKER_ADDRESS (the name devices or bridges dial) and 127.0.0.1 (the
#                 tools and the collector on the same machine)
# DIR/server.key  its key: copied to the broker's machine only (root:mosquitto 0640)
# Who has a CA of their own puts these four files (ca.key may be absent) in DIR before the first run.
set -eu
dir=$1
address=$2
kind=$3
name=$4
umask 077
mkdir -p "$dir"
cd "$dir"
if [ -s server.crt ] && [ -s server.key ] && [ -s ca.crt ]; then
  echo unchanged
  exit 0
fi
case $address in
  *[!0-9.]*) alt="DNS:$address" ;;
  *) alt="IP:$address" ;;
esac
if [ ! -s ca.crt ]; then
  openssl req -x509 -newkey rsa:3072 -sha256 -days 3650 -nodes -keyout ca.key -out ca.crt \
    -subj "/CN=motcua $kind CA $name" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
openssl req -newkey rsa:2048 -sha256 -nodes -keyout server.key -out server.csr -subj "/CN=$address" 2>/dev/null
printf 'subjectAltName=%s,IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
  "$alt" > server.ext
openssl x509 -req -sha256 -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -out server.crt \
  -extfile server.ext 2>/dev/null
rm -f server.csr server.ext
chmod 0644 ca.crt server.crt
echo created
