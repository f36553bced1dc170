#!/usr/bin/env bash
# Debian packages the tests and the app need beyond Python, Java and Node:
# docker-compose (to validate docker-compose.yml without an engine) and
# chromium (the browser suite drives it through Playwright).
# Installs only what is missing; without root it says what to install.
set -u
need=()
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "system-deps: please install these Debian packages: ${need[*]}" >&2
    exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
