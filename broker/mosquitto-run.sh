#!/bin/sh
# Runs Mosquitto and reloads its account files when the lab rewrites them.
#
#   mosquitto-run.sh CONFIG ACCESS_DIR
#
# The lab (mewet api) writes ACCESS_DIR/passwd, passwd-lab and acl as students join and
# companies add devices; this loop sends Mosquitto SIGHUP when they change, so the API needs
# neither root nor the broker's process table. Stopped by SIGTERM (docker stop), it stops
# Mosquitto first.
set -eu
config=$1
access=$2
mosquitto -c "$config" &
broker=$!
trap 'kill -TERM "$broker" 2>/dev/null; wait "$broker"; exit 0' TERM INT
stamp() { cat "$access/passwd" "$access/passwd-lab" "$access/acl" 2>/dev/null | cksum; }
seen=$(stamp)
while kill -0 "$broker" 2>/dev/null; do
    sleep 1 &
    wait $! || true
    now=$(stamp)
    if [ "$now" != "$seen" ]; then
        seen=$now
        kill -HUP "$broker"
    fi
done
wait "$broker"
