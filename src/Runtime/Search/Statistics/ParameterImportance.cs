using System.Collections.Immutable;
using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Gbdt;

namespace StrategyLab.Runtime.Search.Statistics;

/// <summary>
/// Settings of <see cref="ParameterImportance"/>.
/// Example: <c>new ParameterImportanceOptions { Folds = 5, Repeats = 20, Seed = 3 }</c>.
/// </summary>
public sealed record ParameterImportanceOptions
{
    /// <summary>K of the K-fold cross-fitting: each trial's permuted error comes from a model that never saw it.</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Permutations of each parameter's column in each fold, averaged.</summary>
    public int Repeats { get; init; } = 10;

    /// <summary>Seed of the folds and permutations; the model's own seed is <see cref="Model"/>'s.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// The regression model fitted on (parameters → objective): small trees, many slow rounds, small leaves,
    /// for the tens to thousands of trials a study has.
    /// </summary>
    public GbdtOptions Model { get; init; } = new()
    {
        Rounds = 200,
        LearningRate = 0.05,
        NumLeaves = 8,
        MinDataInLeaf = 3,
        Lambda = 1,
        Threads = 1,
    };
}

/// <summary>One parameter's permutation importance.</summary>
/// <param name="Parameter">The parameter's name.</param>
/// <param name="Share">Its <see cref="MseIncrease"/> over the sum of all positive increases; 0 when its increase is not positive.</param>
/// <param name="MseIncrease">Mean increase of the out-of-fold mean squared error when its column is permuted.</param>
/// <param name="R2Decrease">The same increase divided by the objective's variance: the R² the model loses without it.</param>
public sealed record ParameterScore(string Parameter, double Share, double MseIncrease, double R2Decrease);

/// <summary>
/// Which search parameters move the objective: permutation importance (Breiman 2001; Fisher, Rudin and
/// Dominici 2019) of a gradient-boosted tree model (<see cref="GbdtModel"/>) fitted on the trials'
/// (parameters → objective), cross-fitted over K folds so that every error is measured on trials the model
/// did not train on. Out of each fold, each parameter's column is permuted among the held-out trials
/// <see cref="ParameterImportanceOptions.Repeats"/> times; its importance is the mean rise of the squared
/// error, and its share that rise over the sum of all positive rises. Deterministic given the seeds.
/// A lighter stand-in for fANOVA (Hutter, Hoos and Leyton-Brown 2014), which decomposes a random forest's
/// variance instead; like every permutation importance it splits credit between correlated parameters.
/// </summary>
/// <param name="Parameters">Every parameter, in the order given.</param>
/// <param name="Trials">The trials the model was fitted on.</param>
/// <param name="OutOfFoldR2">1 − SSE/SST of the unpermuted cross-fitted predictions: at or below 0 the model explains nothing and the shares mean nothing.</param>
public sealed record ParameterImportance(ImmutableArray<ParameterScore> Parameters, int Trials, double OutOfFoldR2)
{
    /// <summary>
    /// The importance of <paramref name="space"/>'s parameters for objective <paramref name="objective"/> over the
    /// complete trials with a finite value. Numbers enter as they are (trees do not care about scale or log
    /// scale); a categorical parameter enters as the index of its choice in the space's list (ordinal: one
    /// column, so that permuting it moves the whole parameter, and trees can still isolate any choice); a
    /// conditional parameter that is inactive in a trial enters as missing, which the trees route on their own.
    /// </summary>
    public static ParameterImportance FromTrials(SearchSpace space, IReadOnlyList<FrozenTrial> trials, int objective = 0, ParameterImportanceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(trials);
        var used = trials.Where(t => t.State == TrialState.Complete && objective < t.Values.Length && double.IsFinite(t.Values[objective])).ToList();
        var p = space.Parameters.Length;
        var features = new double[used.Count * p];
        var y = new double[used.Count];
        for (var i = 0; i < used.Count; i++)
        {
            y[i] = used[i].Values[objective];
            for (var j = 0; j < p; j++)
                features[(i * p) + j] = Encode(space.Parameters[j], used[i]);
        }
        return Compute(space.Parameters.Select(x => x.Name).ToList(), features, y, options);
    }

    /// <summary>
    /// The importance of the columns of a row-major matrix <paramref name="features"/> [trials × names]
    /// (NaN = missing) for <paramref name="objective"/>, one finite value per trial.
    /// </summary>
    public static ParameterImportance Compute(IReadOnlyList<string> names, double[] features, double[] objective, ParameterImportanceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(objective);
        options ??= new ParameterImportanceOptions();
        var p = names.Count;
        var n = objective.Length;
        if (p == 0 || features.Length != n * p)
            throw new ArgumentException($"the feature matrix has {features.Length} values, not {n} trials × {p} parameters");
        if (options.Folds < 2 || options.Repeats < 1)
            throw new ArgumentException($"permutation importance needs at least 2 folds and 1 repeat, found {options.Folds} and {options.Repeats}");
        if (n < 2 * options.Folds)
            throw new ArgumentException($"permutation importance over {options.Folds} folds needs at least {2 * options.Folds} complete trials, found {n}");
        foreach (var v in objective)
            if (!double.IsFinite(v))
                throw new ArgumentException($"objective value {v} is not a finite number", nameof(objective));

        var rng = new SplitMix64(options.Seed);
        var fold = AssignFolds(n, options.Folds, ref rng);
        double sse = 0;
        var rise = new double[p];
        for (var k = 0; k < options.Folds; k++)
            sse += FitFold(features, objective, p, fold, k, options, ref rng, rise);
        var mean = objective.Average();
        var sst = objective.Sum(v => (v - mean) * (v - mean));
        var variance = sst / n;
        var positive = rise.Where(r => r > 0).Sum() / (n * options.Repeats);
        var scores = names.Select((name, j) =>
        {
            var increase = rise[j] / (n * options.Repeats);
            return new ParameterScore(name, increase > 0 ? increase / positive : 0, increase, variance > 0 ? increase / variance : double.NaN);
        }).ToImmutableArray();
        return new ParameterImportance(scores, n, sst > 0 ? 1 - (sse / sst) : double.NaN);
    }

    private static double Encode(SearchParameter parameter, FrozenTrial trial)
    {
        if (!trial.Params.TryGetValue(parameter.Name, out var v))
            return double.NaN;
        if (parameter.Distribution is CategoricalDistribution c)
        {
            var index = c.Choices.IndexOf(v);
            return index >= 0 ? index : throw new ArgumentException($"trial {trial.Number} has {parameter.Name} = {v}, not one of its choices");
        }
        return v.IsText ? throw new ArgumentException($"trial {trial.Number} has text {v} for the numeric parameter {parameter.Name}") : v.Number;
    }

    // a seeded shuffle dealt round-robin: fold sizes differ by at most one
    private static int[] AssignFolds(int n, int folds, ref SplitMix64 rng)
    {
        var order = Enumerable.Range(0, n).ToArray();
        Shuffle(order, ref rng);
        var fold = new int[n];
        for (var i = 0; i < n; i++)
            fold[order[i]] = i % folds;
        return fold;
    }

    // trains on the other folds; adds each column's summed squared-error rise on this fold to rise; returns this fold's SSE
    private static double FitFold(double[] features, double[] y, int p, int[] fold, int k, ParameterImportanceOptions options, ref SplitMix64 rng, double[] rise)
    {
        var train = Enumerable.Range(0, y.Length).Where(i => fold[i] != k).ToArray();
        var test = Enumerable.Range(0, y.Length).Where(i => fold[i] == k).ToArray();
        var model = GbdtModel.Train(Rows(features, p, train), train.Select(i => y[i]).ToArray(), options.Model);
        var held = Rows(features, p, test);
        var truth = test.Select(i => y[i]).ToArray();
        var baseline = SquaredError(model, held, truth);
        var permuted = new double[held.Length];
        var order = new int[test.Length];
        for (var j = 0; j < p; j++)
        {
            for (var r = 0; r < options.Repeats; r++)
            {
                held.CopyTo(permuted, 0);
                for (var i = 0; i < order.Length; i++)
                    order[i] = i;
                Shuffle(order, ref rng);
                for (var i = 0; i < order.Length; i++)
                    permuted[(i * p) + j] = held[(order[i] * p) + j];
                rise[j] += SquaredError(model, permuted, truth) - baseline;
            }
        }
        return baseline;
    }

    private static double[] Rows(double[] features, int p, int[] rows)
    {
        var result = new double[rows.Length * p];
        for (var i = 0; i < rows.Length; i++)
            features.AsSpan(rows[i] * p, p).CopyTo(result.AsSpan(i * p));
        return result;
    }

    private static double SquaredError(GbdtModel model, double[] rows, double[] truth)
    {
        var predicted = new double[truth.Length];
        model.Predict(rows, predicted);
        double sse = 0;
        for (var i = 0; i < truth.Length; i++)
            sse += (predicted[i] - truth[i]) * (predicted[i] - truth[i]);
        return sse;
    }

    private static void Shuffle(int[] items, ref SplitMix64 rng)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var k = (int)(rng.Uniform() * (i + 1));
            (items[i], items[k]) = (items[k], items[i]);
        }
    }
}
