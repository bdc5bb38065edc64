using System.Collections.Immutable;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Backtest.Reports;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Tests.Backtest.Reports;

public sealed class ReportBuilderTests
{
    private static BacktestReport Daily(int bars)
    {
        var times = Enumerable.Range(0, bars).Select(i => 1704067200000L + (i * 86_400_000L)).ToArray();
        var price = Enumerable.Range(0, bars).Select(i => 100.0 + i).ToArray();
        var volume = Enumerable.Repeat(1e9, bars).ToArray();
        using var panel = new Panel("short", Interval.Parse("1d"), ["X"], ["open", "high", "low", "close", "volume"],
            new ArrayColumnStore(times, [price, price, price, price, volume]));
        var options = new LedgerOptions();
        var result = LedgerBacktest.Run(panel, Enumerable.Repeat(1.0, bars).ToArray(), options);
        var manifest = new RunManifest("short", "hash", "short", panel.ContentHash,
            ImmutableSortedDictionary<string, string>.Empty, 0, "0.1.0", "next open", "ledger");
        return ReportBuilder.FromLedger(panel, result, options, manifest);
    }

    [Fact]
    public void ARunShorterThanAMonthSaysItsAnnualisedFiguresExtrapolate()
    {
        // a month of daily bars is 365 / 12 ≈ 30.4: 30 bars get the note, 31 do not
        var note = Assert.Single(Daily(30).Notes, n => n.Contains("extrapolate", StringComparison.Ordinal));
        Assert.StartsWith("The run has 30 bars, 30 days at this bar size", note, StringComparison.Ordinal);
        Assert.DoesNotContain(Daily(31).Notes, n => n.Contains("extrapolate", StringComparison.Ordinal));
    }
}
