# time-to-acc.gp: time to accuracy of a sweep, one line per point (the mean over
# its repeats): validation accuracy against the seconds of training spent so far
# (the sum of the `seconds` column, training and validation, over the run's
# epochs up to that one), from the sweep's epochs.csv.  Each epoch's point is the
# mean over the repeats that have it: mean cumulative seconds on x, mean
# validation accuracy on y.  An epoch with no validation accuracy (NaN) draws no
# point; one with NaN seconds leaves the rest of that run without a time.  Log x
# when the points' first epochs take 10 times longer or more on one than another
# (a kernels sweep with naive).  Columns are picked by header name; a point is
# named by the `label` column.  Exits with status 1 when the file has no row with
# a validation accuracy (a sweep with data.val_split = 0).
# Usage: gnuplot -c plots/time-to-acc.gp results/lr/epochs.csv [OUT]
#   writes OUT.png and OUT.svg; OUT defaults to time-to-acc next to the CSV.
if (ARGC < 1) {
    print "usage: gnuplot -c plots/time-to-acc.gp EPOCHS.csv [OUT]"
    exit status 2
}
file = ARG1
dir = "."
do for [i = strlen(file):2:-1] {
    if (dir eq "." && file[i:i] eq "/") { dir = file[1:i - 1] }
}
out = ARGC >= 2 ? ARG2 : dir."/time-to-acc"

# One awk program, two outputs.  what=table: one block per label (two blank lines
# between blocks), in order of first appearance, of "mean_seconds mean_val_acc_%"
# per epoch.  what=meta: one line "RATIO|label 1|label 2|...|", the labels of those
# blocks and the ratio of the slowest to the fastest label's first point; or
# "!COLUMN" when a column is missing.  Fields are split as CSV: a label with a
# comma (model.layers=784,128,10) is double-quoted.
awk_prog = 'function csv(line, f,   n, i, c, q, s) { \
      if (index(line, "\"") == 0) return split(line, f, ","); \
      n = 0; s = ""; q = 0; \
      for (i = 1; i <= length(line); i++) { c = substr(line, i, 1); \
        if (q) { if (c != "\"") s = s c; else if (substr(line, i + 1, 1) == "\"") { s = s c; i++ } else q = 0 } \
        else if (c == "\"") q = 1; else if (c == ",") { f[++n] = s; s = "" } else s = s c } \
      f[++n] = s; return n } \
    function num(v) { return v ~ /^[ \t]*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?[ \t]*$/ } \
    { sub(/\r$/, "") } \
    NR == 1 { nf = csv($0, f); for (i = 1; i <= nf; i++) col[f[i]] = i; \
      nw = split("run epoch seconds val_acc label", want, " "); \
      for (i = 1; i <= nw; i++) if (!(want[i] in col)) { missing = want[i]; exit } \
      next } \
    $0 != "" { csv($0, f); r = f[col["run"]]; e = f[col["epoch"]] + 0; lab = f[col["label"]]; \
      if (!(r in runlab)) { runs[++nr] = r; runlab[r] = lab; lo[r] = e; hi[r] = e } \
      if (!(lab in seen)) { seen[lab] = 1; labs[++nl] = lab } \
      if (e < lo[r]) lo[r] = e; if (e > hi[r]) hi[r] = e; \
      has[r, e] = 1; sec[r, e] = f[col["seconds"]]; acc[r, e] = f[col["val_acc"]] } \
    END { if (missing != "") { if (what == "meta") print "!" missing; exit } \
      for (k = 1; k <= nr; k++) { r = runs[k]; lab = runlab[r]; cum = 0; timed = 1; \
        for (e = lo[r]; e <= hi[r]; e++) { \
          if (!has[r, e] || !num(sec[r, e])) timed = 0; else cum += sec[r, e]; \
          if (timed && num(acc[r, e])) { sx[lab, e] += cum; sy[lab, e] += 100 * acc[r, e]; m[lab, e]++; \
            if (!(lab in elo) || e < elo[lab]) elo[lab] = e; if (!(lab in ehi) || e > ehi[lab]) ehi[lab] = e } } } \
      list = "|"; first = 1; \
      for (k = 1; k <= nl; k++) { lab = labs[k]; if (!(lab in elo)) continue; \
        x0 = sx[lab, elo[lab]] / m[lab, elo[lab]]; \
        if (first || x0 < xmin) xmin = x0; if (first || x0 > xmax) xmax = x0; first = 0; \
        list = list lab "|"; \
        if (what == "table") { for (e = elo[lab]; e <= ehi[lab]; e++) if (m[lab, e]) \
            printf "%.6g %.6g\n", sx[lab, e] / m[lab, e], sy[lab, e] / m[lab, e]; print ""; print "" } } \
      if (what == "meta" && !first) print (xmin > 0 ? xmax / xmin : 1) list }'
run_awk(what) = "awk -v what=".what." '".awk_prog."' '".file."'"
table = "< ".run_awk("table")

meta = system(run_awk("meta"))
if (meta[1:1] eq "!") {
    print "time-to-acc.gp: ".file." has no ".meta[2:]." column"
    exit status 1
}
if (meta eq "") {
    print "time-to-acc.gp: ".file." has no row with a validation accuracy (all NaN: a sweep with data.val_split = 0?)"
    exit status 1
}
ratio = real(meta[1:strstrt(meta, "|") - 1])
labels = meta[strstrt(meta, "|"):]
n = 0
do for [i = 1:strlen(labels)] { if (labels[i:i] eq "|") { n = n + 1 } }
n = n - 1
# The k-th label (1-based).
item(s, k) = k == 1 ? s[1:strstrt(s, "|") - 1] : item(s[strstrt(s, "|") + 1:], k - 1)
label(k) = item(labels[2:], k)
name(k) = label(k) eq "" ? "the file's configuration" : label(k)
logx = ratio >= 10
# One colour per configuration, in the order of the file; past the 8 colours, the
# same colours again dashed and with other points.
group(k) = (k - 1) / 8 % 4 + 1
point(k) = word("7 5 9 13", group(k)) + 0
xlab = "seconds of training and validation so far (mean over repeats)".(logx ? ", log scale" : "")
# The title over the whole canvas (a multiplot's, as in sweep-curves.gp): over the
# plot alone, left of the key, a long path would run off the left edge.
draw = sprintf('set multiplot layout 1,1 title "Time to accuracy: validation accuracy against seconds of training (%s)"; ', file). \
    sprintf('set xlabel "%s"; %s; ', xlab, logx ? "set logscale x; set autoscale xfix" : "unset logscale x"). \
    'set ylabel "validation accuracy (%, mean over repeats)"; set grid; set key outside right top; \
    set offsets graph 0.02, graph 0.02, graph 0.02, graph 0.02; \
    plot for [k = 1:n] table index (k - 1) using 1:2 with linespoints lw 2 pt point(k) ps 0.6 lc (k - 1) % 8 + 1 \
        dt group(k) title name(k) noenhanced; \
    unset multiplot'

set terminal pngcairo size 1000,560 font "Sans,10"
set output out.".png"
eval draw
set terminal svg size 1000,560 font "Sans,10" dynamic
set output out.".svg"
eval draw
set output
