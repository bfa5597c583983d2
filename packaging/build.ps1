# Build the desktop bundle on Windows: dist\Shoplytics\ and a versioned zip.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
python -m pip install --quiet "pyinstaller>=6.10"
$version = python -c "import shoplytics_desktop as s; print(s.__version__)"
python packaging/make_icons.py
pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller packaging/shoplytics.spec
Compress-Archive -Force -Path dist\Shoplytics -DestinationPath "dist\Shoplytics-$version-windows.zip"
