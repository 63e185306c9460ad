#!/bin/sh
# One command on a fresh Debian 12 machine: install hull's build and runtime dependencies from
# Debian's archive, build everything, and run a container from the bundled busybox default.
set -eu
cd "$(dirname "$0")"
if [ "$(id -u)" != 0 ]; then
    echo "quickstart.sh: run as root (sudo ./quickstart.sh): it installs packages and runs containers" >&2
    exit 1
fi
scripts/install-deps
make
make demo
