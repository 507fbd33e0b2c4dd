#!/usr/bin/env bash
# Install the Debian packages tern's build and tests need, when missing.
# Quiet when everything is present. Needs root (or sudo) only to install.
set -euo pipefail
need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
check() { # command package
	have_cmd "$1" || have_pkg "$2" || need+=("$2")
}
check cmake cmake
check gcc gcc
check make make
check ping iputils-ping
check ip iproute2
check socat socat
check tshark tshark
check nc netcat-openbsd
check tcpdump tcpdump
check curl curl
check hping3 hping3
check python3 python3
check sha256sum coreutils
# tern bench tun-throughput's lwIP peer (bench/lwip): Debian's lwIP library.
have_pkg liblwip-dev || need+=(liblwip-dev)
# tern plot's test: SVG well-formedness and rendering to PNG.
check xmllint libxml2-utils
check rsvg-convert librsvg2-bin
# The fuzz harnesses (make fuzz, and briefly in make test): clang, and the
# compiler-rt package of its version, which holds libFuzzer.
check clang clang
have_libfuzzer() {
	have_cmd clang && echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' |
		clang -x c -fsanitize=fuzzer - -o /dev/null >/dev/null 2>&1
}
if ! have_libfuzzer; then
	if have_cmd clang; then
		rt="libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
	else
		rt=libclang-rt-dev # the one that goes with the default clang
	fi
	have_pkg "$rt" || need+=("$rt")
fi
# The SMPP interop tests' ESME client: the npm smpp package at the version
# pinned in tests/interop/smpp/package-lock.json, installed there (ignored
# by git) when missing. Without npm or the registry the tests say SKIPPED.
npm_deps() {
	local dir
	dir="$(cd "$(dirname "$0")/.." && pwd)/tests/interop/smpp"
	[ -f "$dir/node_modules/smpp/package.json" ] && return 0
	have_cmd npm || return 0
	echo "deps.sh: npm ci in tests/interop/smpp"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
		echo "deps.sh: npm ci failed; the SMPP interop tests will be skipped"
}
check node nodejs
check npm npm
[ ${#need[@]} -eq 0 ] && { npm_deps; exit 0; }
echo "deps.sh: installing ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq "${need[@]}" >/dev/null 2>&1; then
	$SUDO apt-get update -qq >/dev/null
	# tshark asks whether non-root users may capture; answer no.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
	$SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
npm_deps
