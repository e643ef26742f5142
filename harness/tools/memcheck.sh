#!/bin/sh
# `make memcheck`: runs EXPERIMENT (the normal build) under valgrind's memcheck in
# DIR, on a tiny data set of MNIST's shape (tiny-mnist.sh): one training
# (784,16,10, one epoch, weight averaging, OpenMP on 2 threads), the evaluation of
# its checkpoint, and a sweep of two runs at once (forked children appending to the
# CSVs), twice (the second resumes and has nothing to do).  Every process, each
# run of the sweep included, must exit 0 and end with no error and no definitely
# or indirectly lost block.  "Possibly lost" and "still reachable" blocks are not
# counted: the OpenMP and OpenBLAS thread pools keep their threads' stacks and
# thread-local storage until exit.  Valgrind emulates no AVX-512: under it the CPU
# check sees none and `auto` picks the AVX2 kernels (train.log's first line says
# which ran).  Usage: memcheck.sh EXPERIMENT DIR
set -eu
exe=$(realpath "$1")
dir=$2
rm -rf "$dir"
sh "$(dirname "$0")/tiny-mnist.sh" "$dir/data"
cd "$dir"

# A configuration named $1, with the lines $2 after it.
ini() {
    printf '[experiment]\nname = %s\n[data]\ndir = data\n[model]\nlayers = 784,16,10\n' "$1"
    printf '[train]\nepochs = 1\nbatch = 8\nema = 0.999\n[kernels]\nthreads = 2\n%s' "$2"
}
ini train '' >train.ini
ini sweep '[sweep]
kernels.gemm = omp, openblas
' >sweep.ini

failed=
# Appends the output to $1.log; the rest is the command line.
run() {
    log=$1
    shift
    echo "  VALGRIND experiment $*"
    OMP_NUM_THREADS=2 valgrind --error-exitcode=1 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
        --log-file=valgrind.%p.log "$exe" "$@" >>"$log.log" 2>&1 || failed="$failed $log.log"
}
run train train ./train.ini
run eval eval results/train/model.ckpt
run sweep sweep ./sweep.ini --jobs 2
run sweep sweep ./sweep.ini

# A forked run's own errors do not reach the sweep's exit status: read every log.
set -- valgrind.*.log
n=$#
bad=$(grep -L 'ERROR SUMMARY: 0 errors' valgrind.*.log || true)
if [ -n "$failed$bad" ]; then
    for f in $bad; do cat "$f"; done
    echo "memcheck: FAILED:${failed:+ exit status, see$failed;}${bad:+ errors or leaks in $bad} ($dir)" >&2
    exit 1
fi
echo "memcheck: $n processes (train, eval, two sweeps and their runs): 0 errors, no definite or indirect leak; logs in $dir"
