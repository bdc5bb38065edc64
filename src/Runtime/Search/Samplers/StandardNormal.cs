namespace StrategyLab.Runtime.Search.Samplers;

/// <summary>
/// The standard normal distribution's density, tails, quantiles and truncated draws, precise to about
/// 1e-13 relative in the far tails, where TPE's truncated kernels often sit.
/// </summary>
internal static class StandardNormal
{
    private const double LogSqrtTwoPi = 0.91893853320467274178;
    private const double SqrtTwoPi = 2.50662827463100050242;

    /// <summary>Returns log φ(z).</summary>
    public static double LogPdf(double z) => (-0.5 * z * z) - LogSqrtTwoPi;

    /// <summary>Returns log P(Z &gt; z), finite far beyond where P(Z &gt; z) underflows.</summary>
    public static double LogUpperTail(double z)
    {
        if (z < 0)
            return Log1MinusExp(LogUpperTail(-z));
        // below 3, 0.5 − φ(z)·S(z) (Marsaglia's series, all terms positive) loses under 3 digits to cancellation
        if (z < 3)
            return Math.Log(0.5 - (Math.Exp(LogPdf(z)) * TaylorSum(z)));
        return LogPdf(z) + Math.Log(MillsRatio(z));
    }

    // P(Z > z) for z > 0, as 0 beyond 8.5 where it is below 1e-17 and cannot move 1 − P (a kernel far from both ends)
    private static double UpperTail(double z) => z > 8.5 ? 0 : Math.Exp(LogUpperTail(z));

    /// <summary>Returns log Φ(z) = log P(Z ≤ z).</summary>
    public static double LogCdf(double z) => LogUpperTail(-z);

    /// <summary>Returns log P(a ≤ Z ≤ b) for a ≤ b, precise both in the tails and for narrow intervals.</summary>
    public static double LogMass(double a, double b)
    {
        if (!(a < b))
            return double.NegativeInfinity;
        if (a >= 0)
            return LogDifference(LogUpperTail(a), LogUpperTail(b));
        if (b <= 0)
            return LogDifference(LogUpperTail(-b), LogUpperTail(-a));
        if (b - a < 1e-2)
            return Math.Log((b - a) * NarrowAverageDensity(a, b));
        return LogOnePlus(-UpperTail(b) - UpperTail(-a));
    }

    /// <summary>Returns the z with log Φ(z) = <paramref name="logP"/> for log P ≤ log 0.5 (so z ≤ 0).</summary>
    public static double LowerQuantile(double logP)
    {
        if (logP >= -Math.Log(2))
            return 0;
        // Newton's method on the concave, increasing log Φ: after the first step every iterate lies left of
        // the root and climbs to it, so it converges from any start
        var z = logP > -1.2 ? (Math.Exp(logP) - 0.5) * SqrtTwoPi : -Math.Sqrt(Math.Max(0, (-2 * logP) - Math.Log(-2 * logP) - Math.Log(2 * Math.PI)));
        for (var i = 0; i < 60; i++)
        {
            var logCdf = LogCdf(z);
            // d log Φ / dz = φ(z) / Φ(z)
            var slope = Math.Exp(LogPdf(z) - logCdf);
            var next = z - ((logCdf - logP) / slope);
            if (!double.IsFinite(next))
                break;
            var done = Math.Abs(next - z) <= 1e-14 * (1 + Math.Abs(z));
            z = next;
            if (done)
                break;
        }
        return Math.Min(z, 0);
    }

    /// <summary>Draws Z conditioned on a ≤ Z ≤ b (inverse transform, so one uniform draw per value).</summary>
    public static double SampleTruncated(Random random, double a, double b)
    {
        if (!(a < b))
            return a;
        // reflect an interval in the upper half into the lower half, where the lower tail is precise
        if (a >= 0)
            return -SampleTruncated(random, -b, -a);
        var u = random.NextDouble();
        double z;
        if (b <= 0)
        {
            // Φ(a) + u (Φ(b) − Φ(a)) = Φ(b) (r + u (1 − r)) with r = Φ(a) / Φ(b)
            var logB = LogCdf(b);
            var r = Math.Exp(LogCdf(a) - logB);
            z = LowerQuantile(logB + Math.Log(r + (u * (1 - r))));
        }
        else
        {
            var lower = Math.Exp(LogCdf(a));
            var mass = Math.Exp(LogMass(a, b));
            var p = lower + (u * mass);
            z = p <= 0.5 ? LowerQuantile(Math.Log(p)) : -LowerQuantile(Math.Log(1 - p));
        }
        return Math.Clamp(z, a, b);
    }

    /// <summary>Draws Z ~ N(0, 1) (Box–Muller, two uniform draws).</summary>
    public static double Sample(Random random)
    {
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    // Σ z^(2n+1) / (1·3·…·(2n+1)), so that Φ(z) = 0.5 + φ(z) Σ
    private static double TaylorSum(double z)
    {
        double term = z, sum = z, z2 = z * z;
        for (var n = 0; n < 200 && term > 1e-17 * sum; n++)
        {
            term *= z2 / ((2 * n) + 3);
            sum += term;
        }
        return sum;
    }

    // P(Z > z) / φ(z) for z ≥ 3 by Laplace's continued fraction 1/(z + 1/(z + 2/(z + 3/(z + …)))),
    // evaluated backwards; 40 terms give 1e-14 at z = 3 and fewer suffice further out
    private static double MillsRatio(double z)
    {
        var terms = z >= 6 ? 16 : z >= 4 ? 24 : 40;
        var t = z;
        for (var k = terms; k >= 1; k--)
            t = z + (k / t);
        return 1 / t;
    }

    // (1/(b − a)) ∫ φ over [a, b] by 3-point Gauss–Legendre, for intervals narrower than 0.01
    private static double NarrowAverageDensity(double a, double b)
    {
        double mid = 0.5 * (a + b), half = 0.5 * (b - a), d = half * Math.Sqrt(0.6);
        return ((5 * Math.Exp(LogPdf(mid - d))) + (8 * Math.Exp(LogPdf(mid))) + (5 * Math.Exp(LogPdf(mid + d)))) / 18;
    }

    // log(e^x − e^y) for x ≥ y
    private static double LogDifference(double x, double y) => double.IsNegativeInfinity(y) ? x : x + Log1MinusExp(y - x);

    // log(1 − e^d) for d ≤ 0, with a series where 1 − e^d would cancel
    private static double Log1MinusExp(double d)
    {
        if (d > -1e-5)
            return Math.Log(-d * (1 + (d * (0.5 + (d / 6)))));
        return LogOnePlus(-Math.Exp(d));
    }

    // log(1 + x), exact to rounding for small x: the rounding of 1 + x is corrected to first order
    private static double LogOnePlus(double x)
    {
        var y = 1 + x;
        return y == 1 ? x : Math.Log(y) - ((y - 1 - x) / y);
    }
}
