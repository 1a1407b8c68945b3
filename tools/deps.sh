#!/bin/sh
# Installs the Debian packages refpress needs to build and test, when any is missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -eu
pkgs="gcc make cmake pkg-config libcmark-gfm-dev libcmark-gfm-extensions-dev libyaml-dev
liblua5.4-dev libxml2-dev libcurl4-openssl-dev libmicrohttpd-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "refpress needs these Debian packages:$missing" >&2
    echo "install them with: sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
