using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Conformance;

/// <summary>
/// The streams across drops and expiries: a market stream reconnects, subscribes again and fetches over REST what
/// closed meanwhile, with no bar lost or delivered twice; an account stream whose session ended or whose socket dropped
/// announces the gap and goes on. These run on the machine's clock, with reconnect delays of milliseconds.
/// </summary>
public abstract partial class ExchangeConformance
{
    // a guard against a hang, not a limit on how fast anything must be
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static async Task<T> Next<T>(IAsyncEnumerator<T> stream)
    {
        var next = stream.MoveNextAsync().AsTask();
        Assert.Same(next, await Task.WhenAny(next, Task.Delay(Patience)));
        Assert.True(await next, "the stream ended");
        return stream.Current;
    }

    private static async Task<T> NextOf<T>(IAsyncEnumerator<AccountEvent> stream, Func<T, bool>? match = null)
        where T : AccountEvent
    {
        while (true)
        {
            if (await Next(stream) is T wanted && (match is null || match(wanted)))
            {
                return wanted;
            }
        }
    }

    private static async Task Until(Func<bool> done, string what)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(waited.Elapsed < Patience, what);
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task ADroppedMarketStreamReconnectsSubscribesAgainAndBackfillsWithNoBarLostOrRepeated()
    {
        var log = new ListLogger();
        var feed = (await Connect(new ClientSettings { Logger = log })).Feed;
        var start = ((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000) - 30) * 60_000;
        long T(int i) => start + (i * 60_000L);
        void Close(int i) => Venue.AddClosedBar(T(i), 100m + i, 101m + i, 99m + i, 100.5m + i, 1m + i);
        Task Push(int i, bool closed) => Venue.PushBar(T(i), 100m + i, 101m + i, 99m + i, 100.5m + i, 1m + i, closed);
        for (var i = 0; i < 3; i++)
        {
            Close(i);
        }

        using var cancel = new CancellationTokenSource();
        await using var stream = feed.StreamBars(Symbol, Interval.Parse("1m"), start, cancel.Token).GetAsyncEnumerator(cancel.Token);
        var delivered = new List<VenueBar> { await Next(stream), await Next(stream), await Next(stream) };
        await Until(() => Venue.MarketSubscriptions >= 1, "the client never subscribed");

        // bar 3 closes on the stream, and bar 4 opens (where a venue does not say which bar closed, the next one says so)
        Close(3);
        await Push(3, closed: true);
        await Push(4, closed: false);
        delivered.Add(await Next(stream));

        // bars 4 and 5 close while the socket is down: they come over REST once the client has subscribed again
        Close(4);
        Close(5);
        Venue.DropMarketStreams();
        delivered.Add(await Next(stream));
        delivered.Add(await Next(stream));
        await Until(() => Venue.MarketSubscriptions >= 2, "the client never subscribed again");

        // the stream repeats bar 5, then skips bar 6: 5 is not delivered twice, 6 is fetched before 7
        Close(6);
        Close(7);
        await Push(5, closed: true);
        await Push(7, closed: true);
        await Push(8, closed: false);
        delivered.Add(await Next(stream));
        delivered.Add(await Next(stream));

        // and the stream goes on: bar 8 is the next one, nothing repeated before it
        Close(8);
        await Push(8, closed: true);
        await Push(9, closed: false);
        delivered.Add(await Next(stream));

        Assert.Equal(Enumerable.Range(0, 9).Select(T), delivered.Select(b => b.OpenTime));
        Assert.Equal(new VenueBar(Symbol, T(6), 106, 107, 105, 106.5, 7), delivered[6]);
        Assert.Contains(log.Messages, m => m.Contains(Symbol + " ", StringComparison.Ordinal) && m.Contains("reconnecting", StringComparison.Ordinal));
        await cancel.CancelAsync();
    }

    [Fact]
    public async Task AnAccountStreamWhoseKeysAreRefusedEndsAsAnAuthenticationFailure()
    {
        var client = await Connect(new ClientSettings { Key = WrongKey, Secret = WrongSecret });
        await using var stream = client.Feed.StreamAccount().GetAsyncEnumerator();

        // refused keys would be refused again: the stream ends, saying why, rather than reconnect for ever
        var next = stream.MoveNextAsync().AsTask();
        Assert.Same(next, await Task.WhenAny(next, Task.Delay(Patience)));
        var e = await Assert.ThrowsAsync<ExchangeError>(() => next);

        Assert.Equal(Runtime.Execution.ExchangeErrorKind.Authentication, e.Kind);
        AssertOneLineWithoutKeys(e);
        Assert.Equal(0, Venue.AccountSessions);
    }

    [Fact]
    public async Task AnAccountSessionTheVenueEndedIsAnnouncedAsAGapAndTheStreamGoesOn() =>
        await AccountStreamSurvives(() => Venue.ExpireAccountSession(), "c-after-expiry");

    [Fact]
    public async Task ADroppedAccountStreamIsAnnouncedAsAGapAndTheStreamGoesOn() =>
        await AccountStreamSurvives(
            () =>
            {
                Venue.DropAccountStreams();
                return Task.CompletedTask;
            },
            "c-after-drop");

    // the session ends by the venue's doing: the stream says changes may have been missed, opens a new session, and an
    // order placed afterwards is heard of on it
    private async Task AccountStreamSurvives(Func<Task> end, string id)
    {
        var client = await Connect(new ClientSettings());
        using var cancel = new CancellationTokenSource();
        await using var stream = client.Feed.StreamAccount(cancel.Token).GetAsyncEnumerator(cancel.Token);
        var first = NextOf<AccountStreamGap>(stream);
        await Until(() => Venue.AccountSessions >= 1, "the account stream never opened");

        await end();

        Assert.False(string.IsNullOrWhiteSpace((await first).Reason));
        await Until(() => Venue.AccountSessions >= 2, "the account stream never opened again");
        await client.Exchange.Place(Limit(id, OrderSide.Buy, 0.1m, 99m));
        var heard = await NextOf<OrderEvent>(stream, e => e.Order.ClientOrderId == id);
        Assert.Equal((OrderStatus.New, 0.1m), (heard.Order.Status, heard.Order.Quantity));
        await cancel.CancelAsync();
    }
}
