# e2e-speedup.gp: the end-to-end speedup of whole training runs per GEMM kernel
# and thread count, from a kernels sweep's runs.csv (experiments/kernels.ini):
# samples_per_second of each run over the mean of the runs whose gemm_kernel is
# naive, one bar per run in file order, labelled with the kernels that really ran
# (gemm_kernel, act_kernel, threads).  Diverged or failed runs have no bar.
# The per-GEMM speedups of the benchmark are speedup.gp's.
# Usage: gnuplot -c plots/e2e-speedup.gp results/kernels/runs.csv [OUT]
#   writes OUT.png and OUT.svg; OUT defaults to e2e-speedup next to the CSV.
if (ARGC < 1) {
    print "usage: gnuplot -c plots/e2e-speedup.gp RUNS.csv [OUT]"
    exit status 2
}
file = ARG1
dir = "."
do for [i = strlen(file):2:-1] {
    if (dir eq "." && file[i:i] eq "/") { dir = file[1:i - 1] }
}
out = ARGC >= 2 ? ARG2 : dir."/e2e-speedup"

set datafile separator comma
set datafile columnheaders
set datafile missing NaN

ok(x) = strcol("status") eq "ok" ? x : NaN
stats file using (strcol("gemm_kernel") eq "naive" ? ok(column("samples_per_second")) : NaN) nooutput
if (STATS_records == 0) {
    print "e2e-speedup.gp: ".file." has no ok run with gemm_kernel naive to compare with"
    exit status 1
}
base = STATS_mean
bar(t) = sprintf("%s\n%s\n%d thr", strcol("gemm_kernel"), strcol("act_kernel"), column("threads"))

draw = sprintf('set title "End-to-end training speedup over naive GEMM (%.0f images/s = 1): %s"; ', base, file). \
    'set ylabel "speedup over naive (training images per second, ratio)"; set xlabel "kernels that ran (GEMM, activation, threads)"; \
    set style fill solid 0.6 border -1; set boxwidth 0.7; set grid ytics; set yrange [0:*]; set key top left; \
    set xtics font ",8"; set bmargin 7; set xlabel offset 0,-1.5; \
    plot file using 0:(ok(column("samples_per_second")) / base):xtic(bar(0)) with boxes lc 2 title "one run (mean of naive runs = 1)", \
         ""   using 0:(ok(column("samples_per_second")) / base):(sprintf("%.1fx", ok(column("samples_per_second")) / base)) \
              with labels offset 0,0.7 notitle'

set terminal pngcairo size 1100,560 font "Sans,10"
set output out.".png"
eval draw
set terminal svg size 1100,560 font "Sans,10" dynamic
set output out.".svg"
eval draw
set output
