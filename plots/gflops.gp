# gflops.gp: SGEMM throughput against the square size n (M = N = K), one line per
# series of the benchmark's gemm.csv (a kernel, with /t<threads> for threaded
# rows), log x.  Columns are picked by header name, so added columns break
# nothing; it plots what bench-report.sh wrote and computes nothing.
# Usage: gnuplot -c plots/gflops.gp results/bench/gemm.csv [OUT]
#   writes OUT.png and OUT.svg; OUT defaults to gflops next to the CSV.
if (ARGC < 1) {
    print "usage: gnuplot -c plots/gflops.gp GEMM.csv [OUT]"
    exit status 2
}
file = ARG1
dir = "."
do for [i = strlen(file):2:-1] {
    if (dir eq "." && file[i:i] eq "/") { dir = file[1:i - 1] }
}
out = ARGC >= 2 ? ARG2 : dir."/gflops"

set datafile separator comma
# Four more colours after gnuplot's eight (the 8th is black), so 12 series stay distinct.
set linetype 9 lc rgb "#8c564b"
set linetype 10 lc rgb "#7f7f7f"
set linetype 11 lc rgb "#bcbd22"
set linetype 12 lc rgb "#17becf"
set linetype cycle 12
set datafile columnheaders
set datafile missing NaN     # rows of other series: skipped without breaking the line

square(sh) = strstrt(sh, "square/") == 1
series = " "
stats file using (s = strcol("series"), \
                  square(strcol("shape")) && strstrt(series, " ".s." ") == 0 \
                      ? series = series.s." " : 0, 0) nooutput
if (words(series) == 0) {
    print "gflops.gp: no square/ rows in ".file
    exit status 1
}
stats file using (square(strcol("shape")) ? column("M") : NaN) name "n" nooutput
if (n_min == n_max) {
    set xrange [n_min / 2 : n_max * 2]    # one size (make bench-quick): one octave each side
}

set title "SGEMM on square matrices: C = A B, float, row-major (median of repetitions)"
set xlabel "matrix size n (M = N = K)"
set ylabel "throughput (GFLOP/s)"
set logscale x 2
set format x "%.0f"
set yrange [0:*]
set grid
set key outside right top noenhanced
set style data linespoints

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1000,620 noenhanced font ",10"
    } else {
        set terminal svg size 1000,620 dynamic noenhanced font ",10"
    }
    set output out.".".fmt
    plot for [s in series] file \
        using (strcol("series") eq s && square(strcol("shape")) ? column("M") : NaN):(column("gflops_median")) \
        title s lw 2
    set output
}
