using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Lstm;

namespace StrategyLab.Runtime.Tests.Models.Lstm;

public sealed class LstmLearningTests
{
    private static (double[] X, double[] Y) SignOfRecentSum(int count, int window, int last, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var x = new double[count * window];
        var y = new double[count];
        for (var i = 0; i < count; i++)
        {
            double sum = 0;
            for (var t = 0; t < window; t++)
            {
                var v = rng.Normal();
                x[i * window + t] = v;
                if (t >= window - last)
                    sum += v;
            }
            y[i] = sum > 0 ? 1 : 0;
        }
        return (x, y);
    }

    [Fact]
    public void LearnsTheSignOfTheSumOfTheLastThreeInputs()
    {
        const int window = 8;
        var (x, y) = SignOfRecentSum(3000, window, 3, 1);
        var (testX, testY) = SignOfRecentSum(1000, window, 3, 2);
        var options = new LstmOptions
        {
            Task = LstmTask.Binary,
            Window = window,
            Hidden = 12,
            Epochs = 25,
            BatchSize = 64,
            LearningRate = 1e-2,
            Seed = 5,
        };
        var model = LstmModel.Train(options, x, y);
        var p = model.Predict(testX);
        var correct = p.Select((v, i) => (v > 0.5 ? 1.0 : 0.0) == testY[i] ? 1 : 0).Sum();
        Assert.True(correct >= 960, $"accuracy {correct / 10.0}% on held-out sequences");
        Assert.All(p, v => Assert.InRange(v, 0.0, 1.0));
    }

    [Fact]
    public void SoftmaxHeadLearnsWhichThirdTheLastInputFallsIn()
    {
        const int window = 4;
        var rng = new SplitMix64(9);
        double[] Make(int count, out double[] labels)
        {
            var x = new double[count * window];
            labels = new double[count];
            for (var i = 0; i < count; i++)
            {
                for (var t = 0; t < window; t++)
                    x[i * window + t] = rng.Uniform() * 3;
                labels[i] = Math.Floor(x[i * window + window - 1]);
            }
            return x;
        }
        var x = Make(3000, out var y);
        var testX = Make(1000, out var testY);
        var options = new LstmOptions
        {
            Task = LstmTask.Multiclass,
            Classes = 3,
            Window = window,
            Hidden = 12,
            DenseUnits = 12,
            Epochs = 30,
            BatchSize = 64,
            LearningRate = 1e-2,
            Seed = 6,
        };
        var model = LstmModel.Train(options, x, y);
        var p = model.Predict(testX);
        var correct = 0;
        for (var i = 0; i < 1000; i++)
        {
            var row = p.AsSpan(i * 3, 3);
            Assert.Equal(1.0, row[0] + row[1] + row[2], 9);
            var best = row.IndexOf(Math.Max(row[0], Math.Max(row[1], row[2])));
            correct += best == (int)testY[i] ? 1 : 0;
        }
        Assert.True(correct >= 930, $"accuracy {correct / 10.0}% on held-out sequences");
    }

    [Fact]
    public void ReachesTheNoiseFloorOfTheAr2Series()
    {
        // x[t] = 0.5 x[t−1] − 0.2 x[t−2] + z[t] with unit-variance noise: no predictor beats MSE 1.0
        // on average; predicting zero scores var(x) ≈ 1.26
        const int window = 10, train = 8000, test = 3000;
        var series = ReferenceData.LstmSeries();
        var x = new double[(train + test) * window];
        var y = new double[train + test];
        for (var i = 0; i < train + test; i++)
        {
            series.AsSpan(i, window).CopyTo(x.AsSpan(i * window, window));
            y[i] = series[i + window];
        }
        var options = new LstmOptions { Window = window, Hidden = 8, Epochs = 6, BatchSize = 64, LearningRate = 5e-3, Seed = 7 };
        var model = LstmModel.Train(options, x.AsSpan(0, train * window), y.AsSpan(0, train));
        var p = model.Predict(x.AsSpan(train * window));
        double mse = 0, oracle = 0, zero = 0;
        for (var i = 0; i < test; i++)
        {
            var t = train + i + window;
            mse += Math.Pow(p[i] - y[train + i], 2);
            oracle += Math.Pow(series[t] - (0.5 * series[t - 1] - 0.2 * series[t - 2]), 2);
            zero += y[train + i] * y[train + i];
        }
        (mse, oracle, zero) = (mse / test, oracle / test, zero / test);
        Assert.True(mse < oracle * 1.02, $"test MSE {mse:F4}, true AR(2) coefficients {oracle:F4}, predict-zero {zero:F4}");
    }
}
