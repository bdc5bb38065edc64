using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Models.Gbdt;
using StrategyLab.Runtime.Models.Linear;
using StrategyLab.Runtime.Models.Lstm;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Models.Training;

/// <summary>What a model's predictions mean: the label's value, P(class 1), or the expected class.</summary>
public enum ModelObjective
{
    /// <summary>The label's conditional mean.</summary>
    Regression,
    /// <summary>The probability that the label is 1.</summary>
    Binary,
    /// <summary>The expected class Σ k·P(k) over classes 0 … K − 1.</summary>
    Multiclass,
}

/// <summary>
/// One epoch of a model being fitted, for progress displays: the epoch (1-based) of the member that
/// finished it, the epochs per member (0 when training runs by steps), its loss, how many members'
/// worth of epochs are done (members of an ensemble train in parallel) and the share of the fit done.
/// </summary>
public sealed record EpochReport(int Epoch, int Epochs, double Loss, int Member, int Members, double Fraction);

/// <summary>A model fitted on one fold: predictions for rows of its kind, and its bytes for the model store.</summary>
public abstract class FoldModel
{
    /// <summary>Writes one prediction per row of <paramref name="rows"/> (regression value, P(1) or expected class).</summary>
    public abstract void Predict(TrainingSet rows, Span<double> output);

    /// <summary>Writes the fitted model; <see cref="ModelKind.Read"/> of the same kind reads it back.</summary>
    public abstract void Write(BinaryWriter writer);
}

/// <summary>
/// A model kind of the plan with its hyperparameters resolved: <c>linear</c> (ridge regression, or
/// logistic regression for a binary objective), <c>gbdt</c> and <c>lstm</c>. Builds, fits and
/// reads <see cref="FoldModel"/>s.
/// </summary>
public abstract class ModelKind
{
    /// <summary>The objective, which says what the predictions mean.</summary>
    public ModelObjective Objective { get; protected init; }

    /// <summary>Bars per row: 1, or the LSTM's window.</summary>
    public virtual int Window => 1;

    /// <summary>
    /// Fits a model on <paramref name="fit"/>; <paramref name="validation"/> (possibly empty) serves
    /// early stopping. Adds to <paramref name="notes"/> what the reader should know, and returns a
    /// one-line summary of the fit (its loss) in <paramref name="metric"/>.
    /// </summary>
    public abstract FoldModel Fit(TrainingSet fit, TrainingSet validation, IProgress<EpochReport>? progress, ICollection<string> notes, out string metric);

    /// <summary>Reads a model written by <see cref="FoldModel.Write"/>; bad bytes throw <see cref="InvalidDataException"/>.</summary>
    public abstract FoldModel Read(BinaryReader reader);

    /// <summary>
    /// Resolves <paramref name="spec"/>'s kind and hyperparameters for <paramref name="features"/>
    /// inputs; an unknown kind or an unsupported combination is a <see cref="PlanException"/> naming the model.
    /// </summary>
    public static ModelKind From(ModelSpec spec, int features, IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(parameters);
        var h = new Hyper(spec, parameters);
        return spec.Kind switch
        {
            "linear" => new LinearKind(h),
            "gbdt" => new GbdtKind(h),
            "lstm" => new LstmKind(h, features),
            _ => throw new PlanException($"model '{spec.Name}': kind '{spec.Kind}' cannot be trained on its own"),
        };
    }

    /// <summary>Mean squared error, or mean log-loss for a binary objective, of predictions against labels.</summary>
    internal static double Loss(ModelObjective objective, ReadOnlySpan<double> predicted, ReadOnlySpan<double> labels)
    {
        double sum = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            if (objective == ModelObjective.Binary)
            {
                var p = Math.Clamp(predicted[i], 1e-15, 1 - 1e-15);
                sum -= labels[i] == 1 ? Math.Log(p) : Math.Log(1 - p);
            }
            else
            {
                var d = predicted[i] - labels[i];
                sum += d * d;
            }
        }
        return labels.Length == 0 ? double.NaN : sum / labels.Length;
    }

    /// <summary>The name of <see cref="Loss"/> for the objective.</summary>
    internal string LossName => Objective == ModelObjective.Binary ? "log-loss" : "mse";

    /// <summary>Returns "train LOSS x[, validation y]" for a fitted model.</summary>
    internal string Summary(FoldModel model, TrainingSet fit, TrainingSet validation)
    {
        var p = new double[fit.Rows];
        model.Predict(fit, p);
        var text = $"train {LossName} {Loss(Objective, p, fit.Labels):G4}";
        if (validation.Rows > 0)
        {
            var v = new double[validation.Rows];
            model.Predict(validation, v);
            text += $", validation {Loss(Objective, v, validation.Labels):G4}";
        }
        return text;
    }

    internal static byte[] Bytes(Action<Stream> write)
    {
        using var m = new MemoryStream();
        write(m);
        return m.ToArray();
    }

    internal static void WriteBlob(BinaryWriter writer, byte[] bytes)
    {
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    internal static MemoryStream ReadBlob(BinaryReader reader)
    {
        var n = reader.ReadInt32();
        if (n < 0 || n > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new InvalidDataException($"a nested model of {n} bytes does not fit in the file");
        return new MemoryStream(reader.ReadBytes(n), writable: false);
    }

    internal static void ToExpectedClass(ReadOnlySpan<double> probabilities, int classes, Span<double> output)
    {
        for (var i = 0; i < output.Length; i++)
        {
            double e = 0;
            for (var k = 1; k < classes; k++)
                e += k * probabilities[i * classes + k];
            output[i] = e;
        }
    }
}

/// <summary>A model's hyperparameters by catalogue name, evaluated under the run's parameters.</summary>
internal sealed class Hyper(ModelSpec spec, IReadOnlyDictionary<string, ScalarValue> parameters)
{
    public string Model => spec.Name;

    public ScalarValue Value(string name)
    {
        var given = spec.Hyperparameters.FirstOrDefault(a => a.Name == name);
        if (given is not null)
            return given.Value.Evaluate(parameters);
        var declared = ModelCatalogue.FindModel(spec.Kind)?.Parameters.FirstOrDefault(a => a.Name == name)?.Default;
        return declared ?? throw new PlanException($"model '{spec.Name}': hyperparameter '{name}' has no value");
    }

    public double Number(string name) => Value(name).Number;

    public int Int(string name, int min)
    {
        var x = Number(name);
        if (double.IsNaN(x) || x != Math.Floor(x) || x < min || x > int.MaxValue)
            throw new PlanException($"model '{spec.Name}': {name} must be a whole number of at least {min}, found {x}");
        return (int)x;
    }

    public ModelObjective Objective(params ModelObjective[] allowed)
    {
        var text = Value("objective").Text;
        ModelObjective? o = text switch
        {
            "regression" => ModelObjective.Regression,
            "binary" => ModelObjective.Binary,
            "multiclass" => ModelObjective.Multiclass,
            _ => null,
        };
        if (o is not { } objective || !allowed.Contains(objective))
            throw new PlanException($"model '{spec.Name}': objective \"{text}\" is not supported by a {spec.Kind} model");
        return objective;
    }

    public T Checked<T>(Func<T> build)
    {
        try
        {
            return build();
        }
        catch (ArgumentException e)
        {
            throw new PlanException($"model '{spec.Name}': {e.Message}");
        }
    }
}
