using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Execution;

/// <summary>Buy or sell.</summary>
public enum OrderSide
{
    /// <summary>Buy: adds to a long, reduces a short.</summary>
    Buy,
    /// <summary>Sell: adds to a short, reduces a long.</summary>
    Sell,
}

/// <summary>How an order trades.</summary>
public enum OrderType
{
    /// <summary>At the best price available now (taker).</summary>
    Market,
    /// <summary>At the limit price or better.</summary>
    Limit,
    /// <summary>A market order sent when the mark trades through the stop price (stop-loss exits).</summary>
    StopMarket,
    /// <summary>
    /// A market order sent when the price reaches the stop price in the position's favour (take-profit
    /// exits: a sell above the market, a buy below it; Binance TAKE_PROFIT_MARKET).
    /// </summary>
    TakeProfitMarket,
}

/// <summary>How long an order rests.</summary>
public enum TimeInForce
{
    /// <summary>Until filled or cancelled.</summary>
    GoodTillCancel,
    /// <summary>Post-only: rejected (or expired) if it would trade at once, so it only ever makes (Binance GTX).</summary>
    PostOnly,
    /// <summary>Fills what it can at once and cancels the rest.</summary>
    ImmediateOrCancel,
}

/// <summary>Where an order is in its life at the venue.</summary>
public enum OrderStatus
{
    /// <summary>Accepted and resting (or about to trade).</summary>
    New,
    /// <summary>Resting with part filled.</summary>
    PartiallyFilled,
    /// <summary>Filled in full.</summary>
    Filled,
    /// <summary>Cancelled, possibly after partial fills.</summary>
    Canceled,
    /// <summary>Refused by the venue (filters, margin, a post-only order that would take).</summary>
    Rejected,
    /// <summary>Ended by the venue (time in force, post-only expiry).</summary>
    Expired,
}

/// <summary>
/// A tradable contract and the venue's filters an order must pass: prices on multiples of
/// <see cref="TickSize"/>, quantities on multiples of <see cref="StepSize"/> and at least
/// <see cref="MinQuantity"/>, notional (price × quantity) at least <see cref="MinNotional"/>; 0 means no filter.
/// </summary>
public sealed record Instrument(
    string Symbol,
    string BaseAsset,
    string QuoteAsset,
    decimal TickSize,
    decimal StepSize,
    decimal MinQuantity,
    decimal MinNotional,
    int MaxLeverage);

/// <summary>
/// An order as the runtime sends it. <see cref="ClientOrderId"/> is deterministic (the same decision
/// gives the same id), so a restarted runner finds the orders it sent; it is journaled before sending.
/// Quantities and prices are decimals already on the instrument's steps (see <see cref="Instrument"/>).
/// </summary>
public sealed record OrderRequest(
    string ClientOrderId,
    string Symbol,
    OrderSide Side,
    OrderType Type,
    decimal Quantity,
    decimal? Price = null,
    decimal? StopPrice = null,
    TimeInForce TimeInForce = TimeInForce.GoodTillCancel,
    bool ReduceOnly = false);

/// <summary>An order as the venue reports it.</summary>
public sealed record OrderState(
    string ClientOrderId,
    string? VenueOrderId,
    string Symbol,
    OrderSide Side,
    OrderType Type,
    decimal Quantity,
    decimal FilledQuantity,
    decimal? Price,
    decimal AverageFillPrice,
    OrderStatus Status,
    DateTimeOffset UpdatedAt,
    string? RejectReason = null)
{
    /// <summary>True once the order can no longer fill.</summary>
    public bool IsDone => Status is OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Rejected or OrderStatus.Expired;
}

/// <summary>One execution of an order; <see cref="Fee"/> is paid in <see cref="FeeAsset"/> (negative for a rebate).</summary>
public sealed record ExecutionReport(
    string TradeId,
    string ClientOrderId,
    string Symbol,
    OrderSide Side,
    decimal Quantity,
    decimal Price,
    decimal Fee,
    string FeeAsset,
    bool Maker,
    DateTimeOffset Time);

/// <summary>A position: signed quantity (long &gt; 0), average entry price, and when it was opened if the venue says.</summary>
public sealed record VenuePosition(string Symbol, decimal Quantity, decimal EntryPrice, DateTimeOffset? OpenedAt = null);

/// <summary>
/// A venue account that can hold a long and a short position in one symbol at once (hedge mode) and must be told to keep
/// one position per symbol, as the engine trades. Setting the mode it already has succeeds.
/// </summary>
public interface IOneWayAccount
{
    /// <summary>Sets the account to one-way position mode.</summary>
    ValueTask UseOneWayMode(CancellationToken cancel = default);
}

/// <summary>An account balance: everything held, and what is free for new orders.</summary>
public sealed record Balance(string Asset, decimal Total, decimal Available);

/// <summary>A funding payment: positive when paid, negative when received.</summary>
public sealed record FundingPayment(string Symbol, decimal Amount, string Asset, DateTimeOffset Time);

/// <summary>A closed bar of one instrument.</summary>
public sealed record VenueBar(string Symbol, long OpenTime, double Open, double High, double Low, double Close, double Volume);

/// <summary>
/// A venue as the runtime sees it: instruments with their filters, bars, the account (balances,
/// positions, open orders), order placement and cancellation, executions and funding. The runtime
/// knows no venue: Binance, Bybit, MEXC and the simulated exchange of backtests and paper trading
/// all implement this, and the execution engine talks to nothing else. Every method may fail with
/// an <see cref="ExchangeError"/> that says what went wrong in one line; none retries a placement
/// on its own (the caller reconciles by client order id instead).
/// </summary>
public interface IExchange
{
    /// <summary>The venue's name, e.g. <c>binance-usdm</c>, <c>simulated</c>.</summary>
    string Venue { get; }

    /// <summary>The venue's current time as best known (server-time offset applied).</summary>
    DateTimeOffset Now { get; }

    /// <summary>Every tradable instrument with its filters.</summary>
    ValueTask<IReadOnlyList<Instrument>> Instruments(CancellationToken cancel = default);

    /// <summary>Closed bars of <paramref name="symbol"/> opening in [<paramref name="from"/>, <paramref name="to"/>), oldest first.</summary>
    ValueTask<IReadOnlyList<VenueBar>> Bars(string symbol, Interval interval, long from, long to, CancellationToken cancel = default);

    /// <summary>The account's balances.</summary>
    ValueTask<IReadOnlyList<Balance>> Balances(CancellationToken cancel = default);

    /// <summary>Open positions (non-zero quantities only).</summary>
    ValueTask<IReadOnlyList<VenuePosition>> Positions(CancellationToken cancel = default);

    /// <summary>Orders still resting, of one symbol or (null) all.</summary>
    ValueTask<IReadOnlyList<OrderState>> OpenOrders(string? symbol = null, CancellationToken cancel = default);

    /// <summary>An order by its client id, or null when the venue never received it.</summary>
    ValueTask<OrderState?> Order(string symbol, string clientOrderId, CancellationToken cancel = default);

    /// <summary>Sends an order; the venue's answer (which may be <see cref="OrderStatus.Rejected"/>).</summary>
    ValueTask<OrderState> Place(OrderRequest order, CancellationToken cancel = default);

    /// <summary>Cancels a resting order by client id; its final state.</summary>
    ValueTask<OrderState> Cancel(string symbol, string clientOrderId, CancellationToken cancel = default);

    /// <summary>Executions of <paramref name="symbol"/> since <paramref name="since"/> (Unix ms), oldest first.</summary>
    ValueTask<IReadOnlyList<ExecutionReport>> Executions(string symbol, long since, CancellationToken cancel = default);

    /// <summary>Funding paid or received since <paramref name="since"/> (Unix ms), oldest first.</summary>
    ValueTask<IReadOnlyList<FundingPayment>> Funding(long since, CancellationToken cancel = default);
}

/// <summary>What a venue refused or could not do, in one line (never with keys or signatures in it).</summary>
/// <param name="message">The line to show.</param>
/// <param name="kind">What kind of failure, so the caller knows whether to retry, reconcile or stop.</param>
public sealed class ExchangeError(string message, ExchangeErrorKind kind) : Exception(message)
{
    /// <summary>What kind of failure.</summary>
    public ExchangeErrorKind Kind { get; } = kind;
}

/// <summary>Kinds of venue failure, by what the caller should do next.</summary>
public enum ExchangeErrorKind
{
    /// <summary>The request was refused and will be refused again as it is (bad symbol, filter, margin): stop and say why.</summary>
    Rejected,
    /// <summary>Rate limited or the venue is busy: wait and retry.</summary>
    Throttled,
    /// <summary>No answer or the connection dropped: the request may or may not have reached the venue; reconcile before retrying.</summary>
    Unknown,
    /// <summary>The venue said it failed on its side (5xx): retry after a pause.</summary>
    VenueFailure,
    /// <summary>The venue refused the keys (wrong key or secret, expired key, missing permission, IP not allowed): fix them; nothing passes until then.</summary>
    Authentication,
}
