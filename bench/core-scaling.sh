#!/usr/bin/env bash
# What a second core adds on this machine: each program alone on core 0, then one copy on each core at once
# (docs/performance.md, Sweep throughput). Needs gcc, openssl and python3; takes about a minute.
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
gcc -O2 -o "$bin/loop" "$root/reference/core_scaling.c"
echo "processor: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
pair() { # pair NAME COMMAND...: alone on core 0, then on cores 0 and 1 together
    local name=$1; shift
    local a b
    a=$(mktemp); b=$(mktemp)
    echo "$name alone: $(taskset -c 0 "$@")"
    (taskset -c 0 "$@" > "$a") & (taskset -c 1 "$@" > "$b") & wait
    echo "$name together: $(cat "$a") | $(cat "$b")"
    rm -f "$a" "$b"
}
pair "sum over 16 KB" "$bin/loop" 16384 600000
pair "sum over 256 MB" "$bin/loop" 268435456 8
pair "sha256 (bytes/s)" sh -c "openssl speed -seconds 4 -bytes 16384 -evp sha256 2>/dev/null | tail -1 | awk '{print \$NF}'"
pair "python loop (s)" /usr/bin/python3 -c "
import time
t = time.perf_counter(); s = 0
for i in range(30_000_000): s += i * i % 7
print(round(time.perf_counter() - t, 2))"
