using System.Diagnostics;
using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Gbdt;

namespace StrategyLab.Bench;

/// <summary>
/// The gradient-boosting macro benchmark, on the same data and settings as the XGBoost reference
/// (../shared/peers/gbdt_xgboost.py): 500,000 × 40 training rows, 100,000 test rows, 200 rounds,
/// learning rate 0.1, λ = 1, minimum hessian 1 per leaf, 2 threads; leaf-wise with 63 leaves, and
/// depth 6 (64 leaves at most). Training time includes binning; prints R² and AUC on the test rows.
/// Usage: <c>StrategyLab.Bench gbdt [--rounds N] [--threads N] [--only leaves63|depth6] [--task reg|cls] [--min-data N]
/// [--features FILE] [--row-order FILE] [--library strategylab|lightgbm] [--bins N]</c> (minimum rows per leaf, default 1 as XGBoost has none). CPU seconds are
/// the process's user + system time during training, less sensitive than wall time to other work on a shared machine.
/// For the spread study of bench/reference/gbdt_spread.py: <c>--features</c> replaces the generated features by a
/// little-endian float64 file of the same shape (600,000 × 40, e.g. pre-binned), <c>--row-order</c> trains on the
/// 500,000 training rows in the order of a little-endian int64 permutation. <c>--library lightgbm</c> trains the
/// native LightGBM instead, in this process, with the same settings (<see cref="LightGbmPeer"/>); <c>--bins</c> sets
/// the numeric bins per feature (default 256, XGBoost's max_bin in the reference).
/// </summary>
internal static class GbdtBenchmark
{
    private const int TrainRows = 500_000;

    public static void Run(string[] args)
    {
        var rounds = 200;
        var threads = 2;
        var minData = 1;
        var maxBins = 256;
        string? only = null, task = null, featureFile = null, orderFile = null;
        var library = "strategylab";
        for (var i = 1; i < args.Length - 1; i += 2)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--only": only = args[i + 1]; break;
                case "--task": task = args[i + 1]; break;
                case "--min-data": minData = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--features": featureFile = args[i + 1]; break;
                case "--row-order": orderFile = args[i + 1]; break;
                case "--library": library = args[i + 1]; break;
                case "--bins": maxBins = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option '{args[i]}'; expected --rounds, --threads, --only, --task, --min-data, --features, --row-order, --library or --bins");
            }
        }
        var generate = Stopwatch.StartNew();
        var (x, yReg, yCls) = ReferenceData.Gbdt();
        generate.Stop();
        const int features = 40;
        if (featureFile is not null)
            x = ReadArray<double>(featureFile, x.Length);
        if (orderFile is not null)
            Reorder(ReadArray<long>(orderFile, TrainRows), x, features, yReg, yCls);
        var xTrain = x.AsMemory(0, TrainRows * features);
        var xTest = x.AsMemory(TrainRows * features);
        var testRows = yReg.Length - TrainRows;
        if (library is not ("strategylab" or "lightgbm"))
            throw new ArgumentException($"unknown library '{library}'; expected strategylab or lightgbm");
        Console.WriteLine($"{library}: data: {TrainRows:N0} train + {testRows:N0} test rows × {features} features, generated in {generate.Elapsed.TotalSeconds:F2} s; {threads} threads, {rounds} rounds, at least {minData} rows per leaf, {maxBins} bins");
        Console.WriteLine($"{"variant",-9} {"task",-4} {"train s",8} {"cpu s",7} {"rows×rounds/s",14} {"predict s",10} {"test metric",18}");
        var variants = new (string Name, int Leaves, int Depth)[] { ("depth6", 64, 6), ("leaves63", 63, 0) };
        foreach (var (name, objective, labels) in new[] { ("reg", GbdtObjective.SquaredError, yReg), ("cls", GbdtObjective.Binary, yCls) })
        {
            if (task is not null && task != name)
                continue;
            foreach (var v in variants)
            {
                if (only is not null && only != v.Name)
                    continue;
                var options = new GbdtOptions
                {
                    Objective = objective,
                    Rounds = rounds,
                    LearningRate = 0.1,
                    NumLeaves = v.Leaves,
                    MaxDepth = v.Depth,
                    MinDataInLeaf = minData,
                    MinSumHessianInLeaf = 1.0,
                    Lambda = 1.0,
                    MaxBins = maxBins,
                    Threads = threads,
                    Seed = 0,
                };
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var trainCpu = TimeSpan.Zero;
                void Trained() => trainCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                var prediction = library == "lightgbm"
                    ? LightGbmPeer.TrainAndPredict(xTrain.Span, labels.AsSpan(0, TrainRows), xTest.Span, features, options, Trained, out var trainTime, out var predictTime)
                    : TrainAndPredict(xTrain, labels.AsMemory(0, TrainRows), xTest, options, Trained, out trainTime, out predictTime);
                var cpuSeconds = trainCpu.TotalSeconds;
                var truth = labels.AsSpan(TrainRows);
                var metric = objective == GbdtObjective.SquaredError
                    ? $"R² {RSquared(truth, prediction):F4}"
                    : $"AUC {Auc(truth, prediction):F4}";
                Console.WriteLine($"{v.Name,-9} {name,-4} {trainTime.TotalSeconds,8:F2} {cpuSeconds,7:F1} {TrainRows * (double)rounds / trainTime.TotalSeconds,14:N0} {predictTime.TotalSeconds,10:F3} {metric,18}");
            }
        }
    }

    private static double[] TrainAndPredict(ReadOnlyMemory<double> train, ReadOnlyMemory<double> labels, ReadOnlyMemory<double> test, GbdtOptions options, Action trained, out TimeSpan trainTime, out TimeSpan predictTime)
    {
        var clock = Stopwatch.StartNew();
        var model = GbdtModel.Train(train, labels, options);
        trainTime = clock.Elapsed;
        trained();
        var prediction = new double[test.Length / model.FeatureCount];
        clock.Restart();
        model.Predict(test.Span, prediction);
        predictTime = clock.Elapsed;
        return prediction;
    }

    private static T[] ReadArray<T>(string path, int length)
        where T : unmanaged
    {
        var bytes = File.ReadAllBytes(path);
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(bytes);
        if (values.Length != length)
            throw new ArgumentException($"{path} holds {values.Length:N0} values; expected {length:N0}");
        return values.ToArray();
    }

    // training row i becomes the old row order[i]; the test rows stay where they are
    private static void Reorder(long[] order, double[] x, int features, double[] yReg, double[] yCls)
    {
        var x0 = x[..(TrainRows * features)];
        var reg0 = yReg[..TrainRows];
        var cls0 = yCls[..TrainRows];
        var taken = new bool[TrainRows];
        for (var i = 0; i < TrainRows; i++)
        {
            if (order[i] is < 0 or >= TrainRows)
                throw new ArgumentException($"row order: {order[i]} at {i} is not a training row");
            var from = (int)order[i];
            if (taken[from])
                throw new ArgumentException($"row order: row {from} appears twice");
            taken[from] = true;
            Array.Copy(x0, (long)from * features, x, (long)i * features, features);
            yReg[i] = reg0[from];
            yCls[i] = cls0[from];
        }
    }

    /// <summary>1 − mean squared error / population variance of the truth, as the reference computes it.</summary>
    private static double RSquared(ReadOnlySpan<double> y, ReadOnlySpan<double> p)
    {
        double mean = 0;
        foreach (var v in y)
            mean += v;
        mean /= y.Length;
        double sse = 0, sst = 0;
        for (var i = 0; i < y.Length; i++)
        {
            sse += (y[i] - p[i]) * (y[i] - p[i]);
            sst += (y[i] - mean) * (y[i] - mean);
        }
        return 1.0 - sse / sst;
    }

    /// <summary>Area under the ROC curve by the rank-sum (Mann–Whitney) formula, tied scores sharing their mean rank.</summary>
    private static double Auc(ReadOnlySpan<double> y, ReadOnlySpan<double> p)
    {
        var order = new int[p.Length];
        for (var i = 0; i < order.Length; i++)
            order[i] = i;
        var keys = p.ToArray();
        Array.Sort(keys, order);
        double positives = 0, rankSum = 0;
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && keys[j + 1] == keys[i])
                j++;
            var rank = (i + j) / 2.0 + 1.0;
            for (var t = i; t <= j; t++)
                if (y[order[t]] == 1.0)
                {
                    positives++;
                    rankSum += rank;
                }
            i = j + 1;
        }
        var negatives = p.Length - positives;
        return (rankSum - positives * (positives + 1) / 2.0) / (positives * negatives);
    }
}
