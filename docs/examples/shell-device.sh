#!/bin/sh
# A whole device for the MeWeT lab in shell, with the Mosquitto clients only (no paho): a
# thermometer that reports every 2 s and answers its one command, `ping`. It passes every
# check of `mewet conformance` (the lab's tests run it so): a Last Will of `offline` on a
# connection that stays up, retained status, meta and state, seq +1 per message (telemetry
# and events share it), and commands taken on a persistent session, so one sent while the
# device was away is answered when it is back.
#
#   MQTT_HOST=mewet.school.example MQTT_PORT=8883 \
#   MQTT_OPTS="--capath /etc/ssl/certs -u d.acme.thermo-1 -P $DEVICE_PW" \
#   HOME_ID=acme DEVICE=thermo-1 sh shell-device.sh
set -u
B="-h ${MQTT_HOST:-127.0.0.1} -p ${MQTT_PORT:-1883} -V mqttv5 -q 1 ${MQTT_OPTS:-}"
T="${ROOT:-mewet}/$HOME_ID/$DEVICE"
BOOT=$(date +%s)
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# the connection that stays up: it carries the Last Will (its output is not needed)
mosquitto_sub $B -i "$DEVICE-will" -t "$T/cmd/ping" --will-topic "$T/status" \
  --will-payload offline --will-retain --will-qos 1 >/dev/null &
sleep 0.5
mosquitto_pub $B -r -t "$T/status" -m online
mosquitto_pub $B -r -t "$T/meta" -m '{"type": "thermometer", "model": "T-1",
  "manufacturer": "Acme", "room": "living room", "firmware": "1.0",
  "channels": [{"name": "temperature", "unit": "°C", "rate_s": 2, "min": -40, "max": 85}],
  "commands": ["ping"]}'
mosquitto_pub $B -r -t "$T/state" -m '{"online": true}'

seq=0
while :; do
  # up to 2 s for a command, on a persistent session (kept an hour while away)
  line=$(mosquitto_sub $B -i "$DEVICE-cmd" -c -x 3600 -t "$T/cmd/+" -v -C 1 -W 2 2>/dev/null)
  if [ -n "$line" ]; then
    topic=${line%% *}
    ref=$(printf '%s' "${line#* }" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p')
    ok=true detail=pong
    # a command it does not declare is answered too, refused; so is ping with arguments
    [ "${topic##*/}" = ping ] || { ok=false detail="unknown command"; }
    case "${line#* }" in
      *'"args":{}'* | *'"args": {}'*) ;;
      *'"args"'*) ok=false detail="ping takes no arguments" ;;
    esac
    mosquitto_pub $B -t "$T/event" -m "{\"v\": 1, \"id\": \"$BOOT-$seq\", \"ts\": \"$(now)\",
      \"seq\": $seq, \"event_type\": \"command_result\", \"data\": {\"command\":
      \"${topic##*/}\", \"ok\": $ok, \"ref\": \"$ref\", \"detail\": \"$detail\"}}"
    seq=$((seq + 1))
    continue
  fi
  mosquitto_pub $B -t "$T/telemetry" -m "{\"v\": 1, \"id\": \"$BOOT-$seq\", \"ts\": \"$(now)\",
    \"seq\": $seq, \"data\": {\"temperature\": 21.$((seq % 10))}}"
  seq=$((seq + 1))
done
