using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrategyLab.Exchanges.Binance.Common;

namespace StrategyLab.Exchanges.Binance;

/// <summary>
/// Settings for <see cref="BinanceFuturesExchange"/>. The defaults suit the real venue; tests point
/// <see cref="Environment"/> at a local fake and pass a <see cref="TimeProvider"/> of their own.
/// </summary>
/// <example><c>new BinanceFuturesOptions { Environment = BinanceEnvironment.For(testnet: true) }</c> trades on the testnet.</example>
public sealed record BinanceFuturesOptions
{
    /// <summary>Where to connect; default production.</summary>
    public BinanceEnvironment Environment { get; init; } = BinanceEnvironment.Production;

    /// <summary>How long after its timestamp a signed request stays valid at the venue (<c>recvWindow</c>); default 5 s, at most 60 s.</summary>
    public TimeSpan ReceiveWindow { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for a TCP connection; default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one request may take before it counts as unanswered; default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries of a read after 429, 5xx, a dropped connection or a timeout; default 4. Orders are never resent.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The first backoff delay (exponential with jitter, or the venue's Retry-After); default 1 s.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest backoff delay; default 30 s.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Request weight per minute (Binance allows 2400 per IP); default 2400.</summary>
    public int RequestWeightPerMinute { get; init; } = 2400;

    /// <summary>Orders per 10 seconds (Binance: 300 per account); default 300.</summary>
    public int OrdersPer10Seconds { get; init; } = 300;

    /// <summary>Orders per minute (Binance: 1200 per account); default 1200.</summary>
    public int OrdersPerMinute { get; init; } = 1200;

    /// <summary>How long the venue's clock reading is trusted before it is read again; default 5 minutes.</summary>
    public TimeSpan ClockSyncInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the user data stream's listen key is kept alive (Binance: it expires after 60 minutes); default 30 minutes.</summary>
    public TimeSpan ListenKeyKeepalive { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The first delay before a dropped stream reconnects (exponential with jitter); default 1 s.</summary>
    public TimeSpan StreamReconnectBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay before a dropped stream reconnects; default 30 s.</summary>
    public TimeSpan StreamReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stream may stay silent before it counts as dropped and reconnects; default 60 s.</summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>What a STOP_MARKET order's stop price is compared with: <c>CONTRACT_PRICE</c> (last trade, Binance's default) or <c>MARK_PRICE</c>.</summary>
    public string StopTrigger { get; init; } = "CONTRACT_PRICE";

    /// <summary>This machine's clock, used for timers and delays; default the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Jitter source, a number in [0, 1); default a shared random generator. Tests fix it.</summary>
    public Func<double> Jitter { get; init; } = Random.Shared.NextDouble;

    /// <summary>Where retries, reconnects and waits are logged (never keys, signatures or listen keys); default nowhere.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Hears the kline streams drop and reconnect (metrics, disconnect alerts); default nobody.</summary>
    public Runtime.Trading.IVenueObserver? Observer { get; init; }

    internal void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok)
            {
                throw new ExchangeException(ExchangeErrorKind.InvalidRequest, message);
            }
        }

        Require(ReceiveWindow > TimeSpan.Zero && ReceiveWindow <= TimeSpan.FromSeconds(60), "the receive window must be more than 0 and at most 60 seconds");
        Require(ConnectTimeout > TimeSpan.Zero && RequestTimeout > TimeSpan.Zero, "timeouts must be positive");
        Require(MaxRetries >= 0, "the retry count cannot be negative");
        Require(RetryBaseDelay >= TimeSpan.Zero && RetryMaxDelay >= RetryBaseDelay, "the retry delays must satisfy 0 <= base <= max");
        Require(RequestWeightPerMinute > 0 && OrdersPer10Seconds > 0 && OrdersPerMinute > 0, "rate limits must be positive");
        Require(ListenKeyKeepalive > TimeSpan.Zero && ListenKeyKeepalive < TimeSpan.FromMinutes(60), "the listen key keepalive must be under 60 minutes");
        Require(StreamIdleTimeout > TimeSpan.Zero, "the stream idle timeout must be positive");
        Require(StopTrigger is "CONTRACT_PRICE" or "MARK_PRICE", $"the stop trigger must be CONTRACT_PRICE or MARK_PRICE, found '{StopTrigger}'");
        Require(StreamReconnectBaseDelay >= TimeSpan.Zero && StreamReconnectMaxDelay >= StreamReconnectBaseDelay, "the reconnect delays must satisfy 0 <= base <= max");
    }
}
