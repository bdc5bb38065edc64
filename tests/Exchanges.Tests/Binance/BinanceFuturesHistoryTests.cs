using System.Net;
using System.Net.Sockets;
using System.Text;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.History;

namespace StrategyLab.Exchanges.Tests.Binance;

public sealed class BinanceFuturesHistoryTests : IAsyncLifetime, IDisposable
{
    private const string Symbol = "BTCUSDT";
    private const int KlineCount = 3500;
    private static readonly DateTimeOffset Now = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset KlineStart = Now - TimeSpan.FromMinutes(KlineCount);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "strategylab-binance-" + Guid.NewGuid().ToString("N"));
    private readonly VirtualTimeProvider _clock = new(Now);
    private readonly ListLogger _log = new();
    private FakeBinanceVenue _venue = null!;

    public async Task InitializeAsync()
    {
        _venue = await FakeBinanceVenue.StartAsync();
        _venue.Now = _clock.GetUtcNow;
        _venue.Klines[(Symbol, "1m")] = FakeBinanceVenue.GenerateKlines(KlineStart, 60_000, KlineCount, seed: 7);
    }

    public async Task DisposeAsync() => await _venue.DisposeAsync();

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string KlineFile => Path.Combine(_directory, "BTCUSDT-1m.csv");

    // every download first reads the venue's clock (request 1); these are the requests for data
    private List<VenueRequest> DataRequests => [.. _venue.Requests.Where(r => r.Path != "/fapi/v1/time")];

    private BinanceFuturesHistory History(Func<BinanceHistoryOptions, BinanceHistoryOptions>? adjust = null)
    {
        var options = new BinanceHistoryOptions { BaseAddress = _venue.BaseAddress, TimeProvider = _clock, Logger = _log };
        return new BinanceFuturesHistory(adjust is null ? options : adjust(options));
    }

    private KlineDownloadRequest Klines(DateTimeOffset? to = null) =>
        new([Symbol], "1m", KlineStart - TimeSpan.FromDays(2), to, _directory);

    // from the first bar the venue has, so that a file holding it gets no note about earlier rows
    private KlineDownloadRequest KlinesFromTheFirst(DateTimeOffset? to = null) => new([Symbol], "1m", KlineStart, to, _directory);

    private string[] ExpectedKlineLines(Func<FakeKline, bool>? keep = null) =>
        [BinanceFuturesHistory.KlineCsvHeader, .. _venue.Klines[(Symbol, "1m")].Where(keep ?? (_ => true)).Select(k => k.CsvLine)];

    private static string[] Lines(string path)
    {
        var text = File.ReadAllText(path);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return text[..^1].Split('\n');
    }

    private static void AssertSameRows(string[] expected, string[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i] == actual[i], $"row {i}: expected '{expected[i]}', found '{actual[i]}'");
        }
    }

    [Fact]
    public async Task DownloadsEveryKlinePageByPageInTheBinanceCsvLayout()
    {
        using var history = History();

        var summary = await history.DownloadKlinesAsync(Klines());

        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));
        var download = Assert.Single(summary.Symbols);
        Assert.Equal(KlineCount, download.RowsWritten);
        Assert.Null(download.ResumedAfter);
        Assert.Equal(KlineStart, download.FirstTime);
        Assert.Equal(Now - TimeSpan.FromMinutes(1), download.LastTime);
        Assert.Empty(summary.Notes);
        Assert.Empty(_clock.Delays);
        Assert.Equal("/fapi/v1/time", _venue.Requests[0].Path);
        var requests = DataRequests;
        Assert.Equal(4, requests.Count); // four pages of at most 1000; the last one reaches the end
        Assert.All(requests, r => Assert.Equal("1000", r.Query["limit"]));
        Assert.Equal(KlineStart.ToUnixTimeMilliseconds() + (1000 * 60_000), requests[1].Long("startTime")); // one past the close time of the last row written
        Assert.All(requests, r => Assert.Equal(Now.ToUnixTimeMilliseconds() - 1, r.Long("endTime")));
    }

    [Fact]
    public async Task NeverWritesABarThatHasNotClosed()
    {
        _clock.Advance(TimeSpan.FromSeconds(30));
        var klines = _venue.Klines[(Symbol, "1m")];
        klines.AddRange(FakeBinanceVenue.GenerateKlines(Now, 60_000, 1, seed: 8));

        using var history = History();
        var summary = await history.DownloadKlinesAsync(Klines());

        AssertSameRows(ExpectedKlineLines(k => k.OpenTime < Now.ToUnixTimeMilliseconds()), Lines(KlineFile));
        Assert.Equal(KlineCount, summary.RowsWritten);
    }

    [Fact]
    public async Task WaitsTheRetryAfterOfA429ThenCompletesTheFile()
    {
        _venue.Fail(3, Fault.TooManyRequests(retryAfterSeconds: 7));
        using var history = History();

        await history.DownloadKlinesAsync(Klines());

        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));
        Assert.Equal([TimeSpan.FromSeconds(7)], _clock.Delays);
        var requests = DataRequests;
        Assert.Equal(requests[1].Query, requests[2].Query);
    }

    [Fact]
    public async Task WaitsForTheNextMinuteAfterA429WithoutRetryAfter()
    {
        _clock.Advance(TimeSpan.FromSeconds(20));
        _venue.Fail(2, Fault.TooManyRequests(retryAfterSeconds: 0));
        using var history = History();

        await history.DownloadKlinesAsync(Klines(to: Now));

        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));

        // to the venue's next minute and 0.25 s, on its clock as read to the millisecond
        var delay = Assert.Single(_clock.Delays);
        Assert.InRange(delay, TimeSpan.FromSeconds(40.249), TimeSpan.FromSeconds(40.25));
    }

    [Fact]
    public async Task RetriesAServerErrorWithBackoffThenCompletesTheFile()
    {
        _venue.Fail(4, Fault.ServerError());
        _venue.Fail(5, Fault.ServerError());
        using var history = History();

        await history.DownloadKlinesAsync(Klines());

        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], _clock.Delays);
    }

    [Fact]
    public async Task GivesUpWithAOneLineErrorWhenTheVenueKeepsFailing()
    {
        for (var request = 3; request <= 8; request++)
        {
            _venue.Fail(request, Fault.ServerError());
        }

        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines()));

        Assert.Equal(ExchangeErrorKind.ServerError, error.Kind);
        Assert.Contains("failed 6 times, last with HTTP 503 Service Unavailable", error.Message, StringComparison.Ordinal);
        Assert.Equal([1, 2, 4, 8, 16], _clock.Delays.Select(d => d.TotalSeconds));
        AssertSameRows(ExpectedKlineLines()[..1001], Lines(KlineFile));
    }

    [Fact]
    public async Task GivesUpWhenTheVenueKeepsAnsweringTooManyRequests()
    {
        for (var request = 2; request <= 7; request++)
        {
            _venue.Fail(request, Fault.TooManyRequests(retryAfterSeconds: 30));
        }

        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines()));

        Assert.Equal(ExchangeErrorKind.RateLimited, error.Kind);
        Assert.Contains("429 Too Many Requests", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, _clock.Delays.Count);
        Assert.Equal(6, DataRequests.Count);
    }

    [Fact]
    public async Task RetriesAMalformedBodyThenCompletesTheFile()
    {
        _venue.Fail(3, Fault.MalformedBody());
        using var history = History();

        await history.DownloadKlinesAsync(Klines());

        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));
        var requests = DataRequests;
        Assert.Equal(requests[1].Query, requests[2].Query);
    }

    [Fact]
    public async Task FailsNamingTheUrlAndTheFaultAfterRepeatedMalformedBodies()
    {
        for (var request = 3; request <= 6; request++)
        {
            _venue.Fail(request, Fault.MalformedBody());
        }

        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines()));

        Assert.Equal(ExchangeErrorKind.MalformedResponse, error.Kind);
        Assert.Contains("/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=", error.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(5, DataRequests.Count);
        AssertSameRows(ExpectedKlineLines()[..1001], Lines(KlineFile));
    }

    [Fact]
    public async Task RetriesAConnectionDroppedMidPageThenCompletesTheFile()
    {
        _venue.Fail(3, Fault.DropMidBody());
        using var history = History();

        await history.DownloadKlinesAsync(Klines());

        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));
        Assert.Contains(_log.Messages, m => m.StartsWith("Warning: GET", StringComparison.Ordinal) && m.Contains("the connection", StringComparison.Ordinal));
        var requests = DataRequests;
        Assert.Equal(5, requests.Count);
        Assert.Equal(requests[1].Query, requests[2].Query);
    }

    [Fact]
    public async Task SaysTheExchangeCannotBeReachedAnyMoreWhenItGoesAwayMidDownload()
    {
        using var history = History();
        var progress = new SynchronousProgress(p =>
        {
            if (p.RowsWritten == 1000)
            {
                _venue.StopAsync().GetAwaiter().GetResult();
            }
        });

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines(), progress));

        Assert.Equal(ExchangeErrorKind.Unreachable, error.Kind);
        Assert.StartsWith($"cannot reach the exchange (Binance at {_venue.BaseAddress.GetLeftPart(UriPartial.Authority)}) any more after 6 attempts", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("the rows already written are kept, run again to resume", error.Message, StringComparison.Ordinal);
        Assert.Equal([1, 2, 4, 8, 16], _clock.Delays.Select(d => d.TotalSeconds));
        AssertSameRows(ExpectedKlineLines()[..1001], Lines(KlineFile));
    }

    [Fact]
    public async Task StopsAtOnceWhenTheVenueBansTheAddress()
    {
        _venue.Fail(3, Fault.Ban(retryAfterSeconds: 120));
        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines()));

        Assert.Equal(ExchangeErrorKind.Banned, error.Kind);
        Assert.Contains("HTTP 418", error.Message, StringComparison.Ordinal);
        Assert.Contains("2024-06-01 00:02:00 UTC", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, _venue.Requests.Count);
        Assert.Empty(_clock.Delays);
    }

    [Fact]
    public async Task StopsAtARedirectInsteadOfSendingTheRequestAgainElsewhere()
    {
        _venue.Fail(3, Fault.Redirect());
        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines()));

        Assert.Equal(ExchangeErrorKind.Rejected, error.Kind);
        Assert.StartsWith($"Binance answered GET {_venue.BaseAddress.GetLeftPart(UriPartial.Authority)}/fapi/v1/klines?symbol=BTCUSDT", error.Message, StringComparison.Ordinal);
        Assert.Contains("with HTTP 301 Moved Permanently, a redirect to http://127.0.0.1:1/fapi/v1/klines?symbol=BTCUSDT", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("; check the base address", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, _venue.Requests.Count);
        AssertSameRows(ExpectedKlineLines()[..1001], Lines(KlineFile));
    }

    [Fact]
    public async Task ResumesAKilledRunToTheSameCompleteFile()
    {
        using (var cancellation = new CancellationTokenSource())
        using (var first = History())
        {
            var progress = new SynchronousProgress(p =>
            {
                if (p.RowsWritten >= 2000)
                {
                    cancellation.Cancel();
                }
            });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                () => first.DownloadKlinesAsync(Klines(), progress, cancellation.Token));
        }

        AssertSameRows(ExpectedKlineLines()[..2001], Lines(KlineFile));
        var partial = _venue.Klines[(Symbol, "1m")][2000].CsvLine[..40];
        await File.AppendAllTextAsync(KlineFile, partial);
        var requestsBefore = DataRequests.Count;

        using var second = History();
        var summary = await second.DownloadKlinesAsync(Klines());

        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));
        Assert.Contains(summary.Notes, n => n.Contains("partial last line (40 bytes)", StringComparison.Ordinal));
        Assert.Contains(_log.Messages, m => m.StartsWith("Warning: Removed a partial last line (40 bytes)", StringComparison.Ordinal));
        var download = Assert.Single(summary.Symbols);
        Assert.Equal(KlineCount - 2000, download.RowsWritten);
        Assert.Equal(KlineStart + TimeSpan.FromMinutes(1999), download.ResumedAfter);
        var resumed = DataRequests[requestsBefore];
        Assert.Equal(KlineStart.ToUnixTimeMilliseconds() + (1999 * 60_000), resumed.Long("startTime")); // the last row written, read again
        Assert.Equal(0, download.RowsReplaced);
    }

    [Fact]
    public async Task ContinuesAfterTheLastRowWhenRunAgainLater()
    {
        using (var first = History())
        {
            await first.DownloadKlinesAsync(Klines(to: KlineStart + TimeSpan.FromMinutes(1234)));
        }

        AssertSameRows(ExpectedKlineLines()[..1235], Lines(KlineFile));

        using var second = History();
        var summary = await second.DownloadKlinesAsync(Klines());

        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));
        Assert.Equal(KlineCount - 1234, summary.RowsWritten);
    }

    [Fact]
    public async Task WaitsForTheNextMinuteWhenTheUsedWeightNearsTheLimit()
    {
        _venue.UsedWeight = 2398;
        using var history = History();

        await history.DownloadKlinesAsync(Klines());

        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));
        var delays = _clock.Delays;
        Assert.Equal(_venue.Requests.Count - 1, delays.Count);
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(60.25)));
    }

    [Fact]
    public async Task DownloadsEachSymbolIntoItsOwnFile()
    {
        var eth = FakeBinanceVenue.GenerateKlines(KlineStart + TimeSpan.FromMinutes(600), 60_000, 1700, seed: 11);
        _venue.Klines[("ETHUSDT", "1m")] = eth;
        using var history = History();

        var summary = await history.DownloadKlinesAsync(new KlineDownloadRequest(["btcusdt", "ETHUSDT", "BTCUSDT"], "1m", KlineStart, null, _directory));

        Assert.Equal(["BTCUSDT", "ETHUSDT"], summary.Symbols.Select(s => s.Symbol));
        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));
        AssertSameRows(
            [BinanceFuturesHistory.KlineCsvHeader, .. eth.Select(k => k.CsvLine)],
            Lines(Path.Combine(_directory, "ETHUSDT-1m.csv")));
        Assert.Equal(KlineCount + 1700, summary.RowsWritten);
    }

    [Fact]
    public async Task SaysSoWhenTheVenueHasNoDataInTheRange()
    {
        using var history = History();

        var summary = await history.DownloadKlinesAsync(Klines(to: KlineStart - TimeSpan.FromDays(1)));

        Assert.Equal([BinanceFuturesHistory.KlineCsvHeader], Lines(KlineFile));
        var note = Assert.Single(summary.Notes);
        Assert.Equal("Binance has no klines 1m for BTCUSDT from 2024-05-27 13:40:00 UTC to 2024-05-28 13:40:00 UTC", note);
    }

    [Fact]
    public async Task ReportsAnUnknownSymbolInOneLine()
    {
        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(
            () => history.DownloadKlinesAsync(new KlineDownloadRequest(["nopeusdt"], "1m", KlineStart, null, _directory)));

        Assert.Equal(ExchangeErrorKind.Rejected, error.Kind);
        Assert.Equal(-1121, error.VenueCode);
        Assert.StartsWith("unknown symbol 'NOPEUSDT' on Binance USDⓈ-M futures (Binance -1121: Invalid symbol.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task RejectsAnUnknownIntervalBeforeSendingAnything()
    {
        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(
            () => history.DownloadKlinesAsync(new KlineDownloadRequest([Symbol], "1H", KlineStart, null, _directory)));

        Assert.Equal(ExchangeErrorKind.InvalidRequest, error.Kind);
        Assert.Contains("unknown interval '1H'", error.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean '1h'?", error.Message, StringComparison.Ordinal);
        Assert.Empty(_venue.Requests);
    }

    [Fact]
    public async Task ReportsProgressUpToTheExpectedEnd()
    {
        var reports = new List<DownloadProgress>();
        using var history = History();

        await history.DownloadKlinesAsync(Klines(), new SynchronousProgress(reports.Add));

        Assert.Equal(0, reports[0].RowsWritten);
        Assert.Equal(Now, reports[^1].ExpectedEnd);
        Assert.Equal(Now, reports[^1].Reached);
        Assert.Equal(KlineCount, reports[^1].RowsWritten);
        Assert.Equal(1.0, reports[^1].Fraction);
        Assert.Equal([0L, 1000, 2000, 3000, 3500], reports.Select(r => r.RowsWritten));
        Assert.All(reports, r => Assert.Equal("klines 1m", r.Dataset));
    }

    [Fact]
    public async Task DownloadsFundingRatesIntoTheFundingLayout()
    {
        var start = Now - TimeSpan.FromHours(2500 * 8) - TimeSpan.FromHours(1);
        var records = FakeBinanceVenue.GenerateFunding(Symbol, start, 2500, seed: 3);
        _venue.Funding[Symbol] = records;
        _venue.Fail(3, Fault.DropMidBody());
        using var history = History();

        var summary = await history.DownloadFundingAsync(new FundingDownloadRequest([Symbol], start - TimeSpan.FromDays(10), null, _directory));

        string[] expected = ["funding_time,symbol,funding_rate,mark_price", .. records.Select(r => r.CsvLine)];
        AssertSameRows(expected, Lines(Path.Combine(_directory, "BTCUSDT-funding.csv")));
        Assert.Equal(2500, summary.RowsWritten);
        Assert.All(DataRequests, r => Assert.Equal("1000", r.Query["limit"]));
    }

    [Fact]
    public async Task DownloadsOpenInterestOnlyForTheLatest30DaysAndSaysSo()
    {
        var records = FakeBinanceVenue.GenerateOpenInterest(Symbol, Now - TimeSpan.FromDays(35), 300_000, 35 * 288 + 1, seed: 5);
        _venue.OpenInterest[(Symbol, "5m")] = records;
        _venue.Fail(4, Fault.TooManyRequests(retryAfterSeconds: 2));
        using var history = History();

        var summary = await history.DownloadOpenInterestAsync(
            new OpenInterestDownloadRequest([Symbol], "5m", Now - TimeSpan.FromDays(40), null, _directory));

        var oldest = (Now - TimeSpan.FromDays(30) + TimeSpan.FromMinutes(5)).ToUnixTimeMilliseconds();
        string[] expected =
        [
            "timestamp,symbol,sum_open_interest,sum_open_interest_value",
            .. records.Where(r => r.Time >= oldest && r.Time < Now.ToUnixTimeMilliseconds()).Select(r => r.CsvLine),
        ];
        AssertSameRows(expected, Lines(Path.Combine(_directory, "BTCUSDT-open_interest-5m.csv")));
        var note = Assert.Single(summary.Notes);
        Assert.Contains("only for the latest 30 days", note, StringComparison.Ordinal);
        Assert.Contains("starts at 2024-05-02 00:05:00 UTC", note, StringComparison.Ordinal);
        Assert.All(DataRequests, r => Assert.True(r.Long("startTime") >= oldest));
        Assert.All(DataRequests, r => Assert.True(r.Long("endTime") - r.Long("startTime") < 500 * 300_000));
    }

    [Fact]
    public async Task FailsClearlyWhenTheOpenInterestRangeIsOlderThan30Days()
    {
        _venue.OpenInterest[(Symbol, "1h")] = [];
        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadOpenInterestAsync(
            new OpenInterestDownloadRequest([Symbol], "1h", Now - TimeSpan.FromDays(60), Now - TimeSpan.FromDays(40), _directory)));

        Assert.Equal(ExchangeErrorKind.DataUnavailable, error.Kind);
        Assert.Contains("only for the latest 30 days", error.Message, StringComparison.Ordinal);
        Assert.Empty(DataRequests);
    }

    [Fact(Timeout = 60_000)]
    public async Task FailsFastWhenTheExchangePortIsClosed()
    {
        // a socket bound but not listening keeps the port from other tests and refuses every connection
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)closed.LocalEndPoint!).Port;
        using var history = new BinanceFuturesHistory(new BinanceHistoryOptions
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            ConnectTimeout = TimeSpan.FromSeconds(3),
        });

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines()));

        Assert.Equal(ExchangeErrorKind.Unreachable, error.Kind);
        Assert.StartsWith($"cannot reach the exchange (Binance at http://127.0.0.1:{port}): the connection was refused", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact(Timeout = 60_000)]
    public async Task FailsFastWhenTheExchangeHostCannotBeResolved()
    {
        using var history = new BinanceFuturesHistory(new BinanceHistoryOptions
        {
            BaseAddress = new Uri("https://nonexistent.invalid"),
            ConnectTimeout = TimeSpan.FromSeconds(3),
        });

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines()));

        Assert.Equal(ExchangeErrorKind.Unreachable, error.Kind);
        // "the host name could not be resolved", or the connect timeout where the resolver does not answer
        Assert.StartsWith("cannot reach the exchange (Binance at https://nonexistent.invalid): ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task JudgesWhetherABarHasClosedByTheVenuesClockNotOurs()
    {
        // ours reads 00:00:03 and the venue's 13.5 s less, so its 23:59 bar is still open, with the trades so far
        _clock.Advance(TimeSpan.FromSeconds(3));
        _venue.ClockOffset = TimeSpan.FromSeconds(-13.5);
        var last = _venue.Klines[(Symbol, "1m")][^1];
        Assert.NotEqual(last.CsvLine, last.InProgress(_venue.VenueNow.ToUnixTimeMilliseconds()).CsvLine);

        using (var history = History())
        {
            var summary = await history.DownloadKlinesAsync(Klines());
            Assert.Equal(KlineCount - 1, summary.RowsWritten);
        }

        AssertSameRows(ExpectedKlineLines(k => k != last), Lines(KlineFile));

        // a minute later it has closed on the venue's clock as well, and the next run adds it as it finished
        _clock.Advance(TimeSpan.FromMinutes(1));
        using (var history = History())
        {
            var summary = await history.DownloadKlinesAsync(Klines());
            Assert.Equal(1, summary.RowsWritten);
            Assert.Equal(0, summary.Symbols[0].RowsReplaced);
        }

        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));
    }

    [Fact]
    public async Task ReadsTheVenuesClockAgainWhenItsDateHeaderDisagrees()
    {
        // ours reads 00:00:03; the venue's agrees when first read, and is stepped back 13.5 s once the first page is written
        _clock.Advance(TimeSpan.FromSeconds(3));
        var last = _venue.Klines[(Symbol, "1m")][^1];
        var progress = new SynchronousProgress(p =>
        {
            if (p.RowsWritten == 1000)
            {
                _venue.ClockOffset = TimeSpan.FromSeconds(-13.5);
            }
        });
        using var history = History();

        await history.DownloadKlinesAsync(Klines(), progress);

        AssertSameRows(ExpectedKlineLines(k => k != last), Lines(KlineFile));
        Assert.Equal(2, _venue.Requests.Count(r => r.Path == "/fapi/v1/time"));
        Assert.Contains(_log.Messages, m => m.StartsWith("Warning: Binance dated its answer", StringComparison.Ordinal) && m.Contains("does not agree with its clock", StringComparison.Ordinal));
        Assert.InRange(history.VenueClock.Offset, TimeSpan.FromSeconds(-13.501), TimeSpan.FromSeconds(-13.499));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReplacesTheLastRowWhenTheVenueNowSendsAnotherVersionOfIt(bool servesBarContainingStart)
    {
        // an earlier run wrote the 23:59 bar 15 s before it closed
        _venue.ServesBarContainingStartTime = servesBarContainingStart;
        var klines = _venue.Klines[(Symbol, "1m")];
        var early = klines[^1].InProgress(Now.ToUnixTimeMilliseconds() - 15_000);
        Directory.CreateDirectory(_directory);
        string[] written = [BinanceFuturesHistory.KlineCsvHeader, .. klines[..^1].Select(k => k.CsvLine), early.CsvLine];
        File.WriteAllText(KlineFile, string.Join('\n', written) + "\n");
        using var history = History();

        var summary = await history.DownloadKlinesAsync(KlinesFromTheFirst());

        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));
        var download = Assert.Single(summary.Symbols);
        Assert.Equal(0, download.RowsWritten);
        Assert.Equal(1, download.RowsReplaced);
        var note = Assert.Single(summary.Notes);
        Assert.Equal($"{KlineFile}: replaced the row at 2024-05-31 23:59:00 UTC with the version Binance sends now ('{early.CsvLine}' became '{klines[^1].CsvLine}')", note);
        Assert.Contains($"Warning: {note}", _log.Messages);
        Assert.False(File.Exists(KlineFile + ".replacing"));
    }

    [Fact]
    public async Task LeavesALastRowStillOpenOnTheVenueUntilItHasClosed()
    {
        // the file ends with the 23:59 bar as it stood at 23:59:45, and the venue's clock reads 23:59:50
        var klines = _venue.Klines[(Symbol, "1m")];
        var early = klines[^1].InProgress(Now.ToUnixTimeMilliseconds() - 15_000);
        Directory.CreateDirectory(_directory);
        string[] written = [BinanceFuturesHistory.KlineCsvHeader, .. klines[..^1].Select(k => k.CsvLine), early.CsvLine];
        File.WriteAllText(KlineFile, string.Join('\n', written) + "\n");
        _venue.ClockOffset = TimeSpan.FromSeconds(-10);
        using var history = History();

        var summary = await history.DownloadKlinesAsync(KlinesFromTheFirst());

        AssertSameRows(written, Lines(KlineFile));
        Assert.Equal(0, summary.Symbols[0].RowsReplaced);
        var note = Assert.Single(summary.Notes);
        Assert.Equal($"{KlineFile}: the last row (2024-05-31 23:59:00 UTC) was written before Binance finished it; run the download again after 2024-06-01 00:00:00 UTC to check it against the finished one", note);
        Assert.Contains($"Warning: {note}", _log.Messages);
    }

    [Fact]
    public async Task FinishesABoundedDownloadFromAVenueThatAnswersFromTheBarContainingTheStart()
    {
        _venue.ServesBarContainingStartTime = true;
        var to = KlineStart + TimeSpan.FromMinutes(1234);

        using (var first = History())
        {
            var summary = await first.DownloadKlinesAsync(Klines(to));
            Assert.Equal(1234, summary.RowsWritten);
        }

        AssertSameRows(ExpectedKlineLines()[..1235], Lines(KlineFile));

        // again: the venue answers with the file's last row, the same as written, and nothing after it is in range
        using (var again = History())
        {
            var summary = await again.DownloadKlinesAsync(KlinesFromTheFirst(to));
            Assert.Equal(0, summary.RowsWritten);
            Assert.Equal(0, summary.Symbols[0].RowsReplaced);
            Assert.Empty(summary.Notes);
        }

        AssertSameRows(ExpectedKlineLines()[..1235], Lines(KlineFile));
    }

    [Fact]
    public async Task RefusesABarThatOpensAfterTheVenuesOwnTime()
    {
        _venue.Fail(3, Fault.BarFromTheFuture());
        using var history = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => history.DownloadKlinesAsync(Klines()));

        Assert.Equal(ExchangeErrorKind.MalformedResponse, error.Kind);
        Assert.Equal(
            "Binance answered a request for BTCUSDT klines with a bar opening at 2024-06-01 00:01:00 UTC, after its own time (2024-06-01 00:00:00 UTC at the latest)",
            error.Message);
        AssertSameRows(ExpectedKlineLines()[..1001], Lines(KlineFile));
    }

    [Fact]
    public async Task RefusesAnAnswerThatStartsBeforeTheLastRowWritten()
    {
        using (var first = History())
        {
            await first.DownloadKlinesAsync(Klines(to: KlineStart + TimeSpan.FromMinutes(1234)));
        }

        // the resumed download's first request for klines, after it reads the venue's clock
        _venue.Fail(_venue.Requests.Count + 2, Fault.StartsTwoBarsEarly());
        using var second = History();

        var error = await Assert.ThrowsAsync<ExchangeException>(() => second.DownloadKlinesAsync(Klines()));

        Assert.Equal(ExchangeErrorKind.MalformedResponse, error.Kind);
        Assert.Equal(
            "Binance answered a request for BTCUSDT klines 1m from 2024-05-30 10:13:00 UTC with a row at 2024-05-30 10:11:00 UTC, before the last row already written (2024-05-30 10:13:00 UTC)",
            error.Message);
        AssertSameRows(ExpectedKlineLines()[..1235], Lines(KlineFile));
    }

    [Fact]
    public async Task CountsEveryRequestThatReachedTheVenueAgainstTheWeightBudget()
    {
        // the venue reads requests 3 and 4 and closes their connections without answering
        _venue.Fail(3, Fault.CloseWithoutAnswer());
        _venue.Fail(4, Fault.CloseWithoutAnswer());
        using var history = History();

        await history.DownloadKlinesAsync(Klines());

        AssertSameRows(ExpectedKlineLines(), Lines(KlineFile));
        var requests = _venue.Requests;
        Assert.Equal(7, requests.Count); // the clock, four pages, and the two that went unanswered

        // documented weights: 1 for the server time, 5 for 1000 klines
        Assert.Equal(requests.Sum(r => r.Path == "/fapi/v1/time" ? 1 : 5), history.WeightSpent);

        // each was sent again by the client's own retry rules, after their backoff
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], _clock.Delays);
        Assert.Equal(2, _log.Messages.Count(m => m.StartsWith("Warning: GET", StringComparison.Ordinal) && m.Contains("closed the connection before answering", StringComparison.Ordinal)));
    }

    private sealed class SynchronousProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
