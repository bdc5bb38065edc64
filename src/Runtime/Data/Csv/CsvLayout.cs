using System.Collections.Immutable;

namespace StrategyLab.Runtime.Data.Csv;

/// <summary>
/// Maps a CSV column onto a panel column. <paramref name="Scale"/> converts units explicitly
/// (for example a funding rate given in percent becomes a fraction with scale 0.01).
/// </summary>
public sealed record ColumnMapping(string Target, string Source, double Scale = 1.0, bool Required = true);

/// <summary>How to read one CSV file into rows of (symbol, time, values).</summary>
/// <param name="TimeColumn">The column holding the bar's open time.</param>
/// <param name="Columns">The value columns to read.</param>
/// <param name="SymbolColumn">The column naming the symbol, or null for a single-symbol file.</param>
/// <param name="Symbol">The symbol of a single-symbol file.</param>
/// <param name="TimeFormat">How times are written.</param>
/// <param name="Where">Only rows whose named columns hold these values are read (e.g. resolution = minute).</param>
/// <param name="Header">Column names for a file without a header row; empty when the file has one.</param>
public sealed record CsvLayout(
    string TimeColumn,
    ImmutableArray<ColumnMapping> Columns,
    string? SymbolColumn = null,
    string? Symbol = null,
    TimeFormat TimeFormat = TimeFormat.Auto,
    ImmutableDictionary<string, string>? Where = null,
    ImmutableArray<string> Header = default)
{
    /// <summary>The price columns a candle layout carries; their rows are checked as candles.</summary>
    public static readonly ImmutableArray<string> PriceColumns = ["open", "high", "low", "close"];

    /// <summary>The volume columns; a written volume must be finite and not negative.</summary>
    public static readonly ImmutableArray<string> VolumeColumns = ["volume", "quote_volume", "taker_buy_volume"];

    /// <summary>True when the layout maps open, high, low and close.</summary>
    public bool HasCandles => PriceColumns.All(p => Columns.Any(c => c.Target == p));

    /// <summary>The header of Binance's kline CSV files (data.binance.vision and the downloader).</summary>
    public static readonly ImmutableArray<string> BinanceKlineHeader =
    [
        "open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "count",
        "taker_buy_volume", "taker_buy_quote_volume", "ignore",
    ];
}

/// <summary>
/// Recognises the layouts StrategyLab reads without being told: Binance klines (with or without a
/// header), funding and open interest as the downloader writes them, Coinbase daily panels,
/// freqtrade candle exports, LEAN trade bars, Coinalyze derivatives data, CoinMarketCap snapshots,
/// and plain candle files (<c>time,open,high,low,close,volume</c> with the time as <c>timestamp</c>,
/// <c>time</c> or <c>date</c>, in any letter case).
/// </summary>
public static class CsvLayouts
{
    private static readonly ImmutableArray<ColumnMapping> Ohlcv =
    [
        new("open", "open"), new("high", "high"), new("low", "low"), new("close", "close"),
        new("volume", "volume", Required: false),
    ];

    /// <summary>
    /// Chooses a layout from the header (or, for a headerless Binance file, the first record).
    /// <paramref name="fileName"/> supplies the symbol of single-symbol files (<c>BTCUSDT-1m.csv</c> → BTCUSDT)
    /// unless <paramref name="symbol"/> is given.
    /// </summary>
    public static CsvLayout? Detect(IReadOnlyList<string> header, string fileName, string? symbol = null)
    {
        var names = header.Select(h => h.Trim()).ToHashSet(StringComparer.Ordinal);
        bool Has(params string[] cols) => cols.All(names.Contains);
        var stemSymbol = symbol ?? SymbolFromFileName(fileName);

        if (header.Count == 12 && long.TryParse(header[0], out _))
            return BinanceKlines(stemSymbol) with { Header = CsvLayout.BinanceKlineHeader };
        if (Has("open_time", "close_time", "open", "close"))
            return BinanceKlines(stemSymbol);
        if (Has("funding_time", "symbol", "funding_rate"))
            return new("funding_time", [new("funding_rate", "funding_rate"), new("mark_price", "mark_price", Required: false)], SymbolColumn: "symbol");
        if (Has("timestamp", "symbol", "sum_open_interest"))
            return new("timestamp", [new("open_interest", "sum_open_interest"), new("open_interest_value", "sum_open_interest_value", Required: false)], SymbolColumn: "symbol");
        if (Has("resolution", "time_utc", "symbol", "open"))
            return new("time_utc", Ohlcv, SymbolColumn: "symbol");
        if (Has("coin_symbol", "oi_close"))
            return new("timestamp", [new("open_interest", "oi_close")], SymbolColumn: "coin_symbol");
        if (Has("coin_symbol", "funding_rate", "fr_open"))
            return new("timestamp", [new("funding_rate", "funding_rate", Scale: 0.01)], SymbolColumn: "coin_symbol");
        if (Has("exchange", "symbol", "time_utc", "funding_rate"))
            return new("time_utc", [new("funding_rate", "funding_rate")], SymbolColumn: "symbol");
        if (Has("Symbol", "Market Cap", "snapshot_date"))
        {
            return new("snapshot_date",
            [
                new("market_cap", "Market Cap"), new("rank", "Rank"), new("price", "Price", Required: false),
                new("volume_24h", "Volume (24h)", Required: false), new("circulating_supply", "Circulating Supply", Required: false),
            ], SymbolColumn: "Symbol");
        }
        if (Has("date", "base", "open", "close"))
            return new("date", Ohlcv, SymbolColumn: "base");
        if (Has("date", "base", "market_cap"))
            return new("date", [new("market_cap", "market_cap")], SymbolColumn: "base");
        if (Has("pair", "date", "open", "close"))
            return new("date", Ohlcv, SymbolColumn: "pair");
        if (PlainCandles(header, stemSymbol) is { } plain)
            return plain;
        if (Has("date", "funding_rate"))
            return new("date", [new("funding_rate", "funding_rate")], Symbol: stemSymbol);
        return null;
    }

    /// <summary>The time columns of a plain candle file, the most precise first.</summary>
    private static readonly string[] PlainTimeColumns = ["timestamp", "time", "date"];

    // the commonest layout of all: a time column, open, high, low, close (and volume) in any letter case;
    // the symbol from a symbol column, else from the file name
    private static CsvLayout? PlainCandles(IReadOnlyList<string> header, string stemSymbol)
    {
        string? Find(string name) => header.Select(h => h.Trim()).FirstOrDefault(h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
        var time = PlainTimeColumns.Select(Find).FirstOrDefault(t => t is not null);
        var prices = CsvLayout.PriceColumns.Select(p => (Target: p, Source: Find(p))).ToArray();
        if (time is null || prices.Any(p => p.Source is null))
            return null;
        ImmutableArray<ColumnMapping> columns =
            [.. prices.Select(p => new ColumnMapping(p.Target, p.Source!)), new("volume", Find("volume") ?? "volume", Required: false)];
        return Find("symbol") is { } symbolColumn ? new(time, columns, SymbolColumn: symbolColumn) : new(time, columns, Symbol: stemSymbol);
    }

    /// <summary>The symbol a file name implies: the part before the first '-', '_' or '.'.</summary>
    public static string SymbolFromFileName(string fileName)
    {
        var stem = Path.GetFileNameWithoutExtension(fileName);
        var cut = stem.IndexOfAny(['-', '.']);
        return (cut > 0 ? stem[..cut] : stem).ToUpperInvariant();
    }

    private static CsvLayout BinanceKlines(string symbol) => new(
        "open_time",
        [
            .. Ohlcv, new("quote_volume", "quote_volume", Required: false), new("trades", "count", Required: false),
            new("taker_buy_volume", "taker_buy_volume", Required: false),
        ],
        Symbol: symbol);
}
