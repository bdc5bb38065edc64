namespace StrategyLab.Runtime.Data.Synthetic;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014), sequential form: a 64-bit integer generator whose
/// outputs, and the uniforms and normals built on them with + − × ÷ alone, are the same bits on
/// every platform.
/// </summary>
public struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64-bit output.</summary>
    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        var z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform double in [0, 1): the top 53 bits times 2^-53, exact.</summary>
    public double Uniform() => (Next() >> 11) * (1.0 / 9007199254740992.0);

    /// <summary>
    /// A standard normal by Irwin–Hall with four uniforms summed left to right, centred and scaled
    /// by √3: mean 0, variance 1, support [−2√3, 2√3].
    /// </summary>
    public double Normal()
    {
        double a = Uniform(), b = Uniform(), c = Uniform(), d = Uniform();
        return ((((a + b) + c) + d) - 2.0) * 1.7320508075688772;
    }
}

/// <summary>
/// The deterministic data sets the reference measurements (numpy, PyTorch, XGBoost) run on,
/// reproduced bit for bit: each formula, seed and operation order is the documented one, so a
/// SHA-256 over the little-endian doubles equals the reference's.
/// </summary>
public static class ReferenceData
{
    /// <summary>Cross-sectional returns r[t, a], row-major [time × asset], for the momentum backtest.</summary>
    /// <param name="minute">False: 3,000 daily bars (seed 1001); true: 200,000 minute bars (seed 1002).</param>
    public static double[] PanelReturns(bool minute)
    {
        var (seed, assets, bars, sigmaLow, sigmaSpan, muScale) = minute
            ? (1002UL, 100, 200_000, 0.0005, 0.0015, 0.00002)
            : (1001UL, 100, 3_000, 0.01, 0.03, 0.0005);
        var mu = new double[assets];
        var sigma = new double[assets];
        for (var a = 0; a < assets; a++)
        {
            var q = (double)(a * 37 % 100);
            sigma[a] = sigmaLow + sigmaSpan * (q / 99.0);
            mu[a] = muScale * ((a - 49.5) / 49.5);
        }
        var rng = new SplitMix64(seed);
        var r = new double[bars * assets];
        for (var i = 0; i < r.Length; i++)
        {
            var a = i % assets;
            r[i] = mu[a] + sigma[a] * rng.Normal();
        }
        return r;
    }

    /// <summary>Single-asset minute returns r[t] = 0.001 z[t] (seed 1003), 5,000,000 by default.</summary>
    public static double[] SingleReturns(int count = 5_000_000)
    {
        var rng = new SplitMix64(1003);
        var r = new double[count];
        for (var t = 0; t < r.Length; t++)
            r[t] = 0.001 * rng.Normal();
        return r;
    }

    /// <summary>AR(2) series x[t] = ((0.5 x[t−1]) − (0.2 x[t−2])) + z[t] (seed 2001), 60,090 values.</summary>
    public static double[] LstmSeries(int count = 60_090)
    {
        var rng = new SplitMix64(2001);
        var x = new double[count];
        double x1 = 0, x2 = 0;
        for (var t = 0; t < count; t++)
        {
            var v = ((0.5 * x1) - (0.2 * x2)) + rng.Normal();
            x[t] = v;
            x2 = x1;
            x1 = v;
        }
        return x;
    }

    /// <summary>
    /// The gradient-boosting set: 600,000 × 40 standard-normal features (seed 3001, row-major), a
    /// non-linear target of the first 11 plus noise 2e (seed 3002), and its sign as a class.
    /// Rows 0..499,999 are for training, the rest for testing.
    /// </summary>
    public static (double[] Features, double[] Regression, double[] Class) Gbdt(int rows = 600_000, int features = 40)
    {
        var rx = new SplitMix64(3001);
        var x = new double[rows * features];
        for (var i = 0; i < x.Length; i++)
            x[i] = rx.Normal();
        var re = new SplitMix64(3002);
        var y = new double[rows];
        var c = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            var r = x.AsSpan(i * features, features);
            var f = 2.0 * r[0] + r[1] * r[2];
            f += 1.5 * (r[3] > 0.0 ? 1.0 : 0.0);
            f += (-0.5 * r[4]) * r[4];
            f += Math.Abs(r[5]) * r[6];
            f += 0.8 * Math.Max(r[7], 0.0);
            f += ((0.3 * r[8]) * r[9]) * r[10];
            y[i] = f + 2.0 * re.Normal();
            c[i] = y[i] > 0.0 ? 1.0 : 0.0;
        }
        return (x, y, c);
    }

    /// <summary>
    /// 5,000 OHLCV bars (seeds 4001 for prices, 4002 for volumes), prices rounded to 4 decimals the
    /// way numpy rounds (scale, round half to even, unscale).
    /// </summary>
    public static (double[] Open, double[] High, double[] Low, double[] Close, double[] Volume) Ohlcv(int count = 5000)
    {
        var rz = new SplitMix64(4001);
        var ru = new SplitMix64(4002);
        double[] o = new double[count], h = new double[count], l = new double[count], c = new double[count], v = new double[count];
        var previous = 100.0;
        for (var t = 0; t < count; t++)
        {
            double z0 = rz.Normal(), z1 = rz.Normal(), z2 = rz.Normal(), z3 = rz.Normal();
            o[t] = previous * (1.0 + 0.005 * z1);
            c[t] = previous * (1.0 + 0.02 * z0);
            previous = c[t];
            h[t] = Math.Max(o[t], c[t]) * (1.0 + 0.01 * Math.Abs(z2));
            l[t] = Math.Min(o[t], c[t]) * (1.0 - 0.01 * Math.Abs(z3));
            v[t] = Math.Floor(1000.0 + 9000.0 * ru.Uniform());
        }
        static double Round4(double x) => Math.Round(x * 1e4, MidpointRounding.ToEven) / 1e4;
        for (var t = 0; t < count; t++)
        {
            o[t] = Round4(o[t]);
            h[t] = Round4(h[t]);
            l[t] = Round4(l[t]);
            c[t] = Round4(c[t]);
        }
        return (o, h, l, c, v);
    }
}
