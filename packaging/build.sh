#!/usr/bin/env bash
# Build the desktop bundle: dist/Shoplytics/ (one folder, two executables) and a versioned archive.
#   packaging/build.sh            one-folder build (fast start)
#   ONEFILE=1 packaging/build.sh  single-file executables in dist/
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet "pyinstaller>=6.10"
version=$(python -c "import shoplytics_desktop as s; print(s.__version__)")
python packaging/make_icons.py
pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/shoplytics.spec
if [ "${ONEFILE:-0}" != "1" ]; then
  # polars ships its runtime with symbols (~40 MB of them); nothing needs them at run time.
  if command -v strip >/dev/null 2>&1; then
    find dist/Shoplytics/_internal -path '*polars_runtime*' -name '*.so' -exec strip --strip-unneeded {} +
  fi
  archive="dist/Shoplytics-${version}-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m).tar.gz"
  tar -C dist -czf "$archive" Shoplytics
  echo "bundle  $(du -sm dist/Shoplytics | cut -f1) MB  dist/Shoplytics/"
  echo "archive $(du -sm "$archive" | cut -f1) MB  $archive"
fi
