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
  # polars' runtime and libpython ship with symbols (~60 MB); nothing needs them at run time.
  # NumPy's OpenBLAS must stay as it is: stripping it breaks its ELF layout.
  if command -v strip >/dev/null 2>&1; then
    find dist/Shoplytics/_internal \( -name '*.so' -o -name '*.so.*' -o -name 'python3*' \) -type f \
      -not -path '*numpy.libs*' -exec strip --strip-unneeded {} + 2>/dev/null || true
  fi
  archive="dist/Shoplytics-${version}-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m).tar.gz"
  tar -C dist -czf "$archive" Shoplytics
  echo "bundle  $(du -sm dist/Shoplytics | cut -f1) MB  dist/Shoplytics/"
  echo "archive $(du -sm "$archive" | cut -f1) MB  $archive"
fi
