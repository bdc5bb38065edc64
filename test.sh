#!/usr/bin/env bash
# The whole test suite: restore, build (warnings are errors), run every test project, and close
# with one 'N passed, N failed' line summed over the projects.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Debian packages the tests need: the report test opens HTML reports in headless Chromium; the
# study storage tests start PostgreSQL servers of their own with its initdb and pg_ctl (so the
# package is told not to create and start a cluster of its own); the operations tests start a Prometheus server of
# their own and check deploy/'s rules with promtool (both in Debian's prometheus package)
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    if [[ " ${missing[*]} " == *" postgresql "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
        $SUDO mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
    fi
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
dotnet build StrategyLab.sln -c Release
log=$(mktemp)
status=0
dotnet test StrategyLab.sln -c Release --no-build 2>&1 | tee "$log" || status=$?
awk '/^(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { v = $(i + 1); gsub(",", "", v);
       if ($i == "Failed:") f += v; if ($i == "Passed:") p += v; if ($i == "Skipped:") s += v } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
