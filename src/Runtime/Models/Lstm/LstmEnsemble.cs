using StrategyLab.Runtime.Data.Synthetic;

namespace StrategyLab.Runtime.Models.Lstm;

/// <summary>
/// N independently seeded LSTM models of one architecture whose predictions are averaged (seed
/// 000 uses ten). Members train in parallel, one thread each, so the ensemble is the same whatever
/// the number of threads.
/// </summary>
public sealed class LstmEnsemble
{
    private readonly LstmModel[] _members;

    private LstmEnsemble(LstmModel[] members) => _members = members;

    /// <summary>The members, in seed order.</summary>
    public IReadOnlyList<LstmModel> Members => _members;

    /// <summary>The seed of member <paramref name="member"/> of an ensemble seeded with <paramref name="seed"/>.</summary>
    public static ulong MemberSeed(ulong seed, int member)
    {
        var r = new SplitMix64(seed ^ ((ulong)member * 0xC2B2AE3D27D4EB4FUL));
        return r.Next();
    }

    /// <summary>
    /// Trains <paramref name="members"/> models on the same data with seeds
    /// <see cref="MemberSeed"/>(options.Seed, i), at most <paramref name="threads"/> at a time
    /// (0: the processor count). <paramref name="progress"/> hears every member's epochs, from
    /// the training threads.
    /// </summary>
    public static unsafe LstmEnsemble Train(
        LstmOptions options, int members, ReadOnlySpan<double> sequences, ReadOnlySpan<double> targets,
        int threads = 0, CancellationToken cancel = default, IProgress<LstmEpoch>? progress = null)
    {
        if (members < 1)
            throw new ArgumentException($"an ensemble needs at least one member, found {members}");
        LstmModel.CheckShapes(options, sequences, targets);
        var result = new LstmModel[members];
        int xs = sequences.Length, ys = targets.Length;
        fixed (double* x = sequences, y = targets)
        {
            nint px = (nint)x, py = (nint)y;
            Parallel.For(0, members,
                new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount, CancellationToken = cancel },
                i =>
                {
                    // a lone member may use every thread: the weights do not depend on the thread count
                    var member = options with { Seed = MemberSeed(options.Seed, i), Threads = members == 1 ? threads : 1 };
                    result[i] = LstmModel.Train(member, new ReadOnlySpan<double>((void*)px, xs), new ReadOnlySpan<double>((void*)py, ys), progress, cancel);
                });
        }
        return new LstmEnsemble(result);
    }

    /// <summary>The members' predictions averaged, in member order (see <see cref="LstmModel.Predict(ReadOnlySpan{double}, Span{double})"/>).</summary>
    public unsafe void Predict(ReadOnlySpan<double> sequences, Span<double> output, int threads = 0)
    {
        var each = new double[_members.Length][];
        int xs = sequences.Length, outputs = output.Length;
        fixed (double* x = sequences)
        {
            nint px = (nint)x;
            Parallel.For(0, _members.Length,
                new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount },
                i =>
                {
                    each[i] = new double[outputs];
                    _members[i].Predict(new ReadOnlySpan<double>((void*)px, xs), each[i]);
                });
        }
        output.Clear();
        foreach (var p in each)
            for (var j = 0; j < outputs; j++)
                output[j] += p[j];
        for (var j = 0; j < outputs; j++)
            output[j] /= _members.Length;
    }

    /// <summary>Writes all members in one <see cref="LstmFile"/>.</summary>
    public void Save(Stream stream) => LstmFile.Write(stream, _members);

    /// <summary>Writes all members to a file (replaced if it exists).</summary>
    public void Save(string path)
    {
        using var stream = File.Create(path);
        Save(stream);
    }

    /// <summary>Reads an ensemble (or a single model, as an ensemble of one).</summary>
    /// <exception cref="InvalidDataException">Not an LSTM model file, an unsupported version, or corrupt.</exception>
    public static LstmEnsemble Load(Stream stream) => new(LstmFile.Read(stream, "stream"));

    /// <summary>Reads an ensemble file; errors name the file.</summary>
    public static LstmEnsemble Load(string path)
    {
        using var stream = File.OpenRead(path);
        return new LstmEnsemble(LstmFile.Read(stream, path));
    }
}
