"""Reference values for tests/Runtime.Tests/Search/Statistics, computed with SciPy, independently of
the C# code (its own formulas, its own normal distribution, its own CSCV loop).

Run from the repository root with Debian's python3-numpy and python3-scipy:
    /usr/bin/python3 tests/Runtime.Tests/Search/Statistics/reference/statistics_reference.py
The output is pinned in statistics_reference.txt beside this file.
"""
import itertools
import math

import numpy as np
import scipy
from scipy import stats

GAMMA = np.euler_gamma
print(f"numpy {np.__version__}, scipy {scipy.__version__}")


def z_max(n):
    return (1 - GAMMA) * stats.norm.ppf(1 - 1 / n) + GAMMA * stats.norm.ppf(1 - 1 / (n * math.e))


def psr(sr, sr_star, t, g3, g4):
    return stats.norm.cdf((sr - sr_star) * math.sqrt(t - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2))


def min_trl(sr, sr_star, g3, g4, c):
    return 1 + (1 - g3 * sr + (g4 - 1) / 4 * sr**2) * (stats.norm.ppf(c) / (sr - sr_star)) ** 2


# The Deflated Sharpe Ratio paper's numerical example: N = 100, V = 1/2 (annual), SR = 2.5 (annual),
# T = 1250 daily returns of a 250-day year, skewness -3, kurtosis 10
q = 250
sr0 = math.sqrt(0.5 / q) * z_max(100)
sr = 2.5 / math.sqrt(q)
print(f"paper: SR0 per day {sr0!r}, annual {sr0 * math.sqrt(q)!r}, SR per day {sr!r}, DSR {psr(sr, sr0, 1250, -3, 10)!r}")

# Z(N), the expected maximum of N standard normals (approximation) and the exact value by quadrature
for n in [2, 10, 45, 100, 1000]:
    exact = scipy.integrate.quad(lambda x: x * n * stats.norm.pdf(x) * stats.norm.cdf(x) ** (n - 1), -12, 12, limit=200)[0]
    print(f"Z({n}) = {z_max(n)!r}, exact {exact!r}")

# MinBTL (Bailey, Borwein, Lopez de Prado and Zhu 2014) in years for N = 45 and a target annual Sharpe of 1
print(f"MinBTL(45, 1) = {z_max(45) ** 2!r} years, bound {2 * math.log(45)!r}")
print(f"MinBTL(1000, 1.5) = {z_max(1000) ** 2 / 1.5 ** 2!r} years")

# moments, PSR and MinTRL of a small series
r = np.array([0.012, -0.004, 0.021, -0.017, 0.006, 0.009, -0.031, 0.015, 0.002, 0.011, -0.008, 0.027])
sr = r.mean() / r.std(ddof=1)
g3 = stats.skew(r, bias=True)
g4 = stats.kurtosis(r, fisher=False, bias=True)
print(f"series: mean {r.mean()!r}, std {r.std(ddof=1)!r}, SR {sr!r}, skew {g3!r}, kurtosis {g4!r}")
print(f"series: PSR(0) {psr(sr, 0, len(r), g3, g4)!r}, PSR(0.1) {psr(sr, 0.1, len(r), g3, g4)!r}")
print(f"series: MinTRL(0, 0.95) {min_trl(sr, 0, g3, g4, 0.95)!r}, MinTRL(0.05, 0.99) {min_trl(sr, 0.05, g3, g4, 0.99)!r}")
trial_sharpes = np.array([sr, 0.05, -0.12, 0.21, 0.0, 0.33, -0.07])
v = trial_sharpes.var(ddof=1)
dsr0 = math.sqrt(v) * z_max(len(trial_sharpes))
print(f"series: trials' V {v!r}, SR0 {dsr0!r}, DSR {psr(sr, dsr0, len(r), g3, g4)!r}")


# CSCV on a matrix built from a formula (the C# test builds the same one)
def matrix(t_rows, n_trials):
    m = np.empty((t_rows, n_trials))
    for t in range(t_rows):
        for n in range(n_trials):
            m[t, n] = 0.01 * math.sin(1.7 * t + 0.9 * n * n + 0.3) + 0.004 * math.cos(0.37 * t * (n + 1)) + 0.0002 * (n - 2)
    return m


def cscv(m, s):
    t_rows, n_trials = m.shape
    rows = t_rows // s
    m = m[t_rows - rows * s:]
    blocks = [m[b * rows:(b + 1) * rows] for b in range(s)]
    out = []
    for combo in itertools.combinations(range(s), s // 2):
        j = np.vstack([blocks[b] for b in combo])
        jbar = np.vstack([blocks[b] for b in range(s) if b not in combo])
        r_is = j.mean(axis=0) / j.std(axis=0, ddof=1)
        r_oos = jbar.mean(axis=0) / jbar.std(axis=0, ddof=1)
        best = int(np.argmax(r_is))
        omega = stats.rankdata(r_oos)[best] / (n_trials + 1)
        out.append((combo, best, r_is[best], r_oos[best], math.log(omega / (1 - omega))))
    lam = np.array([x[4] for x in out])
    x = np.array([o[2] for o in out])
    y = np.array([o[3] for o in out])
    slope, intercept = np.polyfit(x, y, 1)
    return out, float(np.mean(lam <= 0)), slope, intercept, float(np.mean(y < 0))


out, pbo, slope, intercept, loss = cscv(matrix(50, 5), 8)
print(f"cscv T=50 N=5 S=8: {len(out)} splits, PBO {pbo!r}, slope {slope!r}, intercept {intercept!r}, P(loss) {loss!r}")
for k in [0, 1, 34, 69]:
    combo, best, ris, roos, lam = out[k]
    print(f"cscv split {k}: blocks {list(combo)}, selected {best}, IS {ris!r}, OOS {roos!r}, lambda {lam!r}")
