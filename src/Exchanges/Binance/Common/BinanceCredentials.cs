using System.Collections;

namespace StrategyLab.Exchanges.Binance.Common;

/// <summary>Binance's API key and secret (see <see cref="ApiCredentials"/>).</summary>
/// <example>
/// <c>BINANCE_API_KEY</c> and <c>BINANCE_API_SECRET</c> for production; <c>BINANCE_TESTNET_API_KEY</c> and
/// <c>BINANCE_TESTNET_API_SECRET</c> for the testnet.
/// </example>
public sealed class BinanceCredentials : ApiCredentials
{
    private BinanceCredentials(string apiKey, string secret)
        : base("Binance", apiKey, secret) { }

    /// <summary>The environment variable that holds the API key.</summary>
    public static string KeyVariable(bool testnet) => testnet ? "BINANCE_TESTNET_API_KEY" : "BINANCE_API_KEY";

    /// <summary>The environment variable that holds the secret.</summary>
    public static string SecretVariable(bool testnet) => testnet ? "BINANCE_TESTNET_API_SECRET" : "BINANCE_API_SECRET";

    /// <summary>
    /// Reads the key and secret from the process environment, or, for a variable the environment lacks, from the
    /// <c>.env</c> file at <paramref name="envFile"/> when it exists (the file does not change the environment).
    /// </summary>
    /// <exception cref="ExchangeException">A variable is missing or empty (kind <see cref="ExchangeErrorKind.InvalidRequest"/>).</exception>
    public static BinanceCredentials FromEnvironment(bool testnet, string? envFile = ".env", IDictionary? environment = null)
    {
        var (key, secret) = Read(testnet ? "Binance testnet" : "Binance", KeyVariable(testnet), SecretVariable(testnet), envFile, environment);
        return new BinanceCredentials(key, secret);
    }

    /// <summary>Credentials given directly, for tests and for callers that hold them in a secret store.</summary>
    public static BinanceCredentials Of(string apiKey, string secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        return new BinanceCredentials(apiKey, secret);
    }
}
