using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search.Samplers;

/// <summary>Settings of <see cref="CmaEsSampler"/>.</summary>
public sealed record CmaEsOptions
{
    /// <summary>Points per generation; null for the standard 4 + ⌊3 ln n⌋.</summary>
    public int? PopulationSize { get; init; }

    /// <summary>The first step size, as a fraction of each parameter's range (the search starts at the centre).</summary>
    public double InitialStep { get; init; } = 1.0 / 6;
}

/// <summary>
/// CMA-ES (Hansen's covariance matrix adaptation evolution strategy, with the default population, weights
/// and learning rates of his tutorial, negative weights included) over a study's unconditional int and float
/// parameters, each scaled to [0, 1] (log scales in log space, ints rounded after sampling). Categorical and
/// conditional parameters are drawn at random. One objective only.
/// </summary>
/// <remarks>
/// The sampler holds no state that storage does not: the distribution is rebuilt from the study by
/// replaying its complete trials in trial-number order, λ at a time, one generation each (a partial last
/// group waits). Every replayed trial is injected as in Hansen (2011), its step clipped to Mahalanobis length
/// √n + 2n/(n + 2), so trials not drawn from the current distribution (parallel workers, earlier random
/// trials, retries) cannot throw the search off. Replays are cached, so a long study does not replay from
/// the start at every proposal; the cache only skips work and gives what a fresh replay gives.
/// </remarks>
public sealed class CmaEsSampler : ISampler
{
    private readonly CmaEsOptions _options;
    private readonly object _cacheLock = new();
    private Replay? _cache;

    /// <summary>Creates the sampler with <paramref name="options"/> (defaults when null).</summary>
    public CmaEsSampler(CmaEsOptions? options = null)
    {
        _options = options ?? new CmaEsOptions();
        if (_options.PopulationSize is < 2 || !(_options.InitialStep > 0))
            throw new ArgumentException("CMA-ES options: population size must be at least 2 and the initial step above 0");
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, ScalarValue> Propose(SearchSpace space, IReadOnlyList<Direction> directions, IReadOnlyList<FrozenTrial> trials, Random random)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(directions);
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(random);
        if (directions.Count != 1)
            throw new ArgumentException($"CMA-ES optimises one objective; this study has {directions.Count}");
        var scales = ParameterScale.Of(space);
        var dims = scales.Where(s => s.Parameter.When is null && !s.IsCategorical && !s.IsFixed).ToArray();
        var chosen = new Dictionary<string, ScalarValue>(StringComparer.Ordinal);
        if (dims.Length > 0)
        {
            var state = Replayed(space, dims, directions[0], trials);
            var u = state.Sample(random);
            for (var i = 0; i < dims.Length; i++)
                chosen[dims[i].Parameter.Name] = dims[i].External(dims[i].Low + (u[i] * (dims[i].High - dims[i].Low)));
        }
        RandomSampler.DrawActive(scales, chosen, random);
        return chosen;
    }

    private CmaState Replayed(SearchSpace space, ParameterScale[] dims, Direction direction, IReadOnlyList<FrozenTrial> trials)
    {
        var told = Told(dims, direction, trials);
        var fresh = new CmaState(dims.Length, _options);
        var lambda = fresh.Lambda;
        CmaState state;
        int start;
        lock (_cacheLock)
        {
            if (_cache is { } c && c.Space.Equals(space) && c.Direction == direction && c.IsPrefixOf(told))
                (state, start) = (c.State.Clone(), c.Told.Count);
            else
                (state, start) = (fresh, 0);
        }
        for (var g = start; g + lambda <= told.Count; g += lambda)
            state.Tell(told.GetRange(g, lambda));
        var generations = told.Count / lambda * lambda;
        lock (_cacheLock)
            _cache = new Replay(space, direction, told.GetRange(0, generations), state.Clone());
        return state;
    }

    // complete trials holding every searched parameter, in number order, as points in [0, 1]ⁿ with their loss
    private static List<Solution> Told(ParameterScale[] dims, Direction direction, IReadOnlyList<FrozenTrial> trials)
    {
        var told = new List<Solution>();
        foreach (var t in trials.Where(t => t.State == TrialState.Complete && t.Values.Length == 1).OrderBy(t => t.Number))
        {
            var u = new double[dims.Length];
            var ok = true;
            for (var i = 0; i < dims.Length && ok; i++)
            {
                var point = 0.0;
                ok = t.Params.TryGetValue(dims[i].Parameter.Name, out var v) && dims[i].TryInternal(v, out point);
                u[i] = (point - dims[i].Low) / (dims[i].High - dims[i].Low);
            }
            if (!ok)
                continue;
            var loss = direction == Direction.Maximize ? -t.Values[0] : t.Values[0];
            told.Add(new Solution(t.Number, u, double.IsNaN(loss) ? double.PositiveInfinity : loss));
        }
        return told;
    }

    private sealed record Solution(int Number, double[] Point, double Loss);

    private sealed record Replay(SearchSpace Space, Direction Direction, List<Solution> Told, CmaState State)
    {
        public bool IsPrefixOf(List<Solution> told)
        {
            if (told.Count < Told.Count)
                return false;
            for (var i = 0; i < Told.Count; i++)
                if (Told[i].Number != told[i].Number || !Told[i].Loss.Equals(told[i].Loss) || !Told[i].Point.AsSpan().SequenceEqual(told[i].Point))
                    return false;
            return true;
        }
    }

    // the search distribution N(m, σ² C) in [0, 1]ⁿ and its evolution paths
    private sealed class CmaState
    {
        private readonly int _n, _mu;
        private readonly double[] _weights;
        private readonly double _muEff, _cc, _cs, _c1, _cMu, _damps, _chiN;
        private double[] _mean, _pc, _ps, _c, _b, _d;
        private double _sigma;
        private int _generation;

        public CmaState(int n, CmaEsOptions options)
        {
            _n = n;
            Lambda = options.PopulationSize ?? (4 + (int)Math.Floor(3 * Math.Log(n)));
            _mu = Lambda / 2;
            var raw = Enumerable.Range(1, Lambda).Select(i => Math.Log((Lambda + 1) / 2.0) - Math.Log(i)).ToArray();
            var positive = raw.Take(_mu).ToArray();
            var negative = raw.Skip(_mu).ToArray();
            _muEff = Square(positive.Sum()) / positive.Sum(w => w * w);
            var muEffMinus = negative.Sum(w => w * w) > 0 ? Square(negative.Sum()) / negative.Sum(w => w * w) : 0;
            _cc = (4 + (_muEff / n)) / (n + 4 + (2 * _muEff / n));
            _cs = (_muEff + 2) / (n + _muEff + 5);
            _c1 = 2 / (Square(n + 1.3) + _muEff);
            _cMu = Math.Min(1 - _c1, 2 * (_muEff - 2 + (1 / _muEff)) / (Square(n + 2) + _muEff));
            _damps = 1 + (2 * Math.Max(0, Math.Sqrt((_muEff - 1) / (n + 1)) - 1)) + _cs;
            _chiN = Math.Sqrt(n) * (1 - (1.0 / (4 * n)) + (1.0 / (21.0 * n * n)));
            var negativeScale = Math.Min(1 + (_c1 / _cMu), Math.Min(1 + (2 * muEffMinus / (_muEff + 2)), (1 - _c1 - _cMu) / (n * _cMu)));
            double positiveSum = positive.Sum(), negativeSum = -negative.Where(w => w < 0).Sum();
            _weights = raw.Select(w => w >= 0 ? w / positiveSum : negativeScale * w / negativeSum).ToArray();
            _mean = Enumerable.Repeat(0.5, n).ToArray();
            _sigma = options.InitialStep;
            _pc = new double[n];
            _ps = new double[n];
            _c = new double[n * n];
            _b = new double[n * n];
            _d = Enumerable.Repeat(1.0, n).ToArray();
            for (var i = 0; i < n; i++)
                _c[(i * n) + i] = _b[(i * n) + i] = 1;
        }

        public int Lambda { get; }

        public CmaState Clone()
        {
            var copy = (CmaState)MemberwiseClone();
            copy._mean = (double[])_mean.Clone();
            copy._pc = (double[])_pc.Clone();
            copy._ps = (double[])_ps.Clone();
            copy._c = (double[])_c.Clone();
            copy._b = (double[])_b.Clone();
            copy._d = (double[])_d.Clone();
            return copy;
        }

        // m + σ B D z, drawn again (up to 100 times) until inside the box, then clipped into it
        public double[] Sample(Random random)
        {
            var x = new double[_n];
            var z = new double[_n];
            for (var attempt = 0; attempt < 100; attempt++)
            {
                for (var i = 0; i < _n; i++)
                    z[i] = _d[i] * StandardNormal.Sample(random);
                for (var i = 0; i < _n; i++)
                {
                    double y = 0;
                    for (var j = 0; j < _n; j++)
                        y += _b[(i * _n) + j] * z[j];
                    x[i] = _mean[i] + (_sigma * y);
                }
                if (x.All(v => v is >= 0 and <= 1))
                    return x;
            }
            for (var i = 0; i < _n; i++)
                x[i] = Math.Clamp(x[i], 0, 1);
            return x;
        }

        public void Tell(List<Solution> generation)
        {
            var n = _n;
            var clip = Math.Sqrt(n) + (2.0 * n / (n + 2));
            var ranked = generation.Select((s, i) => (s, i)).OrderBy(p => p.s.Loss).ThenBy(p => p.i).Select(p => p.s).ToList();
            var steps = new double[Lambda][];
            var whitened = new double[Lambda];
            for (var k = 0; k < Lambda; k++)
            {
                var y = new double[n];
                for (var i = 0; i < n; i++)
                    y[i] = (ranked[k].Point[i] - _mean[i]) / _sigma;
                var length = Norm(InverseSqrtTimes(y));
                if (length > clip)
                {
                    for (var i = 0; i < n; i++)
                        y[i] *= clip / length;
                    length = clip;
                }
                steps[k] = y;
                whitened[k] = length;
            }
            var yw = new double[n];
            for (var k = 0; k < _mu; k++)
                for (var i = 0; i < n; i++)
                    yw[i] += _weights[k] * steps[k][i];
            for (var i = 0; i < n; i++)
                _mean[i] += _sigma * yw[i];
            var cyw = InverseSqrtTimes(yw);
            var psScale = Math.Sqrt(_cs * (2 - _cs) * _muEff);
            for (var i = 0; i < n; i++)
                _ps[i] = ((1 - _cs) * _ps[i]) + (psScale * cyw[i]);
            var psNorm = Norm(_ps);
            var hSigma = psNorm / Math.Sqrt(1 - Math.Pow(1 - _cs, 2 * (_generation + 1))) < (1.4 + (2.0 / (n + 1))) * _chiN ? 1.0 : 0.0;
            var pcScale = Math.Sqrt(_cc * (2 - _cc) * _muEff);
            for (var i = 0; i < n; i++)
                _pc[i] = ((1 - _cc) * _pc[i]) + (hSigma * pcScale * yw[i]);
            UpdateCovariance(steps, whitened, hSigma);
            _sigma *= Math.Exp(_cs / _damps * ((psNorm / _chiN) - 1));
            _sigma = Math.Clamp(_sigma, 1e-15, 1e3);
            _generation++;
            Decompose();
        }

        // C ← (1 + c1 δ(h) − c1 − cμ Σw) C + c1 pc pcᵀ + cμ Σ w°ᵢ yᵢ yᵢᵀ, negative weights rescaled by n / ‖C^(−1/2) yᵢ‖²
        private void UpdateCovariance(double[][] steps, double[] whitened, double hSigma)
        {
            var n = _n;
            var delta = (1 - hSigma) * _cc * (2 - _cc);
            var decay = 1 + (_c1 * delta) - _c1 - (_cMu * _weights.Sum());
            for (var i = 0; i < n * n; i++)
                _c[i] *= decay;
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                    _c[(i * n) + j] += _c1 * _pc[i] * _pc[j];
            for (var k = 0; k < Lambda; k++)
            {
                var w = _weights[k];
                if (w < 0)
                    w *= whitened[k] > 0 ? n / Square(whitened[k]) : 0;
                if (w == 0)
                    continue;
                var y = steps[k];
                for (var i = 0; i < n; i++)
                    for (var j = 0; j < n; j++)
                        _c[(i * n) + j] += _cMu * w * y[i] * y[j];
            }
            for (var i = 0; i < n; i++)
                for (var j = i + 1; j < n; j++)
                    _c[(i * n) + j] = _c[(j * n) + i] = 0.5 * (_c[(i * n) + j] + _c[(j * n) + i]);
        }

        private void Decompose()
        {
            var values = new double[_n];
            SymmetricEigen.Decompose(_c, _n, values, _b);
            for (var i = 0; i < _n; i++)
                _d[i] = Math.Sqrt(Math.Max(values[i], 1e-20));
        }

        // C^(−1/2) v = B D⁻¹ Bᵀ v
        private double[] InverseSqrtTimes(double[] v)
        {
            var n = _n;
            var t = new double[n];
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var i = 0; i < n; i++)
                    s += _b[(i * n) + j] * v[i];
                t[j] = s / _d[j];
            }
            var result = new double[n];
            for (var i = 0; i < n; i++)
            {
                double s = 0;
                for (var j = 0; j < n; j++)
                    s += _b[(i * n) + j] * t[j];
                result[i] = s;
            }
            return result;
        }

        private static double Norm(double[] v) => Math.Sqrt(v.Sum(x => x * x));

        private static double Square(double x) => x * x;
    }
}
