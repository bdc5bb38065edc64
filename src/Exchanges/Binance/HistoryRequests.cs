namespace StrategyLab.Exchanges.Binance;

/// <summary>
/// Klines to download: for each symbol, the closed bars of <paramref name="Interval"/> opening in
/// [<paramref name="From"/>, <paramref name="To"/>), into <c>&lt;OutputDirectory&gt;/&lt;SYMBOL&gt;-&lt;interval&gt;.csv</c>.
/// </summary>
/// <param name="Symbols">USDⓈ-M futures symbols, e.g. <c>BTCUSDT</c>; case is ignored.</param>
/// <param name="Interval">One of 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M (1M is a month, 1m a minute).</param>
/// <param name="From">Inclusive start; ignored for a file that already holds rows, which continues from its last row (checked again).</param>
/// <param name="To">Exclusive end; null means now on the venue's clock. Bars that have not closed by the venue's clock are never written.</param>
/// <param name="OutputDirectory">Directory of the CSV files; created if missing.</param>
/// <example><c>new KlineDownloadRequest(["BTCUSDT", "ETHUSDT"], "1m", DateTimeOffset.Parse("2024-01-01Z"), null, "data/binance")</c></example>
public sealed record KlineDownloadRequest(
    IReadOnlyList<string> Symbols,
    string Interval,
    DateTimeOffset From,
    DateTimeOffset? To,
    string OutputDirectory);

/// <summary>
/// Funding-rate history to download: for each symbol, the funding events in [<paramref name="From"/>, <paramref name="To"/>),
/// into <c>&lt;OutputDirectory&gt;/&lt;SYMBOL&gt;-funding.csv</c>.
/// </summary>
/// <param name="Symbols">USDⓈ-M perpetual symbols; case is ignored.</param>
/// <param name="From">Inclusive start; ignored for a file that already holds rows.</param>
/// <param name="To">Exclusive end; null means now.</param>
/// <param name="OutputDirectory">Directory of the CSV files; created if missing.</param>
public sealed record FundingDownloadRequest(
    IReadOnlyList<string> Symbols,
    DateTimeOffset From,
    DateTimeOffset? To,
    string OutputDirectory);

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
