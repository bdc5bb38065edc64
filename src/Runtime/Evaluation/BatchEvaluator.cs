using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Evaluation;

/// <summary>A plan the runtime cannot run as it is: the message says what and, where known, the source line.</summary>
public sealed class PlanException(string message) : Exception(message);

/// <summary>
/// The batch form of <see cref="PlanEvaluator"/>: every needed node over the whole panel at once,
/// each into a full [time × asset] column. Research (labels, signal analysis) reads whole columns;
/// backtests stream through the plan in small blocks instead.
/// </summary>
public static class BatchEvaluator
{
    /// <summary>
    /// Evaluates <paramref name="roots"/> and everything they read; returns every node's column
    /// (null for nodes not needed).
    /// </summary>
    public static double[]?[] Evaluate(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters, IEnumerable<int> roots,
        IReadOnlyDictionary<string, double[]>? modelOutputs = null) =>
        PlanEvaluator.EvaluateAll(plan, panel, parameters, roots, modelOutputs);
}
