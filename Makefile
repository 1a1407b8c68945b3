# A thin wrapper around CMake for people: `make site` and `make test` are the quick start.
BUILD    ?= build
SANBUILD ?= build-sanitize
TSANBUILD ?= build-tsan
WERROR   ?= ON
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS = -DREFPRESS_WERROR=$(WERROR)

.PHONY: all deps build site test test-sanitize test-tsan clean format

all: build

deps:
	@sh tools/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Installs what is missing, builds refpress, and builds this repository's site into public/.
site: build
	./$(BUILD)/refpress build .

# Installs what is missing, builds, and runs the whole test suite.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same suite in an AddressSanitizer + UndefinedBehaviorSanitizer build.
test-sanitize: deps
	cmake -S . -B $(SANBUILD) $(CMAKE_FLAGS) -DREFPRESS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(SANBUILD) -j $(JOBS)
	cd $(SANBUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

# The suite in a ThreadSanitizer build (pages render on several threads). The browser tests
# are left out: they test the pages, not the threads.
test-tsan: deps
	cmake -S . -B $(TSANBUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug \
		-DCMAKE_C_FLAGS="-fsanitize=thread -O1" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
		-DREFPRESS_CORPUS_PAGES=1000
	cmake --build $(TSANBUILD) -j $(JOBS)
	cd $(TSANBUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j $(JOBS) -LE browser

format:
	clang-format -i generator/*.c generator/*.h tests/unit/*.c

clean:
	rm -rf $(BUILD) $(SANBUILD) $(TSANBUILD) public
