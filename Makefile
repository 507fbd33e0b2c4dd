# tern: the top-level wrapper around CMake.
#   make          build build/libtern.a, build/libtern.so, build/tern
#   make run      the simulator demo (no root needed)
#   make test     build, then run every test, plainly and under ASan+UBSan
#   make bench    benchmarks
#   make install  install library, headers, tern.pc and the tern command
#   make clean
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
CMAKE_FLAGS ?=

.PHONY: all build deps run test test-plain test-asan bench install clean

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
	@./build/tern demo --pcap build/demo.pcap

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

test: deps
	@$(MAKE) --no-print-directory test-plain
	@$(MAKE) --no-print-directory test-asan

bench: build
	@./build/tern bench

install: build
	@cmake --install build

clean:
	@rm -rf build build-asan
