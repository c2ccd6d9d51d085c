# hepcnn: make NET=<networks/NET.lua> ARCH=<knl|hsw|skx|native> -> bin/NET-ARCH
# Targets: all (default), test, demo, bench, deps, clean, lint, fuzz. See README.md.
NET  ?= hep64
ARCH ?= native

CC      := mpicc
LUA     := lua5.4
ARCHS   := knl hsw skx native
NETS    := $(basename $(notdir $(wildcard networks/*.lua)))
# Each arch's compiler flags come from its table in gen/arch.lua (the one
# source; empty until lua5.4 is installed, which demo/test check first).
$(foreach a,$(ARCHS),$(eval ARCH_CFLAGS_$(a) := $(shell command -v $(LUA) >/dev/null 2>&1 && $(LUA) gen/main.lua --cflags $(a))))
WARN    := -Wall -Wextra
# -fno-trapping-math: branch-free epilogues vectorise; -fno-math-errno:
# sqrtf in Adam vectorises. Neither changes a result. -ffp-contract=fast:
# a*b+c may become one fused multiply-add (GCC's default but under -std=c11),
# rounded once: results move in the last bits, and the Winograd transforms
# and epilogues take fewer instructions. See docs/DESIGN.md.
CFLAGS  ?= -O3 -g
BASE_CFLAGS := -std=c11 -fopenmp -fno-trapping-math -fno-math-errno -ffp-contract=fast $(WARN) -Iruntime $(shell pkg-config --cflags hdf5 2>/dev/null)
HDF5_LIBS := $(shell pkg-config --libs hdf5 2>/dev/null || echo -lhdf5)
LIBS    := -lcjson $(HDF5_LIBS) -lz -lxsmm -lxsmmnoblas -lpthread -lm -ldl

# oneDNN is a benchmark-only dependency: compared against when installed.
ifneq ($(wildcard /usr/include/dnnl.h),)
BENCH_DNNL_SRC := bench/onednn.c
BENCH_DNNL_FLAGS := -DHEP_HAVE_DNNL
BENCH_DNNL_LIBS := -ldnnl
endif
# isa_guard.c is compiled once, for baseline x86-64: it runs before main and
# must run on any CPU (see runtime/isa_guard.c).
RUNTIME_SRC := $(filter-out runtime/main.c runtime/isa_guard.c,$(wildcard runtime/*.c))
ISA_GUARD   := build/isa_guard.o
RUNTIME_HDR := $(wildcard runtime/*.h)
GEN_SRC     := $(wildcard gen/*.lua gen/layers/*.lua templates/*.c tuning/*.lua)

ifeq ($(strip $(NET)),)
$(error NET is empty: name a network file, networks/NET.lua (have: $(NETS)))
endif
ifeq ($(filter $(ARCH),$(ARCHS)),)
$(error ARCH=$(ARCH) is not one of: $(ARCHS))
endif

.PHONY: all test demo demo-run bench bench-peers deps check-deps clean lint fuzz tune tune-candidate variant variant-deps
.SECONDARY:

all: bin/$(NET)-$(ARCH) bin/hepcnn-datagen bin/hepcnn-export bin/hepcnn-delphes

# Generated source: rebuilt when the network, generator or templates change.
build/%/model.c: $(GEN_SRC)
	@mkdir -p $(@D)
	@net=$$(echo $* | sed 's/-[^-]*$$//'); arch=$$(echo $* | sed 's/.*-//'); \
	  file=networks/$$net.lua; test -f $$file || file=tests/nets/$$net.lua; \
	  test -f $$file || { echo "make: no network file networks/$$net.lua (have: $(NETS))" >&2; exit 1; }; \
	  echo "  GEN   $$file ($$arch) -> $@"; \
	  CC="$(CC)" $(LUA) gen/main.lua $$file $$arch $(@D)

TEST_NETS := $(basename $(notdir $(wildcard tests/nets/*.lua)))
$(foreach n,$(NETS),$(foreach a,$(ARCHS),$(eval build/$(n)-$(a)/model.c: networks/$(n).lua)))
$(foreach n,$(TEST_NETS),$(foreach a,$(ARCHS),$(eval build/$(n)-$(a)/model.c: tests/nets/$(n).lua)))

$(ISA_GUARD): runtime/isa_guard.c runtime/model.h Makefile
	@mkdir -p $(@D)
	@echo "  CC    $< (x86-64 baseline)"
	@$(CC) -std=c11 -O2 -march=x86-64 -mtune=generic $(WARN) -Iruntime -c $< -o $@

# Runtime objects per arch (compiled with that arch's flags), and the
# folders of objects (build/tests-ARCH, build/san/*).
build/%/.dir:
	@mkdir -p $(@D) && touch $@
layer_test_objs = build/tests-$(1)/reference.o build/tests-$(1)/test_layers.o

define ARCH_RULES
# (Makefile and gen/arch.lua too, where the flags come from: a changed
# compiler flag must rebuild them.)
build/runtime-$(1)/%.o: runtime/%.c $(RUNTIME_HDR) Makefile gen/arch.lua | build/runtime-$(1)/.dir
	@echo "  CC    $$< ($(1))"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(1)) -c $$< -o $$@

build/%-$(1)/model.o: build/%-$(1)/model.c $(RUNTIME_HDR) Makefile gen/arch.lua
	@echo "  CC    $$< ($(1))"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(1)) -c $$< -o $$@

bin/%-$(1): $(ISA_GUARD) build/%-$(1)/model.o build/runtime-$(1)/main.o $(patsubst runtime/%.c,build/runtime-$(1)/%.o,$(RUNTIME_SRC))
	@mkdir -p bin
	@echo "  LD    $$@"
	@$(CC) -fopenmp $(CFLAGS) $$^ -o $$@ $(LIBS)

# Test and benchmark drivers linked against one generated model. The layer
# test's own code (the driver and the plain-loop reference) is compiled once
# per arch: make test links it into some 30 models, and compiling it for
# each took 4 s of the 15 of a test network's build.
build/tests-$(1)/%.o: tests/%.c tests/reference.h $(RUNTIME_HDR) Makefile gen/arch.lua | build/tests-$(1)/.dir
	@echo "  CC    $$< ($(1))"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(1)) -Itests -c $$< -o $$@

build/%-$(1)/test_layers: build/%-$(1)/model.o $(ISA_GUARD) $(call layer_test_objs,$(1))
	@echo "  LD    $$@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(1)) $$^ -o $$@ $(LIBS)

build/%-$(1)/test_arena: build/%-$(1)/model.o $(ISA_GUARD) build/runtime-$(1)/util.o tests/test_arena.c
	@echo "  LD    $$@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(1)) $$< $(ISA_GUARD) build/runtime-$(1)/util.o tests/test_arena.c -o $$@ $(LIBS)

build/%-$(1)/test_denormals: build/%-$(1)/model.o $(ISA_GUARD) tests/test_denormals.c runtime/denormals.h
	@echo "  LD    $$@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(1)) $$< $(ISA_GUARD) tests/test_denormals.c -o $$@ $(LIBS)

build/%-$(1)/test_gradcheck: build/%-$(1)/model.o $(ISA_GUARD) tests/test_gradcheck.c
	@echo "  LD    $$@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(1)) $$< $(ISA_GUARD) tests/test_gradcheck.c -o $$@ $(LIBS)

# The pooled epilogue alone, compiled for the arch (its ISA picks the code).
build/runtime-$(1)/test_epilogue: tests/test_epilogue.c $(RUNTIME_HDR) Makefile gen/arch.lua | build/runtime-$(1)/.dir
	@echo "  LD    $$@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(1)) tests/test_epilogue.c -o $$@ -lm

# The pooled epilogue's time per pixel, one row in L1 (bench/pool_epilogue.c).
build/runtime-$(1)/bench_pool_epilogue: bench/pool_epilogue.c $(RUNTIME_HDR) Makefile gen/arch.lua | build/runtime-$(1)/.dir
	@echo "  LD    $$@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(1)) bench/pool_epilogue.c -o $$@ -lm

# The dropout draws alone (Philox and the extraction are per ISA too).
build/runtime-$(1)/test_dropout: tests/test_dropout.c $(RUNTIME_HDR) Makefile gen/arch.lua | build/runtime-$(1)/.dir
	@echo "  LD    $$@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(1)) tests/test_dropout.c -o $$@ -lm

build/%-$(1)/bench_model: build/%-$(1)/model.o $(ISA_GUARD) bench/bench_model.c bench/peak.c bench/peak.h bench/onednn.c bench/onednn.h build/runtime-$(1)/init.o build/runtime-$(1)/optim.o build/runtime-$(1)/util.o build/runtime-$(1)/cpu_host.o
	@echo "  LD    $$@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(1)) $(BENCH_DNNL_FLAGS) $$< $(ISA_GUARD) bench/bench_model.c bench/peak.c $(BENCH_DNNL_SRC) build/runtime-$(1)/init.o build/runtime-$(1)/optim.o build/runtime-$(1)/util.o build/runtime-$(1)/cpu_host.o -o $$@ $(LIBS) $(BENCH_DNNL_LIBS)
endef
$(foreach a,$(ARCHS),$(eval $(call ARCH_RULES,$(a))))

# The pooled epilogue as plain C (x86-64 without AVX): the code any other
# CPU would take, masks included.
build/runtime-plain/test_epilogue: tests/test_epilogue.c $(RUNTIME_HDR) Makefile
	@mkdir -p $(@D)
	@echo "  LD    $@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) -march=x86-64 -mtune=generic tests/test_epilogue.c -o $@ -lm

# The loader's own test (no MPI ranks needed: it simulates them).
build/test_loader: tests/test_loader.c runtime/loader.c runtime/row_order.c runtime/h5files.c runtime/h5recheck.c runtime/h5retry.c runtime/h5syserr.c runtime/h5gzip.c runtime/file_stamp.c runtime/h5guard.c runtime/signals.c runtime/util.c runtime/loader.h runtime/row_order.h runtime/h5files.h runtime/h5recheck.h runtime/h5retry.h runtime/h5gzip.h runtime/file_stamp.h
	@mkdir -p build
	@echo "  LD    $@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) tests/test_loader.c runtime/loader.c runtime/row_order.c runtime/h5files.c runtime/h5recheck.c runtime/h5retry.c runtime/h5syserr.c runtime/h5gzip.c runtime/file_stamp.c runtime/h5guard.c runtime/signals.c runtime/util.c -o $@ $(HDF5_LIBS) -lz -lpthread -lm

# How a Winograd tile row is cut into parts for many threads (runtime/pieces.h).
build/test_pieces: tests/test_pieces.c runtime/pieces.h
	@mkdir -p build
	@echo "  LD    $@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) tests/test_pieces.c -o $@

# An error line: printable, and one write per line (runtime/printable.h).
build/test_printable: tests/test_printable.c runtime/printable.h
	@mkdir -p build
	@echo "  LD    $@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) -Iruntime tests/test_printable.c -o $@

# The HDF5 crash guard on faults of its own making.
build/test_h5guard: tests/test_h5guard.c runtime/h5guard.c runtime/h5guard.h
	@mkdir -p build
	@echo "  LD    $@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) tests/test_h5guard.c runtime/h5guard.c -o $@ -lpthread

# The memory check's reading of /proc and cgroups, on made-up trees.
build/test_memory: tests/test_memory.c runtime/memory.c runtime/util.c runtime/memory.h runtime/util.h
	@mkdir -p build
	@echo "  LD    $@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) tests/test_memory.c runtime/memory.c runtime/util.c -o $@

# The dataset generator (one binary, not per arch).
# A checkpoint as an ONNX model (plain C, no generated code: the network
# comes from the checkpoint's layer table).
bin/hepcnn-export: tools/export.c runtime/h5guard.c runtime/h5syserr.c runtime/h5syserr.h runtime/protobuf.h runtime/digest.h runtime/printable.h runtime/h5single.h runtime/h5open.h runtime/h5guard.h
	@mkdir -p bin
	@echo "  CC    $@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) -march=x86-64 -Iruntime $< runtime/h5guard.c runtime/h5syserr.c -o $@ -lcjson $(HDF5_LIBS)

# hep64 (native) and the exporter built with AddressSanitizer and UBSan, in
# build/san/ (make test's sanitizer suite runs them; a report is a failure).
# ThreadSanitizer: run with OMP_NUM_THREADS=1 (it does not see libgomp's own
# synchronisation), it checks the data loader's I/O thread against the rest.
# One object per source file (build/san/asan/, build/san/tsan/), so that
# make's jobs compile them side by side: a single compiler command took a
# minute on its own for each build. (Only the link is named, as before.)
SAN_CFLAGS  := -O2 -g -fno-omit-frame-pointer -fsanitize=address,undefined
TSAN_CFLAGS := -O2 -g -fsanitize=thread
san_objs = $(patsubst runtime/%.c,build/san/$(1)/%.o,runtime/main.c $(RUNTIME_SRC)) build/san/$(1)/model.o
# SAN_RULES NAME FLAGS-VARIABLE (a variable's name: the flags hold a comma)
define SAN_RULES
build/san/$(1)/%.o: runtime/%.c $(RUNTIME_HDR) Makefile gen/arch.lua | build/san/$(1)/.dir
	@$(CC) $(BASE_CFLAGS) $($(2)) $(ARCH_CFLAGS_native) -c $$< -o $$@
build/san/$(1)/model.o: build/hep64-native/model.c $(RUNTIME_HDR) Makefile gen/arch.lua | build/san/$(1)/.dir
	@$(CC) $(BASE_CFLAGS) $($(2)) $(ARCH_CFLAGS_native) -c $$< -o $$@
endef
$(eval $(call SAN_RULES,asan,SAN_CFLAGS))
$(eval $(call SAN_RULES,tsan,TSAN_CFLAGS))
build/san/hep64-native: $(call san_objs,asan) $(ISA_GUARD)
	@echo "  LD    $@ (AddressSanitizer, UBSan)"
	@$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $^ -o $@ $(LIBS)
build/san/hep64-native-tsan: $(call san_objs,tsan) $(ISA_GUARD)
	@echo "  LD    $@ (ThreadSanitizer)"
	@$(CC) $(BASE_CFLAGS) $(TSAN_CFLAGS) $^ -o $@ $(LIBS)
build/san/hepcnn-export: tools/export.c runtime/h5guard.c runtime/h5syserr.c runtime/h5syserr.h runtime/protobuf.h runtime/digest.h runtime/printable.h runtime/h5guard.h
	@mkdir -p $(@D)
	@echo "  LD    $@ (AddressSanitizer, UBSan)"
	@$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) -Iruntime $< runtime/h5guard.c runtime/h5syserr.c -o $@ -lcjson $(HDF5_LIBS)

# Delphes ROOT files to the seed's HDF5 images: a Python program that runs
# in build/venv (uproot), made on first use.
bin/hepcnn-delphes: tools/delphes.py tools/venv.sh
	@mkdir -p bin
	@printf '#!/bin/sh\n# bin/hepcnn-delphes: tools/delphes.py in the project'"'"'s Python environment (tools/venv.sh)\nroot=$$(cd "$$(dirname "$$0")/.." && pwd)\npy=$$("$$root/tools/venv.sh" ensure) || exit 1\nexec "$$py" "$$root/tools/delphes.py" "$$@"\n' > $@
	@chmod +x $@

bin/hepcnn-datagen: tools/datagen.c runtime/rng.h runtime/h5open.h runtime/h5syserr.c runtime/h5syserr.h
	@mkdir -p bin
	@echo "  CC    $@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) -march=x86-64-v2 $< runtime/h5syserr.c -o $@ $(HDF5_LIBS) -lm

# The Debian packages (the list is in tools/deps.sh). demo and test check
# them first: as root they install what is missing, otherwise they say what
# to run.
deps:
	bash tools/deps.sh install
	bash tools/venv.sh ensure >/dev/null

check-deps:
	@bash tools/deps.sh check

test: check-deps
	@bash tests/run.sh

# A small 64x64 dataset from the generator, then hep64 trained on it for a few
# epochs, with validation accuracy and AUC at each epoch end, then the test
# files: the CNN against the standard cuts. (Demo data written before psr
# held the cuts' decision, without the mass dataset, is written again.)
DEMO_DATA := data/demo_64
demo: check-deps
	@$(MAKE) --no-print-directory demo-run

demo-run: bin/hep64-$(ARCH) bin/hepcnn-datagen
	@h5ls $(DEMO_DATA)/test_000.h5 2>/dev/null | grep -q '^mass ' || bin/hepcnn-datagen --outdir=$(DEMO_DATA) \
	  --size=64 --train=2048 --train_files=2 --val=1024 --test=2048 --seed=7
	@rm -rf runs/demo   # a fresh run: checkpoints left in outputpath would be resumed
	bin/hep64-$(ARCH) --config=configs/demo_64.json --inputpath=$(DEMO_DATA) --outputpath=runs/demo
	bin/hep64-$(ARCH) --config=configs/demo_64.json --inputpath=$(DEMO_DATA) --outputpath=runs/demo --mode=test

# make bench NET=.. benchmarks that network alone; ARCH=.. on the command
# line stands for BENCH_ARCHS (bench/run.sh lists its variables).
bench:
	@$(if $(filter command line,$(origin NET)),BENCH_NET=$(NET)) \
	  $(if $(filter command line,$(origin ARCH)),BENCH_ARCHS="$(ARCH)") bash bench/run.sh

# The TensorFlow peer for make bench: tensorflow-cpu from PyPI in a virtual
# environment of the project's own (about 1.6 GB).
bench-peers:
	@test -x build/venv-peers/bin/python || /usr/bin/python3 -m venv build/venv-peers
	build/venv-peers/bin/pip install -q tensorflow-cpu

# make tune NET=.. ARCH=..: times candidate blockings of every conv layer on
# this machine and writes the fastest into tuning/<arch>.lua (native:
# the file of the arch whose blocking it follows), which the generator then
# uses. TUNE_STEPS timed steps per candidate and round (default 3),
# TUNE_ROUNDS rounds of timing every candidate in turn (default 3), TUNE_BATCH the
# batch (default 16 for 224x224 inputs, 64 otherwise), TUNE_JOBS candidate
# builds at a time (default the online CPUs; builds never overlap a timing),
# TUNE_MARGIN the gain a choice must show (default 0.03), TUNE_DENSE_SHARE the
# share of the step under which the first dense layer is not raced (0.01).
tune: $(ISA_GUARD)
	@CC="$(CC)" $(LUA) gen/tune.lua $(NET) $(ARCH)

# One build of NET for ARCH with another tuning file, in its own folder:
# make variant NET=.. ARCH=.. TUNING=FILE VARIANT_DIR=DIR gives DIR/model.c,
# DIR/tune_model (the tuner's timing driver), DIR/test_layers, DIR/hepcnn
# (the training binary, as bin/NET-ARCH) and
# DIR/model.so, the model as a library for build/ab_models (tools/ab_models.c:
# builds compared step by step in one process, `build/ab_models BATCH STEPS
# DIR...`). model.o is position-independent for the library, as Debian's
# GCC makes executables' code anyway (PIE). make tune-candidate, the part
# that make tune builds of each candidate, stops at DIR/tune_model: a
# quarter less compiling, and make tune runs several side by side.
# A candidate compiles without -g: GCC's debug information changes no
# instruction (hep224's skx model.o had the same .text bytes either way),
# and leaving it out took a quarter off each of make tune's 40-odd builds.
# make variant keeps it, for perf and gdb on its builds.
CANDIDATE_CFLAGS = $(filter-out -g,$(CFLAGS))
tune-candidate: $(ISA_GUARD)
	@test -n "$(TUNING)" -a -n "$(VARIANT_DIR)" || { echo "make variant and make tune-candidate need TUNING=FILE and VARIANT_DIR=DIR" >&2; exit 2; }
	@mkdir -p $(VARIANT_DIR)
	@file=networks/$(NET).lua; test -f $$file || file=tests/nets/$(NET).lua; \
	  CC="$(CC)" $(LUA) gen/main.lua $$file $(ARCH) $(VARIANT_DIR) --tuning=$(TUNING)
	@$(CC) $(BASE_CFLAGS) $(CANDIDATE_CFLAGS) $(ARCH_CFLAGS_$(ARCH)) -fPIC -c $(VARIANT_DIR)/model.c -o $(VARIANT_DIR)/model.o
	@$(CC) $(BASE_CFLAGS) $(CANDIDATE_CFLAGS) $(ARCH_CFLAGS_$(ARCH)) $(VARIANT_DIR)/model.o $(ISA_GUARD) tools/tune_model.c \
	  -o $(VARIANT_DIR)/tune_model $(LIBS)

# variant-deps: what the variants of one ARCH share, made before several
# variants go side by side (tests/lib.sh, prebuild_variants), as two makes
# must not write one object at once.
variant-deps: build/ab_models $(ISA_GUARD) build/runtime-$(ARCH)/main.o \
              $(patsubst runtime/%.c,build/runtime-$(ARCH)/%.o,$(RUNTIME_SRC)) $(call layer_test_objs,$(ARCH))
variant: CANDIDATE_CFLAGS = $(CFLAGS)
variant: tune-candidate variant-deps
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(ARCH)) -shared -Wl,-Bsymbolic $(VARIANT_DIR)/model.o \
	  -o $(VARIANT_DIR)/model.so $(LIBS)
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(ARCH_CFLAGS_$(ARCH)) $(VARIANT_DIR)/model.o $(ISA_GUARD) \
	  $(call layer_test_objs,$(ARCH)) -o $(VARIANT_DIR)/test_layers $(LIBS)
	@$(CC) -fopenmp $(CFLAGS) $(ISA_GUARD) $(VARIANT_DIR)/model.o build/runtime-$(ARCH)/main.o \
	  $(patsubst runtime/%.c,build/runtime-$(ARCH)/%.o,$(RUNTIME_SRC)) -o $(VARIANT_DIR)/hepcnn $(LIBS)

# Arch-neutral: it only loads the builds' libraries (their code checks
# nothing of the CPU: run a build's tune_model first on an unknown host).
build/ab_models: tools/ab_models.c tools/timing.h runtime/model.h Makefile
	@mkdir -p $(@D)
	@echo "  CC    tools/ab_models.c"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) -march=x86-64 -mtune=generic $< -o $@ -ldl

lint:
	luacheck gen

# Fuzzing for developers (clang with libFuzzer: make deps installs it): the run
# configuration parser under libFuzzer with ASan, UBSan and leak checks for
# FUZZ_SECONDS, then FUZZ_NETWORKS mutated network files through the generator and
# FUZZ_H5 mutated HDF5 data files through a training run and as many
# mutated checkpoints through a resumed one and through hepcnn-export.
FUZZ_SECONDS ?= 60
FUZZ_NETWORKS ?= 300
FUZZ_H5 ?= 100
FUZZ_CONFIG_SRC := tests/fuzz/fuzz_config.c runtime/config.c runtime/config_network.c runtime/lr_schedule.c runtime/numtext.c
build/fuzz/fuzz_config: $(FUZZ_CONFIG_SRC) runtime/config.h runtime/lr_schedule.h runtime/numtext.h build/hep64-native/model.o
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Iruntime $(FUZZ_CONFIG_SRC) \
	  build/hep64-native/model.o -o $@ -lcjson -lxsmm -lxsmmnoblas -fopenmp -lpthread -lm -ldl
fuzz: build/fuzz/fuzz_config
	@mkdir -p build/fuzz/config-corpus && cp configs/*.json build/fuzz/config-corpus/
	@cd build/fuzz && ASAN_OPTIONS=detect_leaks=1 ./fuzz_config config-corpus -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=4096 -rss_limit_mb=12000 -malloc_limit_mb=1024 -print_final_stats=1 > fuzz_config.log 2>&1; \
	  rc=$$?; grep -E '^stat::(number_of_executed|new_units)|ERROR|SUMMARY|artifact' fuzz_config.log; \
	  echo "config fuzzing: exit $$rc (log: build/fuzz/fuzz_config.log)"; exit $$rc
	python3 tests/fuzz/mutate_networks.py $(FUZZ_NETWORKS)
	@$(MAKE) --no-print-directory -s bin/hep64-native bin/hepcnn-datagen bin/hepcnn-export
	/usr/bin/python3 tests/fuzz/mutate_h5.py data $(FUZZ_H5)
	/usr/bin/python3 tests/fuzz/mutate_h5.py checkpoints $(FUZZ_H5)
	/usr/bin/python3 tests/fuzz/mutate_h5.py export $(FUZZ_H5)

clean:
	rm -rf build bin
