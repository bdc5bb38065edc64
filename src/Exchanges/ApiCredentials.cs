using System.Collections;

namespace StrategyLab.Exchanges;

/// <summary>
/// A venue's API key and its secret, read only from the environment or a <c>.env</c> file (the environment wins),
/// never from the command line or a config file that could be committed. Neither is ever shown:
/// <see cref="ToString"/> says only that they are set, and <see cref="Redact"/> removes both from any text before it
/// is logged or thrown. Each venue's class names its variables and its title; only the venues derive from it.
/// </summary>
public abstract class ApiCredentials
{
    private const string Hidden = "[redacted]";

    private readonly string _title;

    private protected ApiCredentials(string title, string apiKey, string secret)
    {
        _title = title;
        ApiKey = apiKey.Trim();
        Secret = secret.Trim();
    }

    internal string ApiKey { get; }

    internal string Secret { get; }

    /// <summary>Returns <paramref name="text"/> with the key and the secret replaced by <c>[redacted]</c>.</summary>
    public string Redact(string text) =>
        text.Replace(Secret, Hidden, StringComparison.Ordinal).Replace(ApiKey, Hidden, StringComparison.Ordinal);

    /// <summary>Says that credentials are set, and nothing of them.</summary>
    public override string ToString() => $"{_title} API credentials (key and secret set, not shown)";

    /// <summary>
    /// Reads the variables <paramref name="keyName"/> and <paramref name="secretName"/> from
    /// <paramref name="environment"/> (the process environment when null), or, for a variable it lacks, from the
    /// <c>.env</c> file at <paramref name="envFile"/> when it exists (the file does not change the environment).
    /// </summary>
    /// <param name="whose">Who the keys are for in the error, as in "no <c>Binance testnet</c> API credentials".</param>
    /// <exception cref="ExchangeException">A variable is missing or empty (kind <see cref="ExchangeErrorKind.InvalidRequest"/>).</exception>
    private protected static (string Key, string Secret) Read(string whose, string keyName, string secretName, string? envFile, IDictionary? environment)
    {
        var variables = environment ?? Environment.GetEnvironmentVariables();
        var file = envFile is not null && File.Exists(envFile)
            ? DotNetEnv.Env.NoEnvVars().NoClobber().Load(envFile).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal)
            : [];
        string? Variable(string name) =>
            variables[name] is string value && value.Length > 0 ? value
            : file.TryGetValue(name, out var fromFile) && fromFile.Length > 0 ? fromFile
            : null;

        var key = Variable(keyName);
        var secret = Variable(secretName);
        if (key is null || secret is null)
        {
            var missing = string.Join(" and ", new[] { key is null ? keyName : null, secret is null ? secretName : null }.OfType<string>());
            throw new ExchangeException(ExchangeErrorKind.InvalidRequest, $"no {whose} API credentials: set {missing} in the environment or in a .env file");
        }

        return (key, secret);
    }
}
