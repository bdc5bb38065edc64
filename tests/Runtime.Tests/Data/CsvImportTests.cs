using System.Collections.Immutable;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Tests.Data;

public sealed class CsvImportTests
{
    private const string DailyHeader = "date,symbol,base,open,high,low,close,volume\n";

    internal static DatasetSpec Spec(string file, string interval = "1d", RepairSpec? repair = null, string? symbol = null) => new()
    {
        Name = "test",
        Interval = interval,
        Sources = [new SourceSpec { File = file, Symbol = symbol }],
        Repair = repair ?? new RepairSpec(),
    };

    private static (Panel Panel, ImportLog Log) Parse(string csv, RepairSpec? repair = null, string interval = "1d", string file = "bars.csv")
    {
        using var folder = new TempFolder();
        folder.Write(file, csv);
        var log = new ImportLog();
        return (new DataStore(folder.Path).ParseCsv(Spec(file, interval, repair), log), log);
    }

    private static DataIssue SingleError(string csv, RepairSpec? repair = null, string interval = "1d")
    {
        var e = Assert.Throws<DataValidationException>(() => Parse(csv, repair, interval));
        return Assert.Single(e.Issues);
    }

    [Fact]
    public void AlignsAssetsOnOneTimeAxisWithLateListingsMissing()
    {
        var (p, _) = Parse(DailyHeader +
            "2024-01-01,BTC/USD,BTC,100,110,90,105,1\n" +
            "2024-01-02,BTC/USD,BTC,105,120,100,115,2\n" +
            "2024-01-02,ETH/USD,ETH,10,11,9,10.5,3\n");
        Assert.Equal(["BTC", "ETH"], p.Symbols.ToArray());
        Assert.Equal(2, p.TimeCount);
        Assert.Equal(105, p["close", 0, 0]);
        Assert.True(double.IsNaN(p["close", 0, 1]));
        Assert.Equal(10.5, p["close", 1, 1]);
        Assert.Equal(["open", "high", "low", "close", "volume"], p.Columns.ToArray());
    }

    [Fact]
    public void ReadsHeaderlessBinanceKlinesWithTheSymbolFromTheFileName()
    {
        var (p, _) = Parse(
            "1704067200000,42283.58,42554.57,42261.02,42475.23,1271.68108,1704070799999,53957248.97,47134,682.57581,28957416.82,0\n" +
            "1704070800000,42475.23,42775.00,42431.65,42613.56,1196.37856,1704074399999,50984893.33,44874,633.93,27018089.44,0\n",
            interval: "1h", file: "BTCUSDT-1h-2024-01.csv");
        Assert.Equal(["BTCUSDT"], p.Symbols.ToArray());
        Assert.Equal(1704070800000L, p.Times[1]);
        Assert.Equal(42613.56, p["close", 1, 0]);
        Assert.Equal(44874, p["trades", 1, 0]);
    }

    [Fact]
    public void JoinsExtraColumnsBySymbolAndNotesSymbolsWithoutCandles()
    {
        using var folder = new TempFolder();
        folder.Write("ohlcv.csv", DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105,1\n");
        folder.Write("cap.csv", "date,base,market_cap\n2024-01-01,BTC,2000\n2024-01-01,XYZ,5\n");
        var spec = Spec("ohlcv.csv") with { Sources = [new SourceSpec { File = "ohlcv.csv" }, new SourceSpec { File = "cap.csv" }] };
        var log = new ImportLog();
        var p = new DataStore(folder.Path).ParseCsv(spec, log);
        Assert.Equal(2000, p["market_cap", 0, 0]);
        Assert.Contains(log.Notes, n => n.Contains("XYZ", StringComparison.Ordinal));
    }

    [Fact]
    public void ReportsAnUnparsableNumberWithFileLineAndField() =>
        Assert.Equal("bars.csv(3): close: expected a number, found '1O5'",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105,1\n2024-01-02,BTC/USD,BTC,100,110,90,1O5,1\n").ToString());

    [Fact]
    public void ReportsAnUnparsableTime() =>
        Assert.Equal("bars.csv(2): date: expected a time, found '2024-01-32'",
            SingleError(DailyHeader + "2024-01-32,BTC/USD,BTC,100,110,90,105,1\n").ToString());

    [Fact]
    public void ReportsAMissingPrice() =>
        Assert.Equal("bars.csv(2): open: the value is empty",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,,110,90,105,1\n").ToString());

    [Fact]
    public void ReportsAWrongNumberOfFields() =>
        Assert.Equal("bars.csv(2): expected 8 fields, found 7",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105\n").ToString());

    [Fact]
    public void ReportsHighBelowLow() =>
        Assert.Equal("bars.csv(2): high: the high 90 is below the low 95",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,100,90,95,92,1\n").ToString());

    [Fact]
    public void ReportsANonPositivePrice() =>
        Assert.Equal("bars.csv(2): low: expected a positive price, found 0",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,0,105,1\n").ToString());

    [Fact]
    public void ReportsTimesOutOfOrder() =>
        Assert.Equal("bars.csv(3): BTC: time 2024-01-01 is earlier than the row before it (2024-01-02)",
            SingleError(DailyHeader + "2024-01-02,BTC/USD,BTC,100,110,90,105,1\n2024-01-01,BTC/USD,BTC,100,110,90,105,1\n").ToString());

    [Fact]
    public void ReportsADuplicateTime() =>
        Assert.Equal("bars.csv(3): BTC: a second row for 2024-01-01 (the first is on line 2)",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105,1\n2024-01-01,BTC/USD,BTC,100,110,90,105,1\n").ToString());

    [Fact]
    public void ReportsAGap() =>
        Assert.Equal("bars.csv(3): BTC: 2 bar(s) missing between 2024-01-01 and 2024-01-04",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105,1\n2024-01-04,BTC/USD,BTC,100,110,90,105,1\n").ToString());

    [Fact]
    public void ReportsAMissingColumnWithTheColumnsThereAre()
    {
        using var folder = new TempFolder();
        folder.Write("BTC.csv", "date,open,high,low,volume\n2024-01-01,1,1,1,1\n");
        var columns = new[] { "open", "high", "low", "close" }.ToImmutableDictionary(c => c, c => c);
        var spec = Spec("BTC.csv", symbol: "BTC") with { Sources = [new SourceSpec { File = "BTC.csv", Symbol = "BTC", Columns = columns }] };
        var e = Assert.Throws<DataValidationException>(() => new DataStore(folder.Path).ParseCsv(spec, new ImportLog()));
        Assert.Equal("BTC.csv(1): close: the header has no column 'close'; it has date, open, high, low, volume", Assert.Single(e.Issues).ToString());
    }

    [Fact]
    public void ReportsEveryErrorNotOnlyTheFirst()
    {
        var e = Assert.Throws<DataValidationException>(() => Parse(DailyHeader +
            "2024-01-01,BTC/USD,BTC,x,110,90,105,1\n2024-01-02,BTC/USD,BTC,100,110,90,y,1\n2024-01-03,BTC/USD,BTC,100,80,90,95,1\n"));
        Assert.Equal([DataIssueKind.UnparsableNumber, DataIssueKind.UnparsableNumber, DataIssueKind.HighBelowLow], e.Issues.Select(i => i.Kind));
        Assert.Equal([2, 3, 4], e.Issues.Select(i => i.Line));
    }

    [Fact]
    public void ForwardFillsGapsOnlyWhenAskedAndLogsIt()
    {
        var (p, log) = Parse(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105,7\n2024-01-04,BTC/USD,BTC,100,110,90,101,1\n",
            new RepairSpec { Gaps = "ffill" });
        Assert.Equal(4, p.TimeCount);
        Assert.Equal([105.0, 105.0, 105.0, 105.0, 0.0], p.Columns.Select(c => p[c, 1, 0]));
        Assert.Equal(101, p["close", 3, 0]);
        Assert.Contains("filled with the previous close", Assert.Single(log.Repairs).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeepsGapsMissingWhenAskedAndLogsIt()
    {
        var (p, log) = Parse(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105,7\n2024-01-04,BTC/USD,BTC,100,110,90,101,1\n",
            new RepairSpec { Gaps = "keep" });
        Assert.Equal(2, p.TimeCount);
        Assert.Equal(DataIssueKind.Gap, Assert.Single(log.Repairs).Kind);
    }

    [Fact]
    public void DropsInvalidRowsOnlyWhenAskedAndLogsEach()
    {
        var (p, log) = Parse(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105,7\n2024-01-02,BTC/USD,BTC,100,80,90,95,1\n",
            new RepairSpec { InvalidRows = "drop", Gaps = "keep" });
        Assert.Equal(1, p.TimeCount);
        var repair = Assert.Single(log.Repairs, r => r.Kind == DataIssueKind.HighBelowLow);
        Assert.Equal(3, repair.Line);
    }

    [Fact]
    public void KeepsTheFirstOfDuplicatesWhenAsked()
    {
        var (p, log) = Parse(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105,7\n2024-01-01,BTC/USD,BTC,100,110,90,99,1\n",
            new RepairSpec { Duplicates = "keep_first" });
        Assert.Equal(105, p["close", 0, 0]);
        Assert.Equal(DataIssueKind.DuplicateTime, Assert.Single(log.Repairs).Kind);
    }

    [Fact]
    public void SortsOutOfOrderRowsWhenAsked()
    {
        var (p, _) = Parse(DailyHeader + "2024-01-02,BTC/USD,BTC,100,110,90,102,7\n2024-01-01,BTC/USD,BTC,100,110,90,101,1\n",
            new RepairSpec { Order = "sort" });
        Assert.Equal(101, p["close", 0, 0]);
        Assert.Equal(102, p["close", 1, 0]);
    }

    [Fact]
    public void ReadsEveryBundledDataset()
    {
        var store = new DataStore(Repository.DataFolder);
        foreach (var spec in store.Catalog.Datasets)
        {
            var log = new ImportLog();
            using var p = store.ParseCsv(spec, log);
            Assert.True(p.TimeCount > 0 && p.AssetCount > 0, spec.Name);
        }
    }

    [Fact]
    public void UnitsAreConvertedOnlyAsDeclared()
    {
        using var folder = new TempFolder();
        folder.Write("fr.csv", "rank,coin_name,coin_symbol,symbol,date,timestamp,funding_rate,funding_rate_pct,fr_open,fr_high,fr_low\n" +
            "1,Bitcoin,BTC,BTCUSD_PERP.A,2025-07-28,1753660800,0.01,1.0,0.01,0.01,0.01\n");
        var p = new DataStore(folder.Path).ParseCsv(Spec("fr.csv"), new ImportLog());
        Assert.Equal(0.0001, p["funding_rate", 0, 0], 15);
        Assert.Equal(["funding_rate"], p.Columns.ToArray());
    }

    // 1704067200 = 2024-01-01T00:00:00Z (Python: int(datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()))
    [Theory]
    [InlineData("time", "1704067200", "1704153600")]
    [InlineData("timestamp", "1704067200", "1704153600")]
    [InlineData("timestamp", "1704067200000", "1704153600000")]
    [InlineData("time", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")]
    public void RecognisesThePlainCandleHeader(string timeColumn, string first, string second)
    {
        var (p, _) = Parse($"{timeColumn},open,high,low,close,volume\n{first},10,12,9,11,5\n{second},11,13,10,12.5,6\n", file: "BTCUSDT.csv");
        Assert.Equal(["BTCUSDT"], p.Symbols.ToArray());
        Assert.Equal([1704067200000L, 1704153600000L], p.Times.ToArray());
        Assert.Equal(12.5, p["close", 1, 0]);
        Assert.Equal(6, p["volume", 1, 0]);
    }

    [Fact]
    public void ReadsThePlainCandleHeaderInAnyLetterCaseWithASymbolColumn()
    {
        var (p, _) = Parse("Timestamp,Symbol,Open,High,Low,Close,Volume\n" +
            "1704067200,ETH,10,12,9,11,5\n1704067200,BTC,100,120,90,110,1\n1704153600,BTC,110,130,100,120,2\n");
        Assert.Equal(["BTC", "ETH"], p.Symbols.ToArray());
        Assert.Equal(120, p["close", 1, 0]);
        Assert.Equal(11, p["close", 0, 1]);
        Assert.True(double.IsNaN(p["close", 1, 1]));
    }

    [Fact]
    public void ReadsAnyLayoutThroughAColumnMap()
    {
        using var folder = new TempFolder();
        folder.Write("ticks.csv", "px,ts,lo,hi,first,qty\n11,1704067200000,9,12,10,5\n12,1704153600000,10,13,11,7\n");
        var map = new Dictionary<string, string> { ["time"] = "ts", ["close"] = "px", ["open"] = "first", ["high"] = "hi", ["low"] = "lo", ["volume"] = "qty" };
        var spec = Spec("ticks.csv") with { Sources = [new SourceSpec { File = "ticks.csv" }.WithColumnMap(map)] };
        using var p = new DataStore(folder.Path).ParseCsv(spec, new ImportLog());
        Assert.Equal(["TICKS"], p.Symbols.ToArray());
        Assert.Equal(["open", "high", "low", "close", "volume"], p.Columns.ToArray());
        Assert.Equal([11.0, 13.0, 10.0, 12.0, 7.0], p.Columns.Select(c => p[c, 1, 0]));
    }

    [Fact]
    public void AColumnMapThatNamesAColumnTwiceIsRefused()
    {
        var map = new[] { KeyValuePair.Create("time", "ts"), KeyValuePair.Create("close", "px"), KeyValuePair.Create("close", "c") };
        var e = Assert.Throws<FormatException>(() => new SourceSpec { File = "x.csv" }.WithColumnMap(map));
        Assert.Equal("the column 'close' is named twice", e.Message);
    }

    [Fact]
    public void ReportsAHighBelowTheOpen() =>
        Assert.Equal("bars.csv(3): high: the high 104 is below the open 105",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105,1\n2024-01-02,BTC/USD,BTC,105,104,95,100,1\n").ToString());

    [Fact]
    public void ReportsAHighBelowTheClose() =>
        Assert.Equal("bars.csv(2): high: the high 104 is below the close 104.5",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,100,104,90,104.5,1\n").ToString());

    [Fact]
    public void ReportsALowAboveTheOpen() =>
        Assert.Equal("bars.csv(2): low: the low 96 is above the open 95",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,95,110,96,105,1\n").ToString());

    [Fact]
    public void ReportsALowAboveTheClose() =>
        Assert.Equal("bars.csv(2): low: the low 96 is above the close 95.5",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,96,95.5,1\n").ToString());

    [Fact]
    public void AcceptsABarWhoseOpenAndCloseAreItsHighAndLow()
    {
        var (p, _) = Parse(DailyHeader + "2024-01-01,BTC/USD,BTC,110,110,90,90,1\n2024-01-02,BTC/USD,BTC,90,110,90,110,1\n");
        Assert.Equal(2, p.TimeCount);
    }

    [Theory]
    [InlineData("-1", "bars.csv(2): volume: expected a volume of zero or more, found -1")]
    [InlineData("NaN", "bars.csv(2): volume: expected a finite volume, found 'NaN'")]
    [InlineData("Infinity", "bars.csv(2): volume: expected a finite volume, found 'Infinity'")]
    [InlineData("-Infinity", "bars.csv(2): volume: expected a finite volume, found '-Infinity'")]
    public void ReportsANegativeOrNonFiniteVolume(string volume, string expected) =>
        Assert.Equal(expected, SingleError(DailyHeader + $"2024-01-01,BTC/USD,BTC,100,110,90,105,{volume}\n").ToString());

    [Fact]
    public void AnEmptyVolumeIsMissingNotAnError()
    {
        var (p, _) = Parse(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105,\n");
        Assert.True(double.IsNaN(p["volume", 0, 0]));
    }

    [Fact]
    public void ReportsAColumnNamedTwice() =>
        Assert.Equal("bars.csv(1): close: the header names 'close' twice (columns 5 and 6)",
            SingleError("date,open,high,low,close,close,volume\n2024-01-01,100,110,90,105,105,1\n").ToString());

    [Fact]
    public void ReportsAFileWithAHeaderButNoRows() =>
        Assert.Equal("bars.csv(1): the file has a header but no rows", SingleError(DailyHeader).ToString());

    [Fact]
    public void ReadsCarriageReturnLineEndsAsTheSameRows()
    {
        var rows = new[] { "2024-01-01,BTC/USD,BTC,100,110,90,105,1", "2024-01-02,BTC/USD,BTC,105,120,100,115,2", "2024-01-03,BTC/USD,BTC,115,116,101,102,3" };
        var (lf, _) = Parse(DailyHeader + string.Join("\n", rows) + "\n");
        var (cr, _) = Parse(DailyHeader.Replace("\n", "\r", StringComparison.Ordinal) + string.Join("\r", rows) + "\r");
        Assert.Equal(lf.Times.ToArray(), cr.Times.ToArray());
        foreach (var c in lf.Columns)
            Assert.Equal(lf.Column(c).ToArray(), cr.Column(c).ToArray());
        Assert.Equal(3, cr.TimeCount);
    }

    [Fact]
    public void NumbersLinesOfCarriageReturnFilesInErrors() =>
        Assert.Equal("bars.csv(3): close: expected a number, found 'x'",
            SingleError("date,symbol,base,open,high,low,close,volume\r2024-01-01,BTC/USD,BTC,100,110,90,105,1\r2024-01-02,BTC/USD,BTC,100,110,90,x,1\r\n").ToString());

    [Fact]
    public void ReportsAnUnclosedQuoteAtTheLineWhereItOpens() =>
        Assert.Equal("bars.csv(3): open: the quote that opens here is never closed",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105,1\n2024-01-02,BTC/USD,BTC,\"100,110,90,105,1\n" +
                "2024-01-03,BTC/USD,BTC,100,110,90,105,1\n2024-01-04,BTC/USD,BTC,100,110,90,105,1\n").ToString());

    [Fact]
    public void AnUnclosedQuoteIsAnErrorEvenWhenInvalidRowsAreDropped() =>
        Assert.Equal("bars.csv(3): open: the quote that opens here is never closed",
            SingleError(DailyHeader + "2024-01-01,BTC/USD,BTC,100,110,90,105,1\n2024-01-02,BTC/USD,BTC,\"100,110,90,105,1\n" +
                "2024-01-03,BTC/USD,BTC,100,110,90,105,1\n", new RepairSpec { InvalidRows = "drop", Gaps = "keep" }).ToString());

    [Fact]
    public void ReportsARowWithAQuotedLineBreakAtTheLineItStarts()
    {
        var e = Assert.Throws<DataValidationException>(() => Parse("date,symbol,base,note,open,high,low,close,volume\n" +
            "2024-01-01,BTC/USD,BTC,,100,110,90,105,1\n2024-01-02,BTC/USD,BTC,\"two\nlines\",100,110,90,x,1\n2024-01-03,BTC/USD,BTC,,100,110,90,y,1\n"));
        Assert.Equal(["bars.csv(3): close: expected a number, found 'x'", "bars.csv(5): close: expected a number, found 'y'"], e.Issues.Select(i => i.ToString()));
    }

    [Fact]
    public void CountsEveryDroppedRow()
    {
        var good = Enumerable.Range(1, 9).Select(d => $"2024-01-{d:00},BTC/USD,BTC,100,110,90,105,1\n");
        var bad = Enumerable.Range(10, 13).Select(d => d % 2 == 0 ? $"2024-01-{d:00},BTC/USD,BTC,100,110,90,x,1\n" : $"2024-01-{d:00},BTC/USD,BTC,100,110,90\n");
        var (p, log) = Parse(DailyHeader + string.Concat(good) + string.Concat(bad) + "2024-01-23,BTC/USD,BTC,100,110,90,105,1\n",
            new RepairSpec { InvalidRows = "drop", Gaps = "keep" });
        Assert.Equal(13, log.DroppedRows);
        Assert.Equal(Enumerable.Range(11, 13), log.Repairs.Where(r => r.Message.StartsWith("dropped the row", StringComparison.Ordinal)).Select(r => r.Line));
        Assert.Equal(10, p.TimeCount);
    }

    [Fact]
    public void TheCanonicalDefinitionListsDictionaryKeysInOrder()
    {
        var where = "hgfedcba".ToImmutableDictionary(c => c.ToString(), c => "v");
        var text = Catalog.Canonical(Spec("bars.csv") with { Sources = [new SourceSpec { File = "bars.csv", Where = where }] });
        Assert.Contains("{\"a\":\"v\",\"b\":\"v\",\"c\":\"v\",\"d\":\"v\",\"e\":\"v\",\"f\":\"v\",\"g\":\"v\",\"h\":\"v\"}", text, StringComparison.Ordinal);
    }
}
