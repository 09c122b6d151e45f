#!/usr/bin/env bash
# Install the system packages SpaceKG's tests need, when they are missing:
#   Java (HermiT, the OWL reasoner), libseccomp (the network wall), Debian's Chromium + CJK fonts (browser test),
#   Virtuoso (remote-store tests). Idempotent; needs root or sudo only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi

if ! command -v java >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null
fi
# libseccomp: the network wall of the server's workers and query processes (netguard.py)
if ! ldconfig -p | grep -q 'libseccomp\.so\.2'; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends libseccomp2 >/dev/null
fi
scripts/chromium.sh
scripts/virtuoso.sh install
