using System.Diagnostics;
using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Lstm;

namespace StrategyLab.Bench;

/// <summary>
/// The LSTM workload of ../shared/peers/lstm_torch.py, on the same data and shapes: the AR(2)
/// series of <see cref="ReferenceData.LstmSeries"/>, sequence i = x[i .. i+89] (1 feature, no
/// scaling), target x[i+90]; sequences 0..49,999 train, 50,000..59,999 test; batch 256, Adam 1e−3,
/// dropout 0.1 on the last step (and between layers), 2 threads. <c>lstm [small|large [EPOCHS]]</c>: small is
/// hidden 25 × 1 layer for 5 epochs, large hidden 128 × 3 layers for 1 epoch. Reports training
/// sequences per second (mean epoch time), inference sequences per second over the test set (best
/// of 3 passes for small, 1 for large, as the peer), the last epoch's mean training loss and the
/// test MSE.
/// </summary>
internal static class LstmBenchmark
{
    private const int Window = 90, TrainCount = 50_000, TestCount = 10_000;

    private sealed class EpochClock(Stopwatch clock) : IProgress<LstmEpoch>
    {
        public readonly List<(LstmEpoch Epoch, double Seconds, double CpuSeconds)> Epochs = [];
        private double _last, _lastCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

        public void Report(LstmEpoch value)
        {
            var now = clock.Elapsed.TotalSeconds;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            Epochs.Add((value, now - _last, cpu - _lastCpu));
            _last = now;
            _lastCpu = cpu;
        }
    }

    public static void Run(string[] args)
    {
        var which = args.Length > 1 ? args[1] : "all";
        int? epochs = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : null;
        var x = ReferenceData.LstmSeries();
        var n = TrainCount + TestCount;
        var sequences = new double[n * Window];
        var targets = new double[n];
        for (var i = 0; i < n; i++)
        {
            x.AsSpan(i, Window).CopyTo(sequences.AsSpan(i * Window, Window));
            targets[i] = x[i + Window];
        }
        var trainX = sequences.AsSpan(0, TrainCount * Window).ToArray();
        var trainY = targets.AsSpan(0, TrainCount).ToArray();
        var testX = sequences.AsSpan(TrainCount * Window).ToArray();
        var testY = targets.AsSpan(TrainCount).ToArray();
        var oracle = 0.0;
        for (var i = 0; i < TestCount; i++)
        {
            var t = TrainCount + i + Window;
            var e = x[t] - (0.5 * x[t - 1] - 0.2 * x[t - 2]);
            oracle += e * e;
        }
        Console.WriteLine($"lstm: {Environment.ProcessorCount} processors, Vector256 {System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated}, test oracle MSE {oracle / TestCount:F6}");
        var baseOptions = new LstmOptions
        {
            Features = 1,
            Window = Window,
            BatchSize = 256,
            LearningRate = 1e-3,
            OutputDropout = 0.1,
            Seed = 42,
            Threads = 2,
            BatchShards = 2,
        };
        if (which is "all" or "small")
            Measure("small", baseOptions with { Hidden = 25, Layers = 1, Epochs = epochs ?? 5 }, 3, trainX, trainY, testX, testY);
        if (which is "all" or "large")
            Measure("large", baseOptions with { Hidden = 128, Layers = 3, Dropout = 0.1, Epochs = epochs ?? 1 }, 1, trainX, trainY, testX, testY);
    }

    private static void Measure(string name, LstmOptions options, int inferenceRepeats, double[] trainX, double[] trainY, double[] testX, double[] testY)
    {
        var clock = new EpochClock(Stopwatch.StartNew());
        var model = LstmModel.Train(options, trainX, trainY, clock);
        var predictions = new double[TestCount];
        var best = double.PositiveInfinity;
        for (var r = 0; r < inferenceRepeats; r++)
        {
            var sw = Stopwatch.StartNew();
            model.Predict(testX, predictions);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        double mse = 0;
        for (var i = 0; i < TestCount; i++)
        {
            var e = predictions[i] - testY[i];
            mse += e * e;
        }
        mse /= TestCount;
        var seconds = clock.Epochs.Average(e => e.Seconds);
        Console.WriteLine($"{name}: hidden {options.Hidden}, layers {options.Layers}, epochs {options.Epochs}, parameters {model.CopyParameters().Length}");
        foreach (var (epoch, s, cpu) in clock.Epochs)
            Console.WriteLine($"  epoch {epoch.Epoch}: {s:F2} s (processor time {cpu:F2} s), train loss {epoch.TrainLoss:F6}");
        Console.WriteLine($"  training {TrainCount / seconds:F0} sequences/s (mean epoch {seconds:F2} s)");
        Console.WriteLine($"  inference {TestCount / best:F0} sequences/s (chunks of 256, {(inferenceRepeats > 1 ? $"best of {inferenceRepeats}" : "one pass")})");
        Console.WriteLine($"  final train loss {clock.Epochs[^1].Epoch.TrainLoss:F6}, test MSE {mse:F6}");
    }
}
