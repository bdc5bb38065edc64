namespace StrategyLab.Exchanges.Tests;

public sealed class VenueClockTests
{
    private static readonly DateTimeOffset Sent = new(2026, 11, 6, 2, 15, 3, TimeSpan.Zero);
    private static readonly DateTimeOffset Received = Sent + TimeSpan.FromMilliseconds(40);
    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);

    // the venue read 02:14:49.500 at some moment between 02:15:03.000 and 02:15:03.040 on ours
    private static readonly DateTimeOffset ServerTime = new(2026, 11, 6, 2, 14, 49, 500, TimeSpan.Zero);

    [Fact]
    public void BoundsTheVenuesTimeByWhenTheRequestLeftAndTheAnswerArrived()
    {
        var clock = new VenueClock(new VirtualTimeProvider(Received));

        Assert.True(clock.Observe(ServerTime, Millisecond, Sent, Received));

        // offset between 49.500 − 03.040 = −13.540 s and 49.501 − 03.000 = −13.499 s
        Assert.Equal(Received - TimeSpan.FromMilliseconds(13_540), clock.Earliest(Received));
        Assert.Equal(Received - TimeSpan.FromMilliseconds(13_499), clock.Latest(Received));
        Assert.Equal(TimeSpan.FromMilliseconds(-13_519.5), clock.Offset);
        Assert.Equal(Received - TimeSpan.FromMilliseconds(13_519.5), clock.GetUtcNow());
        Assert.Equal(Received, clock.LastObserved);
    }

    [Fact]
    public void NarrowsWithEachObservationThatAgrees()
    {
        var clock = new VenueClock(new VirtualTimeProvider(Received));
        clock.Observe(ServerTime, Millisecond, Sent, Received);

        // a second answer says 02:14:49.520 between 03.010 and 03.040: offset −13.520 s to −13.489 s
        Assert.True(clock.Observe(ServerTime + TimeSpan.FromMilliseconds(20), Millisecond, Sent + TimeSpan.FromMilliseconds(10), Received));

        // the second bounds the bottom, the first still bounds the top
        Assert.Equal(Received - TimeSpan.FromMilliseconds(13_520), clock.Earliest(Received));
        Assert.Equal(Received - TimeSpan.FromMilliseconds(13_499), clock.Latest(Received));
    }

    [Fact]
    public void WidensByTheDriftAllowanceAsTheObservationAges()
    {
        var clock = new VenueClock(new VirtualTimeProvider(Received));
        clock.Observe(ServerTime, Millisecond, Sent, Received);
        var later = Received + TimeSpan.FromSeconds(1000);

        // 500 ppm of 1000 s is 0.5 s each way
        Assert.Equal(later - TimeSpan.FromMilliseconds(14_040), clock.Earliest(later));
        Assert.Equal(later - TimeSpan.FromMilliseconds(12_999), clock.Latest(later));
    }

    [Fact]
    public void ReplacesWhatItKnewWhenAnObservationContradictsIt()
    {
        var clock = new VenueClock(new VirtualTimeProvider(Received));
        clock.Observe(ServerTime, Millisecond, Sent, Received);
        var next = Received + TimeSpan.FromSeconds(10);

        // the venue's clock was stepped forward 13.5 s: its Date header now reads 02:15:13, where 02:14:59.5 was expected
        var stepped = new DateTimeOffset(2026, 11, 6, 2, 15, 13, TimeSpan.Zero);
        Assert.True(clock.Contradicts(stepped, TimeSpan.FromSeconds(1), next, next));
        Assert.False(clock.Contradicts(stepped - TimeSpan.FromSeconds(14), TimeSpan.FromSeconds(1), next, next));
        Assert.Equal(Received - TimeSpan.FromMilliseconds(13_540), clock.Earliest(Received));

        Assert.False(clock.Observe(stepped, TimeSpan.FromSeconds(1), next, next));

        Assert.Equal(stepped, clock.Earliest(next));
        Assert.Equal(stepped + TimeSpan.FromSeconds(1), clock.Latest(next));
    }

    [Fact]
    public void IsTheLocalClockUntilTheVenuesTimeIsObserved()
    {
        var local = new VirtualTimeProvider(Received);
        var clock = new VenueClock(local);

        Assert.False(clock.IsObserved);
        Assert.Null(clock.LastObserved);
        Assert.Equal(Received, clock.GetUtcNow());
        Assert.Equal(TimeSpan.Zero, clock.Offset);
        Assert.False(clock.Contradicts(ServerTime, Millisecond, Sent, Received));
        Assert.Throws<InvalidOperationException>(() => clock.Earliest(Received));
    }

    [Fact]
    public async Task WaitsOnTheLocalClocksTimers()
    {
        var local = new VirtualTimeProvider(Received);
        var clock = new VenueClock(local);
        clock.Observe(ServerTime, Millisecond, Sent, Received);

        await Task.Delay(TimeSpan.FromSeconds(7), clock);

        Assert.Equal([TimeSpan.FromSeconds(7)], local.Delays);
        Assert.Equal(Received + TimeSpan.FromSeconds(7), local.GetUtcNow());
    }
}
