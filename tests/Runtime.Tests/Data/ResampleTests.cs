using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Data.Synthetic;
using Interval = StrategyLab.Runtime.Data.Interval;

namespace StrategyLab.Runtime.Tests.Data;

public sealed class ResampleTests
{
    private static readonly double N = double.NaN;

    // 2024-01-01T00:00:00Z, a Monday
    private const long T0 = 1_704_067_200_000L;
    private const long Minute = 60_000L;
    private const long Day = 86_400_000L;

    private static readonly string[] Ohlcv = ["open", "high", "low", "close", "volume"];

    // per-asset series of each column, interleaved into the panel's time-major layout
    private static Panel Build(string interval, long[] times, string[] symbols, string[] columns, params double[][][] perColumn)
    {
        var data = perColumn.Select(assets =>
        {
            var column = new double[times.Length * symbols.Length];
            for (var t = 0; t < times.Length; t++)
            {
                for (var a = 0; a < symbols.Length; a++)
                    column[t * symbols.Length + a] = assets[a][t];
            }
            return column;
        }).ToArray();
        return new Panel("test", Interval.Parse(interval), [.. symbols], [.. columns], new ArrayColumnStore(times, data));
    }

    private static long[] Minutes(int start, int count, int step = 5) =>
        Enumerable.Range(0, count).Select(i => T0 + (start + i * step) * Minute).ToArray();

    private static double[] Series(Panel panel, string column, string symbol) => panel.Series(column, panel.AssetIndex(symbol));

    [Fact]
    public void CandlesOfFiveMinutesBecomeQuarterHours()
    {
        using var panel = Build("5m", Minutes(0, 6), ["A", "B"], Ohlcv,
            [[10, 11, 14, 9, 9.5, 12], [100, 100.5, 102, 101.5, 98, 97]],
            [[12, 15, 14.5, 10, 13, 12.5], [101, 103, 102.5, 102, 99, 98.5]],
            [[9, 10.5, 8, 8.5, 9.5, 11], [99, 100, 101, 97, 96, 96.5]],
            [[11, 14, 9, 9.5, 12, 11.5], [100.5, 102, 101.5, 98, 97, 98]],
            [[1, 2, 3, 4, 5, 6], [10, 20, 30, 40, 50, 60]]);

        var result = Resample.To(panel, Interval.Parse("15m"));
        using var bars = result.Panel;

        Assert.Equal("15m", bars.Interval.ToString());
        Assert.Equal([T0, T0 + 15 * Minute], bars.Times.ToArray());
        Assert.Equal([10.0, 9], Series(bars, "open", "A"));
        Assert.Equal([15.0, 13], Series(bars, "high", "A"));
        Assert.Equal([8.0, 8.5], Series(bars, "low", "A"));
        Assert.Equal([9.0, 11.5], Series(bars, "close", "A"));
        Assert.Equal([6.0, 15], Series(bars, "volume", "A"));
        Assert.Equal([100.0, 101.5], Series(bars, "open", "B"));
        Assert.Equal([103.0, 102], Series(bars, "high", "B"));
        Assert.Equal([99.0, 96], Series(bars, "low", "B"));
        Assert.Equal([101.5, 98], Series(bars, "close", "B"));
        Assert.Equal([60.0, 150], Series(bars, "volume", "B"));
        Assert.Equal((0, 0L, false), (result.IncompleteBars, result.IncompleteCandles, result.DroppedPartialBar));
        Assert.Equal(panel.Symbols, bars.Symbols);
        Assert.Equal(panel.Columns, bars.Columns);
    }

    [Fact]
    public void GapsAndALateListingAreBuiltFromTheCandlesThereAreAndAnEmptyBarIsAbsent()
    {
        // A misses its first candle, then a whole quarter hour; B lists at 00:20; C is complete
        using var panel = Build("5m", Minutes(0, 9), ["A", "B", "C"], Ohlcv,
            [[N, 1.5, 2.5, N, N, N, 6.5, 7.5, 8.5], [N, N, N, N, 19, 20, 21, 22, 23], [29, 30, 31, 32, 33, 34, 35, 36, 37]],
            [[N, 4, 3.5, N, N, N, 7.5, 9.5, 9.25], [N, N, N, N, 20.5, 22, 22.5, 25, 24.5], [32, 33, 34, 35, 36, 37, 38, 39, 40]],
            [[N, 1, 2, N, N, N, 6, 7, 8.75], [N, N, N, N, 18, 19.5, 20.5, 21, 22], [28, 29, 30, 31, 32, 33, 34, 35, 36]],
            [[N, 2, 3, N, N, N, 7, 8, 9], [N, N, N, N, 20, 21, 22, 23, 24], [30, 31, 32, 33, 34, 35, 36, 37, 38]],
            [[N, 5, 6, N, N, N, 1, 2, 3], [N, N, N, N, 7, 8, 0, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1]]);

        var result = Resample.To(panel, Interval.Parse("15m"));
        using var bars = result.Panel;

        Assert.Equal([1.5, N, 6.5], Series(bars, "open", "A"));
        Assert.Equal([4.0, N, 9.5], Series(bars, "high", "A"));
        Assert.Equal([1.0, N, 6], Series(bars, "low", "A"));
        Assert.Equal([3.0, N, 9], Series(bars, "close", "A"));
        Assert.Equal([11.0, N, 6], Series(bars, "volume", "A")); // no candle: absent, not a volume of zero
        Assert.Equal([N, 19, 21], Series(bars, "open", "B"));
        Assert.Equal([N, 22, 25], Series(bars, "high", "B"));
        Assert.Equal([N, 18, 20.5], Series(bars, "low", "B"));
        Assert.Equal([N, 21, 24], Series(bars, "close", "B"));
        Assert.Equal([N, 15, 2], Series(bars, "volume", "B"));
        Assert.Equal([29.0, 32, 35], Series(bars, "open", "C"));
        Assert.Equal([34.0, 37, 40], Series(bars, "high", "C"));
        Assert.Equal([28.0, 31, 34], Series(bars, "low", "C"));
        Assert.Equal([32.0, 35, 38], Series(bars, "close", "C"));
        Assert.Equal([3.0, 3, 3], Series(bars, "volume", "C"));
        // bar 0: A has 2 of 3 candles; bar 1: B has 2 of 3 (A has none there, which is absence, not incompleteness)
        Assert.Equal(2, result.IncompleteBars);
        Assert.Equal(2, result.IncompleteCandles);
        Assert.Equal("candles of 5m aggregated to 15m; 2 bar(s) built from incomplete candles (2 asset candles)", result.Note);
    }

    [Fact]
    public void TheBarTheDataEndsInsideIsLeftOutAndAFirstPartialBarIsKept()
    {
        // 00:05 to 00:35: the 00:00 bar lacks its first candle; the 00:30 bar would close at 00:45, after the data ends at 00:40
        double[] close = [1, 2, 3, 4, 5, 6, 7];
        using var panel = Build("5m", Minutes(5, 7), ["A"], ["close"], [close]);
        var result = Resample.To(panel, Interval.Parse("15m"));
        Assert.Equal([T0, T0 + 15 * Minute], result.Panel.Times.ToArray());
        Assert.Equal([2.0, 5], Series(result.Panel, "close", "A"));
        Assert.True(result.DroppedPartialBar);
        Assert.Equal(1, result.IncompleteBars);
        Assert.EndsWith("; the unclosed last bar left out", result.Note, StringComparison.Ordinal);

        // one more candle closes the 00:30 bar at 00:45, the end of the data: it is kept
        using var longer = Build("5m", Minutes(5, 8), ["A"], ["close"], [[.. close, 8]]);
        var closed = Resample.To(longer, Interval.Parse("15m"));
        Assert.Equal([T0, T0 + 15 * Minute, T0 + 30 * Minute], closed.Panel.Times.ToArray());
        Assert.Equal([2.0, 5, 8], Series(closed.Panel, "close", "A"));
        Assert.False(closed.DroppedPartialBar);
    }

    [Fact]
    public void WeeksOpenOnMondayAtMidnightUtc()
    {
        // daily candles from Wednesday 2024-01-03 to Sunday 2024-01-21
        var times = Enumerable.Range(2, 19).Select(d => T0 + d * Day).ToArray();
        double[] close = [.. Enumerable.Range(3, 19).Select(d => (double)d)];
        using var panel = Build("1d", times, ["A"], ["close", "volume"], [close], [[.. Enumerable.Repeat(1.0, 19)]]);

        var result = Resample.To(panel, Interval.Parse("1w"));
        Assert.Equal([T0, T0 + 7 * Day, T0 + 14 * Day], result.Panel.Times.ToArray()); // Mondays 01-01, 01-08, 01-15
        Assert.Equal([7.0, 14, 21], Series(result.Panel, "close", "A"));
        Assert.Equal([5.0, 7, 7], Series(result.Panel, "volume", "A"));
        Assert.Equal(1, result.IncompleteBars);
        Assert.False(result.DroppedPartialBar);

        // Monday 2024-01-22 opens a week the data does not close
        using var more = Build("1d", [.. times, T0 + 21 * Day], ["A"], ["close"], [[.. close, 22]]);
        var dropped = Resample.To(more, Interval.Parse("1w"));
        Assert.Equal(3, dropped.Panel.TimeCount);
        Assert.True(dropped.DroppedPartialBar);
    }

    [Theory]
    [InlineData("2024-01-07T23:59:59Z", "1w", "2024-01-01T00:00:00Z")] // a Sunday belongs to the week of the Monday before
    [InlineData("2024-01-08T00:00:00Z", "1w", "2024-01-08T00:00:00Z")]
    [InlineData("1970-01-01T12:00:00Z", "1w", "1969-12-29T00:00:00Z")] // the epoch was a Thursday
    [InlineData("2024-03-05T03:59:59Z", "4h", "2024-03-05T00:00:00Z")]
    [InlineData("2024-03-05T04:00:00Z", "4h", "2024-03-05T04:00:00Z")]
    [InlineData("2024-03-05T23:55:00Z", "1d", "2024-03-05T00:00:00Z")]
    [InlineData("2024-03-05T13:07:00Z", "15m", "2024-03-05T13:00:00Z")]
    public void BarsAreAlignedToTheEpochInUtc(string time, string interval, string open)
    {
        static long Ms(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        Assert.Equal(Ms(open), Resample.BarOpen(Ms(time), Interval.Parse(interval)));
    }

    [Fact]
    public void ExtraColumnsCombineByWhatTheyMean()
    {
        string[] columns = ["close", "volume", "quote_volume", "trades", "taker_buy_volume", "funding_rate", "open_interest", "market_cap"];
        using var panel = Build("5m", Minutes(0, 6), ["A"], columns,
            [[1, 2, 3, 4, 5, 6]],
            [[1, 1, 1, 2, 2, 2]],
            [[10, 20, 30, 40, 50, 60]],
            [[3, 4, 5, 6, 7, 8]],
            [[0.5, 0.5, 0.5, 1, 1, N]],
            [[N, 0.0001, N, N, N, N]], // paid once in the first quarter hour, not in the second
            [[100, 110, 120, 130, N, N]],
            [[7, 8, N, 9, 10, 11]]);
        var bars = Resample.To(panel, Interval.Parse("15m")).Panel;
        Assert.Equal([3.0, 6], Series(bars, "close", "A"));
        Assert.Equal([3.0, 6], Series(bars, "volume", "A"));
        Assert.Equal([60.0, 150], Series(bars, "quote_volume", "A"));
        Assert.Equal([12.0, 21], Series(bars, "trades", "A"));
        Assert.Equal([1.5, 2], Series(bars, "taker_buy_volume", "A"));
        Assert.Equal([0.0001, N], Series(bars, "funding_rate", "A"));
        Assert.Equal([120.0, 130], Series(bars, "open_interest", "A"));
        Assert.Equal([8.0, 11], Series(bars, "market_cap", "A"));

        Assert.Equal(AggregationRule.Sum, Resample.RuleFor("funding_rate"));
        Assert.Equal(AggregationRule.Sum, Resample.RuleFor("taker_buy_quote_volume"));
        Assert.Equal(AggregationRule.Last, Resample.RuleFor("open_interest_value"));
        Assert.Equal(AggregationRule.Last, Resample.RuleFor("something_new"));
    }

    [Fact]
    public void AnIntervalThatIsNotAWholeMultipleIsRefused()
    {
        using var panel = Build("5m", Minutes(0, 6), ["A"], ["close"], [[1, 2, 3, 4, 5, 6]]);
        var e = Assert.Throws<ArgumentException>(() => Resample.To(panel, Interval.Parse("7m")));
        Assert.Equal("dataset 'test': 7m bars are not a whole number of the data's 5m candles, so the candles cannot be aggregated into them", e.Message);
    }

    [Fact]
    public void AFinerIntervalIsRefusedNamingBoth()
    {
        using var panel = Build("5m", Minutes(0, 6), ["A"], ["close"], [[1, 2, 3, 4, 5, 6]]);
        var e = Assert.Throws<ArgumentException>(() => Resample.To(panel, Interval.Parse("1m")));
        Assert.Equal("dataset 'test': 1m bars are finer than the data's 5m candles; candles can only be aggregated into coarser bars", e.Message);
    }

    [Fact]
    public void CandlesThatStraddleTwoBarsAreRefused()
    {
        // 5-minute candles opening at :02, :07, :12: the one at 00:12 runs into the 00:15 bar
        using var panel = Build("5m", Minutes(2, 3), ["A"], ["close"], [[1, 2, 3]]);
        var e = Assert.Throws<ArgumentException>(() => Resample.To(panel, Interval.Parse("15m")));
        Assert.Contains("2024-01-01T00:12:00Z straddles two 15m bars", e.Message, StringComparison.Ordinal);
    }

    public sealed record Scenario(int Seed, int Assets, int StartMinute, int Minutes, int MissingPercent)
    {
        public override string ToString() => $"seed {Seed}, {Assets} asset(s), from minute {StartMinute}, {Minutes} minutes, {MissingPercent}% missing";
    }

    private static readonly Gen<Scenario> Scenarios =
        from seed in Gen.Choose(0, int.MaxValue)
        from assets in Gen.Choose(1, 9)
        from start in Gen.Choose(0, 240)
        from minutes in Gen.Choose(1, 600)
        from missing in Gen.Choose(0, 90)
        select new Scenario(seed, assets, start, minutes, missing);

    // random 1-minute candles with missing candles and missing rows; volumes and funding are exact in binary, so sums do not depend on order
    private static Panel Minutely(Scenario s)
    {
        var random = new SplitMix64((ulong)s.Seed);
        string[] columns = ["open", "high", "low", "close", "volume", "funding_rate", "open_interest"];
        var times = new List<long>();
        var data = columns.Select(_ => new List<double>()).ToArray();
        for (var m = 0; m < s.Minutes; m++)
        {
            if (random.Uniform() * 100 < s.MissingPercent / 3.0)
                continue; // no asset has this minute: the row is not on the time axis
            times.Add(T0 + (s.StartMinute + m) * Minute);
            for (var a = 0; a < s.Assets; a++)
            {
                var present = random.Uniform() * 100 >= s.MissingPercent;
                double open = 100 + random.Normal(), close = 100 + random.Normal();
                double[] values =
                [
                    open, Math.Max(open, close) + random.Uniform(), Math.Min(open, close) - random.Uniform(), close,
                    Math.Floor(random.Uniform() * 1000), random.Uniform() < 0.1 ? Math.Floor(random.Uniform() * 64) / 1_048_576 : N,
                    Math.Floor(random.Uniform() * 1e6),
                ];
                for (var c = 0; c < columns.Length; c++)
                    data[c].Add(present ? values[c] : N);
            }
        }
        var symbols = Enumerable.Range(0, s.Assets).Select(a => $"S{a}").ToArray();
        return new Panel("random", Interval.Parse("1m"), [.. symbols], [.. columns], new ArrayColumnStore([.. times], [.. data.Select(d => d.ToArray())]));
    }

    [Fact]
    public void AggregatingInStepsEqualsAggregatingAtOnce() =>
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(200),
            Prop.ForAll(Scenarios.ToArbitrary(), s =>
            {
                using var minutes = Minutely(s);
                var hour = Interval.Parse("1h");
                using var direct = Resample.To(minutes, hour).Panel;
                using var fives = Resample.To(minutes, Interval.Parse("5m")).Panel;
                using var stepped = Resample.To(fives, hour).Panel;
                return direct.Times.SequenceEqual(stepped.Times)
                    && direct.Columns.All(c => direct.Column(c).SequenceEqual(stepped.Column(c)));
            }));

    [Fact]
    public void FiveMinuteCandlesOfTheBundledDataMatchPandasResample()
    {
        var store = new DataStore(Repository.DataFolder);
        using var panel = store.ParseCsv(store.Catalog.Get("btcquoted_5m"), new ImportLog());
        var result = Resample.To(panel, Interval.Parse("1h"));
        using var bars = result.Panel;

        // numbers from /usr/bin/python3 (pandas 1.5.3) in the repository root:
        //   df = pd.read_csv('data/intraday/freqtrade_btcquoted_5m_2018-01.csv', parse_dates=['date'], float_precision='round_trip')
        //   df[df.pair == PAIR].set_index('date').resample('1h', label='left', closed='left').agg(
        //       {'open': 'first', 'high': 'max', 'low': 'min', 'close': 'last', 'volume': lambda s: s.sum(min_count=1)})
        //   counts = df.assign(hour=df.date.dt.floor('1h')).groupby(['hour', 'pair']).size()   # before 2018-01-30 04:00
        //   -> 480 hours; 15 of them, and 25 pair-hours, have fewer than 12 candles
        (string Pair, string Bar, double Open, double High, double Low, double Close, double Volume)[] expected =
        [
            ("ADA/BTC", "2018-01-10T04:00:00Z", 5.330000000000001e-05, 5.330000000000001e-05, 5.288000000000001e-05, 5.2900000000000005e-05, 431401.97869504),
            ("ADA/BTC", "2018-01-15T11:00:00Z", 5.9650000000000007e-05, 5.971e-05, 5.9600000000000005e-05, 5.966000000000001e-05, 844295.87663664),
            ("ADA/BTC", "2018-01-15T12:00:00Z", N, N, N, N, N),
            ("ADA/BTC", "2018-01-15T14:00:00Z", 5.964000000000001e-05, 5.966000000000001e-05, 5.858e-05, 5.922e-05, 2039749.11972119),
            ("ADA/BTC", "2018-01-30T03:00:00Z", 5.1760000000000006e-05, 5.1880000000000005e-05, 5.1500000000000005e-05, 5.161e-05, 2539718.9443400702),
            ("ETH/BTC", "2018-01-10T04:00:00Z", 0.0984, 0.0994766, 0.09828605, 0.0994766, 1820.54447418),
            ("ETH/BTC", "2018-01-15T11:00:00Z", 0.09652999, 0.097, 0.09421, 0.0944, 2957.75487291),
            ("ETH/BTC", "2018-01-15T12:00:00Z", 0.0944, 0.09521216, 0.0925, 0.09360995, 5352.9688182400005),
            ("ETH/BTC", "2018-01-15T14:00:00Z", 0.09236000000000001, 0.09273549, 0.09104002, 0.09190709999999999, 6063.66683169),
            ("ETH/BTC", "2018-01-30T03:00:00Z", 0.10433479999999999, 0.10433494, 0.10300000000000001, 0.10321381, 2370.92048832),
        ];
        foreach (var (pair, bar, open, high, low, close, volume) in expected)
        {
            var t = bars.Times.IndexOf(DateTimeOffset.Parse(bar, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
            var a = bars.AssetIndex(pair);
            Assert.True(t >= 0 && a >= 0, $"{pair} {bar}");
            Assert.Equal(open, bars["open", t, a]);
            Assert.Equal(high, bars["high", t, a]);
            Assert.Equal(low, bars["low", t, a]);
            Assert.Equal(close, bars["close", t, a]);
            if (double.IsNaN(volume))
                Assert.True(double.IsNaN(bars["volume", t, a]));
            else
                Assert.Equal(volume, bars["volume", t, a], 1e-12 * volume); // pandas sums in its own order
        }
        Assert.Equal(480, bars.TimeCount);
        Assert.Equal((15, 25L, true), (result.IncompleteBars, result.IncompleteCandles, result.DroppedPartialBar));
    }

    [Fact]
    public void EveryHourOfTheBundledDataMatchesTheRawCsvRowsGroupedByHour()
    {
        var store = new DataStore(Repository.DataFolder);
        using var panel = store.ParseCsv(store.Catalog.Get("btcquoted_5m"), new ImportLog());
        using var bars = Resample.To(panel, Interval.Parse("1h")).Panel;

        // the file read plainly: pair,date,open,high,low,close,volume; rows of each pair in time order
        var rows = File.ReadLines(Path.Combine(Repository.DataFolder, "intraday", "freqtrade_btcquoted_5m_2018-01.csv")).Skip(1)
            .Select(line => line.Split(','))
            .Select(f => (Pair: f[0], Time: DateTime.Parse(f[1], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal),
                Values: f[2..7].Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray()))
            .ToList();
        var end = rows.Max(r => r.Time).AddMinutes(5);
        var hours = rows
            .GroupBy(r => (r.Pair, Hour: new DateTime(r.Time.Year, r.Time.Month, r.Time.Day, r.Time.Hour, 0, 0, DateTimeKind.Utc)))
            .Where(g => g.Key.Hour.AddHours(1) <= end)
            .ToList();
        Assert.Equal(hours.Select(g => g.Key.Hour).Distinct().Count(), bars.TimeCount);
        var cells = 0;
        foreach (var g in hours)
        {
            var t = bars.Times.IndexOf(new DateTimeOffset(g.Key.Hour).ToUnixTimeMilliseconds());
            var a = bars.AssetIndex(g.Key.Pair);
            var candles = g.OrderBy(r => r.Time).ToList();
            Assert.Equal(candles[0].Values[0], bars["open", t, a]);
            Assert.Equal(candles.Max(r => r.Values[1]), bars["high", t, a]);
            Assert.Equal(candles.Min(r => r.Values[2]), bars["low", t, a]);
            Assert.Equal(candles[^1].Values[3], bars["close", t, a]);
            Assert.Equal(candles.Sum(r => r.Values[4]), bars["volume", t, a], 1e-12 * candles.Sum(r => r.Values[4]));
            cells++;
        }
        // every other (hour, pair) has no candle at all, and is absent
        var close = bars.Column("close");
        Assert.Equal(cells, close.ToArray().Count(double.IsFinite));
    }
}
