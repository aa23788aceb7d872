# Builds and installs the C library: libgazette.so.0 (+ .a), gazette.h, gazette.pc.
#
#   make                    build the library (release profile)
#   make install PREFIX=/usr/local DESTDIR=/tmp/stage
#   make uninstall PREFIX=... DESTDIR=...
#   make header             regenerate include/gazette.h (needs cbindgen 0.29.4)
#   make check-c            build and run the C test suite (tests/c/run)
#   make PROFILE=debug ...  use the debug build instead
#
# Installed layout: $(LIBDIR)/libgazette.so.$(VERSION), libgazette.so.0 and
# libgazette.so symlinks, libgazette.a, $(INCLUDEDIR)/gazette.h and
# $(LIBDIR)/pkgconfig/gazette.pc. The soname is libgazette.so.0: bumped on
# any ABI break while the version is 0.x.

PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PROFILE ?= release
CARGO ?= cargo

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
SOVERSION := 0
# Native libraries the static library needs (rustc --print native-static-libs).
LIBS_PRIVATE := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

ifeq ($(PROFILE),release)
CARGO_FLAGS := --release
TARGET_DIR := target/release
else
CARGO_FLAGS :=
TARGET_DIR := target/debug
endif

.PHONY: all build install uninstall header check-c pc clean-c

all: build

build:
	$(CARGO) build --lib $(CARGO_FLAGS)

$(TARGET_DIR)/gazette.pc: gazette.pc.in Cargo.toml
	mkdir -p $(TARGET_DIR)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@LIBS_PRIVATE@|$(LIBS_PRIVATE)|' $< > $@

pc: $(TARGET_DIR)/gazette.pc

install: build pc
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	install -m 755 $(TARGET_DIR)/libgazette.so $(DESTDIR)$(LIBDIR)/libgazette.so.$(VERSION)
	ln -sf libgazette.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libgazette.so.$(SOVERSION)
	ln -sf libgazette.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libgazette.so
	install -m 644 $(TARGET_DIR)/libgazette.a $(DESTDIR)$(LIBDIR)/libgazette.a
	install -m 644 include/gazette.h $(DESTDIR)$(INCLUDEDIR)/gazette.h
	install -m 644 $(TARGET_DIR)/gazette.pc $(DESTDIR)$(LIBDIR)/pkgconfig/gazette.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libgazette.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libgazette.so.$(SOVERSION) \
	      $(DESTDIR)$(LIBDIR)/libgazette.so $(DESTDIR)$(LIBDIR)/libgazette.a \
	      $(DESTDIR)$(INCLUDEDIR)/gazette.h $(DESTDIR)$(LIBDIR)/pkgconfig/gazette.pc

header:
	scripts/gen-header

check-c:
	tests/c/run
