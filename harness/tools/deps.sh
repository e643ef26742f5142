#!/bin/sh
# Installs the Debian packages simd-mlp needs that `dpkg -s` does not find
# (through sudo when not root).  With arguments, checks those packages instead.
set -eu

pkgs=${*:-"build-essential clang libinih-dev zlib1g-dev libcriterion-dev libbenchmark-dev
libopenblas-dev libdnnl-dev gnuplot-nox jq"}

missing=
for p in $pkgs; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$missing $p"
done
# npm fetches the data set only; any Node.js install that provides it will do
# (Debian's npm package conflicts with other Node.js builds, so look for the command).
if [ $# -eq 0 ] && ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi
export DEBIAN_FRONTEND=noninteractive
# `apt-get update` once, so a fresh machine's empty package lists still work.
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
