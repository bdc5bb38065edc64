#!/usr/bin/python3
"""The sweep peer: shared/peers/backtest_numpy.py's daily cross-sectional momentum backtest looped over a
10 x 10 grid (lookback 5, 10, ..., 50 bars; k 1..10 long and short), on the same inputs, printing JSON.

    /usr/bin/python3 bench/reference/sweep_numpy.py [--repeats 3] > sweep_peer.json

The backtest is the reference's (prices, momentum, a stable argsort per bar, weights of +-1/(2k), P&L
on weights less 5 bps of turnover, statistics from the first bar that holds a position), with the
lookback and k as arguments instead of constants. The whole grid is timed, best of --repeats, on one
thread (numpy's sorts and sums run single-threaded), and every trial's statistics are written so the
other side can compare them.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "peers")
sys.path.insert(0, os.path.abspath(os.environ.get("PEERS_DIR", PEERS)))
import backtest_numpy as ref  # noqa: E402  (prices, metrics and the data loader of the reference)

FEE = 0.0005
LOOKBACKS = list(range(5, 55, 5))
KS = list(range(1, 11))


def weights(P, lookback, k):
    T, A = P.shape
    mom = P[lookback:] / P[:-lookback] - 1.0
    order = np.argsort(mom, axis=1, kind="stable")
    w = np.zeros((T, A))
    rows = np.arange(lookback, T)[:, None]
    w[rows, order[:, :k]] = -1.0 / (2 * k)
    w[rows, order[:, -k:]] = 1.0 / (2 * k)
    return w


def pnl(r, w, lookback, ppy):
    T = r.shape[0]
    wprev = np.vstack([np.zeros((1, r.shape[1])), w[:-1]])
    turn = np.abs(w - wprev).sum(axis=1)
    gross = (w[:-1] * r[1:]).sum(axis=1)
    R = (gross - FEE * turn[:-1])[lookback:]
    m = ref.metrics(R, ppy)
    m["turnover_total"] = float(turn[lookback:T - 1].sum())
    return m


def trial(r, lookback, k):
    # each trial starts from the returns, as a trial of a sweep starts from its data
    return pnl(r, weights(ref.prices(r.copy()), lookback, k), lookback, 365)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    # the reference's own generator gives the same array as its CSV, bit for bit
    r = ref.g.panel_returns("bt_daily")
    best = None
    results = None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        results = [dict(lookback=L, k=k, **trial(r, L, k)) for L in LOOKBACKS for k in KS]
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    print(json.dumps({"grid": "lookback 5..50 by 5 x k 1..10", "trials": len(results), "seconds_best": best,
                      "trials_per_s": len(results) / best, "results": results}, indent=1))


if __name__ == "__main__":
    main()
