using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Conformance;

/// <summary>
/// What a test can make a fake venue do, in venue-independent terms: the book, trades on the tape, funding, closed
/// bars, the faults of its network and its streams, and what it holds afterwards. Each venue's fake implements it, so
/// one conformance suite drives every venue client.
/// </summary>
public interface IVenueScript
{
    /// <summary>The symbol the suite trades: price tick 0.1, quantity step 0.001, minimum 0.001, minimum notional <see cref="MinNotional"/>, at 20x leverage.</summary>
    string Symbol { get; }

    /// <summary>A second symbol for the restart tests, which trade two: price tick 0.01, quantity step 0.001 or coarser, at 20x.</summary>
    string SecondSymbol { get; }

    /// <summary>The symbol's minimum notional: 5, or 0 on a venue that has no such filter (MEXC).</summary>
    decimal MinNotional => 5m;

    /// <summary>The margin asset, e.g. USDT.</summary>
    string MarginAsset { get; }

    /// <summary>The wallet balance the account starts with.</summary>
    decimal StartingBalance { get; }

    /// <summary>The maker and taker fee rates the venue charges.</summary>
    (decimal Maker, decimal Taker) Fees { get; }

    /// <summary>The API key and secret the venue accepts (to check that no message shows them).</summary>
    (string Key, string Secret) Keys { get; }

    /// <summary>Where the venue answers HTTP, and the base its websockets are opened under.</summary>
    (Uri Http, Uri Streams) Addresses { get; }

    /// <summary>
    /// Whether the venue refuses an order for its rate before doing anything with it, so that its client may send the
    /// same order again after the wait it names (Bybit's 10006); where it is not so documented, the order is not sent
    /// again and the refusal reaches the caller.
    /// </summary>
    bool RefusesOrdersForRateBeforeActing => false;

    /// <summary>Sets the venue's clock (by default the machine's).</summary>
    void UseClock(Func<DateTimeOffset> now);

    /// <summary>Sets a symbol's book: bid and ask levels in base-asset quantities, best first.</summary>
    Task SetBook(string symbol, (decimal Price, decimal Quantity)[] bids, (decimal Price, decimal Quantity)[] asks);

    /// <summary>A trade on the tape of <see cref="Symbol"/>: resting orders it reaches fill, stops it reaches fire.</summary>
    Task Trade(decimal price, decimal quantity);

    /// <summary>Funding on <see cref="Symbol"/> at <paramref name="rate"/> on the position's notional at <paramref name="markPrice"/>.</summary>
    Task PayFunding(decimal rate, decimal markPrice);

    /// <summary>A closed one-minute bar of <see cref="Symbol"/> opening at <paramref name="openTime"/>, served over REST.</summary>
    void AddClosedBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume);

    /// <summary>
    /// A one-minute bar of <see cref="Symbol"/> pushed on the market stream, closed or still open where the venue says
    /// which (a venue that does not tells a bar closed by a push of a later one).
    /// </summary>
    Task PushBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume, bool closed);

    /// <summary>Makes the next <paramref name="times"/> requests of <paramref name="call"/> fail with <paramref name="fault"/>.</summary>
    void FailNext(VenueCall call, VenueFault fault, int times = 1);

    /// <summary>How many requests of <paramref name="call"/> the venue received.</summary>
    int Received(VenueCall call);

    /// <summary>How many times the venue was asked for the order with client id <paramref name="clientOrderId"/>.</summary>
    int LookUps(string clientOrderId);

    /// <summary>How many market streams of <see cref="Symbol"/>'s one-minute bars were opened and subscribed, ever.</summary>
    int MarketSubscriptions { get; }

    /// <summary>Drops every market stream without a close handshake.</summary>
    void DropMarketStreams();

    /// <summary>How many private (account) streams were opened and authenticated, ever.</summary>
    int AccountSessions { get; }

    /// <summary>
    /// Ends the account stream's session as the venue does: Binance expires the listen key (the stream says
    /// listenKeyExpired); Bybit and MEXC, which have none, close the socket.
    /// </summary>
    Task ExpireAccountSession();

    /// <summary>Drops every account stream without a close handshake.</summary>
    void DropAccountStreams();

    /// <summary>Every order the venue accepted, oldest first, as it stands now.</summary>
    IReadOnlyList<VenueOrder> Orders();

    /// <summary>The signed position the venue holds in <paramref name="symbol"/>, in the base asset.</summary>
    decimal Position(string symbol);
}

/// <summary>A request a client makes of a venue, named by what it does.</summary>
public enum VenueCall
{
    /// <summary>The account's balances.</summary>
    Balances,

    /// <summary>The account's positions.</summary>
    Positions,

    /// <summary>The orders resting.</summary>
    OpenOrders,

    /// <summary>Placing an order.</summary>
    PlaceOrder,

    /// <summary>Looking an order up by its client id.</summary>
    OrderLookup,
}

/// <summary>How a venue fails a request.</summary>
public enum VenueFaultKind
{
    /// <summary>Refused for its rate, saying how long to wait (its own signal: a status and a header, or a code and a reset time).</summary>
    RateLimited,

    /// <summary>An HTTP 5xx answer.</summary>
    ServerError,

    /// <summary>No answer at all: the client's request timeout ends it.</summary>
    Timeout,

    /// <summary>The connection closed without an answer.</summary>
    DropConnection,
}

/// <summary>
/// A scripted failure of one request. With <see cref="AnswerLost"/> the venue carries the request out first (an order
/// is placed) and only then fails to answer; without, it fails before doing anything.
/// </summary>
public sealed record VenueFault(VenueFaultKind Kind, TimeSpan RetryAfter = default, bool AnswerLost = false)
{
    public static VenueFault ServerError { get; } = new(VenueFaultKind.ServerError);

    public static VenueFault Timeout { get; } = new(VenueFaultKind.Timeout);

    public static VenueFault DropConnection { get; } = new(VenueFaultKind.DropConnection);

    public static VenueFault RateLimited(TimeSpan retryAfter) => new(VenueFaultKind.RateLimited, retryAfter);

    /// <summary>The same fault after the venue carried the request out.</summary>
    public VenueFault AfterActing() => this with { AnswerLost = true };
}

/// <summary>An order as the venue holds it: status in the runtime's terms, quantity filled in the base asset.</summary>
public sealed record VenueOrder(string ClientOrderId, string Symbol, OrderStatus Status, decimal Executed);
