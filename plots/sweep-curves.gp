# sweep-curves.gp: the learning curves of a sweep, one line per point (the mean
# over its repeats, by `smooth unique`): validation accuracy (left) and
# validation loss (right) per epoch, from the sweep's epochs.csv.  Columns are
# picked by header name; a point is named by the `label` column.  Not for the
# epochs.csv of `./experiment train` (curves.gp).
# Usage: gnuplot -c plots/sweep-curves.gp results/lr/epochs.csv [OUT]
#   writes OUT.png and OUT.svg; OUT defaults to curves next to the CSV.
if (ARGC < 1) {
    print "usage: gnuplot -c plots/sweep-curves.gp EPOCHS.csv [OUT]"
    exit status 2
}
file = ARG1
dir = "."
do for [i = strlen(file):2:-1] {
    if (dir eq "." && file[i:i] eq "/") { dir = file[1:i - 1] }
}
out = ARGC >= 2 ? ARG2 : dir."/curves"

set datafile separator comma
set datafile columnheaders
set datafile missing NaN

# The labels in order of appearance, as "|a|b|...|".
labels = "|"
stats file using (s = strcol("label"), strstrt(labels, "|".s."|") ? 0 : (labels = labels.s."|", 0)) nooutput
n = 0
do for [i = 1:strlen(labels)] { if (labels[i:i] eq "|") { n = n + 1 } }
n = n - 1
# The k-th label (1-based).
label(k) = (rest = labels[2:], item(rest, k))
item(s, k) = k == 1 ? s[1:strstrt(s, "|") - 1] : item(s[strstrt(s, "|") + 1:], k - 1)
name(k) = label(k) eq "" ? "the file's configuration" : label(k)

draw = 'set multiplot layout 1,2 title "Sweep learning curves (mean over repeats): ".file font ",12"; \
    set xlabel "epoch"; set xtics 1; set grid; set key outside bottom center horizontal maxcols 3 font ",8"; \
    set ylabel "validation accuracy (%)"; set title "Validation accuracy"; \
    plot for [k = 1:n] file using (strcol("label") eq label(k) ? column("epoch") : NaN):(100*column("val_acc")) \
        smooth unique with linespoints lw 2 pt 7 ps 0.6 title name(k); \
    set ylabel "validation cross-entropy loss (nats)"; set title "Validation loss"; set logscale y; \
    plot for [k = 1:n] file using (strcol("label") eq label(k) ? column("epoch") : NaN):"val_loss" \
        smooth unique with linespoints lw 2 pt 7 ps 0.6 title name(k); \
    unset logscale y; unset multiplot'

set terminal pngcairo size 1400,640 font "Sans,10"
set output out.".png"
eval draw
set terminal svg size 1400,640 font "Sans,10" dynamic
set output out.".svg"
eval draw
set output
