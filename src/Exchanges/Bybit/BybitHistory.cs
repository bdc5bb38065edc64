using StrategyLab.Exchanges.Bybit.Common;
using StrategyLab.Exchanges.Bybit.Http;
using StrategyLab.Exchanges.History;
using StrategyLab.Exchanges.Http;

namespace StrategyLab.Exchanges.Bybit;

/// <summary>
/// Downloads Bybit v5 linear perpetuals' public history into resumable CSV files (<see cref="HistoryFiles"/>): klines
/// (<c>GET /v5/market/kline</c>, <c>category=linear</c>) and funding rates (<c>GET /v5/market/funding/history</c>).
/// Bybit answers the newest rows of a range first, at most 1000 klines or 200 funding rates a request
/// (https://bybit-exchange.github.io/docs/v5/market/kline, .../history-fund-rate), so each request covers a window that
/// holds at most one page: 1000 bars, or 200 hours of funding (the shortest funding interval Bybit sets is an hour; a
/// full answer halves the window and asks again). Requests are paced to 300 per 5 seconds, half of the 600 an IP may
/// send (https://bybit-exchange.github.io/docs/v5/rate-limit), and retried by the client's own rules
/// (<see cref="BybitOptions"/>). Symbols are named as Bybit and datasets both name them (<c>BTCUSDT</c>). Bybit
/// sends no trade counts, taker volumes or mark prices with its history: those columns are left out of the files.
/// </summary>
/// <example><code>
/// using var history = new BybitHistory();
/// await history.DownloadKlinesAsync(new KlineDownloadRequest(["BTCUSDT"], "1h", DateTimeOffset.Parse("2024-01-01Z"), null, "data/bybit-linear"));
/// </code></example>
public sealed class BybitHistory : IVenueHistory
{
    private const string Venue = "Bybit";
    private const int FundingPerRequest = 200;
    private const long FundingStep = 3_600_000;
    private const int RequestsPerWindow = 300;
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(5);

    private static readonly IReadOnlyList<VenueInterval> Intervals =
        [.. BybitIntervals.Downloads.Select(i => new VenueInterval(i.Text, i.Name, i.Milliseconds))];

    private readonly BybitOptions _options;
    private readonly BybitHttpClient _http;
    private readonly RequestWeightBudget _pace;
    private readonly HistoryDownload _download;
    private readonly int _klinesPerRequest;

    /// <summary>A downloader; <paramref name="options"/> default to the real venue, <paramref name="klinesPerRequest"/> to Bybit's most, 1000.</summary>
    /// <exception cref="ExchangeException">The options are invalid, or the page size is not 1 to 1000.</exception>
    public BybitHistory(BybitOptions? options = null, int klinesPerRequest = 1000)
    {
        _options = options ?? new BybitOptions();
        _options.Validate();
        if (klinesPerRequest is < 1 or > 1000)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidRequest, $"klines per request must be 1 to 1000 (Bybit's most), found {klinesPerRequest}");
        }

        _klinesPerRequest = klinesPerRequest;
        _http = new BybitHttpClient(_options, credentials: null);
        _pace = new RequestWeightBudget(RequestsPerWindow, _http.Clock, RateWindow);
        _download = new HistoryDownload(Venue, _http.Clock, ct => Call(() => _http.EnsureClock(ct), "read Bybit's clock"), _options.TimeProvider, _options.Logger);
    }

    /// <inheritdoc/>
    public string Folder => "bybit-linear";

    /// <inheritdoc/>
    public string Description => "Bybit linear perpetuals history downloaded by strategylab";

    /// <inheritdoc/>
    public IReadOnlyList<string> KlineIntervals { get; } = [.. Intervals.Select(i => i.Text)];

    /// <inheritdoc/>
    public Task<DownloadSummary> DownloadKlinesAsync(KlineDownloadRequest request, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var interval = VenueKlines.Find(Intervals, request.Interval, "Bybit linear", request.Symbols);
        var dataset = $"klines {interval.Text}";
        return _download.RunAsync(
            new HistoryJob(dataset, HistoryFiles.KlineHeader, s => HistoryFiles.KlineFileName(s, interval.Text), request.Symbols, request.From, request.To, request.OutputDirectory),
            async (symbol, cursor, end, ct) =>
            {
                var windowEnd = VenueKlines.WindowEnd(cursor, end, _klinesPerRequest, interval.Milliseconds);
                var sentAt = _options.TimeProvider.GetUtcNow();
                var klines = await Call(
                    () => Paced(() => _http.GetHistoryKlines(symbol.VenueSymbol, interval.VenueName, cursor, windowEnd - 1, _klinesPerRequest, ct), ct),
                    $"download {symbol.Name} {dataset}").ConfigureAwait(false);
                var served = await _download.ServedAsync(sentAt, _options.TimeProvider.GetUtcNow(), ct).ConfigureAwait(false);
                return VenueKlines.Page(
                    _download,
                    Venue,
                    symbol.Name,
                    klines.Select(k => new VenueKline(k.Start, k.Open, k.High, k.Low, k.Close, k.Volume, k.Turnover)),
                    interval.Milliseconds,
                    served,
                    windowEnd);
            },
            resolve: null,
            adjustStart: null,
            progress,
            cancellationToken);
    }

    /// <inheritdoc/>
    public Task<DownloadSummary> DownloadFundingAsync(FundingDownloadRequest request, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _download.RunAsync(
            new HistoryJob("funding", HistoryFiles.FundingHeader, HistoryFiles.FundingFileName, request.Symbols, request.From, request.To, request.OutputDirectory),
            (symbol, cursor, end, ct) => FundingWindowAsync(symbol, cursor, VenueKlines.WindowEnd(cursor, end, FundingPerRequest, FundingStep), ct),
            resolve: null,
            adjustStart: null,
            progress,
            cancellationToken);
    }

    /// <summary>Closes the HTTP connections.</summary>
    public void Dispose()
    {
        _http.Dispose();
        _download.Dispose();
    }

    // a full page may have left rows of the window out: the window is halved until an answer holds fewer than a page
    private async Task<HistoryPage> FundingWindowAsync(HistorySymbol symbol, long cursor, long windowEnd, CancellationToken ct)
    {
        while (true)
        {
            var sentAt = _options.TimeProvider.GetUtcNow();
            var records = await Call(
                () => Paced(() => _http.GetFundingHistory(symbol.VenueSymbol, cursor, windowEnd - 1, FundingPerRequest, ct), ct),
                $"download {symbol.Name} funding").ConfigureAwait(false);
            if (records.Count >= FundingPerRequest && windowEnd - cursor > 1)
            {
                windowEnd = cursor + ((windowEnd - cursor) / 2);
                continue;
            }

            var served = await _download.ServedAsync(sentAt, _options.TimeProvider.GetUtcNow(), ct).ConfigureAwait(false);
            if (records.FirstOrDefault(r => r.Symbol != symbol.VenueSymbol) is { } other)
            {
                throw new ExchangeException(
                    ExchangeErrorKind.MalformedResponse,
                    $"Bybit answered GET /v5/market/funding/history for {symbol.VenueSymbol} with a record for {other.Symbol}");
            }

            return VenueKlines.FundingPage(Venue, symbol.Name, records.Select(r => new VenueFunding(r.Timestamp, r.FundingRate)), served.Earliest, windowEnd);
        }
    }

    private async Task<T> Paced<T>(Func<Task<T>> send, CancellationToken ct)
    {
        await _pace.AcquireAsync(1, ct).ConfigureAwait(false);
        return await send().ConfigureAwait(false);
    }

    private static async Task Call(Func<Task> send, string doing) => await Call(async () =>
    {
        await send().ConfigureAwait(false);
        return true;
    }, doing).ConfigureAwait(false);

    // the client's failures, retried as its rules say, in the history's terms and naming what was being done
    private static async Task<T> Call<T>(Func<Task<T>> send, string doing)
    {
        try
        {
            return await send().ConfigureAwait(false);
        }
        catch (BybitApiException e)
        {
            throw VenueFailures.Of(doing, e, e.NeverSent, e.Kind, e.HttpStatus, e.Code);
        }
    }
}
