# e2e-speedup.gp: the end-to-end speedup of whole training runs per GEMM kernel
# and thread count, from a kernels sweep's summary.csv (experiments/kernels.ini,
# whose first listed key is kernels.gemm): each point's mean samples_per_second
# over its repeats, divided by the mean of the points whose x is naive; one bar
# per point in grid order, labelled with the kernel and the other listed values.
# Points without an ok run have no bar.  The per-GEMM speedups of the benchmark
# are speedup.gp's.
# Usage: gnuplot -c plots/e2e-speedup.gp results/kernels/summary.csv [OUT]
#   writes OUT.png and OUT.svg; OUT defaults to e2e-speedup next to the CSV.
if (ARGC < 1) {
    print "usage: gnuplot -c plots/e2e-speedup.gp SUMMARY.csv [OUT]"
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

ok(x) = column("ok") > 0 ? x : NaN
stats file using (strcol("x") eq "naive" ? ok(column("samples_per_second_mean")) : NaN) nooutput
if (STATS_records == 0) {
    print "e2e-speedup.gp: ".file." has no point with kernels.gemm naive to compare with"
    exit status 1
}
base = STATS_mean
short(s) = s[1:8] eq "kernels." ? s[9:] : s
bar(t) = strcol("x")."\n".short(strcol("series"))
speedup(t) = ok(column("samples_per_second_mean")) / base

draw = sprintf('set title "End-to-end training speedup over naive GEMM (%.0f images/s = 1): %s"; ', base, file). \
    'set ylabel "speedup over naive (training images per second, ratio)"; set xlabel "GEMM kernel and the other swept values"; \
    set style fill solid 0.6 border -1; set boxwidth 0.7; set grid ytics; set yrange [0:*]; set offsets 0, 0, graph 0.08, 0; set key top left; \
    set xtics font ",8"; set bmargin 7; set xlabel offset 0,-1.5; \
    plot file using 0:(speedup(0)):xtic(bar(0)) with boxes lc 2 title "mean over repeats (naive = 1)", \
         ""   using 0:(speedup(0)):(sprintf("%.1fx", speedup(0))) with labels offset 0,0.7 notitle'

set terminal pngcairo size 1100,560 font "Sans,10"
set output out.".png"
eval draw
set terminal svg size 1100,560 font "Sans,10" dynamic
set output out.".svg"
eval draw
set output
