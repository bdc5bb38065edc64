using System.Buffers.Binary;
using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Gbdt;

namespace StrategyLab.Runtime.Tests.Models.Gbdt;

public sealed class GbdtModelFileTests
{
    private static (double[] X, double[] Y) Data()
    {
        var rng = new SplitMix64(77);
        const int rows = 800, features = 4;
        var x = new double[rows * features];
        var y = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            for (var f = 0; f < features; f++)
                x[i * features + f] = rng.Uniform() < 0.1 ? double.NaN : rng.Normal();
            var s = double.IsNaN(x[i * features]) ? 0.5 : x[i * features];
            y[i] = s < -0.5 ? 0 : s < 0.5 ? 1 : 2;
        }
        return (x, y);
    }

    private static readonly GbdtOptions Options = new()
    {
        Objective = GbdtObjective.Multiclass,
        ClassCount = 3,
        Rounds = 6,
        NumLeaves = 7,
        FeatureFraction = 0.75,
        BaggingFraction = 0.9,
        Seed = 3,
        Threads = 1,
    };

    private static double[] Predict(GbdtModel model, double[] x)
    {
        var p = new double[x.Length / model.FeatureCount * model.OutputCount];
        model.Predict(x, p);
        return p;
    }

    private static byte[] Saved(GbdtModel model)
    {
        using var stream = new MemoryStream();
        model.Save(stream);
        return stream.ToArray();
    }

    [Fact]
    public void ALoadedModelPredictsAndContinuesTrainingExactlyLikeTheOriginal()
    {
        var (x, y) = Data();
        var model = GbdtModel.Train(x, y, Options);
        var loaded = GbdtModel.Load(new MemoryStream(Saved(model)));
        Assert.Equal(model.Options, loaded.Options);
        Assert.Equal(Predict(model, x), Predict(loaded, x));
        Assert.Equal(model.FeatureImportance(), loaded.FeatureImportance());
        Assert.Equal(Predict(model.ContinueTraining(x, y, 3), x), Predict(loaded.ContinueTraining(x, y, 3), x));
        // saving is deterministic: the loaded model saves to the same bytes
        Assert.Equal(Saved(model), Saved(loaded));
    }

    [Fact]
    public void SavesToAndLoadsFromAFile()
    {
        var (x, y) = Data();
        var model = GbdtModel.Train(x, y, Options);
        var path = Path.Combine(Path.GetTempPath(), $"gbdt-{Guid.NewGuid():N}.model");
        try
        {
            model.Save(path);
            Assert.Equal(Predict(model, x), Predict(GbdtModel.Load(path), x));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AFlippedByteAnywhereInThePayloadIsRefusedAsCorrupt()
    {
        var (x, y) = Data();
        var bytes = Saved(GbdtModel.Train(x, y, Options));
        // every 97th byte of the payload (header is 24 bytes, checksum the last 8)
        for (var at = 24; at < bytes.Length - 8; at += 97)
        {
            var copy = (byte[])bytes.Clone();
            copy[at] ^= 0x10;
            var e = Assert.Throws<InvalidDataException>(() => GbdtModel.Load(new MemoryStream(copy)));
            Assert.Equal("the model stream is corrupt: its checksum does not match its contents", e.Message);
        }
    }

    [Fact]
    public void ATruncatedForeignOrNewerFileIsRefusedWithAMessageThatSaysWhich()
    {
        var (x, y) = Data();
        var bytes = Saved(GbdtModel.Train(x, y, Options));

        var e = Assert.Throws<InvalidDataException>(() => GbdtModel.Load(new MemoryStream(bytes[..(bytes.Length - 1)])));
        Assert.Equal($"the model stream is truncated: expected {bytes.Length - 24} bytes after the header", e.Message);

        e = Assert.Throws<InvalidDataException>(() => GbdtModel.Load(new MemoryStream("time,open,high,low,close\n"u8.ToArray()), "'btc.csv'"));
        Assert.Equal("'btc.csv' is not a StrategyLab model file", e.Message);

        e = Assert.Throws<InvalidDataException>(() => GbdtModel.Load(new MemoryStream([]), "'empty.model'"));
        Assert.Equal("'empty.model' is not a StrategyLab model file", e.Message);

        var newer = (byte[])bytes.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(newer.AsSpan(12), 2);
        e = Assert.Throws<InvalidDataException>(() => GbdtModel.Load(new MemoryStream(newer)));
        Assert.Equal("the model stream has gradient-boosted tree model format version 2; this build reads versions 1 to 1", e.Message);
    }
}
