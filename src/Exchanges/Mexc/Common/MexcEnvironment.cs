namespace StrategyLab.Exchanges.Mexc.Common;

/// <summary>Where a MEXC contract client connects: the REST base and the websocket address.</summary>
/// <param name="Name">A name for log lines, e.g. <c>production</c>.</param>
/// <param name="RestBase">The REST base, e.g. <c>https://contract.mexc.com/</c>.</param>
/// <param name="StreamAddress">The websocket, e.g. <c>wss://contract.mexc.com/edge</c>.</param>
public sealed record MexcEnvironment(string Name, Uri RestBase, Uri StreamAddress)
{
    /// <summary>
    /// MEXC's contract API: <c>https://contract.mexc.com</c> and <c>wss://contract.mexc.com/edge</c>
    /// (https://mexcdevelop.github.io/apidocs/contract_v1_en, "Access to url" and the 2024-01-31 update log entry).
    /// MEXC runs no public contract testnet.
    /// </summary>
    public static MexcEnvironment Production { get; } =
        new("production", new Uri("https://contract.mexc.com/"), new Uri("wss://contract.mexc.com/edge"));
}
