namespace StrategyLab.Exchanges.Binance.Common;

/// <summary>
/// Where a Binance USDⓈ-M client connects: REST base address and websocket stream base, production or testnet.
/// Tests point both at a local fake venue.
/// </summary>
/// <example><c>BinanceEnvironment.For(testnet: true).RestBase</c> is <c>https://demo-fapi.binance.com</c>.</example>
public sealed record BinanceEnvironment(string Name, Uri RestBase, Uri StreamBase, bool IsTestnet)
{
    /// <summary>The production venue: <c>https://fapi.binance.com</c>, <c>wss://fstream.binance.com</c>.</summary>
    public static BinanceEnvironment Production { get; } =
        new("production", BinanceUrls.UsdMarginedFuturesBase, BinanceUrls.UsdMarginedFuturesStreams, IsTestnet: false);

    /// <summary>The futures testnet: <c>https://demo-fapi.binance.com</c>, <c>wss://fstream.binancefuture.com</c>.</summary>
    public static BinanceEnvironment Testnet { get; } =
        new("testnet", BinanceUrls.TestnetBase, BinanceUrls.TestnetStreams, IsTestnet: true);

    /// <summary>The testnet when <paramref name="testnet"/> (a <c>--testnet</c> switch), otherwise production.</summary>
    public static BinanceEnvironment For(bool testnet) => testnet ? Testnet : Production;
}
