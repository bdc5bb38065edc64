using StrategyLab.Exchanges.Bybit;
using StrategyLab.Exchanges.History;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Exchanges.Tests.Bybit;

/// <summary>
/// Bybit's history download against the fake venue: klines and funding rates paged by time windows from Bybit's
/// newest-first answers into the dataset layout, closed bars only, resumption after a kill, and one-line errors for a
/// symbol or interval Bybit does not serve and for its error answers. Rows are checked against lines written out by hand.
/// </summary>
public sealed class BybitHistoryTests : IAsyncLifetime, IDisposable
{
    private const string Symbol = "BTCUSDT";
    private const long Hour = 3_600_000;

    // 2024-06-01 00:30 UTC: the 00:00 bar is still open
    private static readonly DateTimeOffset Now = new(2024, 6, 1, 0, 30, 0, TimeSpan.Zero);
    private static readonly long Midnight = new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly DateTimeOffset From = new(2024, 5, 31, 19, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "strategylab-bybit-history-" + Guid.NewGuid().ToString("N"));
    private readonly VirtualTimeProvider _clock = new(Now);
    private readonly ListLogger _log = new();
    private FakeBybitVenue _venue = null!;

    // five closed hourly bars from 19:00 and the open 00:00 one, each value as Bybit writes it
    private static readonly string[][] Bars =
    [
        ["67000.5", "67100", "66950.1", "67050", "12.345", "827654.3215"],
        ["67050", "67200.00", "67010", "67190.5", "8.001", "537000.12"],
        ["67190.5", "67190.5", "66800", "66850", "20", "1340000"],
        ["66850", "66900.1", "66700", "66750.25", "0.00001234", "0.82"],
        ["66750.25", "66800", "66600", "66610", "15.5", "1033000.5"],
        ["66610", "66650", "66590", "66640", "1.2", "79950"],
    ];

    // the same five closed bars as the file holds them: open_time,open,high,low,close,volume,close_time,quote_volume
    private static readonly string[] ExpectedKlines =
    [
        "open_time,open,high,low,close,volume,close_time,quote_volume",
        "1717182000000,67000.5,67100,66950.1,67050,12.345,1717185599999,827654.3215",
        "1717185600000,67050,67200.00,67010,67190.5,8.001,1717189199999,537000.12",
        "1717189200000,67190.5,67190.5,66800,66850,20,1717192799999,1340000",
        "1717192800000,66850,66900.1,66700,66750.25,0.00001234,1717196399999,0.82",
        "1717196400000,66750.25,66800,66600,66610,15.5,1717199999999,1033000.5",
    ];

    public async Task InitializeAsync()
    {
        _venue = await FakeBybitVenue.StartAsync("history-key", "history-secret");
        _venue.Now = _clock.GetUtcNow;
        for (var i = 0; i < Bars.Length; i++)
        {
            _venue.AddHistoryKline(Symbol, "60", Midnight - ((5 - i) * Hour), Bars[i]);
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

    private string KlineFile => Path.Combine(_directory, "BTCUSDT-1h.csv");

    private IReadOnlyList<Fakes.ReceivedRequest> KlineRequests => _venue.Host.RequestsTo("GET", "/v5/market/kline");

    private BybitHistory History(int klinesPerRequest = 2) => new(
        BybitConformanceTests.Options(_venue) with
        {
            TimeProvider = _clock,
            Logger = _log,
            MaxRetries = 2,
            RetryBaseDelay = TimeSpan.FromSeconds(1),
            RetryMaxDelay = TimeSpan.FromSeconds(30),
            RequestTimeout = TimeSpan.FromSeconds(30),
            Jitter = () => 0.5,
        },
        klinesPerRequest);

    private KlineDownloadRequest Klines(string interval = "1h", string symbol = Symbol) => new([symbol], interval, From, null, _directory);

    private static string[] Lines(string path)
    {
        var text = File.ReadAllText(path);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return text[..^1].Split('\n');
    }

    [Fact]
    public async Task WritesTheClosedKlinesOldestFirstWindowByWindowInTheDatasetLayout()
    {
        using var history = History();

        var summary = await history.DownloadKlinesAsync(Klines());

        Assert.Equal(ExpectedKlines, Lines(KlineFile));
        var download = Assert.Single(summary.Symbols);
        Assert.Equal(5, download.RowsWritten);
        Assert.Equal(From, download.FirstTime);
        Assert.Empty(summary.Notes);

        // windows of two hours from 19:00; the third reaches the venue's now, 00:30, and its open 00:00 bar ends the download
        Assert.Equal(
            [("1717182000000", "1717189199999"), ("1717189200000", "1717196399999"), ("1717196400000", "1717201799999")],
            KlineRequests.Select(r => (r.Parameter("start"), r.Parameter("end"))));
        Assert.All(KlineRequests, r =>
        {
            Assert.Equal("linear", r.Parameter("category"));
            Assert.Equal("BTCUSDT", r.Parameter("symbol"));
            Assert.Equal("60", r.Parameter("interval"));
            Assert.Equal("2", r.Parameter("limit"));
        });
    }

    [Fact]
    public async Task AsksForAThousandKlinesAPageByDefault()
    {
        using var history = History(klinesPerRequest: 1000);

        await history.DownloadKlinesAsync(Klines());

        Assert.Equal(ExpectedKlines, Lines(KlineFile));
        var request = Assert.Single(KlineRequests);
        Assert.Equal("1000", request.Parameter("limit"));
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
            var summary = await history.DownloadKlinesAsync(Klines());
            Assert.Equal(1, summary.RowsWritten);
        }

        Assert.Equal([.. ExpectedKlines, "1717200000000,66610,66650,66590,66640,1.2,1717203599999,79950"], Lines(KlineFile));
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

        // the kill cut the next row short, as a process killed in the middle of a write leaves it
        await File.AppendAllTextAsync(KlineFile, ExpectedKlines[3][..25]);
        var before = KlineRequests.Count;

        using var resumed = History();
        var summary = await resumed.DownloadKlinesAsync(Klines());

        Assert.Equal(ExpectedKlines, Lines(KlineFile));
        var note = Assert.Single(summary.Notes);
        Assert.Equal($"removed a partial last line (25 bytes) from {KlineFile}, left by an interrupted download", note);
        Assert.Equal(3, summary.RowsWritten);
        Assert.Equal(From + TimeSpan.FromHours(1), summary.Symbols[0].ResumedAfter);

        // the last complete row is asked for again
        Assert.Equal("1717185600000", KlineRequests[before].Parameter("start"));
    }

    [Fact]
    public async Task ASymbolBybitDoesNotListIsOneLineNamingBybitTheSymbolAndTheCause()
    {
        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines(symbol: "nopeusdt")));

        Assert.Equal(ExchangeErrorKind.Rejected, error.Kind);
        Assert.Equal(10001, error.VenueCode);
        Assert.Equal("cannot download NOPEUSDT klines 1h: Bybit refused GET /v5/market/kline (10001: Not supported symbols)", error.Message);
    }

    [Fact]
    public async Task AnIntervalBybitDoesNotServeIsRefusedBeforeAnythingIsSent()
    {
        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines(interval: "8h")));

        Assert.Equal(ExchangeErrorKind.InvalidRequest, error.Kind);
        Assert.Equal("Bybit linear serves no '8h' klines (asked for BTCUSDT); it serves 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d, 1w", error.Message);
        Assert.Empty(_venue.Host.Requests);
        Assert.False(File.Exists(Path.Combine(_directory, "BTCUSDT-8h.csv")));
    }

    [Fact]
    public async Task AnErrorAnswerThatOutlastsTheRetriesStopsTheDownloadKeepingThePagesWritten()
    {
        using var history = History();
        var progress = new SynchronousProgress(p =>
        {
            if (p.RowsWritten == 2)
            {
                _venue.Host.Fail("/v5/market/kline", _venue.Code(10016, "Internal server error."), times: 3);
            }
        });

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines(), progress));

        Assert.Equal(ExchangeErrorKind.ServerError, error.Kind);
        Assert.Equal(10016, error.VenueCode);
        Assert.StartsWith(
            "cannot download BTCUSDT klines 1h: Bybit failed on its side answering GET /v5/market/kline (10016: Internal server error.)",
            error.Message,
            StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(ExpectedKlines[..3], Lines(KlineFile));
        Assert.Equal(4, KlineRequests.Count);
    }

    [Fact]
    public async Task AValueThatIsNotADecimalStringIsAMalformedAnswerNotARoundedNumber()
    {
        _venue.AddHistoryKline(Symbol, "60", Midnight - (3 * Hour), "67190.5", "67190.5", "66800", "6.685e4", "20", "1340000");
        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines()));

        Assert.Equal(ExchangeErrorKind.MalformedResponse, error.Kind);
        Assert.Equal(
            "cannot download BTCUSDT klines 1h: Bybit answered GET /v5/market/kline with a body that is not the documented one: 'closePrice' is not a decimal string: \"6.685e4\"",
            error.Message);
        Assert.Equal(ExpectedKlines[..3], Lines(KlineFile));
    }

    [Fact]
    public async Task DownloadsFundingRatesWindowByWindowHalvingAWindowThatComesBackFull()
    {
        // hourly funding (the shortest Bybit sets) for 450 hours up to 23:00: a window of 200 hours comes back full
        var first = Midnight - (450 * Hour);
        for (var i = 0; i < 450; i++)
        {
            _venue.AddFundingRate(Symbol, first + (i * Hour), i % 3 == 0 ? "-0.000025" : "0.0001");
        }

        using var history = History();
        var summary = await history.DownloadFundingAsync(new FundingDownloadRequest([Symbol], DateTimeOffset.FromUnixTimeMilliseconds(first), null, _directory));

        var lines = Lines(Path.Combine(_directory, "BTCUSDT-funding.csv"));
        Assert.Equal(451, lines.Length);
        Assert.Equal("funding_time,symbol,funding_rate", lines[0]);
        Assert.Equal("1715580000000,BTCUSDT,-0.000025", lines[1]);
        Assert.Equal("1715583600000,BTCUSDT,0.0001", lines[2]);
        Assert.Equal("1717196400000,BTCUSDT,0.0001", lines[450]);
        Assert.Equal(450, summary.RowsWritten);

        // 200 hours full, halved to 100; three times, then the last 150 hours at once
        var windows = _venue.Host.RequestsTo("GET", "/v5/market/funding/history")
            .Select(r => (long.Parse(r.Parameter("startTime")!) - first) / Hour + ":" + ((long.Parse(r.Parameter("endTime")!) + 1 - first) / Hour))
            .ToList();
        Assert.Equal(["0:200", "0:100", "100:300", "100:200", "200:400", "200:300", "300:450"], windows);
        Assert.All(_venue.Host.RequestsTo("GET", "/v5/market/funding/history"), r => Assert.Equal("200", r.Parameter("limit")));
    }

    [Fact]
    public async Task TheDownloadedFilesLoadAsADatasetWithFundingAndWithoutTheColumnsBybitDoesNotServe()
    {
        _venue.AddFundingRate(Symbol, Midnight - (4 * Hour), "0.0001");
        var store = new DataStore(_directory);
        var folder = Path.Combine(store.Folder, "bybit-linear");
        using var history = History();

        var klines = await history.DownloadKlinesAsync(new KlineDownloadRequest([Symbol], "1h", From, null, folder));
        var funding = await history.DownloadFundingAsync(new FundingDownloadRequest([Symbol], From, null, folder));
        var spec = DownloadedDataset.Spec(store, "bybit_1h", "1h", "error", history, klines, [funding]);
        using var panel = store.Load(spec).Panel;

        Assert.Equal(["bybit-linear/BTCUSDT-1h.csv", "bybit-linear/BTCUSDT-funding.csv"], spec.Sources.Select(s => s.File));
        Assert.True(spec.Sources[1].FloorToInterval);
        Assert.Equal("BTCUSDT", Assert.Single(panel.Symbols));
        Assert.Equal(5, panel.TimeCount);
        Assert.Equal(["open", "high", "low", "close", "volume", "quote_volume", "funding_rate"], panel.Columns.ToArray());
        Assert.Equal(67190.5, panel["close", 1, 0]);
        Assert.Equal(0.0001, panel["funding_rate", 1, 0]);
        Assert.True(double.IsNaN(panel["funding_rate", 0, 0]));
    }

    private sealed class SynchronousProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
