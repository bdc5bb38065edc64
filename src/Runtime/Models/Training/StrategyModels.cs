using System.Diagnostics;
using System.Runtime.InteropServices;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Data.Cache;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Models.Training;

/// <summary>One fold of one model: its ranges, training rows, fit summary and time, and whether a stored file was used.</summary>
public sealed record FoldReport(string Model, int Fold, int Folds, int TrainStart, int TrainEnd, int TestStart, int TestEnd, int Rows, string Metric, TimeSpan Elapsed, bool Reused);

/// <summary>How far training is: the model and fold at work, the epoch just finished (if any), and the share of all folds done.</summary>
public sealed record TrainingProgress(string Model, int Fold, int Folds, EpochReport? Epoch, double Fraction);

/// <summary>Every model's out-of-sample predictions by name ([time × asset], NaN where no fold predicts), per-fold reports and notes.</summary>
public sealed record ModelTrainingResult(IReadOnlyDictionary<string, double[]> Predictions, IReadOnlyList<FoldReport> Folds, IReadOnlyList<string> Notes)
{
    /// <summary>
    /// Per trained model, how its out-of-sample predictions met its label where both are known:
    /// the accuracy of P(1) &gt; 0.5 for a binary model, the mean squared error otherwise.
    /// </summary>
    public IReadOnlyList<OutOfSampleScore> Scores { get; init; } = [];
}

/// <summary>A model's out-of-sample score: <see cref="Measure"/> ("accuracy" or "mse") over <see cref="Rows"/> predictions with a known label.</summary>
public sealed record OutOfSampleScore(string Model, string Measure, double Value, int Rows);

/// <summary>
/// Trains a plan's models walk-forward (see <see cref="Folds"/>), in <see cref="StrategyPlan.Models"/>
/// order so that a model may read earlier models' predictions, and returns their out-of-sample
/// predictions for the evaluator. Inputs and labels are evaluated over the whole history with the
/// batch evaluator; the fold rule alone keeps every training row's label before its test period.
/// With a <see cref="ModelStore"/>, a fold whose file matches is read instead of trained, and a
/// refused file is retrained, rewritten and named in a note. A fold file also keeps the fold's test
/// predictions, used while the test rows hash the same (predicted afresh from the stored model, and
/// rewritten, when they changed, e.g. on data cut short or grown). The training rows are only
/// located, and hashed without being built, unless the fold is fitted; the plan's folder is locked for the
/// whole run (<see cref="TrainingLock"/>), so that a prune in another process leaves it alone. Deterministic: the same plan, data,
/// parameters and seeds give the same predictions, bit for bit.
/// </summary>
public static class StrategyModels
{
    /// <summary>Trains (or reads back) every model of <paramref name="plan"/> over <paramref name="panel"/>.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="panel">The data, whole history (aggregated to the plan's bar when its candles are finer, as a backtest does).</param>
    /// <param name="parameters">Every parameter's value.</param>
    /// <param name="store">Where fold models are kept, or null to keep none.</param>
    /// <param name="retrain">True to ignore stored files (they are overwritten).</param>
    /// <param name="progress">Hears every finished epoch and fold.</param>
    public static ModelTrainingResult Train(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters,
        ModelStore? store = null, bool retrain = false, IProgress<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(panel);
        ArgumentNullException.ThrowIfNull(parameters);
        if (plan.Models.Length > 0)
        {
            panel = StrategyBacktest.AtPlanBar(plan, panel, []);
            StrategyBacktest.CheckData(plan, panel);
        }
        var run = new Run(plan, panel, parameters, store, retrain, progress);
        // held while the plan's folder is read and written, so that a prune in another process leaves it alone
        using var hold = store is not null && plan.Models.Length > 0 ? store.Lock(run.PlanHash, plan.Name) : null;
        foreach (var spec in plan.Models)
            run.Train(spec);
        return new ModelTrainingResult(run.Outputs, run.Reports, run.Notes) { Scores = run.Scores };
    }

    // one training run: the models' data, the predictions so far, reports and notes
    private sealed class Run
    {
        private readonly StrategyPlan _plan;
        private readonly Panel _panel;
        private readonly IReadOnlyDictionary<string, ScalarValue> _parameters;
        private readonly ModelStore? _store;
        private readonly bool _retrain;
        private readonly IProgress<TrainingProgress>? _progress;
        private readonly string _planHash;
        private readonly ulong _parametersHash;
        private readonly Dictionary<string, IReadOnlyList<TrainingFold>> _folds = new(StringComparer.Ordinal);
        private readonly Dictionary<string, ModelData> _data = new(StringComparer.Ordinal);
        private readonly int _totalFolds;
        private int _doneFolds;

        public Run(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters, ModelStore? store, bool retrain, IProgress<TrainingProgress>? progress)
        {
            _plan = plan;
            _panel = panel;
            _parameters = parameters;
            _store = store;
            _retrain = retrain;
            _progress = progress;
            _planHash = plan.ContentHash();
            _parametersHash = FoldKey.HashParameters(parameters);
            foreach (var spec in plan.Models)
            {
                if (spec.Kind == "ensemble" && !spec.FitWeights)
                    continue;
                var label = spec.Label ?? throw new PlanException($"model '{spec.Name}' has no label to learn");
                var horizon = Folds.LabelHorizon(plan, label, parameters);
                if (spec.Kind == "ensemble")
                {
                    foreach (var m in spec.Members)
                    {
                        var member = Spec(m.Model);
                        if (member.Kind == "ensemble" || member.Label is null)
                            throw new PlanException($"model '{spec.Name}': member '{m.Model}' must be an lstm, gbdt or linear model to have its weight fitted");
                        horizon = Math.Max(horizon, Folds.LabelHorizon(plan, member.Label.Value, parameters));
                    }
                }
                var folds = Folds.Compute(spec, panel.TimeCount, horizon, parameters);
                _folds[spec.Name] = folds;
                _totalFolds += folds.Count;
            }
        }

        public string PlanHash => _planHash;

        public Dictionary<string, double[]> Outputs { get; } = new(StringComparer.Ordinal);

        public List<FoldReport> Reports { get; } = [];

        public List<string> Notes { get; } = [];

        public List<OutOfSampleScore> Scores { get; } = [];

        private int Assets => _panel.AssetCount;

        private ModelSpec Spec(string name) =>
            _plan.Models.FirstOrDefault(m => m.Name == name) ?? throw new PlanException($"the plan has no model '{name}'");

        public void Train(ModelSpec spec)
        {
            if (spec.Kind == "ensemble" && !spec.FitWeights)
            {
                var members = spec.Members.Select(m => Outputs.TryGetValue(m.Model, out var p)
                    ? p
                    : throw new PlanException($"model '{spec.Name}': member '{m.Model}' is trained after the ensemble")).ToList();
                Outputs[spec.Name] = Ensembles.Combine(members, [.. spec.Members.Select(m => m.Weight.EvaluateNumber(_parameters))], spec.Name);
                return;
            }
            var predictions = new double[_panel.TimeCount * Assets];
            predictions.AsSpan().Fill(double.NaN);
            var folds = _folds[spec.Name];
            foreach (var fold in folds)
            {
                var watch = Stopwatch.StartNew();
                var (rows, metric, reused) = spec.Kind == "ensemble"
                    ? EnsembleFold(spec, fold, folds.Count, predictions)
                    : SingleFold(spec, fold, folds.Count, predictions);
                Reports.Add(new FoldReport(spec.Name, fold.Index, folds.Count, fold.TrainStart, fold.TrainEnd, fold.TestStart, fold.TestEnd, rows, metric, watch.Elapsed, reused));
                _doneFolds++;
                _progress?.Report(new TrainingProgress(spec.Name, fold.Index, folds.Count, null, Fraction(0)));
            }
            Outputs[spec.Name] = predictions;
            Scores.Add(Score(spec, predictions));
        }

        private OutOfSampleScore Score(ModelSpec spec, double[] predictions)
        {
            var label = Data(spec).Label;
            var binary = spec.Kind == "ensemble"
                ? spec.Members.All(m => Objective(Spec(m.Model)) == "binary")
                : Objective(spec) == "binary";
            double sum = 0;
            var rows = 0;
            for (var i = 0; i < predictions.Length; i++)
            {
                if (!double.IsFinite(predictions[i]) || !double.IsFinite(label[i]))
                    continue;
                rows++;
                var d = predictions[i] - label[i];
                sum += binary ? ((predictions[i] > 0.5) == (label[i] == 1) ? 1 : 0) : d * d;
            }
            return new OutOfSampleScore(spec.Name, binary ? "accuracy" : "mse", rows == 0 ? double.NaN : sum / rows, rows);
        }

        private string? Objective(ModelSpec spec) =>
            spec.Hyperparameters.FirstOrDefault(h => h.Name == "objective")?.Value.Evaluate(_parameters).Text ?? "regression";

        private double Fraction(double withinFold) => _totalFolds == 0 ? 1 : (_doneFolds + withinFold) / _totalFolds;

        private IProgress<EpochReport>? EpochProgress(string model, TrainingFold fold, int folds, int part, int parts) =>
            _progress is null
                ? null
                : new Relay(e =>
                {
                    _progress.Report(new TrainingProgress(model, fold.Index, folds, e, Fraction((part + e.Fraction) / parts)));
                });

        // the rows are located first and built only to fit or predict: a stored fold is checked
        // against the hash of its training rows, taken without building them, and its stored test
        // predictions are used while the test rows hash the same
        private (int Rows, string Metric, bool Reused) SingleFold(ModelSpec spec, TrainingFold fold, int folds, double[] predictions)
        {
            var d = Data(spec);
            var fit = d.Columns.Select(fold.TrainStart, fold.FitEnd, fold.Fits, d.Label);
            var validation = d.Columns.Select(fold.ValidationStart, fold.TrainEnd, fold.Validates, d.Label);
            if (fit.Length == 0)
            {
                Notes.Add($"model '{spec.Name}' fold {fold.Index}: no training row has every input and its label, so bars {fold.TestStart}–{fold.TestEnd - 1} have no prediction");
                return (0, "no training rows", false);
            }
            var key = Key(spec.Name, fold, DataHash(d.Columns.Hash(fit, d.Label), d.Columns.Hash(validation, d.Label)));
            var test = d.Columns.Select(fold.TestStart, fold.TestEnd, _ => true, null);
            var inputs = Combine(0, d.Columns.Hash(test, null));
            var metric = "read from the model store";
            var stored = Load(spec.Name, key, r => [d.Kind.Read(r)]);
            var model = stored?.Models[0];
            if (model is null)
            {
                model = Fit(spec.Name, d.Kind, d.Columns.Gather(fit, d.Label), d.Columns.Gather(validation, d.Label),
                    EpochProgress(spec.Name, fold, folds, 0, 1), out var summary);
                metric = summary;
            }
            var output = stored?.Predictions is { } p && p.InputsHash == inputs && p.Values.Length == test.Length ? p.Values : null;
            if (output is null)
            {
                output = new double[test.Length];
                model.Predict(d.Columns.Gather(test, null), output);
                Save(key, stored?.Payload ?? Payload([model]), new FoldPredictions(inputs, output));
            }
            for (var i = 0; i < test.Length; i++)
                predictions[test[i]] = output[i];
            return (fit.Length, metric, stored is not null);
        }

        // members fitted on the fold's train window less its validation slice; their validation
        // predictions give the weights (see Ensembles.FitWeights), applied to their test predictions
        private (int Rows, string Metric, bool Reused) EnsembleFold(ModelSpec spec, TrainingFold fold, int folds, double[] predictions)
        {
            if (fold.ValidationStart == fold.TrainEnd)
                throw new PlanException($"model '{spec.Name}': fitting ensemble weights needs a validation slice: train ...(..., validation: N)");
            var members = spec.Members.Select(m => Data(Spec(m.Model))).ToList();
            var fits = members.Select(d => d.Columns.Select(fold.TrainStart, fold.FitEnd, fold.Fits, d.Label)).ToList();
            var validations = members.Select(d => d.Columns.Select(fold.ValidationStart, fold.TrainEnd, fold.Validates, null)).ToList();
            var label = Data(spec).Label;
            if (fits.Any(f => f.Length == 0))
            {
                Notes.Add($"model '{spec.Name}' fold {fold.Index}: a member has no training rows, so bars {fold.TestStart}–{fold.TestEnd - 1} have no prediction");
                return (0, "no training rows", false);
            }
            var hash = XxHash64.Hash(MemoryMarshal.AsBytes(label.AsSpan(fold.ValidationStart * Assets, (fold.TrainEnd - fold.ValidationStart) * Assets)));
            for (var i = 0; i < members.Count; i++)
                hash ^= DataHash(members[i].Columns.Hash(fits[i], members[i].Label), members[i].Columns.Hash(validations[i], null)) * (ulong)(2 * i + 3);
            var key = Key(spec.Name, fold, hash);
            var tests = members.Select(d => d.Columns.Select(fold.TestStart, fold.TestEnd, _ => true, null)).ToList();
            ulong inputs = 0;
            for (var i = 0; i < members.Count; i++)
                inputs = Combine(inputs, members[i].Columns.Hash(tests[i], null));
            double[]? weights = null;
            var metric = "read from the model store";
            var stored = Load(spec.Name, key, r =>
            {
                var n = r.ReadInt32();
                if (n != members.Count)
                    throw new InvalidDataException($"it holds {n} members, the ensemble has {members.Count}");
                weights = [.. Enumerable.Range(0, n).Select(_ => r.ReadDouble())];
                return [.. members.Select(d => d.Kind.Read(r))];
            });
            var models = stored?.Models;
            if (models is null)
            {
                var fitted = new List<FoldModel>();
                var summaries = new List<string>();
                for (var i = 0; i < members.Count; i++)
                {
                    var rows = members[i].Columns.Gather(fits[i], members[i].Label);
                    fitted.Add(Fit(members[i].Spec.Name, members[i].Kind, rows, Empty(rows.Width),
                        EpochProgress(spec.Name, fold, folds, i, members.Count), out var summary));
                    summaries.Add($"{members[i].Spec.Name}: {summary}");
                }
                var dense = members.Select((d, i) => Dense(fitted[i], d.Columns.Gather(validations[i], null))).ToList();
                var cells = new List<int>();
                for (var c = fold.ValidationStart * Assets; c < fold.TrainEnd * Assets; c++)
                {
                    if (double.IsFinite(label[c]) && dense.All(p => double.IsFinite(p[c])))
                        cells.Add(c);
                }
                if (cells.Count == 0)
                {
                    weights = [.. members.Select(_ => 1.0 / members.Count)];
                    Notes.Add($"model '{spec.Name}' fold {fold.Index}: no validation row has every member's prediction and the label; equal weights used");
                }
                else
                {
                    weights = Ensembles.FitWeights([.. dense.Select(p => cells.Select(c => p[c]).ToArray())], cells.Select(c => label[c]).ToArray());
                }
                metric = $"weights {string.Join(", ", members.Select((d, i) => $"{d.Spec.Name} {weights[i]:0.###}"))} on {cells.Count} validation rows; {string.Join("; ", summaries)}";
                models = fitted;
            }
            else
            {
                metric = $"read from the model store; weights {string.Join(", ", members.Select((d, i) => $"{d.Spec.Name} {weights![i]:0.###}"))}";
            }
            // the weighted sum over the fold's test bars, NaN where a member has no prediction
            var first = fold.TestStart * Assets;
            var block = stored?.Predictions is { } p && p.InputsHash == inputs && p.Values.Length == (fold.TestEnd - fold.TestStart) * Assets ? p.Values : null;
            if (block is null)
            {
                var dense = members.Select((d, i) => Dense(models[i], d.Columns.Gather(tests[i], null))).ToList();
                block = new double[(fold.TestEnd - fold.TestStart) * Assets];
                for (var c = 0; c < block.Length; c++)
                {
                    double s = 0;
                    for (var i = 0; i < members.Count; i++)
                        s += weights![i] * dense[i][first + c];
                    block[c] = s;
                }
                Save(key, stored?.Payload ?? Payload(models, w =>
                {
                    w.Write(members.Count);
                    foreach (var x in weights!)
                        w.Write(x);
                }), new FoldPredictions(inputs, block));
            }
            for (var c = 0; c < block.Length; c++)
            {
                if (double.IsFinite(block[c]))
                    predictions[first + c] = block[c];
            }
            return (fits.Sum(f => f.Length), metric, stored is not null);
        }

        private double[] Dense(FoldModel model, TrainingSet rows)
        {
            var dense = new double[_panel.TimeCount * Assets];
            dense.AsSpan().Fill(double.NaN);
            var output = new double[rows.Rows];
            model.Predict(rows, output);
            for (var i = 0; i < rows.Rows; i++)
                dense[rows.Bars[i] * Assets + rows.Assets[i]] = output[i];
            return dense;
        }

        private static TrainingSet Empty(int width) => new([], [], [], [], width);

        private static FoldModel Fit(string model, ModelKind kind, TrainingSet fit, TrainingSet validation, IProgress<EpochReport>? progress, out string metric)
        {
            var notes = new List<string>();
            try
            {
                var m = kind.Fit(fit, validation, progress, notes, out metric);
                if (notes.Count > 0)
                    metric += " (" + string.Join("; ", notes.Distinct()) + ")";
                return m;
            }
            catch (InvalidOperationException e)
            {
                throw new PlanException($"model '{model}': {e.Message}");
            }
            catch (ArgumentException e)
            {
                throw new PlanException($"model '{model}': training failed: {e.Message}");
            }
        }

        // the fold's models from the store when its file matches (and its test predictions when it holds them);
        // null when there is none, or when it is refused (named in a note), or when retraining
        private (List<FoldModel> Models, byte[] Payload, FoldPredictions? Predictions)? Load(string model, FoldKey key, Func<BinaryReader, List<FoldModel>> read)
        {
            if (_store is null || _retrain)
                return null;
            var stored = _store.TryLoad(key, out var refusal);
            if (stored is not null)
            {
                try
                {
                    using var r = new BinaryReader(new MemoryStream(stored.Payload, writable: false));
                    var models = read(r);
                    if (r.BaseStream.Position != stored.Payload.Length)
                        throw new InvalidDataException("bytes are left over after the model");
                    return (models, stored.Payload, stored.Predictions);
                }
                catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ArgumentException)
                {
                    refusal = $"{_store.PathOf(key)} does not hold this model: {e.Message}";
                }
            }
            if (refusal is not null)
                Notes.Add($"model '{model}' fold {key.Fold}: stored file refused and retrained: {refusal}");
            return null;
        }

        // the bytes of fitted models, after what writeHeader writes
        private static byte[] Payload(List<FoldModel> models, Action<BinaryWriter>? writeHeader = null)
        {
            using var payload = new MemoryStream();
            using (var w = new BinaryWriter(payload))
            {
                writeHeader?.Invoke(w);
                foreach (var m in models)
                    m.Write(w);
            }
            return payload.ToArray();
        }

        // writes a fold fitted now, or one read back whose test predictions were made afresh
        private void Save(FoldKey key, byte[] payload, FoldPredictions predictions) => _store?.Save(key, payload, predictions);

        private FoldKey Key(string model, TrainingFold fold, ulong dataHash) =>
            new(_planHash, _parametersHash, dataHash, model, fold.Index, _panel.Times[fold.TrainStart], _panel.Times[fold.TrainEnd - 1])
            {
                Strategy = _plan.Name,
                TestFirstMs = _panel.Times[fold.TestStart],
                TestLastMs = _panel.Times[fold.TestEnd - 1],
            };

        // the training rows' hash a fold file is keyed by (its value is part of the file format)
        private static ulong DataHash(RowHashes fit, RowHashes validation)
        {
            ulong h = 0;
            foreach (var part in new[] { fit.Features, fit.Labels, validation.Features, validation.Labels, fit.Bars, fit.Assets, validation.Bars, validation.Assets })
                h = (h * 0x9E3779B97F4A7C15UL) ^ part;
            return h;
        }

        private static ulong Combine(ulong h, RowHashes rows)
        {
            foreach (var part in new[] { rows.Features, rows.Labels, rows.Bars, rows.Assets })
                h = (h * 0x9E3779B97F4A7C15UL) ^ part;
            return h;
        }

        // a model's enabled inputs and label, evaluated once over the whole history
        private ModelData Data(ModelSpec spec)
        {
            if (_data.TryGetValue(spec.Name, out var cached))
                return cached;
            var inputs = spec.Inputs.Where(i => i.EnabledWhen is null || i.EnabledWhen.EvaluateNumber(_parameters) != 0).Select(i => i.Node).ToList();
            if (spec.Kind != "ensemble" && inputs.Count == 0)
                throw new PlanException($"model '{spec.Name}': every input is disabled by its flag under these parameter values");
            var roots = new List<int>(inputs);
            if (spec.Label is { } l)
                roots.Add(l);
            var values = BatchEvaluator.Evaluate(_plan, _panel, _parameters, roots, Outputs);
            var columns = inputs.Select(i => values[i]!).ToList();
            var label = spec.Label is { } node ? values[node]! : [];
            ModelData data;
            if (spec.Kind == "ensemble")
            {
                data = new ModelData(spec, null!, null!, label);
            }
            else
            {
                var kind = ModelKind.From(spec, columns.Count, _parameters);
                data = new ModelData(spec, kind, new FeatureColumns(columns, _panel.TimeCount, Assets, kind.Window), label);
            }
            _data[spec.Name] = data;
            return data;
        }
    }

    private sealed record ModelData(ModelSpec Spec, ModelKind Kind, FeatureColumns Columns, double[] Label);

    private sealed class Relay(Action<EpochReport> report) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => report(value);
    }
}
