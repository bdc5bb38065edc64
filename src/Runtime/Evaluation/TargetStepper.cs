using StrategyLab.Runtime.Portfolio;

namespace StrategyLab.Runtime.Evaluation;

/// <summary>
/// A plan's target weights one bar at a time (<see cref="StrategyBacktest.Stepper"/>): its series evaluated in blocks of one
/// bar, each operator carrying its state from bar to bar, and the portfolio's legs updated with that bar. Paper and live
/// trading step it as each bar closes instead of evaluating the whole history again.
/// </summary>
internal sealed class TargetStepper(PlanEvaluator evaluator, List<int> inputs, LegPortfolio portfolio, bool[]? eligible, int assets)
{
    private readonly double[] _weights = new double[assets];
    private readonly double[][] _columns = new double[inputs.Count][];

    /// <summary>Bars stepped so far.</summary>
    public int Bars => evaluator.NextBar;

    /// <summary>Steps the next bar of the panel and returns its targets (valid until the next step).</summary>
    /// <exception cref="InvalidOperationException">The panel holds no bar after the last one stepped.</exception>
    public ReadOnlySpan<double> Next()
    {
        if (evaluator.Advance(1) == 0)
            throw new InvalidOperationException("the panel holds no bar after the last one stepped");
        for (var k = 0; k < _columns.Length; k++)
            _columns[k] = evaluator.Block(inputs[k]);
        portfolio.UpdateBlock(_columns, eligible, 0, 1, _weights, evaluator.NextBar - 1);
        return _weights;
    }
}
