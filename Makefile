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
ARCH_TRIPLE := $(shell $(CC) -dumpmachine)

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2)
endif

PKGS        := libbpf inih jansson libmicrohttpd
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lz

BPF_CFLAGS  := -target bpf -mcpu=v3 -g -O2 -Wall -Werror \
	       -Iinclude -Imaps -Ibpf -I$(BUILD) -I/usr/include/$(ARCH_TRIPLE)
CFLAGS      ?= -O2 -g
USER_CFLAGS := $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
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
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
# libFuzzer needs clang's sanitizer runtime: the sources are compiled into
# the target with clang, not linked from the gcc-built libadm.
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Iuserspace/lib -Ibpf -D_GNU_SOURCE

BINS := $(BUILD)/admd $(BUILD)/admctl

.PHONY: all deps test test-build bench demo install clean fuzz
all: $(BUILD)/.deps $(BPF_OBJS) $(SKELS) $(BUILD)/libadm.a $(BINS)

# Installs missing Debian packages once; re-runs when the list changes.
$(BUILD)/.deps: scripts/deps.sh
	$(Q)mkdir -p $(@D)
	$(Q)scripts/deps.sh
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

$(BUILD)/userspace/%.o: userspace/%.c $(LIB_HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(BUILD)/san/userspace/%.o: userspace/%.c $(LIB_HDRS) $(SKELS)
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

$(BUILD)/tests/e2e/tools/%: tests/e2e/tools/%.c tests/e2e/tools/tool.h
	$(call msg,TOOL-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -o $@ $< -lpthread -lm

$(BUILD)/tests/bench/%: tests/bench/%.c $(BPF_TEST_LIB) $(SKELS) $(BUILD)/libadm.a
	$(call msg,BENCH-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/bpf -o $@ $< $(BPF_TEST_LIB) $(BUILD)/libadm.a $(PKG_LIBS) -lm

$(BUILD)/tests/fuzz/fuzz_parse: tests/fuzz/fuzz_parse.c bpf/lib/parse.h
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -o $@ $<

$(BUILD)/tests/fuzz/fuzz_config: tests/fuzz/fuzz_config.c userspace/lib/config.c userspace/lib/util.c userspace/lib/log.c $(LIB_HDRS)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS)

test-build: all $(UNIT_TESTS) $(BPF_TESTS) $(E2E_TOOLS) $(FUZZ_BINS)

# Every layer; the last line is "N passed, N failed, N skipped".
test: test-build
	$(Q)BUILD=$(BUILD) tests/run.sh

bench: all $(BENCH_BINS) $(E2E_TOOLS)
	$(Q)BUILD=$(BUILD) scripts/bench.sh

# Long versions of test-command scenarios (README, "Tests"): the breakers'
# no-flapping check over 60 s of healthy load.
.PHONY: soak
soak: test-build
	$(Q)STEADY_S=60 BUILD=$(BUILD) bash tests/e2e/test_breaker.sh

demo: all $(E2E_TOOLS)
	$(Q)BUILD=$(BUILD) scripts/demo.sh

install: all
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

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)
