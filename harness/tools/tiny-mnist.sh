#!/bin/sh
# Writes a tiny data set of MNIST's shape into DIR: N training images (default 60)
# and N/4 test images of 28x28, raw IDX, labels 0..9 in turn, each label a bright
# band of rows over a fixed pattern (deterministic, and learnable).  The model keeps
# MNIST's sizes (784 inputs, 10 classes) and a run takes seconds, even under
# valgrind (`make memcheck`).  Usage: tiny-mnist.sh DIR [N]
set -eu
dir=$1
n=${2:-60}
mkdir -p "$dir"
LC_ALL=C awk -v dir="$dir" -v n="$n" '
function be32(x, f) {
    printf "%c%c%c%c", int(x / 16777216) % 256, int(x / 65536) % 256, int(x / 256) % 256, x % 256 > f
}
function split_set(name, count,   img, lab, i, p) {
    img = dir "/" name "-images-idx3-ubyte"
    lab = dir "/" name "-labels-idx1-ubyte"
    be32(2051, img); be32(count, img); be32(28, img); be32(28, img)
    be32(2049, lab); be32(count, lab)
    for (i = 0; i < count; i++) {
        printf "%c", i % 10 > lab
        for (p = 0; p < 784; p++)
            printf "%c", int(p / 78) == i % 10 ? 255 : (p * 7 + i * 3) % 64 > img
    }
    close(img); close(lab)
}
BEGIN { split_set("train", n); split_set("t10k", int(n / 4)) }'
