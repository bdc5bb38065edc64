using StrategyLab.Exchanges.History;
using StrategyLab.Exchanges.Mexc;

namespace StrategyLab.Exchanges.Tests.Mexc;

/// <summary>
/// MEXC's history download against the fake venue: klines paged by windows of Unix seconds and funding rates paged by
/// number into the dataset layout, closed bars only, volumes converted from contracts exactly, the dataset's symbol
/// (BTCUSDT) mapped to MEXC's (BTC_USDT), resumption after a kill, and one-line errors for a symbol or interval MEXC
/// does not serve and for its error answers. Rows are checked against lines written out by hand.
/// </summary>
public sealed class MexcHistoryTests : IAsyncLifetime, IDisposable
{
    private const string Contract = FakeMexcVenue.Symbol;
    private const long Hour = 3_600_000;

    // 2024-06-01 00:30 UTC: the 00:00 bar is still open
    private static readonly DateTimeOffset Now = new(2024, 6, 1, 0, 30, 0, TimeSpan.Zero);
    private static readonly long Midnight = new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly DateTimeOffset From = new(2024, 5, 31, 19, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "strategylab-mexc-history-" + Guid.NewGuid().ToString("N"));
    private readonly VirtualTimeProvider _clock = new(Now);
    private readonly ListLogger _log = new();
    private FakeMexcVenue _venue = null!;

    // five closed hourly bars from 19:00 and the open 00:00 one, as MEXC writes them: open, high, low, close, vol (contracts of 0.001 BTC), amount
    private static readonly string[][] Bars =
    [
        ["67000.5", "67100.0", "66950.1", "67050.0", "12345.0", "827654.3215"],
        ["67050.0", "67200.0", "67010.0", "67190.5", "8001", "6.106243567181e7"],
        ["67190.5", "67190.5", "66800.0", "66850.0", "20000.0", "1340000.0"],
        ["66850.0", "66900.1", "66700.0", "66750.25", "1", "0.82"],
        ["66750.25", "66800.0", "66600.0", "66610.0", "15500.0", "1033000.5"],
        ["66610.0", "66650.0", "66590.0", "66640.0", "1200.0", "79950.0"],
    ];

    // the same five closed bars in the file: volume = vol × 0.001 in BTC, close_time = open_time + 1 h − 1 ms
    private static readonly string[] ExpectedKlines =
    [
        "open_time,open,high,low,close,volume,close_time,quote_volume",
        "1717182000000,67000.5,67100.0,66950.1,67050.0,12.3450,1717185599999,827654.3215",
        "1717185600000,67050.0,67200.0,67010.0,67190.5,8.001,1717189199999,61062435.67181",
        "1717189200000,67190.5,67190.5,66800.0,66850.0,20.0000,1717192799999,1340000.0",
        "1717192800000,66850.0,66900.1,66700.0,66750.25,0.001,1717196399999,0.82",
        "1717196400000,66750.25,66800.0,66600.0,66610.0,15.5000,1717199999999,1033000.5",
    ];

    public async Task InitializeAsync()
    {
        _venue = await FakeMexcVenue.StartAsync("history-key", "history-secret");
        _venue.Now = _clock.GetUtcNow;
        for (var i = 0; i < Bars.Length; i++)
        {
            _venue.AddHistoryKline(Contract, "Min60", (Midnight - ((5 - i) * Hour)) / 1000, Bars[i]);
        }
    }

    public async Task DisposeAsync() => await _venue.DisposeAsync();

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private const string KlinePath = "/api/v1/contract/kline/BTC_USDT";

    private string KlineFile => Path.Combine(_directory, "BTCUSDT-1h.csv");

    private IReadOnlyList<Fakes.ReceivedRequest> KlineRequests => _venue.Host.RequestsTo("GET", KlinePath);

    private MexcHistory History(int klinesPerRequest = 2) => new(
        MexcConformanceTests.Options(_venue) with { TimeProvider = _clock, Logger = _log, Jitter = () => 0.5 },
        klinesPerRequest);

    private KlineDownloadRequest Klines(string interval = "1h", params string[] symbols) =>
        new(symbols.Length == 0 ? ["BTCUSDT"] : symbols, interval, From, null, _directory);

    private static string[] Lines(string path)
    {
        var text = File.ReadAllText(path);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return text[..^1].Split('\n');
    }

    [Fact]
    public void TakesTheIntervalsMexcServes()
    {
        using var history = History();

        Assert.Equal(["1m", "5m", "15m", "30m", "1h", "4h", "8h", "1d", "1w"], history.KlineIntervals);
    }

    [Fact]
    public async Task WritesTheClosedKlinesWindowByWindowInTheDatasetLayoutWithVolumesInTheBaseAsset()
    {
        using var history = History();

        var summary = await history.DownloadKlinesAsync(Klines());

        Assert.Equal(ExpectedKlines, Lines(KlineFile));
        var download = Assert.Single(summary.Symbols);
        Assert.Equal(("BTCUSDT", 5L), (download.Symbol, download.RowsWritten));
        Assert.Empty(summary.Notes);

        // windows of two hours in Unix seconds from 19:00; the third reaches the venue's now, 00:30, and its open bar ends the download
        Assert.Equal(
            [("1717182000", "1717189199"), ("1717189200", "1717196399"), ("1717196400", "1717201799")],
            KlineRequests.Select(r => (r.Parameter("start"), r.Parameter("end"))));
        Assert.All(KlineRequests, r => Assert.Equal("Min60", r.Parameter("interval")));
    }

    [Fact]
    public async Task AsksForTwoThousandKlinesAWindowByDefault()
    {
        using var history = History(klinesPerRequest: 2000);

        await history.DownloadKlinesAsync(Klines());

        Assert.Equal(ExpectedKlines, Lines(KlineFile));
        var request = Assert.Single(KlineRequests);
        Assert.Equal(("1717182000", "1717201799"), (request.Parameter("start"), request.Parameter("end")));
    }

    [Fact]
    public async Task TakesTheDatasetsNameOrMexcsAndWritesBothUnderTheDatasetsName()
    {
        using var history = History();

        var summary = await history.DownloadKlinesAsync(Klines("1h", "btc_usdt", "BTCUSDT"));

        Assert.Equal("BTCUSDT", Assert.Single(summary.Symbols).Symbol);
        Assert.Equal(ExpectedKlines, Lines(KlineFile));
        Assert.False(File.Exists(Path.Combine(_directory, "BTC_USDT-1h.csv")));
    }

    [Fact]
    public async Task WritesTheOpenBarOnlyOnceItHasClosed()
    {
        using (var history = History())
        {
            await history.DownloadKlinesAsync(Klines());
        }

        _clock.Advance(TimeSpan.FromMinutes(30));
        using (var history = History())
        {
            Assert.Equal(1, (await history.DownloadKlinesAsync(Klines())).RowsWritten);
        }

        Assert.Equal([.. ExpectedKlines, "1717200000000,66610.0,66650.0,66590.0,66640.0,1.2000,1717203599999,79950.0"], Lines(KlineFile));
    }

    [Fact]
    public async Task ResumesAKilledDownloadToTheSameFile()
    {
        using (var cancellation = new CancellationTokenSource())
        using (var killed = History())
        {
            var progress = new SynchronousProgress(p =>
            {
                if (p.RowsWritten >= 2)
                {
                    cancellation.Cancel();
                }
            });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => killed.DownloadKlinesAsync(Klines(), progress, cancellation.Token));
        }

        Assert.Equal(ExpectedKlines[..3], Lines(KlineFile));
        await File.AppendAllTextAsync(KlineFile, ExpectedKlines[3][..31]);
        var before = KlineRequests.Count;

        using var resumed = History();
        var summary = await resumed.DownloadKlinesAsync(Klines());

        Assert.Equal(ExpectedKlines, Lines(KlineFile));
        Assert.Equal($"removed a partial last line (31 bytes) from {KlineFile}, left by an interrupted download", Assert.Single(summary.Notes));
        Assert.Equal(3, summary.RowsWritten);
        Assert.Equal("1717185600", KlineRequests[before].Parameter("start"));
    }

    [Fact]
    public async Task ASymbolMexcDoesNotListIsOneLineNamingMexcTheSymbolAndTheCause()
    {
        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines("1h", "dogeusdt")));

        Assert.Equal(ExchangeErrorKind.Rejected, error.Kind);
        Assert.Equal(
            "MEXC contract lists no DOGEUSDT: its contract list (GET /api/v1/contract/detail) has no contract of that name, with or without the underscore MEXC writes (BTC_USDT)",
            error.Message);
        Assert.Empty(KlineRequests);
    }

    [Fact]
    public async Task AnIntervalMexcDoesNotServeIsRefusedBeforeAnythingIsSent()
    {
        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines("3m")));

        Assert.Equal(ExchangeErrorKind.InvalidRequest, error.Kind);
        Assert.Equal("MEXC contract serves no '3m' klines (asked for BTCUSDT); it serves 1m, 5m, 15m, 30m, 1h, 4h, 8h, 1d, 1w", error.Message);
        Assert.Empty(_venue.Host.Requests);
    }

    [Fact]
    public async Task AnErrorAnswerStopsTheDownloadKeepingThePagesWritten()
    {
        // MEXC's error envelope as its page shows it, answered with HTTP 200
        var refusal = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "mexc", "http_error_internal.json"));
        using var history = History();
        var progress = new SynchronousProgress(p =>
        {
            if (p.RowsWritten == 2)
            {
                _venue.Host.Fail(KlinePath, new Fakes.InjectedFault(Fakes.FaultKind.Answer, 200, refusal));
            }
        });

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines(), progress));

        Assert.Equal(ExchangeErrorKind.ServerError, error.Kind);
        Assert.Equal(500, error.VenueCode);
        Assert.Equal("cannot download BTCUSDT klines 1h: MEXC rejected GET /api/v1/contract/kline/BTC_USDT (MEXC 500: System internal error!)", error.Message);
        Assert.Equal(ExpectedKlines[..3], Lines(KlineFile));
    }

    [Fact]
    public async Task DownloadsFundingRatesPageByPageUntilAPageReachesTheStart()
    {
        // 8-hourly funding for 250 settlements up to 00:00: three pages of 100, newest first
        var first = Midnight - (249 * 8 * Hour);
        for (var i = 0; i < 250; i++)
        {
            _venue.AddFundingRate(Contract, first + (i * 8 * Hour), i % 2 == 0 ? "0.000266" : "-1.5E-5");
        }

        var file = Path.Combine(_directory, "BTCUSDT-funding.csv");
        var request = new FundingDownloadRequest(["BTCUSDT"], DateTimeOffset.FromUnixTimeMilliseconds(first), null, _directory);
        using (var history = History())
        {
            Assert.Equal(250, (await history.DownloadFundingAsync(request)).RowsWritten);
        }

        var lines = Lines(file);
        Assert.Equal(251, lines.Length);
        Assert.Equal("funding_time,symbol,funding_rate", lines[0]);
        Assert.Equal("1710028800000,BTCUSDT,0.000266", lines[1]);
        Assert.Equal("1710057600000,BTCUSDT,-0.000015", lines[2]);
        Assert.Equal("1717200000000,BTCUSDT,-0.000015", lines[250]);
        var pages = _venue.Host.RequestsTo("GET", "/api/v1/contract/funding_rate/history");
        Assert.Equal(["1", "2", "3"], pages.Select(r => r.Parameter("page_num")));
        Assert.All(pages, r => Assert.Equal(("BTC_USDT", "100"), (r.Parameter("symbol"), r.Parameter("page_size"))));

        // eight hours later one more has settled: the first page reaches back past the file's last row
        _clock.Advance(TimeSpan.FromHours(8));
        _venue.AddFundingRate(Contract, Midnight + (8 * Hour), "0.0001");
        using (var history = History())
        {
            Assert.Equal(1, (await history.DownloadFundingAsync(request)).RowsWritten);
        }

        Assert.Equal([.. lines, "1717228800000,BTCUSDT,0.0001"], Lines(file));
        Assert.Equal(4, _venue.Host.RequestsTo("GET", "/api/v1/contract/funding_rate/history").Count);
    }

    private sealed class SynchronousProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
