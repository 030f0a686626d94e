#!/usr/bin/env bash
# The demo behind `./dev up`, sourced by ./dev after PostgreSQL, Redis and the
# SMTP sink are up (FERRY_TEST_* say where). Starts both simulators, Ferry and
# a trickle of shop traffic, prints the URLs and waits; ./dev's exit trap
# stops everything on Ctrl-C.

demo_port() {
  "$SYS_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Reads the first JSON line a simulator prints (its bound ports) from its log.
demo_ready_line() {
  local log="$1" i
  for i in $(seq 1 600); do
    if grep -q '^{' "$log" 2>/dev/null; then
      grep -m1 '^{' "$log"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

demo_json() {
  "$SYS_PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# A secret made once per demo folder and kept there (mode 600).
demo_secret() {
  local file="$1"
  if [ ! -s "$file" ]; then
    (umask 077; openssl rand -hex 24 > "$file")
  fi
  cat "$file"
}

run_demo() {
  local dir="$1"
  local bin="$BUILD"
  mkdir -p "$dir/secrets" "$dir/erp" "$dir/shop"
  chmod 700 "$dir/secrets"

  psql "$FERRY_TEST_PG_URL" -tAc "SELECT 1 FROM pg_database WHERE datname='ferry'" \
    | grep -q 1 || psql "$FERRY_TEST_PG_URL" -qc "CREATE DATABASE ferry"
  local db_url="${FERRY_TEST_PG_URL%/*}/ferry"

  local erp_password shop_secret webhook_secret
  erp_password="$(demo_secret "$dir/secrets/erp_password")"
  shop_secret="$(demo_secret "$dir/secrets/shop_client_secret")"
  webhook_secret="$(demo_secret "$dir/secrets/webhook_secret")"

  local api_port ops_port
  api_port="$(demo_port)"
  ops_port="$(demo_port)"

  log "starting ferry-sim-erp"
  "$bin/simulators/erp/ferry-sim-erp" --port 0 --admin-port 0 \
    --data-dir "$dir/erp" --username ferry \
    --password-file "$dir/secrets/erp_password" --seed 42 \
    --seed-items 200 --seed-customers 50 --warehouses 2 --charges-item SHIPPING \
    >"$dir/erp.log" 2>&1 &
  STARTED_PIDS+=("$!")
  local erp_ready
  erp_ready="$(demo_ready_line "$dir/erp.log")" \
    || die "ferry-sim-erp did not start (see $dir/erp.log)"

  log "starting ferry-sim-shop with a trickle of traffic"
  FERRY_SIM_SHOP_CLIENT_SECRET="$shop_secret" \
  FERRY_SIM_SHOP_WEBHOOK_SECRET="$webhook_secret" \
  "$bin/simulators/shop/ferry-sim-shop" --port 0 --admin-port 0 \
    --data-dir "$dir/shop" --client-id ferry \
    --webhook-url "https://127.0.0.1:$api_port/webhooks/shop" \
    --webhook-insecure \
    --seed 42 --seed-products 200 --seed-customers 50 --sources 2 \
    --traffic on --orders-per-second 0.2 --customers-per-second 0.05 \
    --high-value-share 0.1 --approval-threshold 5000.00 \
    >"$dir/shop.log" 2>&1 &
  STARTED_PIDS+=("$!")
  local shop_ready
  shop_ready="$(demo_ready_line "$dir/shop.log")" \
    || die "ferry-sim-shop did not start (see $dir/shop.log)"

  local erp_endpoint erp_ca erp_admin shop_port shop_admin shop_ca
  erp_endpoint="$(demo_json "$erp_ready" endpoint)"
  erp_ca="$(demo_json "$erp_ready" ca_file)"
  erp_admin="$(demo_json "$erp_ready" admin)"
  shop_port="$(demo_json "$shop_ready" https_port)"
  shop_admin="$(demo_json "$shop_ready" admin_port)"
  shop_ca="$(demo_json "$shop_ready" ca_file)"

  cat >"$dir/ferry.yaml" <<EOF
# Written by ./dev up for the demo; secrets come from the environment.
node:
  data_dir: $dir
ops:
  listen: 127.0.0.1:$ops_port
api:
  listen: 127.0.0.1:$api_port
  public_base_url: https://127.0.0.1:$api_port
database:
  url: $db_url
redis:
  host: $FERRY_TEST_REDIS_HOST
  port: $FERRY_TEST_REDIS_PORT
smtp:
  host: 127.0.0.1
  port: $FERRY_TEST_SMTP_PORT
shop:
  base_url: https://localhost:$shop_port
  ca_file: $shop_ca
erp:
  endpoint: $erp_endpoint
  username: ferry
  ca_file: $erp_ca
EOF

  log "starting ferry"
  FERRY_ERP_PASSWORD="$erp_password" \
  FERRY_SHOP_CLIENT_SECRET="$shop_secret" \
  FERRY_SHOP_WEBHOOK_SECRETS="$webhook_secret" \
  "$bin/app/ferry" run --config "$dir/ferry.yaml" >"$dir/ferry.log" 2>&1 &
  local ferry_pid=$!
  STARTED_PIDS+=("$ferry_pid")

  local i ready=0
  for i in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$ops_port/readyz" >/dev/null 2>&1; then
      ready=1
      break
    fi
    kill -0 "$ferry_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ "$ready" -eq 1 ] || { tail -20 "$dir/ferry.log" >&2; die "ferry did not become ready"; }

  cat <<EOF

  Ferry is running.
    ops             http://127.0.0.1:$ops_port/metrics   /healthz   /readyz
    Ferry API       https://127.0.0.1:$api_port
    shop simulator  https://localhost:$shop_port/rest/V1   admin http://127.0.0.1:$shop_admin
    ERP simulator   $erp_endpoint   admin $erp_admin
    mail (Maildir)  $FERRY_TEST_MAILDIR
    logs            $dir/*.log

  Ctrl-C stops everything this command started.
EOF
  while kill -0 "$ferry_pid" 2>/dev/null; do
    sleep 1 & wait $! || true
  done
  die "ferry exited (see $dir/ferry.log)"
}
