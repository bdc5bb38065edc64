using System.Collections;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Bybit.Common;
using StrategyLab.Exchanges.Mexc.Common;

namespace StrategyLab.Exchanges.Tests;

public sealed class ApiCredentialsTests
{
    public static TheoryData<string, Func<IDictionary, ApiCredentials>> Venues() =>
        new()
        {
            { "Binance", e => BinanceCredentials.FromEnvironment(false, envFile: null, e) },
            { "Binance testnet", e => BinanceCredentials.FromEnvironment(true, envFile: null, e) },
            { "Bybit", e => BybitCredentials.FromEnvironment(false, envFile: null, e) },
            { "Bybit testnet", e => BybitCredentials.FromEnvironment(true, envFile: null, e) },
            { "MEXC", e => MexcCredentials.FromEnvironment(envFile: null, e) },
        };

    [Theory]
    [MemberData(nameof(Venues))]
    public void NamesTheVenueAndBothVariablesWhenNoneIsSet(string whose, Func<IDictionary, ApiCredentials> read)
    {
        var e = Assert.Throws<ExchangeException>(() => read(new Hashtable()));

        Assert.Equal(ExchangeErrorKind.InvalidRequest, e.Kind);
        var prefix = whose.Split(' ')[0].ToUpperInvariant() + (whose.EndsWith(" testnet", StringComparison.Ordinal) ? "_TESTNET" : "");
        Assert.Equal($"no {whose} API credentials: set {prefix}_API_KEY and {prefix}_API_SECRET in the environment or in a .env file", e.Message);
    }

    [Fact]
    public void ShowsNeitherTheKeyNorTheSecret()
    {
        ApiCredentials[] all = [BinanceCredentials.Of(" key-1 ", "secret-1"), BybitCredentials.Of("key-1", "secret-1"), MexcCredentials.Of("key-1", "secret-1")];

        Assert.Equal(
            ["Binance API credentials (key and secret set, not shown)", "Bybit API credentials (key and secret set, not shown)", "MEXC API credentials (key and secret set, not shown)"],
            all.Select(c => c.ToString()));
        Assert.All(all, c => Assert.Equal("k=[redacted] s=[redacted]", c.Redact("k=key-1 s=secret-1")));
    }
}
