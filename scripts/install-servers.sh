#!/bin/sh
# Installs the real servers the lab and its tests use (Debian packages), when missing.
# `install-servers.sh test` adds what only the tests need: docker-compose, which validates
# the deployment's compose file (no Docker engine needed for that), chromium, the real
# browser the web app's tests drive (Playwright cannot download its own here), postgresql,
# whose server the tests of the app database start (the lab runs on SQLite unless
# MEWET_DB_URL names a PostgreSQL), and caddy, the deployment's proxy in front of two API
# servers in the tests of several servers.
set -eu
PATH="$PATH:/usr/sbin:/sbin"
need=""
command -v mosquitto >/dev/null 2>&1 || need="$need mosquitto"
command -v mosquitto_sub >/dev/null 2>&1 || need="$need mosquitto-clients"
command -v influxd >/dev/null 2>&1 || need="$need influxdb"
if [ "${1:-}" = test ]; then
    command -v docker-compose >/dev/null 2>&1 || need="$need docker-compose"
    command -v chromium >/dev/null 2>&1 || need="$need chromium"
    command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
        || need="$need postgresql"
    command -v caddy >/dev/null 2>&1 || need="$need caddy"
fi
[ -z "$need" ] && exit 0
echo "installing Debian packages:$need"
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "error: MeWeT needs the Debian packages$need, and this user can neither install them" >&2
    echo "(not root, no password-less sudo). Ask an administrator to run:" >&2
    echo "    sudo apt-get install$need" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# the packages' own services are not wanted: the lab and its tests start their own instances
# (nor PostgreSQL's default cluster: the tests make their own)
case "$need" in *postgresql*)
    $SUDO mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/mewet.conf >/dev/null
esac
$SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
