using StrategyLab.Runtime.Models.Lstm;

namespace StrategyLab.Runtime.Models.Training;

/// <summary>
/// <c>lstm</c>: an ensemble of <c>ensemble</c> independently seeded LSTMs over windows of
/// <c>window</c> bars, inputs (and a regression's label) standardised with the mean and deviation
/// of the fold's fitting rows.
/// <c>dropout</c> applies between stacked layers and to the last step's output, <c>head</c> is a
/// dense ReLU layer with <c>head_dropout</c>; <c>early_stopping: N</c> stops after N epochs without
/// improvement on the fold's validation slice (ignored, with a note, when the scheme has none).
/// </summary>
internal sealed class LstmKind : ModelKind
{
    private readonly LstmOptions _options;
    private readonly int _members;
    private readonly int _patience;

    public LstmKind(Hyper h, int features)
    {
        Objective = h.Objective(ModelObjective.Regression, ModelObjective.Binary, ModelObjective.Multiclass);
        _members = h.Int("ensemble", 1);
        _patience = h.Int("early_stopping", 0);
        var dropout = h.Number("dropout");
        _options = h.Checked(() =>
        {
            var o = new LstmOptions
            {
                Features = features,
                Window = h.Int("window", 1),
                Hidden = h.Int("hidden", 1),
                Layers = h.Int("layers", 1),
                Dropout = dropout,
                OutputDropout = dropout,
                BatchNorm = h.Number("batch_norm") != 0,
                DenseUnits = h.Int("head", 0),
                DenseDropout = h.Number("head_dropout"),
                Task = Objective switch
                {
                    ModelObjective.Binary => LstmTask.Binary,
                    ModelObjective.Multiclass => LstmTask.Multiclass,
                    _ => LstmTask.Regression,
                },
                Classes = h.Int("classes", 2),
                LearningRate = h.Number("lr"),
                WeightDecay = h.Number("weight_decay"),
                BatchSize = h.Int("batch", 1),
                Epochs = h.Int("epochs", 0),
                Steps = h.Int("steps", 0),
                ClipNorm = h.Number("clip"),
                Patience = Math.Max(1, _patience),
                Seed = (ulong)h.Int("seed", 0),
            };
            o.Validate();
            return o;
        });
    }

    public override int Window => _options.Window;

    public override FoldModel Fit(TrainingSet fit, TrainingSet validation, IProgress<EpochReport>? progress, ICollection<string> notes, out string metric)
    {
        var scaling = FeatureScaling.Measure(fit, _options.Features);
        var options = _options;
        var rows = fit;
        if (_patience > 0 && validation.Rows > 0)
        {
            // the trainer holds out the last sequences: the validation slice, which comes after the fitting rows
            rows = new TrainingSet([.. fit.Features, .. validation.Features], [.. fit.Labels, .. validation.Labels],
                [.. fit.Bars, .. validation.Bars], [.. fit.Assets, .. validation.Assets], fit.Width);
            options = options with { ValidationFraction = (validation.Rows + 0.5) / rows.Rows };
        }
        else if (_patience > 0)
        {
            notes.Add("early_stopping needs a validation slice (train ... validation: N); every epoch was trained");
        }
        var epochs = options.Steps > 0 ? 0 : options.Epochs;
        var done = 0;
        var report = progress is null
            ? null
            : new Relay(e =>
            {
                var n = Interlocked.Increment(ref done);
                progress.Report(new EpochReport(e.Epoch, epochs, e.TrainLoss, (n - 1) / Math.Max(1, epochs), _members,
                    epochs > 0 ? Math.Min(1, (double)n / (epochs * _members)) : 0));
            });
        // a regression learns the label standardised with the fitting rows' mean and deviation, and predicts it back on its scale
        (double Mean, double Deviation) target = Objective == ModelObjective.Regression ? TargetScaling(fit.Labels) : (0.0, 1.0);
        LstmEnsemble ensemble;
        try
        {
            var labels = rows.Labels.Select(y => (y - target.Mean) / target.Deviation).ToArray();
            ensemble = LstmEnsemble.Train(options, _members, scaling.Apply(rows.Features), labels, progress: report);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"the labels do not suit a {Objective} LSTM: {e.Message}", e);
        }
        var model = new Network(ensemble, scaling, target, _options.Outputs);
        metric = Summary(model, fit, validation);
        return model;
    }

    private static (double Mean, double Deviation) TargetScaling(double[] labels)
    {
        var mean = labels.Average();
        var sd = Math.Sqrt(labels.Sum(y => (y - mean) * (y - mean)) / labels.Length);
        return (mean, sd > 0 && double.IsFinite(sd) ? sd : 1);
    }

    public override FoldModel Read(BinaryReader reader)
    {
        var features = reader.ReadInt32();
        if (features != _options.Features)
            throw new InvalidDataException($"the stored LSTM reads {features} inputs, the model {_options.Features}");
        var mean = new double[features];
        var sd = new double[features];
        for (var f = 0; f < features; f++)
        {
            mean[f] = reader.ReadDouble();
            sd[f] = reader.ReadDouble();
        }
        var target = (reader.ReadDouble(), reader.ReadDouble());
        using var blob = ReadBlob(reader);
        return new Network(LstmEnsemble.Load(blob), new FeatureScaling(mean, sd), target, _options.Outputs);
    }

    // reports synchronously from the training threads
    private sealed class Relay(Action<LstmEpoch> report) : IProgress<LstmEpoch>
    {
        private readonly Lock _gate = new();

        public void Report(LstmEpoch value)
        {
            lock (_gate)
                report(value);
        }
    }

    private sealed class Network(LstmEnsemble ensemble, FeatureScaling scaling, (double Mean, double Deviation) target, int outputs) : FoldModel
    {
        public override void Predict(TrainingSet rows, Span<double> output)
        {
            if (rows.Rows == 0)
                return;
            var x = scaling.Apply(rows.Features);
            if (outputs == 1)
            {
                ensemble.Predict(x, output);
                if (target != (0, 1))
                {
                    for (var i = 0; i < output.Length; i++)
                        output[i] = output[i] * target.Deviation + target.Mean;
                }
                return;
            }
            var p = new double[rows.Rows * outputs];
            ensemble.Predict(x, p);
            ToExpectedClass(p, outputs, output);
        }

        public override void Write(BinaryWriter writer)
        {
            writer.Write(scaling.Mean.Length);
            for (var f = 0; f < scaling.Mean.Length; f++)
            {
                writer.Write(scaling.Mean[f]);
                writer.Write(scaling.Deviation[f]);
            }
            writer.Write(target.Mean);
            writer.Write(target.Deviation);
            WriteBlob(writer, Bytes(ensemble.Save));
        }
    }
}
