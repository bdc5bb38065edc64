using StrategyLab.Runtime.Execution;
using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Tests.Conformance;

/// <summary>
/// A wrong signature, and every fault of the network: each is either retried (after the wait the venue named, and an
/// order never sent twice: one whose answer was lost is looked up by its client id) or reaches the caller as the
/// documented <see cref="ExchangeError"/> kind. The clients here run on a virtual clock, so every wait they chose is
/// recorded and none is really waited; an unanswered request is the one real wait (a second's timeout).
/// </summary>
public abstract partial class ExchangeConformance
{
    private const string WrongKey = "conformance-wrong-key-fedcba9876543210";
    private const string WrongSecret = "conformance-wrong-secret-0123456789abcdef";

    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(1);

    public static TheoryData<VenueFaultKind> LostAnswers => [VenueFaultKind.ServerError, VenueFaultKind.Timeout, VenueFaultKind.DropConnection];

    private OrderRequest RestingBuy(string id) => Limit(id, OrderSide.Buy, 0.5m, 99.5m);

    // a client on a virtual clock, which the venue's clock follows from now on; a test of an unanswered request gives
    // it a short timeout (a real wait), the others the settings' long one, which a loaded machine never reaches
    private async Task<(IExchange Exchange, VirtualTimeProvider Clock)> ClientOnAVirtualClock(int maxRetries = 4, bool shortTimeout = false)
    {
        var clock = new VirtualTimeProvider(new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero));
        Venue.UseClock(clock.GetUtcNow);
        var settings = new ClientSettings { Time = clock, MaxRetries = maxRetries };
        var client = await Connect(shortTimeout ? settings with { RequestTimeout = ShortTimeout } : settings);
        return (client.Exchange, clock);
    }

    private static VenueFault Fault(VenueFaultKind kind) => kind switch
    {
        VenueFaultKind.ServerError => VenueFault.ServerError,
        VenueFaultKind.Timeout => VenueFault.Timeout,
        VenueFaultKind.DropConnection => VenueFault.DropConnection,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a fault of a lost answer"),
    };

    private void AssertOneLineWithoutKeys(ExchangeError e)
    {
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\r', e.Message);
        foreach (var secret in new[] { Venue.Keys.Key, Venue.Keys.Secret, WrongKey, WrongSecret })
        {
            Assert.DoesNotContain(secret, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AWrongSecretIsRefusedAsAnAuthenticationFailureThatShowsNeitherKeyNorSecret()
    {
        var client = await Connect(new ClientSettings { Secret = WrongSecret });

        var read = await Assert.ThrowsAsync<ExchangeError>(async () => await client.Exchange.Balances());
        var order = await Assert.ThrowsAsync<ExchangeError>(async () => await client.Exchange.Place(RestingBuy("c-unsigned")));

        foreach (var e in new[] { read, order })
        {
            Assert.Equal(ErrorKind.Authentication, e.Kind);
            AssertOneLineWithoutKeys(e);
        }

        // refused, so neither retried nor resent, and nothing placed
        Assert.Equal((1, 1), (Venue.Received(VenueCall.Balances), Venue.Received(VenueCall.PlaceOrder)));
        Assert.Empty(Venue.Orders());
    }

    [Fact]
    public async Task AReadRefusedForRateWaitsWhatTheVenueNamedThenSucceeds()
    {
        var (exchange, clock) = await ClientOnAVirtualClock();
        Venue.FailNext(VenueCall.Balances, VenueFault.RateLimited(TimeSpan.FromSeconds(7)));

        var balance = Assert.Single(await exchange.Balances(), b => b.Asset == Venue.MarginAsset);

        Assert.Equal(Venue.StartingBalance, balance.Total);

        // one wait, the 7 s named (a reset time on the venue's clock is read to the millisecond)
        var wait = Assert.Single(clock.Delays);
        Assert.InRange(wait, TimeSpan.FromSeconds(6.99), TimeSpan.FromSeconds(7));
        Assert.Equal(2, Venue.Received(VenueCall.Balances));
    }

    [Fact]
    public async Task AReadRefusedForRateOnEveryTryEndsThrottledAfterEveryRetry()
    {
        var (exchange, clock) = await ClientOnAVirtualClock(maxRetries: 2);
        Venue.FailNext(VenueCall.Balances, VenueFault.RateLimited(TimeSpan.FromSeconds(3)), times: 3);

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Balances());

        // three tries, and before each of the two retries the 3 s named
        Assert.Equal(ErrorKind.Throttled, e.Kind);
        AssertOneLineWithoutKeys(e);
        Assert.Equal(3, Venue.Received(VenueCall.Balances));
        Assert.Equal(2, clock.Delays.Count);
        Assert.All(clock.Delays, d => Assert.InRange(d, TimeSpan.FromSeconds(2.99), TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task AReadIsRetriedThroughAServerErrorATimeoutAndADroppedConnection()
    {
        var (exchange, clock) = await ClientOnAVirtualClock(shortTimeout: true);
        Venue.FailNext(VenueCall.Positions, VenueFault.ServerError);
        Venue.FailNext(VenueCall.Positions, VenueFault.Timeout);
        Venue.FailNext(VenueCall.Positions, VenueFault.DropConnection);

        Assert.Empty(await exchange.Positions());

        // four tries; the venue named no wait, so each retry backed off on its own: more than nothing, at most the 30 s cap
        Assert.Equal(4, Venue.Received(VenueCall.Positions));
        Assert.Equal(3, clock.Delays.Count);
        Assert.All(clock.Delays, d => Assert.InRange(d, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task AReadThatKeepsFailingEndsAsAVenueFailureAfterEveryRetry()
    {
        var (exchange, clock) = await ClientOnAVirtualClock(maxRetries: 2);
        Venue.FailNext(VenueCall.Balances, VenueFault.ServerError, times: 3);

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Balances());

        Assert.Equal(ErrorKind.VenueFailure, e.Kind);
        Assert.EndsWith("(HTTP 503); the outcome is unknown", e.Message, StringComparison.Ordinal);
        AssertOneLineWithoutKeys(e);
        Assert.Equal(3, Venue.Received(VenueCall.Balances));
        Assert.Equal(2, clock.Delays.Count);
    }

    [Theory]
    [MemberData(nameof(LostAnswers))]
    public async Task AnOrderWhoseAnswerWasLostIsFoundByItsClientIdAndNotSentAgain(VenueFaultKind kind)
    {
        var (exchange, _) = await ClientOnAVirtualClock(shortTimeout: kind == VenueFaultKind.Timeout);
        Venue.FailNext(VenueCall.PlaceOrder, Fault(kind).AfterActing());

        var placed = await exchange.Place(RestingBuy("c-lost"));

        Assert.Equal(("c-lost", OrderStatus.New, 0.5m, 0m), (placed.ClientOrderId, placed.Status, placed.Quantity, placed.FilledQuantity));
        Assert.Equal((1, 1), (Venue.Received(VenueCall.PlaceOrder), Venue.LookUps("c-lost")));
        Assert.Equal([new VenueOrder("c-lost", Symbol, OrderStatus.New, 0m)], Venue.Orders());
    }

    [Fact]
    public async Task AnOrderFilledBeforeItsConnectionDroppedAnswersTheFill()
    {
        var (exchange, _) = await ClientOnAVirtualClock();
        Venue.FailNext(VenueCall.PlaceOrder, VenueFault.DropConnection.AfterActing());

        var placed = await exchange.Place(new OrderRequest("c-dropped", Symbol, OrderSide.Buy, OrderType.Market, 1m));

        // 1 taken from the best ask, 100.1
        Assert.Equal((OrderStatus.Filled, 1m, 100.1m), (placed.Status, placed.FilledQuantity, placed.AverageFillPrice));
        Assert.Equal(1, Venue.Received(VenueCall.PlaceOrder));
        Assert.Equal(1m, Venue.Position(Symbol));
    }

    [Theory]
    [MemberData(nameof(LostAnswers))]
    public async Task AnOrderTheVenueNeverTookIsReportedNotPlacedAfterOneSend(VenueFaultKind kind)
    {
        var (exchange, _) = await ClientOnAVirtualClock(shortTimeout: kind == VenueFaultKind.Timeout);
        Venue.FailNext(VenueCall.PlaceOrder, Fault(kind));

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Place(RestingBuy("c-never-taken")));

        // looked up, not found: known not to exist, so the caller may send it again
        Assert.Equal(ErrorKind.VenueFailure, e.Kind);
        Assert.Contains("no order c-never-taken, so it was not placed", e.Message, StringComparison.Ordinal);
        AssertOneLineWithoutKeys(e);
        Assert.Equal((1, 1), (Venue.Received(VenueCall.PlaceOrder), Venue.LookUps("c-never-taken")));
        Assert.Empty(Venue.Orders());
    }

    [Fact]
    public async Task AnOrderWhoseFateCannotBeLearnedIsUnknownAndNotSentAgain()
    {
        var (exchange, _) = await ClientOnAVirtualClock(maxRetries: 1);
        Venue.FailNext(VenueCall.PlaceOrder, VenueFault.DropConnection.AfterActing());

        // the look-up's two tries fail too
        Venue.FailNext(VenueCall.OrderLookup, VenueFault.ServerError, times: 2);

        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Place(RestingBuy("c-in-doubt")));

        Assert.Equal(ErrorKind.Unknown, e.Kind);
        Assert.Contains("whether it was placed is unknown", e.Message, StringComparison.Ordinal);
        AssertOneLineWithoutKeys(e);
        Assert.Equal(1, Venue.Received(VenueCall.PlaceOrder));
        Assert.Equal([new VenueOrder("c-in-doubt", Symbol, OrderStatus.New, 0m)], Venue.Orders());
    }

    [Fact]
    public async Task AnOrderRefusedForRateIsPlacedOnceOrNotAtAll()
    {
        var (exchange, clock) = await ClientOnAVirtualClock();
        Venue.FailNext(VenueCall.PlaceOrder, VenueFault.RateLimited(TimeSpan.FromSeconds(2)));

        if (Venue.RefusesOrdersForRateBeforeActing)
        {
            // refused before anything was done: sent again once the 2 s named are over, and placed once
            var placed = await exchange.Place(RestingBuy("c-busy"));

            Assert.Equal(OrderStatus.New, placed.Status);
            Assert.Equal(2, Venue.Received(VenueCall.PlaceOrder));
            Assert.InRange(Assert.Single(clock.Delays), TimeSpan.FromSeconds(1.99), TimeSpan.FromSeconds(2));
            Assert.Equal([new VenueOrder("c-busy", Symbol, OrderStatus.New, 0m)], Venue.Orders());
            return;
        }

        // not documented as refused before acting: not sent again, the refusal is the caller's to handle
        var e = await Assert.ThrowsAsync<ExchangeError>(async () => await exchange.Place(RestingBuy("c-busy")));

        Assert.Equal(ErrorKind.Throttled, e.Kind);
        AssertOneLineWithoutKeys(e);
        Assert.Equal(1, Venue.Received(VenueCall.PlaceOrder));
        Assert.Empty(clock.Delays);
        Assert.Empty(Venue.Orders());
    }
}
