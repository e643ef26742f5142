#!/bin/sh
# compare.sh: `make compare`.  Trains the same network, optimizer, weight average,
# batch, epochs and thread count in this harness (./experiment train
# experiments/mnist.ini, all 60,000 training images) and in PyTorch
# (harness/tools/torch-epoch.py), one after the other on the same data and
# machine: the seed's network (784-128-64-10, batch 32) and a wide one
# (784-1024-1024-10, batch 128), on 1 thread and on every CPU.  PyTorch gets the
# learning rate, weight-average decay and seed that the harness's run recorded
# in its summary.csv.  Writes results/compare/compare.csv (whole, or not at all)
# and prints a Markdown table: seconds per epoch (the mean over the epochs after
# the first, which warms up; the first alone when only one ran), images per
# second, test accuracy, and the speed of simd-mlp over PyTorch's.
# Needs ./experiment built, data/mnist (make data) and python3-torch.
# Environment (unset or empty: the default): COMPARE_NETS="seed wide",
# COMPARE_THREADS="1 <nproc>", COMPARE_EPOCHS (both networks; default 3 for seed,
# 2 for wide).
# Exit status: 0 ok, 1 a training failed, 2 bad input.
set -eu

nets=${COMPARE_NETS:-seed wide}
threads_in=${COMPARE_THREADS:-1 $(nproc)}
epochs_all=${COMPARE_EPOCHS:-}
ini=experiments/mnist.ini
data=data/mnist
out=results/compare
torch=harness/tools/torch-epoch.py

fail() { echo "compare: $*" >&2; exit 2; }
positive() {
    case $2 in '' | *[!0-9]* | 0*) fail "$1 = '$2': want a positive integer" ;; esac
    [ "${#2}" -le 6 ] || fail "$1 = '$2': too large"
}

# Every input is checked before the first training.
[ -z "$epochs_all" ] || positive COMPARE_EPOCHS "$epochs_all"
threads=
for t in $threads_in; do
    positive COMPARE_THREADS "$t"
    [ "$t" -le 1024 ] || fail "COMPARE_THREADS = '$t': at most 1024"
    case " $threads " in *" $t "*) ;; *) threads="$threads $t" ;; esac
done
for n in $nets; do
    case $n in seed | wide) ;; *) fail "COMPARE_NETS: unknown network '$n' (seed, wide)" ;; esac
done
[ -x ./experiment ] || fail "./experiment is not built (make)"
[ -f "$ini" ] || fail "$ini is missing"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [ -f "$data/$f" ] || fail "$data/$f is missing (make data; PyTorch reads the raw files, not .gz)"
done
/usr/bin/python3 -c 'import torch' 2>/dev/null ||
    fail "PyTorch is missing: sh harness/tools/deps.sh python3-torch (make compare does it)"
command -v awk >/dev/null || fail "awk is missing"

# The number of training images (IDX header, bytes 4-7 big-endian): val_split = 0 trains on all.
images=$(od -An -tu1 -j4 -N4 "$data/train-labels-idx1-ubyte" |
    awk '{ print ((($1 * 256 + $2) * 256 + $3) * 256 + $4) }')
positive "images in $data/train-labels-idx1-ubyte" "$images"

mkdir -p "$out"
csv=$out/.compare.csv.$$ log=$out/.run.log.$$
trap 'rm -f "$csv" "$log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# csvcol NAME FILE: column NAME of every data line of the CSV file FILE (quoted fields,
# such as model.layers, may hold commas); fails when FILE has no such column.
csvcol() {
    awk -v want="$1" '
        function split_csv(s, f,   n, q, c, i, cur) {
            n = 0; q = 0; cur = ""
            for (i = 1; i <= length(s); i++) {
                c = substr(s, i, 1)
                if (c == "\"") q = !q
                else if (c == "," && !q) { f[++n] = cur; cur = "" }
                else cur = cur c
            }
            f[++n] = cur
            return n
        }
        { sub(/\r$/, "") }
        NR == 1 { n = split_csv($0, h); for (i = 1; i <= n; i++) if (h[i] == want) col = i; if (!col) exit 1; next }
        { split_csv($0, v); print v[col] }
        END { if (!col) exit 1 }' "$2" || { echo "compare: no column $1 in $2" >&2; return 1; }
}

# steady: the mean of the numbers on stdin after the first (the first alone when it is the only one)
steady() {
    awk '/^[0-9.]+$/ { v[++n] = $1 }
        END { if (n == 0) exit 1; if (n == 1) { print v[1]; exit }
              s = 0; for (i = 2; i <= n; i++) s += v[i]; printf "%.4f\n", s / (n - 1) }'
}

commit=$(git rev-parse --short HEAD 2>/dev/null) && { git diff --quiet HEAD 2>/dev/null || commit=$commit-dirty; } ||
    commit=unknown
tv='' one=''
echo "network,layers,batch,epochs,threads,framework,version,seconds_per_epoch,images_per_second,test_acc" >"$csv"
for net in $nets; do
    if [ "$net" = seed ]; then layers=784,128,64,10 batch=32 epochs=${epochs_all:-3}
    else layers=784,1024,1024,10 batch=128 epochs=${epochs_all:-2}; fi
    [ "$epochs" -gt 1 ] || one=1
    for t in $threads; do
        name=compare-$net-t$t run=results/compare-$net-t$t
        echo "compare: $net network ($layers, batch $batch), $t thread(s), $epochs epoch(s): simd-mlp" >&2
        rm -rf "$run"
        ./experiment train "$ini" --set experiment.name="$name" --set data.dir="$data" \
            --set data.val_split=0 --set model.layers="$layers" --set train.batch="$batch" \
            --set train.epochs="$epochs" --set kernels.threads="$t" >"$log" 2>&1 ||
            { cat "$log" >&2; echo "compare: ./experiment train failed (above)" >&2; exit 1; }
        # torch-epoch.py trains plain Adam at a constant rate, without regularization or
        # augmentation: refuse a harness run that did anything else.
        for kv in train.optimizer=adam train.schedule=constant train.warmup_epochs=0 train.dropout=0 \
            train.weight_decay=0 train.max_norm=0 train.early_stop=0 data.augment=none; do
            v=$(csvcol "${kv%%=*}" "$run/summary.csv")
            [ "$v" = "${kv#*=}" ] || fail "$ini sets ${kv%%=*} = $v; torch-epoch.py does ${kv#*=} only"
        done
        lr=$(csvcol train.lr "$run/summary.csv")
        ema=$(csvcol train.ema "$run/summary.csv")
        seed=$(csvcol experiment.seed "$run/summary.csv")
        acc=$(csvcol test_acc "$run/summary.csv")
        secs=$(csvcol seconds "$run/epochs.csv")
        s=$(echo "$secs" | steady) || { echo "compare: no epoch times in $run/epochs.csv" >&2; exit 1; }
        ips=$(awk -v n="$images" -v s="$s" 'BEGIN { printf "%.0f", n / s }')
        echo "$net,$(echo "$layers" | tr , -),$batch,$epochs,$t,simd-mlp,$commit,$s,$ips,$acc" >>"$csv"

        echo "compare: $net network, $t thread(s): PyTorch (lr $lr, ema $ema, seed $seed)" >&2
        "$torch" --layers "$layers" --batch "$batch" --epochs "$epochs" --threads "$t" --data "$data" \
            --lr "$lr" --ema "$ema" --seed "$seed" >"$log" 2>&1 ||
            { cat "$log" >&2; echo "compare: $torch failed (above)" >&2; exit 1; }
        s=$(sed -n 's/^epoch [0-9]*: \([0-9.]*\) s.*/\1/p' "$log" | steady) ||
            { cat "$log" >&2; echo "compare: no epoch times in the output of $torch" >&2; exit 1; }
        acc=$(sed -n 's/^test accuracy \([0-9.]*\)%.*/\1/p' "$log" | awk '{ printf "%.6f\n", $1 / 100 }')
        tv=$(sed -n 's/^torch \([^,]*\),.*/\1/p' "$log")
        if [ -z "$acc" ] || [ -z "$tv" ]; then cat "$log" >&2; echo "compare: unexpected output of $torch" >&2; exit 1; fi
        ips=$(awk -v n="$images" -v s="$s" 'BEGIN { printf "%.0f", n / s }')
        echo "$net,$(echo "$layers" | tr , -),$batch,$epochs,$t,pytorch,$tv,$s,$ips,$acc" >>"$csv"
    done
done
mv "$csv" "$out/compare.csv"

cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
[ -n "$cpu" ] || cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)
echo
echo "$cpu, $(nproc) CPUs, $(date +%Y-%m-%d); simd-mlp $commit, PyTorch $tv; all $images training images;"
if [ -z "$one" ]; then echo "seconds per epoch: the mean over epochs 2..E (epoch 1, the warm-up, left out)"
else echo "seconds per epoch: epoch 1 alone where only one ran (warm-up included), else the mean over epochs 2..E"; fi
echo
echo "| network, batch | threads | simd-mlp s/epoch | PyTorch s/epoch | simd-mlp images/s | PyTorch images/s | simd-mlp / PyTorch (images/s) | test acc simd-mlp | PyTorch |"
echo "|---|---|---|---|---|---|---|---|---|"
awk -F, 'NR > 1 { row[$1 "," $5 "," $6] = $0; if ($6 == "pytorch") keys[++n] = $1 "," $5 }
    END { for (i = 1; i <= n; i++) {
        split(row[keys[i] ",simd-mlp"], o, ","); split(row[keys[i] ",pytorch"], p, ",")
        printf "| %s, %s | %s | %.3f | %.3f | %d | %d | %.2fx | %.2f%% | %.2f%% |\n",
            p[2], p[3], p[5], o[8], p[8], o[9], p[9], o[9] / p[9], 100 * o[10], 100 * p[10] } }' "$out/compare.csv"
echo
echo "wrote $out/compare.csv (the harness's runs: results/compare-<network>-t<threads>/)"
