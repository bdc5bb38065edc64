using System.Collections.Immutable;
using Microsoft.Data.Sqlite;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges.Tests.Trading;

/// <summary>
/// A held position's stop, rested at the paper venue at each close, fills where the backtest's engine fills it: at the
/// stop price in the bar that reaches it, or at the open when the bar gaps through. BTC is bought at bar 1's open (100)
/// with half the capital and never traded again; ETH is never held.
/// </summary>
public sealed class PaperExitParityTests : IDisposable
{
    private static readonly Interval Day = new(86_400_000);
    private static readonly string[] Symbols = ["BTCUSDT", "ETHUSDT"];
    private readonly string _journal = Path.Combine(Path.GetTempPath(), $"paper-exits-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_journal + suffix);
    }

    // bars of BTC as (open, high, low, close); a stop-loss of 5 % under the entry at 100 is at 95
    public static TheoryData<string, double[][], double, double, int> Cases => new()
    {
        // reached in bar 4, three bars after the entry: filled at the stop price
        { "stop-loss", [[100, 100, 100, 100], [100, 101, 99, 100], [100, 102, 97, 99], [99, 99, 96, 98], [98, 98, 94, 95], [95, 96, 94, 95]], 0.05, double.NaN, 4 },
        // bar 4 opens at 93, under the stop: filled at the open
        { "gap", [[100, 100, 100, 100], [100, 101, 99, 100], [100, 102, 97, 99], [99, 99, 96, 98], [93, 94, 92, 93], [93, 94, 92, 93]], 0.05, double.NaN, 4 },
        // trailing 3 % under the best high since entry: 104 (bar 2) puts it at 100.88, which bar 3's low of 100.5 reaches
        { "trailing", [[100, 100, 100, 100], [100, 101, 99, 100], [100, 104, 101, 103], [103, 103, 100.5, 101], [101, 102, 100, 101], [101, 102, 100, 101]], double.NaN, 0.03, 3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AHeldPositionsStopFillsInPaperWhereTheBacktestFillsIt(string name, double[][] btc, double stopLoss, double trailing, int exitBar)
    {
        using var panel = Panel(btc);
        var options = new LedgerOptions { InitialCapital = 10_000, Exits = new ExitRules { StopLoss = stopLoss, TrailingStop = trailing } };
        var weights = new double[btc.Length * 2];
        weights[0] = 0.5;
        var marks = new bool[btc.Length];
        marks[0] = true;
        var backtest = LedgerBacktest.Run(panel, weights, options, marks);
        var exit = Assert.Single(backtest.Fills, f => f.Quantity < 0);
        Assert.Equal(exitBar, exit.Bar);

        var (equity, deployment) = await Paper(panel, options, btc.Length);

        Assert.Equal(backtest.Equity.Length, equity.Count);
        for (var t = 0; t < equity.Count; t++)
            Assert.True(Math.Abs(equity[t] - backtest.Equity[t]) <= 1e-9 * backtest.Equity[t], $"{name}, bar {t}: backtest {backtest.Equity[t]}, paper {equity[t]}");
        using var journal = new SqliteJournal(_journal);
        var stop = Assert.Single(journal.Orders(deployment), o => o.Request.Type == OrderType.StopMarket && o.Status == JournalOrderStatus.Filled);
        Assert.Equal(name == "trailing" ? OrderPurpose.TrailingStop : OrderPurpose.StopLoss, stop.Purpose);
        Assert.Equal((decimal)exit.Price, journal.Fills(deployment).Single(f => f.Quantity < 0).Price);
    }

    [Fact]
    public async Task AStopReachedInTheBarOfTheEntryIsTakenAtItsCloseWhichABacktestTakesAtTheStop()
    {
        // bar 1 opens at the entry (100) and trades down to 94 at once: no stop rested at the venue in that bar
        double[][] btc = [[100, 100, 100, 100], [100, 101, 94, 96], [97, 98, 96, 97], [97, 98, 96, 97]];
        using var panel = Panel(btc);
        var options = new LedgerOptions { InitialCapital = 10_000, Exits = new ExitRules { StopLoss = 0.05 } };
        var weights = new double[btc.Length * 2];
        weights[0] = 0.5;
        var marks = new bool[btc.Length];
        marks[0] = true;
        var backtest = LedgerBacktest.Run(panel, weights, options, marks);
        Assert.Equal((1, 95.0), (backtest.Fills[^1].Bar, backtest.Fills[^1].Price));

        var (_, deployment) = await Paper(panel, options, btc.Length);

        // paper closes at bar 1's close and fills at bar 2's open, 97
        using var journal = new SqliteJournal(_journal);
        var exit = Assert.Single(journal.Orders(deployment), o => o.Purpose == OrderPurpose.StopLoss);
        Assert.Equal(OrderType.Market, exit.Request.Type);
        Assert.Equal(97m, journal.Fills(deployment).Single(f => f.Quantity < 0).Price);
    }

    // the paper runner stepped over the panel's bars one at a time, with the backtest's targets; its equity at each close
    private async Task<(List<double> Equity, Deployment Deployment)> Paper(Panel panel, LedgerOptions options, int bars)
    {
        Instrument[] instruments = [.. Symbols.Select(s => new Instrument(s, s[..3], "USDT", 0.01m, 0.001m, 0.001m, 5m, 20))];
        using var journal = new SqliteJournal(_journal);
        var market = new PaperMarket(instruments, options, Day);
        var deployment = journal.Open(new Deployment("paper-exits", "hash", "paper"), fresh: true);
        var runner = await TradingRunner.StartAsync(new TradingSetup(deployment, Symbols, Day, options) { Market = market }, market.Exchange, journal,
            new FirstBarOnly());
        var history = new BarHistory("bars", Day, [.. Symbols], [.. panel.Columns]);
        var equity = new List<double>();
        for (var t = 0; t < bars; t++)
        {
            history.Append(panel, t);
            equity.Add((await runner.StepAsync(history))!.Equity);
        }
        return (equity, deployment);
    }

    private static Panel Panel(double[][] btc)
    {
        var n = btc.Length;
        double[] Column(int k, double eth) => [.. Enumerable.Range(0, n).SelectMany(t => new[] { btc[t][k], eth })];
        double[][] columns = [Column(0, 50), Column(1, 50), Column(2, 50), Column(3, 50), [.. Enumerable.Repeat(1e6, 2 * n)]];
        long[] times = [.. Enumerable.Range(0, n).Select(t => 1_700_006_400_000L + (t * Day.Milliseconds))];
        return new Panel("bars", Day, [.. Symbols], ["open", "high", "low", "close", "volume"], new ArrayColumnStore(times, columns));
    }

    private sealed class FirstBarOnly : ITargetSource
    {
        public TargetDecision Decide(BarHistory history) => new([0.5, 0], Rebalance: history.Count == 1);
    }
}
