using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Models.Training;

/// <summary>
/// One walk-forward fold, in bar indices of the panel (ends exclusive): the model is fitted on the
/// rows of <c>[TrainStart, FitEnd)</c>, checked on the validation slice <c>[ValidationStart, TrainEnd)</c>
/// (empty when the scheme has no validation), and predicts the bars of <c>[TestStart, TestEnd)</c>.
/// Rows inside an <see cref="Embargoed"/> range are left out of training.
/// </summary>
/// <param name="Index">The fold's number, from 0.</param>
/// <param name="TrainStart">First training row.</param>
/// <param name="TrainEnd">One past the last training row (validation included).</param>
/// <param name="ValidationStart">First validation row; equals <paramref name="TrainEnd"/> without validation.</param>
/// <param name="FitEnd">One past the last row the model is fitted on: the validation start less the label horizon.</param>
/// <param name="TestStart">First predicted bar.</param>
/// <param name="TestEnd">One past the last predicted bar.</param>
/// <param name="Embargoed">Bar ranges [start, end) after earlier test periods that training skips.</param>
public sealed record TrainingFold(
    int Index,
    int TrainStart,
    int TrainEnd,
    int ValidationStart,
    int FitEnd,
    int TestStart,
    int TestEnd,
    IReadOnlyList<(int Start, int End)> Embargoed)
{
    /// <summary>True when a row at <paramref name="bar"/> may be used for fitting the model.</summary>
    public bool Fits(int bar) => bar >= TrainStart && bar < FitEnd && !IsEmbargoed(bar);

    /// <summary>True when a row at <paramref name="bar"/> belongs to the validation slice.</summary>
    public bool Validates(int bar) => bar >= ValidationStart && bar < TrainEnd && !IsEmbargoed(bar);

    /// <summary>True when a row at <paramref name="bar"/> may be used in training at all (fit or validation).</summary>
    public bool Trains(int bar) => bar >= TrainStart && bar < TrainEnd && !IsEmbargoed(bar);

    private bool IsEmbargoed(int bar)
    {
        foreach (var (s, e) in Embargoed)
        {
            if (bar >= s && bar < e)
                return true;
        }
        return false;
    }
}

/// <summary>
/// Lays a plan's training scheme over the bars of a panel.
/// </summary>
/// <remarks>
/// With train length L, test length T, purge P, embargo E, retrain step R (the lowering turns
/// <c>retrain: 0</c> into T), validation V and a label that looks h bars ahead, on n bars:
/// <list type="bullet">
/// <item>Fold k predicts from <c>s_k = L + P + h + k·R</c> to <c>min(s_k + T, n)</c>, for every
/// <c>s_k &lt; n</c>. A bar covered by several folds (R &lt; T) takes the newest fold's prediction;
/// a bar covered by none (R &gt; T) has none.</item>
/// <item>Training rows t satisfy <c>t + h ≤ s_k − 1 − P</c>: the label of every training row is
/// known at the bar before the test period, with P further bars purged. So the train window ends
/// (exclusive) at <c>s_k − P − h</c> and starts L bars earlier (walk_forward) or at bar 0 (expanding).</item>
/// <item>The validation slice is the last V bars of the train window. The model is fitted on rows
/// whose labels end before the slice: <c>t + h ≤ validationStart − 1</c>.</item>
/// <item>Embargo: the E bars after the end of every earlier fold's test period are left out of
/// training wherever a later train window covers them.</item>
/// </list>
/// </remarks>
public static class Folds
{
    /// <summary>
    /// Returns the folds of <paramref name="model"/>'s scheme over <paramref name="bars"/> bars for a
    /// label looking <paramref name="horizon"/> bars ahead; an impossible scheme is a
    /// <see cref="PlanException"/> naming the model.
    /// </summary>
    public static IReadOnlyList<TrainingFold> Compute(ModelSpec model, int bars, int horizon, IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parameters);
        var t = model.Training;
        int Length(ScalarExpr e, string what, int min)
        {
            var x = e.EvaluateNumber(parameters);
            if (double.IsNaN(x) || x != Math.Floor(x) || x < min || x > int.MaxValue / 4)
                throw new PlanException($"model '{model.Name}': {what} must be a whole number of bars of at least {min}, found {x}");
            return (int)x;
        }
        var train = Length(t.Train, "train", 1);
        var test = Length(t.Test, "test", 1);
        var purge = Length(t.Purge, "purge", 0);
        var embargo = Length(t.Embargo, "embargo", 0);
        var retrain = Length(t.Retrain, "retrain", 0);
        var validation = Length(t.Validation, "validation", 0);
        if (retrain == 0)
            retrain = test;
        if (validation >= train)
            throw new PlanException($"model '{model.Name}': a validation slice of {validation} bars leaves nothing of the {train}-bar train window to fit");
        var first = train + purge + horizon;
        if (first >= bars)
            throw new PlanException(
                $"model '{model.Name}': train {train} + purge {purge} + label horizon {horizon} bars leave no bar to predict in the {bars} bars of the data");
        var folds = new List<TrainingFold>();
        var embargoed = new List<(int, int)>();
        for (var (k, s) = (0, first); s < bars; k++, s += retrain)
        {
            var trainEnd = s - purge - horizon;
            var trainStart = t.Scheme == TrainingScheme.Expanding ? 0 : trainEnd - train;
            var validationStart = trainEnd - validation;
            var fitEnd = validation > 0 ? validationStart - horizon : trainEnd;
            if (fitEnd <= trainStart)
                throw new PlanException($"model '{model.Name}': the label horizon of {horizon} bars leaves no row to fit before the {validation}-bar validation slice");
            var end = Math.Min(s + test, bars);
            folds.Add(new TrainingFold(k, trainStart, trainEnd, validationStart, fitEnd, s, end,
                [.. embargoed.Where(r => r.Item2 > trainStart && r.Item1 < trainEnd)]));
            if (embargo > 0)
                embargoed.Add((end, end + embargo));
        }
        return folds;
    }

    /// <summary>
    /// The bars a label looks ahead: along every path of the label's expression tree, the sum of
    /// the horizons of the forward-looking operators (forward, forward_return, forward_log_return,
    /// forward_mean) on it; the largest over the paths. 0 for a label that does not look ahead.
    /// </summary>
    public static int LabelHorizon(StrategyPlan plan, int label, IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(parameters);
        var ahead = new int[label + 1];
        for (var id = 0; id <= label; id++)
        {
            var node = plan.Nodes[id];
            var inputs = 0;
            foreach (var d in node.Dependencies)
                inputs = Math.Max(inputs, ahead[d]);
            var own = 0;
            if (node is OperatorNode op && OperatorCatalogue.Find(op.Operator) is { IsForwardLooking: true })
                own = (int)Math.Max(0, op.Args[0].EvaluateNumber(parameters));
            ahead[id] = inputs + own;
        }
        return ahead[label];
    }
}
