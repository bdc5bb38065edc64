using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search.Samplers;

/// <summary>Settings of <see cref="TpeSampler"/>; the defaults are Optuna's.</summary>
public sealed record TpeOptions
{
    /// <summary>Finished trials (complete or pruned) drawn at random before TPE takes over.</summary>
    public int StartupTrials { get; init; } = 10;

    /// <summary>Points drawn from the good trials' estimator, of which the one most likely good rather than bad is proposed.</summary>
    public int Candidates { get; init; } = 24;

    /// <summary>Joint kernels over the parameters (active together) instead of one estimator per parameter.</summary>
    public bool Multivariate { get; init; }

    /// <summary>Running and waiting trials count as the worst trials, so parallel workers do not all propose the same point.</summary>
    public bool ConstantLiar { get; init; } = true;

    /// <summary>The weight of the broad prior kernel against each trial's kernel weight (at most 1).</summary>
    public double PriorWeight { get; init; } = 1.0;

    /// <summary>Bound the kernels' bandwidths from below by the line's length / min(100, 1 + kernels).</summary>
    public bool MagicClip { get; init; } = true;

    /// <summary>Let the ends of the line count as neighbours of the outermost kernels when sizing their bandwidth.</summary>
    public bool ConsiderEndpoints { get; init; }

    /// <summary>The share of trials that count as good: ⌈<see cref="GoodFraction"/> · n⌉, at most <see cref="GoodCap"/>.</summary>
    public double GoodFraction { get; init; } = 0.1;

    /// <summary>The most trials that count as good.</summary>
    public int GoodCap { get; init; } = 25;

    /// <summary>
    /// When comparing l and g, each continuous kernel counts in proportion to its bandwidth (its density
    /// without the factor 1/σ), so broad kernels (the prior, isolated trials) weigh more; candidates are still
    /// drawn from l with the plain weights. This is how Optuna up to 3.4 evaluated the ratio (the 1/σ went
    /// missing; Optuna issue 5109, changed in 3.5). On by default: on seeds other than the benchmark's it was
    /// better than the exact densities on Hartmann-6 and Rosenbrock-4 and even on Branin (docs/performance.md).
    /// </summary>
    public bool WeighKernelsByBandwidth { get; init; } = true;

    /// <summary>Bars trials must clear (read from their metric attributes): feasible trials are preferred when splitting good from bad.</summary>
    public ConstraintSet? Constraints { get; init; }
}

/// <summary>
/// Tree-structured Parzen estimator (Bergstra et al. 2011; Optuna's TPESampler; MOTPE for several
/// objectives). The finished trials are split into a good few (the best ⌈10 %⌉, at most 25) and the rest;
/// each side gets a Parzen estimator, l for the good and g for the bad; of 24 points drawn from l the one
/// with the highest l / g is proposed.
/// </summary>
/// <remarks>
/// <para>Which trials are good: complete trials by value (several objectives: by non-domination rank,
/// the last rank cut by greedy hypervolume selection); then pruned trials, those that went further first
/// and by their last intermediate value; then, with <see cref="TpeOptions.Constraints"/>, infeasible trials by
/// how far they miss (a feasible trial always ranks above an infeasible one); running and waiting trials
/// are always bad (constant liar). Failed trials are ignored.</para>
/// <para>Kernel weights: 1 each, but beyond 25 trials the older ones fade linearly (the newest 25 keep 1);
/// with several objectives the good trials weigh by their share of the hypervolume.</para>
/// <para>Conditional parameters: a parameter (univariate) or a group of parameters active under the same
/// condition (multivariate) is modelled on the trials where it was active; with no such trial finished it
/// is drawn at random.</para>
/// </remarks>
public sealed class TpeSampler : ISampler
{
    private const double Tiny = 1e-12;
    private readonly TpeOptions _options;

    /// <summary>Creates the sampler with <paramref name="options"/> (Optuna's defaults when null).</summary>
    public TpeSampler(TpeOptions? options = null)
    {
        _options = options ?? new TpeOptions();
        if (_options.StartupTrials < 0 || _options.Candidates < 1 || !(_options.PriorWeight > 0)
            || !(_options.GoodFraction > 0 && _options.GoodFraction <= 1) || _options.GoodCap < 1)
            throw new ArgumentException("TPE options: startup trials must be ≥ 0, candidates ≥ 1, prior weight > 0, good fraction in (0, 1] and good cap ≥ 1");
    }

    /// <summary>The settings.</summary>
    public TpeOptions Options => _options;

    private enum Standing
    {
        Ignored,
        Complete,
        Pruned,
        Infeasible,
        Broken,
        Pending,
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, ScalarValue> Propose(SearchSpace space, IReadOnlyList<Direction> directions, IReadOnlyList<FrozenTrial> trials, Random random)
    {
        ArgumentNullException.ThrowIfNull(directions);
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(random);
        if (directions.Count == 0)
            throw new ArgumentException("a study needs at least one objective direction");
        var scales = ParameterScale.Of(space);
        var chosen = new Dictionary<string, ScalarValue>(StringComparer.Ordinal);
        var history = History.Of(trials, directions, scales, _options);
        if (history.Finished < _options.StartupTrials)
        {
            RandomSampler.DrawActive(scales, chosen, random);
            return chosen;
        }
        foreach (var group in Groups(scales))
        {
            if (!SearchSpace.IsActive(scales[group[0]].Parameter, chosen))
                continue;
            var modelled = new List<int>();
            foreach (var p in group)
            {
                if (scales[p].IsFixed)
                    chosen[scales[p].Parameter.Name] = scales[p].DrawUniform(random);
                else
                    modelled.Add(p);
            }
            if (modelled.Count > 0)
                ProposeGroup([.. modelled], scales, history, chosen, random);
        }
        return chosen;
    }

    // univariate: each parameter alone; multivariate: parameters under the same condition together,
    // in the order of their first member (so a condition's parameter is always decided before)
    private List<int[]> Groups(ParameterScale[] scales)
    {
        if (!_options.Multivariate)
            return [.. Enumerable.Range(0, scales.Length).Select(i => new[] { i })];
        var groups = new List<(ParameterCondition? When, List<int> Members)>();
        for (var i = 0; i < scales.Length; i++)
        {
            var when = scales[i].Parameter.When;
            var index = groups.FindIndex(g => Equals(g.When, when));
            if (index < 0)
                groups.Add((when, [i]));
            else
                groups[index].Members.Add(i);
        }
        return [.. groups.Select(g => g.Members.ToArray())];
    }

    private void ProposeGroup(int[] members, ParameterScale[] scales, History history, Dictionary<string, ScalarValue> chosen, Random random)
    {
        var groupScales = members.Select(p => scales[p]).ToArray();
        var rows = new List<int>();
        var finished = 0;
        for (var t = 0; t < history.Standings.Length; t++)
        {
            if (history.Standings[t] == Standing.Ignored || !members.All(p => !double.IsNaN(history.Points[t][p])))
                continue;
            rows.Add(t);
            if (history.Standings[t] != Standing.Pending)
                finished++;
        }
        if (finished == 0)
        {
            foreach (var s in groupScales)
                chosen[s.Parameter.Name] = s.DrawUniform(random);
            return;
        }
        var good = (int)Math.Min(Math.Min(Math.Ceiling(_options.GoodFraction * finished), _options.GoodCap), finished);
        var (below, above) = Split(rows, history, good);
        var goodWeights = history.Objectives > 1 ? HypervolumeWeights(below, history) : FadingWeights(below.Count);
        var l = Estimator(groupScales, members, below, goodWeights, history);
        var g = Estimator(groupScales, members, above, FadingWeights(above.Count), history);
        var samples = l.Sample(random, _options.Candidates);
        var logL = l.LogDensity(samples);
        var logG = g.LogDensity(samples);
        var best = 0;
        for (var c = 1; c < logL.Length; c++)
            if (logL[c] - logG[c] > logL[best] - logG[best])
                best = c;
        for (var i = 0; i < groupScales.Length; i++)
            chosen[groupScales[i].Parameter.Name] = groupScales[i].External(samples[i][best]);
    }

    private ParzenEstimator Estimator(ParameterScale[] groupScales, int[] members, List<int> rows, double[] weights, History history)
    {
        var observations = new double[members.Length][];
        for (var i = 0; i < members.Length; i++)
        {
            observations[i] = new double[rows.Count];
            for (var r = 0; r < rows.Count; r++)
                observations[i][r] = history.Points[rows[r]][members[i]];
        }
        return new ParzenEstimator(groupScales, observations, weights, _options.Multivariate, _options.PriorWeight, _options.MagicClip, _options.ConsiderEndpoints, _options.WeighKernelsByBandwidth);
    }

    // the good rows and the rest, each in trial-number order (the order the fading weights follow)
    private static (List<int> Below, List<int> Above) Split(List<int> rows, History history, int good)
    {
        var ranked = Ranked(rows, history, good);
        var isBelow = new bool[history.Standings.Length];
        for (var i = 0; i < good && i < ranked.Count; i++)
            isBelow[ranked[i]] = true;
        var ordered = new List<int>(rows);
        if (!IsInNumberOrder(ordered, history.Numbers))
            ordered.Sort((x, y) => history.Numbers[x].CompareTo(history.Numbers[y]));
        List<int> below = new(good), above = new(ordered.Count);
        foreach (var t in ordered)
            (isBelow[t] ? below : above).Add(t);
        return (below, above);
    }

    // the rows best first, as far as the first `good` of them: complete, then pruned, infeasible, broken.
    // With one objective the order is the same for every group, so it is sorted once per proposal
    private static List<int> Ranked(List<int> rows, History history, int good)
    {
        if (history.Objectives > 1)
            return Rank(rows, history, good);
        var inRows = new bool[history.Standings.Length];
        foreach (var t in rows)
            inRows[t] = true;
        var ranked = new List<int>(good);
        foreach (var t in history.SingleObjectiveOrder)
            if (inRows[t] && ranked.Count < good)
                ranked.Add(t);
        return ranked;
    }

    private static List<int> Rank(IEnumerable<int> rows, History history, int good)
    {
        List<int> complete = [], pruned = [], infeasible = [], broken = [];
        foreach (var t in rows)
        {
            var list = history.Standings[t] switch
            {
                Standing.Complete => complete,
                Standing.Pruned => pruned,
                Standing.Infeasible => infeasible,
                Standing.Broken => broken,
                _ => null,
            };
            list?.Add(t);
        }
        var numbers = history.Numbers;
        var losses = history.Losses;
        var ranked = new List<int>(complete.Count + pruned.Count + infeasible.Count + broken.Count);
        if (history.Objectives == 1 || complete.Count <= good)
        {
            complete.Sort((x, y) => losses[x][0] != losses[y][0] ? losses[x][0].CompareTo(losses[y][0]) : numbers[x].CompareTo(numbers[y]));
            ranked.AddRange(complete);
        }
        else
        {
            ranked.AddRange(BestByRankAndHypervolume(complete, history, good));
        }
        if (ranked.Count >= good)
            return ranked;
        var steps = history.LastStep;
        pruned.Sort((x, y) => steps[x] != steps[y] ? steps[y].CompareTo(steps[x])
            : losses[x][0] != losses[y][0] ? losses[x][0].CompareTo(losses[y][0]) : numbers[x].CompareTo(numbers[y]));
        ranked.AddRange(pruned);
        var violation = history.Violation;
        infeasible.Sort((x, y) => violation[x] != violation[y] ? violation[x].CompareTo(violation[y]) : numbers[x].CompareTo(numbers[y]));
        ranked.AddRange(infeasible);
        broken.Sort((x, y) => numbers[x].CompareTo(numbers[y]));
        ranked.AddRange(broken);
        return ranked;
    }

    private static bool IsInNumberOrder(List<int> rows, int[] numbers)
    {
        for (var i = 1; i < rows.Count; i++)
            if (numbers[rows[i]] < numbers[rows[i - 1]])
                return false;
        return true;
    }

    // the first `good` complete trials by non-domination rank; the rank that overflows is cut by greedy hypervolume
    private static IEnumerable<int> BestByRankAndHypervolume(List<int> complete, History history, int good)
    {
        var losses = complete.Select(t => history.Losses[t]).ToList();
        var ranks = ParetoFront.Ranks(losses);
        var picked = new List<int>();
        for (var rank = 0; picked.Count < good; rank++)
        {
            var members = Enumerable.Range(0, complete.Count).Where(i => ranks[i] == rank).ToList();
            if (picked.Count + members.Count <= good)
            {
                picked.AddRange(members.Select(i => complete[i]));
                continue;
            }
            var points = members.Select(i => losses[i]).ToList();
            var subset = Hypervolume.GreedySubset(points, good - picked.Count, Hypervolume.ReferenceFor(points));
            picked.AddRange(subset.Select(k => complete[members[k]]));
        }
        return picked;
    }

    // weight 1 each; beyond 25, the older trials (all but the newest 25) rise linearly from 1/n to 1
    private static double[] FadingWeights(int n)
    {
        var weights = Enumerable.Repeat(1.0, n).ToArray();
        var ramp = n - 25;
        if (ramp > 0)
            for (var i = 0; i < ramp; i++)
                weights[i] = ramp == 1 ? 1.0 / n : (1.0 / n) + ((1 - (1.0 / n)) * i / (ramp - 1));
        return weights;
    }

    // MOTPE: a good trial weighs by its exclusive hypervolume contribution among the good complete trials,
    // relative to the largest; good trials that are not complete and feasible weigh almost nothing
    private static double[] HypervolumeWeights(List<int> below, History history)
    {
        var weights = Enumerable.Repeat(Tiny, below.Count).ToArray();
        var feasible = Enumerable.Range(0, below.Count).Where(i => history.Standings[below[i]] == Standing.Complete).ToList();
        if (feasible.Count == 1)
            weights[feasible[0]] = 1;
        if (feasible.Count < 2)
            return weights;
        var points = feasible.Select(i => history.Losses[below[i]]).ToList();
        var contributions = Hypervolume.Contributions(points, Hypervolume.ReferenceFor(points)).Select(c => c + Tiny).ToArray();
        var max = contributions.Max();
        for (var k = 0; k < feasible.Count; k++)
            weights[feasible[k]] = Math.Clamp(contributions[k] / max, 0, 1);
        return weights;
    }

    // what TPE needs of each trial, read once per proposal
    private sealed class History
    {
        public required Standing[] Standings { get; init; }
        public required double[][] Points { get; init; }     // per trial, per parameter: the point on its line, NaN when absent
        public required double[][] Losses { get; init; }     // per trial: values as losses (pruned: the last intermediate value)
        public required int[] LastStep { get; init; }
        public required double[] Violation { get; init; }
        public required int[] Numbers { get; init; }
        public required int Finished { get; init; }
        public required int Objectives { get; init; }

        // every finished trial best first (one objective): complete by value, then pruned, infeasible, broken
        public List<int> SingleObjectiveOrder => _order ??= Rank(Enumerable.Range(0, Standings.Length), this, int.MaxValue);

        private List<int>? _order;

        public static History Of(IReadOnlyList<FrozenTrial> trials, IReadOnlyList<Direction> directions, ParameterScale[] scales, TpeOptions options)
        {
            var n = trials.Count;
            var standings = new Standing[n];
            var points = new double[n][];
            var losses = new double[n][];
            var lastStep = new int[n];
            var violation = new double[n];
            var numbers = new int[n];
            var finished = 0;
            for (var t = 0; t < n; t++)
            {
                var trial = trials[t];
                numbers[t] = trial.Number;
                standings[t] = Classify(trial, directions, options, out losses[t], out lastStep[t], out violation[t]);
                if (trial.State is TrialState.Complete or TrialState.Pruned)
                    finished++;
                points[t] = new double[scales.Length];
                for (var p = 0; p < scales.Length; p++)
                    points[t][p] = trial.Params.TryGetValue(scales[p].Parameter.Name, out var v) && scales[p].TryInternal(v, out var x) ? x : double.NaN;
            }
            return new History
            {
                Standings = standings,
                Points = points,
                Losses = losses,
                LastStep = lastStep,
                Violation = violation,
                Numbers = numbers,
                Finished = finished,
                Objectives = directions.Count,
            };
        }

        private static Standing Classify(FrozenTrial trial, IReadOnlyList<Direction> directions, TpeOptions options, out double[] losses, out int lastStep, out double violation)
        {
            losses = [];
            lastStep = 0;
            violation = 0;
            switch (trial.State)
            {
                case TrialState.Complete when trial.Values.Length == directions.Count:
                    losses = ParetoFront.Losses(trial.Values.AsSpan(), directions);
                    if (!losses.All(double.IsFinite))
                        return Standing.Broken;
                    violation = options.Constraints?.Violation(trial) ?? 0;
                    return violation > 0 ? Standing.Infeasible : Standing.Complete;
                case TrialState.Pruned when directions.Count == 1:
                    if (trial.Intermediate.IsEmpty)
                    {
                        // no intermediate value: behind every pruned trial that has one
                        (lastStep, losses) = (int.MinValue, [double.PositiveInfinity]);
                        return Standing.Pruned;
                    }
                    var (step, value) = trial.Intermediate.Last();
                    var loss = directions[0] == Direction.Maximize ? -value : value;
                    (lastStep, losses) = (step, [double.IsNaN(loss) ? double.PositiveInfinity : loss]);
                    return Standing.Pruned;
                case TrialState.Running or TrialState.Waiting when options.ConstantLiar:
                    return Standing.Pending;
                default:
                    return Standing.Ignored;
            }
        }
    }
}
