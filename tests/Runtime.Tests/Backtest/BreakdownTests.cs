using System.Globalization;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Backtest.Reports;

namespace StrategyLab.Runtime.Tests.Backtest;

public sealed class BreakdownTests
{
    private const double Tolerance = 1e-12;

    // 12-hour bars from Saturday 2024-01-27 to Thursday 2024-02-01: the week turns on Monday 01-29, the month on 02-01
    private static readonly long[] Times = [.. Enumerable.Range(0, 12).Select(i => Ms("2024-01-27") + i * 43_200_000L)];

    private static readonly double[] Returns = [0.10, -0.50, 1.00, -0.20, 0.25, 0, -0.10, 0.50, -0.40, 0.20, 0.05, -0.05];

    private static readonly double[] Benchmark = [.. Enumerable.Repeat(0.01, 12)];

    private static readonly TradeRow[] Trades =
    [
        new("A", 1, Times[0], Times[1], 5, false), // closes Saturday 01-27: a win
        new("B", -1, Times[2], Times[4], -3, false), // closes Monday 01-29: a loss
        new("C", 1, Times[5], Times[9], 0, false), // closes 01-31 at zero: neither
        new("D", -1, Times[6], Times[10], 2, false), // closes 02-01: a win
        new("E", 1, Times[10], Times[11], 7, true), // still open: not counted
    ];

    private static long Ms(string date) => DateTimeOffset.Parse(date + "T00:00:00Z", CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    private static void AssertRow(BreakdownRow row, string start, int bars, double ret, double bench, int trades, int wins, int losses, double drawdown)
    {
        Assert.Equal(Ms(start), row.Start);
        Assert.Equal(bars, row.Bars);
        Assert.Equal(ret, row.Return, Tolerance);
        Assert.Equal(bench, row.BenchmarkReturn, Tolerance);
        Assert.Equal((trades, wins, losses), (row.Trades, row.Wins, row.Losses));
        if (trades == 0)
            Assert.True(double.IsNaN(row.WinRate));
        else
            Assert.Equal((double)wins / trades, row.WinRate, Tolerance);
        Assert.Equal(drawdown, row.MaxDrawdown, Tolerance);
    }

    private static BreakdownRow[] Rows(BreakdownPeriod period) => [.. Breakdown.Compute(Times, Returns, Benchmark, Trades, period)];

    [Fact]
    public void ByDay()
    {
        var rows = Rows(BreakdownPeriod.Day);
        Assert.Equal(6, rows.Length);
        // 1.1 × 0.5 = 0.55; the 0.55 after the 1.1 peak is a drawdown of 50%
        AssertRow(rows[0], "2024-01-27", 2, -0.45, 0.0201, 1, 1, 0, 0.5);
        AssertRow(rows[1], "2024-01-28", 2, 0.6, 0.0201, 0, 0, 0, 0.2); // 2.0 × 0.8
        AssertRow(rows[2], "2024-01-29", 2, 0.25, 0.0201, 1, 0, 1, 0); // 1.25 × 1
        AssertRow(rows[3], "2024-01-30", 2, 0.35, 0.0201, 0, 0, 0, 0.1); // 0.9 × 1.5, the 0.9 below the day's opening 1
        AssertRow(rows[4], "2024-01-31", 2, -0.28, 0.0201, 1, 0, 0, 0.4); // 0.6 × 1.2
        AssertRow(rows[5], "2024-02-01", 2, -0.0025, 0.0201, 1, 1, 0, 0.05); // 1.05 × 0.95, 1 − 0.9975 / 1.05
    }

    [Fact]
    public void ByIsoWeekStartingMonday()
    {
        var rows = Rows(BreakdownPeriod.Week);
        Assert.Equal(2, rows.Length);
        // Saturday and Sunday belong to the week of Monday 01-22: 1.1 × 0.5 × 2 × 0.8 = 0.88
        AssertRow(rows[0], "2024-01-22", 4, -0.12, 0.04060401, 1, 1, 0, 0.5);
        // 1.25 × 1 × 0.9 × 1.5 × 0.6 × 1.2 × 1.05 × 0.95 = 1.2119625; peak 1.6875, trough 1.0125: 40%
        AssertRow(rows[1], "2024-01-29", 8, 0.2119625, 0.0828567056280801, 3, 1, 1, 0.4);
    }

    [Fact]
    public void ByMonth()
    {
        var rows = Rows(BreakdownPeriod.Month);
        Assert.Equal(2, rows.Length);
        // 0.88 × 1.25 × 1 × 0.9 × 1.5 × 0.6 × 1.2 = 1.0692
        AssertRow(rows[0], "2024-01-01", 10, 0.0692, 0.10462212541120451, 3, 1, 1, 0.5);
        AssertRow(rows[1], "2024-02-01", 2, -0.0025, 0.0201, 1, 1, 0, 0.05);
    }

    [Fact]
    public void ByYearTheStudyPeriod()
    {
        var rows = Rows(BreakdownPeriod.Year);
        // 1.0692 × 0.9975 = 1.066527
        AssertRow(Assert.Single(rows), "2024-01-01", 12, 0.066527, 0.12682503013196977, 4, 2, 1, 0.5);
    }

    [Fact]
    public void WithoutABenchmarkItsReturnIsNaN()
    {
        var rows = Breakdown.Compute(Times, Returns, default, [], BreakdownPeriod.Month);
        Assert.All(rows, r => Assert.True(double.IsNaN(r.BenchmarkReturn)));
        Assert.All(rows, r => Assert.Equal(0, r.Trades));
    }

    [Fact]
    public void PeriodsWithoutBarsHaveNoRow()
    {
        long[] times = [Ms("2024-01-05"), Ms("2024-03-10")];
        var rows = Breakdown.Compute(times, [0.1, 0.2], default, [], BreakdownPeriod.Month);
        Assert.Equal([Ms("2024-01-01"), Ms("2024-03-01")], rows.Select(r => r.Start));
    }

    [Theory]
    [InlineData("2024-01-28T23:59:59Z", BreakdownPeriod.Week, "2024-01-22")]
    [InlineData("2024-01-29T00:00:00Z", BreakdownPeriod.Week, "2024-01-29")]
    [InlineData("2024-12-31T23:00:00Z", BreakdownPeriod.Week, "2024-12-30")] // ISO week 1 of 2025 starts in 2024
    [InlineData("2024-02-29T12:00:00Z", BreakdownPeriod.Month, "2024-02-01")]
    [InlineData("2024-12-31T23:59:59Z", BreakdownPeriod.Year, "2024-01-01")]
    [InlineData("2024-03-05T13:00:00Z", BreakdownPeriod.Day, "2024-03-05")]
    public void PeriodsStartAtUtcMidnight(string time, BreakdownPeriod period, string start)
    {
        var t = DateTimeOffset.Parse(time, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        Assert.Equal(Ms(start), Breakdown.PeriodStart(t, period));
    }

    [Fact]
    public void LabelsAndNames()
    {
        Assert.Equal("2024-01-29", Breakdown.Label(Ms("2024-01-29"), BreakdownPeriod.Week));
        Assert.Equal("2024-02", Breakdown.Label(Ms("2024-02-01"), BreakdownPeriod.Month));
        Assert.Equal("2024", Breakdown.Label(Ms("2024-01-01"), BreakdownPeriod.Year));
        Assert.True(Breakdown.TryParse("week", out var week));
        Assert.Equal(BreakdownPeriod.Week, week);
        Assert.False(Breakdown.TryParse("fortnight", out _));
        Assert.False(Breakdown.TryParse(null, out _));
    }
}
