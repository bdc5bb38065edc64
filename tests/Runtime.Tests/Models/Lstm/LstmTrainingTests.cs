using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Lstm;

namespace StrategyLab.Runtime.Tests.Models.Lstm;

public sealed class LstmTrainingTests
{
    private static (double[] X, double[] Y) Noise(int count, int window, ulong seed, bool learnable)
    {
        var rng = new SplitMix64(seed);
        var x = new double[count * window];
        var y = new double[count];
        for (var i = 0; i < count; i++)
        {
            for (var t = 0; t < window; t++)
                x[i * window + t] = rng.Normal();
            y[i] = (learnable ? x[i * window + window - 1] : 0) + rng.Normal();
        }
        return (x, y);
    }

    // every feature that draws random numbers or splits work: dropout everywhere, batch norm, a dense head
    private static readonly LstmOptions Busy = new()
    {
        Window = 6,
        Hidden = 10,
        Layers = 2,
        Dropout = 0.2,
        BatchNorm = true,
        OutputDropout = 0.1,
        DenseUnits = 6,
        DenseDropout = 0.2,
        AlphaDropout = true,
        Epochs = 2,
        BatchSize = 50,
        BatchShards = 3,
        ClipNorm = 1,
        WeightDecay = 1e-3,
        Schedule = LearningRateSchedule.Cosine,
        Seed = 123,
    };

    [Fact]
    public void SameSeedGivesBitIdenticalWeightsWhateverTheThreadCount()
    {
        var (x, y) = Noise(400, Busy.Window, 1, learnable: true);
        var first = LstmModel.Train(Busy with { Threads = 2 }, x, y).CopyParameters();
        var again = LstmModel.Train(Busy with { Threads = 2 }, x, y).CopyParameters();
        var serial = LstmModel.Train(Busy with { Threads = 1 }, x, y).CopyParameters();
        var otherSeed = LstmModel.Train(Busy with { Threads = 2, Seed = 124 }, x, y).CopyParameters();
        Assert.Equal(first, again);
        Assert.Equal(first, serial);
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void EnsembleIsTheSameWhateverTheThreadCountAndAveragesItsMembers()
    {
        var (x, y) = Noise(300, 5, 2, learnable: true);
        var options = new LstmOptions { Window = 5, Hidden = 6, Epochs = 2, BatchSize = 32, Dropout = 0.1, OutputDropout = 0.2, Seed = 9 };
        var one = LstmEnsemble.Train(options, 3, x, y, threads: 1);
        var three = LstmEnsemble.Train(options, 3, x, y, threads: 3);
        for (var i = 0; i < 3; i++)
            Assert.Equal(one.Members[i].CopyParameters(), three.Members[i].CopyParameters());
        Assert.NotEqual(one.Members[0].CopyParameters(), one.Members[1].CopyParameters());

        var alone = LstmModel.Train(options with { Seed = LstmEnsemble.MemberSeed(9, 1), Threads = 1 }, x, y);
        Assert.Equal(alone.CopyParameters(), one.Members[1].CopyParameters());

        // a lone member trains on every thread given, to the same weights as on one
        var single = LstmEnsemble.Train(options, 1, x, y, threads: 1);
        var singleOnTwo = LstmEnsemble.Train(options, 1, x, y, threads: 2);
        Assert.Equal(single.Members[0].CopyParameters(), singleOnTwo.Members[0].CopyParameters());
        Assert.Equal(one.Members[0].CopyParameters(), single.Members[0].CopyParameters());

        var average = new double[300];
        three.Predict(x, average, threads: 2);
        var members = one.Members.Select(m => m.Predict(x)).ToArray();
        for (var i = 0; i < 300; i++)
            Assert.Equal((members[0][i] + members[1][i] + members[2][i]) / 3, average[i], 12);
    }

    [Fact]
    public void EarlyStoppingKeepsTheBestEpochAndStopsAfterPatienceEpochsWithoutImprovement()
    {
        // targets are pure noise: validation loss can only get worse once the model starts to memorise
        var (x, y) = Noise(600, 5, 3, learnable: false);
        var options = new LstmOptions
        {
            Window = 5,
            Hidden = 32,
            Epochs = 200,
            BatchSize = 32,
            LearningRate = 2e-2,
            ValidationFraction = 0.25,
            Patience = 3,
            Seed = 4,
        };
        var model = LstmModel.Train(options, x, y);
        var report = model.Report;
        Assert.True(report.StoppedEarly);
        Assert.True(report.Epochs.Count < 200);
        Assert.Equal(report.BestEpoch + options.Patience, report.Epochs.Count);
        var losses = report.Epochs.Select(e => e.ValidationLoss).ToArray();
        Assert.Equal(losses.Min(), losses[report.BestEpoch - 1]);

        // the kept weights are the best epoch's: their validation MSE is the one reported for it
        // (targets enter the float32 network rounded to float, as in PyTorch)
        var validation = model.Predict(x.AsSpan(450 * 5));
        var mse = validation.Select((p, i) => Math.Pow(p - (float)y[450 + i], 2)).Average();
        Assert.Equal(losses[report.BestEpoch - 1], mse, 12);
    }

    [Fact]
    public void StepCountOverridesEpochs()
    {
        var (x, y) = Noise(200, 4, 5, learnable: true);
        var model = LstmModel.Train(new LstmOptions { Window = 4, Hidden = 4, Steps = 9, Epochs = 50, BatchSize = 50 }, x, y);
        Assert.Equal(9, model.Report.Epochs[^1].Steps);
        Assert.Equal(3, model.Report.Epochs.Count);
    }

    [Fact]
    public void LearningRateSchedulesFollowTheirFormulas()
    {
        var step = new LstmOptions { LearningRate = 0.1, Schedule = LearningRateSchedule.Step, StepEpochs = 10, StepGamma = 0.5 };
        Assert.Equal(0.1, LstmTrainer<float>.LearningRate(step, 0, 9, 100));
        Assert.Equal(0.05, LstmTrainer<float>.LearningRate(step, 0, 10, 100), 15);
        Assert.Equal(0.025, LstmTrainer<float>.LearningRate(step, 0, 25, 100), 15);
        var cosine = new LstmOptions { LearningRate = 0.1, Schedule = LearningRateSchedule.Cosine, MinLearningRate = 0.02 };
        Assert.Equal(0.1, LstmTrainer<float>.LearningRate(cosine, 0, 0, 100), 15);
        Assert.Equal(0.06, LstmTrainer<float>.LearningRate(cosine, 50, 0, 100), 15);
        Assert.Equal(0.02, LstmTrainer<float>.LearningRate(cosine, 100, 0, 100), 15);
    }

    [Fact]
    public void FirstAdamStepMovesEachWeightByTheLearningRateAgainstItsGradientAndDecaysDecoupled()
    {
        // after one step m̂ = g and v̂ = g², so the move is lr·g/(|g| + ε) ≈ lr·sign(g)
        var options = new LstmOptions { Window = 2, Hidden = 2, WeightDecay = 0.1, WeightDecayMode = WeightDecayMode.Decoupled, Epsilon = 1e-12 };
        var net = new LstmNetwork<double>(options);
        net.Initialise(1);
        var trainer = new LstmTrainer<double>(net, 1);
        var before = (double[])net.Parameters.Clone();
        for (var i = 0; i < before.Length; i++)
            trainer.Gradient[i] = (i % 3 - 1) * (i + 1) * 0.37;
        trainer.AdamStep(0.01);
        for (var i = 0; i < before.Length; i++)
        {
            var expected = before[i] * (1 - 0.01 * 0.1) - 0.01 * Math.Sign(trainer.Gradient[i]);
            Assert.Equal(expected, net.Parameters[i], 12);
        }
    }

    [Fact]
    public void ClippingScalesTheGradientToTheGlobalNorm()
    {
        var net = new LstmNetwork<double>(new LstmOptions { Window = 2, Hidden = 2 });
        var trainer = new LstmTrainer<double>(net, 1);
        for (var i = 0; i < trainer.Gradient.Length; i++)
            trainer.Gradient[i] = i - 5.5;
        var direction = (double[])trainer.Gradient.Clone();
        trainer.ClipGradient(2);
        Assert.Equal(2, Math.Sqrt(trainer.Gradient.Sum(g => g * g)), 5);
        Assert.Equal(direction[0] / direction[^1], trainer.Gradient[0] / trainer.Gradient[^1], 12);
    }

    [Fact]
    public void RejectsTargetsThatDoNotFitTheTask()
    {
        var x = new double[4 * 3];
        var e = Assert.Throws<ArgumentException>(() => LstmModel.Train(new LstmOptions { Window = 3, Task = LstmTask.Binary }, x, [0, 1, 0.5, 1]));
        Assert.Contains("target 2 is 0.5", e.Message);
        e = Assert.Throws<ArgumentException>(() => LstmModel.Train(new LstmOptions { Window = 3 }, x, [0, 1, 2]));
        Assert.Contains("3 targets for 4 sequences", e.Message);
    }
}
