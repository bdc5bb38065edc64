using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search.Samplers;

/// <summary>
/// Settings of <see cref="TpeSampler"/>. The univariate defaults are Optuna's (with its 3.1 densities, see
/// <see cref="WeighKernelsByBandwidth"/>); multivariate, the kernels' bandwidths, the good share and the good
/// trials' weights follow Watanabe 2023 (arXiv 2304.11127), chosen on held-out seeds (docs/performance.md).
/// </summary>
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

    /// <summary>Bound the kernels' bandwidths from below by the line's length · max(<see cref="MinBandwidthFactor"/>, (1 + kernels)^(−<see cref="MagicClipExponent"/>)).</summary>
    public bool MagicClip { get; init; } = true;

    /// <summary>The clip's floor Δ as a share of the line's length (Optuna: 0.01).</summary>
    public double MinBandwidthFactor { get; init; } = 0.01;

    /// <summary>The clip's exponent α: the bound (1 + kernels)^(−α) narrows faster with more trials when larger (Optuna: 1).</summary>
    public double MagicClipExponent { get; init; } = 1.0;

    /// <summary>
    /// The bandwidths of multivariate kernels: each parameter's neighbour gaps (the default, as Watanabe 2023
    /// recommends; better than Scott's rule on every held-out benchmark of docs/performance.md) or Scott's rule (Optuna's).
    /// </summary>
    public MultivariateBandwidth MultivariateBandwidth { get; init; } = MultivariateBandwidth.NeighbourGaps;

    /// <summary>
    /// How the good trials' kernels weigh (one objective; several objectives weigh by hypervolume). Null: fading
    /// univariate (Optuna's), expected improvement multivariate (Watanabe 2023's; see <see cref="GoodFraction"/>).
    /// </summary>
    public GoodTrialWeighting? GoodWeighting { get; init; }

    /// <summary>Let the ends of the line count as neighbours of the outermost kernels when sizing their bandwidth.</summary>
    public bool ConsiderEndpoints { get; init; }

    /// <summary>
    /// The share of trials that count as good: ⌈<see cref="GoodFraction"/> · n⌉, at most <see cref="GoodCap"/>.
    /// Null: 0.1 univariate (Optuna's), 0.15 multivariate (Watanabe 2023's). With expected-improvement weights
    /// the larger share was better multivariate on held-out seeds; univariate neither was (docs/performance.md).
    /// </summary>
    public double? GoodFraction { get; init; }

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

    /// <summary>The share of good trials in effect: <see cref="GoodFraction"/> or its default for the mode.</summary>
    public double EffectiveGoodFraction => GoodFraction ?? (Multivariate ? 0.15 : 0.1);

    /// <summary>The good trials' weighting in effect: <see cref="GoodWeighting"/> or its default for the mode.</summary>
    public GoodTrialWeighting EffectiveGoodWeighting => GoodWeighting ?? (Multivariate ? GoodTrialWeighting.ExpectedImprovement : GoodTrialWeighting.Fading);

    /// <summary>Bars trials must clear (read from their metric attributes): feasible trials are preferred when splitting good from bad.</summary>
    public ConstraintSet? Constraints { get; init; }
}

/// <summary>How multivariate TPE sizes its kernels' bandwidths.</summary>
public enum MultivariateBandwidth
{
    /// <summary>Every kernel 0.2 · n^(−1/(d + 4)) times the line's length (Optuna's).</summary>
    Scott,

    /// <summary>Per parameter, each kernel's larger gap to its neighbours, as univariate TPE (Watanabe 2023's recommendation).</summary>
    NeighbourGaps,
}

/// <summary>How the good trials' kernels weigh against each other and the prior (one objective).</summary>
public enum GoodTrialWeighting
{
    /// <summary>1 each, the older ones fading beyond 25 trials (Optuna's); the prior weighs <see cref="TpeOptions.PriorWeight"/>.</summary>
    Fading,

    /// <summary>
    /// Each good trial by its improvement over the best bad trial (threshold − loss, at least 1e-12), the prior
    /// by the mean of those times <see cref="TpeOptions.PriorWeight"/> (Watanabe 2023, "EI" weighting). Falls
    /// back to <see cref="Fading"/> when a good trial is not complete or no bad trial is.
    /// </summary>
    ExpectedImprovement,
}

/// <summary>
/// Tree-structured Parzen estimator (Bergstra et al. 2011; Optuna's TPESampler; MOTPE for several
/// objectives). The finished trials are split into a good few (the best ⌈10 %⌉, multivariate ⌈15 %⌉, at most 25) and the rest;
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
/// multivariate, the good trials weigh by their improvement on the best bad trial instead
/// (<see cref="GoodTrialWeighting.ExpectedImprovement"/>); with several objectives the good trials weigh by
/// their share of the hypervolume.</para>
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
            || !(_options.EffectiveGoodFraction > 0 && _options.EffectiveGoodFraction <= 1) || _options.GoodCap < 1
            || !(_options.MinBandwidthFactor > 0 && _options.MinBandwidthFactor <= 1) || !(_options.MagicClipExponent > 0))
            throw new ArgumentException("TPE options: startup trials must be ≥ 0, candidates ≥ 1, prior weight > 0, good fraction in (0, 1], good cap ≥ 1, min bandwidth factor in (0, 1] and clip exponent > 0");
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
        var good = (int)Math.Min(Math.Min(Math.Ceiling(_options.EffectiveGoodFraction * finished), _options.GoodCap), finished);
        var (below, above) = Split(rows, history, good);
        var (goodWeights, goodPrior) = GoodWeights(below, above, history);
        var l = Estimator(groupScales, members, below, goodWeights, goodPrior, history);
        var g = Estimator(groupScales, members, above, FadingWeights(above.Count), _options.PriorWeight, history);
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

    private ParzenEstimator Estimator(ParameterScale[] groupScales, int[] members, List<int> rows, double[] weights, double priorWeight, History history)
    {
        var observations = new double[members.Length][];
        for (var i = 0; i < members.Length; i++)
        {
            observations[i] = new double[rows.Count];
            for (var r = 0; r < rows.Count; r++)
                observations[i][r] = history.Points[rows[r]][members[i]];
        }
        return new ParzenEstimator(groupScales, observations, weights, priorWeight, _options);
    }

    // the good kernels' weights and the prior's
    private (double[] Weights, double Prior) GoodWeights(List<int> below, List<int> above, History history)
    {
        if (history.Objectives > 1)
            return (HypervolumeWeights(below, history), _options.PriorWeight);
        if (_options.EffectiveGoodWeighting == GoodTrialWeighting.ExpectedImprovement && ImprovementWeights(below, above, history) is { } weights)
            return (weights, _options.PriorWeight * weights.Average());
        return (FadingWeights(below.Count), _options.PriorWeight);
    }

    // EI weighting: threshold − loss, the threshold being the best complete bad trial's loss; null when a good
    // trial is not complete (pruned, infeasible) or no bad trial is complete, as there is no improvement to measure
    private static double[]? ImprovementWeights(List<int> below, List<int> above, History history)
    {
        if (below.Count == 0 || below.Any(t => history.Standings[t] != Standing.Complete))
            return null;
        var threshold = double.PositiveInfinity;
        foreach (var t in above)
            if (history.Standings[t] == Standing.Complete)
                threshold = Math.Min(threshold, history.Losses[t][0]);
        if (double.IsPositiveInfinity(threshold))
            return null;
        return [.. below.Select(t => Math.Max(Tiny, threshold - history.Losses[t][0]))];
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
