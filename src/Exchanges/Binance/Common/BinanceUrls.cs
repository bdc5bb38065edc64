namespace StrategyLab.Exchanges.Binance.Common;

/// <summary>Binance USDⓈ-M futures REST base address and the public market-data paths used for history.</summary>
internal static class BinanceUrls
{
    public static readonly Uri UsdMarginedFuturesBase = new("https://fapi.binance.com");

    public const string ServerTime = "/fapi/v1/time";
    public const string Klines = "/fapi/v1/klines";
    public const string FundingRate = "/fapi/v1/fundingRate";
    public const string OpenInterestHist = "/futures/data/openInterestHist";

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
