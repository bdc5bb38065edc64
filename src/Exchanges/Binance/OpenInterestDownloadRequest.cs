namespace StrategyLab.Exchanges.Binance;

/// <summary>
/// Open-interest statistics to download: for each symbol, one row per <paramref name="Period"/> in
/// [<paramref name="From"/>, <paramref name="To"/>), into <c>&lt;OutputDirectory&gt;/&lt;SYMBOL&gt;-open_interest-&lt;period&gt;.csv</c>.
/// Binance serves only the latest 30 days: an earlier start is moved up to the oldest time served and the summary says so.
/// </summary>
/// <param name="Symbols">USDⓈ-M futures symbols; case is ignored.</param>
/// <param name="Period">One of 5m 15m 30m 1h 2h 4h 6h 12h 1d.</param>
/// <param name="From">Inclusive start; ignored for a file that already holds rows.</param>
/// <param name="To">Exclusive end; null means now.</param>
/// <param name="OutputDirectory">Directory of the CSV files; created if missing.</param>
public sealed record OpenInterestDownloadRequest(
    IReadOnlyList<string> Symbols,
    string Period,
    DateTimeOffset From,
    DateTimeOffset? To,
    string OutputDirectory);
