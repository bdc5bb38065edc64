using System.Collections.Immutable;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search.Statistics;

namespace StrategyLab.Runtime.Search.Reports;

/// <summary>
/// One walk-forward window: the parameters chosen on its in-sample bars and the out-of-sample bars they then
/// traded (Unix ms, end exclusive).
/// </summary>
/// <param name="Window">The window's index, in time order.</param>
/// <param name="TestStart">The first out-of-sample bar time.</param>
/// <param name="TestEnd">The bar time the out-of-sample period stops before.</param>
/// <param name="Parameters">The parameters chosen in sample.</param>
/// <param name="InSampleValue">The chosen parameters' first objective in sample (NaN when unknown).</param>
public sealed record WalkForwardChoice(int Window, long TestStart, long TestEnd, ImmutableSortedDictionary<string, ScalarValue> Parameters, double InSampleValue);

/// <summary>
/// A study's walk-forward out-of-sample result, for its page: each window's choice, and the windows'
/// out-of-sample returns stitched in time order with their bar times and measures.
/// </summary>
/// <param name="Windows">Each window's chosen parameters, in time order.</param>
/// <param name="Times">The bar time of each stitched return (Unix ms), as long as <see cref="WalkForwardOutOfSample.Returns"/>.</param>
/// <param name="OutOfSample">The stitched returns, where each window starts in them, their metrics, moments and PSR(0).</param>
public sealed record WalkForwardSummary(ImmutableArray<WalkForwardChoice> Windows, ImmutableArray<long> Times, WalkForwardOutOfSample OutOfSample)
{
    /// <summary>The page's view of a walk-forward optimisation: each window's choice (a flat window has no parameters) and the stitched record.</summary>
    public static WalkForwardSummary From(WalkForwardOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var windows = outcome.Windows
            .Where(w => w.Times.Length > 0)
            .Select(w => new WalkForwardChoice(w.Window.Index, w.Times[0], w.Times[^1] + 1,
                w.Chosen?.Params ?? ImmutableSortedDictionary<string, ScalarValue>.Empty, w.Chosen is { Values.Length: > 0 } c ? c.Values[0] : double.NaN));
        return new WalkForwardSummary([.. windows], outcome.Times, outcome.Stitched);
    }

    /// <summary>Refuses an outcome whose times and returns differ in length, or whose windows and folds differ in number.</summary>
    public void Validate()
    {
        if (Times.Length != OutOfSample.Returns.Length)
            throw new ArgumentException($"the walk-forward result has {Times.Length} bar times for {OutOfSample.Returns.Length} returns");
        if (Windows.Length != OutOfSample.FoldStarts.Length)
            throw new ArgumentException($"the walk-forward result has {Windows.Length} windows for {OutOfSample.FoldStarts.Length} stitched folds");
    }
}
