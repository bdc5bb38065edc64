using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using StrategyLab.Exchanges.Tests.Fakes;

namespace StrategyLab.Exchanges.Tests.Bybit;

/// <summary>A linear perpetual's filters as the fake Bybit enforces them.</summary>
internal sealed record FakeBybitSymbol(string Symbol, decimal TickSize, decimal QtyStep, decimal MinOrderQty, decimal MaxOrderQty, decimal MinNotional, decimal MaxLeverage = 100m);

/// <summary>An order as the fake Bybit holds it.</summary>
internal sealed class FakeBybitOrder
{
    public required string OrderId { get; init; }
    public required string OrderLinkId { get; init; }
    public required string Symbol { get; init; }
    public required string Side { get; init; }
    public required string OrderType { get; init; }
    public required string TimeInForce { get; init; }
    public required decimal Qty { get; init; }
    public required decimal Price { get; init; }
    public required decimal TriggerPrice { get; init; }
    public required int TriggerDirection { get; init; }
    public required string TriggerBy { get; init; }
    public required bool ReduceOnly { get; init; }
    public required long CreatedTime { get; init; }
    public string Status { get; set; } = "New";
    public string RejectReason { get; set; } = "EC_NoError";
    public decimal Executed { get; set; }
    public decimal Value { get; set; }
    public decimal Fees { get; set; }
    public long UpdatedTime { get; set; }

    public decimal Leaves => Status is "New" or "PartiallyFilled" or "Untriggered" ? Qty - Executed : 0m;

    public bool IsOpen => Status is "New" or "PartiallyFilled" or "Untriggered";

    public bool IsConditional => TriggerPrice > 0m;

    public decimal AveragePrice => Executed == 0m ? 0m : Math.Round(Value / Executed, 8);
}

/// <summary>One fill, as <c>GET /v5/execution/list</c> lists it.</summary>
internal sealed record FakeBybitFill(string ExecId, FakeBybitOrder Order, decimal Price, decimal Qty, decimal Fee, bool Maker, decimal LeavesAfter, long Time);

/// <summary>
/// A Bybit v5 venue for linear USDT perpetuals, on <see cref="FakeVenueHost"/>. It checks X-BAPI-API-KEY and every
/// X-BAPI-SIGN with its own HMAC-SHA256 over <c>timestamp + key + recvWindow + payload</c> (not the client's signer),
/// refusing a bad one with 10004 and a message that quotes the signed text, key included, as Bybit's does; the
/// timestamp against the receive window (10002); the symbol's filters, margin and reduce-only rules; and answers in
/// the v5 envelope with the shapes of the pages listed in tests/Exchanges.Tests/TestData/bybit/README.md. It keeps a
/// unified account (one-way positions, a USDT wallet, orders, fills, funding settlements) and matches against a
/// scripted book and trade tape: Market and crossing Limit orders take the book level by level, a PostOnly order that
/// would take is cancelled with <c>EC_PostOnlyWillTakeLiquidity</c>, a resting Limit fills as the tape trades through
/// its price (partly when the tape is smaller), and a reduce-only conditional Market order fires when the last price
/// reaches its trigger in its direction. Websockets: <c>/v5/public/linear</c> (subscribe, ping) pushes the klines the
/// test closes; <c>/v5/private</c> (auth, subscribe, ping) pushes order, execution, position and wallet updates.
/// Faults are scripted through <see cref="Host"/>, with <see cref="TooManyVisits"/> for Bybit's rate limit.
/// </summary>
internal sealed partial class FakeBybitVenue : IAsyncDisposable
{
    public const decimal MakerFee = 0.0002m;
    public const decimal TakerFee = 0.00055m;
    public const string PublicPath = "/v5/public/linear";
    public const string PrivatePath = "/v5/private";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, FakeBybitSymbol> _symbols = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(decimal Price, decimal Qty)>> _bids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(decimal Price, decimal Qty)>> _asks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (decimal Amount, decimal Entry)> _positions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _leverage = new(StringComparer.Ordinal);
    private readonly List<FakeBybitOrder> _orders = [];
    private readonly List<FakeBybitFill> _fills = [];
    private readonly List<JsonObject> _transactions = [];
    private readonly Dictionary<(string Symbol, string Interval), SortedDictionary<long, string[]>> _klines = [];
    private long _nextOrder = 1;
    private long _nextExec = 1;
    private long _nextTransaction = 1;
    private int _pings;

    private FakeBybitVenue(string apiKey, string secret)
    {
        ApiKey = apiKey;
        Secret = secret;
    }

    public string ApiKey { get; }

    public string Secret { get; }

    public FakeVenueHost Host { get; private set; } = null!;

    /// <summary>The venue's clock.</summary>
    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    /// <summary>X-Bapi-Limit-Status on every answer: requests left in the endpoint's window.</summary>
    public int LimitStatus { get; set; } = 49;

    /// <summary>How many seconds after "now" X-Bapi-Limit-Reset-Timestamp says the window resets.</summary>
    public int LimitResetSeconds { get; set; }

    /// <summary>The USDT wallet balance.</summary>
    public decimal Wallet { get; private set; } = 10_000m;

    /// <summary>One-way (0) or hedge (3) mode, as <c>POST /v5/position/switch-mode</c> last set it.</summary>
    public int PositionMode { get; private set; } = 3;

    /// <summary>Heartbeats (<c>{"op":"ping"}</c>) received on any websocket.</summary>
    public int Pings => Volatile.Read(ref _pings);

    public static async Task<FakeBybitVenue> StartAsync(string apiKey, string secret)
    {
        var venue = new FakeBybitVenue(apiKey, secret);
        venue.Host = await FakeVenueHost.StartAsync(venue.AnswerAsync, path => path is PublicPath or PrivatePath, venue.OnMessageAsync);
        venue.Host.Headers = venue.RateHeaders;
        return venue;
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();

    /// <summary>A 10006 answer, the endpoint's window spent until <paramref name="resetInSeconds"/> from now (https://bybit-exchange.github.io/docs/v5/rate-limit).</summary>
    public InjectedFault TooManyVisits(int resetInSeconds) =>
        new(FaultKind.Answer, 200, Envelope(10006, "Too many visits!", new JsonObject()))
        {
            Headers = () => new Dictionary<string, string>
            {
                ["X-Bapi-Limit-Status"] = "0",
                ["X-Bapi-Limit"] = "50",
                ["X-Bapi-Limit-Reset-Timestamp"] = (NowMs() + (resetInSeconds * 1000L)).ToString(CultureInfo.InvariantCulture),
            },
        };

    /// <summary>An answer with <paramref name="code"/> in the envelope, for faults such as 10016 (server error).</summary>
    public InjectedFault Code(int code, string message) => new(FaultKind.Answer, 200, Envelope(code, message, new JsonObject()));

    public void AddSymbol(FakeBybitSymbol symbol)
    {
        lock (_gate)
        {
            _symbols[symbol.Symbol] = symbol;
            _leverage[symbol.Symbol] = 20m;
        }
    }

    /// <summary>Sets the book: bid and ask levels, best first.</summary>
    public void SetBook(string symbol, (decimal Price, decimal Qty)[] bids, (decimal Price, decimal Qty)[] asks)
    {
        lock (_gate)
        {
            _bids[symbol] = [.. bids];
            _asks[symbol] = [.. asks];
        }
    }

    public decimal Leverage(string symbol)
    {
        lock (_gate)
        {
            return _leverage[symbol];
        }
    }

    public (decimal Amount, decimal Entry) Position(string symbol)
    {
        lock (_gate)
        {
            return _positions.GetValueOrDefault(symbol);
        }
    }

    /// <summary>Every order the venue took, oldest first: link id, symbol, status, reject reason, quantity filled.</summary>
    public IReadOnlyList<(string OrderLinkId, string Symbol, string Status, string RejectReason, decimal Executed)> Orders()
    {
        lock (_gate)
        {
            return [.. _orders.Select(o => (o.OrderLinkId, o.Symbol, o.Status, o.RejectReason, o.Executed))];
        }
    }

    public FakeBybitOrder? Order(string orderLinkId)
    {
        lock (_gate)
        {
            return _orders.LastOrDefault(o => o.OrderLinkId == orderLinkId);
        }
    }

    /// <summary>A trade of <paramref name="qty"/> at <paramref name="price"/> on the tape: resting limits it reaches fill, conditionals it reaches fire.</summary>
    public async Task TradeAsync(string symbol, decimal price, decimal qty)
    {
        List<(string Topic, JsonNode Row)> events = [];
        lock (_gate)
        {
            var left = qty;
            foreach (var order in _orders.Where(o => o.Symbol == symbol && o.IsOpen && !o.IsConditional && o.OrderType == "Limit").ToList())
            {
                var reached = order.Side == "Buy" ? price <= order.Price : price >= order.Price;
                if (!reached || left <= 0m)
                {
                    continue;
                }

                var fill = Math.Min(left, order.Leaves);
                left -= fill;
                Fill(order, order.Price, fill, maker: true, events);
            }

            foreach (var stop in _orders.Where(o => o.Symbol == symbol && o.IsOpen && o.IsConditional).ToList())
            {
                var fires = stop.TriggerDirection == 1 ? price >= stop.TriggerPrice : price <= stop.TriggerPrice;
                if (!fires)
                {
                    continue;
                }

                stop.Status = "Triggered";
                var held = _positions.GetValueOrDefault(symbol).Amount;
                var reducible = stop.Side == "Sell" ? Math.Max(held, 0m) : Math.Max(-held, 0m);
                Take(stop, Math.Min(stop.Qty, reducible), limit: null, events);
                if (stop.Status == "Triggered")
                {
                    Finish(stop, stop.Executed > 0m ? "PartiallyFilledCanceled" : "Deactivated", events);
                }
            }
        }

        await PushPrivate(events);
    }

    /// <summary>Settles funding at <paramref name="rate"/> on the position's notional at <paramref name="markPrice"/>: a long pays a positive rate.</summary>
    public async Task PayFundingAsync(string symbol, decimal rate, decimal markPrice)
    {
        List<(string Topic, JsonNode Row)> events = [];
        lock (_gate)
        {
            var amount = _positions.GetValueOrDefault(symbol).Amount;
            var received = Math.Round(-amount * markPrice * rate, 8);
            Wallet += received;
            _transactions.Add(new JsonObject
            {
                ["id"] = $"tx-{_nextTransaction++}",
                ["symbol"] = symbol,
                ["category"] = "linear",
                ["side"] = amount > 0m ? "Buy" : "Sell",
                ["transactionTime"] = Text(NowMs()),
                ["type"] = "SETTLEMENT",
                ["qty"] = Text(Math.Abs(amount)),
                ["size"] = Text(amount),
                ["currency"] = "USDT",
                ["tradePrice"] = Text(markPrice),
                ["funding"] = Text(received),
                ["fee"] = "0",
                ["cashFlow"] = "0",
                ["change"] = Text(received),
                ["cashBalance"] = Text(Wallet),
                ["feeRate"] = Text(rate),
                ["bonusChange"] = "",
                ["tradeId"] = "",
                ["orderId"] = "",
                ["orderLinkId"] = "",
            });
            events.Add(("wallet", WalletRow()));
        }

        await PushPrivate(events);
    }

    /// <summary>A closed kline the REST endpoint serves: start, open, high, low, close, volume.</summary>
    public void AddKline(string symbol, string interval, long start, decimal open, decimal high, decimal low, decimal close, decimal volume)
    {
        lock (_gate)
        {
            if (!_klines.TryGetValue((symbol, interval), out var rows))
            {
                _klines[(symbol, interval)] = rows = [];
            }

            rows[start] = [Text(start), Text(open), Text(high), Text(low), Text(close), Text(volume), Text(volume * close)];
        }
    }

    /// <summary>Pushes a kline on <c>kline.{interval}.{symbol}</c>; <paramref name="confirmed"/> is its <c>confirm</c>.</summary>
    public Task PushKlineAsync(string symbol, string interval, long start, long intervalMs, decimal open, decimal high, decimal low, decimal close, decimal volume, bool confirmed)
    {
        var topic = $"kline.{interval}.{symbol}";
        var message = new JsonObject
        {
            ["topic"] = topic,
            ["data"] = new JsonArray(new JsonObject
            {
                ["start"] = start,
                ["end"] = start + intervalMs - 1,
                ["interval"] = interval,
                ["open"] = Text(open),
                ["close"] = Text(close),
                ["high"] = Text(high),
                ["low"] = Text(low),
                ["volume"] = Text(volume),
                ["turnover"] = Text(volume * close),
                ["confirm"] = confirmed,
                ["timestamp"] = NowMs(),
            }),
            ["ts"] = NowMs(),
            ["type"] = "snapshot",
        };
        return Host.PushAsync(PublicPath, message.ToJsonString(), topic);
    }

    private long NowMs() => Now().ToUnixTimeMilliseconds();

    private IReadOnlyDictionary<string, string> RateHeaders(ReceivedRequest request) => new Dictionary<string, string>
    {
        ["X-Bapi-Limit-Status"] = LimitStatus.ToString(CultureInfo.InvariantCulture),
        ["X-Bapi-Limit"] = "50",
        ["X-Bapi-Limit-Reset-Timestamp"] = (NowMs() + (LimitResetSeconds * 1000L)).ToString(CultureInfo.InvariantCulture),
        ["Date"] = Now().ToString("R", CultureInfo.InvariantCulture),
    };

    private async Task<(int Status, string Body)> AnswerAsync(HttpContext context, ReceivedRequest request)
    {
        if (AnswerHistory(request) is { } history) return history;
        var route = (request.Method, request.Path);
        switch (route)
        {
            case ("GET", "/v5/market/time"):
                var now = NowMs();
                return Ok(new JsonObject { ["timeSecond"] = Text(now / 1000), ["timeNano"] = Text(now * 1_000_000) });
            case ("GET", "/v5/market/instruments-info"):
                return Ok(Instruments());
            case ("GET", "/v5/market/kline"):
                return Klines(ReceivedRequest.QueryHelpers(request.Query));
        }

        if (Authenticate(request) is { } refusal)
        {
            return refusal;
        }

        var p = request.Method == "GET" ? ReceivedRequest.QueryHelpers(request.Query) : Body(request.Body);
        List<(string Topic, JsonNode Row)> events = [];
        (int, string) answer;
        lock (_gate)
        {
            answer = route switch
            {
                ("POST", "/v5/order/create") => Create(p, events),
                ("POST", "/v5/order/cancel") => CancelOrder(p, events),
                ("GET", "/v5/order/realtime") => Ok(List(_orders.Where(o => o.IsOpen && Matches(o, p)).OrderByDescending(o => o.CreatedTime).Select(OrderRow))),
                ("GET", "/v5/order/history") => Ok(List(_orders.Where(o => !o.IsOpen && Matches(o, p)).OrderByDescending(o => o.CreatedTime).Select(OrderRow))),
                ("GET", "/v5/position/list") => Ok(List(_symbols.Keys.Select(PositionRow))),
                ("GET", "/v5/account/wallet-balance") => Ok(new JsonObject { ["list"] = new JsonArray(WalletRow()) }),
                ("GET", "/v5/execution/list") => Executions(p),
                ("GET", "/v5/account/transaction-log") => Transactions(p),
                ("POST", "/v5/position/set-leverage") => SetLeverage(p),
                ("POST", "/v5/position/switch-mode") => SwitchMode(p),
                _ => (404, "{}"),
            };
        }

        await PushPrivate(events);
        return answer;
    }

    // the key header, the timestamp against the receive window, then the signature over the payload as sent
    private (int, string)? Authenticate(ReceivedRequest request)
    {
        var key = request.Headers.GetValueOrDefault("X-BAPI-API-KEY");
        if (key != ApiKey)
        {
            return Error(10003, "API key is invalid.");
        }

        var timestampText = request.Headers.GetValueOrDefault("X-BAPI-TIMESTAMP") ?? "";
        var window = long.TryParse(request.Headers.GetValueOrDefault("X-BAPI-RECV-WINDOW"), CultureInfo.InvariantCulture, out var w) ? w : 5000;
        var payload = request.Method == "GET" ? request.Query.TrimStart('?') : request.Body;
        var signed = $"{timestampText}{key}{window.ToString(CultureInfo.InvariantCulture)}{payload}";
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(Secret));
        var expected = Convert.ToHexStringLower(hmac.ComputeHash(Encoding.UTF8.GetBytes(signed)));
        if (!string.Equals(expected, request.Headers.GetValueOrDefault("X-BAPI-SIGN"), StringComparison.Ordinal))
        {
            return Error(10004, $"error sign! origin_string[{signed}]");
        }

        var now = NowMs();
        if (!long.TryParse(timestampText, CultureInfo.InvariantCulture, out var timestamp) || timestamp < now - window || timestamp >= now + 1000)
        {
            return Error(10002, $"invalid request, please check your server timestamp or recv_window param. req_timestamp[{timestampText}],server_timestamp[{now}],recv_window[{window}]");
        }

        return null;
    }

    private (int, string) Create(Dictionary<string, string> p, List<(string Topic, JsonNode Row)> events)
    {
        if (p.GetValueOrDefault("category") != "linear" || !_symbols.TryGetValue(p.GetValueOrDefault("symbol") ?? "", out var symbol))
        {
            return Error(10001, "params error: symbol invalid");
        }

        var side = p.GetValueOrDefault("side") ?? "";
        var type = p.GetValueOrDefault("orderType") ?? "";
        var link = p.GetValueOrDefault("orderLinkId") ?? $"auto-{_nextOrder}";
        if (p.GetValueOrDefault("positionIdx") is { } idx && idx != "0")
        {
            return Error(10001, "position idx not match position mode");
        }

        if (_orders.Any(o => o.OrderLinkId == link))
        {
            return Error(110072, "OrderLinkedID is duplicate");
        }

        if (!decimal.TryParse(p.GetValueOrDefault("qty"), NumberStyles.Float, CultureInfo.InvariantCulture, out var qty) || qty <= 0m)
        {
            return Error(10001, "Qty invalid");
        }

        var price = decimal.TryParse(p.GetValueOrDefault("price"), NumberStyles.Float, CultureInfo.InvariantCulture, out var px) ? px : 0m;
        var trigger = decimal.TryParse(p.GetValueOrDefault("triggerPrice"), NumberStyles.Float, CultureInfo.InvariantCulture, out var tp) ? tp : 0m;
        var reduceOnly = p.GetValueOrDefault("reduceOnly") == "true";
        var tif = p.GetValueOrDefault("timeInForce") ?? (type == "Market" ? "IOC" : "GTC");
        if (qty % symbol.QtyStep != 0m || qty < symbol.MinOrderQty || qty > symbol.MaxOrderQty)
        {
            return Error(10001, $"The number of contracts exceeds minimum limit allowed or is not a multiple of {Text(symbol.QtyStep)}");
        }

        if (type == "Limit" && (price <= 0m || price % symbol.TickSize != 0m))
        {
            return Error(10001, "Order price has too many decimals.");
        }

        if (trigger > 0m && p.GetValueOrDefault("triggerDirection") is not ("1" or "2"))
        {
            return Error(10001, "TriggerDirection invalid");
        }

        var held = _positions.GetValueOrDefault(symbol.Symbol).Amount;
        if (reduceOnly && (held == 0m || (side == "Buy") == (held > 0m)))
        {
            return Error(110017, "current position is zero, cannot fix reduce-only order qty");
        }

        var reference = type == "Limit" ? price : trigger > 0m ? trigger : side == "Buy" ? _asks[symbol.Symbol][0].Price : _bids[symbol.Symbol][0].Price;
        if (!reduceOnly && qty * reference < symbol.MinNotional)
        {
            return Error(110094, $"Order does not meet minimum order value {Text(symbol.MinNotional)}USDT");
        }

        if (!reduceOnly && qty * reference / _leverage[symbol.Symbol] > Available())
        {
            return Error(110007, "ab not enough for new order");
        }

        var order = new FakeBybitOrder
        {
            OrderId = $"fake-{_nextOrder++:D8}",
            OrderLinkId = link,
            Symbol = symbol.Symbol,
            Side = side,
            OrderType = type,
            TimeInForce = tif,
            Qty = qty,
            Price = type == "Limit" ? price : 0m,
            TriggerPrice = trigger,
            TriggerDirection = trigger > 0m ? int.Parse(p["triggerDirection"], CultureInfo.InvariantCulture) : 0,
            TriggerBy = trigger > 0m ? p.GetValueOrDefault("triggerBy") ?? "LastPrice" : "",
            ReduceOnly = reduceOnly,
            CreatedTime = NowMs(),
            UpdatedTime = NowMs(),
            Status = trigger > 0m ? "Untriggered" : "New",
        };
        _orders.Add(order);
        var crosses = type == "Limit" && (side == "Buy" ? price >= _asks[symbol.Symbol][0].Price : price <= _bids[symbol.Symbol][0].Price);
        if (order.IsConditional)
        {
            events.Add(("order", OrderRow(order)));
        }
        else if (type == "Limit" && tif == "PostOnly" && crosses)
        {
            order.RejectReason = "EC_PostOnlyWillTakeLiquidity";
            Finish(order, "Cancelled", events);
        }
        else if (type == "Market" || crosses)
        {
            Take(order, qty, type == "Limit" ? price : null, events);
            if (order.IsOpen && (type == "Market" || tif == "IOC"))
            {
                Finish(order, order.Executed > 0m ? "PartiallyFilledCanceled" : "Cancelled", events);
            }
        }
        else
        {
            events.Add(("order", OrderRow(order)));
        }

        return Ok(new JsonObject { ["orderId"] = order.OrderId, ["orderLinkId"] = order.OrderLinkId });
    }

    private (int, string) CancelOrder(Dictionary<string, string> p, List<(string Topic, JsonNode Row)> events)
    {
        var order = _orders.LastOrDefault(o => o.Symbol == p.GetValueOrDefault("symbol") && o.OrderLinkId == p.GetValueOrDefault("orderLinkId"));
        if (order is null || !order.IsOpen)
        {
            return Error(110001, "order not exists or too late to cancel");
        }

        Finish(order, order.Executed > 0m ? "PartiallyFilledCanceled" : order.IsConditional ? "Deactivated" : "Cancelled", events);
        return Ok(new JsonObject { ["orderId"] = order.OrderId, ["orderLinkId"] = order.OrderLinkId });
    }

    // takes the opposite side of the book level by level, up to the limit price if there is one
    private void Take(FakeBybitOrder order, decimal qty, decimal? limit, List<(string Topic, JsonNode Row)> events)
    {
        var book = order.Side == "Buy" ? _asks[order.Symbol] : _bids[order.Symbol];
        var left = qty;
        for (var i = 0; i < book.Count && left > 0m;)
        {
            var (price, available) = book[i];
            if (limit is { } l && (order.Side == "Buy" ? price > l : price < l))
            {
                break;
            }

            var fill = Math.Min(left, available);
            Fill(order, price, fill, maker: false, events);
            left -= fill;
            if (fill == available)
            {
                book.RemoveAt(i);
            }
            else
            {
                book[i] = (price, available - fill);
                i++;
            }
        }
    }

    private void Fill(FakeBybitOrder order, decimal price, decimal qty, bool maker, List<(string Topic, JsonNode Row)> events)
    {
        if (qty <= 0m)
        {
            return;
        }

        order.Executed += qty;
        order.Value += price * qty;
        order.Status = order.Executed == order.Qty ? "Filled" : "PartiallyFilled";
        order.UpdatedTime = NowMs();
        var signed = order.Side == "Buy" ? qty : -qty;
        var (amount, entry) = _positions.GetValueOrDefault(order.Symbol);
        var realized = 0m;
        if (amount != 0m && Math.Sign(amount) != Math.Sign(signed))
        {
            var closed = Math.Min(Math.Abs(amount), qty);
            realized = closed * (price - entry) * Math.Sign(amount);
            var after = amount + signed;
            (amount, entry) = after == 0m ? (0m, 0m) : Math.Sign(after) == Math.Sign(amount) ? (after, entry) : (after, price);
        }
        else
        {
            var after = amount + signed;
            entry = ((Math.Abs(amount) * entry) + (qty * price)) / Math.Abs(after);
            amount = after;
        }

        _positions[order.Symbol] = (amount, entry);
        var fee = Math.Round(price * qty * (maker ? MakerFee : TakerFee), 8);
        order.Fees += fee;
        Wallet += realized - fee;
        var fill = new FakeBybitFill($"exec-{_nextExec++:D6}", order, price, qty, fee, maker, order.Qty - order.Executed, order.UpdatedTime);
        _fills.Add(fill);
        events.Add(("execution", ExecutionRow(fill)));
        events.Add(("order", OrderRow(order)));
        events.Add(("position", PositionRow(order.Symbol)));
        events.Add(("wallet", WalletRow()));
    }

    private void Finish(FakeBybitOrder order, string status, List<(string Topic, JsonNode Row)> events)
    {
        order.Status = status;
        order.UpdatedTime = NowMs();
        events.Add(("order", OrderRow(order)));
    }

    private decimal OrderMargin() =>
        _orders.Where(o => o.IsOpen && o.OrderType == "Limit" && !o.ReduceOnly).Sum(o => o.Leaves * o.Price / _leverage[o.Symbol]);

    private decimal PositionMargin() => _positions.Sum(p => Math.Abs(p.Value.Amount) * p.Value.Entry / _leverage[p.Key]);

    private decimal Available() => Wallet - PositionMargin() - OrderMargin();

    private (int, string) SetLeverage(Dictionary<string, string> p)
    {
        var symbol = _symbols[p["symbol"]];
        var buy = decimal.Parse(p["buyLeverage"], CultureInfo.InvariantCulture);
        if (buy != decimal.Parse(p["sellLeverage"], CultureInfo.InvariantCulture) || buy < 1m || buy > symbol.MaxLeverage)
        {
            return Error(10001, "leverage invalid");
        }

        if (_leverage[symbol.Symbol] == buy)
        {
            return Error(110043, "Set leverage not modified");
        }

        _leverage[symbol.Symbol] = buy;
        return Ok(new JsonObject());
    }

    private (int, string) SwitchMode(Dictionary<string, string> p)
    {
        var mode = int.Parse(p["mode"], CultureInfo.InvariantCulture);
        if (mode == PositionMode)
        {
            return Error(110025, "Position mode is not modified");
        }

        PositionMode = mode;
        return Ok(new JsonObject());
    }

    private (int, string) Executions(Dictionary<string, string> p)
    {
        var start = long.Parse(p["startTime"], CultureInfo.InvariantCulture);
        var end = long.Parse(p["endTime"], CultureInfo.InvariantCulture);
        if (end - start > (long)TimeSpan.FromDays(7).TotalMilliseconds)
        {
            return Error(10001, "The time range between startTime and endTime cannot exceed 7 days");
        }

        var rows = _fills.Where(f => f.Order.Symbol == p["symbol"] && f.Time >= start && f.Time <= end).OrderByDescending(f => f.Time).Select(ExecutionRow);
        return Paged(rows, p, 100);
    }

    private (int, string) Transactions(Dictionary<string, string> p)
    {
        var start = long.Parse(p["startTime"], CultureInfo.InvariantCulture);
        var end = long.Parse(p["endTime"], CultureInfo.InvariantCulture);
        var rows = _transactions
            .Where(t => (!p.TryGetValue("type", out var type) || (string)t["type"]! == type) && long.Parse((string)t["transactionTime"]!, CultureInfo.InvariantCulture) is var at && at >= start && at <= end)
            .Reverse()
            .Select(t => (JsonNode)t.DeepClone());
        return Paged(rows, p, 50);
    }

    // a cursor names the offset of the next row and comes escaped, as Bybit's do ("page_args%3D…"): a client that
    // escapes it again sends "page_args%253D…", which is refused
    private (int, string) Paged(IEnumerable<JsonNode> rows, Dictionary<string, string> p, int most)
    {
        var all = rows.ToList();
        var limit = Math.Min(int.Parse(p.GetValueOrDefault("limit") ?? "20", CultureInfo.InvariantCulture), most);
        var offset = 0;
        if (p.GetValueOrDefault("cursor") is { } cursor
            && !(cursor.StartsWith("page_args=", StringComparison.Ordinal) && int.TryParse(cursor["page_args=".Length..], CultureInfo.InvariantCulture, out offset)))
        {
            return Error(10001, "params error: cursor invalid");
        }

        var page = all.Skip(offset).Take(limit).ToList();
        var next = offset + page.Count < all.Count ? $"page_args%3D{(offset + page.Count).ToString(CultureInfo.InvariantCulture)}" : "";
        return Ok(new JsonObject { ["category"] = "linear", ["list"] = new JsonArray([.. page]), ["nextPageCursor"] = next });
    }

    private (int, string) Klines(Dictionary<string, string> p)
    {
        lock (_gate)
        {
            if (!_klines.TryGetValue((p.GetValueOrDefault("symbol") ?? "", p.GetValueOrDefault("interval") ?? ""), out var rows))
            {
                return Ok(new JsonObject { ["symbol"] = p.GetValueOrDefault("symbol"), ["category"] = "linear", ["list"] = new JsonArray() });
            }

            var start = long.Parse(p["start"], CultureInfo.InvariantCulture);
            var end = long.Parse(p["end"], CultureInfo.InvariantCulture);
            var limit = int.Parse(p.GetValueOrDefault("limit") ?? "200", CultureInfo.InvariantCulture);
            if (limit is < 1 or > 200)
            {
                return Error(10001, "params error: limit must be in [1, 200]");
            }


            // the newest klines of the range, newest first
            var selected = rows.Where(r => r.Key >= start && r.Key <= end).Reverse().Take(limit)
                .Select(r => (JsonNode)new JsonArray([.. r.Value.Select(v => (JsonNode)JsonValue.Create(v)!)]));
            return Ok(new JsonObject { ["symbol"] = p["symbol"], ["category"] = "linear", ["list"] = new JsonArray([.. selected]) });
        }
    }

    private JsonObject Instruments()
    {
        lock (_gate)
        {
            return List(_symbols.Values.Select(s => (JsonNode)new JsonObject
            {
                ["symbol"] = s.Symbol,
                ["contractType"] = "LinearPerpetual",
                ["status"] = "Trading",
                ["baseCoin"] = s.Symbol[..^4],
                ["quoteCoin"] = "USDT",
                ["launchTime"] = "1585526400000",
                ["deliveryTime"] = "0",
                ["deliveryFeeRate"] = "",
                ["priceScale"] = "2",
                ["leverageFilter"] = new JsonObject { ["minLeverage"] = "1", ["maxLeverage"] = Text(s.MaxLeverage) + ".00", ["leverageStep"] = "0.01" },
                ["priceFilter"] = new JsonObject { ["minPrice"] = Text(s.TickSize), ["maxPrice"] = "1999999.80", ["tickSize"] = Text(s.TickSize) },
                ["lotSizeFilter"] = new JsonObject
                {
                    ["maxOrderQty"] = Text(s.MaxOrderQty),
                    ["minOrderQty"] = Text(s.MinOrderQty),
                    ["qtyStep"] = Text(s.QtyStep),
                    ["postOnlyMaxOrderQty"] = Text(s.MaxOrderQty),
                    ["maxMktOrderQty"] = Text(s.MaxOrderQty),
                    ["minNotionalValue"] = Text(s.MinNotional),
                },
                ["unifiedMarginTrade"] = true,
                ["fundingInterval"] = 480,
                ["settleCoin"] = "USDT",
                ["copyTrading"] = "both",
                ["upperFundingRate"] = "0.00375",
                ["lowerFundingRate"] = "-0.00375",
                ["isPreListing"] = false,
                ["preListingInfo"] = null,
            }));
        }
    }

    private static bool Matches(FakeBybitOrder o, Dictionary<string, string> p) =>
        (!p.TryGetValue("symbol", out var symbol) || o.Symbol == symbol)
        && (!p.TryGetValue("settleCoin", out var coin) || o.Symbol.EndsWith(coin, StringComparison.Ordinal))
        && (!p.TryGetValue("orderLinkId", out var link) || o.OrderLinkId == link)
        && (!p.TryGetValue("orderId", out var id) || o.OrderId == id);

    private static JsonNode OrderRow(FakeBybitOrder o) => new JsonObject
    {
        ["orderId"] = o.OrderId,
        ["orderLinkId"] = o.OrderLinkId,
        ["blockTradeId"] = "",
        ["symbol"] = o.Symbol,
        ["price"] = Text(o.Price),
        ["qty"] = Text(o.Qty),
        ["side"] = o.Side,
        ["isLeverage"] = "",
        ["positionIdx"] = 0,
        ["orderStatus"] = o.Status,
        ["cancelType"] = o.Status is "Cancelled" or "Deactivated" or "PartiallyFilledCanceled" ? "CancelByUser" : "UNKNOWN",
        ["rejectReason"] = o.RejectReason,
        ["avgPrice"] = o.Executed == 0m ? "" : Text(o.AveragePrice),
        ["leavesQty"] = Text(o.Leaves),
        ["leavesValue"] = Text(o.Leaves * o.Price),
        ["cumExecQty"] = Text(o.Executed),
        ["cumExecValue"] = Text(o.Value),
        ["cumExecFee"] = Text(o.Fees),
        ["timeInForce"] = o.TimeInForce,
        ["orderType"] = o.OrderType,
        ["stopOrderType"] = o.IsConditional ? "Stop" : "",
        ["orderIv"] = "",
        ["triggerPrice"] = o.IsConditional ? Text(o.TriggerPrice) : "",
        ["takeProfit"] = "",
        ["stopLoss"] = "",
        ["tpTriggerBy"] = "",
        ["slTriggerBy"] = "",
        ["triggerDirection"] = o.TriggerDirection,
        ["triggerBy"] = o.TriggerBy,
        ["lastPriceOnCreated"] = "",
        ["reduceOnly"] = o.ReduceOnly,
        ["closeOnTrigger"] = false,
        ["smpType"] = "None",
        ["smpGroup"] = 0,
        ["smpOrderId"] = "",
        ["tpslMode"] = "",
        ["tpLimitPrice"] = "",
        ["slLimitPrice"] = "",
        ["placeType"] = "",
        ["createdTime"] = Text(o.CreatedTime),
        ["updatedTime"] = Text(o.UpdatedTime),
    };

    private JsonNode PositionRow(string symbol)
    {
        var (amount, entry) = _positions.GetValueOrDefault(symbol);
        return new JsonObject
        {
            ["positionIdx"] = 0,
            ["riskId"] = 1,
            ["riskLimitValue"] = "2000000",
            ["symbol"] = symbol,
            ["side"] = amount > 0m ? "Buy" : amount < 0m ? "Sell" : "",
            ["size"] = Text(Math.Abs(amount)),
            ["avgPrice"] = Text(entry),
            ["positionValue"] = Text(Math.Abs(amount) * entry),
            ["tradeMode"] = 0,
            ["positionStatus"] = "Normal",
            ["autoAddMargin"] = 0,
            ["adlRankIndicator"] = amount == 0m ? 0 : 2,
            ["leverage"] = Text(_leverage[symbol]),
            ["positionBalance"] = "0",
            ["markPrice"] = Text(entry),
            ["liqPrice"] = "",
            ["bustPrice"] = "",
            ["positionMM"] = "0",
            ["positionIM"] = Text(Math.Abs(amount) * entry / _leverage[symbol]),
            ["tpslMode"] = "Full",
            ["takeProfit"] = "0",
            ["stopLoss"] = "0",
            ["trailingStop"] = "0",
            ["unrealisedPnl"] = "0",
            ["curRealisedPnl"] = "0",
            ["cumRealisedPnl"] = "0",
            ["seq"] = 1,
            ["isReduceOnly"] = false,
            ["mmrSysUpdatedTime"] = "",
            ["leverageSysUpdatedTime"] = "",
            ["createdTime"] = "1676538056258",
            ["updatedTime"] = Text(NowMs()),
        };
    }

    private JsonNode WalletRow() => new JsonObject
    {
        ["totalEquity"] = Text(Wallet),
        ["accountIMRate"] = "0",
        ["totalMarginBalance"] = Text(Wallet),
        ["totalInitialMargin"] = Text(PositionMargin() + OrderMargin()),
        ["accountType"] = "UNIFIED",
        ["totalAvailableBalance"] = Text(Available()),
        ["accountMMRate"] = "0",
        ["totalPerpUPL"] = "0",
        ["totalWalletBalance"] = Text(Wallet),
        ["accountLTV"] = "0",
        ["totalMaintenanceMargin"] = "0",
        ["coin"] = new JsonArray(new JsonObject
        {
            ["availableToBorrow"] = "",
            ["bonus"] = "0",
            ["accruedInterest"] = "0",
            ["availableToWithdraw"] = "",
            ["totalOrderIM"] = Text(OrderMargin()),
            ["equity"] = Text(Wallet),
            ["totalPositionMM"] = "0",
            ["usdValue"] = Text(Wallet),
            ["spotHedgingQty"] = "0",
            ["unrealisedPnl"] = "0",
            ["collateralSwitch"] = true,
            ["borrowAmount"] = "0",
            ["totalPositionIM"] = Text(PositionMargin()),
            ["walletBalance"] = Text(Wallet),
            ["cumRealisedPnl"] = "0",
            ["locked"] = "0",
            ["marginCollateral"] = true,
            ["coin"] = "USDT",
        }),
    };

    private static JsonNode ExecutionRow(FakeBybitFill f) => new JsonObject
    {
        ["symbol"] = f.Order.Symbol,
        ["orderType"] = f.Order.OrderType,
        ["underlyingPrice"] = "",
        ["orderLinkId"] = f.Order.OrderLinkId,
        ["side"] = f.Order.Side,
        ["indexPrice"] = "",
        ["orderId"] = f.Order.OrderId,
        ["stopOrderType"] = f.Order.IsConditional ? "Stop" : "UNKNOWN",
        ["leavesQty"] = Text(f.LeavesAfter),
        ["execTime"] = Text(f.Time),
        ["feeCurrency"] = "",
        ["isMaker"] = f.Maker,
        ["execFee"] = Text(f.Fee),
        ["feeRate"] = Text(f.Maker ? MakerFee : TakerFee),
        ["execId"] = f.ExecId,
        ["tradeIv"] = "",
        ["blockTradeId"] = "",
        ["markPrice"] = Text(f.Price),
        ["execPrice"] = Text(f.Price),
        ["markIv"] = "",
        ["orderQty"] = Text(f.Order.Qty),
        ["orderPrice"] = Text(f.Order.Price),
        ["execValue"] = Text(f.Price * f.Qty),
        ["execType"] = "Trade",
        ["execQty"] = Text(f.Qty),
        ["closedSize"] = "0",
        ["seq"] = 1,
    };

    private async Task OnMessageAsync(IStreamSession session, string text)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        var op = root.GetProperty("op").GetString();
        var id = root.TryGetProperty("req_id", out var r) ? r.GetString() : "";
        var args = root.TryGetProperty("args", out var a) ? a.EnumerateArray().Select(x => x.ToString()).ToArray() : [];
        var isPrivate = session.Path == PrivatePath;
        switch (op)
        {
            case "ping":
                Interlocked.Increment(ref _pings);
                await session.SendAsync(isPrivate
                    ? new JsonObject { ["req_id"] = id, ["op"] = "pong", ["args"] = new JsonArray(Text(NowMs())), ["conn_id"] = "fake-conn" }.ToJsonString()
                    : new JsonObject { ["success"] = true, ["ret_msg"] = "pong", ["conn_id"] = "fake-conn", ["req_id"] = id, ["op"] = "ping" }.ToJsonString());
                return;
            case "auth":
                var ok = isPrivate && args.Length == 3 && args[0] == ApiKey
                    && long.TryParse(args[1], CultureInfo.InvariantCulture, out var expires) && expires > NowMs()
                    && args[2] == Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes("GET/realtime" + args[1])));
                if (ok)
                {
                    session.Tags["auth"] = true;
                }

                await session.SendAsync(new JsonObject { ["req_id"] = id, ["success"] = ok, ["ret_msg"] = ok ? "" : "Invalid sign", ["op"] = "auth", ["conn_id"] = "fake-conn" }.ToJsonString());
                return;
            case "subscribe":
                var allowed = !isPrivate || session.Tags.ContainsKey("auth");
                if (allowed)
                {
                    foreach (var topic in args)
                    {
                        session.Tags[topic] = true;
                    }
                }

                await session.SendAsync(new JsonObject { ["success"] = allowed, ["ret_msg"] = allowed ? "" : "Request not authorized", ["conn_id"] = "fake-conn", ["req_id"] = id, ["op"] = "subscribe" }.ToJsonString());
                return;
        }
    }

    private async Task PushPrivate(List<(string Topic, JsonNode Row)> events)
    {
        foreach (var (topic, row) in events)
        {
            var message = new JsonObject { ["id"] = Guid.NewGuid().ToString("N"), ["topic"] = topic, ["creationTime"] = NowMs(), ["data"] = new JsonArray(row) };
            await Host.PushAsync(PrivatePath, message.ToJsonString(), topic);
        }
    }

    private static Dictionary<string, string> Body(string body)
    {
        using var document = JsonDocument.Parse(body.Length == 0 ? "{}" : body);
        return document.RootElement.EnumerateObject().ToDictionary(
            p => p.Name, p => p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? (p.Value.GetBoolean() ? "true" : "false") : p.Value.ToString(), StringComparer.Ordinal);
    }

    private static JsonObject List(IEnumerable<JsonNode> rows) =>
        new() { ["category"] = "linear", ["list"] = new JsonArray([.. rows]), ["nextPageCursor"] = "" };

    private (int, string) Ok(JsonNode result) => (200, Envelope(0, "OK", result));

    private (int, string) Error(int code, string message) => (200, Envelope(code, message, new JsonObject()));

    private string Envelope(int code, string message, JsonNode result) =>
        new JsonObject { ["retCode"] = code, ["retMsg"] = message, ["result"] = result, ["retExtInfo"] = new JsonObject(), ["time"] = NowMs() }.ToJsonString();

    private static string Text(decimal value) => value.ToString("0.########", CultureInfo.InvariantCulture);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
