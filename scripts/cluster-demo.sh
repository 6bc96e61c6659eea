#!/usr/bin/env bash
# Several gateways, one truth, on loopback: a private PostgreSQL (Debian's
# packages; a fresh cluster in a temporary directory, never the system's
# own), two `mfa-gate demo --postgres` replicas (A runs the demo app, B
# sits in front of A's app; one set of keys), and nginx in front of both,
# round robin. The same accounts and password as `mfa-gate demo`. Ctrl-C
# stops everything and removes the temporary directory.
#
#   bash scripts/cluster-demo.sh            # load balancer on 127.0.0.1:8080
#   PORT=9000 bash scripts/cluster-demo.sh  # (A_PORT, B_PORT, PG_PORT: the others)
#   bash scripts/cluster-demo.sh --check    # start, send a few requests through
#                                           # the balancer, stop (exit 0 if all answered)
#
# MFA_GATE_BIN picks a built binary (default: a release build, made here).
set -euo pipefail
cd "$(dirname "$0")/.."

CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1
PORT=${PORT:-8080}
A=${A_PORT:-$((PORT + 100))}    # replica A: gateway A, demo app A+1, admin A+2
B=${B_PORT:-$((PORT + 110))}    # replica B: gateway B, admin B+2
PG=${PG_PORT:-$((PORT + 120))}

EXTRA_PACKAGES=(postgresql nginx curl)
source scripts/ensure-deps.sh
BIN=${MFA_GATE_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --locked --release
  BIN=target/release/mfa-gate
fi

WORK=$(mktemp -d /tmp/mfa-gate-cluster.XXXXXX)
chmod 755 "$WORK"
PIDS=()
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  [ -d "$WORK/pg" ] && as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "== PostgreSQL on 127.0.0.1:$PG ($WORK/pg)"
mkdir -p "$WORK/pg"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK/pg"
as_postgres "$PGBIN/initdb" -A trust -U postgres -E UTF8 -D "$WORK/pg" >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg" -w -l "$WORK/pg/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $PG -k $WORK/pg" start >/dev/null
as_postgres "$PGBIN/createdb" -h 127.0.0.1 -p "$PG" -U postgres mfa_gate
export MFA_GATE_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG/mfa_gate"

wait_for() {
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer from $1; logs in $WORK" >&2
  exit 1
}

echo "== replica A on 127.0.0.1:$A (demo app on $((A + 1)))"
"$BIN" demo --port "$A" --data "$WORK/data" --postgres >"$WORK/a.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$A/_mfa/healthz"
echo "== replica B on 127.0.0.1:$B (in front of A's demo app)"
"$BIN" demo --port "$B" --data "$WORK/data" --postgres --app "127.0.0.1:$((A + 1))" \
  >"$WORK/b.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$B/_mfa/healthz"

echo "== nginx on 127.0.0.1:$PORT (round robin over A and B)"
cat >"$WORK/nginx.conf" <<NGINX
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events {}
http {
  access_log $WORK/nginx-access.log;
  client_body_temp_path $WORK/nginx-body;
  proxy_temp_path $WORK/nginx-proxy;
  upstream gateways {
    server 127.0.0.1:$A max_fails=1 fail_timeout=5s;
    server 127.0.0.1:$B max_fails=1 fail_timeout=5s;
  }
  server {
    listen 127.0.0.1:$PORT;
    location / {
      proxy_pass http://gateways;
      proxy_set_header Host \$http_host;
      proxy_next_upstream error timeout http_503;
    }
  }
}
NGINX
nginx -c "$WORK/nginx.conf"
wait_for "http://127.0.0.1:$PORT/_mfa/healthz"

if [ "$CHECK" = 1 ]; then
  for _ in 1 2 3 4; do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/login"
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/_mfa/healthz"
  done
  echo "cluster-demo: every request through the balancer answered"
  exit 0
fi

cat <<TEXT

mfa-gate cluster demo (Ctrl-C stops it)
  through the load balancer:  http://127.0.0.1:$PORT/login
  replica A directly:         http://127.0.0.1:$A/login   (admin http://127.0.0.1:$((A + 2))/metrics)
  replica B directly:         http://127.0.0.1:$B/login   (admin http://127.0.0.1:$((B + 2))/metrics)
  PostgreSQL:                 $MFA_GATE_DATABASE_URL
  support token:              demo-support-token
  password for every account: demo (taro@globex.example, jiro@acme.example, ...)
  logs:                       $WORK/{a,b}.log
Try it: enroll through the balancer, then stop one replica (kill it): the
other keeps every session, lock and policy.
TEXT
wait "${PIDS[0]}"
