using System.Collections.Immutable;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Samplers;

namespace StrategyLab.Runtime.Tests.Search.Samplers;

/// <summary>
/// Densities of Parzen estimators on fixed observations (prior weight 1, magic clip, no endpoints, equal
/// weights). Weighed by bandwidth: against Optuna 3.1.0's <c>_ParzenEstimator.log_pdf</c> (Debian's
/// python3-optuna), which leaves out 1/σ. Exact: the same kernels (Optuna's μ, σ, weights) through scipy 1.10.1's
/// truncnorm.logpdf, normal CDF differences for the grid cells, and logsumexp.
/// </summary>
public sealed class ParzenEstimatorTests
{
    private static readonly double[] Observed = [0.3, -2.0, 7.5, 9.9, 0.31, 4.0];

    private static ParameterScale Scale(string name, Distribution d) => ParameterScale.Of(new SearchParameter(name, d));

    [Theory]
    [InlineData(false, new[] { -3.7182614, -2.46322769, -2.40698225, -2.9095709, -2.58709813 })]
    [InlineData(true, new[] { -3.83713522, -2.49420036, -2.44826854, -2.86140134, -2.56723512 })]
    public void OneParameterDensityMatchesScipysTruncatedNormals(bool multivariate, double[] expected)
    {
        var estimator = new ParzenEstimator([Scale("x", new FloatDistribution(-5, 10))], [Observed], [1, 1, 1, 1, 1, 1], multivariate, 1.0, true, false, false);
        var density = estimator.LogDensity([[-5.0, -1.0, 0.3, 5.0, 9.99]]);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], density[i], 1e-7);
    }

    [Theory]
    [InlineData(false, new[] { -1.78567595, -1.12446428, -1.06766127, -1.23968882, -1.15985557 })]
    [InlineData(true, new[] { -1.8440393, -1.2117248, -1.17801988, -1.40177402, -1.2949037 })]
    public void OneParameterDensityWeighedByBandwidthMatchesOptuna31(bool multivariate, double[] expected)
    {
        var estimator = new ParzenEstimator([Scale("x", new FloatDistribution(-5, 10))], [Observed], [1, 1, 1, 1, 1, 1], multivariate, 1.0, true, false, true);
        var density = estimator.LogDensity([[-5.0, -1.0, 0.3, 5.0, 9.99]]);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], density[i], 1e-7);
    }

    [Theory]
    [InlineData(true, new[] { -3.50133859, -2.78282356, -4.03437542 })]
    [InlineData(false, new[] { -4.67194142, -3.7516208, -5.41198772 })]
    public void JointDensityOfFloatStepIntAndCategoricalMatchesTheReference(bool weighByBandwidth, double[] expected)
    {
        ParameterScale[] scales =
        [
            Scale("x", new FloatDistribution(-5, 10)),
            Scale("k", new IntDistribution(1, 9, 2)),
            Scale("c", new CategoricalDistribution([ScalarValue.Of("a"), ScalarValue.Of("b"), ScalarValue.Of("c")])),
        ];
        var estimator = new ParzenEstimator(scales, [Observed, [1, 3, 3, 9, 7, 5], [0, 2, 2, 1, 0, 0]], [1, 1, 1, 1, 1, 1], true, 1.0, true, false, weighByBandwidth);
        var density = estimator.LogDensity([[0.0, 9.0, -4.0], [3, 9, 1], [0, 1, 2]]);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], density[i], 1e-7);
    }
}
