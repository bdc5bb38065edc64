namespace StrategyLab.Exchanges.Binance.Common;

/// <summary>
/// Binance USDⓈ-M futures addresses (REST and websocket streams, production and testnet) and the REST paths used,
/// as named on https://developers.binance.com/docs/derivatives/usds-margined-futures (one page per endpoint).
/// </summary>
internal static class BinanceUrls
{
    public static readonly Uri UsdMarginedFuturesBase = new("https://fapi.binance.com");
    public static readonly Uri UsdMarginedFuturesStreams = new("wss://fstream.binance.com");
    public static readonly Uri TestnetBase = new("https://demo-fapi.binance.com");
    public static readonly Uri TestnetStreams = new("wss://fstream.binancefuture.com");

    public const string ServerTime = "/fapi/v1/time";
    public const string Klines = "/fapi/v1/klines";
    public const string FundingRate = "/fapi/v1/fundingRate";
    public const string OpenInterestHist = "/futures/data/openInterestHist";
    public const string ExchangeInfo = "/fapi/v1/exchangeInfo";
    public const string Order = "/fapi/v1/order";
    public const string OpenOrders = "/fapi/v1/openOrders";
    public const string PositionRisk = "/fapi/v3/positionRisk";
    public const string Balance = "/fapi/v3/balance";
    public const string UserTrades = "/fapi/v1/userTrades";
    public const string Income = "/fapi/v1/income";
    public const string Leverage = "/fapi/v1/leverage";
    public const string MarginType = "/fapi/v1/marginType";
    public const string PositionMode = "/fapi/v1/positionSide/dual";
    public const string ListenKey = "/fapi/v1/listenKey";

    /// <summary>The raw stream of one stream name, e.g. <c>btcusdt@kline_1m</c> or a listen key: <c>/ws/&lt;name&gt;</c>.</summary>
    public static Uri Stream(Uri streamBase, string name) => new(streamBase, "/ws/" + name);

    /// <summary>
    /// Returns the address as it may be shown to a user: scheme, host, port, path and query,
    /// with any credential-bearing query parameter (signature, apiKey, timestamp-bound tokens) removed.
    /// </summary>
    public static string Describe(Uri uri)
    {
        var query = uri.Query.TrimStart('?');
        var kept = query.Length == 0
            ? []
            : query.Split('&').Where(p => !IsSecret(p.Split('=')[0])).ToArray();
        var path = uri.GetLeftPart(UriPartial.Path);
        return kept.Length == 0 ? path : $"{path}?{string.Join('&', kept)}";
    }

    private static bool IsSecret(string name) =>
        name.Equals("signature", StringComparison.OrdinalIgnoreCase)
        || name.Equals("apiKey", StringComparison.OrdinalIgnoreCase)
        || name.Equals("listenKey", StringComparison.OrdinalIgnoreCase);
}
