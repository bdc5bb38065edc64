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

    // Optuna 3.1's kernels, spelled out so the references do not move with TpeOptions' defaults
    private static TpeOptions Optuna(bool multivariate, bool weighByBandwidth) => new()
    {
        Multivariate = multivariate,
        WeighKernelsByBandwidth = weighByBandwidth,
        PriorWeight = 1.0,
        MagicClip = true,
        MinBandwidthFactor = 0.01,
        MagicClipExponent = 1.0,
        ConsiderEndpoints = false,
        MultivariateBandwidth = MultivariateBandwidth.Scott,
    };

    [Theory]
    [InlineData(false, new[] { -3.7182614, -2.46322769, -2.40698225, -2.9095709, -2.58709813 })]
    [InlineData(true, new[] { -3.83713522, -2.49420036, -2.44826854, -2.86140134, -2.56723512 })]
    public void OneParameterDensityMatchesScipysTruncatedNormals(bool multivariate, double[] expected)
    {
        var estimator = new ParzenEstimator([Scale("x", new FloatDistribution(-5, 10))], [Observed], [1, 1, 1, 1, 1, 1], 1.0, Optuna(multivariate, weighByBandwidth: false));
        var density = estimator.LogDensity([[-5.0, -1.0, 0.3, 5.0, 9.99]]);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], density[i], 1e-7);
    }

    [Theory]
    [InlineData(false, new[] { -1.78567595, -1.12446428, -1.06766127, -1.23968882, -1.15985557 })]
    [InlineData(true, new[] { -1.8440393, -1.2117248, -1.17801988, -1.40177402, -1.2949037 })]
    public void OneParameterDensityWeighedByBandwidthMatchesOptuna31(bool multivariate, double[] expected)
    {
        var estimator = new ParzenEstimator([Scale("x", new FloatDistribution(-5, 10))], [Observed], [1, 1, 1, 1, 1, 1], 1.0, Optuna(multivariate, weighByBandwidth: true));
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
        var estimator = new ParzenEstimator(scales, [Observed, [1, 3, 3, 9, 7, 5], [0, 2, 2, 1, 0, 0]], [1, 1, 1, 1, 1, 1], 1.0, Optuna(multivariate: true, weighByBandwidth));
        var density = estimator.LogDensity([[0.0, 9.0, -4.0], [3, 9, 1], [0, 1, 2]]);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], density[i], 1e-7);
    }

    /// <summary>
    /// Clustered observations on [−5, 10] with the ends as neighbours and exact densities: the clip's floor is
    /// 15 · max(Δ, 8^(−α)) (7 kernels), 0.45 for Δ = 0.03, α = 2, and 5.3033 for Δ = 0.01, α = 0.5; Optuna's
    /// Δ = 0.01, α = 1 gives 15 / 8 = 1.875. References: scipy's truncnorm.logpdf of those kernels and logsumexp.
    /// </summary>
    [Theory]
    [InlineData(0.03, 2.0, new[] { -3.82528476, -0.82113513, -0.87907259, -3.07091922, -3.97851587 })]
    [InlineData(0.01, 0.5, new[] { -2.94205915, -2.44857598, -2.44660276, -2.51830041, -3.5439154 })]
    [InlineData(0.01, 1.0, new[] { -3.75448814, -1.88432702, -1.88549934, -2.53047271, -3.97850737 })]
    public void ClipFloorFollowsTheMinimumBandwidthFactorAndExponent(double factor, double exponent, double[] expected)
    {
        var options = Optuna(multivariate: false, weighByBandwidth: false) with { ConsiderEndpoints = true, MinBandwidthFactor = factor, MagicClipExponent = exponent };
        var estimator = new ParzenEstimator([Scale("x", new FloatDistribution(-5, 10))], [[0.3, 0.31, 0.33, 0.36, 0.4, 4.0]], [1, 1, 1, 1, 1, 1], 1.0, options);
        var density = estimator.LogDensity([[-5.0, 0.32, 0.5, 3.0, 9.99]]);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], density[i], 1e-7);
    }

    /// <summary>
    /// Multivariate kernels with each parameter's neighbour gaps (x: 2.3, 2.3, 3.5, 2.4, 2.19, 3.5; y: 0.38,
    /// 0.125, 0.3, 0.38, 0.3, 0.125; the prior the line's length) instead of one Scott bandwidth: the joint
    /// log density is logsumexp over kernels of log(1/7) plus both truncated normals' log densities (scipy).
    /// </summary>
    [Fact]
    public void MultivariateNeighbourGapsMatchScipysProductKernels()
    {
        var options = Optuna(multivariate: true, weighByBandwidth: false) with { MultivariateBandwidth = MultivariateBandwidth.NeighbourGaps };
        var estimator = new ParzenEstimator(
            [Scale("x", new FloatDistribution(-5, 10)), Scale("y", new FloatDistribution(0, 1))],
            [Observed, [0.9, 0.1, 0.5, 0.52, 0.2, 0.95]], [1, 1, 1, 1, 1, 1], 1.0, options);
        var density = estimator.LogDensity([[-5.0, 0.3, 5.0, 9.99], [0.0, 0.9, 0.5, 0.3]]);
        double[] expected = [-3.10851539, -2.28006586, -3.03509182, -2.54143904];
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], density[i], 1e-7);
    }
}
