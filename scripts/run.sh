#!/bin/sh
# `make run`: a working county on one machine, on embedded defaults.
#   - the county fleet service (embedded MQTT broker, SQLite, HTTP API);
#   - one virtual LED board (a BX-5E2 picture controller, 128x32, dual
#     colour) on a pseudo-terminal, which writes what it shows to a PNG;
#   - the LED player driving that board over the pseudo-terminal with the
#     demo county's schedule (content/demo).
# Stop it with Ctrl-C; everything it started stops with it.
set -eu
DATA="${1:-.run}"
BIN="${2:-bin}"
HTTP="${LAWPOINT_HTTP:-127.0.0.1:8080}"
MQTT="${LAWPOINT_MQTT:-127.0.0.1:1883}"
mkdir -p "$DATA"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [ ! -f "$DATA/fleet/.initialised" ]; then
	rm -rf "$DATA/fleet"
	"$BIN/lawpoint-fleet" init --data "$DATA/fleet" > "$DATA/admin.txt"
	chmod 600 "$DATA/admin.txt"
	touch "$DATA/fleet/.initialised"
fi
"$BIN/lawpoint-fleet" serve --data "$DATA/fleet" --http "$HTTP" --mqtt "$MQTT" --mqtts "" 2> "$DATA/fleet.log" &
pids="$pids $!"

"$BIN/lawpoint-led" virtual --model bx-5e2 --size 128x32 --png "$DATA/board.png" --round > "$DATA/board.log" 2>&1 &
pids="$pids $!"
port=""
for i in $(seq 1 100); do
	port=$(head -n 1 "$DATA/board.log" 2>/dev/null | grep '^/dev/' || true)
	[ -n "$port" ] && break
	sleep 0.1
done
if [ -z "$port" ]; then
	echo "the virtual board did not start; see $DATA/board.log" >&2
	exit 1
fi

"$BIN/lawpoint-led" play --port "$port" --model bx-5e2 --size 128x32 \
	--device led-bangtou-baxia --region 仙游县/榜头镇/坝下村 --demo > "$DATA/proof.jsonl" 2> "$DATA/player.log" &
pids="$pids $!"

cat <<MSG
lawpoint is running (Ctrl-C stops everything):
  fleet API        http://$HTTP/api/   (admin account and password: $DATA/admin.txt)
  MQTT broker      mqtt://$MQTT
  virtual board    $port  (BX-5E2 128x32, demo village 仙游县/榜头镇/坝下村)
  what it shows    $DATA/board.png   (refreshed on every change; log: $DATA/board.log)
  proof of play    $DATA/proof.jsonl
MSG
wait
