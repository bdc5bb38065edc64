#!/bin/sh
# With no arguments: run this worker's share of the study, `strategylab optimize` on the study
# STUDY of the storage STORAGE, TRIALS trials over JOBS parallel jobs. With arguments: run them as
# a strategylab command (e.g. `study show NAME --storage "$STORAGE"`).
set -eu
if [ "$#" -gt 0 ]; then
    exec strategylab "$@"
fi
: "${STRATEGY:?set STRATEGY to the .strat file the study runs (e.g. /strategies/momentum_long_short.strat)}"
: "${STUDY:?set STUDY to the study name}"
: "${STORAGE:?set STORAGE to the study storage URL (postgresql://user:password@host:port/database)}"
exec strategylab optimize "$STRATEGY" --study "$STUDY" --storage "$STORAGE" --trials "${TRIALS:-100}" --jobs "${JOBS:-1}"
