using System.Collections;

namespace StrategyLab.Exchanges.Mexc.Common;

/// <summary>
/// A MEXC access key and its secret, read only from the environment or a <c>.env</c> file (the environment wins).
/// Neither is ever shown: <see cref="ToString"/> says only that they are set, and <see cref="Redact"/> removes both
/// from any text before it is logged or thrown.
/// </summary>
/// <example><c>MEXC_API_KEY</c> and <c>MEXC_API_SECRET</c>.</example>
public sealed class MexcCredentials
{
    /// <summary>The environment variable that holds the access key.</summary>
    public const string KeyVariable = "MEXC_API_KEY";

    /// <summary>The environment variable that holds the secret.</summary>
    public const string SecretVariable = "MEXC_API_SECRET";

    private const string Hidden = "[redacted]";

    private MexcCredentials(string apiKey, string secret)
    {
        ApiKey = apiKey;
        Secret = secret;
    }

    internal string ApiKey { get; }

    internal string Secret { get; }

    /// <summary>
    /// Reads the key and secret from the process environment or, for a variable the environment lacks, from the
    /// <c>.env</c> file at <paramref name="envFile"/> when it exists (the file does not change the environment).
    /// </summary>
    /// <exception cref="ExchangeException">A variable is missing or empty (kind <see cref="ExchangeErrorKind.InvalidRequest"/>).</exception>
    public static MexcCredentials FromEnvironment(string? envFile = ".env", IDictionary? environment = null)
    {
        var variables = environment ?? Environment.GetEnvironmentVariables();
        var file = envFile is not null && File.Exists(envFile)
            ? DotNetEnv.Env.NoEnvVars().NoClobber().Load(envFile).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal)
            : [];
        string? Read(string name) =>
            variables[name] is string value && value.Length > 0 ? value
            : file.TryGetValue(name, out var fromFile) && fromFile.Length > 0 ? fromFile
            : null;

        var key = Read(KeyVariable);
        var secret = Read(SecretVariable);
        if (key is null || secret is null)
        {
            var missing = string.Join(" and ", new[] { key is null ? KeyVariable : null, secret is null ? SecretVariable : null }.OfType<string>());
            throw new ExchangeException(ExchangeErrorKind.InvalidRequest, $"no MEXC API credentials: set {missing} in the environment or in a .env file");
        }

        return new MexcCredentials(key.Trim(), secret.Trim());
    }

    /// <summary>Credentials given directly, for tests and for callers that hold them in a secret store.</summary>
    public static MexcCredentials Of(string apiKey, string secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        return new MexcCredentials(apiKey.Trim(), secret.Trim());
    }

    /// <summary>Returns <paramref name="text"/> with the key and the secret replaced by <c>[redacted]</c>.</summary>
    public string Redact(string text) =>
        text.Replace(Secret, Hidden, StringComparison.Ordinal).Replace(ApiKey, Hidden, StringComparison.Ordinal);

    /// <summary>Says that credentials are set, and nothing of them.</summary>
    public override string ToString() => "MEXC API credentials (key and secret set, not shown)";
}
