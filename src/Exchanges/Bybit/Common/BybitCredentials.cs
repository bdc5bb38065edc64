using System.Collections;

namespace StrategyLab.Exchanges.Bybit.Common;

/// <summary>
/// A Bybit API key and its secret, read only from the environment or a <c>.env</c> file (the environment wins), never
/// from the command line or a config file that could be committed. Neither is ever shown: <see cref="ToString"/> says
/// only that they are set, and <see cref="Redact"/> removes both from any text before it is logged or thrown.
/// </summary>
/// <example>
/// <c>BYBIT_API_KEY</c> and <c>BYBIT_API_SECRET</c> for production; <c>BYBIT_TESTNET_API_KEY</c> and
/// <c>BYBIT_TESTNET_API_SECRET</c> for the testnet.
/// </example>
public sealed class BybitCredentials
{
    private const string Hidden = "[redacted]";

    private BybitCredentials(string apiKey, string secret)
    {
        ApiKey = apiKey;
        Secret = secret;
    }

    internal string ApiKey { get; }

    internal string Secret { get; }

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
        var variables = environment ?? Environment.GetEnvironmentVariables();
        var file = envFile is not null && File.Exists(envFile)
            ? DotNetEnv.Env.NoEnvVars().NoClobber().Load(envFile).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal)
            : [];
        string? Read(string name) =>
            variables[name] is string value && value.Length > 0 ? value
            : file.TryGetValue(name, out var fromFile) && fromFile.Length > 0 ? fromFile
            : null;

        var keyName = KeyVariable(testnet);
        var secretName = SecretVariable(testnet);
        var key = Read(keyName);
        var secret = Read(secretName);
        if (key is null || secret is null)
        {
            var missing = string.Join(" and ", new[] { key is null ? keyName : null, secret is null ? secretName : null }.OfType<string>());
            throw new ExchangeException(
                ExchangeErrorKind.InvalidRequest,
                $"no Bybit {(testnet ? "testnet " : "")}API credentials: set {missing} in the environment or in a .env file");
        }

        return new BybitCredentials(key.Trim(), secret.Trim());
    }

    /// <summary>Credentials given directly, for tests and for callers that hold them in a secret store.</summary>
    public static BybitCredentials Of(string apiKey, string secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        return new BybitCredentials(apiKey.Trim(), secret.Trim());
    }

    /// <summary>Returns <paramref name="text"/> with the key and the secret replaced by <c>[redacted]</c>.</summary>
    public string Redact(string text) =>
        text.Replace(Secret, Hidden, StringComparison.Ordinal).Replace(ApiKey, Hidden, StringComparison.Ordinal);

    /// <summary>Says that credentials are set, and nothing of them.</summary>
    public override string ToString() => "Bybit API credentials (key and secret set, not shown)";
}
