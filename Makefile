# adm — build, test, install. `make V=1` shows the commands.
.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX   ?= /usr/local
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=
BUILD    ?= build
CLANG    ?= clang
CC       ?= cc
BPFTOOL  ?= bpftool
PKG_CONFIG  ?= pkg-config
DEPS_SCRIPT ?= scripts/deps.sh

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2)
endif

PKGS        := libbpf inih jansson libmicrohttpd hiredis libmariadb
# Asked when a recipe first needs them (after $(BUILD)/.deps installed the
# packages: a fresh machine has none when make reads this file), then kept
# (`lazy` turns the variable into a simple one on first use). A package
# pkg-config cannot find stops the build with one sentence, never a link
# line without its libraries.
lazy = $(eval $1 := $2)$($1)
pkg_ask = $(call pkg_check,$1,$(shell $(PKG_CONFIG) --$1 $(PKGS) 2>/dev/null && echo PKG_CONFIG_OK))
pkg_check = $(if $(filter PKG_CONFIG_OK,$2),$(filter-out PKG_CONFIG_OK,$2),$(error \
	'$(PKG_CONFIG) --$1 $(PKGS)' failed: a package is missing; install them with 'make deps' ($(DEPS_SCRIPT))))
PKG_CFLAGS  = $(call lazy,PKG_CFLAGS,$(call pkg_ask,cflags))
PKG_LIBS    = $(call lazy,PKG_LIBS,$(call pkg_ask,libs) -lelf -lz)
ARCH_TRIPLE = $(call lazy,ARCH_TRIPLE,$(shell $(CC) -dumpmachine))

BPF_CFLAGS   = -target bpf -mcpu=v3 -g -O2 -Wall -Werror \
	       -Iinclude -Imaps -Ibpf -I$(BUILD) -I/usr/include/$(ARCH_TRIPLE)
CFLAGS      ?= -O2 -g
USER_CFLAGS  = $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	       -Iinclude -Iuserspace/lib -I$(BUILD)/bpf $(PKG_CFLAGS)
SAN_FLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRCS))
BPF_DEPS  := $(wildcard include/adm/*.h maps/*.h bpf/lib/*.h)

LIB_SRCS  := $(wildcard userspace/lib/*.c)
LIB_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
SAN_OBJS  := $(patsubst %.c,$(BUILD)/san/%.o,$(LIB_SRCS))
LIB_HDRS  := $(wildcard userspace/lib/*.h include/adm/*.h)
ADMD_SRCS := $(wildcard userspace/admd/*.c)
ADMCTL_SRCS := $(wildcard userspace/admctl/*.c)

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_*.c))
BPF_TESTS  := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(wildcard tests/bpf/test_*.c))
BPF_TEST_LIB := $(filter-out $(wildcard tests/bpf/test_*.c),$(wildcard tests/bpf/*.c))
E2E_TOOLS  := $(patsubst tests/e2e/tools/%.c,$(BUILD)/tests/e2e/tools/%,$(wildcard tests/e2e/tools/*.c))
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(wildcard tests/bench/*.c))
BENCH_TOOLS := $(patsubst tests/bench/tools/%.c,$(BUILD)/tests/bench/tools/%,$(wildcard tests/bench/tools/*.c))
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
# libFuzzer needs clang's sanitizer runtime: the sources are compiled into
# the target with clang, not linked from the gcc-built libadm.
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Iuserspace/lib -Ibpf -D_GNU_SOURCE

BINS := $(BUILD)/admd $(BUILD)/admctl

.PHONY: all deps test test-build bench demo install install-monitoring clean fuzz soak
all: $(BUILD)/.deps $(BPF_OBJS) $(SKELS) $(BUILD)/libadm.a $(BINS)

# Installs missing Debian packages once; re-runs when the list changes.
# Every compile and link waits for it (order-only): pkg-config, the
# compilers and bpftool may not exist before it ran.
$(BUILD)/.deps: $(DEPS_SCRIPT)
	$(Q)mkdir -p $(@D)
	$(Q)$(DEPS_SCRIPT)
	$(Q)touch $@
deps: $(BUILD)/.deps

$(BUILD)/vmlinux.h: | $(BUILD)/.deps
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_DEPS) $(BUILD)/vmlinux.h | $(BUILD)/.deps
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .bpf,,$(basename $(notdir $<)))_bpf > $@

$(BUILD)/userspace/%.o: userspace/%.c $(LIB_HDRS) $(SKELS) | $(BUILD)/.deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(BUILD)/san/userspace/%.o: userspace/%.c $(LIB_HDRS) $(SKELS) | $(BUILD)/.deps
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/libadm.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/san/libadm.a: $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/admd: $(patsubst %.c,$(BUILD)/%.o,$(ADMD_SRCS)) $(BUILD)/libadm.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(BUILD)/admctl: $(patsubst %.c,$(BUILD)/%.o,$(ADMCTL_SRCS)) $(BUILD)/libadm.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# Unit tests: cmocka, built and run under ASan+UBSan.
$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/san/libadm.a $(LIB_HDRS)
	$(call msg,TEST-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -Ibpf $(SAN_FLAGS) -o $@ $< $(BUILD)/san/libadm.a $(PKG_LIBS) -lcmocka

$(BUILD)/tests/bpf/%: tests/bpf/%.c $(BPF_TEST_LIB) $(wildcard tests/bpf/*.h) $(SKELS) $(BUILD)/libadm.a
	$(call msg,TEST-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/bpf -o $@ $< $(BPF_TEST_LIB) $(BUILD)/libadm.a $(PKG_LIBS)

$(BUILD)/tests/e2e/tools/%: tests/e2e/tools/%.c tests/e2e/tools/tool.h | $(BUILD)/.deps
	$(call msg,TOOL-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $< -lpthread -lm

# Bench-only tools (the demo's and the benchmarks' load generator and
# backend) share the e2e tools' tool.h.
$(BUILD)/tests/bench/tools/%: tests/bench/tools/%.c tests/e2e/tools/tool.h | $(BUILD)/.deps
	$(call msg,TOOL-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/e2e/tools -o $@ $< -lpthread -lm

$(BUILD)/tests/bench/%: tests/bench/%.c $(BPF_TEST_LIB) $(SKELS) $(BUILD)/libadm.a
	$(call msg,BENCH-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/bpf -o $@ $< $(BPF_TEST_LIB) $(BUILD)/libadm.a $(PKG_LIBS) -lm

$(BUILD)/tests/fuzz/fuzz_parse: tests/fuzz/fuzz_parse.c bpf/lib/parse.h | $(BUILD)/.deps
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -o $@ $<

$(BUILD)/tests/fuzz/fuzz_config: tests/fuzz/fuzz_config.c userspace/lib/config.c userspace/lib/util.c userspace/lib/log.c $(LIB_HDRS) | $(BUILD)/.deps
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS)

test-build: all $(UNIT_TESTS) $(BPF_TESTS) $(E2E_TOOLS) $(BENCH_TOOLS) $(FUZZ_BINS)

# Every layer; the last line is "N passed, N failed, N skipped".
test: test-build
	$(Q)BUILD=$(BUILD) tests/run.sh

# The long versions of what the test command runs short: 5 minutes of
# churn (test_lifecycle.sh), 10^6 log records and a 60 s MariaDB outage
# (test_logs.sh).
soak: test-build
	$(Q)CHURN_S=300 BUILD=$(BUILD) bash tests/e2e/test_lifecycle.sh
	$(Q)STEADY_S=60 BUILD=$(BUILD) bash tests/e2e/test_breaker.sh
	$(Q)REDIS_OUTAGE_S=30 BUILD=$(BUILD) bash tests/e2e/test_cluster.sh
	$(Q)LOGS_VOLUME=1000000 LOGS_OUTAGE_S=60 BUILD=$(BUILD) bash tests/e2e/test_logs.sh

bench: all $(BENCH_BINS) $(E2E_TOOLS) $(BENCH_TOOLS)
	$(Q)BUILD=$(BUILD) scripts/bench.sh

demo: all $(E2E_TOOLS) $(BENCH_TOOLS)
	$(Q)BUILD=$(BUILD) scripts/demo.sh

install: all install-monitoring
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/adm/bpf \
		$(DESTDIR)/etc/adm $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 $(BPF_OBJS) $(DESTDIR)$(PREFIX)/lib/adm/bpf/
	install -m 0644 scripts/adm.conf.example $(DESTDIR)/etc/adm/adm.conf.example
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' scripts/admd.service.in \
		> $(DESTDIR)$(PREFIX)/lib/systemd/system/admd.service
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/doc/adm
	install -m 0644 docs/admd.8 docs/admctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 scripts/admctl.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/admctl
	install -m 0644 docs/control-protocol.md $(DESTDIR)$(PREFIX)/share/doc/adm/

# Prometheus rules (and their promtool tests) and the Grafana dashboard;
# nothing to build. README "Monitoring" says how to load them.
install-monitoring:
	install -d $(DESTDIR)$(PREFIX)/share/adm/prometheus $(DESTDIR)$(PREFIX)/share/adm/grafana
	install -m 0644 deploy/prometheus/adm.rules.yml deploy/prometheus/adm.rules.test.yml \
		$(DESTDIR)$(PREFIX)/share/adm/prometheus/
	install -m 0644 deploy/grafana/adm.json $(DESTDIR)$(PREFIX)/share/adm/grafana/

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)
