namespace StrategyLab.Exchanges.History;

/// <summary>
/// A venue's public history as the data store downloads it: closed klines and funding rates of its perpetuals into
/// resumable CSV files (<see cref="HistoryFiles"/>), one per symbol, in a layout the catalog imports. Failures the user
/// can cause or meet are <see cref="ExchangeException"/>s with one-line messages naming the venue.
/// </summary>
/// <example><c>using var history = Venues.Find("bybit")!.History(); await history.DownloadKlinesAsync(request);</c></example>
public interface IVenueHistory : IDisposable
{
    /// <summary>The folder of the data folder the files go to, e.g. <c>binance-usdm</c>.</summary>
    string Folder { get; }

    /// <summary>What a dataset of these files holds, for the catalog, e.g. <c>Binance USDⓈ-M futures history downloaded by strategylab</c>.</summary>
    string Description { get; }

    /// <summary>The kline intervals the venue serves, named as datasets name them, shortest first.</summary>
    IReadOnlyList<string> KlineIntervals { get; }

    /// <summary>Downloads closed klines for each symbol in turn into <c>&lt;dir&gt;/&lt;SYMBOL&gt;-&lt;interval&gt;.csv</c>, continuing any file that already holds rows.</summary>
    /// <exception cref="ExchangeException">An invalid request, an interval or symbol the venue does not serve, an unreachable venue, or failures left after retries.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; every row written so far is complete.</exception>
    Task<DownloadSummary> DownloadKlinesAsync(KlineDownloadRequest request, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Downloads the funding-rate history of each symbol in turn into <c>&lt;dir&gt;/&lt;SYMBOL&gt;-funding.csv</c>, continuing any file that already holds rows.</summary>
    /// <exception cref="ExchangeException">An invalid request, a symbol the venue does not serve, an unreachable venue, or failures left after retries.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; every row written so far is complete.</exception>
    Task<DownloadSummary> DownloadFundingAsync(FundingDownloadRequest request, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default);
}

/// <summary>
/// The files a history download writes, named by the symbol as datasets name it (<c>BTCUSDT</c>, whatever the venue
/// calls it), and the layouts of venues that serve less than Binance. The catalog recognises each layout by its header
/// (<c>CsvLayouts.Detect</c>): klines by <c>open_time</c>, <c>close_time</c>, <c>open</c> and <c>close</c>, funding by
/// <c>funding_time</c>, <c>symbol</c> and <c>funding_rate</c>; a column a venue does not serve is left out, never filled in.
/// </summary>
public static class HistoryFiles
{
    /// <summary>
    /// Klines of a venue that serves neither trade counts nor taker volumes (Bybit, MEXC): Binance's columns up to
    /// <c>quote_volume</c>, times in Unix milliseconds, <c>close_time</c> the open time plus the interval less 1 ms as in
    /// Binance's files; volume in the base asset, quote volume in the quote asset.
    /// </summary>
    public const string KlineHeader = "open_time,open,high,low,close,volume,close_time,quote_volume";

    /// <summary>Funding rates of a venue that sends no mark price with them (Bybit, MEXC); the symbol as datasets name it.</summary>
    public const string FundingHeader = "funding_time,symbol,funding_rate";

    /// <summary>The kline file of a symbol, e.g. <c>BTCUSDT-1m.csv</c>.</summary>
    public static string KlineFileName(string symbol, string interval) => $"{symbol}-{interval}.csv";

    /// <summary>The funding file of a symbol, e.g. <c>BTCUSDT-funding.csv</c>.</summary>
    public static string FundingFileName(string symbol) => $"{symbol}-funding.csv";
}
