using System.Collections;

namespace StrategyLab.Exchanges.Tests;

public sealed class VenuesTests
{
    // a .env file that is never there, so only the dictionary given stands for the environment
    private static readonly string NoEnvFile = Path.Combine(Path.GetTempPath(), $"strategylab-no-env-{Guid.NewGuid():N}");

    [Fact]
    public void FindsEveryVenueByNameWhateverItsCaseAndNamesThemAll()
    {
        Assert.Same(Venues.Binance, Venues.Find("binance"));
        Assert.Same(Venues.Bybit, Venues.Find("Bybit"));
        Assert.Same(Venues.Mexc, Venues.Find(" MEXC "));
        Assert.Null(Venues.Find("kraken"));
        Assert.Same(Venues.Binance, Venues.Default);
        Assert.Equal("binance, bybit or mexc", Venues.Choices);
    }

    [Fact]
    public void MexcRefusesATestnetItDoesNotRun()
    {
        var environment = new Hashtable { ["MEXC_API_KEY"] = "mexc-key", ["MEXC_API_SECRET"] = "mexc-secret" };

        var e = Assert.Throws<ExchangeException>(() => Venues.Mexc.TradingClient(testnet: true, NoEnvFile, environment));

        Assert.Equal(ExchangeErrorKind.InvalidRequest, e.Kind);
        Assert.Equal("MEXC contract runs no testnet", e.Message);
        Assert.Null(Venues.Mexc.KeyVariable(testnet: true));
    }

    [Fact]
    public void MissingKeysSayWhichOtherVenuesKeysAreSetWithoutShowingThem()
    {
        var environment = new Hashtable { ["BYBIT_API_KEY"] = "bybit-key-never-shown", ["BYBIT_API_SECRET"] = "bybit-secret" };

        var e = Assert.Throws<ExchangeException>(() => Venues.Mexc.TradingClient(testnet: false, NoEnvFile, environment));

        Assert.Equal(
            "no MEXC API credentials: set MEXC_API_KEY and MEXC_API_SECRET in the environment or in a .env file (BYBIT_API_KEY is set, but one venue's keys do not work on another)",
            e.Message);
        Assert.DoesNotContain("bybit-key-never-shown", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnATestnetOnlyTheOtherVenuesTestnetKeysCount()
    {
        // MEXC's production key is no testnet key of another venue: naming it would mislead
        var environment = new Hashtable { ["MEXC_API_KEY"] = "mexc-key", ["BYBIT_TESTNET_API_KEY"] = "bybit-testnet-key" };

        var e = Assert.Throws<ExchangeException>(() => Venues.Binance.TradingClient(testnet: true, NoEnvFile, environment));

        Assert.Equal(
            "no Binance testnet API credentials: set BINANCE_TESTNET_API_KEY and BINANCE_TESTNET_API_SECRET in the environment or in a .env file (BYBIT_TESTNET_API_KEY is set, but one venue's keys do not work on another)",
            e.Message);
    }

    [Fact]
    public void KeysWrittenInTheEnvFileCountAsSet()
    {
        var envFile = Path.Combine(Path.GetTempPath(), $"strategylab-env-{Guid.NewGuid():N}");
        File.WriteAllText(envFile, "BINANCE_API_KEY=binance-key\n");
        try
        {
            Assert.Equal(["BINANCE_API_KEY"], Venues.OtherVenuesKeys(Venues.Bybit, testnet: false, envFile, new Hashtable()));
            Assert.Empty(Venues.OtherVenuesKeys(Venues.Binance, testnet: false, envFile, new Hashtable()));
        }
        finally
        {
            File.Delete(envFile);
        }
    }

    [Fact]
    public void ATradingClientIsTheNamedVenuesWithItsOwnKeys()
    {
        var environment = new Hashtable { ["MEXC_API_KEY"] = "mexc-key", ["MEXC_API_SECRET"] = "mexc-secret" };

        using var client = Venues.Mexc.TradingClient(testnet: false, NoEnvFile, environment);

        Assert.Equal("mexc-contract", client.Exchange.Venue);
        Assert.Same(client.Exchange, client.Feed);
    }
}
