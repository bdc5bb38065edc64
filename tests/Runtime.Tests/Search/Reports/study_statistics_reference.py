import math
from statistics import NormalDist
import numpy as np
N01 = NormalDist()
day = 86_400_000
t0 = 1_704_067_200_000
m = [0.001, 0.002, -0.0005]; s = [0.01, 0.012, 0.008]
def series(j, start, count):
    t = np.arange(start, start + count)
    return t0 + t * day, m[j] + s[j] * np.sin(1.3 * t + j) + 0.002 * np.cos(0.7 * t * t)
trials = [series(0, 0, 40), series(1, 0, 40), series(2, 5, 40)]
common = sorted(set(trials[0][0]) & set(trials[1][0]) & set(trials[2][0]))
R = np.array([[r for tt, r in zip(*tr) if tt in common] for tr in trials])  # N x T
T = R.shape[1]
def moments(r):
    mu = r.mean(); sd = r.std(ddof=1); d = r - mu
    m2 = (d**2).mean(); m3 = (d**3).mean(); m4 = (d**4).mean()
    return mu / sd, m3 / m2**1.5, m4 / m2**2
sr = np.array([moments(r)[0] for r in R])
V = sr.var(ddof=1)
g = 0.5772156649015329
Nn = 3
Z = (1 - g) * N01.inv_cdf(1 - 1 / Nn) + g * N01.inv_cdf(1 - 1 / (Nn * math.e))
sr0 = math.sqrt(V) * Z
best = 1
SR, g3, g4 = moments(R[best])
def psr(SR, bench):
    return N01.cdf((SR - bench) * math.sqrt(T - 1) / math.sqrt(1 - g3 * SR + (g4 - 1) / 4 * SR**2))
dsr = psr(SR, sr0)
annual = SR * math.sqrt(365)
minbtl = Z**2 / annual**2
mintrl = 1 + (1 - g3 * SR + (g4 - 1) / 4 * SR**2) * (N01.inv_cdf(0.95) / SR)**2
# CSCV, S = 2: blocks of T // 2 rows, the earliest T % 2 rows left out
S = 2; rows = T // S; drop = T - rows * S
B = R[:, drop:]
halves = [B[:, :rows], B[:, rows:]]
lam = []
for i in range(2):
    ins, oos = halves[i], halves[1 - i]
    isr = np.array([x.mean() / x.std(ddof=1) for x in ins])
    osr = np.array([x.mean() / x.std(ddof=1) for x in oos])
    n = int(np.argmax(isr))
    rank = 1 + sum(osr < osr[n]) + 0.5 * (sum(osr == osr[n]) - 1)
    w = rank / (Nn + 1)
    lam.append(math.log(w / (1 - w)))
pbo = sum(1 for l in lam if l <= 0) / len(lam)
print("T", T, "first", common[0], "last", common[-1])
print("sharpes", repr(list(sr)))
print("V", repr(V), "sr0", repr(sr0), "dsr", repr(dsr), "psr0", repr(psr(SR, 0)))
print("SR", repr(SR), "skew", repr(g3), "kurt", repr(g4), "annual", repr(annual))
print("minbtl", repr(minbtl), "mintrl", repr(mintrl), "pbo", pbo, "lambdas", lam)
