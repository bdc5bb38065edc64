using Microsoft.Data.Sqlite;
using StrategyLab.Exchanges.Tests.Binance;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Tests.Trading;

/// <summary>
/// A runner with exits (stop-loss, trailing stop, take-profit, maximum holding time, minimal ROI, cooldown) and account
/// rules (drawdown, daily loss), killed with SIGKILL at a write and started again, takes up the engine's state from the
/// journal: bar for bar its engine (book, entry prices and times, best prices, cooldowns, the drawdown's peak, the day's
/// opening equity) is the uninterrupted runner's to the bit, and it sends the same orders.
/// </summary>
public sealed class RunnerRestartTests : IAsyncLifetime
{
    private const string Key = "restart-tests-api-key-ZXCVBNM";
    private const string Secret = "restart-tests-secret-POIUYTREWQ";
    private const int Bars = 9;
    private static readonly DateTimeOffset FirstBar = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"runner-restart-{Guid.NewGuid():N}");
    private FakeBinanceFuturesVenue _uninterrupted = null!;
    private FakeBinanceFuturesVenue _restarted = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _uninterrupted = await Venue();
        _restarted = await Venue();
    }

    public async Task DisposeAsync()
    {
        await _uninterrupted.DisposeAsync();
        await _restarted.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData(TradingCheckpoint.IntentJournaled, 5)]
    [InlineData(TradingCheckpoint.OrderJournaled, 6)]
    [InlineData(TradingCheckpoint.OrderSent, 7)]
    [InlineData(TradingCheckpoint.AckJournaled, 8)]
    [InlineData(TradingCheckpoint.FillJournaled, 6)]
    [InlineData(TradingCheckpoint.StepJournaled, 5)]
    [InlineData(TradingCheckpoint.IntentJournaled, 11)]
    [InlineData(TradingCheckpoint.FillJournaled, 8)]
    [InlineData(TradingCheckpoint.StepJournaled, 7)]
    // stops at the venue: the 8th, 11th and 14th orders rest from an entry's fill, the 15th under a position held on
    [InlineData(TradingCheckpoint.OrderSent, 8)]
    [InlineData(TradingCheckpoint.OrderJournaled, 11)]
    [InlineData(TradingCheckpoint.AckJournaled, 14)]
    [InlineData(TradingCheckpoint.OrderSent, 15)]
    public void ARestartedRunnerDecidesAsAnUninterruptedOneBarForBar(TradingCheckpoint checkpoint, int occurrence)
    {
        var whole = Path.Combine(_folder, "whole.db");
        var expected = RunWhole(whole);
        Assert.Equal(Bars, expected.Count);

        var cut = Path.Combine(_folder, "cut.db");
        using (var first = Start(_restarted, cut, "--kill-at", $"{checkpoint}:{occurrence}"))
        {
            first.WaitFor("at ");
            first.Kill();
        }
        using var second = Start(_restarted, cut);
        Assert.True(second.WaitForExit() == 0, second.Transcript);
        Assert.DoesNotContain(second.Output, l => l.Contains("start again from now", StringComparison.Ordinal));
        Assert.Contains(second.Output, l => l.StartsWith("step ", StringComparison.Ordinal));

        // the engine's state journaled after each bar, by the first process up to the kill and by the second after it, is
        // the uninterrupted engine's to the bit
        Assert.Equal(expected, EngineStates(cut));
        // the same orders reached the venue, with the same fates
        Assert.Equal(Orders(whole), Orders(cut));
        Assert.Equal(VenueOrders(_uninterrupted), VenueOrders(_restarted));
    }

    [Fact]
    public void TheScriptTriggersTheExitsTheRestartMustRemember()
    {
        var whole = Path.Combine(_folder, "whole.db");
        RunWhole(whole);
        // without exits that fire, the comparison above would hold for a runner that forgot them
        var purposes = Orders(whole).Select(o => o.Split(' ')[1]).Distinct().ToList();
        Assert.Contains(purposes, p => p is "StopLoss" or "TrailingStop" or "TakeProfit" or "Roi" or "MaxHold");
        // and a position's stop rested at the venue, so that the kills above fall on its writes too
        Assert.Contains(Orders(whole), o => o.Split(' ')[5] == "StopMarket");
    }

    // the uninterrupted run: the engine's state after each bar
    private List<string> RunWhole(string journal)
    {
        using var run = Start(_uninterrupted, journal);
        Assert.True(run.WaitForExit() == 0, run.Transcript);
        return EngineStates(journal);
    }

    // "BAR HEX" per bar stepped, from the journal's runner states
    private static List<string> EngineStates(string journal)
    {
        using var connection = new SqliteConnection($"Data Source={journal};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT bar_time, engine FROM runner_states ORDER BY bar_time";
        using var reader = command.ExecuteReader();
        var states = new List<string>();
        while (reader.Read())
            states.Add($"{reader.GetInt64(0)} {Convert.ToHexString((byte[])reader.GetValue(1))}");
        return states;
    }

    private static async Task<FakeBinanceFuturesVenue> Venue()
    {
        var venue = await FakeBinanceFuturesVenue.StartAsync(Key, Secret);
        venue.AddSymbol(new FakeSymbol("BTCUSDT", 0.1m, 0.001m, 0.001m, 1000m, 5m));
        venue.AddSymbol(new FakeSymbol("ETHUSDT", 0.01m, 0.001m, 0.001m, 1000m, 5m));
        venue.SetBook("BTCUSDT", [(99.9m, 1000m)], [(100.1m, 1000m)]);
        venue.SetBook("ETHUSDT", [(49.9m, 1000m)], [(50.1m, 1000m)]);
        // every decision stays current while the test runs, so an order of unknown fate is sent at the restart as it was meant to be
        var origin = DateTimeOffset.UtcNow;
        venue.Now = () => FirstBar + TimeSpan.FromSeconds(30) + (DateTimeOffset.UtcNow - origin);
        return venue;
    }

    private static RunnerProcess Start(FakeBinanceFuturesVenue venue, string journal, params string[] options) =>
        new(new Dictionary<string, string> { ["BINANCE_TESTNET_API_KEY"] = Key, ["BINANCE_TESTNET_API_SECRET"] = Secret },
            ["--venue", "binance", "--rest", venue.Host.RestBase.ToString(), "--stream", venue.Host.StreamBase.ToString(), "--journal", journal,
                "--symbols", "BTCUSDT,ETHUSDT", "--exits",
                "--bars", RunnerProcess.Bars(Bars), .. options]);

    private static List<string> Orders(string path)
    {
        using var journal = new SqliteJournal(path);
        var deployment = journal.Open(new Deployment("crash", "0123abcd", "binance-usdm-testnet"), fresh: false);
        return [.. journal.Orders(deployment).Select(o =>
            $"{o.BarTime} {o.Purpose} {o.Request.ClientOrderId} {o.Request.Symbol} {o.Request.Side} {o.Request.Type} {o.Request.Quantity} {o.Status} {o.FilledQuantity}")];
    }

    private static List<string> VenueOrders(FakeBinanceFuturesVenue venue) =>
        [.. venue.Orders().Select(o => $"{o.ClientOrderId} {o.Symbol} {o.Status} {o.Executed}").Order(StringComparer.Ordinal)];
}
