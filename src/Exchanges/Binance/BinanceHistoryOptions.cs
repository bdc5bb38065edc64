using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StrategyLab.Exchanges.Binance.Common;

namespace StrategyLab.Exchanges.Binance;

/// <summary>
/// Settings for <see cref="BinanceFuturesHistory"/>. The defaults suit the real venue; tests point
/// <see cref="BaseAddress"/> at a local fake and pass a <see cref="TimeProvider"/> whose delays do not really wait.
/// </summary>
/// <example><c>new BinanceHistoryOptions { RequestWeightLimitPerMinute = 1200 }</c> leaves half of the IP's weight to other programs.</example>
public sealed record BinanceHistoryOptions
{
    /// <summary>The REST base address; default <c>https://fapi.binance.com</c>.</summary>
    public Uri BaseAddress { get; init; } = BinanceUrls.UsdMarginedFuturesBase;

    /// <summary>Request weight this client may use per minute (Binance USDⓈ-M allows 2400 per IP); default 2400.</summary>
    public int RequestWeightLimitPerMinute { get; init; } = 2400;

    /// <summary>How long to wait for a TCP connection, name resolution included; default 5 seconds.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one request may take, body included, before it counts as a dropped connection; default 30 seconds.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after a 5xx, a dropped connection or a timeout, with exponential backoff; default 5.</summary>
    public int MaxTransientRetries { get; init; } = 5;

    /// <summary>Retries after a body that cannot be read as the documented response; default 3.</summary>
    public int MaxMalformedRetries { get; init; } = 3;

    /// <summary>Retries after HTTP 429, each after the venue's Retry-After; default 5.</summary>
    public int MaxRateLimitedRetries { get; init; } = 5;

    /// <summary>The first backoff delay; it doubles on each retry up to <see cref="RetryMaxDelay"/>; default 1 second.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest backoff delay; default 30 seconds.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Klines asked for per request, 1 to 1500; default 1000. Binance weighs 500–1000 klines at 5 and 1001–1500 at 10,
    /// so pages of 1000 fetch the most klines per unit of weight.
    /// </summary>
    public int KlinesPerRequest { get; init; } = 1000;

    /// <summary>
    /// How long the venue's clock, read from <c>GET /fapi/v1/time</c>, is trusted before it is read again; default 5 minutes.
    /// It is read again sooner when an answer's Date header disagrees with it.
    /// </summary>
    public TimeSpan ClockSyncInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>This machine's clock and the delays (pacing, Retry-After, backoff); default the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where retries, waits and file repairs are logged; default nowhere.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    internal void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok)
            {
                throw new ExchangeException(ExchangeErrorKind.InvalidRequest, message);
            }
        }

        Require(BaseAddress.IsAbsoluteUri && (BaseAddress.Scheme == Uri.UriSchemeHttps || BaseAddress.Scheme == Uri.UriSchemeHttp),
            $"the base address '{BaseAddress}' is not an absolute http or https address");
        Require(RequestWeightLimitPerMinute > 0, "the request weight limit per minute must be positive");
        Require(ConnectTimeout > TimeSpan.Zero, "the connect timeout must be positive");
        Require(RequestTimeout > TimeSpan.Zero, "the request timeout must be positive");
        Require(MaxTransientRetries >= 0 && MaxMalformedRetries >= 0 && MaxRateLimitedRetries >= 0, "retry counts cannot be negative");
        Require(ClockSyncInterval > TimeSpan.Zero, "the clock sync interval must be positive");
        Require(RetryBaseDelay >= TimeSpan.Zero && RetryMaxDelay >= RetryBaseDelay, "the retry delays must satisfy 0 <= base <= max");
        Require(KlinesPerRequest is >= 1 and <= 1500, $"klines per request must be 1 to 1500 (Binance's maximum), found {KlinesPerRequest}");
    }
}
