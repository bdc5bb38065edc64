using System.Globalization;
using System.Runtime.CompilerServices;
using StrategyLab.Runtime.Backtest;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// What an engine is made of: the assets' symbols, the starting capital, the venue it steps against,
/// the execution policy, the chain of target rules, the account rules (run in order, the first to act
/// ends a bar's checks), the per-position exits, where alerts go, and whether market orders fill at
/// the signal bar's close. <see cref="Bars"/> sizes the ledger's series (they grow past it).
/// </summary>
public sealed record EngineSetup(
    IReadOnlyList<string> Symbols,
    double InitialCapital,
    IVenuePort Venue,
    IExecutionPolicy Policy,
    IReadOnlyList<IRiskRule> TargetRules,
    IReadOnlyList<IAccountRule> AccountRules,
    IAlertSink Alerts)
{
    /// <summary>Per-position exits (none by default).</summary>
    public ExitRules Exits { get; init; } = ExitRules.None;

    /// <summary>Market orders fill at the close of the bar that decided them, not at the next open.</summary>
    public bool FillAtSignalClose { get; init; }

    /// <summary>About how many bars the run has.</summary>
    public int Bars { get; init; } = 1024;
}

/// <summary>
/// The execution engine, one bar at a time, the same in backtests, paper and live trading. At each
/// bar: the venue trades it (resting orders fill, delisted positions close, funding is charged);
/// positions' stops and take-profits are worked against it; at its close the ledger marks the
/// book; a ruined account is liquidated and stopped; the account rules may flatten and halt or stop;
/// then, at a rebalance (or when a rule flattens, or a position is held its maximum time), the
/// strategy's target weights pass the chain of target rules and the exits' cooldowns, and the
/// execution policy turns targets − holdings into orders for the venue. Every risk event goes to the
/// alert sink. The core is synchronous: a backtest steps it against the simulated exchange's fast
/// path in a plain loop, with no allocation per bar beyond fills and alerts; a live runner awaits
/// the venue around it (<see cref="IVenuePort"/>).
/// </summary>
public sealed class ExecutionEngine : IVenueEvents
{
    private readonly EngineSetup _setup;
    private readonly IVenuePort _venue;
    private readonly IExecutionPolicy _policy;
    private readonly IRiskRule[] _targetRules;
    private readonly IAccountRule[] _accountRules;
    private readonly PositionExits? _exits;
    private readonly double[] _targets;
    private readonly List<RiskEvent> _riskEvents = [];
    private readonly List<RiskEvent> _exitEvents = [];
    private double _previousEquity;
    private bool _stopped;
    private long _haltedDay = long.MinValue;

    /// <summary>An engine as <paramref name="setup"/> says, connected to its venue.</summary>
    public ExecutionEngine(EngineSetup setup)
    {
        _setup = setup ?? throw new ArgumentNullException(nameof(setup));
        var assets = setup.Symbols.Count;
        _venue = setup.Venue;
        _policy = setup.Policy;
        _targetRules = [.. setup.TargetRules];
        _accountRules = [.. setup.AccountRules];
        _exits = setup.Exits.IsEmpty ? null : new PositionExits(setup.Exits, assets);
        _targets = new double[assets];
        Ledger = new Ledger(assets, setup.InitialCapital, setup.Bars);
        _previousEquity = setup.InitialCapital;
        _venue.Connect(this);
    }

    /// <summary>The engine's book.</summary>
    public Ledger Ledger { get; }

    /// <summary>True once trading stopped for good (ruin or a drawdown limit).</summary>
    public bool Stopped => _stopped;

    /// <summary>The UTC day (days since the Unix epoch) the daily-loss rule halted trading for, or <see cref="long.MinValue"/>.</summary>
    public long HaltedDay => _haltedDay;

    /// <summary>
    /// Steps one bar: <paramref name="bar"/>'s prices, and the strategy's <paramref name="targets"/> (fractions of
    /// equity by asset, NaN flat) decided at its close, traded when <paramref name="rebalance"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(in BarRow bar, ReadOnlySpan<double> targets, bool rebalance)
    {
        var t = bar.Index;
        var day = bar.Day;
        foreach (var rule in _accountRules)
            rule.Open(day, _previousEquity);
        Ledger.Open(t);
        _venue.Open(bar);
        _exits?.Within(bar, Ledger.Account, _venue);
        Ledger.Close(bar.Close);
        var value = Ledger.Mark(out var gross, out var net);
        if (value <= 0 && !_stopped)
        {
            // the venue's liquidation takes everything and no more: the book is closed at the close and the account is empty
            _venue.Liquidate();
            value = Ledger.Mark(out gross, out net);
            _stopped = true;
            Alert(new RiskEvent(t, "ruin", "equity fell to zero or below: every position was liquidated and trading stopped"));
        }
        var flatten = _stopped || day == _haltedDay;
        foreach (var rule in _accountRules)
        {
            var verdict = rule.Check(new AccountState(t, day, value, _stopped, _haltedDay), out var message);
            if (verdict == AccountVerdict.None)
                continue;
            if (verdict == AccountVerdict.Stop)
                _stopped = true;
            else
                _haltedDay = day;
            flatten = true;
            Alert(new RiskEvent(t, rule.Name, message));
            break;
        }
        _exits?.Closed(bar, Ledger.Account);
        if (flatten || rebalance)
            Decide(bar, targets, flatten, value, everyAsset: true);
        else if (_exits is { AnyDue: true })
            Decide(bar, targets, flatten: false, value, everyAsset: false);
        if (_setup.FillAtSignalClose)
            value = Ledger.Mark(out gross, out net);
        Ledger.Record(value, _previousEquity, gross, net);
        foreach (var rule in _accountRules)
            rule.Closed(value);
        _previousEquity = value;
    }

    /// <summary>
    /// The stops of the positions held after the last step, as the next <see cref="Step"/> works them against its bar: a
    /// runner rests them at the venue through that bar. Empty without a stop-loss or trailing stop.
    /// </summary>
    public IReadOnlyList<WorkingOrder> NextBarStops() => _exits?.Stops(Ledger.Account) ?? [];

    /// <summary>
    /// The stop <paramref name="asset"/>'s position rests on through the next bar once <paramref name="quantity"/> filled at
    /// <paramref name="price"/> after the last step (before the fill is booked); null when flat after it or without a stop.
    /// </summary>
    public WorkingOrder? NextBarStopAfterFill(int asset, double quantity, double price) => _exits?.StopAfter(Ledger.Account, asset, quantity, price);

    /// <summary>Returns what the engine remembers after the last bar it stepped (for a restart).</summary>
    public EngineState Save()
    {
        var account = Ledger.Account;
        var (best, heldFrom, cooldown) = _exits?.Save() ?? ([], [], []);
        return new EngineState(Ledger.Bar, _previousEquity, _stopped, _haltedDay, account.Cash, account.Units.ToArray(), account.EntryPrice.ToArray(),
            Ledger.LastClose.ToArray(), [.. _accountRules.Select(r => r.Save())], best, heldFrom, cooldown);
    }

    /// <summary>
    /// Takes up <paramref name="state"/>, saved by an engine of the same setup after a bar closed: the next <see cref="Step"/>
    /// decides as that engine's next step would have.
    /// </summary>
    /// <exception cref="ArgumentException">The state is of another number of assets or account rules, or of other exits.</exception>
    public void Restore(EngineState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var assets = _targets.Length;
        if (state.Units.Length != assets || state.EntryPrice.Length != assets || state.LastClose.Length != assets)
            throw new ArgumentException($"the saved engine trades {state.Units.Length} assets, this one {assets}", nameof(state));
        if (state.Rules.Length != _accountRules.Length)
            throw new ArgumentException($"the saved engine has {state.Rules.Length} account rules, this one {_accountRules.Length}", nameof(state));
        if ((_exits is null) != (state.Best.Length == 0))
            throw new ArgumentException("the saved engine's exits are not this one's", nameof(state));
        Ledger.Restore(state.Bar, state.Cash, state.Units, state.EntryPrice, state.LastClose);
        for (var i = 0; i < _accountRules.Length; i++)
            _accountRules[i].Restore(state.Rules[i]);
        _exits?.Restore(state.Best, state.HeldFrom, state.CooldownUntil);
        _previousEquity = state.PreviousEquity;
        _stopped = state.Stopped;
        _haltedDay = state.HaltedDay;
    }

    /// <summary>The result so far; positions still open are marked to their last close.</summary>
    public LedgerResult Result() => Ledger.Result(_riskEvents, _exitEvents);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void On(in VenueEvent e)
    {
        if (e.Kind != VenueEventKind.Fill || _exits is null)
        {
            Ledger.Apply(e);
            return;
        }
        var account = Ledger.Account;
        var before = account.Units[e.Asset];
        var entry = account.EntryPrice[e.Asset];
        Ledger.Apply(e);
        var after = account.Units[e.Asset];
        if (after != 0 && (before == 0 || Math.Sign(after) != Math.Sign(before)))
            _exits.Entered(e.Asset, e.Price, Ledger.AtClose ? Ledger.Bar + 1 : Ledger.Bar);
        if (e.Purpose.IsExit() && after == 0 && before != 0)
        {
            _exits.Exited(e.Asset, Ledger.Bar);
            Alert(ExitAlert(e, before, entry));
        }
    }

    // targets pass the rule chain and the exits' cooldowns; the policy sizes the orders and the venue gets them,
    // for every asset, or only for positions due to close
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Decide(in BarRow bar, ReadOnlySpan<double> weights, bool flatten, double equity, bool everyAsset)
    {
        var targets = _targets.AsSpan();
        Rows.ZeroMissing(weights, targets);
        var context = new RiskContext(bar.Index, bar.Time);
        foreach (var rule in _targetRules)
            rule.Apply(targets, context);
        _exits?.Apply(targets, bar.Index);
        if (flatten)
            targets.Clear();
        var units = Ledger.Account.Units;
        var prices = Ledger.LastClose;
        for (var i = 0; i < targets.Length; i++)
        {
            var due = _exits is not null && _exits.IsDue(i);
            if (!everyAsset && !due)
                continue;
            // flat and to stay flat: nothing to size (the policy would say so, less quickly)
            if (targets[i] == 0 && units[i] == 0 && double.IsFinite(equity))
                continue;
            var purpose = due && !flatten ? OrderPurpose.MaxHold : OrderPurpose.Rebalance;
            switch (_policy.Intent(i, targets[i], equity, prices[i], units[i], purpose, out var intent))
            {
                case IntentOutcome.None:
                    continue;
                case IntentOutcome.NoPrice:
                    Ledger.CountNoPrice();
                    continue;
                case IntentOutcome.Skipped:
                    Ledger.CountSkipped();
                    continue;
                case IntentOutcome.RoundedUp:
                    Ledger.CountRoundedUp();
                    break;
            }
            // an exit is urgent: a market order whatever the policy
            var order = purpose.IsExit() ? new WorkingOrder(i, intent.Quantity, OrderType.Market, purpose) : _policy.Order(intent);
            if (_setup.FillAtSignalClose && order.Type == OrderType.Market)
                _venue.Match(order, BarQuote.At(prices[i], bar.Volume.IsEmpty ? double.NaN : bar.Volume[i]));
            else
                _venue.Submit(order);
        }
    }

    private void Alert(RiskEvent alert)
    {
        (alert.Asset < 0 ? _riskEvents : _exitEvents).Add(alert);
        _setup.Alerts.Raise(alert);
    }

    private RiskEvent ExitAlert(in VenueEvent fill, double units, double entry)
    {
        var what = fill.Purpose switch
        {
            OrderPurpose.StopLoss => "its stop-loss",
            OrderPurpose.TrailingStop => "its trailing stop",
            OrderPurpose.TakeProfit => "its take-profit",
            OrderPurpose.Roi => "the minimal-ROI table",
            _ => "its maximum holding time",
        };
        var side = units > 0 ? "long" : "short";
        var message = string.Create(CultureInfo.InvariantCulture,
            $"{_setup.Symbols[fill.Asset]} {side} closed by {what} at {fill.Price:G6} (entry {entry:G6}, {units * (fill.Price - entry) / Math.Abs(units * entry):+0.00%;-0.00%})");
        return new RiskEvent(Ledger.Bar, fill.Purpose.RuleName(), message, fill.Asset);
    }
}
