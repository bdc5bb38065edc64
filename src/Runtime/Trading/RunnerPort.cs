using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Trading;

/// <summary>
/// The engine's venue in a runner: the orders the engine sends are collected for the runner to journal and
/// place through <see cref="IExchange"/>, and the executions and funding the runner read from the venue are
/// handed to the engine when the next bar opens. An exit worked within a bar (<see cref="Match"/>) that the bar reached
/// goes out as a market order at once: a live venue cannot fill in the past.
/// </summary>
internal sealed class RunnerPort : IVenuePort
{
    private readonly List<VenueEvent> _queued = [];
    private readonly List<WorkingOrder> _orders = [];
    private readonly HashSet<int> _closing = [];
    private IVenueEvents? _events;

    /// <summary>True when the engine liquidated the account in the last step (equity reached zero).</summary>
    public bool Liquidated { get; private set; }

    public void Connect(IVenueEvents events) => _events = events;

    /// <summary>Queues an event the venue reported, for the next bar's open.</summary>
    public void Enqueue(in VenueEvent e) => _queued.Add(e);

    /// <summary>Books an event at once (a position taken over at start).</summary>
    public void Book(in VenueEvent e) => Events.On(e);

    public void Open(in BarRow bar)
    {
        foreach (var e in _queued)
            Events.On(e);
        _queued.Clear();
    }

    public void Submit(in WorkingOrder order)
    {
        // a position an exit closes at market this step is decided again at the next bar, from the book the exit leaves:
        // an order sized on the position before it would trade against the exit
        if (!_closing.Contains(order.Asset))
            _orders.Add(order);
    }

    public void Match(in WorkingOrder order, in BarQuote quote)
    {
        // the bar has closed: an exit it reached is taken at once, one it did not rests for nothing
        if (order.Type is OrderType.StopMarket or OrderType.TakeProfitMarket && !BarFillModel.Triggers(order, quote))
            return;
        if (_closing.Add(order.Asset))
            _orders.Add(order with { Type = OrderType.Market });
    }

    public void Liquidate() => Liquidated = true;

    /// <summary>Returns and forgets the orders sent since the last call.</summary>
    public List<WorkingOrder> TakeOrders()
    {
        var orders = _orders.ToList();
        _orders.Clear();
        _closing.Clear();
        Liquidated = false;
        return orders;
    }

    private IVenueEvents Events => _events ?? throw new InvalidOperationException("the runner's venue is not connected to an engine");
}

/// <summary>A market that trades each bar before the runner reads the venue: the paper exchange.</summary>
public interface IBarMarket
{
    /// <summary>The bar trades: orders resting at the venue fill against it, funding is charged.</summary>
    void Trade(in BarRow bar);

    /// <summary>
    /// Places <paramref name="request"/>, the engine's <paramref name="order"/>, as a backtest works it in the next bar (a
    /// limit order's quotes and market fallback, a life of one bar).
    /// </summary>
    OrderState Place(OrderRequest request, in WorkingOrder order);
}

/// <summary>
/// Paper trading's venue: a <see cref="SimulatedExchange"/> (its <see cref="IExchange"/> face is what the runner
/// trades against) with the fill, fee and slippage models a backtest of the same options uses, traded bar by bar.
/// </summary>
public sealed class PaperMarket : IBarMarket, IVenueEvents
{
    /// <summary>A paper account of <paramref name="options"/>' capital trading <paramref name="instruments"/> on bars of <paramref name="bar"/>.</summary>
    public PaperMarket(IReadOnlyList<Instrument> instruments, LedgerOptions options, Interval bar)
    {
        ArgumentNullException.ThrowIfNull(options);
        Exchange = new SimulatedExchange(instruments, options.InitialCapital, bar, LedgerBacktest.FillModel(options), LedgerBacktest.FeeModel(options));
        Exchange.Connect(this);
    }

    /// <summary>The paper venue.</summary>
    public SimulatedExchange Exchange { get; }

    /// <inheritdoc />
    public void Trade(in BarRow bar) => Exchange.Open(bar);

    /// <inheritdoc />
    public OrderState Place(OrderRequest request, in WorkingOrder order) => Exchange.Place(request, order);

    // the venue keeps its own account; the runner reads it through IExchange
    void IVenueEvents.On(in VenueEvent e)
    {
    }
}
