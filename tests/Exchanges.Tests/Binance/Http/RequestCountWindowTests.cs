using StrategyLab.Exchanges.Binance.Http;

namespace StrategyLab.Exchanges.Tests.Binance.Http;

public sealed class RequestCountWindowTests
{
    private static readonly DateTimeOffset Start = new(2024, 6, 1, 12, 30, 15, TimeSpan.Zero);

    [Fact]
    public async Task KeepsTheFundingEndpointWithin500RequestsPerFiveMinutes()
    {
        var clock = new VirtualTimeProvider(Start);
        var window = new RequestCountWindow(500, TimeSpan.FromMinutes(5), clock);
        for (var i = 0; i < 500; i++)
        {
            await window.AcquireAsync(CancellationToken.None);
        }

        Assert.Empty(clock.Delays);

        await window.AcquireAsync(CancellationToken.None);

        Assert.Equal([TimeSpan.FromMinutes(5)], clock.Delays);
    }
}
