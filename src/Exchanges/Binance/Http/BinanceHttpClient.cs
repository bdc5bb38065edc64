using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Http;

namespace StrategyLab.Exchanges.Binance.Http;

/// <summary>
/// Raw Binance USDⓈ-M futures market-data requests, one method per endpoint, with request pacing and retries:
/// <list type="bullet">
/// <item>weight is spent from a per-minute budget fed by <c>X-MBX-USED-WEIGHT-1M</c>;</item>
/// <item>429 waits the Retry-After the venue sends, 418 (an IP ban) stops at once;</item>
/// <item>5xx, dropped connections and timeouts are retried with exponential backoff;</item>
/// <item>a body that cannot be read is retried a bounded number of times;</item>
/// <item>when no TCP connection was ever made (no route, refused, name not resolved) it fails at once;</item>
/// <item>the HTTP stack's own silent resend of a request whose connection closed before any answer is stopped, so
/// every request that reaches the venue went through the weight budget and the retry rules above.</item>
/// </list>
/// The venue's clock (<see cref="Clock"/>) is learned from <c>GET /fapi/v1/time</c> and checked against the Date header of
/// every answer; pacing windows run on it. Every failure left after retries is an <see cref="ExchangeException"/> with a
/// one-line message naming the URL. Requests are sent one at a time.
/// </summary>
internal sealed class BinanceHttpClient : IDisposable
{
    private const string UsedWeightHeader = "X-MBX-USED-WEIGHT-1M";
    private static readonly TimeSpan ServerTimeResolution = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan DateHeaderResolution = TimeSpan.FromSeconds(1);

    private readonly BinanceHistoryOptions _options;
    private readonly HttpClient _http;
    private readonly RequestWeightBudget _weight;
    private readonly RequestCountWindow _fundingWindow;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly GuardedConnections _connections = new();
    private bool _clockContradicted;
    private bool _dateDisagreementLogged;

    public BinanceHttpClient(BinanceHistoryOptions options)
    {
        _options = options;
        _log = options.Logger;
        Clock = new VenueClock(options.TimeProvider);
        var handler = _connections.CreateHandler(options.ConnectTimeout);
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = options.BaseAddress,
            Timeout = options.RequestTimeout,

            // HTTP/1.1 only: OneSendStream tells one request from the next by the turn from reading to writing
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("StrategyLab/0.1");

        // the venue counts weight per minute of its own clock
        _weight = new RequestWeightBudget(options.RequestWeightLimitPerMinute, Clock);
        _fundingWindow = new RequestCountWindow(500, TimeSpan.FromMinutes(5), Clock);
    }

    /// <summary>The venue's clock as learned from its answers; the local clock until the first <see cref="SyncClockAsync"/>.</summary>
    public VenueClock Clock { get; }

    /// <summary>The request weight this client has counted against its budget, over all requests it sent.</summary>
    public long WeightSpent => _weight.Spent;

    /// <summary>
    /// <c>GET /fapi/v1/time</c> (weight 1): observes the venue's clock when it has not been observed, when the last
    /// observation is older than <see cref="BinanceHistoryOptions.ClockSyncInterval"/>, or when an answer's Date header
    /// contradicted it (the venue's clock or ours was stepped).
    /// </summary>
    public async Task EnsureClockAsync(CancellationToken cancellationToken)
    {
        var last = Clock.LastObserved;
        if (last is null || Volatile.Read(ref _clockContradicted) || _options.TimeProvider.GetUtcNow() - last.Value >= _options.ClockSyncInterval)
        {
            await SyncClockAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary><c>GET /fapi/v1/time</c> (weight 1): observes the venue's clock now.</summary>
    public async Task SyncClockAsync(CancellationToken cancellationToken)
    {
        var answer = await GetAsync(BinanceUrls.ServerTime, [], weight: 1, countWindow: null, body => BinanceHttpParse.ServerTime(body), cancellationToken)
            .ConfigureAwait(false);
        var venueTime = DateTimeOffset.FromUnixTimeMilliseconds(answer.Body);
        var agreed = Clock.Observe(venueTime, ServerTimeResolution, answer.SentAt, answer.ReceivedAt);
        Volatile.Write(ref _clockContradicted, false);
        var offset = Clock.Offset;
        var uncertainty = (Clock.Latest(answer.ReceivedAt) - Clock.Earliest(answer.ReceivedAt)) / 2;
        var direction = offset < TimeSpan.Zero ? "behind" : "ahead of";
        if (!agreed || offset.Duration() >= TimeSpan.FromSeconds(1))
        {
            _log.LogWarning(
                "Binance's clock is {Offset:0.000} s {Direction} this machine's (± {Uncertainty:0.000} s){Changed}; bars are judged closed by Binance's clock",
                offset.Duration().TotalSeconds,
                direction,
                uncertainty.TotalSeconds,
                agreed ? "" : ", changed since it was last read");
        }
        else
        {
            _log.LogInformation("Binance's clock is {Offset:0.000} s {Direction} this machine's (± {Uncertainty:0.000} s)", offset.Duration().TotalSeconds, direction, uncertainty.TotalSeconds);
        }
    }

    /// <summary><c>GET /fapi/v1/klines</c>: klines opening in [startTime, endTime], oldest first, at most <paramref name="limit"/>.</summary>
    public Task<VenueAnswer<IReadOnlyList<BinanceKline>>> GetKlinesAsync(
        string symbol, string interval, long startTime, long endTime, int limit, CancellationToken cancellationToken) =>
        GetAsync(
            BinanceUrls.Klines,
            [("symbol", symbol), ("interval", interval), ("startTime", Text(startTime)), ("endTime", Text(endTime)), ("limit", Text(limit))],
            KlineWeight(limit),
            countWindow: null,
            body => BinanceHttpParse.Klines(body),
            cancellationToken);

    /// <summary><c>GET /fapi/v1/fundingRate</c>: funding records in [startTime, endTime], oldest first, at most <paramref name="limit"/> (max 1000).</summary>
    public Task<VenueAnswer<IReadOnlyList<BinanceFundingRate>>> GetFundingRateAsync(
        string symbol, long startTime, long endTime, int limit, CancellationToken cancellationToken) =>
        GetAsync(
            BinanceUrls.FundingRate,
            [("symbol", symbol), ("startTime", Text(startTime)), ("endTime", Text(endTime)), ("limit", Text(limit))],
            weight: 1,
            _fundingWindow,
            body => BinanceHttpParse.FundingRates(body),
            cancellationToken);

    /// <summary>
    /// <c>GET /futures/data/openInterestHist</c>: open-interest statistics in [startTime, endTime], at most <paramref name="limit"/> (max 500).
    /// The venue documents weight 0; one unit is counted anyway so that a long download stays paced.
    /// </summary>
    public Task<VenueAnswer<IReadOnlyList<BinanceOpenInterest>>> GetOpenInterestHistAsync(
        string symbol, string period, long startTime, long endTime, int limit, CancellationToken cancellationToken) =>
        GetAsync(
            BinanceUrls.OpenInterestHist,
            [("symbol", symbol), ("period", period), ("startTime", Text(startTime)), ("endTime", Text(endTime)), ("limit", Text(limit))],
            weight: 1,
            countWindow: null,
            body => BinanceHttpParse.OpenInterest(body),
            cancellationToken);

    /// <summary>Request weight of <c>GET /fapi/v1/klines</c> by LIMIT: [1,100) 1, [100,500) 2, [500,1000] 5, over 1000 10.</summary>
    public static int KlineWeight(int limit) => limit switch
    {
        < 100 => 1,
        < 500 => 2,
        <= 1000 => 5,
        _ => 10,
    };

    public void Dispose()
    {
        _http.Dispose();
        _oneAtATime.Dispose();
    }

    private async Task<VenueAnswer<T>> GetAsync<T>(
        string path,
        (string Name, string Value)[] query,
        int weight,
        RequestCountWindow? countWindow,
        Func<byte[], T> parse,
        CancellationToken cancellationToken)
    {
        // one request at a time: the weight budget is counted in sequence, and MaySend tells a resend from the next request
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await SendWithRetriesAsync(path, query, weight, countWindow, parse, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<VenueAnswer<T>> SendWithRetriesAsync<T>(
        string path,
        (string Name, string Value)[] query,
        int weight,
        RequestCountWindow? countWindow,
        Func<byte[], T> parse,
        CancellationToken cancellationToken)
    {
        var relative = query.Length == 0 ? path : path + "?" + string.Join('&', query.Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value)}"));
        var uri = new Uri(_options.BaseAddress, relative);
        var shown = BinanceUrls.Describe(uri);
        var symbol = query.FirstOrDefault(p => p.Name == "symbol").Value ?? "";
        var transient = 0;
        var malformed = 0;
        var rateLimited = 0;

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await _weight.AcquireAsync(weight, cancellationToken).ConfigureAwait(false);
            if (countWindow is not null)
            {
                await countWindow.AcquireAsync(cancellationToken).ConfigureAwait(false);
            }

            string failure;
            Exception? cause;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                _connections.BeginRequest();
                var sentAt = _options.TimeProvider.GetUtcNow();
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                    .ConfigureAwait(false);
                var receivedAt = _options.TimeProvider.GetUtcNow();
                ObserveWeight(response);
                CheckDate(response, sentAt, receivedAt, shown);
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                var status = (int)response.StatusCode;

                if (status == 200)
                {
                    try
                    {
                        return new VenueAnswer<T>(parse(body), sentAt, receivedAt);
                    }
                    catch (MalformedBodyException e)
                    {
                        if (BinanceHttpParse.Error(body) is { } error)
                        {
                            throw Rejected(shown, symbol, error);
                        }

                        malformed++;
                        if (malformed > _options.MaxMalformedRetries)
                        {
                            throw new ExchangeException(
                                ExchangeErrorKind.MalformedResponse,
                                $"Binance sent a malformed response to GET {shown} {malformed} times: {e.Message}",
                                e);
                        }

                        _log.LogWarning("Malformed response to GET {Url} ({Reason}); retry {Attempt} of {Max}", shown, e.Message, malformed, _options.MaxMalformedRetries);
                        await Task.Delay(Backoff(malformed), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                }

                if (status == 418)
                {
                    // retrying during a ban lengthens it, so this stops at once and says until when
                    var wait = RetryAfter(response);
                    var until = wait is { } w
                        ? $"do not retry before {(_options.TimeProvider.GetUtcNow() + w).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC"
                        : "bans last from 2 minutes to 3 days, so wait before retrying";
                    var detail = BinanceHttpParse.Error(body) is { } ban ? $" (Binance {ban.Code}: {ban.Message})" : "";
                    throw new ExchangeException(
                        ExchangeErrorKind.Banned,
                        $"Binance has banned this IP address after too many requests (HTTP 418 on GET {shown}); {until}{detail}");
                }

                if (status == 429)
                {
                    rateLimited++;
                    var retryAfter = RetryAfter(response);
                    if (retryAfter is null)
                    {
                        // no Retry-After: wait for the next weight window instead
                        _weight.Exhaust();
                    }

                    var wait = retryAfter ?? TimeSpan.Zero;
                    if (rateLimited > _options.MaxRateLimitedRetries)
                    {
                        throw new ExchangeException(
                            ExchangeErrorKind.RateLimited,
                            $"Binance answered 429 Too Many Requests to GET {shown} {rateLimited} times in a row despite waiting as told; lower the request weight limit and try again");
                    }

                    _log.LogWarning("Binance answered 429 to GET {Url}; waiting {Seconds} s before retry {Attempt} of {Max}", shown, wait.TotalSeconds, rateLimited, _options.MaxRateLimitedRetries);
                    await Task.Delay(wait, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (status is >= 300 and < 400)
                {
                    var target = response.Headers.Location is { } location ? $" to {location}" : "";
                    throw new ExchangeException(
                        ExchangeErrorKind.Rejected,
                        $"Binance answered GET {shown} with HTTP {status} {response.ReasonPhrase}, a redirect{target}; check the base address");
                }

                if (status is >= 400 and < 500)
                {
                    throw BinanceHttpParse.Error(body) is { } error
                        ? Rejected(shown, symbol, error)
                        : new ExchangeException(ExchangeErrorKind.Rejected, $"Binance rejected GET {shown} with HTTP {status} {response.ReasonPhrase}");
                }

                failure = $"HTTP {status} {response.ReasonPhrase}";
                cause = null;
            }
            catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
            {
                if (_connections.ConnectionsMade == 0)
                {
                    throw Unreachable(e);
                }

                failure = $"the connection failed ({Describe(e)})";
                cause = e;
            }
            catch (IOException e) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"the connection dropped ({e.Message.ReplaceLineEndings(" ")})";
                cause = e;
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                if (_connections.ConnectionsMade == 0)
                {
                    throw Unreachable(e);
                }

                failure = $"no complete answer within {_options.RequestTimeout.TotalSeconds:0.#} s";
                cause = e;
            }

            transient++;
            if (transient > _options.MaxTransientRetries)
            {
                if (cause is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
                {
                    var host = _options.BaseAddress.GetLeftPart(UriPartial.Authority);
                    throw new ExchangeException(
                        ExchangeErrorKind.Unreachable,
                        $"cannot reach the exchange (Binance at {host}) any more after {transient} attempts, last with {failure}; the rows already written are kept, run again to resume",
                        cause);
                }

                throw new ExchangeException(
                    ExchangeErrorKind.ServerError,
                    $"GET {shown} failed {transient} times, last with {failure}; Binance may be down, try again later",
                    cause);
            }

            var delay = Backoff(transient);
            _log.LogWarning("GET {Url} failed with {Failure}; retry {Attempt} of {Max} in {Seconds} s", shown, failure, transient, _options.MaxTransientRetries, delay.TotalSeconds);
            await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    // an answer dated outside what is known of the venue's clock means one of the clocks was stepped: observe it again
    private void CheckDate(HttpResponseMessage response, DateTimeOffset sentAt, DateTimeOffset receivedAt, string shown)
    {
        if (response.Headers.Date is { } date && Clock.Contradicts(date, DateHeaderResolution, sentAt, receivedAt))
        {
            Volatile.Write(ref _clockContradicted, true);

            // warned once: a proxy in front of the venue with a clock of its own would disagree on every answer
            _log.Log(
                _dateDisagreementLogged ? LogLevel.Debug : LogLevel.Warning,
                "Binance dated its answer to GET {Url} {Date:yyyy-MM-dd HH:mm:ss} UTC, which does not agree with its clock as last read; reading it again",
                shown,
                date.UtcDateTime);
            _dateDisagreementLogged = true;
        }
    }

    private void ObserveWeight(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues(UsedWeightHeader, out var values)
            && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var used))
        {
            _weight.Observe(used);
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            // a date on the venue's clock
            var wait = date - Clock.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(_options.RetryBaseDelay.Ticks * factor, _options.RetryMaxDelay.Ticks));
        return delay;
    }

    private ExchangeException Unreachable(Exception e)
    {
        var host = _options.BaseAddress.GetLeftPart(UriPartial.Authority);
        var reason = e switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "the host name could not be resolved",
            HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } => "the connection was refused",
            HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } } =>
                "the host name could not be resolved",
            HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.NetworkUnreachable or SocketError.HostUnreachable } } =>
                "there is no route to it",
            OperationCanceledException => $"no connection within {_options.ConnectTimeout.TotalSeconds:0.#} s",
            HttpRequestException h => Describe(h),
            _ => e.Message.ReplaceLineEndings(" "),
        };
        return new ExchangeException(
            ExchangeErrorKind.Unreachable,
            $"cannot reach the exchange (Binance at {host}): {reason}; check the network connection",
            e);
    }

    private static ExchangeException Rejected(string shown, string symbol, BinanceErrorBody error)
    {
        var message = error.Code == -1121
            ? $"unknown symbol '{symbol}' on Binance USDⓈ-M futures (Binance {error.Code}: {error.Message} for GET {shown})"
            : $"Binance rejected GET {shown} (Binance {error.Code}: {error.Message})";
        return new ExchangeException(ExchangeErrorKind.Rejected, message, venueCode: error.Code);
    }

    private static string Describe(HttpRequestException e)
    {
        var inner = e.InnerException?.Message;
        var text = inner is null ? e.Message : $"{e.Message} {inner}";
        return text.ReplaceLineEndings(" ");
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A parsed answer, with the local times its request left and its headers arrived.</summary>
internal sealed record VenueAnswer<T>(T Body, DateTimeOffset SentAt, DateTimeOffset ReceivedAt);
