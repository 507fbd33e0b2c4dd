# tern: the top-level wrapper around CMake.
#   make          build build/libtern.a, build/libtern.so, build/tern
#   make run      the simulator demo (no root needed)
#   make test     build, then run every test, plainly and under ASan+UBSan,
#                 then each fuzz harness briefly (FUZZ_TEST_SECONDS, default 20)
#   make fuzz     each libFuzzer harness for FUZZ_SECONDS (default 300)
#   make fuzz-corpus  regenerate the seed corpora in tests/fuzz/corpus
#   make bench    benchmarks (BENCH_ARGS="--json" etc.; docs/BENCHMARKS.md)
#   make install  install library, headers, tern.pc and the tern command
#   make clean
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 300
FUZZ_TEST_SECONDS ?= 20

.PHONY: all build deps run test test-plain test-asan test-fuzz fuzz fuzz-corpus bench install clean

all: build

deps:
	@bash scripts/deps.sh

build/CMakeCache.txt:
	@cmake -S . -B build -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS) >/dev/null

# Build output goes to build/build.log and is shown only when the build fails.
build: build/CMakeCache.txt
	@echo "building tern (log: build/build.log)"
	@cmake --build build -j $(JOBS) >build/build.log 2>&1 || { cat build/build.log; exit 1; }

run: deps build
	@./build/tern demo --out build/demo

build-asan/CMakeCache.txt:
	@cmake -S . -B build-asan -DTERN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null

test-plain: build
	@echo "== tests (plain build) =="
	@cd build && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan/CMakeCache.txt
	@echo "building the sanitizer build (log: build-asan/build.log)"
	@cmake --build build-asan -j $(JOBS) >build-asan/build.log 2>&1 || { cat build-asan/build.log; exit 1; }
	@echo "== tests (AddressSanitizer + UBSan build) =="
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

# The libFuzzer harnesses (tests/fuzz/README.md), built in build-fuzz with
# clang; scripts/fuzz.sh prints SKIPPED when clang/libFuzzer is missing.
test-fuzz:
	@bash scripts/fuzz.sh --test $(FUZZ_TEST_SECONDS)

fuzz: deps
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-corpus: build
	@rm -rf tests/fuzz/corpus
	@./build/tests/fuzz_gen_corpus tests/fuzz/corpus

test: deps
	@$(MAKE) --no-print-directory test-plain
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-fuzz

bench: build
	@./build/tern bench --bytes 1073741824 --conns 100000 $(BENCH_ARGS)
	@bash bench/callgrind_tun.sh build 16 200

install: build
	@cmake --install build

clean:
	@rm -rf build build-asan build-fuzz
