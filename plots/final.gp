# final.gp: a sweep's final accuracy against its first swept key: the mean test
# accuracy over the repeats with their standard deviation as error bars (solid),
# and the mean validation accuracy (dashed), one colour per value of the other
# swept keys.  Reads summary.csv, whose x_key, x and series columns name the
# first swept key, its value and the other keys' values; log x for train.lr and
# train.batch, categories for keys whose values are names or layer lists.
# Usage: gnuplot -c plots/final.gp results/lr/summary.csv [OUT]
#   writes OUT.png and OUT.svg; OUT defaults to final next to the CSV.
if (ARGC < 1) {
    print "usage: gnuplot -c plots/final.gp SUMMARY.csv [OUT]"
    exit status 2
}
file = ARG1
dir = "."
do for [i = strlen(file):2:-1] {
    if (dir eq "." && file[i:i] eq "/") { dir = file[1:i - 1] }
}
out = ARGC >= 2 ? ARG2 : dir."/final"

set datafile separator comma
set datafile columnheaders
set datafile missing NaN

# The series in order of appearance ("|a|b|...|"), the x key, and whether x is a category.
series = "|"
key = ""
stats file using (key = strcol("x_key"), s = strcol("series"), \
    strstrt(series, "|".s."|") ? 0 : (series = series.s."|", 0)) nooutput
n = 0
do for [i = 1:strlen(series)] { if (series[i:i] eq "|") { n = n + 1 } }
n = n - 1
item(s, k) = k == 1 ? s[1:strstrt(s, "|") - 1] : item(s[strstrt(s, "|") + 1:], k - 1)
serie(k) = item(series[2:], k)
name(k) = serie(k) eq "" ? "" : ", ".serie(k)
categorical = strstrt(" model.layers train.optimizer train.schedule kernels.gemm kernels.activation data.dataset data.dir data.augment ", " ".key." ") > 0
# A category's position: points run through the series fastest (the grid order).
xpos(x) = categorical ? floor(column("point") / n) : real(x)
units = key eq "train.lr" ? " (log scale)" : key eq "train.batch" ? " (images per step, log scale)" : ""
if (key eq "train.lr" || key eq "train.batch") { set logscale x }
if (key eq "train.batch") { set logscale x 2 }

# Category names as x tics, from a plot of nothing.
categories = categorical ? ', file using (xpos(strcol("x"))):(NaN):xtic(strcol("x")) notitle' : ''
draw = 'set title "Final accuracy against ".key." (mean and std over repeats): ".file; \
    set xlabel key.units; set ylabel "accuracy (%)"; set grid; set key outside right top; \
    set autoscale xfix; set offsets graph 0.04, graph 0.04, 0, 0; \
    plot for [k = 1:n] file using (strcol("series") eq serie(k) ? xpos(strcol("x")) : NaN):(100*column("test_acc_mean")):(100*column("test_acc_std")) \
            with yerrorlines lw 2 pt 7 lc k title "test".name(k), \
         for [k = 1:n] file using (strcol("series") eq serie(k) ? xpos(strcol("x")) : NaN):(100*column("val_acc_mean")) \
            with linespoints dt 2 pt 6 lc k title "validation".name(k)'.categories

set terminal pngcairo size 1100,560 font "Sans,10"
set output out.".png"
eval draw
set terminal svg size 1100,560 font "Sans,10" dynamic
set output out.".svg"
eval draw
set output
