using StrategyLab.Exchanges.Http;

namespace StrategyLab.Exchanges.Tests.Http;

public sealed class RequestWeightBudgetTests
{
    private static readonly DateTimeOffset Start = new(2024, 6, 1, 12, 30, 15, TimeSpan.Zero);

    [Fact]
    public async Task SpendsWithinTheMinuteWithoutWaiting()
    {
        var clock = new VirtualTimeProvider(Start);
        var budget = new RequestWeightBudget(20, clock);

        for (var i = 0; i < 4; i++)
        {
            await budget.AcquireAsync(5, CancellationToken.None);
        }

        Assert.Equal(20, budget.Used);
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task WaitsForTheNextMinuteWhenTheBudgetIsSpent()
    {
        var clock = new VirtualTimeProvider(Start);
        var budget = new RequestWeightBudget(20, clock);
        for (var i = 0; i < 4; i++)
        {
            await budget.AcquireAsync(5, CancellationToken.None);
        }

        await budget.AcquireAsync(5, CancellationToken.None);

        Assert.Equal([TimeSpan.FromSeconds(45.25)], clock.Delays);
        Assert.Equal(new DateTimeOffset(2024, 6, 1, 12, 31, 0, 250, TimeSpan.Zero), clock.GetUtcNow());
        Assert.Equal(5, budget.Used);
    }

    [Fact]
    public async Task CountsTheWeightTheVenueReportsForOtherPrograms()
    {
        var clock = new VirtualTimeProvider(Start);
        var budget = new RequestWeightBudget(2400, clock);
        await budget.AcquireAsync(5, CancellationToken.None);

        budget.Observe(2396);
        await budget.AcquireAsync(5, CancellationToken.None);

        Assert.Single(clock.Delays);
    }

    [Fact]
    public async Task WaitsOutTheMinuteAfterTheVenueSaysTooManyRequests()
    {
        var clock = new VirtualTimeProvider(Start);
        var budget = new RequestWeightBudget(2400, clock);

        budget.Exhaust();
        await budget.AcquireAsync(1, CancellationToken.None);

        Assert.Equal([TimeSpan.FromSeconds(45.25)], clock.Delays);
    }
}
