# profile.gp: where a training step's time goes, one stacked bar per GEMM kernel,
# thread count, model and batch, from the profile.csv that `./experiment train
# --profile` or a sweep with train.profile = true writes (harness/profile.c): each
# phase's share of the step (augment, gather, forward GEMMs, backward GEMMs, activations
# and loss, optimizer, barriers, other), from its microseconds per step averaged
# over the rows (repeats) that share a bar.  A bar's label carries the step's
# microseconds and the GEMMs' mean % of the FMA peak: shares, not heights, so
# that naive's step (50x the others) leaves the fast kernels' breakdown
# readable.
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

# One line per bar, in order of first appearance: its label (kernel/threads,
# the step's mean microseconds, the GEMMs' mean % of the peak; the layers and
# batch too when the file holds more than one model), then each phase's share
# of the step in percent, in profile.csv's phase order.  Columns by name.
phases = "augment gather fwd_gemm bwd_gemm act_loss optimizer sync other"
awk_cols = "NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next } "
models = system("awk -F, '".awk_cols."{ m[$col[\"layers\"] \" batch \" $col[\"batch\"]] = 1 } END { for (k in m) { n++; last = k } print n == 1 ? last : \"\" }' ".file)
table = "< awk -F, -v one_model='".(models eq "" ? 0 : 1)."' '".awk_cols." \
{ bar = $col[\"gemm\"] \"/\" $col[\"threads\"] (one_model ? \"\" : \" \" $col[\"layers\"] \" b\" $col[\"batch\"]); \
  if (!(bar in seen)) { seen[bar] = 1; order[++n] = bar } \
  us[bar, $col[\"phase\"]] += $col[\"us_per_step\"]; rows[bar, $col[\"phase\"]]++; \
  if ($col[\"pct_peak\"] != \"\") { pk[bar] += $col[\"pct_peak\"]; npk[bar]++ } } \
END { np = split(\"".phases."\", ph, \" \"); \
  for (b = 1; b <= n; b++) { bar = order[b]; total = 0; \
    for (p = 1; p <= np; p++) { u[p] = rows[bar, ph[p]] ? us[bar, ph[p]] / rows[bar, ph[p]] : 0; total += u[p] } \
    printf \"\\\"%s\\\\n%.0f us%s\\\"\", bar, total, npk[bar] ? sprintf(\"\\\\n%.0f%% peak\", pk[bar] / npk[bar]) : \"\"; \
    for (p = 1; p <= np; p++) printf \" %g\", (total > 0 ? 100 * u[p] / total : 0); \
    print \"\" } }' ".file

stats table using 2 nooutput
if (STATS_records == 0) {
    print "profile.gp: ".file." has no profiled step"
    exit status 1
}

title(p) = p eq "fwd_gemm" ? "forward GEMMs" : p eq "bwd_gemm" ? "backward GEMMs" : \
    p eq "act_loss" ? "activations, loss" : p eq "sync" ? "barriers" : p
what = models eq "" ? "" : models.", "
draw = sprintf('set title "Where a training step goes: each phase''s share of the step (%s%s)"; ', what, file). \
    'set ylabel "% of the step (mean over repeats)"; set xlabel "GEMM kernel / threads, microseconds per step, the GEMMs'' % of the FMA peak"; \
    set style data histograms; set style histogram rowstacked; set style fill solid 0.75 border -1; set boxwidth 0.7; \
    set grid ytics; set yrange [0:100]; set key outside right top; set xtics font ",8" nomirror; set bmargin 7; \
    set xlabel offset 0,-1.5; \
    plot for [p = 1:words(phases)] table using (column(p + 1)):xtic(1) title title(word(phases, p))'

set terminal pngcairo size 1200,560 font "Sans,10"
set output out.".png"
eval draw
set terminal svg size 1200,560 font "Sans,10" dynamic
set output out.".svg"
eval draw
set output
