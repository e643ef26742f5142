#!/bin/sh
# bench-report.sh: turns ./bench's Google Benchmark JSON into CSV and prints it as
# tables.  It reads MAIN.json, plus EXTRA.json=KERNEL files (runs of the same
# benchmark whose GEMM rows are renamed KERNEL, e.g. OpenBLAS forced to another
# core type), and writes gemm.csv, act.csv, mem.csv and step.csv next to
# MAIN.json.  It measures nothing and draws nothing (plots/gflops.gp and
# plots/speedup.gp do); it needs
# jq and a POSIX awk, not Python.
#
# Usage: sh harness/tools/bench-report.sh results/bench/gemm.json \
#            [results/bench/gemm-openblas-skylakex.json=openblas-skylakex ...]
#
# gemm.csv, one row per kernel, thread count and shape, columns:
#   kernel,threads   the table name (or onednn) and the threads it ran on
#   series           kernel, plus /t<threads> for threaded rows: one line per plot series
#   shape            square/n:<n>, <net>/<pass>/B:<batch>/L:<layer>, or small/n:<n>
#                    (omp on 1 thread and omp-split, omp without its threshold, on
#                    all: the "omp threshold" table measures where the split pays)
#   M,N,K            the GEMM's dimensions
#   gflops_median    median over the repetitions (GFLOP/s)
#   gflops_best      GFLOP / the `min` time of the repetitions (best of N, as BLIS quotes)
#   peak_isa         the measured FMA peak the row is held to: bf16 (vdpbf16ps's) for
#                    avx512bf16 and omp-bf16, avx512 for avx512, omp, onednn and
#                    OpenBLAS on an AVX-512 core (SkylakeX, Cooperlake,
#                    SapphireRapids), avx2 for everything else; avx2 when the CPU has
#                    no AVX-512 peak
#   peak_gflops      that peak's best at the row's thread count
#   pct_peak         100 * gflops_best / peak_gflops
#   speedup_naive, speedup_openblas1   gflops_median over naive's or 1-thread OpenBLAS's
#                    on the same shape (empty where that row was not run)
#   cv_pct           Google Benchmark's coefficient of variation of the time over the
#                    repetitions, in percent (empty without repetitions): how steady the
#                    machine was; the report counts the rows above 5%
# act.csv, one row per activation set, function and size:
#   kernel,func,shape,elements,ns_median,ns_best,gbytes_per_s,gelems_per_s,speedup_scalar,cv_pct
# mem.csv, STREAM (mem/ rows), one row per operation, thread count and size:
#   op,threads,floats,gbytes_per_s_median,gbytes_per_s_best,cv_pct   (STREAM's byte count)
# step.csv, whole training steps (step/ rows: Adam with the weight average, as
#   make train runs), one row per GEMM kernel, thread count, net and batch:
#   kernel,threads,net,batch,us_median,us_best,gflops_median,peak_isa,pct_peak,
#   images_per_s,s_per_epoch (60,000 images at the median),speedup_1thread
#   (over the same kernel's 1-thread row),cv_pct
set -eu

usage() {
    echo "usage: sh harness/tools/bench-report.sh MAIN.json [EXTRA.json=KERNEL ...]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
if ! command -v jq >/dev/null 2>&1; then
    echo "bench-report: needs jq (Debian package jq; \`make deps\` installs it)" >&2
    exit 2
fi

# A context line first (cpu, commit, OpenBLAS core, all-threads count, date), then
# one TSV line per benchmark: kind, kernel, threads, shape, M, N, K, median and
# min seconds per iteration, GFLOPS, bytes/s and items/s at the median,
# OpenBLAS core, name prefix, coefficient of variation of the time (a fraction,
# empty without repetitions).  A benchmark that was skipped gives one line:
# error, name prefix, message.  The time is the one the rates use: real time
# for /real_time benchmarks, CPU time otherwise.
# shellcheck disable=SC2016  # a jq program: its $names are jq's
JQ_PROG='
def secs: {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[.time_unit];
def timed: if (.run_name | endswith("/real_time")) then .real_time else .cpu_time end;
def time: timed * secs;
def parts: .run_name | sub("/real_time$"; "") | split("/");
def shape: parts | .[2:] | if ((.[0] // "") | startswith("threads:")) then .[1:] else . end | join("/");
def prefix: parts | (.[0:2] + (.[2:3] | map(select(startswith("threads:"))))) | join("/")
    | if $rename != "" then sub("^gemm/[^/]+"; "gemm/" + $rename) else . end;
(.context.openblas_corename // "") as $core
| (["context", .context.cpu_model, .context.git_commit, $core, .context.threads_all,
    .context.date, .context.omp_min_work // ""] | @tsv),
  (.benchmarks
| group_by(.run_name)
| sort_by(.[0].family_index, .[0].per_family_instance_index)
| .[]
| (map(select(.error_occurred == true)) | first) as $err
| if $err then
    ["error", ($err | prefix), $err.error_message]
  else
    ((map(select(.aggregate_name == "median")) | first)
     // (map(select(.run_type == "iteration")) | sort_by(time) | .[(length - 1) / 2 | floor])) as $m
    | ((map(select(.aggregate_name == "min")) | first)
       // (map(select(.run_type == "iteration")) | min_by(time))) as $b
    | (map(select(.aggregate_name == "cv")) | first | if . then timed else "" end) as $cv
    | ($m.run_name | split("/")[0]) as $kind
    | [$kind,
       (if $kind == "gemm" and $rename != "" then $rename else $m.label end),
       $m.threads, ($m | shape), $m.M, $m.N, $m.K, ($m | time), ($b | time),
       $m.GFLOPS, $m.bytes_per_second, $m.items_per_second, $core, ($m | prefix), $cv]
  end
| @tsv)'

# shellcheck disable=SC2016  # an awk program: its $n are fields
AWK_PROG='
function isa_of(kernel, core) {
    if (kernel ~ /^openblas/)
        return tolower(core) ~ /skylakex|cooperlake|sapphirerapids/ ? "avx512" : "avx2"
    if (kernel ~ /bf16/)
        return "bf16"
    if (kernel == "avx512" || kernel ~ /^omp/ || kernel == "onednn")
        return "avx512"
    return "avx2"
}
function num(x, fmt) { return x == "" ? "" : sprintf(fmt, x) }
# How much the timed rows (peak and GEMM) varied between repetitions: a shared or
# busy machine shows here first, before its figures are compared.
function steadiness(    i, k, m, v, t, high, peak_high) {
    m = 0
    for (i = 1; i <= n; i++) {
        if (cv[i] == "" || (kind[i] != "gemm" && kind[i] != "peak"))
            continue
        v[++m] = cv[i]
        if (cv[i] > CV_STEADY)
            high++
        if (kind[i] == "peak" && cv[i] > CV_STEADY)
            peak_high = peak_high (peak_high == "" ? "" : ", ") \
                        sprintf("%s on %s threads by %.1f%%", kern[i], thr[i], cv[i])
    }
    if (m == 0)
        return
    for (i = 2; i <= m; i++) { # insertion sort: a few hundred rows
        t = v[i]
        for (k = i - 1; k >= 1 && v[k] > t; k--)
            v[k + 1] = v[k]
        v[k + 1] = t
    }
    printf "\nrepetitions: coefficient of variation of the time, median %.1f%%; above %d%% on %d of %d rows\n",
           v[int((m + 1) / 2)], CV_STEADY, high, m
    if (peak_high != "")
        printf "  the FMA peak varied (%s): so does %%peak of the rows held to it\n", peak_high
    if (high * 10 > m)
        printf "  unsteady run: more than a tenth of the rows varied by over %d%%; compare runs with care, or rerun on a quieter machine\n", CV_STEADY
}
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "" : a / b }
$1 == "context" {
    if (!context++) {
        printf "cpu %s, commit %s, OpenBLAS core %s, all threads = %s, %s\n\n", $2, $3, $4, $5, $6
        omp_min_work = $7
    }
    next
}
$1 == "error" {
    key = $2 SUBSEP $3
    if (!(key in nerr))
        errs[++nerrs] = key
    nerr[key]++
    next
}
{
    n++
    kind[n] = $1; kern[n] = $2; thr[n] = $3; shape[n] = $4; M[n] = $5; N[n] = $6; K[n] = $7
    tmed[n] = $8; tmin[n] = $9; gf[n] = $10; bps[n] = $11; ips[n] = $12; core[n] = $13
    pre[n] = $14; cv[n] = $15 == "" ? "" : 100 * $15
    best[n] = (gf[n] != "" && tmin[n] > 0) ? gf[n] * tmed[n] / tmin[n] : ""
    if (kind[n] == "peak") {
        peak[kern[n], thr[n]] = best[n]
        peak_med[kern[n], thr[n]] = gf[n]
    }
    if (kind[n] == "gemm" && kern[n] == "naive")
        naive[shape[n]] = gf[n]
    if (kind[n] == "gemm" && kern[n] == "openblas" && thr[n] == 1)
        ob1[shape[n]] = gf[n]
    if (kind[n] == "act" && kern[n] == "scalar")
        scalar[shape[n]] = tmed[n]
    if (kind[n] == "gemm" && shape[n] ~ /^small\//) { # the omp threshold family
        if (!(M[n] in small_seen))
            small_n[++nsmall] = M[n]
        small_seen[M[n]] = 1
        if (kern[n] == "omp" && thr[n] == 1)
            small_one[M[n]] = gf[n]
        if (kern[n] == "omp-split") {
            small_split[M[n]] = gf[n]
            split_thr = thr[n]
        }
    }
    if ((kind[n], shape[n]) in seen)
        next
    seen[kind[n], shape[n]] = 1
    order[kind[n], ++nshapes[kind[n]]] = shape[n]
}
END {
    print "peak FP32 FMA, and bf16 dot product (GFLOP/s, median / best):"
    for (i = 1; i <= n; i++)
        if (kind[i] == "peak")
            printf "  %-7s threads %-3s %9.1f / %9.1f\n", kern[i], thr[i], gf[i], best[i]

    print "kernel,threads,series,shape,M,N,K,gflops_median,gflops_best,peak_isa,peak_gflops,pct_peak,speedup_naive,speedup_openblas1,cv_pct" > gemm_csv
    for (i = 1; i <= n; i++) {
        if (kind[i] != "gemm")
            continue
        series[i] = kern[i] (pre[i] ~ /\/threads:/ ? "/t" thr[i] : "")
        isa[i] = isa_of(kern[i], core[i])
        if (isa[i] == "avx512" && !((isa[i], thr[i]) in peak))
            isa[i] = "avx2"
        pk[i] = ((isa[i], thr[i]) in peak) ? peak[isa[i], thr[i]] : ""
        pct[i] = ratio(best[i], pk[i]) == "" ? "" : 100 * ratio(best[i], pk[i])
        xn[i] = ratio(gf[i], naive[shape[i]])
        xo[i] = ratio(gf[i], ob1[shape[i]])
        print kern[i], thr[i], series[i], shape[i], M[i], N[i], K[i], num(gf[i], "%.4g"),
              num(best[i], "%.4g"), isa[i], num(pk[i], "%.4g"), num(pct[i], "%.1f"),
              num(xn[i], "%.4g"), num(xo[i], "%.4g"), num(cv[i], "%.2g") > gemm_csv
    }
    printf "\nGEMM (GFLOP/s; %%peak = best / %s; x = median over naive, over 1-thread openblas)\n",
           "the FMA peak of peak_isa at the same threads"
    printf "%-38s %-18s %3s %5s %5s %5s %9s %9s %13s %8s %7s %5s\n", "shape", "kernel", "thr",
           "M", "N", "K", "median", "best", "%peak", "x naive", "x ob1", "cv%"
    for (s = 1; s <= nshapes["gemm"]; s++) {
        for (i = 1; i <= n; i++) {
            if (kind[i] != "gemm" || shape[i] != order["gemm", s])
                continue
            printf "%-38s %-18s %3s %5s %5s %5s %9s %9s %13s %8s %7s %5s\n", shape[i], kern[i],
                   thr[i], M[i], N[i], K[i], num(gf[i], "%.2f"), num(best[i], "%.2f"),
                   pct[i] == "" ? "" : sprintf("%.1f %s", pct[i], isa[i]),
                   num(xn[i], "%.1f"), num(xo[i], "%.2f"), num(cv[i], "%.1f")
        }
    }
    steadiness()

    if (nsmall > 0 && split_thr != "") {
        printf "\nomp threshold (small/: gemm_omp split on %s threads against 1 thread, GFLOP/s median)\n", split_thr
        printf "%6s %9s %9s %9s %6s\n", "n", "n^3", "1", split_thr, "x"
        from = ""
        for (s = 1; s <= nsmall; s++) {
            m = small_n[s]
            x = ratio(small_split[m], small_one[m])
            printf "%6s %9s %9s %9s %6s\n", m, m * m * m, num(small_one[m], "%.1f"),
                   num(small_split[m], "%.1f"), num(x, "%.2f")
            if (x != "" && x > 1 && from == "")
                from = m
            else if (x == "" || x <= 1)
                from = ""
        }
        if (from == "")
            printf "measured: %s threads never win for n <= %s", split_thr, small_n[nsmall]
        else
            printf "measured: %s threads win from %s^3 = %d multiply-adds up", split_thr, from,
                   from * from * from
        printf "; gemm_omp splits from %s (GEMM_OMP_MIN_WORK, kernels/gemm_omp.c)\n",
               omp_min_work == "" ? "?" : omp_min_work + 0
    }

    print "kernel,func,shape,elements,ns_median,ns_best,gbytes_per_s,gelems_per_s,speedup_scalar,cv_pct" > act_csv
    for (i = 1; i <= n; i++) {
        if (kind[i] != "act")
            continue
        func = shape[i]; sub(/\/.*/, "", func)
        size = shape[i]; sub(/^[^\/]*\//, "", size)
        print kern[i], func, size, num(ips[i] * tmed[i], "%.0f"), num(1e9 * tmed[i], "%.4g"),
              num(1e9 * tmin[i], "%.4g"), num(bps[i] / 1e9, "%.4g"), num(ips[i] / 1e9, "%.4g"),
              num(ratio(scalar[shape[i]], tmed[i]), "%.4g"), num(cv[i], "%.2g") > act_csv
    }
    if (nshapes["act"] > 0) {
        printf "\nactivations (median; x = speedup over scalar)\n"
        printf "%-32s %-10s %10s %9s %9s %7s\n", "function/size", "kernel", "ns", "GB/s",
               "Gelem/s", "x"
    }
    for (s = 1; s <= nshapes["act"]; s++)
        for (i = 1; i <= n; i++)
            if (kind[i] == "act" && shape[i] == order["act", s])
                printf "%-32s %-10s %10.1f %9.2f %9.3f %7s\n", shape[i], kern[i], 1e9 * tmed[i],
                       bps[i] / 1e9, ips[i] / 1e9, num(ratio(scalar[shape[i]], tmed[i]), "%.1f")

    print "op,threads,floats,gbytes_per_s_median,gbytes_per_s_best,cv_pct" > mem_csv
    for (i = 1; i <= n; i++) {
        if (kind[i] != "mem")
            continue
        floats = shape[i]; sub(/^n:/, "", floats)
        print kern[i], thr[i], floats, num(bps[i] / 1e9, "%.4g"),
              num(bps[i] * tmed[i] / tmin[i] / 1e9, "%.4g"), num(cv[i], "%.2g") > mem_csv
    }
    if (nshapes["mem"] > 0) {
        printf "\nmemory (STREAM, GB/s median / best)\n"
        printf "%-12s %-6s %3s %9s %9s %5s\n", "floats", "op", "thr", "median", "best", "cv%"
    }
    for (s = 1; s <= nshapes["mem"]; s++)
        for (i = 1; i <= n; i++)
            if (kind[i] == "mem" && shape[i] == order["mem", s])
                printf "%-12s %-6s %3s %9.1f %9.1f %5s\n", shape[i], kern[i], thr[i], bps[i] / 1e9,
                       bps[i] * tmed[i] / tmin[i] / 1e9, num(cv[i], "%.1f")

    print "kernel,threads,net,batch,us_median,us_best,gflops_median,peak_isa,pct_peak,images_per_s,s_per_epoch,speedup_1thread,cv_pct" > step_csv
    for (i = 1; i <= n; i++)
        if (kind[i] == "step" && thr[i] == 1)
            step_one[kern[i], shape[i]] = tmed[i]
    for (i = 1; i <= n; i++) {
        if (kind[i] != "step")
            continue
        net = shape[i]; sub(/\/.*/, "", net)
        batch = shape[i]; sub(/.*B:/, "", batch)
        isa[i] = isa_of(kern[i], core[i])
        if (isa[i] == "avx512" && !((isa[i], thr[i]) in peak))
            isa[i] = "avx2"
        pk[i] = ((isa[i], thr[i]) in peak) ? peak[isa[i], thr[i]] : ""
        pct[i] = ratio(gf[i], pk[i]) == "" ? "" : 100 * ratio(gf[i], pk[i])
        epoch[i] = tmed[i] * int((60000 + batch - 1) / batch)
        x1[i] = ((kern[i], shape[i]) in step_one) ? ratio(step_one[kern[i], shape[i]], tmed[i]) : ""
        print kern[i], thr[i], net, batch, num(1e6 * tmed[i], "%.4g"), num(1e6 * tmin[i], "%.4g"),
              num(gf[i], "%.4g"), isa[i], num(pct[i], "%.1f"), num(ips[i], "%.0f"),
              num(epoch[i], "%.4g"), num(x1[i], "%.3g"), num(cv[i], "%.2g") > step_csv
    }
    if (nshapes["step"] > 0) {
        printf "\ntraining step (gather, forward, backward, Adam + weight average; median; s/epoch for 60,000 images; x1 = over 1 thread)\n"
        printf "%-24s %-10s %3s %10s %9s %13s %10s %8s %6s %5s\n", "net/batch", "kernel", "thr",
               "us/step", "GFLOP/s", "%peak", "images/s", "s/epoch", "x1", "cv%"
    }
    for (s = 1; s <= nshapes["step"]; s++)
        for (i = 1; i <= n; i++)
            if (kind[i] == "step" && shape[i] == order["step", s])
                printf "%-24s %-10s %3s %10.1f %9.1f %13s %10.0f %8.3f %6s %5s\n", shape[i], kern[i],
                       thr[i], 1e6 * tmed[i], gf[i], pct[i] == "" ? "" : sprintf("%.1f %s", pct[i], isa[i]),
                       ips[i], epoch[i], num(x1[i], "%.2f"), num(cv[i], "%.1f")

    if (nerrs > 0)
        print "\nnot timed:"
    for (e = 1; e <= nerrs; e++) {
        split(errs[e], f, SUBSEP)
        printf "  %s: %s%s\n", f[1], f[2], nerr[errs[e]] > 1 ? " (" nerr[errs[e]] " sizes)" : ""
    }
}'

main=$1
shift
if [ ! -r "$main" ]; then
    echo "bench-report: cannot read $main (run \`make bench\` first)" >&2
    exit 1
fi
dir=$(dirname "$main")
tsv=$(mktemp)
# The CSVs are written beside their final names and renamed once complete (as the
# harness's afile does), so a kill leaves the old files or the new ones.
gemm_tmp=$dir/gemm.csv.tmp.$$
act_tmp=$dir/act.csv.tmp.$$
mem_tmp=$dir/mem.csv.tmp.$$
step_tmp=$dir/step.csv.tmp.$$
trap 'rm -f "$tsv" "$gemm_tmp" "$act_tmp" "$mem_tmp" "$step_tmp"' EXIT

jq -r --arg rename "" "$JQ_PROG" "$main" >"$tsv"
for extra in "$@"; do
    file=${extra%=*}
    kernel=${extra##*=}
    if [ "$file" = "$extra" ] || [ -z "$kernel" ]; then
        usage
    fi
    jq -r --arg rename "$kernel" "$JQ_PROG" "$file" >>"$tsv"
done
awk -F '\t' -v OFS=, -v gemm_csv="$gemm_tmp" -v act_csv="$act_tmp" -v mem_csv="$mem_tmp" \
    -v step_csv="$step_tmp" -v CV_STEADY=5 "$AWK_PROG" "$tsv"
for f in gemm act mem step; do
    mv -f "$dir/$f.csv.tmp.$$" "$dir/$f.csv"
done
printf '\nwrote %s, %s, %s and %s\n' "$dir/gemm.csv" "$dir/act.csv" "$dir/mem.csv" "$dir/step.csv"
