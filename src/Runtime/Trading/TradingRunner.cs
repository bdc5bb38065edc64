using System.Globalization;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Trading;

/// <summary>Points in a runner's step where it has just written state, in order (for observers and crash tests).</summary>
public enum TradingCheckpoint
{
    /// <summary>An intent was journaled.</summary>
    IntentJournaled,
    /// <summary>An order was journaled as pending, not yet sent.</summary>
    OrderJournaled,
    /// <summary>An order was sent and answered; the answer is not journaled yet.</summary>
    OrderSent,
    /// <summary>The venue's answer to an order was journaled.</summary>
    AckJournaled,
    /// <summary>A fill was journaled.</summary>
    FillJournaled,
    /// <summary>A step (the book after a bar) was journaled.</summary>
    StepJournaled,
    /// <summary>A quote worked at the venue was cancelled and the venue's answer journaled; its next attempt is not journaled yet.</summary>
    QuoteCancelled,
}

/// <summary>
/// What a runner trades: the deployment, the assets (in the plan's order), the bar, the plan's costs, policy
/// and risk limits, whether positions found at the venue are taken over, and who hears what it does.
/// </summary>
public sealed record TradingSetup(Deployment Deployment, IReadOnlyList<string> Symbols, Interval Bar, LedgerOptions Options)
{
    /// <summary>Take over positions at the venue this deployment did not open (else they halt the runner).</summary>
    public bool Adopt { get; init; }

    /// <summary>The paper exchange's market, traded at each bar before the venue is read (null for a real venue).</summary>
    public IBarMarket? Market { get; init; }

    /// <summary>One line per order, fill, alert and reconciliation finding.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Hears each write of state as it happens, with the client order id (or bar time) it concerns.</summary>
    public Action<TradingCheckpoint, string>? Checkpoint { get; init; }

    /// <summary>Hears each step, order answer, fill, risk event and failure (metrics, health, alerts).</summary>
    public ITradingObserver? Observer { get; init; }
}

/// <summary>A runner cannot go on; the message says why in one line (exit code 1).</summary>
public sealed class TradingException(string message) : Exception(message);

/// <summary>What reconciliation at start found and did.</summary>
public sealed record Reconciliation(IReadOnlyList<string> Findings, int Resent, int Unsent, int FillsRecovered, long ResumeAfter);

/// <summary>What one bar's step did: the decision, the orders sent (their journaled requests) and the equity at the close.</summary>
public sealed record StepReport(long BarTime, TargetDecision Decision, IReadOnlyList<OrderRequest> Orders, double Equity);

// a quote resting at the venue that the execution policy re-quotes when it is due: the intent for what is still wanted,
// the attempt resting, and the quantity that attempt was sent for
internal sealed record WorkedQuote(OrderIntent Intent, long BarTime, int Attempt, OrderRequest Resting, DateTimeOffset Due)
{
    // the attempt was cancelled to be re-quoted before a restart: only its next attempt is owed
    public bool Cancelled { get; init; }
}

/// <summary>
/// The trading runner, the same for paper and live: on each closed bar it reads what the venue did since
/// the last (cancels its orders still resting, journals their fills and hands them and funding to the engine),
/// takes the plan's decision at the bar's close, steps the execution engine (risk rules, exits, the execution
/// policy) and, for each order the engine sends, journals the intent, journals the order with its deterministic
/// client order id, places it and journals the venue's answer. Started, it first reconciles with the venue:
/// it never sends an order twice (one journaled of unknown fate is looked up by its client id) and never forgets
/// one, and a position it did not open halts it unless <see cref="TradingSetup.Adopt"/>.
/// </summary>
public sealed partial class TradingRunner : IAlertSink
{
    private readonly TradingSetup _setup;
    private readonly IExchange _exchange;
    private readonly IJournal _journal;
    private readonly ITargetSource _targets;
    private readonly Instrument[] _instruments;
    private readonly Dictionary<string, int> _assets;
    private readonly RunnerPort _port = new();
    private readonly HashSet<string> _touched = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _fillsSince = new(StringComparer.Ordinal);
    // the journal's orders (in the order journaled) and trade ids, mirrored as this runner writes them, so that a step
    // reads what it needs without reading the whole journal
    private readonly Dictionary<string, (int Sequence, JournalOrder Order)> _orders = new(StringComparer.Ordinal);
    private readonly HashSet<(string Symbol, string TradeId)> _trades = [];
    // fills journaled but not yet booked by the engine, with the bar their order was decided at: booked at the open of the
    // first bar stepped after that one (after a restart, fills of the bar being stepped again wait for the bar after it)
    private readonly List<(VenueEvent Fill, long OrderBar, string Symbol, string TradeId)> _unbooked = [];
    private readonly List<WorkedQuote> _quotes = [];
    private ExecutionEngine _engine = null!;
    private IExecutionPolicy _policy = null!;
    private long _fundingSince;
    private int _index;
    private long _lastStepped = -1;
    private long _stepping = -1;

    private TradingRunner(TradingSetup setup, IExchange exchange, IJournal journal, ITargetSource targets, Instrument[] instruments)
    {
        _setup = setup;
        _exchange = exchange;
        _journal = journal;
        _targets = targets;
        _instruments = instruments;
        _assets = setup.Symbols.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i, StringComparer.Ordinal);
    }

    /// <summary>The engine stepped by the runner.</summary>
    public ExecutionEngine Engine => _engine;

    /// <summary>The deployment traded.</summary>
    public Deployment Deployment => _setup.Deployment;

    /// <summary>The venue's time.</summary>
    public DateTimeOffset Now => _exchange.Now;

    /// <summary>What reconciliation found at start.</summary>
    public Reconciliation Reconciled { get; private set; } = null!;

    /// <summary>When the next quote resting at the venue is due to be re-quoted, by the venue's clock; null when none is worked.</summary>
    public DateTimeOffset? NextRequote => _quotes.Count == 0 ? null : _quotes.Min(q => q.Due);

    /// <summary>
    /// Reconciles the journal with the venue and builds the engine over the account as it is: pending orders are
    /// looked up (sent again only when the venue never received one of the last decision and that bar is still
    /// current, else marked unsent), fills are recovered, and the venue's positions are checked against the book
    /// the journal's fills make. The execution policy's ladders of the bar at hand that a stop left in the middle are
    /// worked on from where they were (<see cref="NextRequote"/>): the quote resting keeps its deadline.
    /// </summary>
    /// <exception cref="TradingException">A symbol the venue does not trade, an order of this deployment the journal does not hold,
    /// a position this deployment did not open (without adopt), or a deployment stopped for good.</exception>
    public static async Task<TradingRunner> StartAsync(TradingSetup setup, IExchange exchange, IJournal journal, ITargetSource targets,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(targets);
        var listed = (await exchange.Instruments(cancel).ConfigureAwait(false)).ToDictionary(i => i.Symbol, StringComparer.Ordinal);
        var missing = setup.Symbols.Where(s => !listed.ContainsKey(s)).ToList();
        if (missing.Count > 0)
            throw new TradingException($"{exchange.Venue} does not trade {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? $" and {missing.Count - 5} more" : "")}: the strategy's dataset names symbols the venue does not serve");
        var runner = new TradingRunner(setup, exchange, journal, targets, [.. setup.Symbols.Select(s => listed[s])]);
        await runner.ReconcileAsync(cancel).ConfigureAwait(false);
        setup.Observer?.Started(runner.Deployment, runner._engine.Ledger.Mark(out _, out _));
        return runner;
    }

    /// <summary>
    /// Steps the bar that closed last in <paramref name="history"/>; null when that bar was stepped before a restart.
    /// </summary>
    public async Task<StepReport?> StepAsync(BarHistory history, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(history);
        var t = history.Count - 1;
        var time = history.Time(t);
        if (time <= Reconciled.ResumeAfter)
            return null;
        _stepping = time;
        CountMissedBars(time);
        TradeMarket(history, t);
        await SettleAsync(time, cancel).ConfigureAwait(false);
        BookFillsBefore(time);
        var decision = _targets.Decide(history);
        var orders = StepEngine(history, t, decision);
        var sent = await SendAsync(orders.Select(o => Prepare(o, time, decision.Targets[o.Asset])).Concat(Stops(orders, time)), time, cancel)
            .ConfigureAwait(false);
        sent.AddRange(await SendAsync(StopsAfterFills(orders, time), time, cancel).ConfigureAwait(false));
        var equity = _engine.Ledger.Mark(out _, out _);
        _journal.RecordStep(Deployment, new JournalStep(time, equity, _engine.Stopped) { State = SaveState() }, Book());
        _setup.Checkpoint?.Invoke(TradingCheckpoint.StepJournaled, time.ToString(CultureInfo.InvariantCulture));
        _setup.Observer?.Stepped(Snapshot(time));
        return new StepReport(time, decision, sent, equity);
    }

    /// <summary>
    /// Cancels this deployment's resting orders and closes every position of its book with reduce-only market
    /// orders, journaled like any other (the one-shot <c>--close-all</c>, and the <c>c</c> key).
    /// </summary>
    public async Task<IReadOnlyList<OrderRequest>> CloseAllAsync(CancellationToken cancel = default)
    {
        await SettleAsync(long.MaxValue, cancel).ConfigureAwait(false);
        var now = _exchange.Now.ToUnixTimeMilliseconds();
        var units = _engine.Ledger.Account.Units;
        var closes = new List<WorkingOrder>();
        for (var i = 0; i < units.Length; i++)
        {
            if (units[i] != 0)
                closes.Add(new WorkingOrder(i, -units[i], OrderType.Market, ReduceOnly: true));
        }
        return await SendAsync(closes.Select(c => Prepare(c, now, 0)), now, cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// Works the quotes due by the venue's clock: each is cancelled (the venue's answer journaled) and, for what it left
    /// unfilled, the execution policy's next attempt is journaled and sent as any order is — a closer quote, or the market
    /// fallback. One attempt of an order rests at a time. Returns the orders sent.
    /// </summary>
    public async Task<IReadOnlyList<OrderRequest>> RequoteAsync(CancellationToken cancel = default)
    {
        var now = _exchange.Now;
        var due = _quotes.Where(q => q.Due <= now).ToList();
        _quotes.RemoveAll(q => q.Due <= now);
        var sent = new List<OrderRequest>();
        foreach (var quote in due)
        {
            if (await NextAttemptAsync(quote, cancel).ConfigureAwait(false) is { } request)
                sent.Add(request);
        }
        return sent;
    }

    /// <summary>Works the quotes of the last step until none rests (a one-shot run that leaves no ladder half worked).</summary>
    public async Task WorkQuotesAsync(CancellationToken cancel = default)
    {
        while (NextRequote is { } due)
        {
            var wait = due - _exchange.Now;
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, cancel).ConfigureAwait(false);
            await RequoteAsync(cancel).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads what the venue did since the last step without cancelling anything: pending orders looked up, fills journaled
    /// (and handed to the engine for the next bar). A runner leaving (<c>q</c>, the end of a recorded stream) calls it last.
    /// </summary>
    public async Task SyncAsync(CancellationToken cancel = default)
    {
        foreach (var order in Open().Where(o => o.Status == JournalOrderStatus.Pending))
        {
            var r = order.Request;
            _touched.Add(r.Symbol);
            if (await _exchange.Order(r.Symbol, r.ClientOrderId, cancel).ConfigureAwait(false) is { } found)
                WriteState(found);
        }
        await CollectFillsAsync(enqueue: true, cancel).ConfigureAwait(false);
    }

    /// <summary>The deployment's book by the journal's fills: quantity per symbol, non-zero only.</summary>
    public IReadOnlyDictionary<string, decimal> JournalBook() => BookOf(_journal.Fills(Deployment));

    /// <inheritdoc />
    public void Raise(RiskEvent alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        _journal.RecordEvent(Deployment, _exchange.Now, alert.Rule, alert.Message);
        Say($"alert {alert.Rule}: {alert.Message}");
        _setup.Observer?.RiskFired(alert, _stepping);
    }

    private async Task ReconcileAsync(CancellationToken cancel)
    {
        foreach (var order in _journal.Orders(Deployment))
            _orders[order.Request.ClientOrderId] = (_orders.Count, order);
        _trades.UnionWith(_journal.Fills(Deployment).Select(f => (f.Symbol, f.TradeId)));
        var findings = new List<string>();
        var (resent, unsent) = await SettleOrdersAsync(findings, cancel).ConfigureAwait(false);
        await CheckOpenOrdersAsync(cancel).ConfigureAwait(false);
        var orders = Orders();
        var before = _trades.Count;
        foreach (var symbol in orders.Select(o => o.Request.Symbol).Distinct(StringComparer.Ordinal))
            _fillsSince[symbol] = orders.Where(o => o.Request.Symbol == symbol).Min(o => o.BarTime);
        _touched.UnionWith(_fillsSince.Keys);
        await CollectFillsAsync(enqueue: false, cancel).ConfigureAwait(false);
        var recovered = _trades.Count - before;
        if (recovered > 0)
            findings.Add($"{recovered} fill(s) the journal lacked were recovered from the venue");
        var positions = await CheckPositionsAsync(findings, cancel).ConfigureAwait(false);
        var last = _journal.LastStep(Deployment);
        if (last is { Stopped: true })
            throw new TradingException($"deployment {Deployment.Strategy} stopped for good at the bar of {Format(last.BarTime)} (a drawdown limit or ruin); start a new deployment to trade again");
        _fundingSince = _exchange.Now.ToUnixTimeMilliseconds();
        if (last?.State is { } state && TakeUp(state, findings))
            _lastStepped = last.BarTime;
        else
        {
            if (last is not null)
                findings.Add("the journal holds no engine state of the last step: the drawdown peak, the day's opening equity and the positions' entry times start again from now");
            await BuildEngineAsync(positions, cancel).ConfigureAwait(false);
        }
        TakeUpLadders(last?.BarTime ?? -1, findings);
        foreach (var finding in findings)
        {
            _journal.RecordEvent(Deployment, _exchange.Now, "reconcile", finding);
            Say("reconcile: " + finding);
        }
        Reconciled = new Reconciliation(findings, resent, unsent, recovered, last?.BarTime ?? -1);
    }

    // orders not done: looked up; a pending one the venue never received is sent when it is of the last decision and
    // its bar is still current, else marked unsent
    private async Task<(int Resent, int Unsent)> SettleOrdersAsync(List<string> findings, CancellationToken cancel)
    {
        var orders = Orders();
        var lastDecision = orders.Count == 0 ? -1 : orders.Max(o => o.BarTime);
        int resent = 0, unsent = 0;
        foreach (var order in orders.Where(o => !o.Status.IsDone()))
        {
            var id = order.Request.ClientOrderId;
            var state = await _exchange.Order(order.Request.Symbol, id, cancel).ConfigureAwait(false);
            if (state is not null)
            {
                WriteFound(order, state);
                if (order.Status == JournalOrderStatus.Pending)
                    findings.Add($"order {id} ({order.Request.Symbol}) of unknown fate had reached the venue: {state.Status}");
                continue;
            }
            var current = order.BarTime == lastDecision && _exchange.Now.ToUnixTimeMilliseconds() < order.BarTime + (2 * _setup.Bar.Milliseconds);
            if (order.Status == JournalOrderStatus.Pending && current)
            {
                findings.Add($"order {id} ({order.Request.Symbol}) never reached the venue and its decision is current: sent now");
                await PlaceAsync(order.Request, cancel).ConfigureAwait(false);
                resent++;
                continue;
            }
            var why = order.Status == JournalOrderStatus.Pending
                ? $"never reached the venue; its decision at the bar of {Format(order.BarTime)} is stale, so it is not sent"
                : "the venue has no record of it";
            WriteUnsent(id, why);
            findings.Add($"order {id} ({order.Request.Symbol}) {why}");
            unsent++;
        }
        return (resent, unsent);
    }

    // an open order with this deployment's id prefix that the journal does not hold means the journal is not this deployment's
    private async Task CheckOpenOrdersAsync(CancellationToken cancel)
    {
        var prefix = ClientOrderIds.RunPrefix(Deployment.Key);
        var journaled = _orders.Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var open in await _exchange.OpenOrders(null, cancel).ConfigureAwait(false))
        {
            if (!open.ClientOrderId.StartsWith(prefix, StringComparison.Ordinal) || journaled.Contains(open.ClientOrderId))
                continue;
            throw new TradingException($"the venue has open order {open.ClientOrderId} ({open.Symbol}) of this deployment that the journal does not hold; "
                + "use the journal it was sent from, or cancel it at the venue");
        }
    }

    // the venue's positions against the book the journal's fills make; a difference is a position this deployment did not open
    private async Task<IReadOnlyList<VenuePosition>> CheckPositionsAsync(List<string> findings, CancellationToken cancel)
    {
        var positions = await _exchange.Positions(cancel).ConfigureAwait(false);
        var held = positions.ToDictionary(p => p.Symbol, StringComparer.Ordinal);
        var book = JournalBook();
        var problems = new List<string>();
        foreach (var symbol in held.Keys.Union(book.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var venue = held.TryGetValue(symbol, out var p) ? p.Quantity : 0m;
            var mine = book.GetValueOrDefault(symbol);
            if (venue == mine)
                continue;
            var text = string.Create(CultureInfo.InvariantCulture,
                $"{symbol}: the venue holds {venue} but this deployment's journal accounts for {mine}");
            if (!_assets.ContainsKey(symbol))
            {
                findings.Add(text + "; the strategy does not trade it, so it is left alone");
                continue;
            }
            if (!_setup.Adopt)
            {
                problems.Add(text);
                continue;
            }
            var price = p?.EntryPrice ?? 0m;
            WriteFill(new JournalFill($"adopt-{symbol}-{_exchange.Now.ToUnixTimeMilliseconds()}", null, symbol, venue - mine, price, 0m,
                _instruments[_assets[symbol]].QuoteAsset, _exchange.Now, Adopted: true));
            findings.Add(text + "; adopted: the book now holds the venue's position");
        }
        if (problems.Count > 0)
        {
            var message = problems[0] + (problems.Count > 1 ? $" (and {problems.Count - 1} more)" : "")
                + ": a position this deployment did not open; close it at the venue or start with --adopt to take it over";
            _journal.RecordEvent(Deployment, _exchange.Now, "halt", message);
            throw new TradingException(message);
        }
        return positions;
    }

    // the engine over the account as it is: the quote balance as capital, the book's positions at the venue's entry prices
    private async Task BuildEngineAsync(IReadOnlyList<VenuePosition> positions, CancellationToken cancel)
    {
        var quote = _instruments.Length > 0 ? _instruments[0].QuoteAsset : "USDT";
        var balances = await _exchange.Balances(cancel).ConfigureAwait(false);
        var capital = (double)(balances.FirstOrDefault(b => b.Asset == quote)?.Total ?? 0m);
        if (capital <= 0)
            throw new TradingException($"the {_exchange.Venue} account holds no {quote} to trade with");
        var setup = LedgerBacktest.Setup(_setup.Symbols, _instruments, _setup.Bar, _setup.Options, _port, capital, this) with
        {
            // a live venue cannot fill at a close that has passed: orders go out at once and fill as the next bar opens
            FillAtSignalClose = false,
        };
        _policy = setup.Policy;
        _engine = new ExecutionEngine(setup);
        var entries = positions.ToDictionary(p => p.Symbol, p => p.EntryPrice, StringComparer.Ordinal);
        foreach (var (symbol, quantity) in JournalBook())
        {
            if (_assets.TryGetValue(symbol, out var asset))
                _port.Book(new VenueEvent(VenueEventKind.Fill, asset, (double)quantity, (double)entries.GetValueOrDefault(symbol)));
        }
    }

    // the engine as it stood after the last step, and the fills journaled since that it has not booked: a restarted runner
    // decides as an uninterrupted one would; false (with a finding) when the journal's fills do not make the saved book
    private bool TakeUp(RunnerState state, List<string> findings)
    {
        var fills = _journal.Fills(Deployment);
        var deferred = state.Deferred.ToHashSet();
        var unbooked = fills.Where((f, i) => i >= state.FillsJournaled || deferred.Contains((f.Symbol, f.TradeId))).ToList();
        var units = state.Engine.Units;
        foreach (var (symbol, quantity) in JournalBook().Concat(_setup.Symbols.Select(s => new KeyValuePair<string, decimal>(s, 0m))).DistinctBy(p => p.Key))
        {
            if (!_assets.TryGetValue(symbol, out var asset))
                continue;
            var expected = (double)(quantity - unbooked.Where(f => f.Symbol == symbol).Sum(f => f.Quantity));
            if (Math.Abs(units[asset] - expected) > 1e-9 * Math.Max(1, Math.Abs(expected)))
            {
                findings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{symbol}: the engine state of the last step holds {units[asset]:G10} but the journal's fills make {expected:G10}; the state is not taken up"));
                return false;
            }
        }
        var setup = LedgerBacktest.Setup(_setup.Symbols, _instruments, _setup.Bar, _setup.Options, _port, state.Engine.Cash, this) with { FillAtSignalClose = false };
        _policy = setup.Policy;
        _engine = new ExecutionEngine(setup);
        _engine.Restore(state.Engine);
        _index = state.Engine.Bar + 1;
        _fundingSince = state.FundingSince;
        foreach (var fill in unbooked)
        {
            if (!_assets.TryGetValue(fill.Symbol, out var asset))
                continue;
            var order = fill.ClientOrderId is { } id && _orders.TryGetValue(id, out var o) ? o.Order : null;
            var e = new VenueEvent(VenueEventKind.Fill, asset, (double)fill.Quantity, (double)fill.Price, (double)fill.Fee,
                order?.Request.Type == OrderType.Limit, order?.Purpose ?? OrderPurpose.Rebalance);
            if (fill.Adopted)
                _port.Book(e);
            else
                _unbooked.Add((e, order?.BarTime ?? -1, fill.Symbol, fill.TradeId));
        }
        return true;
    }

    private RunnerState SaveState() =>
        new(_engine.Save(), _trades.Count, [.. _unbooked.Select(u => (u.Symbol, u.TradeId))], _fundingSince);

    // the fills of orders decided before the bar at hand go to the engine for that bar's open, in the order journaled
    private void BookFillsBefore(long barTime)
    {
        foreach (var u in _unbooked)
        {
            if (u.OrderBar < barTime)
                _port.Enqueue(u.Fill);
        }
        _unbooked.RemoveAll(u => u.OrderBar < barTime);
    }

    // bars that closed while the runner was down count for holding times and cooldowns as bars the runner stepped would
    private void CountMissedBars(long time)
    {
        if (_lastStepped >= 0 && time - _lastStepped > _setup.Bar.Milliseconds)
            _index += (int)((time - _lastStepped) / _setup.Bar.Milliseconds) - 1;
        _lastStepped = time;
    }

    private void TradeMarket(BarHistory history, int t)
    {
        if (_setup.Market is { } market)
            market.Trade(history.Row(t, _index));
    }

    private List<WorkingOrder> StepEngine(BarHistory history, int t, TargetDecision decision)
    {
        _engine.Step(history.Row(t, _index), decision.Targets, decision.Rebalance);
        _index++;
        var liquidated = _port.Liquidated;
        var orders = _port.TakeOrders();
        if (liquidated)
        {
            var units = _engine.Ledger.Account.Units;
            for (var i = 0; i < units.Length; i++)
            {
                if (units[i] != 0)
                    orders.Add(new WorkingOrder(i, -units[i], OrderType.Market, ReduceOnly: true));
            }
        }
        return orders;
    }

    // what the venue did since the last step: resting orders are cancelled (an order lives one bar, as in a
    // backtest), pending ones looked up, and the fills and funding handed to the engine for the next bar's open; orders of
    // the bar at hand (sent before a restart, that bar now stepped again) are left to the next step, as they would have been
    private async Task SettleAsync(long barTime, CancellationToken cancel)
    {
        // quotes of earlier bars are not worked further: the decision at hand replaces them
        _quotes.RemoveAll(q => q.BarTime < barTime);
        // the venue's answers are journaled with the fills, in one transaction
        var states = new List<OrderState>();
        foreach (var order in Open().Where(o => o.BarTime < barTime))
        {
            var r = order.Request;
            _touched.Add(r.Symbol);
            if (order.Status == JournalOrderStatus.Pending)
            {
                if (await _exchange.Order(r.Symbol, r.ClientOrderId, cancel).ConfigureAwait(false) is { } found)
                    states.Add(Mirror(found));
                else
                    WriteUnsent(r.ClientOrderId, "never reached the venue");
                continue;
            }
            states.Add(Mirror(await _exchange.Cancel(r.Symbol, r.ClientOrderId, cancel).ConfigureAwait(false)));
        }
        await CollectFillsAsync(enqueue: true, cancel, states).ConfigureAwait(false);
        foreach (var payment in await _exchange.Funding(_fundingSince, cancel).ConfigureAwait(false))
        {
            if (_assets.TryGetValue(payment.Symbol, out var asset))
                _port.Enqueue(new VenueEvent(VenueEventKind.Funding, asset, Amount: (double)payment.Amount));
            _fundingSince = Math.Max(_fundingSince, payment.Time.ToUnixTimeMilliseconds() + 1);
        }
    }

    // the executions of this deployment's orders the journal lacks, journaled and (when trading) queued for the engine,
    // in the order the orders were sent
    private async Task CollectFillsAsync(bool enqueue, CancellationToken cancel, IReadOnlyList<OrderState>? states = null)
    {
        if (_touched.Count == 0)
        {
            if (states is { Count: > 0 })
                _journal.RecordSettlement(Deployment, states, []);
            return;
        }
        var fresh = new List<ExecutionReport>();
        foreach (var symbol in _touched.Order(StringComparer.Ordinal))
        {
            var since = _fillsSince.GetValueOrDefault(symbol, _exchange.Now.ToUnixTimeMilliseconds() - _setup.Bar.Milliseconds);
            foreach (var e in await _exchange.Executions(symbol, since, cancel).ConfigureAwait(false))
            {
                if (_orders.ContainsKey(e.ClientOrderId) && !_trades.Contains((e.Symbol, e.TradeId)))
                    fresh.Add(e);
            }
        }
        _touched.Clear();
        // the fills read are journaled in one transaction, before any is acted on
        List<ExecutionReport> ordered = [.. fresh.OrderBy(e => e.Time).ThenBy(e => _orders[e.ClientOrderId].Sequence)];
        List<JournalFill> fills = [.. ordered.Select(e =>
            new JournalFill(e.TradeId, e.ClientOrderId, e.Symbol, e.Side == OrderSide.Buy ? e.Quantity : -e.Quantity, e.Price, e.Fee, e.FeeAsset, e.Time))];
        var added = _journal.RecordSettlement(Deployment, states ?? [], fills);
        // the observer hears every fill the transaction journaled before anything else can stop the runner
        for (var k = 0; k < ordered.Count; k++)
        {
            if (added[k])
                _setup.Observer?.Filled(fills[k]);
        }
        for (var k = 0; k < ordered.Count; k++)
        {
            var e = ordered[k];
            var signed = fills[k].Quantity;
            _trades.Add((e.Symbol, e.TradeId));
            if (!added[k])
                continue;
            _fillsSince[e.Symbol] = Math.Max(_fillsSince.GetValueOrDefault(e.Symbol), e.Time.ToUnixTimeMilliseconds());
            _setup.Checkpoint?.Invoke(TradingCheckpoint.FillJournaled, e.ClientOrderId);
            Say(string.Create(CultureInfo.InvariantCulture, $"fill {e.Symbol} {e.Side} {e.Quantity} at {e.Price} fee {e.Fee} {e.FeeAsset} ({e.ClientOrderId})"));
            if (enqueue && _assets.TryGetValue(e.Symbol, out var asset))
            {
                var order = _orders[e.ClientOrderId].Order;
                _unbooked.Add((new VenueEvent(VenueEventKind.Fill, asset, (double)signed, (double)e.Price, (double)e.Fee, e.Maker, order.Purpose), order.BarTime,
                    e.Symbol, e.TradeId));
            }
        }
    }

    // an order of a step, ready to journal and send: its intent, and its request unless it rounds to no lot
    private sealed record Outgoing(JournalIntent Journaled, OrderIntent Intent, WorkingOrder Order, OrderRequest? Request);

    // the engine's order as the venue will be sent it, with the intent it came from
    private Outgoing Prepare(WorkingOrder order, long barTime, double target)
    {
        var symbol = _setup.Symbols[order.Asset];
        var reference = order.Type == OrderType.Limit ? order.Ladder.Reference : _engine.Ledger.LastClose[order.Asset];
        // an exit only ever closes: at a venue it goes reduce-only, so that a fill it did not wait for cannot make it open the other way
        var intent = new OrderIntent(order.Asset, order.Quantity, reference, order.Purpose, order.ReduceOnly || order.Purpose.IsExit());
        var id = ClientOrderIds.For(Deployment.Key, barTime, symbol, order.Purpose, 0);
        var request = _policy.Request(intent, _instruments[order.Asset], id, 0);
        if (request is null)
            Say(string.Create(CultureInfo.InvariantCulture, $"{symbol}: {order.Quantity:G6} rounds to no lot of {_instruments[order.Asset].StepSize}; nothing sent"));
        return new Outgoing(new JournalIntent(barTime, symbol, order.Purpose, target, order.Quantity, reference), intent, order, request);
    }

    // A position the step leaves as it is rests on a reduce-only stop at the venue through the next bar, at the level the
    // engine would work it against that bar (rounded to the tick towards the market, never looser), so that it stops out
    // at its price as in a backtest; settlement cancels it with the bar's other orders and reads whether it fired. A
    // position the step trades rests on its stop once its order's fill is known (below); until then, and in paper, the
    // engine checks the bar at its close (its exits, sent at market when reached).
    private IEnumerable<Outgoing> Stops(List<WorkingOrder> traded, long barTime)
    {
        foreach (var stop in _engine.NextBarStops())
        {
            if (!traded.Exists(o => o.Asset == stop.Asset) && StopOrder(stop, barTime) is { } order)
                yield return order;
        }
    }

    // A venue answers a market order with its fill (a paper market fills when the next bar trades): the position a step's
    // filled order makes rests on its stop at once, from its entry price, as a backtest protects a position in the bar it
    // opens in. The fills are read from the journal's orders, so that a step taken again after a restart, whose orders were
    // sent before it, rests the same stops.
    private IEnumerable<Outgoing> StopsAfterFills(List<WorkingOrder> orders, long barTime)
    {
        if (_setup.Market is not null)
            yield break;
        foreach (var order in orders)
        {
            var id = ClientOrderIds.For(Deployment.Key, barTime, _setup.Symbols[order.Asset], order.Purpose, 0);
            if (!_orders.TryGetValue(id, out var known) || known.Order is not { Status: JournalOrderStatus.Filled, AverageFillPrice: > 0 } filled)
                continue;
            var quantity = (filled.Request.Side == OrderSide.Buy ? 1 : -1) * (double)filled.FilledQuantity;
            if (_engine.NextBarStopAfterFill(order.Asset, quantity, (double)filled.AverageFillPrice) is { } stop && StopOrder(stop, barTime) is { } sent)
                yield return sent;
        }
    }

    // the engine's stop as the venue takes it: the position's lots, the level rounded to the tick towards the market
    private Outgoing? StopOrder(WorkingOrder stop, long barTime)
    {
        var symbol = _setup.Symbols[stop.Asset];
        var instrument = _instruments[stop.Asset];
        var quantity = Steps.TowardZero(Steps.ToDecimal(Math.Abs(stop.Quantity)), instrument.StepSize);
        if (quantity <= 0)
            return null;
        var sell = stop.Quantity < 0;
        var level = Steps.ToDecimal(stop.StopPrice);
        var price = sell ? Steps.Up(level, instrument.TickSize) : Steps.Down(level, instrument.TickSize);
        var id = ClientOrderIds.For(Deployment.Key, barTime, symbol, stop.Purpose, 0);
        var request = new OrderRequest(id, symbol, sell ? OrderSide.Sell : OrderSide.Buy, OrderType.StopMarket, quantity, StopPrice: price, ReduceOnly: true);
        return new Outgoing(new JournalIntent(barTime, symbol, stop.Purpose, 0, stop.Quantity, stop.StopPrice),
            new OrderIntent(stop.Asset, stop.Quantity, stop.StopPrice, stop.Purpose, Closing: true), stop, request);
    }

    // A step's orders, each journaled with its intent as pending under its id, on disk before it is sent, then placed and its
    // answer journaled. The first is prepared, written and sent before the others are prepared; the rest are written
    // together, in one transaction, one flush for all of them rather than one each. An order whose id the journal already
    // holds was decided before a restart and reconciled at start: it is not sent again.
    private async Task<List<OrderRequest>> SendAsync(IEnumerable<Outgoing> orders, long barTime, CancellationToken cancel)
    {
        var sent = new List<OrderRequest>();
        using var next = orders.GetEnumerator();
        var first = new List<Outgoing>();
        while (first.LastOrDefault()?.Request is null && next.MoveNext())
            first.Add(next.Current);
        await PlaceAsync(Journal(first, barTime), barTime, sent, cancel).ConfigureAwait(false);
        var rest = new List<Outgoing>();
        while (next.MoveNext())
            rest.Add(next.Current);
        await PlaceAsync(Journal(rest, barTime), barTime, sent, cancel).ConfigureAwait(false);
        return sent;
    }

    private async Task PlaceAsync(List<Outgoing> journaled, long barTime, List<OrderRequest> sent, CancellationToken cancel)
    {
        foreach (var order in journaled)
        {
            var state = await PlaceAsync(order.Request!, cancel, order.Order).ConfigureAwait(false);
            if (order.Request!.Type != OrderType.StopMarket)
                Work(order.Intent, barTime, 0, order.Request, state);
            sent.Add(order.Request);
        }
    }

    // the intents and orders journaled in one transaction, on disk when it returns; the orders the journal did not hold
    private List<Outgoing> Journal(List<Outgoing> orders, long barTime)
    {
        if (orders.Count == 0)
            return [];
        List<Outgoing> requested = [.. orders.Where(o => o.Request is not null)];
        List<JournalOrder> pending = [.. requested.Select(o => new JournalOrder(barTime, o.Request!, o.Order.Purpose, JournalOrderStatus.Pending))];
        var added = _journal.RecordOrders(Deployment, [.. orders.Select(o => o.Journaled)], pending);
        var fresh = new List<Outgoing>();
        for (var k = 0; k < requested.Count; k++)
        {
            if (!added[k])
                continue;
            var id = pending[k].Request.ClientOrderId;
            _orders[id] = (_orders.Count, pending[k]);
            _setup.Checkpoint?.Invoke(TradingCheckpoint.IntentJournaled, id);
            _setup.Checkpoint?.Invoke(TradingCheckpoint.OrderJournaled, id);
            _fillsSince.TryAdd(pending[k].Request.Symbol, barTime);
            fresh.Add(requested[k]);
        }
        return fresh;
    }

    // a quote the venue holds and the policy re-quotes later is worked; a paper market works its quotes within the bar itself
    private void Work(in OrderIntent intent, long barTime, int attempt, OrderRequest request, OrderState? state)
    {
        if (_setup.Market is null && state is { IsDone: false } && _policy.Patience(attempt) is { } patience)
            _quotes.Add(new WorkedQuote(intent, barTime, attempt, request, (_orders[request.ClientOrderId].Order.Placed ?? _exchange.Now) + patience));
    }

    // the quote cancelled, then the next attempt for what it left: journaled as pending, placed, and worked in turn
    private async Task<OrderRequest?> NextAttemptAsync(WorkedQuote quote, CancellationToken cancel)
    {
        var resting = quote.Resting;
        var filled = quote.Cancelled ? _orders[resting.ClientOrderId].Order.FilledQuantity : await CancelQuoteAsync(resting, cancel).ConfigureAwait(false);
        if (filled is null)
            return null;
        var left = resting.Quantity - filled.Value;
        if (left <= 0)
            return null;
        var intent = quote.Intent with { Quantity = Math.Sign(quote.Intent.Quantity) * (double)left };
        var attempt = quote.Attempt + 1;
        if (attempt > ClientOrderIds.MaxAttempt)
            return null;
        var instrument = _instruments[intent.Asset];
        var id = ClientOrderIds.For(Deployment.Key, quote.BarTime, resting.Symbol, intent.Purpose, attempt);
        if (_policy.Request(intent, instrument, id, attempt) is not { } request)
            return null;
        if (!intent.Closing && request.Quantity * (request.Price ?? (decimal)intent.ReferencePrice) < instrument.MinNotional)
        {
            Say(string.Create(CultureInfo.InvariantCulture, $"{resting.Symbol}: the {left} left of {resting.ClientOrderId} is under the minimum notional; not re-quoted"));
            return null;
        }
        if (!WriteOrder(new JournalOrder(quote.BarTime, request, intent.Purpose, JournalOrderStatus.Pending)))
            return null;
        _setup.Checkpoint?.Invoke(TradingCheckpoint.OrderJournaled, id);
        Work(intent, quote.BarTime, attempt, request, await PlaceAsync(request, cancel).ConfigureAwait(false));
        return request;
    }

    // places a journaled order and journals the answer; null when the answer was lost (the order stays pending). A paper
    // market is handed the engine's order itself, to work as a backtest does
    private async Task<OrderState?> PlaceAsync(OrderRequest request, CancellationToken cancel, WorkingOrder? engine = null)
    {
        _touched.Add(request.Symbol);
        OrderState state;
        try
        {
            state = _setup.Market is { } market && engine is { } order
                ? market.Place(request, order)
                : await _exchange.Place(request, cancel).ConfigureAwait(false);
        }
        catch (ExchangeError e) when (e.Kind == ExchangeErrorKind.Unknown)
        {
            // left pending: the next step (or a restart) looks it up by its id before anything is sent again
            Say($"order {request.ClientOrderId} ({request.Symbol}): {e.Message}");
            _setup.Observer?.Failed($"order {request.ClientOrderId} ({request.Symbol}): {e.Message}");
            return null;
        }
        catch (ExchangeError e)
        {
            state = new OrderState(request.ClientOrderId, null, request.Symbol, request.Side, request.Type, request.Quantity, 0, request.Price, 0,
                OrderStatus.Rejected, _exchange.Now, e.Message);
        }
        _setup.Checkpoint?.Invoke(TradingCheckpoint.OrderSent, request.ClientOrderId);
        WritePlacement(state, _exchange.Now);
        _setup.Checkpoint?.Invoke(TradingCheckpoint.AckJournaled, request.ClientOrderId);
        Say(string.Create(CultureInfo.InvariantCulture,
            $"order {request.Symbol} {request.Side} {request.Type} {request.Quantity}{(request.Price is { } p ? $" at {p}" : "")}{(request.StopPrice is { } stop ? $" stop {stop}" : "")}{(request.ReduceOnly ? " reduce-only" : "")}: {state.Status}{(state.RejectReason is { } why ? $" ({why})" : "")} ({request.ClientOrderId})"));
        return state;
    }

    // the journal's orders in the order they were journaled
    private List<JournalOrder> Orders() => [.. _orders.Values.OrderBy(o => o.Sequence).Select(o => o.Order)];

    // the orders not done, in the order journaled: a step sorts these, not the whole journal
    private List<JournalOrder> Open() => [.. _orders.Values.Where(o => !o.Order.Status.IsDone()).OrderBy(o => o.Sequence).Select(o => o.Order)];

    private bool WriteOrder(JournalOrder order)
    {
        if (!_journal.RecordOrder(Deployment, order))
            return false;
        _orders[order.Request.ClientOrderId] = (_orders.Count, order);
        return true;
    }

    private void WriteState(OrderState state)
    {
        _journal.RecordOrderState(Deployment, state);
        Mirror(state);
    }

    // the journal's orders as mirrored here take the venue's state (and the observer hears of it)
    private OrderState Mirror(OrderState state)
    {
        _setup.Observer?.OrderChanged(state);
        if (_orders.TryGetValue(state.ClientOrderId, out var known))
        {
            _orders[state.ClientOrderId] = (known.Sequence, known.Order with
            {
                Status = JournalOrderStatuses.Of(state.Status),
                VenueOrderId = state.VenueOrderId ?? known.Order.VenueOrderId,
                FilledQuantity = state.FilledQuantity,
                AverageFillPrice = state.AverageFillPrice,
                Reason = state.RejectReason ?? known.Order.Reason,
            });
        }
        return state;
    }

    private void WriteUnsent(string clientOrderId, string reason)
    {
        _journal.MarkUnsent(Deployment, clientOrderId, reason);
        if (_orders.TryGetValue(clientOrderId, out var known))
            _orders[clientOrderId] = (known.Sequence, known.Order with { Status = JournalOrderStatus.Unsent, Reason = reason });
    }

    private bool WriteFill(JournalFill fill)
    {
        var added = _journal.RecordFill(Deployment, fill);
        _trades.Add((fill.Symbol, fill.TradeId));
        if (added)
            _setup.Observer?.Filled(fill);
        return added;
    }

    private StepSnapshot Snapshot(long time)
    {
        var equity = _engine.Ledger.Mark(out var gross, out var net);
        var account = _engine.Ledger.Account;
        var positions = new List<PositionMark>();
        for (var i = 0; i < _instruments.Length; i++)
        {
            if (account.Units[i] != 0)
                positions.Add(new PositionMark(_setup.Symbols[i], account.Units[i], account.EntryPrice[i], _engine.Ledger.LastClose[i]));
        }
        var orders = _orders.Values.GroupBy(o => o.Order.Status).ToDictionary(g => g.Key, g => g.Count());
        var halted = _engine.HaltedDay == time / 86_400_000L ? (_engine.HaltedDay + 1) * 86_400_000L : 0;
        return new StepSnapshot(time, _setup.Bar.Milliseconds, equity, gross, net, positions, orders, _engine.Stopped, halted);
    }

    private List<VenuePosition> Book()
    {
        var account = _engine.Ledger.Account;
        var book = new List<VenuePosition>();
        for (var i = 0; i < _instruments.Length; i++)
        {
            if (account.Units[i] != 0)
                book.Add(new VenuePosition(_setup.Symbols[i], Steps.ToDecimal(account.Units[i]), Steps.ToDecimal(account.EntryPrice[i])));
        }
        return book;
    }

    private static Dictionary<string, decimal> BookOf(IEnumerable<JournalFill> fills) =>
        fills.GroupBy(f => f.Symbol, StringComparer.Ordinal)
            .Select(g => (g.Key, Quantity: g.Sum(f => f.Quantity)))
            .Where(p => p.Quantity != 0)
            .ToDictionary(p => p.Key, p => p.Quantity, StringComparer.Ordinal);

    private void Say(string line) => _setup.Log?.Invoke(line);

    private static string Format(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";
}
