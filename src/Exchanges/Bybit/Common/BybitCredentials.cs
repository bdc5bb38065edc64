using System.Collections;

namespace StrategyLab.Exchanges.Bybit.Common;

/// <summary>A Bybit API key and its secret (see <see cref="ApiCredentials"/>).</summary>
/// <example>
/// <c>BYBIT_API_KEY</c> and <c>BYBIT_API_SECRET</c> for production; <c>BYBIT_TESTNET_API_KEY</c> and
/// <c>BYBIT_TESTNET_API_SECRET</c> for the testnet.
/// </example>
public sealed class BybitCredentials : ApiCredentials
{
    private BybitCredentials(string apiKey, string secret)
        : base("Bybit", apiKey, secret) { }

    /// <summary>The environment variable that holds the API key.</summary>
    public static string KeyVariable(bool testnet) => testnet ? "BYBIT_TESTNET_API_KEY" : "BYBIT_API_KEY";

    /// <summary>The environment variable that holds the secret.</summary>
    public static string SecretVariable(bool testnet) => testnet ? "BYBIT_TESTNET_API_SECRET" : "BYBIT_API_SECRET";

    /// <summary>
    /// Reads the key and secret from the process environment, or, for a variable the environment lacks, from the
    /// <c>.env</c> file at <paramref name="envFile"/> when it exists (the file does not change the environment).
    /// </summary>
    /// <exception cref="ExchangeException">A variable is missing or empty (kind <see cref="ExchangeErrorKind.InvalidRequest"/>).</exception>
    public static BybitCredentials FromEnvironment(bool testnet, string? envFile = ".env", IDictionary? environment = null)
    {
        var (key, secret) = Read(testnet ? "Bybit testnet" : "Bybit", KeyVariable(testnet), SecretVariable(testnet), envFile, environment);
        return new BybitCredentials(key, secret);
    }

    /// <summary>Credentials given directly, for tests and for callers that hold them in a secret store.</summary>
    public static BybitCredentials Of(string apiKey, string secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        return new BybitCredentials(apiKey, secret);
    }
}
