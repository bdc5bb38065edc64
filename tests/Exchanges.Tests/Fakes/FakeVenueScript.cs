using StrategyLab.Exchanges.Tests.Conformance;

namespace StrategyLab.Exchanges.Tests.Fakes;

/// <summary>
/// The part of an <see cref="IVenueScript"/> every fake on <see cref="FakeVenueHost"/> shares: a call is a method and a
/// path at the venue (<see cref="Route"/>), and its faults are the host's, but for the venue's own way of refusing a
/// request for its rate (<see cref="RateLimited"/>).
/// </summary>
internal abstract class FakeVenueScript(FakeVenueHost host) : IVenueScript
{
    public abstract string Symbol { get; }

    public abstract string SecondSymbol { get; }

    public virtual decimal MinNotional => 5m;

    public virtual bool RefusesOrdersForRateBeforeActing => false;

    public string MarginAsset => "USDT";

    public decimal StartingBalance => 10_000m;

    public abstract (decimal Maker, decimal Taker) Fees { get; }

    public abstract (string Key, string Secret) Keys { get; }

    public (Uri Http, Uri Streams) Addresses => (host.RestBase, host.StreamBase);

    public abstract int MarketSubscriptions { get; }

    public abstract int AccountSessions { get; }

    protected FakeVenueHost Host => host;

    public abstract void UseClock(Func<DateTimeOffset> now);

    public abstract Task SetBook(string symbol, (decimal Price, decimal Quantity)[] bids, (decimal Price, decimal Quantity)[] asks);

    public abstract Task Trade(decimal price, decimal quantity);

    public abstract Task PayFunding(decimal rate, decimal markPrice);

    public abstract void AddClosedBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume);

    public abstract Task PushBar(long openTime, decimal open, decimal high, decimal low, decimal close, decimal volume, bool closed);

    public abstract int LookUps(string clientOrderId);

    public abstract void DropMarketStreams();

    public abstract Task ExpireAccountSession();

    public abstract void DropAccountStreams();

    public abstract IReadOnlyList<VenueOrder> Orders();

    public abstract decimal Position(string symbol);

    public void FailNext(VenueCall call, VenueFault fault, int times = 1)
    {
        var (method, path) = Route(call);
        host.Fail(path, Injected(fault), times, method);
    }

    public int Received(VenueCall call)
    {
        var (method, path) = Route(call);
        return host.RequestsTo(method, path).Count;
    }

    /// <summary>The method and path of <paramref name="call"/> at this venue (a path ending in <c>*</c>: every path it starts).</summary>
    protected abstract (string Method, string Path) Route(VenueCall call);

    /// <summary>This venue's refusal of a request for its rate, naming a wait of <paramref name="retryAfter"/>.</summary>
    protected abstract InjectedFault RateLimited(TimeSpan retryAfter);

    private InjectedFault Injected(VenueFault fault) => fault.Kind switch
    {
        VenueFaultKind.RateLimited => RateLimited(fault.RetryAfter),
        VenueFaultKind.ServerError => InjectedFault.ServerError(fault.AnswerLost),
        VenueFaultKind.Timeout => InjectedFault.Timeout(fault.AnswerLost),
        VenueFaultKind.DropConnection => InjectedFault.DropConnection(fault.AnswerLost),
        _ => throw new ArgumentOutOfRangeException(nameof(fault), fault.Kind, "unknown fault"),
    };
}
