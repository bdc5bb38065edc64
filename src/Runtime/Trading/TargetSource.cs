using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Runs;

namespace StrategyLab.Runtime.Trading;

/// <summary>The strategy's decision at a bar's close: target weights by asset (fractions of equity, NaN flat) and whether they are traded.</summary>
public sealed record TargetDecision(double[] Targets, bool Rebalance);

/// <summary>Where a runner's target weights come from: the plan stepped over the bars closed so far, and nothing later.</summary>
public interface ITargetSource
{
    /// <summary>Returns the decision at the close of the last bar of <paramref name="history"/>.</summary>
    TargetDecision Decide(BarHistory history);
}

/// <summary>
/// A plan's targets from the bars closed so far: the history is prepared as a run of its own and its last
/// bar's targets are read (<see cref="PreparedRun.LastTargets"/>), so a decision can read no bar after its own.
/// Because every operator's batch kernel is its incremental form row by row, these are the targets a backtest
/// over the same bars decides at that bar, bit for bit. Plans with models are refused: their folds are trained
/// over a whole dataset, not yet stepped bar by bar. Before the second bar nothing is held.
/// </summary>
public sealed class PlanTargetSource : ITargetSource
{
    private readonly StrategyPlan _plan;
    private readonly IReadOnlyDictionary<string, string> _parameters;

    /// <summary>The targets of <paramref name="plan"/> under <paramref name="parameters"/> (as text, <c>k=7</c>; empty: the defaults).</summary>
    /// <exception cref="PlanException">The plan cannot trade bar by bar (it has models).</exception>
    public PlanTargetSource(StrategyPlan plan, IReadOnlyDictionary<string, string>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Models.Length > 0)
            throw new PlanException($"strategy '{plan.Name}' has models ({string.Join(", ", plan.Models.Select(m => m.Name))}); paper and live trading of models is not supported yet");
        _plan = plan;
        _parameters = parameters ?? new Dictionary<string, string>();
    }

    /// <inheritdoc />
    public TargetDecision Decide(BarHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        // a run needs two bars: the first bar (a rebalance bar of every schedule) holds nothing
        if (history.Count < 2)
            return new TargetDecision(new double[history.Symbols.Length], Rebalance: true);
        using var panel = history.ToPanel();
        using var run = PreparedRun.Prepare(_plan, panel);
        var parameters = run.Parse(_parameters);
        return new TargetDecision(run.LastTargets(parameters), run.RebalancesAtLastBar(parameters));
    }
}
