using StrategyLab.Runtime.Models.Gbdt;
using StrategyLab.Runtime.Models.Lstm;

namespace StrategyLab.Runtime.Models.Training;

/// <summary>
/// <c>gbdt</c>: histogram gradient-boosted trees. <c>ensemble: N</c> trains N models seeded from
/// <c>seed</c> and averages their predictions. Early stopping uses the fold's validation slice; a
/// scheme without one trains every round and says so in a note.
/// </summary>
internal sealed class GbdtKind : ModelKind
{
    private readonly GbdtOptions _options;
    private readonly int _members;

    public GbdtKind(Hyper h)
    {
        Objective = h.Objective(ModelObjective.Regression, ModelObjective.Binary, ModelObjective.Multiclass);
        _members = h.Int("ensemble", 1);
        _options = h.Checked(() =>
        {
            var o = new GbdtOptions
            {
                Objective = Objective switch
                {
                    ModelObjective.Binary => GbdtObjective.Binary,
                    ModelObjective.Multiclass => GbdtObjective.Multiclass,
                    _ => GbdtObjective.SquaredError,
                },
                ClassCount = h.Int("classes", 2),
                Rounds = h.Int("rounds", 1),
                LearningRate = h.Number("lr"),
                NumLeaves = h.Int("leaves", 2),
                MaxDepth = h.Int("max_depth", -1),
                MinDataInLeaf = h.Int("min_leaf", 1),
                Lambda = h.Number("l2"),
                MinGainToSplit = h.Number("min_gain"),
                FeatureFraction = h.Number("feature_fraction"),
                BaggingFraction = h.Number("bagging_fraction"),
                MaxBins = h.Int("bins", 2),
                EarlyStoppingRounds = h.Int("early_stopping", 0),
                Seed = (ulong)h.Int("seed", 0),
            };
            o.Validate();
            return o;
        });
    }

    private int Classes => _options.OutputCount;

    public override FoldModel Fit(TrainingSet fit, TrainingSet validation, IProgress<EpochReport>? progress, ICollection<string> notes, out string metric)
    {
        var options = _options;
        GbdtValidation? check = null;
        if (options.EarlyStoppingRounds > 0)
        {
            if (validation.Rows > 0)
                check = new GbdtValidation(validation.Features, validation.Labels);
            else
            {
                options = options with { EarlyStoppingRounds = 0 };
                notes.Add("early_stopping needs a validation slice (train ... validation: N); every round was trained");
            }
        }
        var models = new GbdtModel[_members];
        for (var i = 0; i < _members; i++)
        {
            var seed = _members == 1 ? options.Seed : LstmEnsemble.MemberSeed(options.Seed, i);
            try
            {
                models[i] = GbdtModel.Train(fit.Features, fit.Labels, options with { Seed = seed }, check);
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"the labels do not suit a {Objective} gradient-boosted model: {e.Message}", e);
            }
            progress?.Report(new EpochReport(models[i].Rounds, options.Rounds, models[i].ValidationLoss.Count > 0 ? models[i].ValidationLoss[^1] : double.NaN, i,
                _members, (i + 1.0) / _members));
        }
        var model = new Trees(models, Classes);
        metric = Summary(model, fit, validation) + (check is null ? "" : $", rounds kept {string.Join("/", models.Select(m => m.Rounds))}");
        return model;
    }

    public override FoldModel Read(BinaryReader reader)
    {
        var n = reader.ReadInt32();
        if (n < 1 || n > 10_000)
            throw new InvalidDataException($"{n} members is impossible");
        var models = new GbdtModel[n];
        for (var i = 0; i < n; i++)
        {
            using var blob = ReadBlob(reader);
            models[i] = GbdtModel.Load(blob, "the stored model");
        }
        return new Trees(models, Classes);
    }

    private sealed class Trees(GbdtModel[] models, int classes) : FoldModel
    {
        public override void Predict(TrainingSet rows, Span<double> output)
        {
            output.Clear();
            var each = new double[rows.Rows * classes];
            var value = new double[rows.Rows];
            foreach (var m in models)
            {
                m.Predict(rows.Features, each);
                if (classes > 1)
                    ToExpectedClass(each, classes, value);
                else
                    each.AsSpan().CopyTo(value);
                for (var i = 0; i < value.Length; i++)
                    output[i] += value[i] / models.Length;
            }
        }

        public override void Write(BinaryWriter writer)
        {
            writer.Write(models.Length);
            foreach (var m in models)
                WriteBlob(writer, Bytes(m.Save));
        }
    }
}
