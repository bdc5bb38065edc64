using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Http;
using StrategyLab.Runtime.Execution;

using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Binance.Http;
/// <summary>How a request is authenticated: not at all, with the API key header, or signed with the secret.</summary>
internal enum Security
{
    Public,
    ApiKey,
    Signed,
}

/// <summary>The parameters of <c>POST /fapi/v1/order</c> this client sends.</summary>
internal sealed record NewOrderRequest(
    string Symbol,
    OrderSide Side,
    OrderType Type,
    decimal Quantity,
    string NewClientOrderId,
    decimal? Price = null,
    decimal? StopPrice = null,
    TimeInForce? TimeInForce = null,
    bool ReduceOnly = false,
    string? WorkingType = null);

/// <summary>
/// Raw Binance USDⓈ-M requests, one method per endpoint, named after it. Every request is paced by the request-weight
/// budget and, for orders, by the 10-second and one-minute order counts (all raised to what the venue's
/// <c>X-MBX-USED-WEIGHT-1M</c> and <c>X-MBX-ORDER-COUNT-10S/1M</c> headers say). Signed requests carry a timestamp on
/// the venue's clock (<see cref="Clock"/>, read from <c>GET /fapi/v1/time</c>) and <c>recvWindow</c>; a -1021 answer
/// (timestamp outside the window) reads the clock again and, for a request that is not an order, sends it once more.
/// Reads are retried by a Polly retry pipeline on 429, 5xx, dropped connections and
/// timeouts, with exponential backoff and jitter or the venue's Retry-After; 418 (a ban) is never retried, and neither
/// is an order: <see cref="NewOrder"/> sends once and reports an unknown outcome as such, for the caller to look the
/// order up. Failures are <see cref="BinanceApiException"/>s whose messages never hold the key, the secret or a
/// signature. Requests go one at a time.
/// </summary>
internal sealed partial class BinanceFuturesHttpClient : IDisposable
{
    private const string UsedWeightHeader = "X-MBX-USED-WEIGHT-1M";
    private const string OrderCount10sHeader = "X-MBX-ORDER-COUNT-10S";
    private const string OrderCount1mHeader = "X-MBX-ORDER-COUNT-1M";
    private const string Redacted = "[redacted]";

    private readonly BinanceFuturesOptions _options;
    private readonly BinanceCredentials? _credentials;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly GuardedConnections _connections = new();
    private readonly RequestWeightBudget _weight;
    private readonly RequestWeightBudget _orders10s;
    private readonly RequestWeightBudget _orders1m;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ResiliencePipeline<HttpResponseMessage> _retries;
    private bool _clockContradicted;

    public BinanceFuturesHttpClient(BinanceFuturesOptions options, BinanceCredentials? credentials)
    {
        _options = options;
        _credentials = credentials;
        _log = options.Logger;
        Clock = new VenueClock(options.TimeProvider);
        _http = new HttpClient(_connections.CreateHandler(options.ConnectTimeout), disposeHandler: true)
        {
            BaseAddress = options.Environment.RestBase,
            Timeout = options.RequestTimeout,

            // HTTP/1.1 only: OneSendStream tells one request from the next by the turn from reading to writing
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("StrategyLab/0.1");
        _weight = new RequestWeightBudget(options.RequestWeightPerMinute, Clock);
        _orders10s = new RequestWeightBudget(options.OrdersPer10Seconds, Clock, TimeSpan.FromSeconds(10));
        _orders1m = new RequestWeightBudget(options.OrdersPerMinute, Clock);
        _retries = BuildRetries();
    }

    /// <summary>The venue's clock as read from its answers; signed timestamps are taken from it.</summary>
    public VenueClock Clock { get; }

    /// <summary>All request weight counted so far.</summary>
    public long WeightSpent => _weight.Spent;

    /// <summary>The request weight and order counts of the current windows against their limits.</summary>
    public IReadOnlyList<Runtime.Trading.RateLimitUse> RateLimits() =>
    [
        new("request_weight_1m", _weight.Used, _weight.Limit),
        new("orders_10s", _orders10s.Used, _orders10s.Limit),
        new("orders_1m", _orders1m.Used, _orders1m.Limit),
    ];

    /// <summary><c>GET /fapi/v1/exchangeInfo</c> (weight 1): rate limits, symbols and their filters.</summary>
    public Task<BinanceExchangeInfo> GetExchangeInfo(CancellationToken ct) =>
        Send(new Call(HttpMethod.Get, BinanceUrls.ExchangeInfo, [], Security.Public, 1), b => BinanceFuturesParse.ExchangeInfo(b), ct);

    /// <summary><c>GET /fapi/v1/klines</c>: klines opening in [startTime, endTime], oldest first.</summary>
    public Task<IReadOnlyList<BinanceKline>> GetKlines(string symbol, string interval, long startTime, long endTime, int limit, CancellationToken ct) =>
        Send(
            new Call(
                HttpMethod.Get,
                BinanceUrls.Klines,
                [("symbol", symbol), ("interval", interval), ("startTime", Text(startTime)), ("endTime", Text(endTime)), ("limit", Text(limit))],
                Security.Public,
                BinanceHttpClient.KlineWeight(limit)),
            b => BinanceHttpParse.Klines(b),
            ct);

    /// <summary>
    /// <c>POST /fapi/v1/order</c> with <c>newOrderRespType=RESULT</c>, sent once: no retry, whatever happens. A
    /// <see cref="BinanceApiException"/> with <see cref="BinanceApiException.OutcomeUnknown"/> means the order may or may not exist.
    /// </summary>
    public Task<BinanceOrder> NewOrder(NewOrderRequest order, CancellationToken ct)
    {
        var parameters = new List<(string, string)>
        {
            ("symbol", order.Symbol),
            ("side", BinanceEnums.Side(order.Side)),
            ("type", BinanceEnums.Type(order.Type)),
            ("quantity", Text(order.Quantity)),
            ("newClientOrderId", order.NewClientOrderId),
            ("newOrderRespType", "RESULT"),
        };
        if (order.TimeInForce is { } tif)
        {
            parameters.Add(("timeInForce", BinanceEnums.TimeInForce(tif)));
        }

        if (order.Price is { } price)
        {
            parameters.Add(("price", Text(price)));
        }

        if (order.StopPrice is { } stop)
        {
            parameters.Add(("stopPrice", Text(stop)));
        }

        if (order.ReduceOnly)
        {
            parameters.Add(("reduceOnly", "true"));
        }

        if (order.WorkingType is { } working)
        {
            parameters.Add(("workingType", working));
        }

        return Send(new Call(HttpMethod.Post, BinanceUrls.Order, [.. parameters], Security.Signed, 0, IsOrder: true), b => BinanceFuturesParse.Order(b), ct);
    }

    /// <summary><c>GET /fapi/v1/order</c> by client order id (weight 1); null when the venue answers -2013 (no such order).</summary>
    public async Task<BinanceOrder?> QueryOrder(string symbol, string origClientOrderId, CancellationToken ct)
    {
        try
        {
            return await Send(
                new Call(HttpMethod.Get, BinanceUrls.Order, [("symbol", symbol), ("origClientOrderId", origClientOrderId)], Security.Signed, 1),
                b => BinanceFuturesParse.Order(b),
                ct).ConfigureAwait(false);
        }
        catch (BinanceApiException e) when (e.Code == BinanceErrors.NoSuchOrder)
        {
            return null;
        }
    }

    /// <summary><c>GET /fapi/v1/order</c> by the venue's order id (weight 1); null when there is no such order.</summary>
    public async Task<BinanceOrder?> QueryOrder(string symbol, long orderId, CancellationToken ct)
    {
        try
        {
            return await Send(
                new Call(HttpMethod.Get, BinanceUrls.Order, [("symbol", symbol), ("orderId", Text(orderId))], Security.Signed, 1),
                b => BinanceFuturesParse.Order(b),
                ct).ConfigureAwait(false);
        }
        catch (BinanceApiException e) when (e.Code == BinanceErrors.NoSuchOrder)
        {
            return null;
        }
    }

    /// <summary><c>DELETE /fapi/v1/order</c> by client order id (weight 1): the order as cancelled.</summary>
    public Task<BinanceOrder> CancelOrder(string symbol, string origClientOrderId, CancellationToken ct) =>
        Send(
            new Call(HttpMethod.Delete, BinanceUrls.Order, [("symbol", symbol), ("origClientOrderId", origClientOrderId)], Security.Signed, 1),
            b => BinanceFuturesParse.Order(b),
            ct);

    /// <summary><c>GET /fapi/v1/openOrders</c> (weight 1 for a symbol, 40 for all).</summary>
    public Task<(IReadOnlyList<BinanceOrder> Orders, IReadOnlyList<string> Skipped)> GetOpenOrders(string? symbol, CancellationToken ct) =>
        Send(
            new Call(HttpMethod.Get, BinanceUrls.OpenOrders, symbol is null ? [] : [("symbol", symbol)], Security.Signed, symbol is null ? 40 : 1),
            b => BinanceFuturesParse.Orders(b),
            ct);

    /// <summary><c>GET /fapi/v3/positionRisk</c> (weight 5): symbols with a position or open orders.</summary>
    public Task<IReadOnlyList<BinancePosition>> GetPositionRisk(string? symbol, CancellationToken ct) =>
        Send(
            new Call(HttpMethod.Get, BinanceUrls.PositionRisk, symbol is null ? [] : [("symbol", symbol)], Security.Signed, 5),
            b => BinanceFuturesParse.Positions(b),
            ct);

    /// <summary><c>GET /fapi/v3/balance</c> (weight 5).</summary>
    public Task<IReadOnlyList<BinanceBalance>> GetBalance(CancellationToken ct) =>
        Send(new Call(HttpMethod.Get, BinanceUrls.Balance, [], Security.Signed, 5), b => BinanceFuturesParse.Balances(b), ct);

    /// <summary><c>GET /fapi/v1/userTrades</c> (weight 5): fills of a symbol in [startTime, endTime] (at most 7 days), oldest first.</summary>
    public Task<IReadOnlyList<BinanceUserTrade>> GetUserTrades(string symbol, long startTime, long endTime, int limit, CancellationToken ct) =>
        Send(
            new Call(
                HttpMethod.Get,
                BinanceUrls.UserTrades,
                [("symbol", symbol), ("startTime", Text(startTime)), ("endTime", Text(endTime)), ("limit", Text(limit))],
                Security.Signed,
                5),
            b => BinanceFuturesParse.UserTrades(b),
            ct);

    /// <summary><c>GET /fapi/v1/income</c> (weight 30): income of one type in [startTime, endTime], oldest first.</summary>
    public Task<IReadOnlyList<BinanceIncome>> GetIncome(string incomeType, long startTime, long endTime, int limit, CancellationToken ct) =>
        Send(
            new Call(
                HttpMethod.Get,
                BinanceUrls.Income,
                [("incomeType", incomeType), ("startTime", Text(startTime)), ("endTime", Text(endTime)), ("limit", Text(limit))],
                Security.Signed,
                30),
            b => BinanceFuturesParse.Income(b),
            ct);

    /// <summary><c>POST /fapi/v1/leverage</c> (weight 1); setting the same leverage again is harmless, so it is retried like a read.</summary>
    public Task<BinanceLeverage> ChangeLeverage(string symbol, int leverage, CancellationToken ct) =>
        Send(
            new Call(HttpMethod.Post, BinanceUrls.Leverage, [("symbol", symbol), ("leverage", Text(leverage))], Security.Signed, 1),
            b => BinanceFuturesParse.Leverage(b),
            ct);

    /// <summary><c>POST /fapi/v1/marginType</c> (weight 1); -4046 (already so) counts as done.</summary>
    public async Task ChangeMarginType(string symbol, BinanceMarginType marginType, CancellationToken ct)
    {
        var type = marginType switch
        {
            BinanceMarginType.Isolated => "ISOLATED",
            BinanceMarginType.Crossed => "CROSSED",
            _ => throw new ArgumentOutOfRangeException(nameof(marginType), marginType, "unknown margin type"),
        };
        try
        {
            await Send(
                new Call(HttpMethod.Post, BinanceUrls.MarginType, [("symbol", symbol), ("marginType", type)], Security.Signed, 1),
                b =>
                {
                    BinanceFuturesParse.Success(b);
                    return true;
                },
                ct).ConfigureAwait(false);
        }
        catch (BinanceApiException e) when (e.Code == BinanceErrors.NoNeedToChangeMarginType)
        {
        }
    }

    /// <summary><c>POST /fapi/v1/positionSide/dual</c> (weight 1): hedge mode when true, one-way when false; -4059 (already so) counts as done.</summary>
    public async Task ChangePositionMode(bool dualSidePosition, CancellationToken ct)
    {
        try
        {
            await Send(
                new Call(HttpMethod.Post, BinanceUrls.PositionMode, [("dualSidePosition", dualSidePosition ? "true" : "false")], Security.Signed, 1),
                b =>
                {
                    BinanceFuturesParse.Success(b);
                    return true;
                },
                ct).ConfigureAwait(false);
        }
        catch (BinanceApiException e) when (e.Code == BinanceErrors.NoNeedToChangePositionSide)
        {
        }
    }

    /// <summary><c>POST /fapi/v1/listenKey</c> (weight 1): a listen key for the user data stream, the active one if there is one.</summary>
    public Task<string> StartUserDataStream(CancellationToken ct) =>
        Send(new Call(HttpMethod.Post, BinanceUrls.ListenKey, [], Security.ApiKey, 1), b => BinanceFuturesParse.ListenKey(b), ct);

    /// <summary><c>PUT /fapi/v1/listenKey</c> (weight 1): extends the listen key by 60 minutes; -1125 when it no longer exists.</summary>
    public Task KeepaliveUserDataStream(CancellationToken ct) =>
        Send(new Call(HttpMethod.Put, BinanceUrls.ListenKey, [], Security.ApiKey, 1), b => BinanceFuturesParse.ListenKey(b), ct);

    /// <summary><c>DELETE /fapi/v1/listenKey</c> (weight 1): closes the user data stream.</summary>
    public Task CloseUserDataStream(CancellationToken ct) =>
        Send(new Call(HttpMethod.Delete, BinanceUrls.ListenKey, [], Security.ApiKey, 1), _ => true, ct);

    /// <summary>Reads the venue's clock now (<c>GET /fapi/v1/time</c>, weight 1).</summary>
    public async Task SyncClock(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await SyncClockCore(ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Returns <paramref name="text"/> without the key, the secret, or anything shaped like a signature.</summary>
    public string Scrub(string text)
    {
        var redacted = _credentials?.Redact(text) ?? text;
        return Signature().Replace(redacted, Redacted);
    }

    public void Dispose()
    {
        _http.Dispose();
        _gate.Dispose();
    }

    private async Task<T> Send<T>(Call call, Func<byte[], T> parse, CancellationToken ct)
    {
        if (call.Security != Security.Public && _credentials is null)
        {
            throw new BinanceApiException($"{call.Shown} needs API credentials, and none were given", ErrorKind.Rejected);
        }

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (call.Security == Security.Signed)
            {
                await EnsureClockAsync(ct).ConfigureAwait(false);
            }

            var answer = await Exchange(call, ct).ConfigureAwait(false);
            if (answer.Error?.Code == BinanceErrors.InvalidTimestamp)
            {
                // the venue's clock or ours moved: read it again; an order is not sent twice, it is reported instead
                _log.LogWarning("{Message}", Scrub($"Binance refused the timestamp of {call.Shown} (-1021); reading its clock again"));
                await SyncClockCore(ct).ConfigureAwait(false);
                if (!call.IsOrder)
                {
                    answer = await Exchange(call, ct).ConfigureAwait(false);
                }
            }

            return Interpret(call, answer, parse);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task EnsureClockAsync(CancellationToken ct)
    {
        var last = Clock.LastObserved;
        if (last is null || _clockContradicted || _options.TimeProvider.GetUtcNow() - last.Value >= _options.ClockSyncInterval)
        {
            await SyncClockCore(ct).ConfigureAwait(false);
        }
    }

    private async Task SyncClockCore(CancellationToken ct)
    {
        var sentAt = _options.TimeProvider.GetUtcNow();
        var answer = await Exchange(new Call(HttpMethod.Get, BinanceUrls.ServerTime, [], Security.Public, 1), ct).ConfigureAwait(false);
        var receivedAt = _options.TimeProvider.GetUtcNow();
        var serverTime = Interpret(new Call(HttpMethod.Get, BinanceUrls.ServerTime, [], Security.Public, 1), answer, b => BinanceHttpParse.ServerTime(b));
        Clock.Observe(DateTimeOffset.FromUnixTimeMilliseconds(serverTime), TimeSpan.FromMilliseconds(1), sentAt, receivedAt);
        _clockContradicted = false;
    }

    // one request through the retry pipeline (reads) or exactly once (orders); an exception only when no answer came
    private async Task<Answer> Exchange(Call call, CancellationToken ct)
    {
        try
        {
            using var response = call.IsOrder
                ? await Attempt(call, ct).ConfigureAwait(false)
                : await _retries.ExecuteAsync(static (state, token) => state.Self.Attempt(state.Call, token), (Self: this, Call: call), ct).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return new Answer(status, body, status >= 400 ? BinanceHttpParse.Error(body) : null, RetryAfter(response));
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            var what = e switch
            {
                OperationCanceledException => $"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s",
                HttpRequestException when _connections.ConnectionsMade == 0 => $"cannot reach Binance at {_options.Environment.RestBase.GetLeftPart(UriPartial.Authority)} ({OneLine(e)})",
                _ => $"the connection failed ({OneLine(e)})",
            };
            throw new BinanceApiException(Scrub($"{call.Shown}: {what}"), ErrorKind.Unknown, neverSent: e is HttpRequestException && _connections.ConnectionsMade == 0);
        }
    }

    private async ValueTask<HttpResponseMessage> Attempt(Call call, CancellationToken ct)
    {
        await _weight.AcquireAsync(call.Weight, ct).ConfigureAwait(false);
        if (call.IsOrder)
        {
            await _orders10s.AcquireAsync(1, ct).ConfigureAwait(false);
            await _orders1m.AcquireAsync(1, ct).ConfigureAwait(false);
        }

        using var request = Build(call);
        _connections.BeginRequest();
        var sentAt = _options.TimeProvider.GetUtcNow();
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var receivedAt = _options.TimeProvider.GetUtcNow();
        Observe(response, sentAt, receivedAt);
        return response;
    }

    private HttpRequestMessage Build(Call call)
    {
        var query = new StringBuilder();
        foreach (var (name, value) in call.Parameters)
        {
            Append(query, name, value);
        }

        if (call.Security == Security.Signed)
        {
            Append(query, "recvWindow", Text((long)_options.ReceiveWindow.TotalMilliseconds));
            Append(query, "timestamp", Text(Clock.GetUtcNow().ToUnixTimeMilliseconds()));
            Append(query, "signature", BinanceSigner.Sign(_credentials!.Secret, query.ToString()));
        }

        var request = new HttpRequestMessage(call.Method, query.Length == 0 ? call.Path : $"{call.Path}?{query}");
        if (call.Security != Security.Public)
        {
            request.Headers.Add("X-MBX-APIKEY", _credentials!.ApiKey);
        }

        return request;
    }

    private T Interpret<T>(Call call, Answer answer, Func<byte[], T> parse)
    {
        if (answer.Status is >= 200 and < 300)
        {
            try
            {
                return parse(answer.Body);
            }
            catch (MalformedBodyException e)
            {
                throw new BinanceApiException(Scrub($"Binance answered {call.Shown} with a body that is not the documented one: {e.Message}"), ErrorKind.VenueFailure, answer.Status);
            }
        }

        var venue = answer.Error is { } error ? $" (Binance {error.Code}: {error.Message})" : "";
        var wait = answer.RetryAfter is { } after ? $"; retry after {after.TotalSeconds:0.#} s" : "";
        var message = answer.Status switch
        {
            429 => $"Binance answered 429 Too Many Requests to {call.Shown}{venue}{wait}",
            418 => $"Binance has banned this IP address for too many requests (HTTP 418 on {call.Shown}){venue}{wait}",
            >= 500 => $"Binance failed on its side answering {call.Shown} (HTTP {answer.Status}){venue}; the outcome is unknown",
            _ => $"Binance rejected {call.Shown}{venue}",
        };
        throw new BinanceApiException(Scrub(message), BinanceErrors.Kind(answer.Status, answer.Error?.Code), answer.Status, answer.Error?.Code);
    }

    private ResiliencePipeline<HttpResponseMessage> BuildRetries()
    {
        var retry = new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = Math.Max(1, _options.MaxRetries),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.RetryBaseDelay,
            MaxDelay = _options.RetryMaxDelay,

            // the venue's Retry-After when it sent one, the jittered backoff otherwise
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } answer ? RetryAfter(answer) : null),
            Randomizer = _options.Jitter,
            ShouldHandle = args => ValueTask.FromResult(_options.MaxRetries > 0 && IsTransient(args.Outcome, args.Context.CancellationToken)),
            OnRetry = args =>
            {
                if (args.Outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests } tooMany && tooMany.Headers.RetryAfter is null)
                {
                    // no Retry-After: wait for the venue's next weight window
                    _weight.Exhaust();
                }

                var failure = args.Outcome.Exception is { } e ? OneLine(e) : $"HTTP {(int)args.Outcome.Result!.StatusCode}";
                _log.LogWarning(
                    "{Message}",
                    Scrub($"Binance request failed with {failure}; retry {args.AttemptNumber + 1} of {_options.MaxRetries} in {args.RetryDelay.TotalSeconds:0.###} s"));
                return ValueTask.CompletedTask;
            },
        };
        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _options.TimeProvider }.AddRetry(retry).Build();
    }

    private bool IsTransient(Outcome<HttpResponseMessage> outcome, CancellationToken ct) => outcome switch
    {
        // never connected at all: offline, refused, no such host; retrying only delays the message
        { Exception: HttpRequestException } when _connections.ConnectionsMade == 0 => false,
        { Exception: HttpRequestException or IOException } => true,
        { Exception: OperationCanceledException } => !ct.IsCancellationRequested,
        { Result: { } response } => (int)response.StatusCode is 429 or >= 500,
        _ => false,
    };

    private void Observe(HttpResponseMessage response, DateTimeOffset sentAt, DateTimeOffset receivedAt)
    {
        if (Header(response, UsedWeightHeader) is { } used)
        {
            _weight.Observe(used);
        }

        if (Header(response, OrderCount10sHeader) is { } count10s)
        {
            _orders10s.Observe(count10s);
        }

        if (Header(response, OrderCount1mHeader) is { } count1m)
        {
            _orders1m.Observe(count1m);
        }

        if (response.Headers.Date is { } date && Clock.Contradicts(date, TimeSpan.FromSeconds(1), sentAt, receivedAt))
        {
            _clockContradicted = true;
        }
    }

    private static int? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values)
        && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
        { Date: { } date } => date - Clock.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static void Append(StringBuilder query, string name, string value)
    {
        if (query.Length > 0)
        {
            query.Append('&');
        }

        query.Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }

    private static string OneLine(Exception e)
    {
        var inner = e.InnerException?.Message;
        return (inner is null ? e.Message : $"{e.Message} {inner}").ReplaceLineEndings(" ");
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    // decimals without trailing zeros: 0.100 is sent as 0.1
    private static string Text(decimal value) => value.ToString("0.############################", CultureInfo.InvariantCulture);

    [GeneratedRegex("[0-9a-fA-F]{64}")]
    private static partial Regex Signature();

    private sealed record Call(HttpMethod Method, string Path, (string Name, string Value)[] Parameters, Security Security, int Weight, bool IsOrder = false)
    {
        // method and path only: parameters may hold a signature
        public string Shown => $"{Method.Method} {Path}";
    }

    private sealed record Answer(int Status, byte[] Body, BinanceErrorBody? Error, TimeSpan? RetryAfter);
}
