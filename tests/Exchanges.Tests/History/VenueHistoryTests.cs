namespace StrategyLab.Exchanges.Tests.History;

/// <summary>Each venue's history as the command line finds it: its folder, its intervals, and the addresses it takes.</summary>
public sealed class VenueHistoryTests
{
    [Theory]
    [InlineData("binance", "binance-usdm", "1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M")]
    [InlineData("bybit", "bybit-linear", "1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w")]
    [InlineData("mexc", "mexc-contract", "1m 5m 15m 30m 1h 4h 8h 1d 1w")]
    public void EachVenueWritesIntoItsOwnFolderAndServesItsIntervals(string name, string folder, string intervals)
    {
        using var history = Venues.Find(name)!.History(new Uri("http://127.0.0.1:1"));

        Assert.Equal(folder, history.Folder);
        Assert.Equal(intervals, string.Join(' ', history.KlineIntervals));
        Assert.EndsWith("history downloaded by strategylab", history.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("binance")]
    [InlineData("bybit")]
    [InlineData("mexc")]
    public void AnAddressThatIsNotHttpIsRefusedAsAnInvalidRequest(string name)
    {
        var error = Assert.Throws<ExchangeException>(() => Venues.Find(name)!.History(new Uri("ftp://127.0.0.1/")));

        Assert.Equal(ExchangeErrorKind.InvalidRequest, error.Kind);
        Assert.Equal("the base address 'ftp://127.0.0.1/' is not an absolute http or https address", error.Message);
    }
}
