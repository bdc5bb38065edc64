"""Writes pandas reference values for the Compute operators TA-Lib lacks.

Reads the same 300 BTC/USD rows as talib_reference.c (date,symbol,base,open,high,low,close,volume,
no header) on stdin and writes one CSV row per input row to stdout; empty cells are NaN.
"""
import sys

import numpy as np
import pandas as pd

rows = pd.read_csv(sys.stdin, header=None,
                   names=["date", "symbol", "base", "open", "high", "low", "close", "volume"])
c = rows["close"]
out = pd.DataFrame({"date": rows["date"], "close": c})
out["LAG_2"] = c.shift(2)
out["DIFF_3"] = c.diff(3)
out["RETURN_5"] = c.pct_change(5)
out["LOGRETURN_1"] = np.log(c / c.shift(1))
out["ROLLING_MEAN_20"] = c.rolling(20).mean()
out["ROLLING_SUM_20"] = c.rolling(20).sum()
out["ROLLING_STD_POP_20"] = c.rolling(20).std(ddof=0)
out["ROLLING_STD_SAMPLE_20"] = c.rolling(20).std(ddof=1)
out["ROLLING_MIN_20"] = c.rolling(20).min()
out["ROLLING_MAX_20"] = c.rolling(20).max()
out["ROLLING_ZSCORE_20"] = (c - c.rolling(20).mean()) / c.rolling(20).std(ddof=1)
out.to_csv(sys.stdout, index=False, float_format="%.17g", lineterminator="\n")
