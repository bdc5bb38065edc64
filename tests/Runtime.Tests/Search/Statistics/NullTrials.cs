using StrategyLab.Runtime.Data.Synthetic;

namespace StrategyLab.Runtime.Tests.Search.Statistics;

/// <summary>Seeded normal returns for the tests' simulations (Box–Muller: true normal tails, unlike Irwin–Hall).</summary>
internal static class NullTrials
{
    public static double Normal(ref SplitMix64 rng)
    {
        var u = 1 - rng.Uniform();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * rng.Uniform());
    }

    /// <summary>N columns of T returns, each drawn N(mean[n], 1); mean null means 0 for all.</summary>
    public static double[][] Matrix(ref SplitMix64 rng, int rows, int trials, Func<int, double>? mean = null)
    {
        var m = new double[trials][];
        for (var n = 0; n < trials; n++)
        {
            m[n] = new double[rows];
            var mu = mean?.Invoke(n) ?? 0;
            for (var t = 0; t < rows; t++)
                m[n][t] = mu + Normal(ref rng);
        }
        return m;
    }
}
