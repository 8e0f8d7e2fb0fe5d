#!/bin/sh
# Rebuilds TwophaseDummy.class from its source, reproducibly (see BUILD.md).
set -eu
cd "$(dirname "$0")"
javac --release 8 -g:none -implicit:none -Xlint:-options -encoding UTF-8 \
  -sourcepath stubs -d . TwophaseDummy.java
