#!/usr/bin/env bash
# Put an unpacked Shoplytics bundle in the desktop menu (per user).
#   packaging/install-linux.sh [BUNDLE_DIR]   (default: the folder this script is in, or dist/Shoplytics)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bundle=${1:-}
if [ -z "$bundle" ]; then
  if [ -x "$here/shoplytics-desktop" ]; then bundle=$here; else bundle=$here/../dist/Shoplytics; fi
fi
bundle=$(cd "$bundle" && pwd)
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
icons=${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor
mkdir -p "$apps"
for size in 16 32 48 64 128 256 512; do
  src="$bundle/_internal/resources/icons/shoplytics-$size.png"
  [ -f "$src" ] || continue
  mkdir -p "$icons/${size}x${size}/apps"
  cp "$src" "$icons/${size}x${size}/apps/shoplytics.png"
done
sed "s|^Exec=.*|Exec=\"$bundle/shoplytics-desktop\" %F|" "$bundle/_internal/resources/shoplytics.desktop" \
  > "$apps/shoplytics.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
echo "installed $apps/shoplytics.desktop"
