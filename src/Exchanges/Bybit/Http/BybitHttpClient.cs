using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using StrategyLab.Exchanges.Bybit.Common;
using StrategyLab.Exchanges.Http;
using StrategyLab.Runtime.Execution;

using ErrorKind = StrategyLab.Runtime.Execution.ExchangeErrorKind;

namespace StrategyLab.Exchanges.Bybit.Http;

/// <summary>The body of <c>POST /v5/order/create</c> this client sends, for linear perpetuals in one-way mode.</summary>
internal sealed record BybitOrderRequest(
    string Symbol,
    OrderSide Side,
    string OrderType,
    decimal Qty,
    string OrderLinkId,
    decimal? Price = null,
    string? TimeInForce = null,
    bool ReduceOnly = false,
    decimal? TriggerPrice = null,
    int? TriggerDirection = null,
    string? TriggerBy = null);

/// <summary>
/// Raw Bybit v5 requests for linear perpetuals, one method per endpoint. Signed requests carry X-BAPI-API-KEY,
/// X-BAPI-TIMESTAMP (on the venue's clock, <see cref="Clock"/>, read from <c>GET /v5/market/time</c>),
/// X-BAPI-RECV-WINDOW and X-BAPI-SIGN over the query string (GET) or the JSON body (POST) exactly as sent. A 10002
/// answer (timestamp outside the window) reads the clock again and sends a request that is not an order once more.
/// Each endpoint's <c>X-Bapi-Limit-*</c> headers are kept (<see cref="RateLimits"/>); a request to an endpoint whose
/// window is spent waits for its reset. Reads are retried by a Polly pipeline on 10006 (until the window resets),
/// 10000, 10016, 429, 5xx, dropped connections and timeouts, with exponential backoff and jitter; an order is retried
/// only after 10006, a refusal before anything was done, and otherwise sent once, reporting an unknown outcome as such.
/// Failures are <see cref="BybitApiException"/>s whose messages never hold the key, the secret or a signature
/// (Bybit's own 10004 message quotes the signed text, key included: it is scrubbed). Requests go one at a time.
/// </summary>
internal sealed partial class BybitHttpClient : IDisposable
{
    private const string Redacted = "[redacted]";
    private const string Linear = "linear";

    private readonly BybitOptions _options;
    private readonly BybitCredentials? _credentials;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly GuardedConnections _connections = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ResiliencePipeline<Answer> _reads;
    private readonly ResiliencePipeline<Answer> _orders;
    private bool _clockContradicted;

    public BybitHttpClient(BybitOptions options, BybitCredentials? credentials)
    {
        _options = options;
        _credentials = credentials;
        _log = options.Logger;
        Clock = new VenueClock(options.TimeProvider);
        RateLimits = new EndpointRateLimits(Clock, options.RetryMaxDelay);
        _http = new HttpClient(_connections.CreateHandler(options.ConnectTimeout), disposeHandler: true)
        {
            BaseAddress = options.Environment.RestBase,
            Timeout = options.RequestTimeout,

            // HTTP/1.1 only: OneSendStream tells one request from the next by the turn from reading to writing
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("StrategyLab/0.1");
        _reads = BuildRetries(isOrder: false);
        _orders = BuildRetries(isOrder: true);
    }

    /// <summary>The venue's clock as read from its answers; signed timestamps are taken from it.</summary>
    public VenueClock Clock { get; }

    /// <summary>Each endpoint's remaining requests as the venue last reported them.</summary>
    public EndpointRateLimits RateLimits { get; }

    /// <summary><c>GET /v5/market/instruments-info</c>: linear contracts and their filters, one page.</summary>
    public Task<BybitPage<BybitInstrument>> GetInstruments(string? cursor, CancellationToken ct) =>
        Send(Get("/v5/market/instruments-info", false, ("category", Linear), ("limit", "1000"), ("cursor", cursor)), BybitParse.Instruments, ct);

    /// <summary><c>GET /v5/market/kline</c>: klines starting in [start, end], newest first, at most <paramref name="limit"/> (200).</summary>
    public Task<IReadOnlyList<BybitKline>> GetKlines(string symbol, string interval, long start, long end, int limit, CancellationToken ct) =>
        Send(
            Get("/v5/market/kline", false, ("category", Linear), ("symbol", symbol), ("interval", interval), ("start", Text(start)), ("end", Text(end)), ("limit", Text(limit))),
            BybitParse.Klines,
            ct);

    /// <summary>
    /// <c>GET /v5/market/kline</c> for history: klines starting in [start, end], newest first, at most
    /// <paramref name="limit"/> (1 to 1000), every value read exactly.
    /// </summary>
    public Task<IReadOnlyList<BybitHistoryKline>> GetHistoryKlines(string symbol, string interval, long start, long end, int limit, CancellationToken ct) =>
        Send(
            Get("/v5/market/kline", false, ("category", Linear), ("symbol", symbol), ("interval", interval), ("start", Text(start)), ("end", Text(end)), ("limit", Text(limit))),
            BybitParse.HistoryKlines,
            ct);

    /// <summary><c>GET /v5/market/funding/history</c>: funding rates settled in [startTime, endTime], newest first, at most <paramref name="limit"/> (1 to 200).</summary>
    public Task<IReadOnlyList<BybitFundingRate>> GetFundingHistory(string symbol, long startTime, long endTime, int limit, CancellationToken ct) =>
        Send(
            Get("/v5/market/funding/history", false, ("category", Linear), ("symbol", symbol), ("startTime", Text(startTime)), ("endTime", Text(endTime)), ("limit", Text(limit))),
            BybitParse.FundingHistory,
            ct);

    /// <summary>
    /// <c>POST /v5/order/create</c> in one-way mode (<c>positionIdx</c> 0): the order's ids. Sent once, or again only
    /// after 10006; a <see cref="BybitApiException"/> with <see cref="BybitApiException.OutcomeUnknown"/> means the
    /// order may or may not exist.
    /// </summary>
    public Task<(string OrderId, string OrderLinkId)> CreateOrder(BybitOrderRequest order, CancellationToken ct)
    {
        var body = new List<(string, object?)>
        {
            ("category", Linear),
            ("symbol", order.Symbol),
            ("side", order.Side == OrderSide.Buy ? "Buy" : "Sell"),
            ("orderType", order.OrderType),
            ("qty", Text(order.Qty)),
            ("price", order.Price is { } price ? Text(price) : null),
            ("timeInForce", order.TimeInForce),
            ("positionIdx", 0),
            ("orderLinkId", order.OrderLinkId),
            ("reduceOnly", order.ReduceOnly ? true : null),
            ("triggerPrice", order.TriggerPrice is { } trigger ? Text(trigger) : null),
            ("triggerDirection", order.TriggerDirection),
            ("triggerBy", order.TriggerBy),
        };
        return Send(new Call(HttpMethod.Post, "/v5/order/create", [.. body], Signed: true, IsOrder: true), BybitParse.OrderIds, ct);
    }

    /// <summary><c>POST /v5/order/cancel</c> by order link id; 110001 when there is no such open order.</summary>
    public Task<(string OrderId, string OrderLinkId)> CancelOrder(string symbol, string orderLinkId, CancellationToken ct) =>
        Send(Post("/v5/order/cancel", ("category", Linear), ("symbol", symbol), ("orderLinkId", orderLinkId)), BybitParse.OrderIds, ct);

    /// <summary><c>GET /v5/order/realtime</c>: open orders (conditional ones included) of a symbol, or of every USDT contract, one page.</summary>
    public Task<BybitPage<BybitOrder>> GetOpenOrders(string? symbol, string? cursor, CancellationToken ct) =>
        Send(
            Get("/v5/order/realtime", true, ("category", Linear), symbol is null ? ("settleCoin", _options.SettleCoin) : ("symbol", symbol), ("openOnly", "0"), ("limit", "50"), ("cursor", cursor)),
            BybitParse.Orders,
            ct);

    /// <summary>
    /// An order by its link id: <c>GET /v5/order/realtime</c> (open and recently closed orders), then
    /// <c>GET /v5/order/history</c> (closed orders); null when neither knows it.
    /// </summary>
    public async Task<BybitOrder?> FindOrder(string symbol, string orderLinkId, CancellationToken ct)
    {
        var open = await Send(Get("/v5/order/realtime", true, ("category", Linear), ("symbol", symbol), ("orderLinkId", orderLinkId)), BybitParse.Orders, ct).ConfigureAwait(false);
        if (open.List.FirstOrDefault(o => o.OrderLinkId == orderLinkId) is { } found)
        {
            return found;
        }

        var closed = await Send(Get("/v5/order/history", true, ("category", Linear), ("symbol", symbol), ("orderLinkId", orderLinkId)), BybitParse.Orders, ct).ConfigureAwait(false);
        return closed.List.FirstOrDefault(o => o.OrderLinkId == orderLinkId);
    }

    /// <summary><c>GET /v5/position/list</c>: positions of every contract settled in the settle coin, one page.</summary>
    public Task<BybitPage<BybitPosition>> GetPositions(string? cursor, CancellationToken ct) =>
        Send(Get("/v5/position/list", true, ("category", Linear), ("settleCoin", _options.SettleCoin), ("limit", "200"), ("cursor", cursor)), BybitParse.Positions, ct);

    /// <summary><c>GET /v5/account/wallet-balance</c> of the unified account.</summary>
    public Task<IReadOnlyList<BybitCoinBalance>> GetWalletBalance(CancellationToken ct) =>
        Send(Get("/v5/account/wallet-balance", true, ("accountType", "UNIFIED")), BybitParse.Balances, ct);

    /// <summary><c>GET /v5/execution/list</c>: fills of a symbol in [start, end] (at most 7 days), one page of 100.</summary>
    public Task<BybitPage<BybitExecution>> GetExecutions(string symbol, long start, long end, string? cursor, CancellationToken ct) =>
        Send(
            Get("/v5/execution/list", true, ("category", Linear), ("symbol", symbol), ("startTime", Text(start)), ("endTime", Text(end)), ("limit", "100"), ("cursor", cursor)),
            BybitParse.Executions,
            ct);

    /// <summary><c>GET /v5/account/transaction-log</c>: funding settlements in [start, end] (at most 7 days), one page of 50.</summary>
    public Task<BybitPage<BybitTransaction>> GetFundingSettlements(long start, long end, string? cursor, CancellationToken ct) =>
        Send(
            Get(
                "/v5/account/transaction-log",
                true,
                ("accountType", "UNIFIED"),
                ("category", Linear),
                ("currency", _options.SettleCoin),
                ("type", "SETTLEMENT"),
                ("startTime", Text(start)),
                ("endTime", Text(end)),
                ("limit", "50"),
                ("cursor", cursor)),
            BybitParse.Transactions,
            ct);

    /// <summary><c>POST /v5/position/set-leverage</c> for both sides; 110043 (already so) counts as done, so it is retried like a read.</summary>
    public async Task SetLeverage(string symbol, decimal leverage, CancellationToken ct)
    {
        try
        {
            await Send(Post("/v5/position/set-leverage", ("category", Linear), ("symbol", symbol), ("buyLeverage", Text(leverage)), ("sellLeverage", Text(leverage))), BybitParse.Done, ct)
                .ConfigureAwait(false);
        }
        catch (BybitApiException e) when (e.Code == BybitErrors.LeverageNotModified)
        {
        }
    }

    /// <summary><c>POST /v5/position/switch-mode</c> to one-way mode (mode 0) for every USDT contract; 110025 (already so) counts as done.</summary>
    public async Task UseOneWayMode(CancellationToken ct)
    {
        try
        {
            await Send(Post("/v5/position/switch-mode", ("category", Linear), ("coin", _options.SettleCoin), ("mode", 0)), BybitParse.Done, ct).ConfigureAwait(false);
        }
        catch (BybitApiException e) when (e.Code == BybitErrors.PositionModeNotModified)
        {
        }
    }

    /// <summary>Reads the venue's clock now (<c>GET /v5/market/time</c>).</summary>
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

    /// <summary>
    /// Reads the venue's clock (<c>GET /v5/market/time</c>) when it has not been read, when the reading is older than
    /// the options' sync interval, or when an answer's Date header contradicted it.
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

    /// <summary>The private websocket's authentication: key, expiry (venue ms, <paramref name="validFor"/> ahead) and signature.</summary>
    public (string ApiKey, long Expires, string Signature) WebSocketAuth(TimeSpan validFor)
    {
        var credentials = _credentials ?? throw new BybitApiException("the private stream needs API credentials, and none were given", ErrorKind.Rejected);
        var expires = (Clock.GetUtcNow() + validFor).ToUnixTimeMilliseconds();
        return (credentials.ApiKey, expires, BybitSigner.WebSocket(credentials.Secret, expires));
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

    private static Call Get(string path, bool signed, params (string Name, string? Value)[] parameters) =>
        new(HttpMethod.Get, path, [.. parameters.Where(p => p.Value is not null).Select(p => (p.Name, (object?)p.Value))], signed);

    private static Call Post(string path, params (string Name, object? Value)[] parameters) => new(HttpMethod.Post, path, parameters, Signed: true);

    private async Task<T> Send<T>(Call call, Func<byte[], T> parse, CancellationToken ct)
    {
        if (call.Signed && _credentials is null)
        {
            throw new BybitApiException($"{call.Shown} needs API credentials, and none were given", ErrorKind.Rejected);
        }

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (call.Signed)
            {
                await EnsureClockAsync(ct).ConfigureAwait(false);
            }

            var answer = await Exchange(call, ct).ConfigureAwait(false);
            if (answer.Envelope?.RetCode == BybitErrors.TimestampOutsideWindow)
            {
                // the venue's clock or ours moved: read it again; an order is not sent twice, it is reported instead
                _log.LogWarning("{Message}", Scrub($"Bybit refused the timestamp of {call.Shown} (10002); reading its clock again"));
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
        var call = Get("/v5/market/time", false);
        var sentAt = _options.TimeProvider.GetUtcNow();
        var answer = await Exchange(call, ct).ConfigureAwait(false);
        var receivedAt = _options.TimeProvider.GetUtcNow();
        var serverTime = Interpret(call, answer, BybitParse.ServerTime);
        Clock.Observe(DateTimeOffset.FromUnixTimeMilliseconds(serverTime), TimeSpan.FromMilliseconds(1), sentAt, receivedAt);
        _clockContradicted = false;
    }

    // one request through its retry pipeline; an exception only when no answer came
    private async Task<Answer> Exchange(Call call, CancellationToken ct)
    {
        try
        {
            var pipeline = call.IsOrder ? _orders : _reads;
            return await pipeline.ExecuteAsync(static (state, token) => state.Self.Attempt(state.Call, token), (Self: this, Call: call), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            var what = e switch
            {
                OperationCanceledException => $"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s",
                HttpRequestException when _connections.ConnectionsMade == 0 => $"cannot reach Bybit at {_options.Environment.RestBase.GetLeftPart(UriPartial.Authority)} ({OneLine(e)})",
                _ => $"the connection failed ({OneLine(e)})",
            };
            throw new BybitApiException(Scrub($"{call.Shown}: {what}"), ErrorKind.Unknown, neverSent: e is HttpRequestException && _connections.ConnectionsMade == 0);
        }
    }

    private async ValueTask<Answer> Attempt(Call call, CancellationToken ct)
    {
        var wait = RateLimits.WaitBefore(call.Path);
        if (wait > TimeSpan.Zero)
        {
            _log.LogInformation("Bybit's request window for {Path} is spent; waiting {Seconds:0.###} s for it to reset", call.Path, wait.TotalSeconds);
            await Task.Delay(wait, _options.TimeProvider, ct).ConfigureAwait(false);
        }

        using var request = Build(call);
        _connections.BeginRequest();
        var sentAt = _options.TimeProvider.GetUtcNow();
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var receivedAt = _options.TimeProvider.GetUtcNow();
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        Observe(call, response, sentAt, receivedAt);
        return new Answer(call.Path, (int)response.StatusCode, body, BybitParse.Envelope(body));
    }

    private HttpRequestMessage Build(Call call)
    {
        var payload = call.Method == HttpMethod.Get ? Query(call.Parameters) : Json(call.Parameters);
        var request = new HttpRequestMessage(call.Method, call.Method == HttpMethod.Get && payload.Length > 0 ? $"{call.Path}?{payload}" : call.Path);
        if (call.Method != HttpMethod.Get)
        {
            request.Content = new StringContent(payload, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (call.Signed)
        {
            var timestamp = Clock.GetUtcNow().ToUnixTimeMilliseconds();
            var window = (long)_options.ReceiveWindow.TotalMilliseconds;
            request.Headers.Add("X-BAPI-API-KEY", _credentials!.ApiKey);
            request.Headers.Add("X-BAPI-TIMESTAMP", Text(timestamp));
            request.Headers.Add("X-BAPI-RECV-WINDOW", Text(window));
            request.Headers.Add("X-BAPI-SIGN", BybitSigner.Rest(_credentials.Secret, timestamp, _credentials.ApiKey, window, payload));
        }

        return request;
    }

    private T Interpret<T>(Call call, Answer answer, Func<byte[], T> parse)
    {
        if (answer.Status is >= 200 and < 300 && answer.Envelope is { RetCode: 0 })
        {
            try
            {
                return parse(answer.Body);
            }
            catch (BybitMalformedBody e)
            {
                throw new BybitApiException(Scrub($"Bybit answered {call.Shown} with a body that is not the documented one: {e.Message}"), ErrorKind.VenueFailure, answer.Status);
            }
        }

        if (answer.Envelope is { } refusal)
        {
            var reason = refusal.RetMessage.ReplaceLineEndings(" ");
            var message = refusal.RetCode switch
            {
                BybitErrors.TooManyVisits => $"Bybit kept answering 10006 (too many visits) to {call.Shown} after waiting for its window: {reason}",
                BybitErrors.ServerTimeout or BybitErrors.ServerError => $"Bybit failed on its side answering {call.Shown} ({refusal.RetCode}: {reason}); the outcome is unknown",
                _ => $"Bybit refused {call.Shown} ({refusal.RetCode}: {reason})",
            };
            throw new BybitApiException(Scrub(message), BybitErrors.Kind(answer.Status, refusal.RetCode), answer.Status, refusal.RetCode);
        }

        var failure = answer.Status switch
        {
            403 => $"Bybit refused access (HTTP 403 on {call.Shown}): the IP request limit was crossed or the region is restricted; wait at least 10 minutes",
            429 => $"Bybit answered 429 (system-level frequency protection) to {call.Shown}",
            >= 500 => $"Bybit failed on its side answering {call.Shown} (HTTP {answer.Status}); the outcome is unknown",
            >= 200 and < 300 => $"Bybit answered {call.Shown} with a body that is not the documented envelope",
            _ => $"Bybit answered {call.Shown} with HTTP {answer.Status}",
        };
        throw new BybitApiException(Scrub(failure), BybitErrors.Kind(answer.Status, null), answer.Status);
    }

    private ResiliencePipeline<Answer> BuildRetries(bool isOrder)
    {
        var retry = new RetryStrategyOptions<Answer>
        {
            MaxRetryAttempts = Math.Max(1, _options.MaxRetries),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.RetryBaseDelay,
            MaxDelay = _options.RetryMaxDelay,
            Randomizer = _options.Jitter,

            // a spent window waits for its reset when the venue said when; anything else backs off with jitter
            DelayGenerator = args => ValueTask.FromResult(
                args.Outcome.Result is { Envelope.RetCode: BybitErrors.TooManyVisits } limited ? RateLimits.UntilResetOf(limited.Path) : null),
            ShouldHandle = args => ValueTask.FromResult(_options.MaxRetries > 0 && IsTransient(args.Outcome, isOrder, args.Context.CancellationToken)),
            OnRetry = args =>
            {
                var failure = args.Outcome.Exception is { } e ? OneLine(e)
                    : args.Outcome.Result!.Envelope is { RetCode: not 0 } envelope ? $"retCode {envelope.RetCode}"
                    : $"HTTP {args.Outcome.Result.Status}";
                _log.LogWarning(
                    "{Message}",
                    Scrub($"Bybit request failed with {failure}; retry {args.AttemptNumber + 1} of {_options.MaxRetries} in {args.RetryDelay.TotalSeconds:0.###} s"));
                return ValueTask.CompletedTask;
            },
        };
        return new ResiliencePipelineBuilder<Answer> { TimeProvider = _options.TimeProvider }.AddRetry(retry).Build();
    }

    private bool IsTransient(Outcome<Answer> outcome, bool isOrder, CancellationToken ct) => outcome switch
    {
        // an order is refused by the rate limiter before anything is done; every other failure of an order may hide a placement
        { Result.Envelope.RetCode: BybitErrors.TooManyVisits } => true,
        _ when isOrder => false,

        // never connected at all: offline, refused, no such host; retrying only delays the message
        { Exception: HttpRequestException } when _connections.ConnectionsMade == 0 => false,
        { Exception: HttpRequestException or IOException } => true,
        { Exception: OperationCanceledException } => !ct.IsCancellationRequested,
        { Result: { Envelope: { } envelope } } when envelope.RetCode != 0 => BybitErrors.IsTransient(envelope.RetCode),
        { Result: { } answer } => answer.Status is 429 or >= 500,
        _ => false,
    };

    private void Observe(Call call, HttpResponseMessage response, DateTimeOffset sentAt, DateTimeOffset receivedAt)
    {
        RateLimits.Observe(call.Path, Header(response, "X-Bapi-Limit-Status"), Header(response, "X-Bapi-Limit"), Header(response, "X-Bapi-Limit-Reset-Timestamp"));
        if (response.Headers.Date is { } date && Clock.Contradicts(date, TimeSpan.FromSeconds(1), sentAt, receivedAt))
        {
            _clockContradicted = true;
        }
    }

    private static long? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values)
        && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    private static string Query((string Name, object? Value)[] parameters) =>
        string.Join('&', parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={QueryValue(p.Name, Convert.ToString(p.Value, CultureInfo.InvariantCulture)!)}"));

    // Bybit's nextPageCursor comes already escaped ("page_args%3D…") and is sent back as it came; escaping it again
    // would send another cursor
    private static string QueryValue(string name, string value) => name == "cursor" ? value : Uri.EscapeDataString(value);

    private static string Json((string Name, object? Value)[] parameters)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, value) in parameters)
            {
                switch (value)
                {
                    case null:
                        break;
                    case bool flag:
                        json.WriteBoolean(name, flag);
                        break;
                    case int number:
                        json.WriteNumber(name, number);
                        break;
                    default:
                        json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                        break;
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
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

    private sealed record Call(HttpMethod Method, string Path, (string Name, object? Value)[] Parameters, bool Signed, bool IsOrder = false)
    {
        // method and path only: parameters may hold ids the log has no need of
        public string Shown => $"{Method.Method} {Path}";
    }

    private sealed record Answer(string Path, int Status, byte[] Body, BybitEnvelope? Envelope);
}
