using StrategyLab.Runtime.Data;
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
/// A plan's targets from the bars closed so far, stepped one bar at a time: the plan's series are evaluated in blocks of
/// one bar over the history as it grows (each operator's incremental form, its state carried from bar to bar) and the
/// portfolio's legs updated with each bar. Because a block of one bar gives the numbers a block of the whole history
/// gives, bit for bit, these are the targets a backtest over the same bars decides at that bar, and no decision can read
/// a bar after its own. A plan that cannot be stepped so (a universe chosen by rank, a window longer than the bars held
/// so far) has the history prepared as a run of its own at each bar and its last bar's targets read
/// (<see cref="PreparedRun.LastTargets"/>), as a history that is not the one stepped so far does. Plans with models are
/// refused: their folds are trained over a whole dataset, not yet stepped bar by bar. Before the second bar nothing is held.
/// </summary>
public sealed class PlanTargetSource : ITargetSource
{
    private readonly StrategyPlan _plan;
    private readonly IReadOnlyDictionary<string, string> _parameters;
    private GrowingColumnStore? _store;
    private Panel? _panel;
    private ParameterSet? _parsed;
    private TargetStepper? _stepper;

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

    /// <summary>True when the last decision was stepped by one bar rather than prepared from the whole history.</summary>
    public bool Stepped { get; private set; }

    /// <inheritdoc />
    public TargetDecision Decide(BarHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        // a run needs two bars: the first bar (a rebalance bar of every schedule) holds nothing
        if (history.Count < 2)
            return new TargetDecision(new double[history.Symbols.Length], Rebalance: true);
        if (!Follows(history))
            Start(history);
        Stepped = _stepper is not null;
        if (_stepper is null)
            return Prepared(history);
        for (var t = _store!.Count; t < history.Count; t++)
            _store.Append(history, t);
        var targets = ReadOnlySpan<double>.Empty;
        while (_stepper.Bars < history.Count)
            targets = _stepper.Next();
        var rebalance = StrategyBacktest.RebalanceBars(_plan, _panel!, _parsed!) is not { } marks || marks[^1];
        return new TargetDecision(targets.ToArray(), rebalance);
    }

    // the history is the one stepped so far, grown by bars at its end
    private bool Follows(BarHistory history) =>
        _stepper is not null && _store!.Count <= history.Count && _store.Count > 0 && history.Time(_store.Count - 1) == _store.LastTime
        && history.Symbols.SequenceEqual(_panel!.Symbols) && history.Columns.SequenceEqual(_panel.Columns);

    private void Start(BarHistory history)
    {
        _stepper = null;
        _store = GrowingColumnStore.Of(history);
        _panel = new Panel(history.Name, history.Interval, history.Symbols, history.Columns, _store);
        try
        {
            StrategyBacktest.CheckData(_plan, _panel);
            _parsed = ParameterSet.Parse(_plan, _parameters);
            _stepper = StrategyBacktest.Stepper(_plan, _panel, _parsed);
        }
        catch (PlanException)
        {
            // preparing the history as a run says what is wrong, as it would have without stepping
            _stepper = null;
        }
        if (_stepper is null)
            (_store, _panel) = (null, null);
    }

    private TargetDecision Prepared(BarHistory history)
    {
        using var panel = history.ToPanel();
        using var run = PreparedRun.Prepare(_plan, panel);
        var parameters = run.Parse(_parameters);
        return new TargetDecision(run.LastTargets(parameters), run.RebalancesAtLastBar(parameters));
    }
}

/// <summary>A bar history's columns as one growing [time × asset] array each, for a panel that grows by a bar at a time.</summary>
internal sealed class GrowingColumnStore : IColumnStore
{
    private readonly int _assets;
    private readonly double[][] _columns;
    private long[] _times = new long[64];

    private GrowingColumnStore(int columns, int assets)
    {
        _assets = assets;
        _columns = [.. Enumerable.Range(0, columns).Select(_ => new double[64 * assets])];
    }

    public int Count { get; private set; }

    public long LastTime => _times[Count - 1];

    public ReadOnlySpan<long> Times => _times.AsSpan(0, Count);

    public ReadOnlySpan<double> Column(int index) => _columns[index].AsSpan(0, Count * _assets);

    /// <summary>A store holding every bar of <paramref name="history"/>.</summary>
    public static GrowingColumnStore Of(BarHistory history)
    {
        var store = new GrowingColumnStore(history.Columns.Length, history.Symbols.Length);
        for (var t = 0; t < history.Count; t++)
            store.Append(history, t);
        return store;
    }

    /// <summary>Appends bar <paramref name="t"/> of <paramref name="history"/>.</summary>
    public void Append(BarHistory history, int t)
    {
        if (Count == _times.Length)
        {
            Array.Resize(ref _times, _times.Length * 2);
            for (var c = 0; c < _columns.Length; c++)
                Array.Resize(ref _columns[c], _times.Length * _assets);
        }
        _times[Count] = history.Time(t);
        for (var c = 0; c < _columns.Length; c++)
            history.Values(c, t).CopyTo(_columns[c].AsSpan(Count * _assets, _assets));
        Count++;
    }

    public void Dispose()
    {
    }
}
