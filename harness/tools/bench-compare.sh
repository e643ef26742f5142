#!/bin/sh
# bench-compare.sh: `make bench-compare`.  Did a change make the kernels faster?
# Two modes, both ending in Google Benchmark's own comparison (compare.py from
# Debian's libbenchmark-tools: per row the relative change of time and CPU time,
# and its Mann-Whitney U test over the repetitions), then one verdict per row:
# faster, slower, or no significant change (U test p >= alpha).
#   BASE=<git revision>     builds that revision's ./build/bench in a temporary
#                           git worktree (removed afterwards, also on failure) and
#                           compares it (baseline) with this tree's build/bench
#                           (contender) on FILTER.
#   FILTER_A=re FILTER_B=re one build, two sets of rows: FILTER_A's rows are the
#                           baseline, FILTER_B's the contender, paired in order
#                           (compare.py filters), e.g. avx512 against openblas.
# Either way the two sides run interleaved, ROUNDS times each, BENCH_REPS
# repetitions per round, so drift of a shared machine falls on both.  The JSON
# files and the comparison stay in OUT.
# Environment: BASE, FILTER (default '^gemm/.*/784-128-64-10/.*/B:32/'), FILTER_A,
# FILTER_B, ROUNDS (3), BENCH_REPS (5), BENCH_MIN_TIME (0.05), ALPHA (0.05), OUT
# (results/bench/compare), BENCH_THREADS (every CPU: the most threads a row may use), MAKEFLAGS for the base build.
# Exit status: 0 compared, 1 a build or run failed, 2 bad input.
set -eu

base=${BASE:-}
filter=${FILTER:-^gemm/.*/784-128-64-10/.*/B:32/}
filter_a=${FILTER_A:-}
filter_b=${FILTER_B:-}
rounds=${ROUNDS:-3}
reps=${BENCH_REPS:-5}
min_time=${BENCH_MIN_TIME:-0.05}
alpha=${ALPHA:-0.05}
out=${OUT:-results/bench/compare}
threads=${BENCH_THREADS:-$(nproc)}
# Debian's interpreter, which has python3-scipy (the U test) whatever python3 is first on PATH.
python=/usr/bin/python3
compare=/usr/share/benchmark/compare.py

fail() { echo "bench-compare: $*" >&2; exit 2; }
positive() {
    case $2 in '' | *[!0-9]* | 0*) fail "$1 = '$2': want a positive integer" ;; esac
}
positive ROUNDS "$rounds"
positive BENCH_REPS "$reps"
positive BENCH_THREADS "$threads"
[ "$reps" -ge 2 ] || fail "BENCH_REPS = $reps: the U test needs at least 2 repetitions (9 or more to mean much)"
if [ -n "$base" ]; then
    [ -z "$filter_a$filter_b" ] || fail "give BASE=<revision> or FILTER_A and FILTER_B, not both"
    rev=$(git rev-parse --verify --quiet "$base^{commit}") ||
        fail "BASE = '$base' is not a commit of this repository (git rev-parse)"
elif [ -z "$filter_a" ] || [ -z "$filter_b" ]; then
    fail "want BASE=<git revision> [FILTER=regex], or FILTER_A=regex FILTER_B=regex"
fi
[ -x build/bench ] || { echo "bench-compare: build/bench is missing (make bench-compare builds it)" >&2; exit 1; }

mkdir -p "$out" && rm -f "$out/bench.log"
tmp=$(mktemp -d)
tree=
cleanup() {
    [ -z "$tree" ] || git worktree remove --force "$tree" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# One pass of a bench binary on a filter, appended to the side's list: the
# repetitions' own rows (compare.py's U test takes them all) and the pass's median
# (compare.py -a shows one median per round, so a drifting machine shows as rounds
# that disagree).
run_once() { # bench filter side label
    OMP_NUM_THREADS=$threads OMP_PROC_BIND=false "$1" --benchmark_filter="$2" 2>>"$out/bench.log" \
        --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
        --benchmark_out_format=json --benchmark_out="$tmp/run.json" >/dev/null
    jq -c '.benchmarks[] | select(.run_type != "aggregate" or .aggregate_name == "median")' "$tmp/run.json" >>"$tmp/$3.rows"
    [ -s "$tmp/$3.rows" ] || fail "the filter '$2' matches no benchmark of $4"
    [ -f "$tmp/$3.head" ] || jq -c 'del(.benchmarks)' "$tmp/run.json" >"$tmp/$3.head"
}
# The side's rows as one Google Benchmark JSON file.
assemble() { # side file
    jq -s --slurpfile head "$tmp/$1.head" '$head[0] + {benchmarks: .}' "$tmp/$1.rows" >"$2"
}

if [ -n "$base" ]; then
    tree=$tmp/base
    echo "bench-compare: building $base ($rev) in a temporary worktree"
    git worktree add --detach --quiet "$tree" "$rev"
    make -C "$tree" --no-print-directory build/bench >"$out/base-build.log" 2>&1 ||
        { echo "bench-compare: building $base failed ($out/base-build.log)" >&2; exit 1; }
    i=1
    while [ "$i" -le "$rounds" ]; do
        echo "bench-compare: round $i of $rounds: $base, then this tree, on '$filter'"
        run_once "$tree/build/bench" "$filter" base "$base"
        run_once build/bench "$filter" new "this tree"
        i=$((i + 1))
    done
    assemble base "$out/base.json"
    assemble new "$out/new.json"
    set -- benchmarks "$out/base.json" "$out/new.json"
    verdict="this tree against $base"
else
    i=1
    while [ "$i" -le "$rounds" ]; do
        echo "bench-compare: round $i of $rounds: '$filter_a' and '$filter_b'"
        run_once build/bench "($filter_a)|($filter_b)" both "this tree"
        i=$((i + 1))
    done
    assemble both "$out/filters.json"
    set -- filters "$out/filters.json" "$filter_a" "$filter_b"
    verdict="'$filter_b' against '$filter_a'"
fi

"$python" "$compare" --no-color -a --alpha "$alpha" -d "$tmp/diff.json" "$@" | tee "$out/compare.txt"
# compare.py's verdict per row, from its own U test: the sign of the median's
# change where p < alpha (a row's name without the filters compare.py prefixes).
echo "verdict, $verdict (U test alpha $alpha):" | tee "$out/verdict.txt"
jq -r --argjson alpha "$alpha" '
    .[] | select(.run_type != "aggregate" and .utest.time_pvalue != null)
    | (.measurements | map(.time) | sort | .[length / 2 | floor]) as $change
    | (.name | sub("^\\[.* vs\\. .*\\]"; "")) + ": " + (if .utest.time_pvalue >= $alpha then "no significant change"
                      elif $change < 0 then "faster (" + (-$change * 100 | floor | tostring) + "% less time)"
                      else "slower (" + ($change * 100 | floor | tostring) + "% more time)" end)
      + " (U test p = " + (.utest.time_pvalue * 10000 | round / 10000 | tostring) + ")"' \
    "$tmp/diff.json" | tee -a "$out/verdict.txt"
