using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Tests.Data;

public sealed class UniverseTests
{
    private static readonly double N = double.NaN;

    // 4 bars × 3 assets of market cap; asset C lists at bar 2
    private static Panel Caps(int bars = 4)
    {
        double[] caps =
        [
            30, 20, N,
            10, 20, N,
            10, 20, 50,
            40, 20, 50,
        ];
        var times = Enumerable.Range(0, bars).Select(d => 1704067200000L + d * 86_400_000L).ToArray();
        return new Panel("caps", Interval.Parse("1d"), ["A", "B", "C"], ["market_cap"],
            new ArrayColumnStore(times, [caps[..(bars * 3)]]));
    }

    private static bool[] Row(bool[] mask, int t) => mask[(t * 3)..(t * 3 + 3)];

    [Fact]
    public void TopNChoosesByEachBarsValueAndSkipsAssetsWithoutOne()
    {
        var mask = new TopNUniverse(1, "market_cap").Select(Caps());
        Assert.Equal([true, false, false], Row(mask, 0));
        Assert.Equal([false, true, false], Row(mask, 1));
        Assert.Equal([false, false, true], Row(mask, 2));
        Assert.Equal([false, false, true], Row(mask, 3));
    }

    [Fact]
    public void TiesGoToTheSymbolThatSortsFirst()
    {
        var mask = new TopNUniverse(1, "market_cap").Select(Caps());
        Assert.Equal([false, true, false], Row(mask, 1));
    }

    [Fact]
    public void MembershipIsHeldBetweenRebalanceBars()
    {
        var mask = new TopNUniverse(1, "market_cap").Select(Caps(), [true, false, true, false]);
        Assert.Equal([true, false, false], Row(mask, 1));
        Assert.Equal([false, false, true], Row(mask, 3));
    }

    [Fact]
    public void NothingIsAMemberBeforeTheFirstRebalance()
    {
        var mask = new TopNUniverse(2, "market_cap").Select(Caps(), [false, true, false, false]);
        Assert.Equal([false, false, false], Row(mask, 0));
    }

    [Fact]
    public void MembershipUpToEachBarIsTheSameWithTheDataCutThere()
    {
        var rule = new TopNUniverse(2, "market_cap");
        var full = rule.Select(Caps());
        for (var bars = 1; bars <= 4; bars++)
            Assert.Equal(full[..(bars * 3)], rule.Select(Caps(bars)));
    }

    [Fact]
    public void MembershipOnRealDataIsTheSameWithTheDataCutAtAnyRebalance()
    {
        var store = new DataStore(Repository.DataFolder);
        using var panel = store.ParseCsv(store.Catalog.Get("daily_top100"), new ImportLog());
        var rule = new TopNUniverse(20, "market_cap");
        var marks = UniverseRule.MonthStarts(panel.Times);
        var full = rule.Select(panel, marks);
        var a = panel.AssetCount;
        foreach (var cut in new[] { 400, 1000, 1700 })
        {
            var times = panel.Times[..cut].ToArray();
            var caps = panel.Column("market_cap")[..(cut * a)].ToArray();
            using var truncated = new Panel("cut", panel.Interval, panel.Symbols, ["market_cap"], new ArrayColumnStore(times, [caps]));
            Assert.Equal(full[..(cut * a)], rule.Select(truncated, marks[..cut]));
        }
    }

    [Fact]
    public void AFixedListNamingAMissingSymbolIsAnError()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => new FixedUniverse(["A", "ZZZ"]).Select(Caps()));
        Assert.Equal("dataset 'caps' has no symbol ZZZ", e.Message);
        Assert.Equal([true, false, false], new FixedUniverse(["A"]).Select(Caps())[..3]);
    }
}
