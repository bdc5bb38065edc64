namespace StrategyLab.Runtime.Models.Lstm;

/// <summary>
/// A trained LSTM: stacked LSTM layers over a window of feature vectors, an optional dense ReLU
/// layer, and a regression, binary or multiclass output. Computes in float32, as PyTorch does on
/// CPU; inputs and predictions are doubles.
/// </summary>
/// <remarks>
/// Sequences are passed flat, row-major [samples × window × features]. Training is deterministic
/// for a given <see cref="LstmOptions.Seed"/> and <see cref="LstmOptions.BatchShards"/>: the same
/// data gives bit-identical weights on the same machine whatever the thread count.
/// </remarks>
/// <example>
/// <code>
/// var model = LstmModel.Train(new LstmOptions { Window = 90, Hidden = 25, Epochs = 5 }, x, y);
/// model.Predict(xTest, predictions);
/// model.Save("ens.lstm");
/// </code>
/// </example>
public sealed class LstmModel
{
    internal readonly LstmNetwork<float> Network;
    private LstmTrainer<float>? _runner;

    internal LstmModel(LstmNetwork<float> network, LstmTrainingReport report)
    {
        Network = network;
        Report = report;
    }

    /// <summary>Architecture and training settings the model was built with.</summary>
    public LstmOptions Options => Network.Options;

    /// <summary>Per-epoch losses of the training run (empty for a loaded model).</summary>
    public LstmTrainingReport Report { get; }

    /// <summary>The named parameter tensors and where they sit in <see cref="CopyParameters"/>.</summary>
    public IReadOnlyList<LstmTensor> Tensors => Network.Layout.Tensors;

    /// <summary>A copy of every parameter in one flat vector (layout: <see cref="Tensors"/>).</summary>
    public float[] CopyParameters() => (float[])Network.Parameters.Clone();

    /// <summary>
    /// Trains a model on <paramref name="sequences"/> [samples × window × features] with one target
    /// per sample: a value (regression), 0/1 (binary) or a class index (multiclass).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes or settings that do not fit together.</exception>
    public static unsafe LstmModel Train(
        LstmOptions options, ReadOnlySpan<double> sequences, ReadOnlySpan<double> targets,
        IProgress<LstmEpoch>? progress = null, CancellationToken cancel = default)
    {
        var count = CheckShapes(options, sequences, targets);
        var network = new LstmNetwork<float>(options);
        network.Initialise(options.Seed);
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var trainer = new LstmTrainer<float>(network, threads);
        LstmTrainingReport report;
        fixed (double* x = sequences, y = targets)
            report = trainer.Fit(x, y, count, progress, cancel);
        return new LstmModel(network, report) { _runner = trainer };
    }

    internal static int CheckShapes(LstmOptions options, ReadOnlySpan<double> sequences, ReadOnlySpan<double> targets)
    {
        options.Validate();
        var per = options.Window * options.Features;
        if (sequences.Length == 0 || sequences.Length % per != 0)
            throw new ArgumentException($"sequences hold {sequences.Length} values, not a positive multiple of window × features = {per}");
        var count = sequences.Length / per;
        if (targets.Length != count)
            throw new ArgumentException($"found {targets.Length} targets for {count} sequences");
        for (var i = 0; i < targets.Length; i++)
        {
            var y = targets[i];
            var ok = options.Task switch
            {
                LstmTask.Regression => double.IsFinite(y),
                LstmTask.Binary => y is 0 or 1,
                _ => y >= 0 && y < options.Classes && y == Math.Floor(y),
            };
            if (!ok)
                throw new ArgumentException($"target {i} is {y}, which is not a valid {options.Task} target");
        }
        return count;
    }

    /// <summary>
    /// Predictions for <paramref name="sequences"/> [samples × window × features] into
    /// <paramref name="output"/>: one value per sample (regression: the value; binary: P(1)), or
    /// <see cref="LstmOptions.Classes"/> probabilities per sample (multiclass). Runs in inference
    /// mode (no dropout, batch norm with running statistics); each prediction depends only on its
    /// own sequence.
    /// </summary>
    public unsafe void Predict(ReadOnlySpan<double> sequences, Span<double> output)
    {
        var o = Options;
        var per = o.Window * o.Features;
        if (sequences.Length % per != 0)
            throw new ArgumentException($"sequences hold {sequences.Length} values, not a multiple of window × features = {per}");
        var count = sequences.Length / per;
        if (output.Length != count * o.Outputs)
            throw new ArgumentException($"output holds {output.Length} values; {count} sequences need {count * o.Outputs}");
        if (count == 0)
            return;
        _runner ??= new LstmTrainer<float>(Network, o.Threads > 0 ? o.Threads : Environment.ProcessorCount);
        var raw = new float[count * o.Outputs];
        fixed (double* x = sequences)
        fixed (float* r = raw)
            _runner.Infer(x, sequences.Length, null, 0, 0, count, r);
        Network.Activate(raw, output, count);
    }

    /// <summary>Predictions as a new array; see <see cref="Predict(ReadOnlySpan{double}, Span{double})"/>.</summary>
    public double[] Predict(ReadOnlySpan<double> sequences)
    {
        var output = new double[sequences.Length / (Options.Window * Options.Features) * Options.Outputs];
        Predict(sequences, output);
        return output;
    }

    /// <summary>Writes the model in the versioned, checksummed binary format of <see cref="LstmFile"/>.</summary>
    public void Save(Stream stream) => LstmFile.Write(stream, [this]);

    /// <summary>Writes the model to a file (replaced if it exists).</summary>
    public void Save(string path)
    {
        using var stream = File.Create(path);
        Save(stream);
    }

    /// <summary>Reads a model written by <see cref="Save(Stream)"/>.</summary>
    /// <exception cref="InvalidDataException">The data is not an LSTM model file, has an unsupported version, holds an ensemble, or is corrupt.</exception>
    public static LstmModel Load(Stream stream)
    {
        var members = LstmFile.Read(stream, "stream");
        if (members.Length != 1)
            throw new InvalidDataException($"the LSTM file holds an ensemble of {members.Length} models; load it with LstmEnsemble.Load");
        return members[0];
    }

    /// <summary>Reads a model file; errors name the file.</summary>
    public static LstmModel Load(string path)
    {
        using var stream = File.OpenRead(path);
        var members = LstmFile.Read(stream, path);
        if (members.Length != 1)
            throw new InvalidDataException($"{path}: holds an ensemble of {members.Length} models; load it with LstmEnsemble.Load");
        return members[0];
    }
}
