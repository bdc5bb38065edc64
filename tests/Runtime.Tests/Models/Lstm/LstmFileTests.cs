using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Lstm;

namespace StrategyLab.Runtime.Tests.Models.Lstm;

public sealed class LstmFileTests
{
    private static readonly LstmOptions Options = new()
    {
        Window = 4,
        Hidden = 5,
        Layers = 2,
        BatchNorm = true,
        DenseUnits = 3,
        Task = LstmTask.Multiclass,
        Classes = 3,
        Epochs = 2,
        BatchSize = 20,
        Seed = 31,
    };

    private static (double[] X, double[] Y) Data()
    {
        var rng = new SplitMix64(8);
        var x = new double[100 * 4];
        for (var i = 0; i < x.Length; i++)
            x[i] = rng.Normal();
        return (x, Enumerable.Range(0, 100).Select(i => (double)(i % 3)).ToArray());
    }

    private static byte[] Saved(out LstmModel model, out double[] x)
    {
        (x, var y) = Data();
        model = LstmModel.Train(Options, x, y);
        using var stream = new MemoryStream();
        model.Save(stream);
        return stream.ToArray();
    }

    [Fact]
    public void SavedModelLoadsWithTheSameSettingsWeightsStatisticsAndPredictions()
    {
        var bytes = Saved(out var model, out var x);
        var loaded = LstmModel.Load(new MemoryStream(bytes));
        Assert.Equal(model.Options, loaded.Options);
        Assert.Equal(model.CopyParameters(), loaded.CopyParameters());
        Assert.Equal(model.Predict(x), loaded.Predict(x));
    }

    [Fact]
    public void EnsembleRoundTripsThroughAFile()
    {
        var (x, y) = Data();
        var ensemble = LstmEnsemble.Train(Options with { BatchNorm = false }, 2, x, y, threads: 2);
        var path = Path.Combine(Path.GetTempPath(), $"lstm-{Guid.NewGuid():N}.lstm");
        try
        {
            ensemble.Save(path);
            var loaded = LstmEnsemble.Load(path);
            var a = new double[300];
            var b = new double[300];
            ensemble.Predict(x, a);
            loaded.Predict(x, b);
            Assert.Equal(a, b);
            var e = Assert.Throws<InvalidDataException>(() => LstmModel.Load(path));
            Assert.Contains("ensemble of 2 models", e.Message);
            Assert.StartsWith(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AnyFlippedByteInTheWeightsIsRefusedAsCorrupt()
    {
        var bytes = Saved(out _, out _);
        foreach (var at in new[] { 20, 100, bytes.Length / 2, bytes.Length - 40, bytes.Length - 1 })
        {
            var bad = (byte[])bytes.Clone();
            bad[at] ^= 0x10;
            var e = Assert.Throws<InvalidDataException>(() => LstmModel.Load(new MemoryStream(bad)));
            Assert.Contains("corrupt (checksum mismatch)", e.Message);
        }
    }

    [Fact]
    public void ForeignTruncatedAndNewerFilesAreRefusedWithTheReason()
    {
        var bytes = Saved(out _, out _);
        var foreign = Assert.Throws<InvalidDataException>(() => LstmModel.Load(new MemoryStream("x,y\n1,2\n"u8.ToArray())));
        Assert.Contains("not a StrategyLab LSTM model file", foreign.Message);
        var empty = Assert.Throws<InvalidDataException>(() => LstmModel.Load(new MemoryStream()));
        Assert.Contains("not a StrategyLab LSTM model file", empty.Message);
        var truncated = Assert.Throws<InvalidDataException>(() => LstmModel.Load(new MemoryStream(bytes[..(bytes.Length - 7)])));
        Assert.Contains("truncated", truncated.Message);
        var newer = (byte[])bytes.Clone();
        newer[8] = 2;
        var version = Assert.Throws<InvalidDataException>(() => LstmModel.Load(new MemoryStream(newer)));
        Assert.Contains("format version 2 is not supported; this build reads version 1", version.Message);
    }
}
