using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using StrategyLab.Exchanges.Http;
using StrategyLab.Exchanges.Mexc.Common;

using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Mexc.Http;

/// <summary>
/// Raw MEXC contract requests, one method per endpoint. Private requests carry the <c>ApiKey</c>, <c>Request-Time</c>
/// (the venue's clock, read from <c>GET /api/v1/contract/ping</c>), <c>Recv-Window</c> and <c>Signature</c> headers
/// (<see cref="MexcSigner"/>). Every request is paced by one request budget; reads are retried by a Polly pipeline on
/// 429, code 510, 5xx, dropped connections and timeouts with exponential backoff and jitter (or Retry-After); an order
/// (submit, cancel, trigger order) is sent once and an unknown outcome is reported as such. Code 513 (Request-Time
/// outside the window) reads the clock again and resends a read once. Requests go one at a time, through the one-send
/// guard (<see cref="GuardedConnections"/>). Failures are <see cref="MexcApiException"/>s without key, secret or signature.
/// </summary>
internal sealed partial class MexcHttpClient : IDisposable
{
    private const string Redacted = "[redacted]";
    private const string Ping = "api/v1/contract/ping";

    private readonly MexcFuturesOptions _options;
    private readonly MexcCredentials? _credentials;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly GuardedConnections _connections = new();
    private readonly RequestWeightBudget _budget;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ResiliencePipeline<HttpResponseMessage> _retries;
    private bool _clockContradicted;

    public MexcHttpClient(MexcFuturesOptions options, MexcCredentials? credentials)
    {
        _options = options;
        _credentials = credentials;
        _log = options.Logger;
        Clock = new VenueClock(options.TimeProvider);
        _http = new HttpClient(_connections.CreateHandler(options.ConnectTimeout), disposeHandler: true)
        {
            BaseAddress = options.Environment.RestBase,
            Timeout = options.RequestTimeout,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("StrategyLab/0.1");
        _budget = new RequestWeightBudget(options.RequestsPerWindow, Clock, options.RateWindow);
        _retries = BuildRetries();
    }

    /// <summary>The venue's clock as read from its answers; Request-Time is taken from it.</summary>
    public VenueClock Clock { get; }

    /// <summary>Whether keys were given.</summary>
    public bool HasCredentials => _credentials is not null;

    /// <summary>The access key, for the websocket login (never logged).</summary>
    internal MexcCredentials? Credentials => _credentials;

    /// <summary><c>GET /api/v1/contract/detail</c>: every contract, or one.</summary>
    public Task<IReadOnlyList<MexcContract>> GetContractDetail(string? symbol, CancellationToken ct) =>
        Send(Get("api/v1/contract/detail", symbol is null ? [] : [("symbol", symbol)], signed: false), MexcParse.Contracts, ct);

    /// <summary><c>GET /api/v1/contract/kline/{symbol}</c>: klines of windows starting in [start, end] (Unix seconds), at most 2000.</summary>
    public Task<IReadOnlyList<MexcKline>> GetKline(string symbol, string interval, long startSeconds, long endSeconds, CancellationToken ct) =>
        Send(
            Get($"api/v1/contract/kline/{Uri.EscapeDataString(symbol)}", [("interval", interval), ("start", Text(startSeconds)), ("end", Text(endSeconds))], signed: false),
            MexcParse.Klines,
            ct);

    /// <summary>
    /// <c>GET /api/v1/contract/kline/{symbol}</c> for history: klines of windows starting in [start, end] (Unix seconds),
    /// at most 2000, every number read exactly.
    /// </summary>
    public Task<IReadOnlyList<MexcHistoryKline>> GetHistoryKlines(string symbol, string interval, long startSeconds, long endSeconds, CancellationToken ct) =>
        Send(
            Get($"api/v1/contract/kline/{Uri.EscapeDataString(symbol)}", [("interval", interval), ("start", Text(startSeconds)), ("end", Text(endSeconds))], signed: false),
            MexcParse.HistoryKlines,
            ct);

    /// <summary><c>GET /api/v1/contract/funding_rate/history</c>: page <paramref name="page"/> (from 1) of the settled funding rates, newest first.</summary>
    public Task<MexcPage<MexcFundingRate>> GetFundingRateHistory(string symbol, int page, int pageSize, CancellationToken ct) =>
        Send(
            Get("api/v1/contract/funding_rate/history", [("symbol", symbol), ("page_num", Text(page)), ("page_size", Text(pageSize))], signed: false),
            MexcParse.FundingRateHistory,
            ct);

    /// <summary>
    /// Reads the venue's clock (<c>GET /api/v1/contract/ping</c>) when it has not been read, when the reading is older
    /// than the options' sync interval, or when an answer's Date header contradicted it.
    /// </summary>
    public async Task EnsureClock(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await EnsureClockAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary><c>POST /api/v1/private/order/submit</c>, sent once; the venue's order id.</summary>
    public Task<string> SubmitOrder(IReadOnlyDictionary<string, object> order, CancellationToken ct) =>
        Send(Post("api/v1/private/order/submit", JsonSerializer.Serialize(order), isOrder: true), MexcParse.OrderId, ct);

    /// <summary><c>GET /api/v1/private/order/external/{symbol}/{external_oid}</c>; null when the venue has no such order.</summary>
    public async Task<MexcOrder?> GetOrderByExternalOid(string symbol, string externalOid, CancellationToken ct)
    {
        try
        {
            return await Send(
                Get($"api/v1/private/order/external/{Uri.EscapeDataString(symbol)}/{Uri.EscapeDataString(externalOid)}", [], signed: true),
                d => d.ValueKind == JsonValueKind.Object ? MexcParse.Order(d) : null,
                ct).ConfigureAwait(false);
        }
        catch (MexcApiException e) when (e.Code == MexcErrors.OrderNotExist)
        {
            return null;
        }
    }

    /// <summary><c>GET /api/v1/private/order/get/{order_id}</c>; null when there is no such order.</summary>
    public async Task<MexcOrder?> GetOrder(string orderId, CancellationToken ct)
    {
        try
        {
            return await Send(
                Get($"api/v1/private/order/get/{Uri.EscapeDataString(orderId)}", [], signed: true),
                d => d.ValueKind == JsonValueKind.Object ? MexcParse.Order(d) : null,
                ct).ConfigureAwait(false);
        }
        catch (MexcApiException e) when (e.Code == MexcErrors.OrderNotExist)
        {
            return null;
        }
    }

    /// <summary><c>POST /api/v1/private/order/cancel_with_external</c> for one order: its (errorCode, errorMsg); 0 is success.</summary>
    public async Task<(int ErrorCode, string Message)> CancelWithExternal(string symbol, string externalOid, CancellationToken ct)
    {
        var body = JsonSerializer.Serialize(new[] { new Dictionary<string, string> { ["symbol"] = symbol, ["externalOid"] = externalOid } });
        var results = await Send(Post("api/v1/private/order/cancel_with_external", body, isOrder: false), MexcParse.CancelResults, ct).ConfigureAwait(false);
        return results.Count == 1 ? (results[0].ErrorCode, results[0].ErrorMessage) : throw new MexcApiException("MEXC answered a cancel of one order with another number of results", ErrorKind.Unknown);
    }

    /// <summary><c>GET /api/v1/private/order/list/open_orders/{symbol}</c> (one page of up to 100).</summary>
    public Task<IReadOnlyList<MexcOrder>> GetOpenOrders(string? symbol, int page, CancellationToken ct) =>
        Send(
            Get(symbol is null ? "api/v1/private/order/list/open_orders" : $"api/v1/private/order/list/open_orders/{Uri.EscapeDataString(symbol)}", [("page_num", Text(page)), ("page_size", "100")], signed: true),
            MexcParse.Orders,
            ct);

    /// <summary><c>POST /api/v1/private/planorder/place</c>, sent once: a trigger order; its id.</summary>
    public Task<string> PlacePlanOrder(IReadOnlyDictionary<string, object> order, CancellationToken ct) =>
        Send(Post("api/v1/private/planorder/place", JsonSerializer.Serialize(order), isOrder: true), MexcParse.OrderId, ct);

    /// <summary><c>GET /api/v1/private/planorder/list/orders</c>: trigger orders of a symbol (one page of up to 100).</summary>
    public Task<IReadOnlyList<MexcPlanOrder>> GetPlanOrders(string symbol, int page, CancellationToken ct) =>
        Send(Get("api/v1/private/planorder/list/orders", [("symbol", symbol), ("page_num", Text(page)), ("page_size", "100")], signed: true), MexcParse.PlanOrders, ct);

    /// <summary><c>POST /api/v1/private/planorder/cancel</c> for one trigger order.</summary>
    public Task CancelPlanOrder(string symbol, string id, CancellationToken ct) =>
        Send(
            Post("api/v1/private/planorder/cancel", JsonSerializer.Serialize(new[] { new Dictionary<string, string> { ["symbol"] = symbol, ["orderId"] = id } }), isOrder: false),
            _ => true,
            ct);

    /// <summary><c>GET /api/v1/private/position/open_positions</c>.</summary>
    public Task<IReadOnlyList<MexcPosition>> GetOpenPositions(CancellationToken ct) =>
        Send(Get("api/v1/private/position/open_positions", [], signed: true), MexcParse.Positions, ct);

    /// <summary><c>GET /api/v1/private/account/assets</c>.</summary>
    public Task<IReadOnlyList<MexcAsset>> GetAssets(CancellationToken ct) =>
        Send(Get("api/v1/private/account/assets", [], signed: true), MexcParse.Assets, ct);

    /// <summary><c>GET /api/v1/private/order/list/order_deals</c>: fills of a symbol in [start, end] (Unix ms), one page of up to 100.</summary>
    public Task<IReadOnlyList<MexcDeal>> GetOrderDeals(string symbol, long start, long end, int page, CancellationToken ct) =>
        Send(
            Get("api/v1/private/order/list/order_deals", [("symbol", symbol), ("start_time", Text(start)), ("end_time", Text(end)), ("page_num", Text(page)), ("page_size", "100")], signed: true),
            MexcParse.Deals,
            ct);

    /// <summary><c>GET /api/v1/private/position/funding_records</c>: one page of up to 100 in [start, end] (Unix ms).</summary>
    public Task<MexcPage<MexcFunding>> GetFundingRecords(long start, long end, int page, CancellationToken ct) =>
        Send(
            Get("api/v1/private/position/funding_records", [("start_time", Text(start)), ("end_time", Text(end)), ("page_num", Text(page)), ("page_size", "100")], signed: true),
            MexcParse.FundingRecords,
            ct);

    /// <summary><c>GET /api/v1/private/position/position_mode</c>: 1 hedge, 2 one-way.</summary>
    public Task<int> GetPositionMode(CancellationToken ct) =>
        Send(Get("api/v1/private/position/position_mode", [], signed: true), MexcParse.PositionMode, ct);

    /// <summary><c>POST /api/v1/private/position/change_position_mode</c>; harmless to repeat, so retried like a read.</summary>
    public Task ChangePositionMode(int positionMode, CancellationToken ct) =>
        Send(Post("api/v1/private/position/change_position_mode", JsonSerializer.Serialize(new Dictionary<string, int> { ["positionMode"] = positionMode }), isOrder: false), _ => true, ct);

    /// <summary><c>POST /api/v1/private/position/change_leverage</c> for a symbol without a position (openType, positionType given).</summary>
    public Task ChangeLeverage(string symbol, int leverage, int openType, int positionType, CancellationToken ct) =>
        Send(
            Post(
                "api/v1/private/position/change_leverage",
                JsonSerializer.Serialize(new Dictionary<string, object> { ["symbol"] = symbol, ["leverage"] = leverage, ["openType"] = openType, ["positionType"] = positionType }),
                isOrder: false),
            _ => true,
            ct);

    /// <summary>Reads the venue's clock now (<c>GET /api/v1/contract/ping</c>).</summary>
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

    /// <summary>A signature for the websocket login: HMAC-SHA256 of access key + request time (the login's parameter string is empty).</summary>
    public (string ApiKey, string RequestTime, string Signature) LoginSignature()
    {
        var credentials = _credentials ?? throw new MexcApiException("the MEXC account stream needs API credentials, and none were given", ErrorKind.Rejected);
        var time = Clock.GetUtcNow().ToUnixTimeMilliseconds();
        return (credentials.ApiKey, Text(time), MexcSigner.Sign(credentials.Secret, credentials.ApiKey, time, ""));
    }

    /// <summary>Returns <paramref name="text"/> without the key, the secret, or anything shaped like a signature.</summary>
    public string Scrub(string text) => Signature().Replace(_credentials?.Redact(text) ?? text, Redacted);

    public void Dispose()
    {
        _http.Dispose();
        _gate.Dispose();
    }

    private static Call Get(string path, (string, string)[] parameters, bool signed) => new(HttpMethod.Get, path, parameters, null, signed, false);

    private static Call Post(string path, string body, bool isOrder) => new(HttpMethod.Post, path, [], body, true, isOrder);

    private async Task<T> Send<T>(Call call, Func<JsonElement, T> parse, CancellationToken ct)
    {
        if (call.Signed && _credentials is null)
        {
            throw new MexcApiException($"{call.Shown} needs API credentials, and none were given", ErrorKind.Rejected);
        }

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (call.Signed)
            {
                await EnsureClockAsync(ct).ConfigureAwait(false);
            }

            var answer = await Exchange(call, ct).ConfigureAwait(false);
            if (answer.Code == MexcErrors.RequestTimeOutsideWindow)
            {
                // the venue's clock or ours moved: read it again; an order is not sent twice, it is reported instead
                _log.LogWarning("MEXC refused the Request-Time of {Call} (513); reading its clock again", call.Shown);
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
        var call = Get(Ping, [], signed: false);
        var sentAt = _options.TimeProvider.GetUtcNow();
        var answer = await Exchange(call, ct).ConfigureAwait(false);
        var receivedAt = _options.TimeProvider.GetUtcNow();
        var serverTime = Interpret(call, answer, MexcParse.ServerTime);
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
            return new Answer((int)response.StatusCode, body, CodeOf(body), RetryAfter(response));
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            var what = e switch
            {
                OperationCanceledException => $"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s",
                HttpRequestException when _connections.ConnectionsMade == 0 => $"cannot reach MEXC at {_options.Environment.RestBase.GetLeftPart(UriPartial.Authority)} ({OneLine(e)})",
                _ => $"the connection failed ({OneLine(e)})",
            };
            throw new MexcApiException(Scrub($"{call.Shown}: {what}"), ErrorKind.Unknown, neverSent: e is HttpRequestException && _connections.ConnectionsMade == 0);
        }
    }

    private async ValueTask<HttpResponseMessage> Attempt(Call call, CancellationToken ct)
    {
        await _budget.AcquireAsync(1, ct).ConfigureAwait(false);
        using var request = Build(call);
        _connections.BeginRequest();
        var sentAt = _options.TimeProvider.GetUtcNow();
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var receivedAt = _options.TimeProvider.GetUtcNow();
        if (response.Headers.Date is { } date && Clock.Contradicts(date, TimeSpan.FromSeconds(1), sentAt, receivedAt))
        {
            _clockContradicted = true;
        }

        return response;
    }

    private HttpRequestMessage Build(Call call)
    {
        var query = MexcSigner.QueryString(call.Parameters);
        var request = new HttpRequestMessage(call.Method, query.Length == 0 ? call.Path : $"{call.Path}?{query}");
        if (call.Body is { } body)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (call.Signed)
        {
            var time = Clock.GetUtcNow().ToUnixTimeMilliseconds();
            request.Headers.Add("ApiKey", _credentials!.ApiKey);
            request.Headers.Add("Request-Time", Text(time));
            request.Headers.Add("Recv-Window", Text((long)_options.ReceiveWindow.TotalSeconds));
            request.Headers.Add("Signature", MexcSigner.Sign(_credentials.Secret, _credentials.ApiKey, time, call.Body ?? query));
        }

        return request;
    }

    private T Interpret<T>(Call call, Answer answer, Func<JsonElement, T> parse)
    {
        if (answer.Status is >= 200 and < 300)
        {
            try
            {
                var (success, code, message, data) = MexcParse.Envelope(answer.Body);
                if (success)
                {
                    return parse(data);
                }

                throw new MexcApiException(Scrub($"MEXC rejected {call.Shown} (MEXC {code}: {message})"), MexcErrors.Kind(answer.Status, code), answer.Status, code);
            }
            catch (MexcMalformedBody e)
            {
                throw new MexcApiException(Scrub($"MEXC answered {call.Shown} with a body that is not the documented one: {e.Message}"), ErrorKind.VenueFailure, answer.Status);
            }
        }

        var venue = answer.Code is { } c ? $" (MEXC {c})" : "";
        var wait = answer.RetryAfter is { } after ? $"; retry after {after.TotalSeconds:0.#} s" : "";
        var text = answer.Status switch
        {
            429 => $"MEXC answered 429 Too Many Requests to {call.Shown}{venue}{wait}",
            >= 500 => $"MEXC failed on its side answering {call.Shown} (HTTP {answer.Status}){venue}; the outcome is unknown",
            _ => $"MEXC rejected {call.Shown} (HTTP {answer.Status}){venue}",
        };
        throw new MexcApiException(Scrub(text), MexcErrors.Kind(answer.Status, answer.Code), answer.Status, answer.Status >= 500 ? null : answer.Code);
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
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } answer ? RetryAfter(answer) : null),
            Randomizer = _options.Jitter,
            ShouldHandle = async args => _options.MaxRetries > 0 && await IsTransient(args.Outcome, args.Context.CancellationToken).ConfigureAwait(false),
            OnRetry = args =>
            {
                if (args.Outcome.Result is { } throttled && (int)throttled.StatusCode is 200 or 429 && throttled.Headers.RetryAfter is null)
                {
                    // no Retry-After: wait for the next rate window
                    _budget.Exhaust();
                }

                var failure = args.Outcome.Exception is { } e ? OneLine(e) : $"HTTP {(int)args.Outcome.Result!.StatusCode}";
                _log.LogWarning("{Message}", Scrub($"MEXC request failed with {failure}; retry {args.AttemptNumber + 1} of {_options.MaxRetries} in {args.RetryDelay.TotalSeconds:0.###} s"));
                return ValueTask.CompletedTask;
            },
        };
        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _options.TimeProvider }.AddRetry(retry).Build();
    }

    private async ValueTask<bool> IsTransient(Outcome<HttpResponseMessage> outcome, CancellationToken ct) => outcome switch
    {
        { Exception: HttpRequestException } when _connections.ConnectionsMade == 0 => false,
        { Exception: HttpRequestException or IOException } => true,
        { Exception: OperationCanceledException } => !ct.IsCancellationRequested,
        { Result: { } response } when (int)response.StatusCode is 429 or >= 500 => true,

        // MEXC says "too frequent" in the body of a 200 answer (code 510)
        { Result: { } response } => CodeOf(await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false)) == MexcErrors.TooFrequent,
        _ => false,
    };

    private static int? CodeOf(byte[] body)
    {
        try
        {
            var (success, code, _, _) = MexcParse.Envelope(body);
            return success ? null : code;
        }
        catch (MexcMalformedBody)
        {
            return null;
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
        { Date: { } date } => date - Clock.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static string OneLine(Exception e)
    {
        var inner = e.InnerException?.Message;
        return (inner is null ? e.Message : $"{e.Message} {inner}").ReplaceLineEndings(" ");
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("[0-9a-fA-F]{64}")]
    private static partial Regex Signature();

    private sealed record Call(HttpMethod Method, string Path, (string Name, string Value)[] Parameters, string? Body, bool Signed, bool IsOrder)
    {
        public string Shown => $"{Method.Method} /{Path}";
    }

    private sealed record Answer(int Status, byte[] Body, int? Code, TimeSpan? RetryAfter);
}
