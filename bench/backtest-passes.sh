#!/usr/bin/env bash
# Side-by-side passes of the backtest workloads against the numpy/numba reference (docs/performance.md):
#
#   bench/backtest-passes.sh [PASSES] [PEERS_FOLDER]      (defaults: 7, ../shared/peers)
#
# Each pass runs the reference script once (its three cases in one process), then StrategyLab's three cases, one
# process each, right after it; with AVX2=1 in the environment StrategyLab's cases run a second time with AVX-512
# turned off (DOTNET_EnableAVX512=0), so both vector paths are measured in the same pass. The reference's inputs
# are made in a scratch copy of PEERS_FOLDER. Prints every pass, then the medians and ranges with the processor
# (lscpu) and the load average before and after. Needs /usr/bin/python3 with numpy and pandas (numba if installed).
set -euo pipefail
passes=${1:-7}
root=$(cd "$(dirname "$0")/.." && pwd)
peers=$(cd "${2:-$root/../shared/peers}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$peers"/. "$work/peers"
chmod -R u+w "$work/peers"
(cd "$work/peers" && /usr/bin/python3 make_data.py > /dev/null)
dotnet build "$root/bench/Bench" -c Release > /dev/null
bench=(dotnet run -c Release --no-build --project "$root/bench/Bench/StrategyLab.Bench.csproj" --)
cases=(xs_momentum_daily xs_momentum_minute sma_crossover)
paths=(avx512)
[[ "${AVX2:-0}" == 1 ]] && paths+=(avx2)

echo "processor: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for pass in $(seq "$passes"); do
    (cd "$work/peers" && /usr/bin/python3 backtest_numpy.py > "$work/peer-$pass.json")
    for path in "${paths[@]}"; do
        for c in "${cases[@]}"; do
            if [[ $path == avx2 ]]; then
                DOTNET_EnableAVX512=0 "${bench[@]}" backtest --peer "$work/peer-$pass.json" --case "$c" > "$work/ours-$pass-$path-$c.txt"
            else
                "${bench[@]}" backtest --peer "$work/peer-$pass.json" --case "$c" > "$work/ours-$pass-$path-$c.txt"
            fi
        done
    done
    echo "pass $pass done at $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

/usr/bin/python3 - "$work" "$passes" "${paths[@]}" << 'EOF'
import json, re, statistics, sys
work, passes, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
passes_seen = []
keys = {"xs_momentum_daily": "xs_daily", "xs_momentum_minute": "xs_minute", "sma_crossover": "sma_cross"}

def fmt(xs, f):
    return f"{f(statistics.median(xs))} ({f(min(xs))}–{f(max(xs))})"

for path in paths:
    print(f"\n{path} path: median (range) of {passes} passes")
    print("| workload | reference's best | StrategyLab | ratio | passes at 5× or more | memory bound | run ÷ bound |")
    print("|---|---|---|---|---|---|---|")
    for case, key in keys.items():
        ref, ms, speed, bound, machine = [], [], [], [], ""
        for p in range(1, passes + 1):
            peer = json.load(open(f"{work}/peer-{p}.json"))[key]
            ref.append(max(v for k, v in peer.items() if k.endswith("_per_s")))
            text = open(f"{work}/ours-{p}-{path}-{case}.txt").read()
            machine = text.splitlines()[0]
            m = re.search(r"best of \d+: ([0-9.]+) ms = ([0-9.]+)M", text)
            ms.append(float(m.group(1)))
            speed.append(float(m.group(2)) * 1e6)
            bound.append(float(re.search(r"memory bound .*?: ([0-9.]+) ms on", text).group(1)))
        ratio = [s / r for s, r in zip(speed, ref)]
        over = [t / b for t, b in zip(ms, bound)]
        print(f"| {case} | {fmt(ref, lambda x: f'{x / 1e6:.1f}M/s')} | {fmt(ms, lambda x: f'{x:.2f} ms')} | {fmt(ratio, lambda x: f'{x:.2f}×')} "
              f"| {sum(r >= 5 for r in ratio)} of {passes} | {fmt(bound, lambda x: f'{x:.2f} ms')} | {fmt(over, lambda x: f'{x:.1f}×')} |")
        passes_seen.append(f"{case}: " + ", ".join(f"{t:.2f} ms ({r:.2f}×)" for t, r in zip(ms, ratio)))
    print(machine)
    print("each pass in order:")
    for line in passes_seen:
        print("  " + line)
    passes_seen.clear()
EOF
