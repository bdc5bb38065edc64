using System.Collections;

namespace StrategyLab.Exchanges.Mexc.Common;

/// <summary>A MEXC access key and its secret (see <see cref="ApiCredentials"/>); MEXC runs no testnet.</summary>
/// <example><c>MEXC_API_KEY</c> and <c>MEXC_API_SECRET</c>.</example>
public sealed class MexcCredentials : ApiCredentials
{
    /// <summary>The environment variable that holds the access key.</summary>
    public const string KeyVariable = "MEXC_API_KEY";

    /// <summary>The environment variable that holds the secret.</summary>
    public const string SecretVariable = "MEXC_API_SECRET";

    private MexcCredentials(string apiKey, string secret)
        : base("MEXC", apiKey, secret) { }

    /// <summary>
    /// Reads the key and secret from the process environment or, for a variable the environment lacks, from the
    /// <c>.env</c> file at <paramref name="envFile"/> when it exists (the file does not change the environment).
    /// </summary>
    /// <exception cref="ExchangeException">A variable is missing or empty (kind <see cref="ExchangeErrorKind.InvalidRequest"/>).</exception>
    public static MexcCredentials FromEnvironment(string? envFile = ".env", IDictionary? environment = null)
    {
        var (key, secret) = Read("MEXC", KeyVariable, SecretVariable, envFile, environment);
        return new MexcCredentials(key, secret);
    }

    /// <summary>Credentials given directly, for tests and for callers that hold them in a secret store.</summary>
    public static MexcCredentials Of(string apiKey, string secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        return new MexcCredentials(apiKey, secret);
    }
}
