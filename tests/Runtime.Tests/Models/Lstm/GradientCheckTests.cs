using StrategyLab.Runtime.Models.Lstm;

namespace StrategyLab.Runtime.Tests.Models.Lstm;

/// <summary>
/// Central finite differences of the batch loss against the backward pass, for every element of
/// every parameter tensor, in float64 on small shapes. Dropout masks are drawn from the step seed,
/// so each perturbed forward pass sees the same masks as the analytic one.
/// </summary>
public sealed class GradientCheckTests
{
    private const int Rows = 5;

    private static (double[] X, double[] Y) Data(LstmOptions o, int seed)
    {
        var rng = new Random(seed);
        var x = new double[Rows * o.Window * o.Features];
        for (var i = 0; i < x.Length; i++)
            x[i] = rng.NextDouble() * 2 - 1;
        var y = new double[Rows];
        for (var i = 0; i < Rows; i++)
            y[i] = o.Task switch
            {
                LstmTask.Regression => rng.NextDouble() * 2 - 1,
                LstmTask.Binary => i % 2,
                _ => i % o.Classes,
            };
        return (x, y);
    }

    private static void Check(LstmOptions o)
    {
        var net = new LstmNetwork<double>(o);
        net.Initialise(o.Seed);
        // move batch-norm scale and shift off their initial 1 and 0 so their gradients are generic
        var rng = new Random(11);
        foreach (var t in net.Layout.Tensors)
            if (t.Name.StartsWith("batchnorm", StringComparison.Ordinal))
                for (var i = 0; i < t.Length; i++)
                    net.Parameters[t.Offset + i] += rng.NextDouble() * 0.5 - 0.25;
        var trainer = new LstmTrainer<double>(net, threads: 1);
        var (x, y) = Data(o, 5);
        var batch = Enumerable.Range(0, Rows).ToArray();
        const ulong stepSeed = 77;
        trainer.ComputeGradient(x, y, batch, stepSeed);
        var analytic = (double[])trainer.Gradient.Clone();
        const double h = 1e-6;
        foreach (var t in net.Layout.Tensors)
        {
            double largest = 0;
            for (var i = t.Offset; i < t.Offset + t.Length; i++)
            {
                var keep = net.Parameters[i];
                net.Parameters[i] = keep + h;
                var up = trainer.ComputeGradient(x, y, batch, stepSeed);
                net.Parameters[i] = keep - h;
                var down = trainer.ComputeGradient(x, y, batch, stepSeed);
                net.Parameters[i] = keep;
                var numeric = (up - down) / (2 * h);
                largest = Math.Max(largest, Math.Abs(numeric));
                var error = Math.Abs(numeric - analytic[i]);
                Assert.True(error <= 1e-7 + 1e-5 * Math.Abs(numeric),
                    $"{t.Name}[{i - t.Offset}]: backward {analytic[i]:R}, finite difference {numeric:R}");
            }
            Assert.True(largest > 1e-8, $"{t.Name}: the loss does not depend on it, so the check proves nothing");
        }
    }

    private static readonly LstmOptions Small = new()
    {
        Features = 2,
        Window = 4,
        Hidden = 3,
        Layers = 2,
        BatchSize = Rows,
        BatchShards = 2,
        Seed = 3,
    };

    [Fact]
    public void RegressionGradientsOfStackedLayersMatchFiniteDifferences()
        => Check(Small with { Dropout = 0.3, OutputDropout = 0.2 });

    [Fact]
    public void GradientsThroughBatchNormAndDenseReluHeadMatchFiniteDifferences()
        => Check(Small with { Layers = 3, BatchNorm = true, Dropout = 0.3, DenseUnits = 4, DenseDropout = 0.25 });

    [Fact]
    public void BinaryGradientsThroughAlphaDropoutMatchFiniteDifferences()
        => Check(Small with { Task = LstmTask.Binary, DenseUnits = 4, DenseDropout = 0.3, AlphaDropout = true, OutputDropout = 0.2 });

    [Fact]
    public void SoftmaxGradientsWithBatchNormMatchFiniteDifferences()
        => Check(Small with { Task = LstmTask.Multiclass, Classes = 3, BatchNorm = true, Features = 1, Hidden = 9, Layers = 1, DenseUnits = 3 });
}
