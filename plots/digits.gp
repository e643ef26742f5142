# digits.gp: sample test digits with their true and predicted labels: the first
# 40 test images, then the first 16 the model got wrong (marked in red).  Reads
# predictions.csv (index,label,predicted) written by `./experiment train` and the
# raw IDX image file itself (16-byte header, then 28x28 bytes per image), so it
# needs the uncompressed t10k-images-idx3-ubyte, not the .gz.
# Usage: gnuplot -c plots/digits.gp results/mnist/predictions.csv \
#            data/mnist/t10k-images-idx3-ubyte [OUT]
#   writes OUT.png and OUT.svg; OUT defaults to digits next to the CSV.
if (ARGC < 2) {
    print "usage: gnuplot -c plots/digits.gp PREDICTIONS.csv T10K-IMAGES-IDX3-UBYTE [OUT]"
    exit status 2
}
file = ARG1
images = ARG2
dir = "."
do for [i = strlen(file):2:-1] {
    if (dir eq "." && file[i:i] eq "/") { dir = file[1:i - 1] }
}
out = ARGC >= 3 ? ARG3 : dir."/digits"

set datafile separator comma
set datafile columnheaders

cols = 8
first = 40      # the first test images
wrong_max = 16  # then this many misclassified ones
# Indices, labels and predictions of the shown images, as space-separated words.
shown = ""
truth = ""
guess = ""
n_wrong = 0
stats file using (i = column("index"), t = column("label"), p = column("predicted"), \
    (i < first || (t != p && n_wrong < wrong_max)) ? \
        (n_wrong = n_wrong + (i >= first), shown = shown.sprintf(" %d", i), \
         truth = truth.sprintf(" %d", t), guess = guess.sprintf(" %d", p), 0) : 0) nooutput
n = words(shown)
idx(k) = int(word(shown, k))
bad(k) = word(truth, k) ne word(guess, k)
# Cell k (1-based): the first images fill rows 0..4, the wrong ones start at row 6.
row(k) = k <= first ? (k - 1) / cols : 6 + (k - first - 1) / cols
col(k) = (k <= first ? k - 1 : k - first - 1) % cols
cx(k) = 36 * col(k)
cy(k) = -44 * row(k)

set palette gray negative
unset colorbox
unset border
unset tics
set size ratio -1
set xrange [-6:36 * cols]
set yrange [-44 * 7 - 16:36]
set key off
set label 1 sprintf("first %d test images", first) at -4, 32 font ",10"
set label 2 sprintf("first %d misclassified test images", wrong_max) at -4, -44 * 6 + 35 font ",10"
do for [k = 1:n] {
    set label (10 + k) sprintf("%s: %s", word(truth, k), word(guess, k)) at cx(k) + 14, cy(k) - 6 \
        center font ",9" tc rgb (bad(k) ? "red" : "black")
    if (bad(k)) {
        set object (10 + k) rectangle from cx(k) - 1.5, cy(k) - 1.5 to cx(k) + 29.5, cy(k) + 29.5 \
            fillstyle empty border rgb "red" lw 2 front
    }
}
draw = 'set title "Test digits, true: predicted label (misclassified in red): ".file; \
    plot for [k = 1:n] images binary skip=(16 + 784 * idx(k)) array=(28,28) format="%uchar" \
         flipy origin=(cx(k), cy(k)) with image'

set terminal pngcairo size 900,1100 font "Sans,10"
set output out.".png"
eval draw
set terminal svg size 900,1100 font "Sans,10" dynamic
set output out.".svg"
eval draw
set output
