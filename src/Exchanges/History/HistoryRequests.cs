namespace StrategyLab.Exchanges.History;

/// <summary>
/// Klines to download: for each symbol, the closed bars of <paramref name="Interval"/> opening in
/// [<paramref name="From"/>, <paramref name="To"/>), into <c>&lt;OutputDirectory&gt;/&lt;SYMBOL&gt;-&lt;interval&gt;.csv</c>.
/// </summary>
/// <param name="Symbols">Symbols as datasets name them, e.g. <c>BTCUSDT</c>; case is ignored. A venue that names its contracts
/// otherwise (MEXC: <c>BTC_USDT</c>) maps them to its own, and takes its own form as well.</param>
/// <param name="Interval">An interval the venue serves, named as datasets name them: <c>1m</c>, <c>1h</c>, <c>1d</c> …
/// (Binance also serves 1M, a month; 1m is a minute).</param>
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
/// <param name="Symbols">Perpetuals' symbols as datasets name them; case is ignored.</param>
/// <param name="From">Inclusive start; ignored for a file that already holds rows.</param>
/// <param name="To">Exclusive end; null means now.</param>
/// <param name="OutputDirectory">Directory of the CSV files; created if missing.</param>
public sealed record FundingDownloadRequest(
    IReadOnlyList<string> Symbols,
    DateTimeOffset From,
    DateTimeOffset? To,
    string OutputDirectory);
