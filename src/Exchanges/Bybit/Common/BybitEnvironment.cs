namespace StrategyLab.Exchanges.Bybit.Common;

/// <summary>
/// Where a Bybit v5 client connects: the REST base, the public linear stream and the private stream, production or
/// testnet (https://bybit-exchange.github.io/docs/v5/guide, https://bybit-exchange.github.io/docs/v5/ws/connect).
/// Tests point all three at a local fake venue.
/// </summary>
/// <example><c>BybitEnvironment.For(testnet: true).RestBase</c> is <c>https://api-testnet.bybit.com</c>.</example>
public sealed record BybitEnvironment(string Name, Uri RestBase, Uri PublicStream, Uri PrivateStream, bool IsTestnet)
{
    /// <summary>Production: <c>https://api.bybit.com</c>, <c>wss://stream.bybit.com/v5/public/linear</c>, <c>wss://stream.bybit.com/v5/private</c>.</summary>
    public static BybitEnvironment Production { get; } = new(
        "production",
        new Uri("https://api.bybit.com/"),
        new Uri("wss://stream.bybit.com/v5/public/linear"),
        new Uri("wss://stream.bybit.com/v5/private"),
        IsTestnet: false);

    /// <summary>The testnet: <c>https://api-testnet.bybit.com</c> and <c>wss://stream-testnet.bybit.com/v5/…</c>.</summary>
    public static BybitEnvironment Testnet { get; } = new(
        "testnet",
        new Uri("https://api-testnet.bybit.com/"),
        new Uri("wss://stream-testnet.bybit.com/v5/public/linear"),
        new Uri("wss://stream-testnet.bybit.com/v5/private"),
        IsTestnet: true);

    /// <summary>The testnet when <paramref name="testnet"/> (a <c>--testnet</c> switch), otherwise production.</summary>
    public static BybitEnvironment For(bool testnet) => testnet ? Testnet : Production;
}
