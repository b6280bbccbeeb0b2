#!/bin/sh
# doc/screenshot.sh - what `make screenshot` runs: the HTML runbook of an
# example, opened in headless Chromium, as doc/runbook.png (shown by the
# README).  Not part of `make check`: Chromium is a large package, installed
# by `make screenshot` only (SCREENSHOT_PKGS in the Makefile).
#
# Builds the fixtures (a SoftHSM2 token and a test PKI, through
# tests/e2e/lib.sh), instantiates examples/sha1-host (a blocked change: its
# pre-checks fail, so every status colour but one shows), writes its runbook
# with --no-probe and photographs the top of the page.
#
# Environment: BUILD (default build), OUT (default doc/runbook.png), SIZE
# (window, default 1280,2560), EXAMPLE (default sha1-host).  Run from the
# repository root.  Exits non-zero when Chromium or certrotate fails.
set -u
SRCDIR=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRCDIR/$BUILD ;; esac
CERTROTATE=$BUILD/certrotate
OUT=${OUT:-$SRCDIR/doc/runbook.png}
SIZE=${SIZE:-1280,2560}
EXAMPLE=${EXAMPLE:-sha1-host}
unset WORK FIX
export CERTROTATE

command -v chromium >/dev/null 2>&1 || { echo "screenshot.sh: chromium is not installed (make screenshot installs it)" >&2; exit 3; }
. "$SRCDIR/tests/e2e/lib.sh"
need_certrotate

sh "$SRCDIR/examples/instantiate.sh" "$SRCDIR/examples/$EXAMPLE" "$WORK/ex" "$FIX" ||
	die "cannot instantiate examples/$EXAMPLE"
(cd "$WORK/ex" && "$CERTROTATE" runbook --no-probe --format html -o runbook.html)
[ $? -le 1 ] || die "certrotate runbook failed"
mkdir -p "$WORK/profile"
# a fresh profile, nothing fetched, no GPU: the page is all there is
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --hide-scrollbars \
	--user-data-dir="$WORK/profile" --window-size="$SIZE" --screenshot="$WORK/shot.png" \
	"file://$WORK/ex/runbook.html" >"$WORK/chromium.log" 2>&1
[ -s "$WORK/shot.png" ] || { cat "$WORK/chromium.log" >&2; die "chromium wrote no screenshot"; }
cp "$WORK/shot.png" "$OUT" || die "cannot write '$OUT'"
echo "screenshot of the $EXAMPLE runbook: $OUT"
