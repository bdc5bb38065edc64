using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// A row of the minimal-ROI table (freqtrade's <c>minimal_roi</c>): from <see cref="AfterBars"/> bars
/// held on, the position is closed once it gains <see cref="Return"/> over its entry price.
/// </summary>
public readonly record struct RoiStep(int AfterBars, double Return);

/// <summary>
/// Per-position exits (the <c>exits</c> statement). Fractions of the average entry price: a
/// stop-loss <see cref="StopLoss"/> below it (above for shorts), a take-profit
/// <see cref="TakeProfit"/> above it, a trailing stop <see cref="TrailingStop"/> below the best price
/// since entry; lengths in bars: a maximum holding time, the minimal-ROI table, and a cooldown after
/// an exit during which the asset is not held again. NaN or 0 (an empty table) is no such exit.
/// </summary>
public sealed record ExitRules
{
    /// <summary>No exits.</summary>
    public static ExitRules None { get; } = new();

    /// <summary>The stop-loss, a fraction of the entry price (NaN: none).</summary>
    public double StopLoss { get; init; } = double.NaN;

    /// <summary>The take-profit, a fraction of the entry price (NaN: none).</summary>
    public double TakeProfit { get; init; } = double.NaN;

    /// <summary>The trailing stop, a fraction of the best price since entry (NaN: none).</summary>
    public double TrailingStop { get; init; } = double.NaN;

    /// <summary>Bars a position is held at most (0: no limit).</summary>
    public int MaxHoldBars { get; init; }

    /// <summary>The minimal-ROI table, by bars held, ascending.</summary>
    public ImmutableArray<RoiStep> Roi { get; init; } = [];

    /// <summary>Bars after an exit during which no position is taken in the asset (0: none).</summary>
    public int CooldownBars { get; init; }

    /// <summary>True when no exit is set.</summary>
    public bool IsEmpty => double.IsNaN(StopLoss) && double.IsNaN(TakeProfit) && double.IsNaN(TrailingStop) && MaxHoldBars <= 0
        && Roi.IsDefaultOrEmpty && CooldownBars <= 0;
}

/// <summary>
/// The exits of every position, bar by bar. Within a bar, a position's stop (the nearer of its
/// stop-loss and trailing stop) is worked before its take-profit (the nearer of its take-profit and
/// the ROI table's level for the time held): a bar whose range reaches both is taken to have reached
/// the stop first, since bars do not show the order of their prices. Both rest through the bar, so a
/// position opened at a bar's open is protected in that bar. The trailing stop trails the best price
/// up to the bar before (a bar's own high may come after its low). Time is counted in bars from the
/// bar whose open the position was held from; at a bar's close a position held
/// <see cref="ExitRules.MaxHoldBars"/> bars is closed by the next orders.
/// </summary>
internal sealed class PositionExits
{
    private readonly ExitRules _rules;
    private readonly RoiStep[] _roi;
    private readonly double[] _best;
    private readonly int[] _heldFrom;
    private readonly int[] _cooldownUntil;
    private readonly bool[] _due;
    private bool _anyDue;

    public PositionExits(ExitRules rules, int assets)
    {
        _rules = rules;
        _roi = rules.Roi.IsDefaultOrEmpty ? [] : [.. rules.Roi.OrderBy(r => r.AfterBars)];
        _best = new double[assets];
        _heldFrom = new int[assets];
        _cooldownUntil = new int[assets];
        _cooldownUntil.AsSpan().Fill(int.MinValue);
        _due = new bool[assets];
    }

    /// <summary>True when some position is held past its maximum time at the last close.</summary>
    public bool AnyDue => _anyDue;

    /// <summary>True when <paramref name="asset"/>'s position is held past its maximum time.</summary>
    public bool IsDue(int asset) => _due[asset];

    /// <summary>A fill opened a position (or flipped one) at <paramref name="price"/>, held from the open of bar <paramref name="heldFrom"/>.</summary>
    public void Entered(int asset, double price, int heldFrom)
    {
        _best[asset] = price;
        _heldFrom[asset] = heldFrom;
    }

    /// <summary>An exit closed <paramref name="asset"/>'s position at <paramref name="bar"/>: its cooldown starts.</summary>
    public void Exited(int asset, int bar)
    {
        if (_rules.CooldownBars > 0)
            _cooldownUntil[asset] = bar + _rules.CooldownBars;
    }

    /// <summary>Returns what the exits remember per asset: the best price since entry, the bar held from and the cooldown's end.</summary>
    public (double[] Best, int[] HeldFrom, int[] CooldownUntil) Save() => ([.. _best], [.. _heldFrom], [.. _cooldownUntil]);

    /// <summary>Takes up what <see cref="Save"/> returned (a restarted runner).</summary>
    public void Restore(ReadOnlySpan<double> best, ReadOnlySpan<int> heldFrom, ReadOnlySpan<int> cooldownUntil)
    {
        best.CopyTo(_best);
        heldFrom.CopyTo(_heldFrom);
        cooldownUntil.CopyTo(_cooldownUntil);
    }

    /// <summary>Works every held position's stop, then its take-profit, against the bar now trading.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Within(in BarRow bar, Account account, IVenuePort venue)
    {
        var units = account.Units;
        foreach (var i in account.Held)
        {
            if (units[i] == 0 || double.IsNaN(bar.Open[i]) || bar.Index < _heldFrom[i])
                continue;
            var side = Math.Sign(units[i]);
            var entry = account.EntryPrice[i];
            var quote = bar.Quote(i);
            var (stop, stopPurpose) = Stop(side, entry, _best[i]);
            if (!double.IsNaN(stop))
                venue.Match(new WorkingOrder(i, -units[i], OrderType.StopMarket, stopPurpose, StopPrice: stop, ReduceOnly: true), quote);
            if (units[i] == 0)
                continue;
            var (target, targetPurpose) = Target(side, entry, bar.Index - _heldFrom[i]);
            if (!double.IsNaN(target))
                venue.Match(new WorkingOrder(i, -units[i], OrderType.TakeProfitMarket, targetPurpose, StopPrice: target, ReduceOnly: true), quote);
        }
    }

    /// <summary>
    /// The stop of each held position as <see cref="Within"/> works it against the next bar, once the last bar has
    /// <see cref="Closed"/>: the nearer of its stop-loss and trailing stop, reduce-only for the whole position.
    /// </summary>
    public List<WorkingOrder> Stops(Account account)
    {
        var stops = new List<WorkingOrder>();
        foreach (var i in account.Held)
        {
            if (account.Units[i] != 0 && StopOf(i, account.Units[i], account.EntryPrice[i], _best[i]) is { } stop)
                stops.Add(stop);
        }
        return stops;
    }

    /// <summary>
    /// The stop <paramref name="asset"/>'s position rests on through the next bar once <paramref name="quantity"/> fills at
    /// <paramref name="price"/> after the last close (a venue answers a market order with its fill): as <see cref="Stops"/>
    /// would give it had the fill been booked, a position opened or turned around trailing from the fill's price. Null
    /// when the fill leaves the position flat or no stop is set.
    /// </summary>
    public WorkingOrder? StopAfter(Account account, int asset, double quantity, double price)
    {
        var before = account.Units[asset];
        var after = before + quantity;
        if (Math.Abs(after) < 1e-12 * Math.Abs(quantity))
            return null;
        var entry = Account.EntryAfter(before, after, quantity, account.EntryPrice[asset], price);
        var opened = before == 0 || (after > 0) != (before > 0);
        return StopOf(asset, after, entry, opened ? price : _best[asset]);
    }

    // a reduce-only stop for the whole of a position of `units`: the nearer of its stop-loss and trailing stop, if any
    private WorkingOrder? StopOf(int asset, double units, double entry, double best)
    {
        var (stop, purpose) = Stop(Math.Sign(units), entry, best);
        return double.IsNaN(stop) ? null : new WorkingOrder(asset, -units, OrderType.StopMarket, purpose, StopPrice: stop, ReduceOnly: true);
    }

    /// <summary>A bar closed: the best prices move, and positions held their maximum time fall due.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Closed(in BarRow bar, Account account)
    {
        var units = account.Units;
        if (_anyDue)
            Array.Clear(_due);
        _anyDue = false;
        foreach (var i in account.Held)
        {
            if (bar.Index < _heldFrom[i])
                continue;
            if (units[i] > 0 ? bar.High[i] > _best[i] : bar.Low[i] < _best[i])
                _best[i] = units[i] > 0 ? bar.High[i] : bar.Low[i];
            if (_rules.MaxHoldBars > 0 && bar.Index - _heldFrom[i] + 1 >= _rules.MaxHoldBars)
                _anyDue = _due[i] = true;
        }
    }

    /// <summary>Sets to flat the targets of assets cooling down after an exit and of positions due to close.</summary>
    public void Apply(Span<double> targets, int bar)
    {
        for (var i = 0; i < targets.Length; i++)
        {
            if (_due[i] || bar < _cooldownUntil[i])
                targets[i] = 0;
        }
    }

    // the nearer of the stop-loss and the trailing stop
    private (double Level, OrderPurpose Purpose) Stop(int side, double entry, double best)
    {
        var level = double.NaN;
        var purpose = OrderPurpose.StopLoss;
        if (!double.IsNaN(_rules.StopLoss))
            level = entry * (1 - (side * _rules.StopLoss));
        if (!double.IsNaN(_rules.TrailingStop))
        {
            var trail = best * (1 - (side * _rules.TrailingStop));
            if (double.IsNaN(level) || (side > 0 ? trail > level : trail < level))
                (level, purpose) = (trail, OrderPurpose.TrailingStop);
        }
        return (level, purpose);
    }

    // the nearer of the take-profit and the ROI table's return for the bars held so far
    private (double Level, OrderPurpose Purpose) Target(int side, double entry, int held)
    {
        var level = double.NaN;
        var purpose = OrderPurpose.TakeProfit;
        if (!double.IsNaN(_rules.TakeProfit))
            level = entry * (1 + (side * _rules.TakeProfit));
        var roi = double.NaN;
        foreach (var step in _roi)
        {
            if (step.AfterBars <= held)
                roi = step.Return;
        }
        if (!double.IsNaN(roi))
        {
            var at = entry * (1 + (side * roi));
            if (double.IsNaN(level) || (side > 0 ? at < level : at > level))
                (level, purpose) = (at, OrderPurpose.Roi);
        }
        return (level, purpose);
    }
}
