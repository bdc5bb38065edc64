#!/usr/bin/python3
"""How much the GBDT benchmark's held-out R² moves under changes that leave the method alone.

Runs XGBoost 1.7 (hist, lossguide, 63 leaves, the settings of shared/peers/gbdt_xgboost.py) on the
benchmark's data and writes the inputs the StrategyLab side needs to repeat each run:

    /usr/bin/python3 bench/reference/gbdt_spread.py orders OUT   # training rows in 15 orders
    /usr/bin/python3 bench/reference/gbdt_spread.py bins OUT     # features pre-binned, both sides the same bins
    /usr/bin/python3 bench/reference/gbdt_spread.py settings OUT # one setting changed at a time

`orders` writes OUT/order_NAME.i64 (an int64 permutation of the 500,000 training rows: reversed, and
13 seeded shuffles) and prints XGBoost's R² for the given order and each of them. `bins` writes
OUT/features_NAME.f64 (the 600,000 x 40 features replaced by bin numbers 0..B-1 from quantiles of the
training rows: B = 255, 254, 200, 128, and six draws of 255 bins whose bounds move by up to 3 % of a
bin) and prints XGBoost's R² on each. The StrategyLab side of every line:

    StrategyLab.Bench gbdt --only leaves63 --task reg --row-order OUT/order_NAME.i64
    StrategyLab.Bench gbdt --only leaves63 --task reg --features OUT/features_NAME.f64

`settings` prints XGBoost's R² with the reference's settings and with one of them changed: max_bin 255
(StrategyLab's and LightGBM's default) or 128, and base_score the training mean (StrategyLab's start)
instead of 0.5; it writes nothing to OUT. The StrategyLab side: `StrategyLab.Bench gbdt --only leaves63
--task reg --bins N`.

Needs python3-xgboost and the generator shared/peers/peergen.py (--peers DIR to point elsewhere).
"""
import argparse
import json
import os
import sys

import numpy as np

N_TRAIN = 500_000
PARAMS = {"tree_method": "hist", "eta": 0.1, "nthread": 2, "max_bin": 256, "seed": 0,
          "objective": "reg:squarederror", "grow_policy": "lossguide", "max_leaves": 63, "max_depth": 0}


def r2(x, y, **change):
    import xgboost as xgb
    bst = xgb.train({**PARAMS, **change}, xgb.DMatrix(x[:N_TRAIN], label=y[:N_TRAIN], nthread=2), num_boost_round=200)
    p = bst.predict(xgb.DMatrix(x[N_TRAIN:], nthread=2))
    return round(float(1.0 - np.mean((y[N_TRAIN:] - p) ** 2) / np.var(y[N_TRAIN:])), 4)


def orders(x, y, out):
    runs = {"given": None, "reversed": np.arange(N_TRAIN)[::-1]}
    for seed in range(1, 14):
        runs[f"shuffle{seed}"] = np.random.default_rng(seed).permutation(N_TRAIN)
    for name, order in runs.items():
        if order is None:
            xo, yo = x, y
        else:
            order.astype("<i8").tofile(os.path.join(out, f"order_{name}.i64"))
            xo = np.concatenate([x[:N_TRAIN][order], x[N_TRAIN:]])
            yo = np.concatenate([y[:N_TRAIN][order], y[N_TRAIN:]])
        print(json.dumps({"order": name, "xgboost_test_r2": r2(xo, yo)}), flush=True)


def binned(x, ranks):
    """Bin numbers 0..len(ranks) of every value: the bounds are training-row order statistics at `ranks` (fractions)."""
    ordered = np.sort(x[:N_TRAIN], axis=0)
    out = np.empty_like(x)
    for f in range(x.shape[1]):
        bounds = ordered[np.clip((ranks[f] * N_TRAIN).astype(np.int64), 0, N_TRAIN - 1), f]
        out[:, f] = np.searchsorted(bounds, x[:, f], side="right")
    return out


def bins(x, y, out):
    features = x.shape[1]
    runs = {f"q{b}": np.tile(np.arange(1, b) / b, (features, 1)) for b in (255, 254, 200, 128)}
    for seed in range(1, 7):
        rng = np.random.default_rng(100 + seed)
        runs[f"jitter{seed}"] = (np.arange(1, 255) + rng.uniform(-0.03, 0.03, (features, 254))) / 255
    for name, ranks in runs.items():
        xb = binned(x, ranks)
        xb.astype("<f8").tofile(os.path.join(out, f"features_{name}.f64"))
        print(json.dumps({"bins": name, "xgboost_test_r2": r2(xb, y)}), flush=True)


def settings(x, y, _out):
    changes = {"reference": {}, "max_bin 255": {"max_bin": 255}, "max_bin 128": {"max_bin": 128},
               "base_score mean": {"base_score": float(np.mean(y[:N_TRAIN]))}}
    for name, change in changes.items():
        print(json.dumps({"setting": name, "xgboost_test_r2": r2(x, y, **change)}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("study", choices=["orders", "bins", "settings"])
    ap.add_argument("out")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--peers", default=os.path.join(here, "..", "..", "..", "shared", "peers"))
    args = ap.parse_args()
    sys.path.insert(0, args.peers)
    import peergen
    os.makedirs(args.out, exist_ok=True)
    x, y, _ = peergen.gbdt_data()
    {"orders": orders, "bins": bins, "settings": settings}[args.study](x, y, args.out)


if __name__ == "__main__":
    main()
