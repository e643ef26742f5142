# speedup.gp: each kernel's speedup over naive on the MLP's own GEMM shapes, as
# clustered bars (one cluster per layer and pass, one bar per series of the
# benchmark's gemm.csv), one panel per network, at one batch size, log y.
# Columns are picked by header name; it plots what bench-report.sh wrote
# (speedup_naive = median GFLOP/s over naive's) and computes nothing.
# Usage: gnuplot -c plots/speedup.gp results/bench/gemm.csv [OUT [BATCH]]
#   writes OUT.png and OUT.svg; OUT defaults to speedup next to the CSV, BATCH to 128.
if (ARGC < 1) {
    print "usage: gnuplot -c plots/speedup.gp GEMM.csv [OUT [BATCH]]"
    exit status 2
}
file = ARG1
dir = "."
do for [i = strlen(file):2:-1] {
    if (dir eq "." && file[i:i] eq "/") { dir = file[1:i - 1] }
}
out = ARGC >= 2 ? ARG2 : dir."/speedup"
batch = ARGC >= 3 ? ARG3 : "128"

set datafile separator comma
# Four more colours after gnuplot's eight (the 8th is black), so 12 series stay distinct.
set linetype 9 lc rgb "#8c564b"
set linetype 10 lc rgb "#7f7f7f"
set linetype 11 lc rgb "#bcbd22"
set linetype 12 lc rgb "#17becf"
set linetype cycle 12
set datafile columnheaders
set datafile missing NaN

# MLP shapes are <net>/<pass>/B:<batch>/L:<layer>.
tag = "/B:".batch."/"
mlp(sh) = strstrt(sh, tag) > 0
net_of(sh) = sh[1:strstrt(sh, "/") - 1]
pass_of(sh) = net_of(sh[strstrt(sh, "/") + 1:])
layer_of(sh) = sh[strstrt(sh, "/L:") + 1:]
# Position of word w in the list (1-based), 0 when absent.
index_of(list, w, i) = i > words(list) ? 0 : word(list, i) eq w ? i : index_of(list, w, i + 1)

nets = " "
series = " "
stats file using (sh = strcol("shape"), s = strcol("series"), \
                  mlp(sh) && strcol("kernel") ne "naive" && strstrt(series, " ".s." ") == 0 \
                      ? series = series.s." " : 0, \
                  mlp(sh) && strstrt(nets, " ".net_of(sh)." ") == 0 \
                      ? nets = nets.net_of(sh)." " : 0, 0) nooutput
if (words(nets) == 0 || words(series) == 0) {
    print "speedup.gp: no MLP rows at batch ".batch." in ".file
    exit status 1
}

ns = words(series)
bar = 0.8 / ns
offset(j) = -0.4 + (j - 0.5) * bar
# Bar j of the cluster of this row's shape in the current panel's `shapes`; NaN
# (skipped) for rows of other series, panels or batches.
at(p, j) = p > 0 ? p + offset(j) : NaN
x_of(j) = strcol("series") eq word(series, j) ? at(index_of(shapes, strcol("shape"), 1), j) : NaN
set boxwidth bar absolute
set style fill solid 0.85 border -1
set logscale y
set ylabel "speedup over naive (median GFLOP/s ratio)"
set xlabel "GEMM of the training step (layer, pass)"
set grid ytics
set key outside right top noenhanced
set xtics rotate by 30 right noenhanced
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dashtype 2

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size 1200,420 * words(nets) noenhanced font ",10"
    } else {
        set terminal svg size 1200,420 * words(nets) dynamic noenhanced font ",10"
    }
    set output out.".".fmt
    set multiplot layout words(nets), 1 \
        title "SGEMM speedup over naive on the MLP shapes, batch ".batch noenhanced
    do for [net in nets] {
        shapes = " "
        stats file using (sh = strcol("shape"), \
                          mlp(sh) && net_of(sh) eq net && strstrt(shapes, " ".sh." ") == 0 \
                              ? shapes = shapes.sh." " : 0, 0) nooutput
        set xtics ()
        do for [i = 1:words(shapes)] {
            set xtics add (layer_of(word(shapes, i))." ".pass_of(word(shapes, i)) i)
        }
        set xrange [0.4:words(shapes) + 0.6]
        set title "network ".net noenhanced
        plot for [j = 1:ns] file using (x_of(j)):(column("speedup_naive")) \
            with boxes title word(series, j)
    }
    unset multiplot
    set output
}
