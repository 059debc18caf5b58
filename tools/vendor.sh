#!/usr/bin/env bash
# `make vendor`: fetch the vendored front-end files again from the npm registry
# (npm pack, no install, no scripts run) at the versions in static/vendor/README.md,
# and check that what is committed is exactly what the registry publishes.
#   tools/vendor.sh          copy the files into static/vendor/
#   tools/vendor.sh --check  only compare; exit 1 if a vendored file differs
set -euo pipefail
cd "$(dirname "$0")/.."

SOCKET_IO=4.8.4
SARABUN=5.3.0
AXE=4.14.1

check=0
[ "${1:-}" = "--check" ] && check=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # package@version -> extracted folder
  local spec=$1 dir
  dir="$work/$(echo "$spec" | tr '/@' '__')"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent --ignore-scripts "$spec" >/dev/null && tar -xzf ./*.tgz)
  echo "$dir/package"
}

differs=0
place() {  # source target
  if [ "$check" = 1 ]; then
    if ! cmp -s "$1" "$2"; then
      echo "differs from the registry: $2"
      differs=1
    fi
  else
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2"
  fi
}

sio=$(fetch "socket.io-client@$SOCKET_IO")
place "$sio/dist/socket.io.min.js" static/vendor/socket.io/socket.io.min.js
place "$sio/LICENSE" static/vendor/socket.io/LICENSE

sarabun=$(fetch "@fontsource/sarabun@$SARABUN")
for subset in thai latin; do
  for weight in 400 700; do
    for ext in woff2 woff; do
      name="sarabun-$subset-$weight-normal.$ext"
      place "$sarabun/files/$name" "static/vendor/sarabun/$name"
    done
  done
done
place "$sarabun/LICENSE" static/vendor/sarabun/OFL.txt

axe=$(fetch "axe-core@$AXE")
place "$axe/axe.min.js" static/vendor/axe-core/axe.min.js
place "$axe/LICENSE" static/vendor/axe-core/LICENSE

if [ "$check" = 1 ]; then
  [ "$differs" = 0 ] && echo "static/vendor matches the npm registry"
  exit "$differs"
fi
echo "static/vendor fetched; rebuild the PDF fonts with: .venv/bin/python -m workshop.export.fonts"
