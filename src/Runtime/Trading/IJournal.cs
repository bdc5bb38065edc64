using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Trading;

/// <summary>
/// A deployment: one strategy (its name and plan content hash) on one venue account. Its key seeds the
/// deterministic client order ids, so a restarted runner finds the orders it sent. <see cref="Session"/>
/// counts the paper sessions of the same strategy (a paper account lives in its process); live runs keep 1.
/// </summary>
public sealed record Deployment(string Strategy, string PlanHash, string Venue, int Session = 1)
{
    /// <summary>The run key of <see cref="ClientOrderIds.For"/>, e.g. <c>momentum:3f9a…:binance-usdm:1</c>.</summary>
    public string Key => $"{Strategy}:{PlanHash}:{Venue}:{Session}";
}

/// <summary>
/// Where an order is in the journal: <see cref="Pending"/> is written before it is sent, so an order
/// of unknown fate is one still pending; <see cref="Unsent"/> is a pending order the venue never received
/// that a restart decided not to send (its decision was stale); the rest mirror <see cref="OrderStatus"/>.
/// </summary>
public enum JournalOrderStatus
{
    /// <summary>Journaled, not known to have reached the venue.</summary>
    Pending,
    /// <summary>Never received by the venue and not to be sent any more.</summary>
    Unsent,
    /// <summary>Accepted and resting.</summary>
    New,
    /// <summary>Resting with part filled.</summary>
    PartiallyFilled,
    /// <summary>Filled in full.</summary>
    Filled,
    /// <summary>Cancelled, possibly after partial fills.</summary>
    Canceled,
    /// <summary>Refused by the venue.</summary>
    Rejected,
    /// <summary>Ended by the venue.</summary>
    Expired,
}

/// <summary>Properties of <see cref="JournalOrderStatus"/>.</summary>
public static class JournalOrderStatuses
{
    /// <summary>Returns the journal status of a venue status.</summary>
    public static JournalOrderStatus Of(OrderStatus status) => status switch
    {
        OrderStatus.New => JournalOrderStatus.New,
        OrderStatus.PartiallyFilled => JournalOrderStatus.PartiallyFilled,
        OrderStatus.Filled => JournalOrderStatus.Filled,
        OrderStatus.Canceled => JournalOrderStatus.Canceled,
        OrderStatus.Rejected => JournalOrderStatus.Rejected,
        OrderStatus.Expired => JournalOrderStatus.Expired,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown order status"),
    };

    /// <summary>True once the order can neither fill nor be sent.</summary>
    public static bool IsDone(this JournalOrderStatus status) =>
        status is JournalOrderStatus.Unsent or JournalOrderStatus.Filled or JournalOrderStatus.Canceled or JournalOrderStatus.Rejected
            or JournalOrderStatus.Expired;
}

/// <summary>What the engine wanted for one asset at one bar's close: the signed quantity, the target weight and why.</summary>
public sealed record JournalIntent(long BarTime, string Symbol, OrderPurpose Purpose, double Target, double Quantity, double ReferencePrice);

/// <summary>An order as the journal holds it: the request sent (or to be sent) and what the venue said of it.</summary>
public sealed record JournalOrder(
    long BarTime,
    OrderRequest Request,
    OrderPurpose Purpose,
    JournalOrderStatus Status,
    string? VenueOrderId = null,
    decimal FilledQuantity = 0,
    decimal AverageFillPrice = 0,
    string? Reason = null)
{
    /// <summary>
    /// The venue's time (to the millisecond) when its placement was answered, from which a quote rests its patience; for a
    /// resting order whose answer was lost, the venue's time of its last update read at reconciliation. Null when unknown.
    /// </summary>
    public DateTimeOffset? Placed { get; init; }

    /// <summary>Cancelled by the execution policy to be re-quoted: its next attempt is owed what it left unfilled.</summary>
    public bool Requoted { get; init; }
}

/// <summary>
/// A fill of the deployment (from an order of its own, or <see cref="Adopted"/>: a position found at the
/// venue and taken over), signed quantity (+ buy).
/// </summary>
public sealed record JournalFill(string TradeId, string? ClientOrderId, string Symbol, decimal Quantity, decimal Price, decimal Fee, string FeeAsset,
    DateTimeOffset Time, bool Adopted = false);

/// <summary>The state after a bar's step: the bar decided, equity by the engine's book and whether trading stopped for good.</summary>
public sealed record JournalStep(long BarTime, double Equity, bool Stopped)
{
    /// <summary>What a restarted runner takes up (null in journals written before it was kept).</summary>
    public RunnerState? State { get; init; }
}

/// <summary>
/// What a runner remembers after a step, so that a restarted one decides as an uninterrupted one: the engine's state, how
/// many of the deployment's journaled fills the engine had booked (<see cref="FillsJournaled"/>, less those
/// <see cref="Deferred"/>: fills of orders decided at a bar not stepped yet, kept for the step after it) and the time funding
/// was read up to.
/// </summary>
public sealed record RunnerState(EngineState Engine, int FillsJournaled, IReadOnlyList<(string Symbol, string TradeId)> Deferred, long FundingSince);

/// <summary>
/// The record of a deployment's trading, kept so that a restarted runner knows what it sent and holds:
/// intents, orders (each written with its deterministic client order id BEFORE it is sent), the venue's
/// answers, fills, positions after each step and the steps done. Each write is one transaction, so a
/// process killed at any point leaves the journal as it was before or after the write, never between; an order's
/// write is on disk before it returns, so that it is before the order is sent.
/// </summary>
public interface IJournal : IDisposable
{
    /// <summary>The deployment's session to use: the last one of <paramref name="deployment"/>, or a new one when <paramref name="fresh"/>.</summary>
    Deployment Open(Deployment deployment, bool fresh);

    /// <summary>Records an intent (again: no change).</summary>
    void RecordIntent(Deployment deployment, JournalIntent intent);

    /// <summary>Records an order as <see cref="JournalOrderStatus.Pending"/> before it is sent; false when its client id is already journaled.</summary>
    bool RecordOrder(Deployment deployment, JournalOrder order);

    /// <summary>
    /// Records a step's <paramref name="intents"/> and its <paramref name="orders"/> as <see cref="JournalOrderStatus.Pending"/> in one
    /// transaction, on disk before it returns, before any is sent; for each order, false when its client id is already journaled.
    /// </summary>
    bool[] RecordOrders(Deployment deployment, IReadOnlyList<JournalIntent> intents, IReadOnlyList<JournalOrder> orders);

    /// <summary>Records what the venue says of an order (an answer to its placement, a lookup, an update).</summary>
    void RecordOrderState(Deployment deployment, OrderState state);

    /// <summary>Records the venue's answer to an order's placement and the venue's time it was placed (<see cref="JournalOrder.Placed"/>).</summary>
    void RecordPlacement(Deployment deployment, OrderState state, DateTimeOffset placed);

    /// <summary>Records the venue's answer to the cancel of a quote the execution policy re-quotes (<see cref="JournalOrder.Requoted"/>).</summary>
    void RecordRequote(Deployment deployment, OrderState state);

    /// <summary>Marks a pending order the venue never received as <see cref="JournalOrderStatus.Unsent"/>.</summary>
    void MarkUnsent(Deployment deployment, string clientOrderId, string reason);

    /// <summary>Records a fill; false when its trade id is already journaled.</summary>
    bool RecordFill(Deployment deployment, JournalFill fill);

    /// <summary>
    /// Records what a step read from the venue at its start, in one transaction: the orders' <paramref name="states"/> and the
    /// <paramref name="fills"/>; for each fill, false when its trade id is already journaled.
    /// </summary>
    bool[] RecordSettlement(Deployment deployment, IReadOnlyList<OrderState> states, IReadOnlyList<JournalFill> fills);

    /// <summary>Records the book after a step and the step itself, in one transaction.</summary>
    void RecordStep(Deployment deployment, JournalStep step, IReadOnlyList<VenuePosition> book);

    /// <summary>Records something the reader must see later (a reconciliation finding, an alert).</summary>
    void RecordEvent(Deployment deployment, DateTimeOffset time, string kind, string message);

    /// <summary>Every order of the deployment, in the order they were journaled.</summary>
    IReadOnlyList<JournalOrder> Orders(Deployment deployment);

    /// <summary>Every fill of the deployment, in the order they were journaled.</summary>
    IReadOnlyList<JournalFill> Fills(Deployment deployment);

    /// <summary>Every intent of the deployment, in the order they were journaled.</summary>
    IReadOnlyList<JournalIntent> Intents(Deployment deployment);

    /// <summary>The last step recorded, or null before the first.</summary>
    JournalStep? LastStep(Deployment deployment);

    /// <summary>The events recorded, oldest first, as (kind, message).</summary>
    IReadOnlyList<(string Kind, string Message)> Events(Deployment deployment);

    /// <summary>Records a promotion.</summary>
    void RecordPromotion(Promotion promotion);

    /// <summary>The promotions of <paramref name="strategy"/>, oldest first.</summary>
    IReadOnlyList<Promotion> Promotions(string strategy);

    /// <summary>The paper deployments of <paramref name="strategy"/> under <paramref name="deploymentHash"/> that stepped at least one bar.</summary>
    IReadOnlyList<Deployment> PaperSessions(string strategy, string deploymentHash);
}
