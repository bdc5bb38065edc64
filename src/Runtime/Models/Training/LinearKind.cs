using StrategyLab.Runtime.Models.Linear;

namespace StrategyLab.Runtime.Models.Training;

/// <summary><c>linear</c>: ridge regression with penalty <c>l2</c>, or logistic regression for a binary objective.</summary>
internal sealed class LinearKind : ModelKind
{
    private readonly double _l2;

    public LinearKind(Hyper h)
    {
        Objective = h.Objective(ModelObjective.Regression, ModelObjective.Binary);
        _l2 = h.Number("l2");
    }

    public override FoldModel Fit(TrainingSet fit, TrainingSet validation, IProgress<EpochReport>? progress, ICollection<string> notes, out string metric)
    {
        FoldModel model = Objective == ModelObjective.Binary
            ? new Logistic(LogisticRegression.Fit(fit.Features, fit.Labels, _l2))
            : new Ridge(RidgeRegression.Fit(fit.Features, fit.Labels, _l2));
        progress?.Report(new EpochReport(1, 1, double.NaN, 0, 1, 1));
        metric = Summary(model, fit, validation);
        return model;
    }

    public override FoldModel Read(BinaryReader reader)
    {
        using var blob = ReadBlob(reader);
        return Objective == ModelObjective.Binary
            ? new Logistic(LogisticRegression.Load(blob, "the stored model"))
            : new Ridge(RidgeRegression.Load(blob, "the stored model"));
    }

    private sealed class Ridge(RidgeRegression model) : FoldModel
    {
        public override void Predict(TrainingSet rows, Span<double> output) => model.Predict(rows.Features, output);

        public override void Write(BinaryWriter writer) => WriteBlob(writer, Bytes(model.Save));
    }

    private sealed class Logistic(LogisticRegression model) : FoldModel
    {
        public override void Predict(TrainingSet rows, Span<double> output) => model.Predict(rows.Features, output);

        public override void Write(BinaryWriter writer) => WriteBlob(writer, Bytes(model.Save));
    }
}
