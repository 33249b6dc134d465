#!/usr/bin/env bash
# A real Home Assistant picks up the lab's home: the demo behind docs/home-assistant.md.
#
# Home Assistant with device-based discovery needs Python 3.13, newer than this project's
# Debian (bookworm) has, so it runs in a Debian trixie folder (debootstrap + chroot; root
# needed, about 1 GB and ten minutes the first time). The lab runs beside it as usual with
# discovery on; Home Assistant is onboarded through its own auth API, gets the MQTT
# integration through its config-flow API, and the script prints the devices and entities it
# made. Ctrl-C stops both.
#
#   sudo scripts/ha-demo.sh            # folder .ha-demo/, broker port 18830, HA on :8123
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
demo=${HA_DEMO_DIR:-$here/.ha-demo}
root=$demo/rootfs
port=${HA_DEMO_MQTT_PORT:-18830}
ha=http://127.0.0.1:8123
user=mewet
password=mewet-demo

if [ "$(id -u)" != 0 ]; then
    echo "needs root (debootstrap and chroot): sudo $0" >&2
    exit 1
fi
mkdir -p "$demo"

if [ ! -x "$root/opt/ha/bin/hass" ]; then
    command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
    [ -d "$root/usr" ] || debootstrap --variant=minbase \
        --include=python3,python3-venv,python3-dev,gcc,ca-certificates,libffi-dev,libssl-dev \
        trixie "$root" http://deb.debian.org/debian
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    chroot "$root" sh -c 'python3 -m venv /opt/ha && /opt/ha/bin/pip install -q homeassistant'
fi

config=$root/srv/ha-config
if [ ! -f "$config/configuration.yaml" ]; then
    mkdir -p "$config"
    cat >"$config/configuration.yaml" <<'EOF'
homeassistant:
  name: MeWeT virtual home
  time_zone: Europe/Oslo
  unit_system: metric
  country: "NO"
  latitude: 59.91
  longitude: 10.75
  elevation: 10
  currency: NOK
http:
  server_host: 127.0.0.1
  server_port: 8123
api:
config:
EOF
    chroot "$root" /opt/ha/bin/hass --script auth -c /srv/ha-config add "$user" "$password"
fi

mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
pids=()
cleanup() {
    kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    umount "$root/proc" "$root/dev" 2>/dev/null || true
}
trap cleanup EXIT

cert=/etc/ssl/certs/ca-certificates.crt
chroot "$root" env SSL_CERT_FILE=$cert REQUESTS_CA_BUNDLE=$cert PIP_CERT=$cert \
    /opt/ha/bin/hass -c /srv/ha-config >"$demo/ha.log" 2>&1 &
pids+=($!)
MEWET_HA_DISCOVERY=true "$here/.venv/bin/mewet" up --data-dir "$demo/lab" --mqtt-port "$port" \
    --api-port 18000 --speed 60 >"$demo/lab.log" 2>&1 &
pids+=($!)

until curl -s -o /dev/null "$ha/api/"; do sleep 2; done
json() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
client=$ha/
flow=$(curl -s -X POST "$ha/auth/login_flow" -H 'Content-Type: application/json' \
    -d "{\"client_id\": \"$client\", \"handler\": [\"homeassistant\", null], \"redirect_uri\": \"$client\"}" \
    | json '["flow_id"]')
code=$(curl -s -X POST "$ha/auth/login_flow/$flow" -H 'Content-Type: application/json' \
    -d "{\"client_id\": \"$client\", \"username\": \"$user\", \"password\": \"$password\"}" \
    | json '["result"]')
token=$(curl -s -X POST "$ha/auth/token" \
    -d "grant_type=authorization_code&code=$code&client_id=$client" | json '["access_token"]')
api() { curl -s "$@" -H "Authorization: Bearer $token" -H 'Content-Type: application/json'; }

if ! api "$ha/api/config/config_entries/entry" | grep -q '"domain":"mqtt"'; then
    flow=$(api -X POST "$ha/api/config/config_entries/flow" -d '{"handler": "mqtt"}' | json '["flow_id"]')
    api -X POST "$ha/api/config/config_entries/flow/$flow" \
        -d "{\"broker\": \"127.0.0.1\", \"port\": $port}" | json '["type"]'
fi
sleep 20
api -X POST "$ha/api/template" -d @- <<'EOF'
{"template": "{% set ns = namespace(d=[]) %}{% for e in integration_entities('mqtt') %}{% set ns.d = ns.d + [device_id(e)] %}{% endfor %}{{ ns.d | unique | list | count }} devices, {{ integration_entities('mqtt') | count }} entities\n{% for d in ns.d | unique | sort %}{{ device_attr(d, 'name') }} | {{ device_attr(d, 'model') }} | {{ area_name(d) }} | {% for e in device_entities(d) | sort %}{{ e }} = {{ states(e) }} {{ state_attr(e, 'unit_of_measurement') or '' }}; {% endfor %}\n{% endfor %}"}
EOF
echo
echo "Home Assistant: $ha (user $user, password $password); log in $demo/ha.log. Ctrl-C stops."
wait
