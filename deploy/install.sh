#!/usr/bin/env bash
# RuamKit: install (or update) a city-wide deployment on one Debian/Ubuntu machine.
#
#   sudo deploy/install.sh --public-url https://ruamkit.example.go.th \
#        --cert /etc/letsencrypt/live/X/fullchain.pem --key /etc/letsencrypt/live/X/privkey.pem
#   sudo deploy/install.sh --public-url http://192.168.1.20          # plain HTTP on a LAN
#   sudo deploy/install.sh --uninstall                               # keeps data and settings
#
# Idempotent: run it again after `git pull` to update the code, or with other options to
# change them; the secret key, the message-queue channel and the database password that
# it generated the first time are kept. See deploy/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: install.sh [options]
  --public-url URL     address residents open (QR codes, printed links); default http://<this machine's address>
  --processes N        server processes (default: number of CPU cores, at least 2)
  --phones N           phones expected at once, sizes nginx (default 2000)
  --cert FILE --key FILE   serve HTTPS with this certificate (else plain HTTP)
  --http-port P        nginx port for HTTP (default 80)   --https-port P (default 443)
  --base-port P        first process port on 127.0.0.1 (default 5001)
  --database-url URL   use this PostgreSQL database (default: create role and database 'ruamkit' locally)
  --redis-url URL      message queue (default redis://127.0.0.1:6379/0)
  --admin NAME         create this facilitator (admin) account now; asks a password (or reads stdin)
  --uninstall          stop and remove the services, nginx site and code; keep settings and data
Test and packaging options:
  --root DIR           install under DIR instead of / (nothing outside DIR is touched; implies --no-apt --no-systemd)
  --user NAME          service user (default ruamkit, created if missing)
  --source DIR         the checkout to install (default: the one holding this script)
  --no-apt             do not install Debian packages
  --no-systemd         write the units but do not (re)start anything
EOF
}

PUBLIC_URL="" PROCESSES="" PHONES=2000 CERT="" KEY="" HTTP_PORT=80 HTTPS_PORT=443 BASE_PORT=5001
DATABASE_URL="" REDIS_URL="redis://127.0.0.1:6379/0" ADMIN="" UNINSTALL=0 ROOT="" SVC_USER=ruamkit
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" APT=1 SYSTEMD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --public-url) PUBLIC_URL="$2"; shift 2 ;;
    --processes) PROCESSES="$2"; shift 2 ;;
    --phones) PHONES="$2"; shift 2 ;;
    --cert) CERT="$2"; shift 2 ;;
    --key) KEY="$2"; shift 2 ;;
    --http-port) HTTP_PORT="$2"; shift 2 ;;
    --https-port) HTTPS_PORT="$2"; shift 2 ;;
    --base-port) BASE_PORT="$2"; shift 2 ;;
    --database-url) DATABASE_URL="$2"; shift 2 ;;
    --redis-url) REDIS_URL="$2"; shift 2 ;;
    --admin) ADMIN="$2"; shift 2 ;;
    --uninstall) UNINSTALL=1; shift ;;
    --root) ROOT="$(mkdir -p "$2" && cd "$2" && pwd)"; APT=0; SYSTEMD=0; shift 2 ;;
    --user) SVC_USER="$2"; shift 2 ;;
    --source) SOURCE="$(cd "$2" && pwd)"; shift 2 ;;
    --no-apt) APT=0; shift ;;
    --no-systemd) SYSTEMD=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
number() { [[ "$2" =~ ^[0-9]+$ ]] || die "$1 must be a whole number, not '$2'"; }
number --phones "$PHONES"; number --http-port "$HTTP_PORT"; number --https-port "$HTTPS_PORT"
number --base-port "$BASE_PORT"
[ -z "$PROCESSES" ] || number --processes "$PROCESSES"
[ "$(id -u)" = 0 ] || [ -n "$ROOT" ] || die "run as root (sudo), or with --root DIR for a test install"
{ [ -n "$CERT" ] && [ -n "$KEY" ]; } || { [ -z "$CERT" ] && [ -z "$KEY" ]; } \
  || die "--cert and --key go together"

ETC="$ROOT/etc/ruamkit"            # env: settings and secrets (root:ruamkit 0640)
OPT="$ROOT/opt/ruamkit"            # app/ (the code) and venv/
DATA="$ROOT/var/lib/ruamkit"       # instance folder (generated files)
UNITS="$ROOT/etc/systemd/system"
NGINX="$ROOT/etc/nginx"
ENV_FILE="$ETC/env"

if [ "$UNINSTALL" = 1 ]; then
  if [ "$SYSTEMD" = 1 ] && command -v systemctl >/dev/null; then
    systemctl disable --now ruamkit.target 'ruamkit@*.service' 2>/dev/null || true
  fi
  rm -f "$UNITS/ruamkit@.service" "$UNITS/ruamkit.target" "$NGINX/sites-enabled/ruamkit" \
        "$NGINX/sites-available/ruamkit"
  rm -rf "$OPT"
  if [ "$SYSTEMD" = 1 ] && command -v systemctl >/dev/null; then
    systemctl daemon-reload; nginx -t 2>/dev/null && systemctl reload nginx || true
  fi
  say "RuamKit removed. Kept: settings in $ENV_FILE, files in $DATA, the PostgreSQL database."
  say "To remove those too: rm -r $ETC $DATA; sudo -u postgres dropdb ruamkit; sudo -u postgres dropuser ruamkit"
  exit 0
fi

[ -n "$PROCESSES" ] || PROCESSES=$(( $(nproc) > 2 ? $(nproc) : 2 ))
[ "$PROCESSES" -ge 1 ] || die "--processes must be at least 1"

# --- 1. Debian packages -------------------------------------------------------------------
if [ "$APT" = 1 ]; then
  say "== Debian packages"
  pkgs=(python3 python3-venv nginx libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b)
  [ -n "$DATABASE_URL" ] || pkgs+=(postgresql)
  case "$REDIS_URL" in redis://127.0.0.1*|redis://localhost*) pkgs+=(redis-server) ;; esac
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
fi

# --- 2. the service user and folders --------------------------------------------------------
if [ -z "$ROOT" ] && ! id "$SVC_USER" >/dev/null 2>&1; then
  say "== service user $SVC_USER"
  useradd --system --home-dir /var/lib/ruamkit --no-create-home --shell /usr/sbin/nologin "$SVC_USER"
fi
SVC_GROUP=$(id -gn "$SVC_USER")
mkdir -p "$ETC" "$OPT" "$DATA" "$UNITS"
chown "$SVC_USER:$SVC_GROUP" "$DATA"; chmod 0750 "$DATA"

# --- 3. the code and its virtualenv (system Python, pinned packages) ------------------------
say "== code in $OPT/app, virtualenv in $OPT/venv"
rm -rf "$OPT/app.new"; mkdir -p "$OPT/app.new"
if git -C "$SOURCE" rev-parse --git-dir >/dev/null 2>&1; then
  # tracked files only: no .venv, instance/ or .env of a developer's checkout
  git -C "$SOURCE" ls-files -z | (cd "$SOURCE" && xargs -0 cp --parents -t "$OPT/app.new")
  git -C "$SOURCE" rev-parse --short HEAD > "$OPT/app.new/REVISION" 2>/dev/null || true
else
  (cd "$SOURCE" && tar --exclude=.venv --exclude=instance --exclude=.env -cf - .) | tar -C "$OPT/app.new" -xf -
fi
rm -rf "$OPT/app.old"; [ ! -d "$OPT/app" ] || mv "$OPT/app" "$OPT/app.old"; mv "$OPT/app.new" "$OPT/app"
rm -rf "$OPT/app.old"
# a venv made from the system Python (never one under /root: the service user could not run it)
PY=/usr/bin/python3
[ -x "$PY" ] || die "$PY is missing (apt-get install python3 python3-venv)"
[ -x "$OPT/venv/bin/python" ] || "$PY" -m venv "$OPT/venv"
"$OPT/venv/bin/pip" install -q --disable-pip-version-check \
  -r "$OPT/app/requirements.txt" -c "$OPT/app/constraints.txt"
chown -R root:root "$OPT"; chmod -R a+rX,go-w "$OPT"

# --- 4. settings: generated once, kept afterwards -----------------------------------------------
current() { [ -f "$ENV_FILE" ] && sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1 || true; }
random() { "$PY" -c "import secrets; print(secrets.token_urlsafe($1))"; }
SECRET=$(current WORKSHOP_SECRET_KEY); [ -n "$SECRET" ] || SECRET=$(random 48)
CHANNEL=$(current WORKSHOP_MESSAGE_QUEUE_CHANNEL); [ -n "$CHANNEL" ] || CHANNEL="ruamkit-$(random 9)"
if [ -z "$DATABASE_URL" ]; then
  DATABASE_URL=$(current WORKSHOP_DATABASE_URL)
  if [ -z "$DATABASE_URL" ]; then
    pgpass=$(random 24 | tr -dc 'A-Za-z0-9')
    DATABASE_URL="postgresql://ruamkit:$pgpass@127.0.0.1:5432/ruamkit"
  fi
  # the local role and database (password kept in the env file; re-running sets it again)
  pgpass=$(printf '%s' "$DATABASE_URL" | sed -n 's#^postgresql://[^:]*:\([^@]*\)@.*#\1#p')
  say "== PostgreSQL role and database 'ruamkit'"
  as_pg() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@"; }
  if ! as_pg -c "SELECT 1 FROM pg_roles WHERE rolname='ruamkit'" | grep -q 1; then
    as_pg -c "CREATE ROLE ruamkit LOGIN"
  fi
  as_pg -c "ALTER ROLE ruamkit PASSWORD '$pgpass'"
  as_pg -c "SELECT 1 FROM pg_database WHERE datname='ruamkit'" | grep -q 1 \
    || runuser -u postgres -- createdb -O ruamkit ruamkit
fi
if [ -z "$PUBLIC_URL" ]; then
  PUBLIC_URL=$(current WORKSHOP_PUBLIC_URL)
fi
if [ -z "$PUBLIC_URL" ]; then
  addr=$(hostname -I 2>/dev/null | awk '{print $1}'); addr=${addr:-127.0.0.1}
  if [ -n "$CERT" ]; then PUBLIC_URL="https://$addr"; else PUBLIC_URL="http://$addr"; fi
  { [ -n "$CERT" ] && [ "$HTTPS_PORT" = 443 ]; } || { [ -z "$CERT" ] && [ "$HTTP_PORT" = 80 ]; } \
    || PUBLIC_URL="$PUBLIC_URL:$([ -n "$CERT" ] && echo "$HTTPS_PORT" || echo "$HTTP_PORT")"
fi
case "$PUBLIC_URL" in http://*|https://*) ;; *) die "--public-url must start with http:// or https://" ;; esac
SECURE=0; [ -z "$CERT" ] || SECURE=1

say "== settings in $ENV_FILE"
umask 027
cat > "$ENV_FILE.new" <<EOF
# RuamKit settings, read by every process (see README, "Settings"). Written by deploy/install.sh:
# edit here, then run install.sh again or restart the processes (systemctl restart ruamkit.target).
WORKSHOP_DATABASE_URL=$DATABASE_URL
WORKSHOP_MESSAGE_QUEUE=$REDIS_URL
# unique to this deployment: two deployments on one Redis never hear each other
WORKSHOP_MESSAGE_QUEUE_CHANNEL=$CHANNEL
# the same for every process: signs session cookies and CSRF tokens
WORKSHOP_SECRET_KEY=$SECRET
WORKSHOP_PUBLIC_URL=$PUBLIC_URL
WORKSHOP_INSTANCE=$DATA
# nginx is one proxy in front: believe one hop of X-Forwarded-For/-Proto/-Host
WORKSHOP_TRUSTED_PROXIES=1
# cookies only over HTTPS (1 with --cert; 0 for plain HTTP on a LAN)
WORKSHOP_COOKIE_SECURE=$SECURE
EOF
umask 022
mv "$ENV_FILE.new" "$ENV_FILE"
chown "root:$SVC_GROUP" "$ENV_FILE"; chmod 0640 "$ENV_FILE"

# --- 5. systemd: one template unit, one target for N processes -----------------------------------
say "== systemd units: $PROCESSES processes on 127.0.0.1:$BASE_PORT..$((BASE_PORT + PROCESSES - 1))"
cat > "$UNITS/ruamkit@.service" <<EOF
[Unit]
Description=RuamKit server process on port %i
After=network-online.target postgresql.service redis-server.service
Wants=network-online.target
PartOf=ruamkit.target

[Service]
User=$SVC_USER
Group=$SVC_GROUP
WorkingDirectory=$OPT/app
EnvironmentFile=$ENV_FILE
ExecStart=$OPT/venv/bin/python run.py serve --host 127.0.0.1 --port %i
Restart=on-failure
RestartSec=2
# one socket per phone: room for thousands of file descriptors
LimitNOFILE=65536
# graceful stop: stop taking sockets, acknowledge ballots in flight, then close sockets
KillSignal=SIGTERM
TimeoutStopSec=20
NoNewPrivileges=yes
ProtectSystem=full
PrivateTmp=yes

[Install]
WantedBy=ruamkit.target
EOF
wants=""
for i in $(seq 0 $((PROCESSES - 1))); do wants="$wants ruamkit@$((BASE_PORT + i)).service"; done
cat > "$UNITS/ruamkit.target" <<EOF
[Unit]
Description=RuamKit: all server processes
Wants=$wants

[Install]
WantedBy=multi-user.target
EOF

# --- 6. nginx: limits sized for the phones expected, and the site ------------------------------
# Each phone holds one socket to nginx and nginx one to a process: two connections per phone,
# per worker in the worst case (the kernel may hand all of them to one worker).
CONNECTIONS=$(( PHONES * 2 + 1024 ))
[ "$CONNECTIONS" -ge 4096 ] || CONNECTIONS=4096
NOFILE=$(( CONNECTIONS * 2 ))
# one address may hold at most this many connections (limit_conn): every phone expected may
# come through one venue NAT address, with a socket and a keep-alive page request each
PER_ADDRESS=$(( PHONES * 2 ))
MAIN_CONF="$NGINX/nginx.conf"
if [ -f "$MAIN_CONF" ]; then
  say "== nginx: worker_connections $CONNECTIONS, worker_rlimit_nofile $NOFILE"
  sed -i -E "s/^(\s*)worker_connections\s+[0-9]+;/\1worker_connections $CONNECTIONS;/" "$MAIN_CONF"
  if grep -qE '^\s*worker_rlimit_nofile' "$MAIN_CONF"; then
    sed -i -E "s/^(\s*)worker_rlimit_nofile\s+[0-9]+;/\1worker_rlimit_nofile $NOFILE;/" "$MAIN_CONF"
  else
    sed -i -E "0,/^\s*worker_processes/s//worker_rlimit_nofile $NOFILE;\n&/" "$MAIN_CONF"
  fi
else
  say "!! $MAIN_CONF not found: set worker_connections $CONNECTIONS and worker_rlimit_nofile $NOFILE yourself"
fi

mkdir -p "$NGINX/sites-available" "$NGINX/sites-enabled"
SITE="$NGINX/sites-available/ruamkit"
servers=""
sid_routes=""
for i in $(seq 0 $((PROCESSES - 1))); do
  port=$((BASE_PORT + i))
  servers="$servers    server 127.0.0.1:$port max_fails=0;"$'\n'
  sid_routes="$sid_routes    ~^p$port-  127.0.0.1:$port;"$'\n'
done
HOST_NAME=$(printf '%s' "$PUBLIC_URL" | sed -E 's#^https?://##; s#[:/].*$##')
if [ -n "$CERT" ]; then
  LISTEN="    listen $HTTPS_PORT ssl;
    listen [::]:$HTTPS_PORT ssl;
    http2 on;
    ssl_certificate     $CERT;
    ssl_certificate_key $KEY;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:ruamkit_ssl:10m;
    add_header Strict-Transport-Security \"max-age=31536000\" always;"
  REDIRECT="server {
    listen $HTTP_PORT;
    listen [::]:$HTTP_PORT;
    server_name $HOST_NAME;
    location /.well-known/acme-challenge/ { root /var/www/letsencrypt; }
    location / { return 301 https://\$http_host\$request_uri; }
}"
else
  LISTEN="    listen $HTTP_PORT;
    listen [::]:$HTTP_PORT;"
  REDIRECT=""
fi
cat > "$SITE" <<EOF
# RuamKit behind nginx, written by deploy/install.sh ($PROCESSES processes). Run install.sh
# again rather than editing this file. Why it is what it is: deploy/README.md, "nginx".

# New connections go to the process with the fewest: after a restart, the returning process
# takes the new sockets until the load is even again. max_fails=0: a process that is down
# refuses at once and the connection goes to the next; marked "failed" instead, a process
# that comes back would be offered one new socket per fail_timeout, because a WebSocket
# to it never ends in the success that clears the mark.
upstream ruamkit {
    # shared by nginx's workers, so that "fewest" counts every worker's connections
    zone ruamkit 64k;
    least_conn;
$servers    keepalive 64;
}

# An Engine.IO session lives in one process, and its id says which ("p5001-..."): every
# long-poll and the WebSocket upgrade of a session go exactly there. A session whose process
# is gone gets an error at once and the phone starts a new one (on a live process).
map \$arg_sid \$ruamkit_backend {
    default  ruamkit;
$sid_routes}

# connections per client address (the processes behind it trust nginx and keep no ceiling)
limit_conn_zone \$binary_remote_addr zone=ruamkit_per_address:10m;

map \$http_upgrade \$ruamkit_connection {
    default upgrade;
    ""      "";
}

$REDIRECT

server {
$LISTEN
    server_name $HOST_NAME _;

    # the app refuses bodies over 1 MB (a workshop file); say so early
    client_max_body_size 2m;
    # half-sent requests and idle keep-alives do not hold connections
    client_header_timeout 10s;
    client_body_timeout 20s;
    keepalive_timeout 30s;
    # one address holds at most 2 x --phones connections; the next gets 503
    limit_conn ruamkit_per_address $PER_ADDRESS;

    proxy_http_version 1.1;
    # \$http_host keeps the port (a socket's Origin is compared with it)
    proxy_set_header Host \$http_host;
    proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto \$scheme;
    proxy_set_header X-Forwarded-Host \$http_host;
    proxy_set_header Connection \$ruamkit_connection;
    proxy_connect_timeout 3s;
    proxy_read_timeout 60s;
    proxy_next_upstream error timeout http_502 http_503;

    location /socket.io/ {
        proxy_pass http://\$ruamkit_backend;
        proxy_set_header Host \$http_host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        proxy_set_header X-Forwarded-Host \$http_host;
        proxy_set_header Upgrade \$http_upgrade;
        proxy_set_header Connection \$ruamkit_connection;
        # longer than the server's ping interval + timeout (20 + 30 s) and a 20 s long-poll
        proxy_read_timeout 90s;
        proxy_send_timeout 90s;
        proxy_buffering off;
        proxy_request_buffering off;
        # a handshake may try the next process; a poll of a session never goes elsewhere
        proxy_next_upstream error timeout;
    }

    location /static/ {
        alias $OPT/app/static/;
        gzip on;
        gzip_vary on;
        gzip_types text/css application/javascript image/svg+xml application/json font/ttf;
        expires 7d;
        add_header Cache-Control "public" always;
        access_log off;
    }

    location / {
        proxy_pass http://ruamkit;
    }
}
EOF
ln -sf "$SITE" "$NGINX/sites-enabled/ruamkit"
# Debian's own site answers port 80 as default_server: it would shadow ours
if [ -L "$NGINX/sites-enabled/default" ] && [ "$HTTP_PORT" = 80 ]; then
  rm -f "$NGINX/sites-enabled/default"; say "   (disabled Debian's default nginx site on port 80)"
fi

# --- 7. start ---------------------------------------------------------------------------------
run_app() { (cd "$OPT/app" && set -a && . "$ENV_FILE" && set +a && runuser -u "$SVC_USER" -- "$OPT/venv/bin/python" run.py "$@"); }
if [ "$SYSTEMD" = 1 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  say "== starting"
  systemctl daemon-reload
  # the schema, once, before N processes start
  run_app migrate
  systemctl enable ruamkit.target >/dev/null
  systemctl restart ruamkit.target
  nginx -t -q && systemctl reload nginx
elif [ -z "$ROOT" ]; then
  say "!! no systemd here: start the processes yourself, e.g."
  say "   cd $OPT/app && set -a && . $ENV_FILE && set +a && $OPT/venv/bin/python run.py serve --port $BASE_PORT"
fi
if [ -n "$ADMIN" ]; then
  say "== facilitator account '$ADMIN' (admin)"
  if [ -t 0 ]; then run_app user add "$ADMIN" --admin; else run_app user add "$ADMIN" --admin --password-stdin; fi
fi

say ""
say "RuamKit is installed."
say "  Residents join at:      $PUBLIC_URL/j"
say "  Facilitator console:    $PUBLIC_URL/console"
say "  Settings:               $ENV_FILE"
say "  Processes:              systemctl status 'ruamkit@*'   (logs: journalctl -u 'ruamkit@*')"
[ -n "$ADMIN" ] || say "  First account:          sudo deploy/install.sh --admin NAME   (or: cd $OPT/app && sudo -u $SVC_USER ... run.py user add NAME)"
