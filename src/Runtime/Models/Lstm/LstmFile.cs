using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace StrategyLab.Runtime.Models.Lstm;

/// <summary>
/// The binary file of LSTM models (one model or an ensemble), little-endian:
/// <code>
/// magic    8 bytes  "SLLSTM\r\n"
/// version  uint32   1
/// length   int64    payload bytes
/// payload           member count (int32), then per member: every LstmOptions setting in a fixed
///                   order, parameter count (int32), float32 parameters, and per layer the
///                   batch-norm running mean and variance (float64)
/// checksum 32 bytes SHA-256 of the payload
/// </code>
/// A file with another magic, another version, a wrong length or a wrong checksum is refused with
/// an <see cref="InvalidDataException"/> that says which.
/// </summary>
public static class LstmFile
{
    private static readonly byte[] Magic = "SLLSTM\r\n"u8.ToArray();

    /// <summary>The format version this build writes and reads.</summary>
    public const uint FormatVersion = 1;

    internal static void Write(Stream stream, IReadOnlyList<LstmModel> members)
    {
        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(members.Count);
            foreach (var m in members)
                WriteMember(w, m);
        }
        var bytes = payload.ToArray();
        Span<byte> header = stackalloc byte[20];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header[12..], bytes.LongLength);
        stream.Write(header);
        stream.Write(bytes);
        stream.Write(SHA256.HashData(bytes));
    }

    private static void WriteMember(BinaryWriter w, LstmModel m)
    {
        var o = m.Options;
        w.Write(o.Features); w.Write(o.Window); w.Write(o.Hidden); w.Write(o.Layers);
        w.Write(o.Dropout); w.Write(o.BatchNorm); w.Write(o.BatchNormMomentum); w.Write(o.OutputDropout);
        w.Write(o.DenseUnits); w.Write(o.DenseDropout); w.Write(o.AlphaDropout);
        w.Write((int)o.Task); w.Write(o.Classes);
        w.Write(o.LearningRate); w.Write(o.Beta1); w.Write(o.Beta2); w.Write(o.Epsilon);
        w.Write(o.WeightDecay); w.Write((int)o.WeightDecayMode);
        w.Write(o.BatchSize); w.Write(o.Epochs); w.Write(o.Steps); w.Write(o.ClipNorm);
        w.Write((int)o.Schedule); w.Write(o.StepEpochs); w.Write(o.StepGamma); w.Write(o.MinLearningRate);
        w.Write(o.ValidationFraction); w.Write(o.Patience); w.Write(o.MinDelta);
        w.Write(o.Seed); w.Write(o.BatchShards); w.Write(o.Threads);
        var p = m.Network.Parameters;
        w.Write(p.Length);
        foreach (var x in p)
            w.Write(x);
        for (var l = 0; l < o.Layers; l++)
        {
            foreach (var x in m.Network.RunningMean[l])
                w.Write(x);
            foreach (var x in m.Network.RunningVariance[l])
                w.Write(x);
        }
    }

    internal static LstmModel[] Read(Stream stream, string source)
    {
        InvalidDataException Refuse(string why) => new($"{source}: {why}");
        Span<byte> header = stackalloc byte[20];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length || !header[..8].SequenceEqual(Magic))
            throw Refuse("not a StrategyLab LSTM model file (the header does not match)");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version != FormatVersion)
            throw Refuse($"LSTM model file format version {version} is not supported; this build reads version {FormatVersion}");
        var length = BinaryPrimitives.ReadInt64LittleEndian(header[12..]);
        if (length < 4 || length > int.MaxValue)
            throw Refuse($"corrupt LSTM model file (payload length {length})");
        var bytes = new byte[length];
        var checksum = new byte[32];
        if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < bytes.Length
            || stream.ReadAtLeast(checksum, 32, throwOnEndOfStream: false) < 32)
            throw Refuse("the LSTM model file is truncated");
        if (!SHA256.HashData(bytes).AsSpan().SequenceEqual(checksum))
            throw Refuse("the LSTM model file is corrupt (checksum mismatch); retrain the model");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes));
            var count = r.ReadInt32();
            if (count < 1)
                throw Refuse($"corrupt LSTM model file ({count} members)");
            var members = new LstmModel[count];
            for (var i = 0; i < count; i++)
                members[i] = ReadMember(r, source);
            if (r.BaseStream.Position != bytes.Length)
                throw Refuse("corrupt LSTM model file (data after the last member)");
            return members;
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw Refuse($"corrupt LSTM model file ({e.Message})");
        }
    }

    private static LstmModel ReadMember(BinaryReader r, string source)
    {
        var o = new LstmOptions
        {
            Features = r.ReadInt32(),
            Window = r.ReadInt32(),
            Hidden = r.ReadInt32(),
            Layers = r.ReadInt32(),
            Dropout = r.ReadDouble(),
            BatchNorm = r.ReadBoolean(),
            BatchNormMomentum = r.ReadDouble(),
            OutputDropout = r.ReadDouble(),
            DenseUnits = r.ReadInt32(),
            DenseDropout = r.ReadDouble(),
            AlphaDropout = r.ReadBoolean(),
            Task = (LstmTask)r.ReadInt32(),
            Classes = r.ReadInt32(),
            LearningRate = r.ReadDouble(),
            Beta1 = r.ReadDouble(),
            Beta2 = r.ReadDouble(),
            Epsilon = r.ReadDouble(),
            WeightDecay = r.ReadDouble(),
            WeightDecayMode = (WeightDecayMode)r.ReadInt32(),
            BatchSize = r.ReadInt32(),
            Epochs = r.ReadInt32(),
            Steps = r.ReadInt32(),
            ClipNorm = r.ReadDouble(),
            Schedule = (LearningRateSchedule)r.ReadInt32(),
            StepEpochs = r.ReadInt32(),
            StepGamma = r.ReadDouble(),
            MinLearningRate = r.ReadDouble(),
            ValidationFraction = r.ReadDouble(),
            Patience = r.ReadInt32(),
            MinDelta = r.ReadDouble(),
            Seed = r.ReadUInt64(),
            BatchShards = r.ReadInt32(),
            Threads = r.ReadInt32(),
        };
        if (!Enum.IsDefined(o.Task) || !Enum.IsDefined(o.WeightDecayMode) || !Enum.IsDefined(o.Schedule))
            throw new InvalidDataException($"{source}: corrupt LSTM model file (unknown setting)");
        var network = new LstmNetwork<float>(o);
        var n = r.ReadInt32();
        if (n != network.Parameters.Length)
            throw new InvalidDataException($"{source}: corrupt LSTM model file ({n} parameters where the architecture has {network.Parameters.Length})");
        for (var i = 0; i < n; i++)
            network.Parameters[i] = r.ReadSingle();
        for (var l = 0; l < o.Layers; l++)
        {
            for (var j = 0; j < o.Hidden; j++)
                network.RunningMean[l][j] = r.ReadDouble();
            for (var j = 0; j < o.Hidden; j++)
                network.RunningVariance[l][j] = r.ReadDouble();
        }
        return new LstmModel(network, new LstmTrainingReport([], 0, false));
    }
}
