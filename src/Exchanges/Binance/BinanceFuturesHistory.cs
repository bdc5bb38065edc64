using System.Globalization;
using Microsoft.Extensions.Logging;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Binance.Http;
using StrategyLab.Exchanges.History;

namespace StrategyLab.Exchanges.Binance;

/// <summary>
/// Downloads Binance USDⓈ-M futures history (klines, funding rates, open interest) from the public REST API into
/// append-only CSV files, one per symbol. Requests are paced by the venue's request-weight budget and retried on
/// 429, 5xx, dropped connections and malformed bodies; each page is on disk (fsync'd) before the next request, and
/// a second run over an existing file continues from its last complete row, so an interrupted download is resumed
/// by running it again. Whether a bar has closed is judged by the venue's clock (<see cref="VenueClock"/>), never
/// this machine's; the last row a file holds is read again when a download resumes, and replaced if the venue now
/// sends another version of it. Failures the user can cause or meet are <see cref="ExchangeException"/>s with one-line
/// messages. Symbols are downloaded one after another; calls on one instance run one at a time.
/// </summary>
/// <example>
/// <code>
/// using var history = new BinanceFuturesHistory();
/// var summary = await history.DownloadKlinesAsync(
///     new KlineDownloadRequest(["BTCUSDT"], "1h", DateTimeOffset.Parse("2024-01-01Z"), null, "data/binance"));
/// </code>
/// </example>
public sealed class BinanceFuturesHistory : IVenueHistory
{
    /// <summary>Header of <c>&lt;SYMBOL&gt;-&lt;interval&gt;.csv</c>: the Binance kline CSV layout, times in Unix milliseconds.</summary>
    public const string KlineCsvHeader =
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";

    /// <summary>Header of <c>&lt;SYMBOL&gt;-funding.csv</c>; mark_price is empty for records the venue sends without one.</summary>
    public const string FundingCsvHeader = "funding_time,symbol,funding_rate,mark_price";

    /// <summary>Header of <c>&lt;SYMBOL&gt;-open_interest-&lt;period&gt;.csv</c>.</summary>
    public const string OpenInterestCsvHeader = "timestamp,symbol,sum_open_interest,sum_open_interest_value";

    private const int FundingPerRequest = 1000;
    private const int OpenInterestPerRequest = 500;
    private static readonly TimeSpan OpenInterestServed = TimeSpan.FromDays(30);

    // start a little inside the 30 days, so that the venue's clock running ahead of ours does not put the start outside them
    private static readonly TimeSpan OpenInterestMargin = TimeSpan.FromMinutes(1);

    private readonly BinanceHistoryOptions _options;
    private readonly BinanceHttpClient _http;
    private readonly HistoryDownload _download;
    private readonly ILogger _log;

    /// <summary>Creates a downloader; <paramref name="options"/> default to the real venue and the system clock.</summary>
    /// <exception cref="ExchangeException">The options are invalid.</exception>
    public BinanceFuturesHistory(BinanceHistoryOptions? options = null)
    {
        _options = options ?? new BinanceHistoryOptions();
        _options.Validate();
        _log = _options.Logger;
        _http = new BinanceHttpClient(_options);
        _download = new HistoryDownload("Binance", _http.Clock, _http.EnsureClockAsync, _options.TimeProvider, _log);
    }

    /// <summary>The venue's clock as this downloader has read it; downloads judge by it which bars have closed.</summary>
    public VenueClock VenueClock => _http.Clock;

    /// <summary>The request weight counted against the budget so far, over every request sent.</summary>
    internal long WeightSpent => _http.WeightSpent;

    /// <summary>The kline intervals Binance USDⓈ-M futures accepts, shortest first.</summary>
    public static IReadOnlyList<string> KlineIntervals => BinanceIntervals.KlineIntervals;

    /// <inheritdoc/>
    public string Folder => "binance-usdm";

    /// <inheritdoc/>
    public string Description => "Binance USDⓈ-M futures history downloaded by strategylab";

    IReadOnlyList<string> IVenueHistory.KlineIntervals => KlineIntervals;

    /// <summary>The open-interest periods Binance accepts, shortest first.</summary>
    public static IReadOnlyList<string> OpenInterestPeriods => BinanceIntervals.OpenInterestPeriods;

    /// <summary>Returns the kline file name, e.g. <c>BTCUSDT-1m.csv</c>.</summary>
    public static string KlineFileName(string symbol, string interval) => HistoryFiles.KlineFileName(symbol, interval);

    /// <summary>Returns the funding file name, e.g. <c>BTCUSDT-funding.csv</c>.</summary>
    public static string FundingFileName(string symbol) => HistoryFiles.FundingFileName(symbol);

    /// <summary>Returns the open-interest file name, e.g. <c>BTCUSDT-open_interest-5m.csv</c>.</summary>
    public static string OpenInterestFileName(string symbol, string period) => $"{symbol}-open_interest-{period}.csv";

    /// <summary>
    /// Downloads closed klines (<c>GET /fapi/v1/klines</c>) for each symbol in turn into
    /// <c>&lt;dir&gt;/&lt;SYMBOL&gt;-&lt;interval&gt;.csv</c>, continuing any file that already holds rows.
    /// </summary>
    /// <exception cref="ExchangeException">An invalid request, an unreachable or banning venue, an unknown symbol, or failures left after retries.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; every row written so far is complete.</exception>
    public Task<DownloadSummary> DownloadKlinesAsync(
        KlineDownloadRequest request,
        IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        BinanceIntervals.ValidateKlineInterval(request.Interval);
        var interval = request.Interval;
        var limit = _options.KlinesPerRequest;
        return DownloadAsync(
            new HistoryJob(
                $"klines {interval}",
                KlineCsvHeader,
                symbol => KlineFileName(symbol, interval),
                request.Symbols,
                request.From,
                request.To,
                request.OutputDirectory),
            async (target, cursor, end, ct) =>
            {
                var symbol = target.VenueSymbol;
                var answer = await _http.GetKlinesAsync(symbol, interval, cursor, end - 1, limit, ct).ConfigureAwait(false);
                var (earliest, latest) = await ServedAsync(answer, ct).ConfigureAwait(false);
                var rows = new List<VenueRow>(answer.Body.Count);
                foreach (var kline in answer.Body)
                {
                    if (kline.OpenTime > latest)
                    {
                        throw _download.BarFromTheFuture(symbol, kline.OpenTime, latest);
                    }

                    rows.Add(new VenueRow(kline.OpenTime, kline.CloseTime, string.Join(',', kline.Fields)));
                }

                return new HistoryPage(rows, earliest, WindowEnd: null);
            },
            adjustStart: null,
            progress,
            cancellationToken);
    }

    /// <summary>
    /// Downloads funding-rate history (<c>GET /fapi/v1/fundingRate</c>) for each symbol in turn into
    /// <c>&lt;dir&gt;/&lt;SYMBOL&gt;-funding.csv</c>, continuing any file that already holds rows.
    /// </summary>
    /// <exception cref="ExchangeException">An invalid request, an unreachable or banning venue, an unknown symbol, or failures left after retries.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; every row written so far is complete.</exception>
    public Task<DownloadSummary> DownloadFundingAsync(
        FundingDownloadRequest request,
        IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return DownloadAsync(
            new HistoryJob("funding", FundingCsvHeader, FundingFileName, request.Symbols, request.From, request.To, request.OutputDirectory),
            async (target, cursor, end, ct) =>
            {
                var symbol = target.VenueSymbol;
                var answer = await _http.GetFundingRateAsync(symbol, cursor, end - 1, FundingPerRequest, ct).ConfigureAwait(false);
                var (earliest, _) = await ServedAsync(answer, ct).ConfigureAwait(false);
                var rows = new List<VenueRow>(answer.Body.Count);
                foreach (var record in answer.Body)
                {
                    RequireSymbol(record.Symbol, symbol, BinanceUrls.FundingRate);
                    rows.Add(new VenueRow(
                        record.FundingTime,
                        record.FundingTime,
                        $"{record.FundingTime.ToString(CultureInfo.InvariantCulture)},{record.Symbol},{record.FundingRate},{record.MarkPrice}"));
                }

                return new HistoryPage(rows, earliest, WindowEnd: null);
            },
            adjustStart: null,
            progress,
            cancellationToken);
    }

    /// <summary>
    /// Downloads open-interest statistics (<c>GET /futures/data/openInterestHist</c>) for each symbol in turn into
    /// <c>&lt;dir&gt;/&lt;SYMBOL&gt;-open_interest-&lt;period&gt;.csv</c>. Binance serves only the latest 30 days: a start
    /// before that is moved up to the oldest time served, with a note in the summary; a range wholly before it fails.
    /// </summary>
    /// <exception cref="ExchangeException">An invalid request, a range the venue no longer serves, an unreachable or banning venue, an unknown symbol, or failures left after retries.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; every row written so far is complete.</exception>
    public Task<DownloadSummary> DownloadOpenInterestAsync(
        OpenInterestDownloadRequest request,
        IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        BinanceIntervals.ValidateOpenInterestPeriod(request.Period);
        var period = request.Period;
        var periodMs = BinanceIntervals.LengthMilliseconds(period)!.Value;
        return DownloadAsync(
            new HistoryJob(
                $"open interest {period}",
                OpenInterestCsvHeader,
                symbol => OpenInterestFileName(symbol, period),
                request.Symbols,
                request.From,
                request.To,
                request.OutputDirectory),
            async (target, cursor, end, ct) =>
            {
                // windows of at most one page of periods, so the answer is complete whichever end the venue counts from
                var symbol = target.VenueSymbol;
                var windowEnd = Math.Min(end, cursor + (OpenInterestPerRequest * periodMs));
                var answer = await _http.GetOpenInterestHistAsync(symbol, period, cursor, windowEnd - 1, OpenInterestPerRequest, ct)
                    .ConfigureAwait(false);
                var (earliest, _) = await ServedAsync(answer, ct).ConfigureAwait(false);
                var rows = new List<VenueRow>(answer.Body.Count);
                foreach (var record in answer.Body)
                {
                    RequireSymbol(record.Symbol, symbol, BinanceUrls.OpenInterestHist);
                    rows.Add(new VenueRow(
                        record.Timestamp,
                        record.Timestamp,
                        $"{record.Timestamp.ToString(CultureInfo.InvariantCulture)},{record.Symbol},{record.SumOpenInterest},{record.SumOpenInterestValue}"));
                }

                return new HistoryPage(rows, earliest, windowEnd);
            },
            (cursor, end, fileHasRows, path, notes) =>
            {
                var now = _http.Clock.GetUtcNow();
                var oldest = CeilingTo(now - OpenInterestServed + OpenInterestMargin, periodMs);
                if (end <= oldest)
                {
                    throw new ExchangeException(
                        ExchangeErrorKind.DataUnavailable,
                        $"Binance serves open interest only for the latest 30 days (from {Show(oldest)}); the requested range ends at {Show(end)}");
                }

                if (cursor >= oldest)
                {
                    return cursor;
                }

                var note = fileHasRows
                    ? $"{path}: Binance serves open interest only for the latest 30 days, so the file has a gap from {Show(cursor)} to {Show(oldest)}"
                    : $"{path}: Binance serves open interest only for the latest 30 days, so it starts at {Show(oldest)} instead of {Show(cursor)}";
                _log.LogWarning("{Note}", note);
                notes.Add(note);
                return oldest;
            },
            progress,
            cancellationToken);
    }

    /// <summary>Closes the HTTP connections.</summary>
    public void Dispose()
    {
        _http.Dispose();
        _download.Dispose();
    }

    private Task<DownloadSummary> DownloadAsync(
        HistoryJob job,
        FetchPage fetch,
        AdjustStart? adjustStart,
        IProgress<DownloadProgress>? progress,
        CancellationToken cancellationToken) =>
        _download.RunAsync(job, fetch, resolve: null, adjustStart, progress, cancellationToken);

    // the venue's time when it answered, as bounded by its clock: a row is written once its last moment is before the earliest
    private Task<(long Earliest, long Latest)> ServedAsync<T>(VenueAnswer<T> answer, CancellationToken cancellationToken) =>
        _download.ServedAsync(answer.SentAt, answer.ReceivedAt, cancellationToken);

    private static void RequireSymbol(string received, string requested, string path)
    {
        if (!string.Equals(received, requested, StringComparison.Ordinal))
        {
            throw new ExchangeException(
                ExchangeErrorKind.MalformedResponse,
                $"Binance answered GET {path} for {requested} with a record for {received}");
        }
    }

    private static long CeilingTo(DateTimeOffset time, long stepMs)
    {
        var ms = time.ToUnixTimeMilliseconds();
        var remainder = ms % stepMs;
        return remainder == 0 ? ms : ms - remainder + stepMs;
    }

    private static string Show(long ms) => HistoryDownload.Show(ms);
}
