using System.Numerics.Tensors;

namespace StrategyLab.Runtime.Search.Samplers;

/// <summary>
/// A Parzen estimator over one or more parameters (Bergstra et al. 2011, as Optuna builds it): one kernel
/// per observed trial and one broad prior kernel, mixed with weights. A kernel is a product over the
/// parameters of a normal truncated to the parameter's line (its mass over a grid cell for a discrete
/// parameter) and, for a categorical one, a distribution that favours the observed choice.
/// </summary>
/// <remarks>
/// Bandwidths: univariate, each kernel's σ is the larger gap to its neighbours among the observations
/// and the prior's centre (the outermost take their inner gap, not the gap to the ends, unless the ends
/// count); multivariate, the same per parameter (<see cref="MultivariateBandwidth.NeighbourGaps"/>) or
/// every kernel's σ 0.2 · n^(−1/(d + 4)) times the line's length (Scott's rule as in BOHB and Optuna). Then the "magic clip" bounds σ to
/// [length · max(Δ, (1 + kernels)^(−α)), length] (Optuna: Δ = 0.01, α = 1, i.e. length / min(100, 1 + kernels)).
/// The prior kernel is centred with σ = length. A categorical kernel gives its observed choice weight
/// 1 + w and every choice w = prior weight / kernels, normalised; the prior's is uniform.
/// </remarks>
internal sealed class ParzenEstimator
{
    private const double LogSqrtTwoPi = 0.91893853320467274178;
    private readonly ParameterScale[] _scales;
    private readonly double[] _weights;       // per kernel, summing to 1; the prior last
    private readonly double[] _logWeights;
    private readonly double[][] _mus;         // per parameter, per kernel (numeric parameters)
    private readonly double[][] _sigmas;
    private readonly double[][] _logNorm;     // log of each kernel's mass on the line
    private readonly double[][] _inverseSigmas;
    private readonly double[] _base;          // per kernel: log weight plus every continuous kernel's −log(σ √2π) − log mass
    private readonly double[][] _logChoice;   // per parameter, kernel × choice (categorical parameters)
    private readonly bool _weighByBandwidth;

    /// <summary>
    /// Fits the estimator. <paramref name="observations"/> holds one array per parameter with the trials'
    /// points on each line; <paramref name="weights"/> one non-negative weight per trial and
    /// <paramref name="priorWeight"/> the prior kernel's. The kernels follow <paramref name="options"/>
    /// (multivariate, clip, endpoints, bandwidth rule; its prior weight smooths the categorical kernels). With
    /// <see cref="TpeOptions.WeighKernelsByBandwidth"/>, <see cref="LogDensity"/> leaves out each continuous
    /// kernel's 1/σ: up to a constant, the density of the mixture whose weights are also multiplied by the
    /// kernels' bandwidths; draws keep the plain weights.
    /// </summary>
    public ParzenEstimator(ParameterScale[] scales, double[][] observations, double[] weights, double priorWeight, TpeOptions options)
    {
        _scales = scales;
        _weighByBandwidth = options.WeighKernelsByBandwidth;
        var n = weights.Length;
        var kernels = n + 1;
        _weights = new double[kernels];
        var sum = priorWeight;
        for (var i = 0; i < n; i++)
            sum += weights[i];
        for (var i = 0; i < n; i++)
            _weights[i] = weights[i] / sum;
        _weights[n] = priorWeight / sum;
        _logWeights = _weights.Select(w => Math.Log(w)).ToArray();
        _mus = new double[scales.Length][];
        _sigmas = new double[scales.Length][];
        _logNorm = new double[scales.Length][];
        _inverseSigmas = new double[scales.Length][];
        _logChoice = new double[scales.Length][];
        var scott = options.Multivariate && options.MultivariateBandwidth == MultivariateBandwidth.Scott
            ? 0.2 * Math.Pow(Math.Max(n, 1), -1.0 / (scales.Length + 4))
            : double.NaN;
        for (var p = 0; p < scales.Length; p++)
        {
            if (scales[p].IsCategorical)
                _logChoice[p] = CategoricalKernels(observations[p], scales[p].Choices, options.PriorWeight);
            else
                FitNumeric(p, observations[p], scott, options);
        }
        _base = (double[])_logWeights.Clone();
        for (var p = 0; p < scales.Length; p++)
            if (!scales[p].IsCategorical && !scales[p].IsDiscrete)
                for (var k = 0; k < kernels; k++)
                    _base[k] += (_weighByBandwidth ? 0 : -Math.Log(_sigmas[p][k])) - LogSqrtTwoPi - _logNorm[p][k];
    }

    /// <summary>The number of kernels, the prior included.</summary>
    public int Kernels => _weights.Length;

    /// <summary>Draws <paramref name="count"/> points: per point a kernel by weight, then each parameter from that kernel, already on its grid.</summary>
    public double[][] Sample(Random random, int count)
    {
        var samples = new double[_scales.Length][];
        for (var p = 0; p < _scales.Length; p++)
            samples[p] = new double[count];
        for (var c = 0; c < count; c++)
        {
            var k = PickKernel(random.NextDouble());
            for (var p = 0; p < _scales.Length; p++)
                samples[p][c] = SampleParameter(p, k, random);
        }
        return samples;
    }

    /// <summary>Returns the log density (log mass for grid and categorical parameters) of each point.</summary>
    public double[] LogDensity(double[][] points)
    {
        var count = points[0].Length;
        var row = new double[Kernels];
        var scratch = new double[Kernels];
        var result = new double[count];
        for (var c = 0; c < count; c++)
        {
            _base.CopyTo(row, 0);
            for (var p = 0; p < _scales.Length; p++)
                AddLogKernels(p, points[p][c], row, scratch);
            // log Σ exp(row), vectorised: the exponentials of the kernels dominate a proposal's cost
            var max = TensorPrimitives.Max<double>(row);
            if (double.IsNegativeInfinity(max))
            {
                result[c] = max;
                continue;
            }
            TensorPrimitives.Subtract(row, max, scratch);
            // terms below e^−700 cannot change a sum that holds a 1; cut them so Exp stays on its vector path
            TensorPrimitives.Max(scratch, -700.0, scratch);
            TensorPrimitives.Exp<double>(scratch, scratch);
            result[c] = max + Math.Log(TensorPrimitives.Sum<double>(scratch));
        }
        return result;
    }

    // scott: the multivariate bandwidth as a share of the line, NaN for the neighbour gaps
    private void FitNumeric(int p, double[] observed, double scott, TpeOptions options)
    {
        var scale = _scales[p];
        var n = observed.Length;
        double low = scale.Low, high = scale.High, length = high - low;
        var mus = new double[n + 1];
        observed.CopyTo(mus, 0);
        mus[n] = 0.5 * (low + high);
        var sigmas = double.IsNaN(scott) ? NeighbourGaps(mus, low, high, options.ConsiderEndpoints) : Enumerable.Repeat(scott * length, n + 1).ToArray();
        // length · max(Δ, (1 + kernels)^−α), written as a division so Optuna's Δ = 0.01, α = 1 gives length / min(100, 1 + kernels) exactly
        var minSigma = options.MagicClip ? length / Math.Min(1 / options.MinBandwidthFactor, Math.Pow(1.0 + mus.Length, options.MagicClipExponent)) : 1e-12;
        for (var k = 0; k < sigmas.Length; k++)
            sigmas[k] = Math.Clamp(sigmas[k], minSigma, length);
        sigmas[n] = length;
        var logNorm = new double[n + 1];
        for (var k = 0; k <= n; k++)
            logNorm[k] = StandardNormal.LogMass((low - mus[k]) / sigmas[k], (high - mus[k]) / sigmas[k]);
        (_mus[p], _sigmas[p], _logNorm[p]) = (mus, sigmas, logNorm);
        _inverseSigmas[p] = sigmas.Select(sigma => 1 / sigma).ToArray();
    }

    // σ of each centre: the larger gap to its sorted neighbours, the ends of the line counting as neighbours;
    // without endpoints the lowest and highest centres take only their inner gap
    private static double[] NeighbourGaps(double[] mus, double low, double high, bool considerEndpoints)
    {
        var m = mus.Length;
        var order = Enumerable.Range(0, m).ToArray();
        var keys = (double[])mus.Clone();
        Array.Sort(keys, order);
        var line = new double[m + 2];
        line[0] = low;
        for (var i = 0; i < m; i++)
            line[i + 1] = mus[order[i]];
        line[m + 1] = high;
        var sorted = new double[m];
        for (var i = 0; i < m; i++)
            sorted[i] = Math.Max(line[i + 1] - line[i], line[i + 2] - line[i + 1]);
        if (!considerEndpoints && m >= 2)
        {
            sorted[0] = line[2] - line[1];
            sorted[m - 1] = line[m] - line[m - 1];
        }
        var sigmas = new double[m];
        for (var i = 0; i < m; i++)
            sigmas[order[i]] = sorted[i];
        return sigmas;
    }

    // log probability of each choice under each kernel, kernel-major
    private static double[] CategoricalKernels(double[] observed, int choices, double priorWeight)
    {
        var n = observed.Length;
        var table = new double[(n + 1) * choices];
        var w = priorWeight / (n + 1);
        for (var k = 0; k < n; k++)
        {
            var total = 1 + (choices * w);
            for (var c = 0; c < choices; c++)
                table[(k * choices) + c] = Math.Log(w / total);
            table[(k * choices) + (int)observed[k]] = Math.Log((1 + w) / total);
        }
        for (var c = 0; c < choices; c++)
            table[(n * choices) + c] = -Math.Log(choices);
        return table;
    }

    private int PickKernel(double u)
    {
        double cumulative = 0;
        for (var k = 0; k < _weights.Length - 1; k++)
        {
            cumulative += _weights[k];
            if (u < cumulative)
                return k;
        }
        return _weights.Length - 1;
    }

    private double SampleParameter(int p, int k, Random random)
    {
        var scale = _scales[p];
        if (scale.IsCategorical)
        {
            var choices = scale.Choices;
            var u = random.NextDouble();
            double cumulative = 0;
            for (var c = 0; c < choices - 1; c++)
            {
                cumulative += Math.Exp(_logChoice[p][(k * choices) + c]);
                if (u < cumulative)
                    return c;
            }
            return choices - 1;
        }
        double mu = _mus[p][k], sigma = _sigmas[p][k];
        var z = StandardNormal.SampleTruncated(random, (scale.Low - mu) / sigma, (scale.High - mu) / sigma);
        var x = Math.Clamp(mu + (sigma * z), scale.Low, scale.High);
        // back on the distribution's grid, then on the line again (log scales round outside the line)
        scale.TryInternal(scale.External(x), out var onGrid);
        return onGrid;
    }

    // adds each kernel's log density at x (without the constant terms already in the base) to row
    private void AddLogKernels(int p, double x, Span<double> row, Span<double> scratch)
    {
        var scale = _scales[p];
        if (scale.IsCategorical)
        {
            var choices = scale.Choices;
            var c = (int)x;
            var table = _logChoice[p];
            for (var k = 0; k < row.Length; k++)
                row[k] += table[(k * choices) + c];
            return;
        }
        var mus = _mus[p];
        if (scale.IsDiscrete)
        {
            var sigmas = _sigmas[p];
            var logNorm = _logNorm[p];
            double lower = Math.Max(x - (scale.Step / 2), scale.Low), upper = Math.Min(x + (scale.Step / 2), scale.High);
            for (var k = 0; k < row.Length; k++)
                row[k] += StandardNormal.LogMass((lower - mus[k]) / sigmas[k], (upper - mus[k]) / sigmas[k]) - logNorm[k];
            return;
        }
        // row −= ((μ − x) / σ)² / 2
        TensorPrimitives.Subtract(mus, x, scratch);
        TensorPrimitives.Multiply(scratch, _inverseSigmas[p], scratch);
        TensorPrimitives.Multiply(scratch, scratch, scratch);
        TensorPrimitives.MultiplyAdd(scratch, -0.5, row, row);
    }
}
