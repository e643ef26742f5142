# confusion.gp: the test confusion matrix of one `./experiment train` run as a
# heatmap: rows the true digit, columns the predicted one, colour on a log scale
# of the image count, each cell labelled with its count (the diagonal holds the
# correct predictions).  Reads confusion.csv (true,pred_0,...,pred_9).
# Usage: gnuplot -c plots/confusion.gp results/mnist/confusion.csv [OUT]
#   writes OUT.png and OUT.svg; OUT defaults to confusion next to the CSV.
if (ARGC < 1) {
    print "usage: gnuplot -c plots/confusion.gp CONFUSION.csv [OUT]"
    exit status 2
}
file = ARG1
dir = "."
do for [i = strlen(file):2:-1] {
    if (dir eq "." && file[i:i] eq "/") { dir = file[1:i - 1] }
}
out = ARGC >= 2 ? ARG2 : dir."/confusion"

set datafile separator comma

draw = 'set title "Test confusion matrix (image counts): ".file; \
    set xlabel "predicted digit"; set ylabel "true digit"; \
    set xrange [-0.5:9.5]; set yrange [9.5:-0.5]; set xtics 0,1,9; set ytics 0,1,9; set size square; \
    set logscale cb; set cbrange [0.8:*]; set cblabel "images (log scale)"; \
    set palette defined (0 "white", 1 "#c6dbef", 2 "#4292c6", 3 "#08306b"); \
    set key outside bottom center; \
    plot file skip 1 matrix rowheaders using 1:2:($3 > 0 ? $3 : 0.8) with image \
              title "colour: images with that true and predicted digit", \
         ""   skip 1 matrix rowheaders using 1:2:($3 > 150 ? sprintf("%d", $3) : "") \
              with labels tc rgb "white" font ",8" notitle, \
         ""   skip 1 matrix rowheaders using 1:2:($3 > 150 ? "" : sprintf("%d", $3)) \
              with labels tc rgb "black" font ",8" notitle'

set terminal pngcairo size 760,720 font "Sans,10"
set output out.".png"
eval draw
set terminal svg size 760,720 font "Sans,10" dynamic
set output out.".svg"
eval draw
set output
