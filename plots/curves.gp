# curves.gp: the learning curves of one `./experiment train` run, as the seed's
# notebook drew them: accuracy (left) and loss (right) per epoch, on the training
# set (running mean over the epoch's batches) and the validation set.  Columns
# are picked by header name.  Not for a sweep's epochs.csv (sweep-curves.gp).
# Usage: gnuplot -c plots/curves.gp results/mnist/epochs.csv [OUT]
#   writes OUT.png and OUT.svg; OUT defaults to curves next to the CSV.
if (ARGC < 1) {
    print "usage: gnuplot -c plots/curves.gp EPOCHS.csv [OUT]"
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

draw = 'set multiplot layout 1,2 title "Learning curves: ".file font ",12"; \
    set xlabel "epoch"; set grid; set key bottom right; set xtics 1; \
    set ylabel "accuracy (%)"; set title "Accuracy"; \
    plot file using "epoch":(100*column("train_acc")) with linespoints lw 2 pt 7 title "training", \
         ""   using "epoch":(100*column("val_acc")) with linespoints lw 2 pt 5 title "validation"; \
    set key top right; set ylabel "cross-entropy loss (nats)"; set title "Loss"; \
    plot file using "epoch":"train_loss" with linespoints lw 2 pt 7 title "training", \
         ""   using "epoch":"val_loss" with linespoints lw 2 pt 5 title "validation"; \
    unset multiplot'

set terminal pngcairo size 1200,480 font "Sans,10"
set output out.".png"
eval draw
set terminal svg size 1200,480 font "Sans,10" dynamic
set output out.".svg"
eval draw
set output
