#!/usr/bin/env bash
# scripts/sim.sh N [WORKDIR]: the load-simulator figures of docs/BENCHMARKS.md.
# Creates a fresh fleet in WORKDIR, registers N simulated devices through its
# store, serves it (embedded broker, loopback only), runs the converge phase
# (schedule changes, memory), then the reconnect phase, restarting the fleet
# process under the connected devices. Everything stops by itself.
# Extra simulator flags: SIM_FLAGS="--verify full --ramp 500" scripts/sim.sh 1000
set -euo pipefail
N=${1:-1000}
WORK=${2:-/tmp/lawpoint-sim-$N}
MQTT=127.0.0.1:${MQTT_PORT:-18830}
HTTP=127.0.0.1:${HTTP_PORT:-18080}
SIM_FLAGS=${SIM_FLAGS:-}
cd "$(dirname "$0")/.."
rm -rf "$WORK"
mkdir -p "$WORK"
BIN=$WORK/lawpoint-fleet
go build -o "$BIN" ./cmd/lawpoint-fleet
"$BIN" init --data "$WORK/data" >"$WORK/init.txt"
"$BIN" sim --phase setup -n "$N" --data "$WORK/data"

FLEET=
start_fleet() {
	"$BIN" serve --data "$WORK/data" --mqtt "$MQTT" --mqtts "" --http "$HTTP" 2>>"$WORK/fleet.log" &
	FLEET=$!
	for _ in $(seq 600); do
		curl -fsS "http://$HTTP/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "sim.sh: the fleet did not start; see $WORK/fleet.log" >&2
	return 1
}
stop_fleet() {
	if [ -n "$FLEET" ]; then
		kill -TERM "$FLEET" 2>/dev/null || true
		wait "$FLEET" 2>/dev/null || true
		FLEET=
	fi
}
SIM=
cleanup() {
	[ -n "$SIM" ] && kill -TERM "$SIM" 2>/dev/null || true
	stop_fleet
}
trap cleanup EXIT

start_fleet
sleep 5 # the start-up recompute (every device's first manifest) settles
echo "== converge phase (N=$N)"
# shellcheck disable=SC2086
"$BIN" sim --phase converge -n "$N" --state "$WORK/data/sim-state.json" --fleet "http://$HTTP" --mqtt "$MQTT" --fleet-pid "$FLEET" $SIM_FLAGS

echo "== reconnect phase (N=$N): the fleet process restarts under connected devices"
rm -f "$WORK/ready"
# shellcheck disable=SC2086
"$BIN" sim --phase reconnect -n "$N" --state "$WORK/data/sim-state.json" --fleet "http://$HTTP" --mqtt "$MQTT" --ready-file "$WORK/ready" $SIM_FLAGS &
SIM=$!
while [ ! -e "$WORK/ready" ]; do
	kill -0 "$SIM" 2>/dev/null || { wait "$SIM"; exit 1; }
	sleep 0.2
done
t0=$(date +%s.%N)
stop_fleet
t1=$(date +%s.%N)
start_fleet
t2=$(date +%s.%N)
echo "sim.sh: fleet stopped in $(echo "$t1 - $t0" | bc) s, serving again $(echo "$t2 - $t1" | bc) s later"
wait "$SIM"
SIM=
