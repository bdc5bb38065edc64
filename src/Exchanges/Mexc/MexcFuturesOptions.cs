using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrategyLab.Exchanges.Mexc.Common;

namespace StrategyLab.Exchanges.Mexc;

/// <summary>
/// Settings for <see cref="MexcFuturesExchange"/>. The defaults suit the real venue; tests point
/// <see cref="Environment"/> at a local fake and pass a <see cref="TimeProvider"/> of their own.
/// </summary>
/// <example><c>new MexcFuturesOptions { Leverage = 5 }</c> opens positions at 5x.</example>
public sealed record MexcFuturesOptions
{
    /// <summary>Where to connect; default production (MEXC has no contract testnet).</summary>
    public MexcEnvironment Environment { get; init; } = MexcEnvironment.Production;

    /// <summary>How long after its Request-Time a signed request stays valid (<c>Recv-Window</c>); default 10 s, at most 60 s.</summary>
    public TimeSpan ReceiveWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The leverage sent with each order (MEXC takes it per order in cross margin); default 20.</summary>
    public int Leverage { get; init; } = 20;

    /// <summary>How long to wait for a TCP connection; default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one request may take before it counts as unanswered; default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries of a read after 429, code 510, 5xx, a dropped connection or a timeout; default 4. Orders are never resent.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The first backoff delay (exponential with jitter, or the venue's Retry-After); default 1 s.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest backoff delay; default 30 s.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Requests per <see cref="RateWindow"/> across all endpoints; default 20, a conservative figure (MEXC states its limits per endpoint).</summary>
    public int RequestsPerWindow { get; init; } = 20;

    /// <summary>The rate-limit window; default 2 s.</summary>
    public TimeSpan RateWindow { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the venue's clock reading is trusted before it is read again; default 5 minutes.</summary>
    public TimeSpan ClockSyncInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a websocket sends <c>{"method":"ping"}</c> (MEXC closes a socket without one for a minute; it advises 10–20 s); default 15 s.</summary>
    public TimeSpan StreamPingInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The first delay before a dropped stream reconnects (exponential with jitter); default 1 s.</summary>
    public TimeSpan StreamReconnectBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay before a dropped stream reconnects; default 30 s.</summary>
    public TimeSpan StreamReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stream may stay silent (no pong either) before it counts as dropped; default 60 s.</summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>What a trigger (stop) order compares with: 1 last price (default), 2 fair price, 3 index price (the plan order's <c>trend</c>).</summary>
    public int StopTrigger { get; init; } = 1;

    /// <summary>This machine's clock, used for timers and delays; default the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Jitter source, a number in [0, 1); default a shared random generator. Tests fix it.</summary>
    public Func<double> Jitter { get; init; } = Random.Shared.NextDouble;

    /// <summary>Where retries, reconnects and waits are logged (never keys or signatures); default nowhere.</summary>
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
        Require(Leverage >= 1, "the leverage must be at least 1");
        Require(ConnectTimeout > TimeSpan.Zero && RequestTimeout > TimeSpan.Zero, "timeouts must be positive");
        Require(MaxRetries >= 0, "the retry count cannot be negative");
        Require(RetryBaseDelay >= TimeSpan.Zero && RetryMaxDelay >= RetryBaseDelay, "the retry delays must satisfy 0 <= base <= max");
        Require(RequestsPerWindow > 0 && RateWindow > TimeSpan.Zero, "the rate limit must be positive");
        Require(StreamPingInterval > TimeSpan.Zero && StreamPingInterval < TimeSpan.FromMinutes(1), "the ping interval must be under a minute");
        Require(StreamIdleTimeout > TimeSpan.Zero, "the stream idle timeout must be positive");
        Require(StopTrigger is 1 or 2 or 3, $"the stop trigger must be 1 (last), 2 (fair) or 3 (index), found {StopTrigger}");
        Require(StreamReconnectBaseDelay >= TimeSpan.Zero && StreamReconnectMaxDelay >= StreamReconnectBaseDelay, "the reconnect delays must satisfy 0 <= base <= max");
    }
}
