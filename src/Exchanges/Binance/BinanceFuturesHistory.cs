using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Binance.History;
using StrategyLab.Exchanges.Binance.Http;

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
public sealed class BinanceFuturesHistory : IDisposable
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
    private readonly ILogger _log;

    // the weight budget is counted by one caller at a time; concurrent downloads on one instance run in turn
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates a downloader; <paramref name="options"/> default to the real venue and the system clock.</summary>
    /// <exception cref="ExchangeException">The options are invalid.</exception>
    public BinanceFuturesHistory(BinanceHistoryOptions? options = null)
    {
        _options = options ?? new BinanceHistoryOptions();
        _options.Validate();
        _log = _options.Logger;
        _http = new BinanceHttpClient(_options);
    }

    /// <summary>The venue's clock as this downloader has read it; downloads judge by it which bars have closed.</summary>
    public VenueClock VenueClock => _http.Clock;

    /// <summary>The request weight counted against the budget so far, over every request sent.</summary>
    internal long WeightSpent => _http.WeightSpent;

    /// <summary>The kline intervals Binance USDⓈ-M futures accepts, shortest first.</summary>
    public static IReadOnlyList<string> KlineIntervals => BinanceIntervals.KlineIntervals;

    /// <summary>The open-interest periods Binance accepts, shortest first.</summary>
    public static IReadOnlyList<string> OpenInterestPeriods => BinanceIntervals.OpenInterestPeriods;

    /// <summary>Returns the kline file name, e.g. <c>BTCUSDT-1m.csv</c>.</summary>
    public static string KlineFileName(string symbol, string interval) => $"{symbol}-{interval}.csv";

    /// <summary>Returns the funding file name, e.g. <c>BTCUSDT-funding.csv</c>.</summary>
    public static string FundingFileName(string symbol) => $"{symbol}-funding.csv";

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
            new Job(
                $"klines {interval}",
                KlineCsvHeader,
                symbol => KlineFileName(symbol, interval),
                request.Symbols,
                request.From,
                request.To,
                request.OutputDirectory),
            async (symbol, cursor, end, ct) =>
            {
                var answer = await _http.GetKlinesAsync(symbol, interval, cursor, end - 1, limit, ct).ConfigureAwait(false);
                var (earliest, latest) = await ServedAsync(answer, ct).ConfigureAwait(false);
                var rows = new List<VenueRow>(answer.Body.Count);
                foreach (var kline in answer.Body)
                {
                    if (kline.OpenTime > latest)
                    {
                        throw new ExchangeException(
                            ExchangeErrorKind.MalformedResponse,
                            $"Binance answered a request for {symbol} klines with a bar opening at {Show(kline.OpenTime)}, after its own time ({Show(latest)} at the latest)");
                    }

                    rows.Add(new VenueRow(kline.OpenTime, kline.CloseTime, string.Join(',', kline.Fields)));
                }

                return new Answer(rows, earliest, WindowEnd: null);
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
            new Job("funding", FundingCsvHeader, FundingFileName, request.Symbols, request.From, request.To, request.OutputDirectory),
            async (symbol, cursor, end, ct) =>
            {
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

                return new Answer(rows, earliest, WindowEnd: null);
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
            new Job(
                $"open interest {period}",
                OpenInterestCsvHeader,
                symbol => OpenInterestFileName(symbol, period),
                request.Symbols,
                request.From,
                request.To,
                request.OutputDirectory),
            async (symbol, cursor, end, ct) =>
            {
                // windows of at most one page of periods, so the answer is complete whichever end the venue counts from
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

                return new Answer(rows, earliest, windowEnd);
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
        _gate.Dispose();
    }

    private async Task<DownloadSummary> DownloadAsync(
        Job job,
        Func<string, long, long, CancellationToken, Task<Answer>> fetch,
        Func<long, long, bool, string, List<string>, long>? adjustStart,
        IProgress<DownloadProgress>? progress,
        CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await DownloadOneAtATimeAsync(job, fetch, adjustStart, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<DownloadSummary> DownloadOneAtATimeAsync(
        Job job,
        Func<string, long, long, CancellationToken, Task<Answer>> fetch,
        Func<long, long, bool, string, List<string>, long>? adjustStart,
        IProgress<DownloadProgress>? progress,
        CancellationToken cancellationToken)
    {
        var symbols = NormaliseSymbols(job.Symbols);
        if (string.IsNullOrWhiteSpace(job.OutputDirectory))
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidRequest, "no output directory given");
        }

        var now = _options.TimeProvider.GetUtcNow();
        if (job.From > now)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidRequest, $"the start {Show(job.From.ToUnixTimeMilliseconds())} is in the future");
        }

        var endTime = job.To is { } to && to < now ? to : now;
        if (endTime <= job.From)
        {
            throw new ExchangeException(
                ExchangeErrorKind.InvalidRequest,
                $"the range from {Show(job.From.ToUnixTimeMilliseconds())} to {Show(endTime.ToUnixTimeMilliseconds())} is empty; the end must come after the start");
        }

        // "now" is the venue's: the earliest its clock can read
        await _http.EnsureClockAsync(cancellationToken).ConfigureAwait(false);
        var venueNow = _http.Clock.Earliest(_options.TimeProvider.GetUtcNow()).ToUnixTimeMilliseconds();
        var from = job.From.ToUnixTimeMilliseconds();
        var end = job.To is { } until ? Math.Min(until.ToUnixTimeMilliseconds(), venueNow) : venueNow;
        var notes = new List<string>();
        var results = ImmutableArray.CreateBuilder<SymbolDownload>(symbols.Count);

        foreach (var symbol in symbols)
        {
            var path = Path.Combine(job.OutputDirectory, job.FileName(symbol));
            using var file = HistoryCsvFile.Open(path, job.Header, _log, notes);
            var cursor = from;
            if (file.LastKey is { } last)
            {
                // the last row is asked for again: the venue may have changed it since it was written
                cursor = last;
                _log.LogInformation("Resuming {Path} from its last row at {Time}, which is checked against Binance's", path, Show(last));
                if (file.FirstKey is { } first && from < first)
                {
                    var note = $"{path} starts at {Show(first)}; rows before it are not downloaded because files are only appended to (move the file away to download from {Show(from)})";
                    _log.LogWarning("{Note}", note);
                    notes.Add(note);
                }
            }

            if (adjustStart is not null && cursor < end)
            {
                cursor = adjustStart(cursor, end, file.LastKey is not null, path, notes);
            }

            var start = cursor;
            _log.LogInformation("Downloading {Dataset} for {Symbol} from {Start} to {End} into {Path}", job.Dataset, symbol, Show(start), Show(end), path);
            Report(progress, job, symbol, file, start, start, end);
            while (cursor < end)
            {
                var answer = await fetch(symbol, cursor, end, cancellationToken).ConfigureAwait(false);
                var page = Sort(answer, file, cursor, Math.Min(end, answer.WindowEnd ?? end), symbol, job.Dataset, notes);
                if (page.Replacement is { } replacement)
                {
                    Replace(file, replacement, notes);
                }

                file.Append(page.Rows);
                cursor = Next(answer, page) ?? end;
                Report(progress, job, symbol, file, Math.Min(cursor, end), start, end);
            }

            if (file.LastKey is null)
            {
                var note = $"Binance has no {job.Dataset} for {symbol} from {Show(start)} to {Show(end)}";
                _log.LogWarning("{Note}", note);
                notes.Add(note);
            }

            results.Add(new SymbolDownload(symbol, path, file.RowsAppended, Time(file.KeyAtOpen), Time(file.FirstKey), Time(file.LastKey))
            {
                RowsReplaced = file.RowsReplaced,
            });
        }

        return new DownloadSummary(results.MoveToImmutable(), [.. notes]);
    }

    // the venue's time when it answered, as bounded by its clock: a row is written once its last moment is before the earliest
    private async Task<(long Earliest, long Latest)> ServedAsync<T>(VenueAnswer<T> answer, CancellationToken cancellationToken)
    {
        await _http.EnsureClockAsync(cancellationToken).ConfigureAwait(false);
        return (
            _http.Clock.Earliest(answer.SentAt).ToUnixTimeMilliseconds(),
            _http.Clock.Latest(answer.ReceivedAt).ToUnixTimeMilliseconds());
    }

    /// <summary>
    /// Sorts one answer's rows against the file. The row the file ends with may come again (a resumed download asks for
    /// it, and some venues answer from the bar that contains the start time): the same version is skipped, another one
    /// replaces it, and one the venue has not finished yet is noted and ends the download. A row that has not finished
    /// by the venue's clock, or is at or after the end, ends the page. A row before the file's last row, or wholly
    /// before the requested start, is out of order.
    /// </summary>
    private PageRows Sort(Answer answer, HistoryCsvFile file, long start, long end, string symbol, string dataset, List<string> notes)
    {
        var rows = new List<(long Key, string Line)>(answer.Rows.Count);
        (long Key, string Line)? replacement = null;
        foreach (var row in answer.Rows)
        {
            if (file.LastKey is { } last && row.Key <= last)
            {
                if (row.Key < last)
                {
                    throw OutOfOrder(symbol, dataset, start, row.Key, $"before the last row already written ({Show(last)})");
                }

                if (row.LastTime >= answer.Earliest)
                {
                    var note = $"{file.Path}: the last row ({Show(last)}) was written before Binance finished it; run the download again after {Show(row.LastTime + 1)} to check it against the finished one";
                    _log.LogWarning("{Note}", note);
                    notes.Add(note);
                    return new PageRows(rows, replacement, Unfinished: true, PastEnd: false);
                }

                if (!string.Equals(row.Line, file.LastLine, StringComparison.Ordinal))
                {
                    replacement = (row.Key, row.Line);
                }

                continue;
            }

            if (row.Key < start)
            {
                // the bar that contains the start time opens before it, outside the range
                if (row.LastTime >= start)
                {
                    continue;
                }

                throw OutOfOrder(symbol, dataset, start, row.Key, "before that time");
            }

            if (row.Key >= end)
            {
                return new PageRows(rows, replacement, Unfinished: false, PastEnd: true);
            }

            if (row.LastTime >= answer.Earliest)
            {
                return new PageRows(rows, replacement, Unfinished: true, PastEnd: false);
            }

            rows.Add((row.Key, row.Line));
        }

        return new PageRows(rows, replacement, Unfinished: false, PastEnd: false);
    }

    // where the next request starts, or null when there is nothing more: a row not finished yet is the last one there
    // is; a window (open interest) is done once answered; a page of rows continues after its last row until one is
    // past the end or the venue has none left
    private static long? Next(Answer answer, PageRows page)
    {
        if (page.Unfinished)
        {
            return null;
        }

        if (answer.WindowEnd is { } windowEnd)
        {
            return windowEnd;
        }

        return page.PastEnd || answer.Rows.Count == 0 ? null : answer.Rows[^1].LastTime + 1;
    }

    private void Replace(HistoryCsvFile file, (long Key, string Line) row, List<string> notes)
    {
        var old = file.LastLine;
        file.ReplaceLast(row.Key, row.Line);
        var note = $"{file.Path}: replaced the row at {Show(row.Key)} with the version Binance sends now ('{old}' became '{row.Line}')";
        _log.LogWarning("{Note}", note);
        notes.Add(note);
    }

    private static ExchangeException OutOfOrder(string symbol, string dataset, long start, long key, string where) =>
        new(
            ExchangeErrorKind.MalformedResponse,
            $"Binance answered a request for {symbol} {dataset} from {Show(start)} with a row at {Show(key)}, {where}");

    private static void RequireSymbol(string received, string requested, string path)
    {
        if (!string.Equals(received, requested, StringComparison.Ordinal))
        {
            throw new ExchangeException(
                ExchangeErrorKind.MalformedResponse,
                $"Binance answered GET {path} for {requested} with a record for {received}");
        }
    }

    private static IReadOnlyList<string> NormaliseSymbols(IReadOnlyList<string>? symbols)
    {
        if (symbols is null || symbols.Count == 0)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidRequest, "no symbols given; name at least one, e.g. BTCUSDT");
        }

        var result = new List<string>(symbols.Count);
        foreach (var raw in symbols)
        {
            var symbol = (raw ?? "").Trim().ToUpperInvariant();
            if (symbol.Length == 0 || !symbol.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new ExchangeException(
                    ExchangeErrorKind.InvalidRequest,
                    $"'{raw}' is not a Binance futures symbol; symbols are letters and digits such as BTCUSDT");
            }

            if (!result.Contains(symbol))
            {
                result.Add(symbol);
            }
        }

        return result;
    }

    private static void Report(IProgress<DownloadProgress>? progress, Job job, string symbol, HistoryCsvFile file, long reached, long start, long end) =>
        progress?.Report(new DownloadProgress(
            symbol,
            job.Dataset,
            file.RowsAppended,
            DateTimeOffset.FromUnixTimeMilliseconds(reached),
            DateTimeOffset.FromUnixTimeMilliseconds(start),
            DateTimeOffset.FromUnixTimeMilliseconds(end)));

    private static long CeilingTo(DateTimeOffset time, long stepMs)
    {
        var ms = time.ToUnixTimeMilliseconds();
        var remainder = ms % stepMs;
        return remainder == 0 ? ms : ms - remainder + stepMs;
    }

    private static DateTimeOffset? Time(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;

    private static string Show(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    private sealed record Job(
        string Dataset,
        string Header,
        Func<string, string> FileName,
        IReadOnlyList<string> Symbols,
        DateTimeOffset From,
        DateTimeOffset? To,
        string OutputDirectory);

    /// <summary>One row as the venue sent it: its key, the last moment it covers (a kline's close time), and its CSV line.</summary>
    private sealed record VenueRow(long Key, long LastTime, string Line);

    /// <summary>
    /// One answer's rows in the venue's order, the earliest the venue's clock read when it answered, and for a request
    /// that covers a fixed window (open interest) the window's exclusive end.
    /// </summary>
    private sealed record Answer(IReadOnlyList<VenueRow> Rows, long Earliest, long? WindowEnd);

    /// <summary>
    /// The rows to append, the file's last row to replace first, and whether the answer stopped at a row the venue has not
    /// finished or at a row at or after the end of what was asked for.
    /// </summary>
    private sealed record PageRows(IReadOnlyList<(long Key, string Line)> Rows, (long Key, string Line)? Replacement, bool Unfinished, bool PastEnd);
}
