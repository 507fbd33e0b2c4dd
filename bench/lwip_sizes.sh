#!/bin/bash
# lwip_sizes.sh - print lwIP's per-connection record sizes (bench/lwip_sizes.c)
# as Debian's liblwip-dev configures them: conn-memory's documented peer.
# Prints SKIPPED when liblwip-dev is not installed (apt-get install liblwip-dev).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! pkg-config --exists lwip 2>/dev/null; then
	echo "SKIPPED: liblwip-dev is not installed (apt-get install liblwip-dev)"
	exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -std=gnu11 -O2 $(pkg-config --cflags lwip) \
	"$here/lwip_sizes.c" -o "$out/lwip_sizes"
"$out/lwip_sizes"
