#!/usr/bin/env bash
# Build the one-folder bundle dist/colorizer/ from colorizer.spec and smoke-check it.
#
#   packaging/build.sh              clean venv (made or reused), build, smoke check, sizes and times
#
# Environment:
#   BUNDLE_VENV=DIR   the build environment (default: build/bundle-venv); made with
#                     `python3 -m venv` (no system packages) and only the project's
#                     runtime dependencies + PyInstaller: a venv that sees other
#                     packages bundles hundreds of MB of them.
#   PYTHON=python3.X  the interpreter for that venv (default: python3)
#   BUNDLE_GZIP=0     skip measuring the gzipped size (it takes a minute)
#
# The CUDA build of torch: install it into BUNDLE_VENV first (see the README,
# "Bundle"); this script keeps whatever torch==2.13.0 build is there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${BUNDLE_VENV:-$ROOT/build/bundle-venv}
PYTHON=${PYTHON:-python3}
DIST=$ROOT/dist/colorizer
APP=$DIST/colorizer

say() { printf '\n== %s\n' "$*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

if ! ls resources/models/*.json >/dev/null 2>&1; then
  echo "build.sh: no model in resources/models/; the bundle needs its default model (colorizer-vivid)." >&2
  exit 1
fi

# ------------------------------------------------------------------ environment
t0=$(now)
if [ ! -x "$VENV/bin/python" ]; then
  say "making the build environment $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
say "installing the app's runtime dependencies and PyInstaller into $VENV"
# -e: the dependencies come from pyproject.toml; the spec reads the app from this tree.
"$VENV/bin/python" -m pip install --quiet -e "$ROOT" -r packaging/requirements-bundle.txt
t_venv=$(secs "$t0" "$(now)")
"$VENV/bin/python" - <<'PY'
import importlib.metadata as md
torch = md.version("torch")
print(f"torch {torch}, PySide6 {md.version('PySide6-Essentials')}, PyInstaller {md.version('pyinstaller')}")
PY

# Qt needs a few system libraries even offscreen (as .ci/run installs for the tests).
if ! "$VENV/bin/python" -c "from PySide6.QtGui import QGuiApplication" 2>/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 >/dev/null
  fi
fi

# ------------------------------------------------------------------------ build
say "building $DIST"
t0=$(now)
"$VENV/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" colorizer.spec
t_build=$(secs "$t0" "$(now)")

# ------------------------------------------------------------------ smoke check
# Run from a neutral place, with a clean environment: the bundle must not lean on
# this checkout, the venv or the user's folders.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/colorizer-bundle-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home"
run() {  # the bundle with a bare environment and its own HOME
  (cd "$WORK" && env -i HOME="$WORK/home" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen "$@")
}

say "smoke check: colorizer --self-test (offscreen)"
run "$APP" --self-test

# No network at all, where a network namespace can be made (root, or user namespaces).
if unshare -n true 2>/dev/null; then
  say "smoke check: colorizer --self-test with no network (unshare -n)"
  run unshare -n "$APP" --self-test
elif unshare -rn true 2>/dev/null; then
  say "smoke check: colorizer --self-test with no network (unshare -rn)"
  run unshare -rn "$APP" --self-test
else
  echo "(no network namespace here: the offline check is the self-test's own guard only)"
fi

# A real X display, where Xvfb is installed: the xcb platform plugin and its libraries.
if command -v xvfb-run >/dev/null; then
  say "smoke check: colorizer --self-test on X (xvfb-run, xcb)"
  (cd "$WORK" && env -i HOME="$WORK/home" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=xcb \
    xvfb-run -a "$APP" --self-test)
else
  echo "(no xvfb-run here: the X11 platform plugin is not exercised)"
fi

say "smoke check: colorizer colorize, colorizer models"
SAMPLES=$DIST/_internal/resources/samples
run "$APP" colorize "$SAMPLES" -o "$WORK/colored"
for sample in "$SAMPLES"/*; do
  out="$WORK/colored/$(basename "$sample")"
  [ -s "$out" ] || { echo "build.sh: colorize wrote no $out" >&2; exit 1; }
done
run "$APP" models
run "$APP" --version

say "smoke check: the licence texts travel with the bundle"
LICENSES=$DIST/_internal/licenses
for must in Colorizer/LICENSE Python/LICENSE.txt; do
  [ -s "$LICENSES/$must" ] || { echo "build.sh: no $LICENSES/$must" >&2; exit 1; }
done
ls -d "$LICENSES"/torch "$LICENSES"/[Pp]y[Ss]ide6*/LGPL-3.0.txt >/dev/null || { echo "build.sh: torch or Qt licence missing" >&2; exit 1; }
echo "licence texts of $(ls "$LICENSES" | wc -l) packages in _internal/licenses"

# Training as the Settings dialog starts it (the bundle is its own python for `-m
# colorizer_app.gui.training_launch`): a few steps on generated photos from the
# pretrained encoder, exported where the app lists it, then used to colorize.
say "smoke check: a short training run from the bundle, its model listed and used"
"$VENV/bin/python" - "$WORK/photos" <<'PY'
import sys
from pathlib import Path

import cv2
import numpy as np

folder = Path(sys.argv[1])
folder.mkdir(parents=True)
rng = np.random.default_rng(0)
for i in range(12):
    sky = np.array([200, 140, 60]) + rng.integers(-20, 20, 3)  # BGR: blue above, green below
    grass = np.array([40, 150, 60]) + rng.integers(-20, 20, 3)
    img = np.empty((96, 128, 3), np.uint8)
    img[:48], img[48:] = sky, grass
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    cv2.imwrite(str(folder / f"photo{i:02d}.jpg"), img)
PY
run "$APP" -m colorizer_app.gui.training_launch "$WORK/train.err" train --preset tiny \
  --data "$WORK/photos" --name bundle-trained --threads 1 \
  || { cat "$WORK/train.err" >&2; echo "build.sh: training from the bundle failed" >&2; exit 1; }
run "$APP" models | grep -q "bundle-trained" \
  || { run "$APP" models >&2; echo "build.sh: the trained model is not listed" >&2; exit 1; }
run "$APP" colorize "$SAMPLES/landscape.jpg" -o "$WORK/trained" --model bundle-trained
[ -s "$WORK/trained/landscape.jpg" ] || { echo "build.sh: the trained model colorized nothing" >&2; exit 1; }
echo "trained, exported, listed and used: ok"

# The GUI with no arguments: it must start and keep running (stopped after 15 s).
say "smoke check: the desktop app starts (offscreen, stopped after 15 s)"
set +e
run timeout 15 "$APP" >"$WORK/gui.log" 2>&1
code=$?
set -e
if [ "$code" != 124 ]; then
  cat "$WORK/gui.log" >&2
  echo "build.sh: the app exited with $code within 15 s (expected it to keep running)" >&2
  exit 1
fi
echo "still running after 15 s: ok"
if grep -q "Traceback\|\[PYI-" "$WORK/gui.log"; then
  cat "$WORK/gui.log" >&2
  echo "build.sh: the app printed errors while starting" >&2
  exit 1
fi

# ---------------------------------------------------------------------- numbers
say "timing: colorizer --self-test and colorizer --version, median of 3"
median3() {
  local times=()
  for _ in 1 2 3; do
    local s; s=$(now)
    run "$@" >/dev/null 2>&1
    times+=("$(secs "$s" "$(now)")")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 2p
}
t_selftest=$(median3 "$APP" --self-test)
t_version=$(median3 "$APP" --version)

size=$(du -sh "$DIST" | cut -f1)
bytes=$(du -sb "$DIST" | cut -f1)
if [ "${BUNDLE_GZIP:-1}" != 0 ]; then
  gz=$(tar -C "$ROOT/dist" -czf - colorizer | wc -c)
  gz_text="$(awk -v b="$gz" 'BEGIN { printf "%.0f MB", b / 1e6 }') ($gz bytes)"
else
  gz_text="not measured (BUNDLE_GZIP=0)"
fi
torch_build=$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('torch'))")

say "bundle summary"
cat <<SUMMARY
bundle:            $DIST (one folder; run $APP)
torch:             $torch_build
size:              $size ($(awk -v b="$bytes" 'BEGIN { printf "%.0f MB", b / 1e6 }'))
gzipped (tar czf): $gz_text
environment:       ${t_venv} s (make or update $VENV)
build:             ${t_build} s (pyinstaller colorizer.spec)
self-test:         ${t_selftest} s (median of 3: start, Qt window, model, colorize a sample)
start-up:          ${t_version} s (median of 3: colorizer --version, no torch)
smoke check:       passed
SUMMARY
