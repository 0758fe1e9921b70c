# coopd — see README.md. `make` builds build/coopd; `make test` and `make run` also install the
# Debian packages they need (deploy/local/deps.sh), so a fresh Debian 12 machine needs nothing else.

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   := build
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 -pthread \
           -fstack-protector-strong -Iservice -I$(PQ_INCLUDE) -I/usr/include/libxml2 -MMD -MP
LDLIBS  := -lcivetweb -lpq -ljansson -ljwt -lxml2 -lhpdf -lfribidi -lunistring -lcrypt -lcrypto -lcurl -lpthread -lm
PQ_INCLUDE := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRC       := $(filter-out service/tools/%,$(shell find service -name '*.c' | sort))
LIB_SRC   := $(filter-out service/main.c,$(SRC))
MIGRATIONS:= $(sort $(wildcard sql/[0-9]*.sql))
FUNCTIONS := $(sort $(wildcard sql/functions/*.sql))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
# The API reference page (GET /v1/docs): our HTML and Redoc's script, from docs/web/ (npm).
DOCS_JS   := docs/web/node_modules/redoc/bundles/redoc.standalone.js
DOCS_FILES:= docs/web/index.html $(BUILD)/gen/docs/redoc.standalone.js

OBJ       := $(SRC:%.c=$(BUILD)/obj/%.o)
SAN_OBJ   := $(SRC:%.c=$(BUILD)/san/%.o)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/san/%.o) $(BUILD)/san/embedded.o
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all san unit test test-unit test-api test-ha run bench fmt clean install deps-build deps-run \
        deps-test deps-bench fuzz-build fuzz fuzz-smoke
all: $(BUILD)/coopd

# --- generated: the OpenAPI document as JSON, and the files embedded in the binary ---------
$(BUILD)/yaml2json: service/tools/yaml2json.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror $< -lyaml -ljansson -o $@

$(BUILD)/gen/openapi.json: api/openapi.yaml $(BUILD)/yaml2json
	@mkdir -p $(@D)
	$(BUILD)/yaml2json $< $@

$(BUILD)/gen/embedded.S: service/tools/embed.sh api/openapi.yaml $(BUILD)/gen/openapi.json $(MIGRATIONS) $(FUNCTIONS) $(DOCS_FILES)
	@mkdir -p $(@D)
	sh service/tools/embed.sh api/openapi.yaml $(BUILD)/gen/openapi.json $(MIGRATIONS) -- $(FUNCTIONS) -- $(DOCS_FILES) > $@

# Redoc's standalone bundle, installed from the pinned docs/web/package-lock.json. Only when it
# is missing or older than the lock file: a machine that has it builds without the network.
# npm gives unpacked files an old fixed time, hence the touch.
$(DOCS_JS): docs/web/package.json docs/web/package-lock.json
	@deploy/local/deps.sh build
	cd docs/web && npm ci --omit=peer --ignore-scripts --no-audit --no-fund --loglevel=error
	@test -s $@ && touch $@

# Redoc's sidebar shows a logo from Redocly's CDN: the page's Content-Security-Policy blocks it,
# with an error in the browser console. It becomes an empty data: image, which Redoc's own
# onError handler hides. The build fails if the bundle names another CDN resource.
$(BUILD)/gen/docs/redoc.standalone.js: $(DOCS_JS)
	@mkdir -p $(@D)
	sed 's|https://cdn\.redoc\.ly/redoc/logo-mini\.svg|data:,|' $< > $@.tmp
	@if grep -o 'https://cdn[^"]*' $@.tmp; then echo "$<: a CDN resource is left" >&2; exit 1; fi
	mv $@.tmp $@

# .incbin reads the files at assembly time: they are prerequisites of the object too.
$(BUILD)/obj/embedded.o $(BUILD)/san/embedded.o: $(BUILD)/gen/embedded.S $(MIGRATIONS) $(FUNCTIONS) api/openapi.yaml $(DOCS_FILES)
	@mkdir -p $(@D)
	$(CC) -c $< -o $@

# --- the service ----------------------------------------------------------------------------
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -c $< -o $@

$(BUILD)/coopd: $(OBJ) $(BUILD)/obj/embedded.o
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# The same service with AddressSanitizer and UndefinedBehaviorSanitizer: the test suite runs
# against this one as well.
$(BUILD)/coopd-san: $(SAN_OBJ) $(BUILD)/san/embedded.o
	$(CC) $(CFLAGS) $(SAN) $^ $(LDLIBS) -o $@
san: $(BUILD)/coopd-san

# --- unit tests (pure C, sanitized) ---------------------------------------------------------
$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(SAN) -Itests/unit $^ $(LDLIBS) -o $@
unit: $(UNIT_BIN)

# --- fuzzing (clang + libFuzzer; tests/fuzz/README.md) -------------------------------------
# Every object the unit tests link, rebuilt with clang and coverage instrumentation under
# build/fuzz/obj/, plus one binary per tests/fuzz/fuzz_<name>.c. `make fuzz` runs each target
# for FUZZ_SECONDS on a copy of its corpus (build/fuzz/work/); `make fuzz-smoke` (`make test`)
# replays the committed corpora and runs a short bounded mutation.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := $(filter-out -O% -fstack-protector-strong,$(CFLAGS)) -O1 -g -Itests/fuzz
FUZZ_OBJ     := $(LIB_OBJ:$(BUILD)/san/%=$(BUILD)/fuzz/obj/%)
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_MAIN    := $(FUZZ_BIN:$(BUILD)/fuzz/%=$(BUILD)/fuzz/obj/tests/fuzz/%.o)

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

# The embedded files (data only): .incbin reads them at assembly time.
$(BUILD)/fuzz/obj/%.o: $(BUILD)/gen/%.S $(MIGRATIONS) $(FUNCTIONS) api/openapi.yaml $(DOCS_FILES)
	@mkdir -p $(@D)
	$(FUZZ_CC) -c $< -o $@

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

# clang and libFuzzer come with the test packages: installed (if missing) before any compile.
$(FUZZ_OBJ) $(FUZZ_MAIN): | deps-test
fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@tests/fuzz/run.sh fuzz $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	@tests/fuzz/run.sh smoke

-include $(FUZZ_OBJ:.o=.d) $(FUZZ_MAIN:.o=.d)

# --- commands -------------------------------------------------------------------------------
deps-build:
	@deploy/local/deps.sh build
deps-run:
	@deploy/local/deps.sh run
deps-test:
	@deploy/local/deps.sh test
deps-bench:
	@deploy/local/deps.sh bench

# Unit tests, then the API suite against the plain and the sanitized binary; one summary line.
test: deps-test
	@$(MAKE) --no-print-directory all san unit
	@tests/run.sh

# The tests on a primary and a streaming standby of their own alone (tests/ha/, also the last
# step of `make test`): failover under load with two coopd instances, and read replicas.
test-ha: deps-test
	@$(MAKE) --no-print-directory all
	@COOPD_BIN=$(BUILD)/coopd timeout -k 10 240 node --test --test-timeout=150000 --test-reporter=spec \
		tests/ha/*.test.mjs

run: deps-run
	@$(MAKE) --no-print-directory all
	@exec deploy/local/run.sh

bench: deps-bench
	@$(MAKE) --no-print-directory all
	@tests/bench/bench.sh

fmt:
	clang-format -i $$(find service tests/unit tests/fuzz -name '*.[ch]')

install: $(BUILD)/coopd
	install -D -m 0755 $(BUILD)/coopd $(DESTDIR)$(PREFIX)/bin/coopd
	install -D -m 0644 api/openapi.yaml $(DESTDIR)$(PREFIX)/share/coopd/openapi.yaml
	install -D -m 0644 deploy/systemd/coopd.service $(DESTDIR)$(PREFIX)/share/coopd/coopd.service

clean:
	rm -rf $(BUILD)

-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d)
