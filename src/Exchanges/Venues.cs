using System.Collections;
using System.Collections.Immutable;
using StrategyLab.Exchanges.Binance;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Bybit;
using StrategyLab.Exchanges.Bybit.Common;
using StrategyLab.Exchanges.History;
using StrategyLab.Exchanges.Mexc;
using StrategyLab.Exchanges.Mexc.Common;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Exchanges;

/// <summary>
/// One venue's client, seen as the account the runner trades on (<see cref="Exchange"/>) and as the feed it reads
/// closed bars from (<see cref="Feed"/>); disposing it closes the client.
/// </summary>
public sealed class VenueClient : IDisposable
{
    private readonly IDisposable _client;

    private VenueClient(IExchange exchange, IMarketFeed feed, IDisposable client)
    {
        Exchange = exchange;
        Feed = feed;
        _client = client;
    }

    /// <summary>The account, orders and instruments.</summary>
    public IExchange Exchange { get; }

    /// <summary>Closed bars and account changes as they happen.</summary>
    public IMarketFeed Feed { get; }

    internal static VenueClient Of<T>(T client)
        where T : IExchange, IMarketFeed, IDisposable => new(client, client, client);

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();
}

/// <summary>
/// A venue the trading commands can trade on: its name on the command line, its title in messages, whether it runs
/// a testnet, its key variable, and its clients.
/// </summary>
/// <example><c>Venues.Find("bybit")?.TradingClient(testnet: true)</c> reads BYBIT_TESTNET_API_KEY and its secret.</example>
public sealed class Venue
{
    private readonly Func<bool, string?> _keyVariable;
    private readonly Func<IVenueObserver?, VenueClient> _publicClient;
    private readonly Func<bool, string, IDictionary?, IVenueObserver?, VenueClient> _tradingClient;
    private readonly Func<Uri?, IVenueHistory> _history;

    internal Venue(
        string name,
        string title,
        bool hasTestnet,
        Func<bool, string?> keyVariable,
        Func<IVenueObserver?, VenueClient> publicClient,
        Func<bool, string, IDictionary?, IVenueObserver?, VenueClient> tradingClient,
        Func<Uri?, IVenueHistory> history)
    {
        Name = name;
        Title = title;
        HasTestnet = hasTestnet;
        _keyVariable = keyVariable;
        _publicClient = publicClient;
        _tradingClient = tradingClient;
        _history = history;
    }

    /// <summary>The name the command line takes, e.g. <c>bybit</c>.</summary>
    public string Name { get; }

    /// <summary>The venue and its market as messages name them, e.g. <c>Bybit linear</c>.</summary>
    public string Title { get; }

    /// <summary>Whether the venue runs a testnet for its futures (MEXC runs none for contracts).</summary>
    public bool HasTestnet { get; }

    /// <summary>The environment variable of the API key, or null on a testnet the venue does not run.</summary>
    public string? KeyVariable(bool testnet) => testnet && !HasTestnet ? null : _keyVariable(testnet);

    /// <summary>A client without keys: instruments, bars and kline streams only; <paramref name="observer"/> hears its calls and streams.</summary>
    public VenueClient PublicClient(IVenueObserver? observer = null) => _publicClient(observer);

    /// <summary>
    /// The venue's public history (klines and funding rates) as <c>data download</c> reads it, from its production REST
    /// address or from <paramref name="restBase"/> (a local venue in tests).
    /// </summary>
    /// <exception cref="ExchangeException">The address is not an absolute http or https address (kind InvalidRequest).</exception>
    public IVenueHistory History(Uri? restBase = null) => _history(restBase);

    /// <summary>
    /// A client with the keys from the environment or <paramref name="envFile"/>. Missing keys are an
    /// <see cref="ExchangeErrorKind.InvalidRequest"/> that names the variables to set and, when another venue's keys are
    /// set instead, says so (one venue's keys never work on another).
    /// </summary>
    /// <exception cref="ExchangeException">Keys missing, or a testnet the venue does not run (kind InvalidRequest).</exception>
    public VenueClient TradingClient(bool testnet, string envFile = ".env", IDictionary? environment = null, IVenueObserver? observer = null)
    {
        if (testnet && !HasTestnet)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidRequest, $"{Title} runs no testnet");
        }

        try
        {
            return _tradingClient(testnet, envFile, environment, observer);
        }
        catch (ExchangeException e) when (e.Kind == ExchangeErrorKind.InvalidRequest)
        {
            var others = Venues.OtherVenuesKeys(this, testnet, envFile, environment);
            if (others.Count == 0)
            {
                throw;
            }

            throw new ExchangeException(
                ExchangeErrorKind.InvalidRequest,
                $"{e.Message} ({string.Join(" and ", others)} is set, but one venue's keys do not work on another)",
                e);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>The venues StrategyLab trades on: Binance USDⓈ-M futures (the default), Bybit linear perpetuals and MEXC contract.</summary>
public static class Venues
{
    /// <summary>Binance USDⓈ-M futures; BINANCE_API_KEY and BINANCE_API_SECRET (BINANCE_TESTNET_… on the testnet).</summary>
    public static Venue Binance { get; } = new(
        "binance",
        "Binance USDⓈ-M",
        hasTestnet: true,
        BinanceCredentials.KeyVariable,
        observer => VenueClient.Of(new BinanceFuturesExchange(new BinanceFuturesOptions { Observer = observer })),
        (testnet, envFile, environment, observer) => VenueClient.Of(BinanceFuturesExchange.FromEnvironment(
            testnet, new BinanceFuturesOptions { Observer = observer }, envFile: envFile, environment: environment)),
        restBase => new BinanceFuturesHistory(new BinanceHistoryOptions { BaseAddress = restBase ?? BinanceUrls.UsdMarginedFuturesBase }));

    /// <summary>Bybit v5 linear perpetuals; BYBIT_API_KEY and BYBIT_API_SECRET (BYBIT_TESTNET_… on the testnet).</summary>
    public static Venue Bybit { get; } = new(
        "bybit",
        "Bybit linear",
        hasTestnet: true,
        BybitCredentials.KeyVariable,
        observer => VenueClient.Of(new BybitExchange(new BybitOptions { Observer = observer })),
        (testnet, envFile, environment, observer) => VenueClient.Of(BybitExchange.FromEnvironment(
            testnet, new BybitOptions { Observer = observer }, envFile: envFile, environment: environment)),
        restBase => new BybitHistory(new BybitOptions { Environment = BybitEnvironment.Production with { RestBase = HttpAddress(restBase) ?? BybitEnvironment.Production.RestBase } }));

    /// <summary>MEXC contract (USDT-M perpetuals); MEXC_API_KEY and MEXC_API_SECRET; no testnet.</summary>
    public static Venue Mexc { get; } = new(
        "mexc",
        "MEXC contract",
        hasTestnet: false,
        _ => MexcCredentials.KeyVariable,
        observer => VenueClient.Of(new MexcFuturesExchange(new MexcFuturesOptions { Observer = observer })),
        (_, envFile, environment, observer) => VenueClient.Of(MexcFuturesExchange.FromEnvironment(
            new MexcFuturesOptions { Observer = observer }, envFile: envFile, environment: environment)),
        restBase => new MexcHistory(new MexcFuturesOptions { Environment = MexcEnvironment.Production with { RestBase = HttpAddress(restBase) ?? MexcEnvironment.Production.RestBase } }));

    // the options of Bybit's and MEXC's clients take any address: history takes http or https only, as Binance's options do
    private static Uri? HttpAddress(Uri? address) =>
        address is null || (address.IsAbsoluteUri && (address.Scheme == Uri.UriSchemeHttps || address.Scheme == Uri.UriSchemeHttp))
            ? address
            : throw new ExchangeException(ExchangeErrorKind.InvalidRequest, $"the base address '{address}' is not an absolute http or https address");

    /// <summary>Every venue, the default first.</summary>
    public static ImmutableArray<Venue> All { get; } = [Binance, Bybit, Mexc];

    /// <summary>The venue traded when none is named.</summary>
    public static Venue Default => Binance;

    /// <summary>The names for a message, e.g. <c>binance, bybit or mexc</c>.</summary>
    public static string Choices =>
        string.Join(", ", All[..^1].Select(v => v.Name)) + " or " + All[^1].Name;

    /// <summary>The venue of that name (case and surrounding spaces ignored), or null.</summary>
    public static Venue? Find(string name) =>
        All.FirstOrDefault(v => string.Equals(v.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The key variables of the other venues that are set in the environment or written in <paramref name="envFile"/>,
    /// to say so when the keys found are another venue's. Only names are returned, never values.
    /// </summary>
    public static IReadOnlyList<string> OtherVenuesKeys(Venue venue, bool testnet, string envFile, IDictionary? environment = null)
    {
        var variables = environment ?? Environment.GetEnvironmentVariables();
        var lines = File.Exists(envFile) ? File.ReadAllText(envFile).Split('\n') : [];
        bool IsSet(string name) =>
            (variables[name] is string value && value.Length > 0)
            || lines.Any(line => line.TrimStart().StartsWith(name + "=", StringComparison.Ordinal));

        return All
            .Where(other => other != venue)
            .Select(other => other.KeyVariable(testnet))
            .OfType<string>()
            .Where(IsSet)
            .ToList();
    }
}
