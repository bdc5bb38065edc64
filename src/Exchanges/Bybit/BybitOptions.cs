using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrategyLab.Exchanges.Bybit.Common;

namespace StrategyLab.Exchanges.Bybit;

/// <summary>
/// Settings for <see cref="BybitExchange"/>. The defaults suit the real venue; tests point <see cref="Environment"/> at a
/// local fake and pass a <see cref="TimeProvider"/> of their own.
/// </summary>
/// <example><c>new BybitOptions { Environment = BybitEnvironment.For(testnet: true) }</c> trades on the testnet.</example>
public sealed record BybitOptions
{
    /// <summary>Where to connect; default production.</summary>
    public BybitEnvironment Environment { get; init; } = BybitEnvironment.Production;

    /// <summary>How long after its timestamp a signed request stays valid at the venue (<c>X-BAPI-RECV-WINDOW</c>); default 5 s, at most 60 s.</summary>
    public TimeSpan ReceiveWindow { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait for a TCP connection; default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one request may take before it counts as unanswered; default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries of a read after 10006, 10016, 5xx, a dropped connection or a timeout; default 4. Orders are retried only after 10006.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The first backoff delay (exponential with jitter); default 1 s.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest backoff delay, and the longest wait for a rate-limit window to reset; default 30 s.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the venue's clock reading is trusted before it is read again; default 5 minutes.</summary>
    public TimeSpan ClockSyncInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a websocket sends <c>{"op":"ping"}</c>; Bybit recommends every 20 s.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The first delay before a dropped stream reconnects (exponential with jitter); default 1 s.</summary>
    public TimeSpan StreamReconnectBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay before a dropped stream reconnects; default 30 s.</summary>
    public TimeSpan StreamReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stream may stay silent (heartbeat answers included) before it counts as dropped; default 60 s.</summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>What a conditional order's trigger price is compared with (<c>triggerBy</c>): <c>LastPrice</c> (default), <c>MarkPrice</c> or <c>IndexPrice</c>.</summary>
    public string StopTrigger { get; init; } = "LastPrice";

    /// <summary>The settle coin of the perpetuals traded (USDT), in which balances, fees and funding are counted.</summary>
    public string SettleCoin { get; init; } = "USDT";

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
        Require(ConnectTimeout > TimeSpan.Zero && RequestTimeout > TimeSpan.Zero, "timeouts must be positive");
        Require(MaxRetries >= 0, "the retry count cannot be negative");
        Require(RetryBaseDelay >= TimeSpan.Zero && RetryMaxDelay >= RetryBaseDelay, "the retry delays must satisfy 0 <= base <= max");
        Require(HeartbeatInterval > TimeSpan.Zero && HeartbeatInterval < StreamIdleTimeout, "the heartbeat interval must be positive and shorter than the stream idle timeout");
        Require(StopTrigger is "LastPrice" or "MarkPrice" or "IndexPrice", $"the stop trigger must be LastPrice, MarkPrice or IndexPrice, found '{StopTrigger}'");
        Require(StreamReconnectBaseDelay >= TimeSpan.Zero && StreamReconnectMaxDelay >= StreamReconnectBaseDelay, "the reconnect delays must satisfy 0 <= base <= max");
        Require(!string.IsNullOrWhiteSpace(SettleCoin), "the settle coin must be named");
    }
}
