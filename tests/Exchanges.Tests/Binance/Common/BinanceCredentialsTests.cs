using System.Collections;
using StrategyLab.Exchanges.Binance.Common;

namespace StrategyLab.Exchanges.Tests.Binance.Common;

public sealed class BinanceCredentialsTests : IDisposable
{
    private readonly string _envFile = Path.Combine(Path.GetTempPath(), "strategylab-env-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => File.Delete(_envFile);

    [Fact]
    public void ReadsProductionKeysFromTheEnvironment()
    {
        var credentials = BinanceCredentials.FromEnvironment(false, envFile: null, new Hashtable { ["BINANCE_API_KEY"] = "key-1", ["BINANCE_API_SECRET"] = "secret-1" });

        Assert.Equal(("key-1", "secret-1"), (credentials.ApiKey, credentials.Secret));
    }

    [Fact]
    public void ReadsTestnetKeysFromTheirOwnVariables()
    {
        var environment = new Hashtable
        {
            ["BINANCE_API_KEY"] = "live-key",
            ["BINANCE_API_SECRET"] = "live-secret",
            ["BINANCE_TESTNET_API_KEY"] = "test-key",
            ["BINANCE_TESTNET_API_SECRET"] = "test-secret",
        };

        var credentials = BinanceCredentials.FromEnvironment(true, envFile: null, environment);

        Assert.Equal(("test-key", "test-secret"), (credentials.ApiKey, credentials.Secret));
    }

    [Fact]
    public void ReadsADotEnvFileWithoutChangingTheEnvironmentAndTheEnvironmentWins()
    {
        File.WriteAllText(_envFile, "BINANCE_API_KEY=file-key\nBINANCE_API_SECRET=file-secret\n");

        var fromFile = BinanceCredentials.FromEnvironment(false, _envFile, new Hashtable());
        var overridden = BinanceCredentials.FromEnvironment(false, _envFile, new Hashtable { ["BINANCE_API_SECRET"] = "env-secret" });

        Assert.Equal(("file-key", "file-secret"), (fromFile.ApiKey, fromFile.Secret));
        Assert.Equal(("file-key", "env-secret"), (overridden.ApiKey, overridden.Secret));
        Assert.NotEqual("file-key", Environment.GetEnvironmentVariable("BINANCE_API_KEY"));
    }

    [Fact]
    public void NamesTheMissingVariablesInOneLine()
    {
        var e = Assert.Throws<ExchangeException>(() => BinanceCredentials.FromEnvironment(true, envFile: null, new Hashtable { ["BINANCE_TESTNET_API_KEY"] = "k" }));

        Assert.Equal(ExchangeErrorKind.InvalidRequest, e.Kind);
        Assert.Equal("no Binance testnet API credentials: set BINANCE_TESTNET_API_SECRET in the environment or in a .env file", e.Message);
    }

    [Fact]
    public void NeverShowsTheKeyOrTheSecret()
    {
        var credentials = BinanceCredentials.Of("visible-key-123", "visible-secret-456");

        Assert.DoesNotContain("visible", credentials.ToString(), StringComparison.Ordinal);
        Assert.Equal("a [redacted] and b [redacted]", credentials.Redact("a visible-key-123 and b visible-secret-456"));
    }
}
