# profile.gp: where a training step's time goes, one stacked bar per GEMM kernel,
# thread count, model and batch, from the profile.csv that `./experiment train
# --profile` or a sweep with train.profile = true writes (harness/profile.c): the
# microseconds per step of each phase (gather, forward GEMMs, backward GEMMs,
# activations and loss, optimizer, barriers, other), the mean over the rows
# (repeats) that share a bar.  The bar's label carries the GEMMs' mean % of the
# FMA peak.  The roofline view of a step: the GEMM segments are held to the
# peak, the others to memory.
# Usage: gnuplot -c plots/profile.gp results/kernels/profile.csv [OUT]
#   writes OUT.png and OUT.svg; OUT defaults to profile next to the CSV.
if (ARGC < 1) {
    print "usage: gnuplot -c plots/profile.gp PROFILE.csv [OUT]"
    exit status 2
}
file = ARG1
dir = "."
do for [i = strlen(file):2:-1] {
    if (dir eq "." && file[i:i] eq "/") { dir = file[1:i - 1] }
}
out = ARGC >= 2 ? ARG2 : dir."/profile"

# One line per bar, in order of first appearance: its label, then the mean
# us_per_step of each phase in profile.csv's order.  Columns are found by name.
phases = "gather fwd_gemm bwd_gemm act_loss optimizer sync other"
table = "< awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next } \
{ bar = $col[\"gemm\"] \"/\" $col[\"threads\"] \" \" $col[\"layers\"] \" b\" $col[\"batch\"]; \
  if (!(bar in seen)) { seen[bar] = 1; order[++n] = bar } \
  us[bar, $col[\"phase\"]] += $col[\"us_per_step\"]; rows[bar, $col[\"phase\"]]++; \
  if ($col[\"pct_peak\"] != \"\") { pk[bar] += $col[\"pct_peak\"]; npk[bar]++ } } \
END { np = split(\"".phases."\", ph, \" \"); \
  for (b = 1; b <= n; b++) { bar = order[b]; \
    lab = bar (npk[bar] ? sprintf(\"\\\\n%.0f%% peak\", pk[bar] / npk[bar]) : \"\"); \
    printf \"\\\"%s\\\"\", lab; \
    for (p = 1; p <= np; p++) printf \" %g\", rows[bar, ph[p]] ? us[bar, ph[p]] / rows[bar, ph[p]] : 0; \
    print \"\" } }' ".file

stats table using 2 nooutput
if (STATS_records == 0) {
    print "profile.gp: ".file." has no profiled step"
    exit status 1
}

title(p) = p eq "fwd_gemm" ? "forward GEMMs" : p eq "bwd_gemm" ? "backward GEMMs" : \
    p eq "act_loss" ? "activations, loss" : p eq "sync" ? "barriers" : p
draw = sprintf('set title "Where a training step goes: microseconds per step by phase (%s)"; ', file). \
    'set ylabel "microseconds per step (mean over repeats)"; set xlabel "GEMM kernel / threads, layers, batch; the GEMMs'' mean % of the FMA peak"; \
    set style data histograms; set style histogram rowstacked; set style fill solid 0.75 border -1; set boxwidth 0.7; \
    set grid ytics; set yrange [0:*]; set key outside right top; set xtics font ",8" nomirror; set bmargin 7; \
    plot for [p = 1:words(phases)] table using (column(p + 1)):xtic(1) title title(word(phases, p))'

set terminal pngcairo size 1200,560 font "Sans,10"
set output out.".png"
eval draw
set terminal svg size 1200,560 font "Sans,10" dynamic
set output out.".svg"
eval draw
set output
