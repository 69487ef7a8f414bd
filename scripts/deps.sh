#!/bin/sh
# Installs the Debian packages lawpoint's build, demo and tests need, when
# they are missing. As root it runs apt-get; otherwise it prints the exact
# apt-get line to run. Debian 12 (and Raspberry Pi OS, which is based on it).
set -eu

# socat: pseudo-terminal pairs for the serial tests.
# unifont, fonts-wqy-microhei: the 16-dot bitmap and TrueType Chinese fonts
#   the LED renderer and the kiosk use (the project does not vendor fonts).
# mosquitto, mosquitto-clients: the external broker the protocol tests also run against.
# xvfb, xdotool, imagemagick: the kiosk's real window, clicks and screenshots.
# chromium: the staff console's tests in a real (headless) browser.
# pkg-config, libgl1-mesa-dev, libx*-dev, libasound2-dev: ebiten's cgo build.
PACKAGES="ca-certificates git make gcc pkg-config
socat unifont fonts-wqy-microhei
mosquitto mosquitto-clients
xvfb xdotool imagemagick
chromium
libgl1-mesa-dev libx11-dev libxrandr-dev libxcursor-dev libxinerama-dev libxi-dev libxxf86vm-dev libasound2-dev"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "lawpoint needs these Debian packages:$missing" >&2
	echo "run as root: apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once if the install fails.
if ! apt-get install -y --no-install-recommends $missing >/tmp/lawpoint-deps.log 2>&1; then
	apt-get update >>/tmp/lawpoint-deps.log 2>&1
	apt-get install -y --no-install-recommends $missing >>/tmp/lawpoint-deps.log 2>&1 || {
		tail -30 /tmp/lawpoint-deps.log >&2
		echo "apt-get install failed; see /tmp/lawpoint-deps.log" >&2
		exit 1
	}
fi
