using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// The venue of backtests (and, fed live bars, of paper trading): an account, resting orders matched
/// bar by bar by an <see cref="IFillModel"/> with fees from an <see cref="IFeeModel"/>, funding charged
/// from the bars, positions closed at their last price when an asset's prices end (a delisting),
/// and liquidation. It has two faces over the same state: <see cref="IVenuePort"/>, the synchronous
/// fast path a backtest steps through in doubles, and <see cref="IExchange"/>, the venue surface paper
/// and live runners use, in decimals on the instruments' steps, which refuses orders that break an
/// instrument's filters as a venue does. It models no margin: everything in the account is available.
/// </summary>
public sealed class SimulatedExchange : IVenuePort, IExchange
{
    private readonly Instrument[] _instruments;
    private readonly InstrumentFilter[] _filters;
    private readonly bool _filtered;
    private readonly Dictionary<string, int> _assets;
    private readonly Account _account;
    private readonly double[] _lastClose;
    private readonly int[] _lastBar;
    private readonly IFillModel _fills;
    private readonly IFeeModel _fees;
    private readonly Panel? _history;
    private readonly long _barMilliseconds;
    private readonly bool _journal;
    private readonly List<WorkingOrder> _resting = [];
    private readonly List<WorkingOrder> _carried = [];
    private readonly Dictionary<string, OrderRecord> _orders = new(StringComparer.Ordinal);
    private readonly List<SimulatedExecution> _executions = [];
    private readonly List<(long Time, int Asset, double Amount)> _funding = [];
    private IVenueEvents? _events;
    private int _bar = -1;
    private long _time;

    /// <summary>
    /// A venue trading <paramref name="instruments"/> (by asset index; their filters are enforced),
    /// with an account of <paramref name="cash"/> in <paramref name="quoteAsset"/>, on bars of
    /// <paramref name="bar"/>. <paramref name="lastBars"/> is each asset's last bar with a price (its
    /// delisting; null: none known). <paramref name="history"/> serves <see cref="Bars"/>, never past the current bar.
    /// With <paramref name="journal"/> off (a backtest's fast path), executions and funding payments are not kept
    /// for <see cref="Executions"/> and <see cref="Funding"/>.
    /// </summary>
    public SimulatedExchange(IReadOnlyList<Instrument> instruments, double cash, Interval bar, IFillModel fills, IFeeModel fees,
        IReadOnlyList<int>? lastBars = null, Panel? history = null, string quoteAsset = "USDT", bool journal = true)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        _instruments = [.. instruments];
        _filters = [.. _instruments.Select(InstrumentFilter.Of)];
        _filtered = _filters.Any(f => f.Any);
        _assets = _instruments.Select((x, i) => (x.Symbol, i)).ToDictionary(p => p.Symbol, p => p.i, StringComparer.Ordinal);
        _account = new Account(_instruments.Length, cash);
        _lastClose = new double[_instruments.Length];
        _lastClose.AsSpan().Fill(double.NaN);
        _lastBar = lastBars is null ? [.. Enumerable.Repeat(int.MaxValue, _instruments.Length)] : [.. lastBars];
        if (_lastBar.Length != _instruments.Length)
            throw new ArgumentException($"{_lastBar.Length} last bars for {_instruments.Length} instruments", nameof(lastBars));
        _fills = fills ?? throw new ArgumentNullException(nameof(fills));
        _fees = fees ?? throw new ArgumentNullException(nameof(fees));
        _history = history;
        _barMilliseconds = bar.Milliseconds;
        _journal = journal;
        QuoteAsset = quoteAsset;
    }

    /// <summary>Instruments without filters for <paramref name="symbols"/>, quoted in <paramref name="quoteAsset"/>.</summary>
    public static IReadOnlyList<Instrument> Unfiltered(IEnumerable<string> symbols, string quoteAsset = "USDT") =>
        [.. symbols.Select(s => new Instrument(s, s, quoteAsset, 0, 0, 0, 0, 0))];

    /// <summary>The asset the account is held in.</summary>
    public string QuoteAsset { get; }

    /// <summary>The venue's account.</summary>
    public Account Account => _account;

    /// <summary>The last bar opened, or −1 before the first.</summary>
    public int Bar => _bar;

    // IVenuePort: the backtest's fast path

    /// <inheritdoc />
    public void Connect(IVenueEvents events) => _events = events ?? throw new ArgumentNullException(nameof(events));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Open(in BarRow bar)
    {
        _bar = bar.Index;
        _time = bar.Time;
        MatchResting(bar);
        CloseDelisted(bar.Index);
        if (!bar.FundingRate.IsEmpty)
            ChargeFunding(bar);
        Rows.CarryForward(_lastClose, bar.Close);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Submit(in WorkingOrder order)
    {
        if (_filtered && Refusal(order) is { } why)
        {
            Reject(order, why);
            return;
        }
        _resting.Add(order);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Match(in WorkingOrder order, in BarQuote quote)
    {
        if (!Reduced(order, out var working))
            return;
        var fill = _fills.Match(working, quote);
        if (fill.Capped)
            Missed(working);
        if (!fill.Matched)
        {
            Missed(working);
            return;
        }
        var quantity = OnLots(working.Asset, fill.Quantity);
        if (quantity != 0)
            Execute(working, quantity, fill.Price, _fees.Fee(Math.Abs(quantity) * fill.Price, fill.Maker), fill.Maker);
    }

    /// <inheritdoc />
    public void Liquidate()
    {
        foreach (var o in _resting)
            Finish(o, OrderStatus.Canceled);
        _resting.Clear();
        var units = _account.Units;
        foreach (var i in _account.Held)
        {
            if (units[i] != 0)
                Execute(new WorkingOrder(i, -units[i], OrderType.Market, OrderPurpose.Liquidation), -units[i], _lastClose[i], 0, maker: false);
        }
        _account.Floor();
        Events.On(new VenueEvent(VenueEventKind.Liquidated, -1));
    }

    private IVenueEvents Events => _events ?? throw new InvalidOperationException("the simulated exchange is not connected to an engine");

    // orders resting since the last bar trade against this one, in the order they were sent; what does not fill
    // is cancelled, except good-till-cancel orders, which rest on with what is left
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MatchResting(in BarRow bar)
    {
        if (_resting.Count == 0)
            return;
        _carried.Clear();
        foreach (ref readonly var resting in CollectionsMarshal.AsSpan(_resting))
        {
            if (double.IsNaN(bar.Open[resting.Asset]))
            {
                Missed(resting);
                Carry(resting, resting.Quantity);
            }
            else if (!resting.ReduceOnly)
                Work(resting, bar);
            else if (Reduced(resting, out var cut))
                Work(cut, bar);
        }
        _resting.Clear();
        _resting.AddRange(_carried);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Work(in WorkingOrder order, in BarRow bar)
    {
        var fill = _fills.Match(order, bar.Quote(order.Asset));
        if (fill.Capped)
            Missed(order);
        if (!fill.Matched)
        {
            Missed(order);
            Carry(order, order.Quantity);
            return;
        }
        var quantity = OnLots(order.Asset, fill.Quantity);
        if (quantity != 0)
            Execute(order, quantity, fill.Price, _fees.Fee(Math.Abs(quantity) * fill.Price, fill.Maker), fill.Maker);
        Carry(order, order.Quantity - quantity);
    }

    private void Carry(in WorkingOrder order, double left)
    {
        if (order.GoodTillCancel && left != 0)
            _carried.Add(order with { Quantity = left });
        else if (left != 0)
            Finish(order, OrderStatus.Expired);
    }

    // a reduce-only order never opens or grows a position: it is cut to the position, or cancelled when there is none
    private bool Reduced(in WorkingOrder order, out WorkingOrder working)
    {
        working = order;
        if (!order.ReduceOnly)
            return true;
        var units = _account.Units[order.Asset];
        if (units == 0 || Math.Sign(units) == Math.Sign(order.Quantity))
        {
            Finish(order, OrderStatus.Canceled);
            return false;
        }
        if (Math.Abs(order.Quantity) > Math.Abs(units))
            working = order with { Quantity = -units };
        return true;
    }

    // a venue fills whole lots: a capped fill is cut to them
    private double OnLots(int asset, double quantity) =>
        _filtered && _filters[asset].Lot > 0 ? Steps.TowardZero(quantity, _filters[asset].Lot) : quantity;

    // trigger orders (stops, take-profits) not reached are waiting, not unfilled
    private void Missed(in WorkingOrder order)
    {
        if (order.Type is not (OrderType.StopMarket or OrderType.TakeProfitMarket))
            Events.On(new VenueEvent(VenueEventKind.Unfilled, order.Asset, order.Quantity, Purpose: order.Purpose));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CloseDelisted(int bar)
    {
        var units = _account.Units;
        foreach (var i in _account.Held)
        {
            if (units[i] == 0 || bar <= _lastBar[i])
                continue;
            Events.On(new VenueEvent(VenueEventKind.Delisted, i));
            var close = new WorkingOrder(i, -units[i], OrderType.Market, OrderPurpose.Delisting);
            Execute(close, close.Quantity, _lastClose[i], _fees.Fee(Math.Abs(close.Quantity) * _lastClose[i], maker: false), maker: false);
        }
    }

    // funding at the bar's open price (else its close, else the last close)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ChargeFunding(in BarRow bar)
    {
        var units = _account.Units;
        var rate = bar.FundingRate;
        foreach (var i in _account.Held)
        {
            if (double.IsNaN(rate[i]))
                continue;
            var price = !double.IsNaN(bar.Open[i]) ? bar.Open[i] : !double.IsNaN(bar.Close[i]) ? bar.Close[i] : _lastClose[i];
            var payment = units[i] * price * rate[i];
            _account.Pay(payment);
            if (_journal)
                _funding.Add((bar.Time, i, payment));
            Events.On(new VenueEvent(VenueEventKind.Funding, i, Amount: payment));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Execute(in WorkingOrder order, double quantity, double price, double fee, bool maker)
    {
        _account.Fill(order.Asset, quantity, price, fee);
        if (_journal)
            _executions.Add(new SimulatedExecution(_time, order.Asset, quantity, price, fee, maker, order.ClientOrderId));
        if (order.ClientOrderId is { } id && _orders.TryGetValue(id, out var record))
            record.Filled(quantity, price, _time);
        Events.On(new VenueEvent(VenueEventKind.Fill, order.Asset, quantity, price, fee, maker, order.Purpose));
    }

    private void Reject(in WorkingOrder order, string why)
    {
        if (order.ClientOrderId is { } id && _orders.TryGetValue(id, out var record))
            record.End(OrderStatus.Rejected, _time, why);
        Events.On(new VenueEvent(VenueEventKind.Rejected, order.Asset, order.Quantity, Purpose: order.Purpose));
    }

    private void Finish(in WorkingOrder order, OrderStatus status)
    {
        if (order.ClientOrderId is { } id && _orders.TryGetValue(id, out var record))
            record.End(status, _time);
    }

    // why the instrument's filters refuse an order: a limit at its price, others at the last close
    private string? Refusal(in WorkingOrder order)
    {
        var price = order.Type == OrderType.Limit ? order.Ladder.Price(order.Side, order.Ladder.Offset) : double.NaN;
        return _filters[order.Asset].Refusal(order.Quantity, price, _lastClose[order.Asset], order.ReduceOnly);
    }

    // IExchange: the venue surface of paper and live runners, over the same state

    /// <inheritdoc />
    public string Venue => "simulated";

    /// <inheritdoc />
    public DateTimeOffset Now => DateTimeOffset.FromUnixTimeMilliseconds(_bar < 0 ? 0 : _time + _barMilliseconds);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Instrument>> Instruments(CancellationToken cancel = default) => new(_instruments);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<VenueBar>> Bars(string symbol, Interval interval, long from, long to, CancellationToken cancel = default)
    {
        var asset = AssetOf(symbol);
        if (_history is null)
            throw new ExchangeError("the simulated venue was given no bar history", ExchangeErrorKind.Rejected);
        if (interval != _history.Interval)
            throw new ExchangeError($"the simulated venue has {_history.Interval} bars, not {interval}", ExchangeErrorKind.Rejected);
        var a = _history.AssetCount;
        var bars = new List<VenueBar>();
        for (var t = 0; t <= Math.Min(_bar, _history.TimeCount - 1); t++)
        {
            var time = _history.Times[t];
            var k = (t * a) + asset;
            if (time < from || time >= to || double.IsNaN(_history.Column("close")[k]))
                continue;
            var volume = _history.HasColumn("volume") ? _history.Column("volume")[k] : double.NaN;
            bars.Add(new VenueBar(symbol, time, _history.Column("open")[k], _history.Column("high")[k], _history.Column("low")[k],
                _history.Column("close")[k], volume));
        }
        return new(bars);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Balance>> Balances(CancellationToken cancel = default)
    {
        var equity = Steps.ToDecimal(_account.Mark(_lastClose, out _, out _));
        return new([new Balance(QuoteAsset, equity, equity)]);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<VenuePosition>> Positions(CancellationToken cancel = default)
    {
        var positions = new List<VenuePosition>();
        for (var i = 0; i < _instruments.Length; i++)
        {
            var units = _account.Units[i];
            if (units != 0)
                positions.Add(new VenuePosition(_instruments[i].Symbol, Steps.ToDecimal(units), Steps.ToDecimal(_account.EntryPrice[i])));
        }
        return new(positions);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<OrderState>> OpenOrders(string? symbol = null, CancellationToken cancel = default) =>
        new([.. _orders.Values.Where(o => !o.State.IsDone && (symbol is null || o.State.Symbol == symbol)).Select(o => o.State)]);

    /// <inheritdoc />
    public ValueTask<OrderState?> Order(string symbol, string clientOrderId, CancellationToken cancel = default) =>
        new(_orders.TryGetValue(clientOrderId, out var o) && o.State.Symbol == symbol ? o.State : null);

    /// <inheritdoc />
    public ValueTask<OrderState> Place(OrderRequest order, CancellationToken cancel = default) => new(Place(order, working: null));

    /// <summary>
    /// Places <paramref name="order"/> as the engine's <paramref name="working"/> order a backtest submits: it lives the next
    /// bar, a limit order quoting along its ladder and, unfilled, falling back to market when it says so (a paper runner's
    /// orders, so that paper fills what the backtest fills). Null <paramref name="working"/>: as a venue takes the request.
    /// </summary>
    public OrderState Place(OrderRequest order, WorkingOrder? working)
    {
        ArgumentNullException.ThrowIfNull(order);
        var asset = AssetOf(order.Symbol);
        if (_orders.ContainsKey(order.ClientOrderId))
            throw new ExchangeError($"client order id '{order.ClientOrderId}' was used before", ExchangeErrorKind.Rejected);
        var record = new OrderRecord(order, Now);
        _orders[order.ClientOrderId] = record;
        if (PlacementRefusal(order, asset) is { } why)
        {
            record.End(OrderStatus.Rejected, _time, why);
            return record.State;
        }
        if (WouldTake(order, asset) is { } taking)
        {
            // a post-only order that would take is not placed (Binance: expired)
            record.End(OrderStatus.Expired, _time, taking);
            return record.State;
        }
        var side = order.Side == OrderSide.Buy ? 1.0 : -1.0;
        _resting.Add(working is { } engine
            ? engine with { Asset = asset, Quantity = side * (double)order.Quantity, ReduceOnly = order.ReduceOnly, ClientOrderId = order.ClientOrderId }
            : new WorkingOrder(asset, side * (double)order.Quantity, order.Type,
                Ladder: order.Price is { } p ? QuoteLadder.At((double)p) : default,
                StopPrice: order.StopPrice is { } s ? (double)s : double.NaN,
                ReduceOnly: order.ReduceOnly,
                GoodTillCancel: order.TimeInForce != TimeInForce.ImmediateOrCancel,
                ClientOrderId: order.ClientOrderId));
        return record.State;
    }

    /// <inheritdoc />
    public ValueTask<OrderState> Cancel(string symbol, string clientOrderId, CancellationToken cancel = default)
    {
        if (!_orders.TryGetValue(clientOrderId, out var record) || record.State.Symbol != symbol)
            throw new ExchangeError($"no order '{clientOrderId}' of {symbol}", ExchangeErrorKind.Rejected);
        if (record.State.IsDone)
            return new(record.State);
        _resting.RemoveAll(o => o.ClientOrderId == clientOrderId);
        record.End(OrderStatus.Canceled, _time);
        return new(record.State);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ExecutionReport>> Executions(string symbol, long since, CancellationToken cancel = default)
    {
        var asset = AssetOf(symbol);
        Journaled();
        var reports = new List<ExecutionReport>();
        // executions are recorded in time order: those since `since` are a tail, found by bisection
        int lo = 0, hi = _executions.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_executions[mid].Time < since)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (var k = lo; k < _executions.Count; k++)
        {
            var e = _executions[k];
            if (e.Asset != asset || e.Time < since)
                continue;
            reports.Add(new ExecutionReport(k.ToString(CultureInfo.InvariantCulture), e.ClientOrderId ?? "", symbol,
                e.Quantity > 0 ? OrderSide.Buy : OrderSide.Sell, Steps.ToDecimal(Math.Abs(e.Quantity)), Steps.ToDecimal(e.Price),
                Steps.ToDecimal(e.Fee), QuoteAsset, e.Maker, DateTimeOffset.FromUnixTimeMilliseconds(e.Time)));
        }
        return new(reports);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<FundingPayment>> Funding(long since, CancellationToken cancel = default)
    {
        Journaled();
        return new([.. _funding.Where(f => f.Time >= since)
            .Select(f => new FundingPayment(_instruments[f.Asset].Symbol, Steps.ToDecimal(f.Amount), QuoteAsset, DateTimeOffset.FromUnixTimeMilliseconds(f.Time)))]);
    }

    private void Journaled()
    {
        if (!_journal)
            throw new ExchangeError("this simulated venue keeps no journal of executions and funding (a backtest's)", ExchangeErrorKind.Rejected);
    }

    private int AssetOf(string symbol) =>
        _assets.TryGetValue(symbol, out var asset) ? asset : throw new ExchangeError($"unknown symbol '{symbol}'", ExchangeErrorKind.Rejected);

    // the checks a venue makes on an order before it accepts it, exactly, in decimals
    private string? PlacementRefusal(OrderRequest order, int asset)
    {
        var x = _instruments[asset];
        var inv = CultureInfo.InvariantCulture;
        if (order.Quantity <= 0)
            return string.Create(inv, $"quantity {order.Quantity} must be positive");
        if (order.Type == OrderType.Limit && order.Price is not > 0)
            return "a limit order needs a positive price";
        if (order.Type is OrderType.StopMarket or OrderType.TakeProfitMarket && order.StopPrice is not > 0)
            return "a stop order needs a positive stop price";
        if (x.StepSize > 0 && order.Quantity % x.StepSize != 0)
            return string.Create(inv, $"quantity {order.Quantity} is not a multiple of the lot size {x.StepSize}");
        if (order.Quantity < x.MinQuantity)
            return string.Create(inv, $"quantity {order.Quantity} is below the minimum {x.MinQuantity}");
        foreach (var price in new[] { order.Price, order.StopPrice })
        {
            if (price is { } p && x.TickSize > 0 && p % x.TickSize != 0)
                return string.Create(inv, $"price {p} is not a multiple of the tick size {x.TickSize}");
        }
        var last = _lastClose[asset];
        var at = order.Price ?? (double.IsNaN(last) ? null : Steps.ToDecimal(last));
        if (!order.ReduceOnly && x.MinNotional > 0 && at is { } reference && order.Quantity * reference < x.MinNotional)
            return string.Create(inv, $"notional {order.Quantity * reference} is below the minimum {x.MinNotional}");
        return null;
    }

    private string? WouldTake(OrderRequest order, int asset)
    {
        var last = _lastClose[asset];
        if (order.TimeInForce != TimeInForce.PostOnly || order.Price is not { } limit || double.IsNaN(last))
            return null;
        var takes = order.Side == OrderSide.Buy ? (double)limit >= last : (double)limit <= last;
        return takes ? string.Create(CultureInfo.InvariantCulture, $"post-only order at {limit} would trade at once against the last price {last}") : null;
    }

    // an order sent through IExchange and what became of it
    private sealed class OrderRecord(OrderRequest request, DateTimeOffset placed)
    {
        private double _filled;
        private double _notional;

        public OrderState State { get; private set; } = new(request.ClientOrderId, request.ClientOrderId, request.Symbol, request.Side, request.Type,
            request.Quantity, 0, request.Price, 0, OrderStatus.New, placed);

        public void Filled(double quantity, double price, long time)
        {
            _filled += Math.Abs(quantity);
            _notional += Math.Abs(quantity) * price;
            var filled = Steps.ToDecimal(_filled);
            State = State with
            {
                FilledQuantity = filled,
                AverageFillPrice = Steps.ToDecimal(_notional / _filled),
                Status = filled >= State.Quantity ? OrderStatus.Filled : OrderStatus.PartiallyFilled,
                UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(time),
            };
        }

        public void End(OrderStatus status, long time, string? reason = null)
        {
            if (!State.IsDone)
                State = State with { Status = status, UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(time), RejectReason = reason };
        }
    }

    private readonly record struct SimulatedExecution(long Time, int Asset, double Quantity, double Price, double Fee, bool Maker, string? ClientOrderId);
}
