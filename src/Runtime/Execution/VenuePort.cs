namespace StrategyLab.Runtime.Execution;

/// <summary>What happened at the venue.</summary>
public enum VenueEventKind : byte
{
    /// <summary>An order filled, in part or in full.</summary>
    Fill,
    /// <summary>An order did not fill in full in its bar: no price, a limit not reached, or a volume cap.</summary>
    Unfilled,
    /// <summary>Funding was paid (or, negative, received) on a position.</summary>
    Funding,
    /// <summary>A position is about to be closed because its asset's prices ended (the close is the next fill).</summary>
    Delisted,
    /// <summary>The account was liquidated: positions closed (the fills before this), a negative balance set to zero.</summary>
    Liquidated,
    /// <summary>An order was refused by the instrument's filters.</summary>
    Rejected,
}

/// <summary>
/// One venue event in the simulation's doubles: for a fill, the asset, signed quantity, price, fee
/// (<see cref="Amount"/>), maker or taker and the order's purpose; for funding, the asset and the
/// payment (<see cref="Amount"/>).
/// </summary>
public readonly record struct VenueEvent(
    VenueEventKind Kind,
    int Asset,
    double Quantity = 0,
    double Price = 0,
    double Amount = 0,
    bool Maker = false,
    OrderPurpose Purpose = OrderPurpose.Rebalance);

/// <summary>Hears a venue's events as they happen, in order (the engine books them in its ledger).</summary>
public interface IVenueEvents
{
    /// <summary>Takes one event.</summary>
    void On(in VenueEvent e);
}

/// <summary>
/// The synchronous side of a venue the engine steps against. The simulated exchange implements it
/// directly (the backtest's fast path: no tasks, no decimals, no allocation per order); a live
/// runner implements it by collecting the orders the engine sends, which it then places through
/// <see cref="IExchange"/> and awaits, feeding the executions and funding back as events. The engine
/// core stays synchronous either way.
/// </summary>
public interface IVenuePort
{
    /// <summary>Sets who hears the venue's events; the engine connects itself when it is made.</summary>
    void Connect(IVenueEvents events);

    /// <summary>The bar trades: resting orders fill against it, positions whose asset stopped trading close, funding is charged.</summary>
    void Open(in BarRow bar);

    /// <summary>Sends an order to rest until the next bar opens.</summary>
    void Submit(in WorkingOrder order);

    /// <summary>
    /// Works an order against <paramref name="quote"/> at once: an order at a bar's close (every price
    /// the close), or an exit that rests through the bar now trading (its open, high and low).
    /// </summary>
    void Match(in WorkingOrder order, in BarQuote quote);

    /// <summary>Closes every position at its last price without fee and sets a negative balance to zero (equity reached zero).</summary>
    void Liquidate();
}
