using StrategyLab.Runtime.Search.Samplers;

namespace StrategyLab.Runtime.Tests.Search.Samplers;

/// <summary>Reference values from scipy 1.10.1 (norm.logsf, log of cdf/sf differences, norm.ppf / special.ndtri_exp).</summary>
public sealed class StandardNormalTests
{
    [Theory]
    [InlineData(-8, -6.220960574271743e-16)]
    [InlineData(-5, -2.8665161296376305e-07)]
    [InlineData(-1, -0.17275377902344985)]
    [InlineData(0, -0.6931471805599453)]
    [InlineData(0.3, -0.9621028181688499)]
    [InlineData(1, -1.841021645009264)]
    [InlineData(2.5, -5.081648277278691)]
    [InlineData(2.999, -6.6044435875705805)]
    [InlineData(3, -6.60772622151035)]
    [InlineData(3.001, -6.611009784890932)]
    [InlineData(5, -15.064998393988727)]
    [InlineData(10, -53.23128515051248)]
    [InlineData(30, -454.32124395634327)]
    public void UpperTailMatchesScipyToTwelveDigits(double z, double expected) =>
        Assert.Equal(expected, StandardNormal.LogUpperTail(z), Math.Max(1e-12 * Math.Abs(expected), 1e-20));

    [Theory]
    [InlineData(-1, 1, -0.38171514630212616)]
    [InlineData(-0.001, 0.002, -6.728082023518542)]
    [InlineData(0.5, 0.6, -3.373064226942797)]
    [InlineData(3, 3.0001, -14.629428903098171)]
    [InlineData(5, 6, -15.068446096529454)]
    [InlineData(-7, -6.5, -23.970536164777034)]
    [InlineData(-30, 30, 0.0)]
    [InlineData(2, 40, -3.7831843336820326)]
    [InlineData(-2, 0, -0.7397150928523355)]
    [InlineData(0, 1e-06, -14.734449091229184)]
    public void MassOfAnIntervalMatchesScipy(double a, double b, double expected) =>
        Assert.Equal(expected, StandardNormal.LogMass(a, b), 1e-9);

    [Theory]
    [InlineData(-0.6931471805599453, 0.0)]
    [InlineData(-1.203972804325936, -0.5244005127080407)]
    [InlineData(-4.605170185988091, -2.3263478740408408)]
    [InlineData(-50.0, -9.674825283612355)]
    [InlineData(-690.7755278982137, -37.0470962993612)]
    [InlineData(-1000.0, -44.61574773196941)]
    public void LowerQuantileMatchesScipy(double logP, double expected) =>
        Assert.Equal(expected, StandardNormal.LowerQuantile(logP), 1e-11);

    /// <summary>
    /// The empirical distribution of 20,000 truncated draws against the exact truncated CDF: the
    /// Kolmogorov–Smirnov distance stays under 0.015 (the 1 % critical value at n = 20,000 is 1.63 / √n ≈ 0.0115).
    /// </summary>
    [Theory]
    [InlineData(-1.0, 2.0)]
    [InlineData(-0.2, 0.1)]
    [InlineData(2.0, 9.0)]
    [InlineData(-12.0, -9.0)]
    [InlineData(0.5, 0.5001)]
    public void TruncatedDrawsFollowTheTruncatedDistribution(double a, double b)
    {
        var random = new Random(7);
        var draws = Enumerable.Range(0, 20_000).Select(_ => StandardNormal.SampleTruncated(random, a, b)).Order().ToArray();
        Assert.All(draws, z => Assert.InRange(z, a, b));
        var logMass = StandardNormal.LogMass(a, b);
        double distance = 0;
        for (var i = 0; i < draws.Length; i++)
        {
            var cdf = draws[i] <= a ? 0 : Math.Exp(StandardNormal.LogMass(a, draws[i]) - logMass);
            distance = Math.Max(distance, Math.Max(Math.Abs(cdf - ((i + 1.0) / draws.Length)), Math.Abs(cdf - ((double)i / draws.Length))));
        }
        Assert.True(distance < 0.015, $"KS distance {distance}");
    }
}
