using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace StrategyLab.Exchanges.History;

/// <summary>One symbol of a download: the name its file and the dataset's asset carry, and the venue's own symbol.</summary>
/// <example><c>new HistorySymbol("BTCUSDT", "BTC_USDT")</c> on MEXC; the same name twice on Binance and Bybit.</example>
internal sealed record HistorySymbol(string Name, string VenueSymbol);

/// <summary>
/// What one download writes: the dataset's name in messages (<c>klines 1m</c>, <c>funding</c>), the CSV header, the file
/// name of each symbol, the symbols as the user named them, the time range and the directory.
/// </summary>
internal sealed record HistoryJob(
    string Dataset,
    string Header,
    Func<string, string> FileName,
    IReadOnlyList<string>? Symbols,
    DateTimeOffset From,
    DateTimeOffset? To,
    string OutputDirectory);

/// <summary>One row as the venue sent it: its key, the last moment it covers (a kline's close time), and its CSV line.</summary>
internal sealed record VenueRow(long Key, long LastTime, string Line);

/// <summary>
/// One answer's rows in time order, the earliest the venue's clock read when it answered, and for a request that covers
/// a fixed window (a venue that pages by time windows) the window's exclusive end.
/// </summary>
internal sealed record HistoryPage(IReadOnlyList<VenueRow> Rows, long Earliest, long? WindowEnd);

/// <summary>What a venue supplies to a download: one page of rows of a symbol from <c>cursor</c> towards <c>end</c> (exclusive).</summary>
internal delegate Task<HistoryPage> FetchPage(HistorySymbol symbol, long cursor, long end, CancellationToken cancellationToken);

/// <summary>Moves a symbol's start where the venue serves less than was asked for; notes what it did.</summary>
internal delegate long AdjustStart(long cursor, long end, bool fileHasRows, string path, List<string> notes);

/// <summary>Maps the symbols as the user named them (trimmed, upper case, distinct) to the venue's.</summary>
internal delegate Task<IReadOnlyList<HistorySymbol>> ResolveSymbols(IReadOnlyList<string> names, CancellationToken cancellationToken);

/// <summary>
/// The venue-neutral half of a history download: for each symbol in turn, an append-only CSV file
/// (<see cref="HistoryCsvFile"/>) continued from its last complete row, filled page by page from the venue's answers.
/// Each page is on disk (fsync'd) before the next request, so a killed run is resumed by running it again. Whether a
/// row has finished is judged by the venue's clock, never this machine's; the last row a file holds is asked for again
/// when a download resumes and replaced if the venue now sends another version of it. Progress is reported after each
/// page. A venue supplies its requests and their parsing (<see cref="FetchPage"/>), the file layout, and how its symbols
/// are named; failures it meets are <see cref="ExchangeException"/>s with one-line messages naming it.
/// Downloads on one instance run one at a time.
/// </summary>
internal sealed class HistoryDownload : IDisposable
{
    private readonly string _venue;
    private readonly VenueClock _clock;
    private readonly Func<CancellationToken, Task> _ensureClock;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    // a venue's rate limit is counted by one caller at a time; concurrent downloads on one instance run in turn
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>A download from <paramref name="venue"/> (its name in messages, e.g. <c>Binance</c>).</summary>
    /// <param name="venue">The venue's name in messages.</param>
    /// <param name="clock">The venue's clock as its client reads it.</param>
    /// <param name="ensureClock">Reads the venue's clock when it has not been read, is stale, or was contradicted.</param>
    /// <param name="time">This machine's clock.</param>
    /// <param name="log">Where resumes, repairs and replacements are logged.</param>
    public HistoryDownload(string venue, VenueClock clock, Func<CancellationToken, Task> ensureClock, TimeProvider time, ILogger log)
    {
        _venue = venue;
        _clock = clock;
        _ensureClock = ensureClock;
        _time = time;
        _log = log;
    }

    /// <summary>Runs <paramref name="job"/>, one symbol after another, one download on this instance at a time.</summary>
    public async Task<DownloadSummary> RunAsync(
        HistoryJob job,
        FetchPage fetch,
        ResolveSymbols? resolve,
        AdjustStart? adjustStart,
        IProgress<DownloadProgress>? progress,
        CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunOneAtATimeAsync(job, fetch, resolve, adjustStart, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The venue's time when it answered a request sent at <paramref name="sentAt"/> and answered by
    /// <paramref name="receivedAt"/> (this machine's times), as bounded by its clock: a row is written once its last
    /// moment is before the earliest, and no row may start after the latest.
    /// </summary>
    public async Task<(long Earliest, long Latest)> ServedAsync(DateTimeOffset sentAt, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        await _ensureClock(cancellationToken).ConfigureAwait(false);
        return (_clock.Earliest(sentAt).ToUnixTimeMilliseconds(), _clock.Latest(receivedAt).ToUnixTimeMilliseconds());
    }

    /// <summary>A kline that opens after the venue's own time when it answered: the answer cannot be right.</summary>
    public ExchangeException BarFromTheFuture(string symbol, long openTime, long latest) =>
        new(
            ExchangeErrorKind.MalformedResponse,
            $"{_venue} answered a request for {symbol} klines with a bar opening at {Show(openTime)}, after its own time ({Show(latest)} at the latest)");

    /// <summary>A time in messages: <c>2024-06-01 00:00:00 UTC</c>.</summary>
    public static string Show(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>Releases the gate.</summary>
    public void Dispose() => _gate.Dispose();

    private async Task<DownloadSummary> RunOneAtATimeAsync(
        HistoryJob job,
        FetchPage fetch,
        ResolveSymbols? resolve,
        AdjustStart? adjustStart,
        IProgress<DownloadProgress>? progress,
        CancellationToken cancellationToken)
    {
        var names = NormaliseSymbols(job.Symbols);
        if (string.IsNullOrWhiteSpace(job.OutputDirectory))
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidRequest, "no output directory given");
        }

        var now = _time.GetUtcNow();
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
        await _ensureClock(cancellationToken).ConfigureAwait(false);
        var venueNow = _clock.Earliest(_time.GetUtcNow()).ToUnixTimeMilliseconds();
        var from = job.From.ToUnixTimeMilliseconds();
        var end = job.To is { } until ? Math.Min(until.ToUnixTimeMilliseconds(), venueNow) : venueNow;
        var symbols = resolve is null
            ? [.. names.Select(n => new HistorySymbol(n, n))]
            : await resolve(names, cancellationToken).ConfigureAwait(false);
        var notes = new List<string>();
        var results = ImmutableArray.CreateBuilder<SymbolDownload>(symbols.Count);

        foreach (var symbol in symbols)
        {
            results.Add(await DownloadSymbolAsync(job, symbol, from, end, fetch, adjustStart, progress, notes, cancellationToken).ConfigureAwait(false));
        }

        return new DownloadSummary(results.MoveToImmutable(), [.. notes]);
    }

    private async Task<SymbolDownload> DownloadSymbolAsync(
        HistoryJob job,
        HistorySymbol symbol,
        long from,
        long end,
        FetchPage fetch,
        AdjustStart? adjustStart,
        IProgress<DownloadProgress>? progress,
        List<string> notes,
        CancellationToken cancellationToken)
    {
        var path = Path.Combine(job.OutputDirectory, job.FileName(symbol.Name));
        using var file = HistoryCsvFile.Open(path, job.Header, _log, notes);
        var cursor = from;
        if (file.LastKey is { } last)
        {
            // the last row is asked for again: the venue may have changed it since it was written
            cursor = last;
            _log.LogInformation("Resuming {Path} from its last row at {Time}, which is checked against {Venue}'s", path, Show(last), _venue);
            if (file.FirstKey is { } first && from < first)
            {
                Note(notes, $"{path} starts at {Show(first)}; rows before it are not downloaded because files are only appended to (move the file away to download from {Show(from)})");
            }
        }

        if (adjustStart is not null && cursor < end)
        {
            cursor = adjustStart(cursor, end, file.LastKey is not null, path, notes);
        }

        var start = cursor;
        _log.LogInformation("Downloading {Dataset} for {Symbol} from {Start} to {End} into {Path}", job.Dataset, symbol.Name, Show(start), Show(end), path);
        Report(progress, job, symbol.Name, file, start, start, end);
        while (cursor < end)
        {
            var page = await fetch(symbol, cursor, end, cancellationToken).ConfigureAwait(false);
            var rows = Sort(page, file, cursor, Math.Min(end, page.WindowEnd ?? end), symbol.Name, job.Dataset, notes);
            if (rows.Replacement is { } replacement)
            {
                Replace(file, replacement, notes);
            }

            file.Append(rows.Rows);
            cursor = Next(page, rows) ?? end;
            Report(progress, job, symbol.Name, file, Math.Min(cursor, end), start, end);
        }

        if (file.LastKey is null)
        {
            Note(notes, $"{_venue} has no {job.Dataset} for {symbol.Name} from {Show(start)} to {Show(end)}");
        }

        return new SymbolDownload(symbol.Name, path, file.RowsAppended, Time(file.KeyAtOpen), Time(file.FirstKey), Time(file.LastKey))
        {
            RowsReplaced = file.RowsReplaced,
        };
    }

    /// <summary>
    /// Sorts one answer's rows against the file. The row the file ends with may come again (a resumed download asks for
    /// it, and some venues answer from the bar that contains the start time): the same version is skipped, another one
    /// replaces it, and one the venue has not finished yet is noted and ends the download. A row that has not finished
    /// by the venue's clock, or is at or after the end, ends the page. A row before the file's last row, or wholly
    /// before the requested start, is out of order.
    /// </summary>
    private PageRows Sort(HistoryPage page, HistoryCsvFile file, long start, long end, string symbol, string dataset, List<string> notes)
    {
        var rows = new List<(long Key, string Line)>(page.Rows.Count);
        (long Key, string Line)? replacement = null;
        foreach (var row in page.Rows)
        {
            if (file.LastKey is { } last && row.Key <= last)
            {
                if (row.Key < last)
                {
                    throw OutOfOrder(symbol, dataset, start, row.Key, $"before the last row already written ({Show(last)})");
                }

                if (row.LastTime >= page.Earliest)
                {
                    Note(notes, $"{file.Path}: the last row ({Show(last)}) was written before {_venue} finished it; run the download again after {Show(row.LastTime + 1)} to check it against the finished one");
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

            if (row.LastTime >= page.Earliest)
            {
                return new PageRows(rows, replacement, Unfinished: true, PastEnd: false);
            }

            rows.Add((row.Key, row.Line));
        }

        return new PageRows(rows, replacement, Unfinished: false, PastEnd: false);
    }

    // where the next request starts, or null when there is nothing more: a row not finished yet is the last one there
    // is; a window is done once answered; a page of rows continues after its last row until one is past the end or the
    // venue has none left
    private static long? Next(HistoryPage page, PageRows rows)
    {
        if (rows.Unfinished)
        {
            return null;
        }

        if (page.WindowEnd is { } windowEnd)
        {
            return windowEnd;
        }

        return rows.PastEnd || page.Rows.Count == 0 ? null : page.Rows[^1].LastTime + 1;
    }

    private void Replace(HistoryCsvFile file, (long Key, string Line) row, List<string> notes)
    {
        var old = file.LastLine;
        file.ReplaceLast(row.Key, row.Line);
        Note(notes, $"{file.Path}: replaced the row at {Show(row.Key)} with the version {_venue} sends now ('{old}' became '{row.Line}')");
    }

    private void Note(List<string> notes, string note)
    {
        _log.LogWarning("{Note}", note);
        notes.Add(note);
    }

    private ExchangeException OutOfOrder(string symbol, string dataset, long start, long key, string where) =>
        new(
            ExchangeErrorKind.MalformedResponse,
            $"{_venue} answered a request for {symbol} {dataset} from {Show(start)} with a row at {Show(key)}, {where}");

    private IReadOnlyList<string> NormaliseSymbols(IReadOnlyList<string>? symbols)
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
                    $"'{raw}' is not a {_venue} symbol; symbols are letters and digits such as BTCUSDT");
            }

            if (!result.Contains(symbol))
            {
                result.Add(symbol);
            }
        }

        return result;
    }

    private static void Report(IProgress<DownloadProgress>? progress, HistoryJob job, string symbol, HistoryCsvFile file, long reached, long start, long end) =>
        progress?.Report(new DownloadProgress(
            symbol,
            job.Dataset,
            file.RowsAppended,
            DateTimeOffset.FromUnixTimeMilliseconds(reached),
            DateTimeOffset.FromUnixTimeMilliseconds(start),
            DateTimeOffset.FromUnixTimeMilliseconds(end)));

    private static DateTimeOffset? Time(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;

    /// <summary>
    /// The rows to append, the file's last row to replace first, and whether the answer stopped at a row the venue has not
    /// finished or at a row at or after the end of what was asked for.
    /// </summary>
    private sealed record PageRows(IReadOnlyList<(long Key, string Line)> Rows, (long Key, string Line)? Replacement, bool Unfinished, bool PastEnd);
}
