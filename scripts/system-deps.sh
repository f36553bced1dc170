#!/usr/bin/env bash
# Debian packages the tests and the app need beyond Python, Java and Node:
# docker-compose (to validate docker-compose.yml without an engine) and
# chromium (the browser suite drives it through Playwright), and what
# WeasyPrint (the PDF case dossier) loads at run time: Pango, HarfBuzz and
# a font. Shared libraries are checked with `ldconfig -p`.
# Installs only what is missing; without root it says what to install.
set -u
need=()
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
has_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
has_lib 'libpango-1\.0\.so\.0' || need+=(libpango-1.0-0)
has_lib 'libpangoft2-1\.0\.so\.0' || need+=(libpangoft2-1.0-0)
has_lib 'libharfbuzz-subset\.so\.0' || need+=(libharfbuzz-subset0)
has_lib 'libfontconfig\.so\.1' || need+=(libfontconfig1)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)
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
