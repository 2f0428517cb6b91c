#!/usr/bin/env bash
# Start the action server, the Rasa server and the web app on localhost; Ctrl-C stops all three.
# Expects the environment the Makefile exports (ports, endpoints, model path).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${MODEL:?MODEL must name the trained model (make run sets it)}"
mkdir -p var/log
PIDS=()

stop() {
  trap - INT TERM EXIT
  echo; echo "stopping..."
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

wait_for() {  # url, name, seconds, pid
  local i
  for ((i = 0; i < $3; i++)); do
    if ! kill -0 "$4" 2>/dev/null; then
      echo "$2 exited during start-up; its log: var/log/$2.log" >&2; tail -n 20 "var/log/$2.log" >&2
      exit 1
    fi
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 1
  done
  echo "$2 did not answer at $1 within $3 s; see var/log/$2.log" >&2
  exit 1
}

# Each start keeps the last logs as *.log.1 ... *.log.5 (older ones are deleted).
scripts/rotate_logs.sh var/log 5

# Gap store (knowledge gaps): schema migrations and spool replay; the bot runs even if it fails.
.venv/bin/python -m bot.gaps migrate >var/log/gaps.log 2>&1 \
  || echo "gap store not ready (see var/log/gaps.log); unanswered questions are spooled" >&2
# Retention: conversations older than TRACKER_RETENTION_DAYS, gap records older than
# GAPS_RETENTION_DAYS are deleted.
.venv/bin/python -m bot.gaps purge >>var/log/gaps.log 2>&1 \
  || echo "retention purge failed (see var/log/gaps.log)" >&2

.venv/bin/rasa run actions --actions actions --port "$ACTION_PORT" >var/log/actions.log 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$ACTION_PORT/health" actions 120 "${PIDS[-1]}"

.venv/bin/rasa run --model "$MODEL" --port "$RASA_PORT" --interface 127.0.0.1 \
  --credentials "${CREDENTIALS:-credentials.yml}" --endpoints endpoints.yml >var/log/rasa.log 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$RASA_PORT/" rasa 300 "${PIDS[-1]}"

.venv/bin/python -m bot.web >var/log/web.log 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$WEB_PORT/healthz" web 60 "${PIDS[-1]}"

cat <<MSG

NSSF assistant is running (logs in var/log/):
  chat page:      http://localhost:$WEB_PORT/chat
  staff dashboard: http://localhost:$WEB_PORT/staff  (log-in: README, "Staff dashboard")
  Rasa server:    http://localhost:$RASA_PORT  (REST channel /webhooks/rest/webhook; HTTP API off)
  action server:  http://localhost:$ACTION_PORT/health
Press Ctrl-C to stop.
MSG
wait -n "${PIDS[@]}" || true
echo "a service stopped; see var/log/" >&2
