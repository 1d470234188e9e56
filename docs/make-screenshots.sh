#!/usr/bin/env bash
# The screenshots of docs/huong-dan-su-dung.md: the desk's browser test (tests/test_web_browser.py)
# walks a whole year in Debian's chromium and, with QRPROC_GUIDE_SCREENSHOTS set, saves them as
# small palette PNGs (1366 px and 390 px wide) in docs/huong-dan/. Nothing is downloaded.
#
# Usage: docs/make-screenshots.sh          (PYTHON=... to use another interpreter than .venv's)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
rm -f docs/huong-dan/*.png
QRPROC_GUIDE_SCREENSHOTS=docs/huong-dan "$python" -m pytest -q tests/test_web_browser.py
ls -l docs/huong-dan
