using System.Collections.Immutable;

namespace StrategyLab.Exchanges;

/// <summary>
/// Progress of one symbol's history download, reported after each page has been written to disk.
/// <see cref="Reached"/> moves from <see cref="Start"/> towards <see cref="ExpectedEnd"/>, so a progress bar can show
/// <c>(Reached - Start) / (ExpectedEnd - Start)</c>.
/// </summary>
/// <param name="Symbol">The venue symbol, e.g. <c>BTCUSDT</c>.</param>
/// <param name="Dataset">What is downloaded, e.g. <c>klines 1m</c>, <c>funding</c>, <c>open interest 5m</c>.</param>
/// <param name="RowsWritten">Rows appended to the file by this run so far.</param>
/// <param name="Reached">The time up to which the file is now complete.</param>
/// <param name="Start">The time this run started from (after any resume).</param>
/// <param name="ExpectedEnd">The time the download stops at.</param>
public sealed record DownloadProgress(
    string Symbol,
    string Dataset,
    long RowsWritten,
    DateTimeOffset Reached,
    DateTimeOffset Start,
    DateTimeOffset ExpectedEnd)
{
    /// <summary>The share of the time range done, from 0 to 1.</summary>
    public double Fraction =>
        ExpectedEnd <= Start ? 1.0 : Math.Clamp((Reached - Start) / (ExpectedEnd - Start), 0.0, 1.0);
}

/// <summary>The outcome of downloading one symbol into one file.</summary>
/// <param name="Symbol">The venue symbol.</param>
/// <param name="FilePath">The CSV file written.</param>
/// <param name="RowsWritten">Rows appended by this run.</param>
/// <param name="ResumedAfter">Key time of the last complete row the file held before this run, or null for a new or empty file.</param>
/// <param name="FirstTime">Key time of the first row in the file after this run, or null if the file holds no rows.</param>
/// <param name="LastTime">Key time of the last row in the file after this run, or null if the file holds no rows.</param>
public sealed record SymbolDownload(
    string Symbol,
    string FilePath,
    long RowsWritten,
    DateTimeOffset? ResumedAfter,
    DateTimeOffset? FirstTime,
    DateTimeOffset? LastTime)
{
    /// <summary>Rows already in the file that this run replaced with the venue's current version (at most the last row).</summary>
    public long RowsReplaced { get; init; }
}

/// <summary>
/// The outcome of a history download: one entry per symbol, plus notes the user should read
/// (a partial last line repaired, a range the venue does not serve, history before the file's first row not fetched).
/// </summary>
public sealed record DownloadSummary(ImmutableArray<SymbolDownload> Symbols, ImmutableArray<string> Notes)
{
    /// <summary>Rows appended by this run over all symbols.</summary>
    public long RowsWritten => Symbols.Sum(s => s.RowsWritten);
}
