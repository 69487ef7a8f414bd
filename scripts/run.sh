#!/bin/sh
# `make run`: a working county on one machine, on embedded defaults.
#   - the county fleet service (embedded MQTT broker, SQLite, HTTP API),
#     seeded with the demo county (content/demo: devices, content, schedules);
#   - one virtual LED board (a BX-5E2 picture controller, 128x32, dual
#     colour) on a pseudo-terminal, which writes what it shows to a PNG;
#   - the device agent with the LED player (`lawpoint-led run`) for the demo
#     board led-bangtou-baxia, enrolled with its one-time token, driving
#     that board over the pseudo-terminal with what the fleet assigns.
# Stop it with Ctrl-C; everything it started stops with it. Running it again
# reuses the data folder (the fleet, the board's enrolment and content).
set -eu
DATA="${1:-.run}"
BIN="${2:-bin}"
HTTP="${LAWPOINT_HTTP:-127.0.0.1:8080}"
MQTT="${LAWPOINT_MQTT:-127.0.0.1:1883}"
DEVICE=led-bangtou-baxia
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)
pids=""
rev=""
cleanup() {
	# Newest first: the board's agent says goodbye before the fleet stops.
	for p in $pids; do rev="$p $rev"; done
	for p in $rev; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# wait_for FILE PATTERN WHAT: wait up to 20 s for PATTERN in FILE.
wait_for() {
	for i in $(seq 1 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "$3 did not start; see $1" >&2
	exit 1
}

if [ ! -f "$DATA/fleet/.initialised" ]; then
	rm -rf "$DATA/fleet"
	# This demo county's admin password is chosen here (random) and kept in
	# admin.txt, so lawpointctl can sign in at once; a real county runs
	# init without --admin-password-file and changes the one-time password
	# at the first sign-in.
	umask 077
	password=$(od -An -N15 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$password" > "$DATA/admin-password"
	"$BIN/lawpoint-fleet" init --data "$DATA/fleet" --admin-password-file "$DATA/admin-password" > "$DATA/init.txt"
	printf '管理员账号：admin\n管理员密码：%s\n' "$password" > "$DATA/admin.txt"
	rm -f "$DATA/admin-password"
	umask 022
	touch "$DATA/fleet/.initialised"
fi
# The demo county, idempotently; tokens for devices not enrolled yet.
"$BIN/lawpoint-fleet" demo --data "$DATA/fleet" --out "$DATA/tokens.json" > "$DATA/demo.log"

"$BIN/lawpoint-fleet" serve --data "$DATA/fleet" --http "$HTTP" --mqtt "$MQTT" --mqtts "" \
	--device-mqtt-url "mqtt://$MQTT" 2> "$DATA/fleet.log" &
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
wait_for "$DATA/fleet.log" "lawpoint-fleet serving" "the fleet"

# The board's token, the first time only (afterwards it has credentials).
token=$(sed -n "s/^ *\"$DEVICE\": *\"\([^\"]*\)\".*/\1/p" "$DATA/tokens.json")
enrol=""
if [ ! -f "$DATA/$DEVICE/credentials.json" ] && [ -n "$token" ]; then
	enrol="--enrol-token $token --fleet http://$HTTP"
fi
# shellcheck disable=SC2086 # $enrol is two flags or none
"$BIN/lawpoint-led" run --data "$DATA/$DEVICE" --port "$port" --model bx-5e2 --size 128x32 $enrol 2> "$DATA/agent.log" &
pids="$pids $!"

# A staff token for lawpointctl, kept in the data folder (not in ~/.config).
password=$(sed -n 's/^管理员密码：//p' "$DATA/admin.txt")
if LAWPOINT_PASSWORD="$password" XDG_CONFIG_HOME="$DATA/ctl" "$BIN/lawpointctl" --url "http://$HTTP" login > /dev/null 2>&1; then
	sed -n 's/.*"token": *"\([^"]*\)".*/\1/p' "$DATA/ctl/lawpointctl/config.json" > "$DATA/staff.token"
	chmod 600 "$DATA/staff.token"
fi
wait_for "$DATA/agent.log" "lawpoint-led running" "the LED agent"

cat <<MSG
lawpoint is running (Ctrl-C stops everything):
  staff console    http://$HTTP/       (sign in with the admin account and password in $DATA/admin.txt)
  fleet API        http://$HTTP/api/
  MQTT broker      mqtt://$MQTT
  virtual board    $port  (BX-5E2 128x32, device $DEVICE, 仙游县/榜头镇/坝下村)
  what it shows    $DATA/board.png   (refreshed on every change; log: $DATA/board.log)
  logs             $DATA/fleet.log  $DATA/agent.log
  staff token      $DATA/staff.token

Change what the board shows (paste into another shell, in $(pwd)):

  export LAWPOINT_URL=http://$HTTP LAWPOINT_TOKEN=\$(cat $DATA/staff.token)
  $BIN/lawpointctl content add --id bangtou-tingdian --text "榜头镇通知：明天8点至12点停电检修" --programme bangtou-tongzhi --seconds 10
  $BIN/lawpointctl schedule add --id bangtou-tongzhi --programme bangtou-tongzhi --priority 100 --region 仙游县/榜头镇 --kind led --always
  $BIN/lawpointctl status

  # or an emergency notice for 榜头镇, shown at once, for two hours (at most 30 days):
  curl -H "Authorization: Bearer \$LAWPOINT_TOKEN" -d '{"id":"bangtou-flood","text":"防汛紧急通知：请远离河道","regions":["仙游县/榜头镇"],"expiry":"'\$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)'"}' http://$HTTP/api/notices
  # and withdraw it:
  curl -X POST -H "Authorization: Bearer \$LAWPOINT_TOKEN" http://$HTTP/api/notices/bangtou-flood/withdraw
MSG
wait
