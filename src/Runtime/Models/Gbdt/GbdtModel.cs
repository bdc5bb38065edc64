using StrategyLab.Runtime.Data.Synthetic;

namespace StrategyLab.Runtime.Models.Gbdt;

/// <summary>Rows held out for early stopping: a row-major matrix [rows × features] and its labels.</summary>
public sealed record GbdtValidation(ReadOnlyMemory<double> Features, ReadOnlyMemory<double> Labels);

/// <summary>
/// A histogram gradient-boosted tree ensemble (after Ke et al. 2017, LightGBM, and Chen and
/// Guestrin 2016, XGBoost): features are binned at quantiles, trees grow leaf-wise on second-order
/// gradient statistics, NaN is "missing" and each split learns which side missing values take.
/// Training and prediction take a row-major feature matrix [rows × features] of doubles.
/// Example: <c>var m = GbdtModel.Train(x, y, new GbdtOptions { Rounds = 200, NumLeaves = 63 }); m.Predict(xTest, p);</c>
/// </summary>
public sealed class GbdtModel
{
    internal const string Kind = "GBDT";
    internal const int FormatVersion = 1;

    private readonly double[] _baseScore;
    private readonly FeatureBins _bins;
    private readonly GbdtTree[] _trees;
    private readonly double[] _validationLoss;

    private GbdtModel(GbdtOptions options, double[] baseScore, FeatureBins bins, GbdtTree[] trees, double[] validationLoss, int bestRound)
    {
        Options = options;
        _baseScore = baseScore;
        _bins = bins;
        _trees = trees;
        _validationLoss = validationLoss;
        BestRound = bestRound;
    }

    /// <summary>The settings the model was trained with.</summary>
    public GbdtOptions Options { get; }

    /// <summary>Columns of the feature matrix the model expects.</summary>
    public int FeatureCount => _bins.FeatureCount;

    /// <summary>Predictions per row: K class probabilities for multiclass, otherwise 1.</summary>
    public int OutputCount => Options.OutputCount;

    /// <summary>Boosting rounds kept in the model.</summary>
    public int Rounds => _trees.Length / OutputCount;

    /// <summary>
    /// Validation loss after each round trained with validation rows (mean squared error, mean
    /// log-loss or mean multiclass log-loss), including rounds dropped by early stopping.
    /// </summary>
    public IReadOnlyList<double> ValidationLoss => _validationLoss;

    /// <summary>Rounds kept: with early stopping, the round count of the lowest validation loss; otherwise <see cref="Rounds"/>.</summary>
    public int BestRound { get; }

    internal IReadOnlyList<GbdtTree> Trees => _trees;

    /// <summary>
    /// Trains <see cref="GbdtOptions.Rounds"/> rounds on a row-major matrix <paramref name="features"/>
    /// [labels.Length × features] (NaN = missing). With <paramref name="validation"/> and
    /// <see cref="GbdtOptions.EarlyStoppingRounds"/> &gt; 0, keeps the rounds up to the best validation loss.
    /// </summary>
    public static GbdtModel Train(ReadOnlyMemory<double> features, ReadOnlyMemory<double> labels, GbdtOptions options, GbdtValidation? validation = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var featureCount = CheckShape(features.Length, labels.Length, "training");
        CheckLabels(labels.Span, options, "training");
        var bins = FeatureBins.Fit(features, labels.Length, featureCount, options.MaxBins, options.Threads);
        var baseScore = BaseScore(labels.Span, options);
        var seed = new GbdtModel(options, baseScore, bins, [], [], 0);
        return seed.Boost(features, labels, options.Rounds, validation);
    }

    /// <summary>
    /// Returns a model with <paramref name="extraRounds"/> more rounds trained on top of this one,
    /// with its bins, settings and seed; on the same data it equals training all rounds at once.
    /// </summary>
    public GbdtModel ContinueTraining(ReadOnlyMemory<double> features, ReadOnlyMemory<double> labels, int extraRounds, GbdtValidation? validation = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(extraRounds);
        var featureCount = CheckShape(features.Length, labels.Length, "training");
        if (featureCount != FeatureCount)
            throw new ArgumentException($"the model has {FeatureCount} features, the training matrix {featureCount}");
        CheckLabels(labels.Span, Options, "training");
        return Boost(features, labels, extraRounds, validation);
    }

    /// <summary>
    /// Writes the model's raw scores for a row-major matrix [rows × <see cref="FeatureCount"/>] into
    /// <paramref name="output"/> [rows × <see cref="OutputCount"/>]: the prediction for squared
    /// error, the log-odds for binary, the pre-softmax scores for multiclass.
    /// </summary>
    public unsafe void PredictRaw(ReadOnlySpan<double> features, Span<double> output)
    {
        var rows = CheckPredictShape(features.Length, output.Length);
        const int block = 2048;
        if (rows <= block || Options.Threads == 1)
        {
            PredictRows(features, output, 0, rows);
            return;
        }
        // rows are independent, so splitting them among threads changes no bit of the output
        fixed (double* x = features)
        fixed (double* o = output)
        {
            var (xs, os, length) = ((nint)x, (nint)o, features.Length);
            Parallel.For(0, (rows + block - 1) / block, new ParallelOptions { MaxDegreeOfParallelism = Options.Threads }, b =>
            {
                var end = Math.Min(rows, (b + 1) * block);
                PredictRows(new ReadOnlySpan<double>((double*)xs, length), new Span<double>((double*)os, rows * OutputCount), b * block, end);
            });
        }
    }

    private void PredictRows(ReadOnlySpan<double> features, Span<double> output, int first, int end)
    {
        var k = OutputCount;
        var f = FeatureCount;
        var trees = _trees;
        for (var row = first; row < end; row++)
        {
            var x = features.Slice(row * f, f);
            var o = output.Slice(row * k, k);
            _baseScore.CopyTo(o);
            if (k == 1)
            {
                var sum = o[0];
                for (var t = 0; t < trees.Length; t++)
                    sum += trees[t].LeafValue[trees[t].LeafOf(x)];
                o[0] = sum;
            }
            else
            {
                for (var t = 0; t < trees.Length; t++)
                    o[t % k] += trees[t].LeafValue[trees[t].LeafOf(x)];
            }
        }
    }

    /// <summary>
    /// Writes predictions for a row-major matrix [rows × <see cref="FeatureCount"/>] into
    /// <paramref name="output"/> [rows × <see cref="OutputCount"/>]: values for squared error, the
    /// probability of class 1 for binary, K class probabilities per row for multiclass.
    /// </summary>
    public void Predict(ReadOnlySpan<double> features, Span<double> output)
    {
        PredictRaw(features, output);
        switch (Options.Objective)
        {
            case GbdtObjective.Binary:
                for (var i = 0; i < output.Length; i++)
                    output[i] = Sigmoid(output[i]);
                break;
            case GbdtObjective.Multiclass:
                var k = OutputCount;
                for (var row = 0; row < output.Length; row += k)
                    Softmax(output.Slice(row, k));
                break;
        }
    }

    /// <summary>Total split gain (loss reduction) each feature brought over all trees, indexed by feature.</summary>
    public double[] FeatureImportance()
    {
        var importance = new double[FeatureCount];
        foreach (var tree in _trees)
            for (var n = 0; n < tree.NodeCount; n++)
                importance[tree.Feature[n]] += tree.Gain[n];
        return importance;
    }

    private static int CheckShape(int values, int rows, string what)
    {
        if (rows == 0)
            throw new ArgumentException($"the {what} set has no rows");
        if (values % rows != 0 || values == 0)
            throw new ArgumentException($"the {what} matrix has {values} values, not a whole number of columns for {rows} labels");
        return values / rows;
    }

    private int CheckPredictShape(int values, int outputs)
    {
        if (values % FeatureCount != 0)
            throw new ArgumentException($"the feature matrix has {values} values, not a whole number of rows of {FeatureCount} features");
        var rows = values / FeatureCount;
        if (outputs != rows * OutputCount)
            throw new ArgumentException($"the output has {outputs} values; {rows} rows need {rows * OutputCount}");
        return rows;
    }

    private static void CheckLabels(ReadOnlySpan<double> labels, GbdtOptions options, string what)
    {
        for (var i = 0; i < labels.Length; i++)
        {
            var y = labels[i];
            var ok = options.Objective switch
            {
                GbdtObjective.Binary => y is 0.0 or 1.0,
                GbdtObjective.Multiclass => y >= 0 && y < options.ClassCount && y == Math.Floor(y),
                _ => double.IsFinite(y),
            };
            if (!ok)
            {
                var expected = options.Objective switch
                {
                    GbdtObjective.Binary => "0 or 1",
                    GbdtObjective.Multiclass => $"a class number from 0 to {options.ClassCount - 1}",
                    _ => "a finite number",
                };
                throw new ArgumentException($"{what} label {i} is {y}; expected {expected}");
            }
        }
    }

    private static double[] BaseScore(ReadOnlySpan<double> labels, GbdtOptions options)
    {
        switch (options.Objective)
        {
            case GbdtObjective.Binary:
                {
                    double sum = 0;
                    foreach (var y in labels)
                        sum += y;
                    var p = Math.Clamp(sum / labels.Length, 1e-15, 1 - 1e-15);
                    return [Math.Log(p / (1 - p))];
                }
            case GbdtObjective.Multiclass:
                {
                    var counts = new double[options.ClassCount];
                    foreach (var y in labels)
                        counts[(int)y]++;
                    for (var k = 0; k < counts.Length; k++)
                        counts[k] = Math.Log(Math.Max(counts[k] / labels.Length, 1e-15));
                    return counts;
                }
            default:
                {
                    double sum = 0;
                    foreach (var y in labels)
                        sum += y;
                    return [sum / labels.Length];
                }
        }
    }

    private GbdtModel Boost(ReadOnlyMemory<double> features, ReadOnlyMemory<double> labelMemory, int rounds, GbdtValidation? validation)
    {
        var o = Options;
        var rows = labelMemory.Length;
        var k = OutputCount;
        var labels = labelMemory.ToArray();
        var columns = _bins.Apply(features, rows, o.Threads);
        var scores = new double[rows * k];
        PredictRaw(features.Span, scores);

        double[]? validationScores = null;
        double[]? validationLabels = null;
        var validationRows = 0;
        if (validation is not null)
        {
            validationRows = CheckShape(validation.Features.Length, validation.Labels.Length, "validation") == FeatureCount
                ? validation.Labels.Length
                : throw new ArgumentException($"the validation matrix must have {FeatureCount} features like the training matrix");
            CheckLabels(validation.Labels.Span, o, "validation");
            validationLabels = validation.Labels.ToArray();
            validationScores = new double[validationRows * k];
            PredictRaw(validation.Features.Span, validationScores);
        }

        // per output, each row's gradient and hessian side by side: gh[2 row] = g, gh[2 row + 1] = h
        var gh = new double[k][];
        for (var c = 0; c < k; c++)
            gh[c] = new double[2 * rows];
        var constantHessian = o.Objective == GbdtObjective.SquaredError ? 1.0 : double.NaN;
        var learner = new TreeLearner(columns, _bins, o, rows, constantHessian);
        var bagging = o.BaggingFraction < 1.0;
        var bag = bagging ? new int[rows] : null;
        var inBag = bagging ? new bool[rows] : null;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = o.Threads };

        var trees = new List<GbdtTree>(_trees.Length + rounds * k);
        trees.AddRange(_trees);
        var losses = new List<double>(_validationLoss);
        var bestLoss = double.PositiveInfinity;
        var bestRounds = Rounds;
        var firstRound = Rounds;
        for (var round = firstRound; round < firstRound + rounds; round++)
        {
            Gradients(o.Objective, k, scores, labels, gh, parallel);
            var bagCount = rows;
            if (bag is not null)
            {
                var rng = Random(o.Seed, round, 0);
                bagCount = 0;
                for (var row = 0; row < rows; row++)
                {
                    var keep = rng.Uniform() < o.BaggingFraction;
                    inBag![row] = keep;
                    if (keep)
                        bag[bagCount++] = row;
                }
            }
            for (var c = 0; c < k; c++)
            {
                SampleFeatures(learner.FeatureUsed, o, round, c);
                var tree = learner.Grow(gh[c], bag, bagCount);
                for (var leaf = 0; leaf < tree.LeafValue.Length; leaf++)
                {
                    var value = tree.LeafValue[leaf];
                    foreach (var row in learner.LeafRows(leaf))
                        scores[row * k + c] += value;
                }
                if (inBag is not null)
                    for (var row = 0; row < rows; row++)
                        if (!inBag[row])
                            scores[row * k + c] += tree.LeafValue[tree.LeafOfBinned(columns.AsSpan(row * FeatureCount, FeatureCount), _bins)];
                if (validationScores is not null)
                {
                    var x = validation!.Features.Span;
                    var f = FeatureCount;
                    for (var row = 0; row < validationRows; row++)
                        validationScores[row * k + c] += tree.LeafValue[tree.LeafOf(x.Slice(row * f, f))];
                }
                trees.Add(tree);
            }
            if (validationScores is not null)
            {
                var loss = Loss(o.Objective, k, validationScores, validationLabels!);
                losses.Add(loss);
                if (loss < bestLoss)
                {
                    bestLoss = loss;
                    bestRounds = round + 1;
                }
                else if (o.EarlyStoppingRounds > 0 && round + 1 - bestRounds >= o.EarlyStoppingRounds)
                    break;
            }
            else
                bestRounds = round + 1;
        }
        var kept = o.EarlyStoppingRounds > 0 && validationScores is not null ? bestRounds : trees.Count / k;
        var keptTrees = trees.GetRange(0, kept * k).ToArray();
        return new GbdtModel(o, _baseScore, _bins, keptTrees, [.. losses], kept);
    }

    private static SplitMix64 Random(ulong seed, int round, int stream)
    {
        var rng = new SplitMix64(unchecked(seed * 0x9E3779B97F4A7C15UL + (ulong)round * 0xD1B54A32D192ED03UL + (ulong)stream * 0x8CB92BA72F3D8DD7UL));
        rng.Next();
        return rng;
    }

    private static void SampleFeatures(bool[] used, GbdtOptions o, int round, int tree)
    {
        if (o.FeatureFraction >= 1.0)
        {
            Array.Fill(used, true);
            return;
        }
        var n = used.Length;
        var take = Math.Max(1, (int)Math.Round(n * o.FeatureFraction));
        Span<int> order = n <= 1024 ? stackalloc int[n] : new int[n];
        for (var i = 0; i < n; i++)
            order[i] = i;
        var rng = Random(o.Seed, round, 1 + tree);
        Array.Fill(used, false);
        for (var i = 0; i < take; i++)
        {
            var j = i + (int)(rng.Next() % (ulong)(n - i));
            (order[i], order[j]) = (order[j], order[i]);
            used[order[i]] = true;
        }
    }

    private static void Gradients(GbdtObjective objective, int k, double[] scores, double[] labels, double[][] gh, ParallelOptions parallel)
    {
        const int block = 16_384;
        var rows = labels.Length;
        var blocks = (rows + block - 1) / block;
        Parallel.For(0, blocks, parallel, b =>
        {
            var end = Math.Min(rows, (b + 1) * block);
            switch (objective)
            {
                case GbdtObjective.SquaredError:
                    {
                        var d = gh[0];
                        for (var i = b * block; i < end; i++)
                        {
                            d[2 * i] = scores[i] - labels[i];
                            d[2 * i + 1] = 1.0;
                        }
                        break;
                    }
                case GbdtObjective.Binary:
                    {
                        var d = gh[0];
                        for (var i = b * block; i < end; i++)
                        {
                            var p = Sigmoid(scores[i]);
                            d[2 * i] = p - labels[i];
                            d[2 * i + 1] = Math.Max(p * (1 - p), 1e-16);
                        }
                        break;
                    }
                default:
                    {
                        Span<double> p = stackalloc double[k];
                        for (var i = b * block; i < end; i++)
                        {
                            scores.AsSpan(i * k, k).CopyTo(p);
                            Softmax(p);
                            var y = (int)labels[i];
                            for (var c = 0; c < k; c++)
                            {
                                gh[c][2 * i] = p[c] - (c == y ? 1.0 : 0.0);
                                gh[c][2 * i + 1] = Math.Max(p[c] * (1 - p[c]), 1e-16);
                            }
                        }
                        break;
                    }
            }
        });
    }

    private static double Loss(GbdtObjective objective, int k, double[] scores, double[] labels)
    {
        double sum = 0;
        Span<double> p = stackalloc double[k];
        for (var i = 0; i < labels.Length; i++)
        {
            switch (objective)
            {
                case GbdtObjective.SquaredError:
                    var e = scores[i] - labels[i];
                    sum += e * e;
                    break;
                case GbdtObjective.Binary:
                    var q = Math.Clamp(Sigmoid(scores[i]), 1e-15, 1 - 1e-15);
                    sum -= labels[i] == 1.0 ? Math.Log(q) : Math.Log(1 - q);
                    break;
                default:
                    scores.AsSpan(i * k, k).CopyTo(p);
                    Softmax(p);
                    sum -= Math.Log(Math.Max(p[(int)labels[i]], 1e-15));
                    break;
            }
        }
        return sum / labels.Length;
    }

    internal static double Sigmoid(double s) => 1.0 / (1.0 + Math.Exp(-s));

    internal static void Softmax(Span<double> s)
    {
        var max = double.NegativeInfinity;
        foreach (var v in s)
            max = Math.Max(max, v);
        double sum = 0;
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = Math.Exp(s[i] - max);
            sum += s[i];
        }
        for (var i = 0; i < s.Length; i++)
            s[i] /= sum;
    }

    /// <summary>Writes the model to a file (see <see cref="Save(Stream)"/>).</summary>
    public void Save(string path)
    {
        using var stream = File.Create(path);
        Save(stream);
    }

    /// <summary>
    /// Writes the model in the versioned binary model format: header, settings, bins, trees and
    /// a checksum; <see cref="Load(Stream, string)"/> reads it back to an identical model.
    /// </summary>
    public void Save(Stream stream)
    {
        ModelFile.Write(stream, Kind, FormatVersion, w =>
        {
            var o = Options;
            w.Write((int)o.Objective);
            w.Write(o.ClassCount);
            w.Write(o.Rounds);
            w.Write(o.LearningRate);
            w.Write(o.NumLeaves);
            w.Write(o.MaxDepth);
            w.Write(o.MinDataInLeaf);
            w.Write(o.MinSumHessianInLeaf);
            w.Write(o.Lambda);
            w.Write(o.MinGainToSplit);
            w.Write(o.FeatureFraction);
            w.Write(o.BaggingFraction);
            w.Write(o.MaxBins);
            w.Write(o.EarlyStoppingRounds);
            w.Write(o.Seed);
            w.Write(o.Threads);
            ModelFile.WriteArray(w, _baseScore);
            w.Write(FeatureCount);
            for (var f = 0; f < FeatureCount; f++)
                ModelFile.WriteArray(w, _bins.Upper(f));
            ModelFile.WriteArray(w, _validationLoss);
            w.Write(BestRound);
            w.Write(_trees.Length);
            foreach (var t in _trees)
            {
                w.Write(t.NodeCount);
                for (var n = 0; n < t.NodeCount; n++)
                {
                    w.Write(t.Feature[n]);
                    w.Write(t.ThresholdBin[n]);
                    w.Write(t.Threshold[n]);
                    w.Write(t.DefaultLeft[n]);
                    w.Write(t.Left[n]);
                    w.Write(t.Right[n]);
                    w.Write(t.Gain[n]);
                }
                ModelFile.WriteArray(w, t.LeafValue);
            }
        });
    }

    /// <summary>Reads a model written by <see cref="Save(string)"/>; a foreign, newer or corrupt file throws <see cref="InvalidDataException"/> naming it.</summary>
    public static GbdtModel Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, $"'{path}'");
    }

    /// <summary>Reads a model written by <see cref="Save(Stream)"/>; <paramref name="source"/> names the input in error messages.</summary>
    public static GbdtModel Load(Stream stream, string source = "the model stream")
    {
        var (r, _) = ModelFile.Read(stream, Kind, "gradient-boosted tree model", FormatVersion, source);
        using (r)
        {
            try
            {
                var options = new GbdtOptions
                {
                    Objective = (GbdtObjective)r.ReadInt32(),
                    ClassCount = r.ReadInt32(),
                    Rounds = r.ReadInt32(),
                    LearningRate = r.ReadDouble(),
                    NumLeaves = r.ReadInt32(),
                    MaxDepth = r.ReadInt32(),
                    MinDataInLeaf = r.ReadInt32(),
                    MinSumHessianInLeaf = r.ReadDouble(),
                    Lambda = r.ReadDouble(),
                    MinGainToSplit = r.ReadDouble(),
                    FeatureFraction = r.ReadDouble(),
                    BaggingFraction = r.ReadDouble(),
                    MaxBins = r.ReadInt32(),
                    EarlyStoppingRounds = r.ReadInt32(),
                    Seed = r.ReadUInt64(),
                    Threads = r.ReadInt32(),
                };
                options.Validate();
                var baseScore = ModelFile.ReadDoubles(r, options.OutputCount);
                if (baseScore.Length != options.OutputCount)
                    throw new InvalidDataException($"{baseScore.Length} base scores for {options.OutputCount} outputs");
                var featureCount = ModelFile.ReadLength(r, int.MaxValue);
                var upper = new double[featureCount][];
                for (var f = 0; f < featureCount; f++)
                    upper[f] = ModelFile.ReadDoubles(r, 255);
                var bins = new FeatureBins(upper);
                var losses = ModelFile.ReadDoubles(r, int.MaxValue / 8);
                var bestRound = r.ReadInt32();
                var treeCount = ModelFile.ReadLength(r, int.MaxValue);
                var trees = new GbdtTree[treeCount];
                for (var t = 0; t < treeCount; t++)
                {
                    var nodes = ModelFile.ReadLength(r, options.NumLeaves - 1);
                    int[] feature = new int[nodes], bin = new int[nodes], left = new int[nodes], right = new int[nodes];
                    double[] threshold = new double[nodes], gain = new double[nodes];
                    var defaultLeft = new bool[nodes];
                    for (var n = 0; n < nodes; n++)
                    {
                        feature[n] = r.ReadInt32();
                        bin[n] = r.ReadInt32();
                        threshold[n] = r.ReadDouble();
                        defaultLeft[n] = r.ReadBoolean();
                        left[n] = r.ReadInt32();
                        right[n] = r.ReadInt32();
                        gain[n] = r.ReadDouble();
                    }
                    var leafValue = ModelFile.ReadDoubles(r, nodes + 1);
                    if (leafValue.Length != nodes + 1)
                        throw new InvalidDataException($"tree {t} has {nodes} splits but {leafValue.Length} leaves");
                    for (var n = 0; n < nodes; n++)
                        if (feature[n] < 0 || feature[n] >= featureCount || left[n] >= nodes || right[n] >= nodes || ~left[n] > nodes || ~right[n] > nodes)
                            throw new InvalidDataException($"tree {t} node {n} points outside the tree");
                    trees[t] = new GbdtTree(feature, bin, threshold, defaultLeft, left, right, gain, leafValue);
                }
                if (treeCount % options.OutputCount != 0)
                    throw new InvalidDataException($"{treeCount} trees is not a whole number of rounds of {options.OutputCount}");
                if (r.BaseStream.Position != r.BaseStream.Length)
                    throw new InvalidDataException("bytes are left over after the last tree");
                return new GbdtModel(options, baseScore, bins, trees, losses, bestRound);
            }
            catch (Exception e) when (e is EndOfStreamException or ArgumentException or InvalidDataException)
            {
                throw new InvalidDataException($"{source} is not a valid gradient-boosted tree model: {e.Message}", e);
            }
        }
    }
}
