using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using StrategyLab.Exchanges.Tests.Fakes;

namespace StrategyLab.Exchanges.Tests.Binance;

/// <summary>A symbol's filters as the fake venue enforces them.</summary>
internal sealed record FakeSymbol(string Symbol, decimal TickSize, decimal StepSize, decimal MinQuantity, decimal MaxQuantity, decimal MinNotional, decimal MinPrice = 0.1m, decimal MaxPrice = 1_000_000m);

/// <summary>An order as the fake venue holds it.</summary>
internal sealed class FakeOrder
{
    public required long OrderId { get; init; }
    public required string ClientOrderId { get; init; }
    public required string Symbol { get; init; }
    public required string Side { get; init; }
    public required string Type { get; set; }
    public required string TimeInForce { get; init; }
    public required decimal Quantity { get; init; }
    public required decimal Price { get; init; }
    public required decimal StopPrice { get; init; }
    public required bool ReduceOnly { get; init; }
    public string WorkingType { get; init; } = "CONTRACT_PRICE";
    public string Status { get; set; } = "NEW";
    public decimal Executed { get; set; }
    public decimal Quote { get; set; }
    public long UpdateTime { get; set; }

    public decimal Remaining => Quantity - Executed;

    public bool IsOpen => Status is "NEW" or "PARTIALLY_FILLED";

    public decimal AveragePrice => Executed == 0m ? 0m : Math.Round(Quote / Executed, 8);
}

/// <summary>One fill of the account, as <c>GET /fapi/v1/userTrades</c> lists it.</summary>
internal sealed record FakeFill(long Id, long OrderId, string Symbol, string Side, decimal Price, decimal Quantity, decimal Commission, bool Maker, decimal RealizedPnl, long Time);

/// <summary>
/// A Binance USDⓈ-M futures venue for the trading client, on <see cref="FakeVenueHost"/>. It checks the API key header
/// and every signature with its own HMAC-SHA256 (not the client's signer), the timestamp against
/// <c>recvWindow</c>, and the symbol's filters, margin and reduce-only rules, and answers with the codes and shapes of
/// Binance's pages (tests/Exchanges.Tests/TestData/binance/README.md). It keeps an account (one-way positions, a USDT
/// wallet, orders, fills, funding income) and matches orders against a scripted book and trade tape: MARKET and
/// crossing LIMIT orders take the book level by level, a post-only (GTX) order that would take is refused with -5022,
/// a resting LIMIT fills as the tape trades through its price (partly when the tape is smaller), and a reduce-only
/// STOP_MARKET fires when the last trade (or, for workingType MARK_PRICE, the mark) reaches its stop. The user data stream (<c>/ws/&lt;listenKey&gt;</c>) pushes
/// ORDER_TRADE_UPDATE and ACCOUNT_UPDATE, and listenKeyExpired when the test expires the key; kline streams
/// (<c>/ws/&lt;symbol&gt;@kline_&lt;interval&gt;</c>) push the bars the test closes. Faults are scripted through
/// <see cref="Host"/>.
/// </summary>
internal sealed class FakeBinanceFuturesVenue : IAsyncDisposable
{
    public const decimal MakerFee = 0.0002m;
    public const decimal TakerFee = 0.0005m;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, FakeSymbol> _symbols = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(decimal Price, decimal Quantity)>> _bids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(decimal Price, decimal Quantity)>> _asks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _last = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (decimal Amount, decimal Entry)> _positions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _leverage = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _marginType = new(StringComparer.Ordinal);
    private readonly List<FakeOrder> _orders = [];
    private readonly List<FakeFill> _fills = [];
    private readonly List<JsonObject> _income = [];
    private readonly Dictionary<(string Symbol, string Interval), List<long>> _klineTimes = [];
    private readonly Dictionary<(string Symbol, string Interval), List<string[]>> _klines = [];
    private long _nextOrderId = 1000;
    private long _nextTradeId = 5000;
    private long _nextTransaction = 9000;
    private bool _dualSide;
    private string? _listenKey;
    // orders counted in the venue's current 10-second and minute windows, as its X-MBX-ORDER-COUNT headers count them
    private (long Window, int Count) _orders10s;
    private (long Window, int Count) _orders1m;

    private FakeBinanceFuturesVenue(string apiKey, string secret)
    {
        ApiKey = apiKey;
        Secret = secret;
    }

    public string ApiKey { get; }

    public string Secret { get; }

    public FakeVenueHost Host { get; private set; } = null!;

    /// <summary>The venue's clock.</summary>
    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    /// <summary>The value of X-MBX-USED-WEIGHT-1M on every answer (weight other programs on the IP used too).</summary>
    public int UsedWeight { get; set; } = 1;

    /// <summary>The USDT wallet balance.</summary>
    public decimal Wallet { get; private set; } = 10_000m;

    /// <summary>When set, a post-only order that would take is accepted and answered EXPIRED instead of refused with -5022.</summary>
    public bool PostOnlyExpiresInsteadOfRejecting { get; set; }

    /// <summary>The listen key currently valid, or null.</summary>
    public string? ListenKey
    {
        get
        {
            lock (_gate)
            {
                return _listenKey;
            }
        }
    }

    public static async Task<FakeBinanceFuturesVenue> StartAsync(string apiKey, string secret)
    {
        var venue = new FakeBinanceFuturesVenue(apiKey, secret);
        venue.Host = await FakeVenueHost.StartAsync(venue.AnswerAsync, venue.AcceptsStream);
        venue.Host.Headers = venue.RateHeaders;
        return venue;
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();

    public void AddSymbol(FakeSymbol symbol)
    {
        lock (_gate)
        {
            _symbols[symbol.Symbol] = symbol;
            _leverage[symbol.Symbol] = 20;
            _marginType[symbol.Symbol] = "CROSSED";
        }
    }

    /// <summary>Sets the book: bid and ask levels, best first.</summary>
    public void SetBook(string symbol, (decimal Price, decimal Quantity)[] bids, (decimal Price, decimal Quantity)[] asks)
    {
        lock (_gate)
        {
            _bids[symbol] = [.. bids];
            _asks[symbol] = [.. asks];
        }
    }

    public (decimal Amount, decimal Entry) Position(string symbol)
    {
        lock (_gate)
        {
            return _positions.GetValueOrDefault(symbol);
        }
    }

    public int Leverage(string symbol)
    {
        lock (_gate)
        {
            return _leverage[symbol];
        }
    }

    public string MarginType(string symbol)
    {
        lock (_gate)
        {
            return _marginType[symbol];
        }
    }

    /// <summary>An account left in hedge mode (two positions per symbol): orders without a position side are refused (-4061).</summary>
    public void UseHedgeMode()
    {
        lock (_gate)
        {
            _dualSide = true;
        }
    }

    public bool DualSide
    {
        get
        {
            lock (_gate)
            {
                return _dualSide;
            }
        }
    }

    /// <summary>Every order the venue accepted, oldest first (copies of their state now).</summary>
    public IReadOnlyList<(string ClientOrderId, string Symbol, string Status, decimal Executed)> Orders()
    {
        lock (_gate)
        {
            return [.. _orders.Select(o => (o.ClientOrderId, o.Symbol, o.Status, o.Executed))];
        }
    }

    public FakeOrder? Order(string clientOrderId)
    {
        lock (_gate)
        {
            return _orders.LastOrDefault(o => o.ClientOrderId == clientOrderId);
        }
    }

    /// <summary>A trade of <paramref name="quantity"/> at <paramref name="price"/> on the tape: resting orders it reaches fill, stops it reaches fire.</summary>
    public async Task TradeAsync(string symbol, decimal price, decimal quantity)
    {
        List<string> events;
        lock (_gate)
        {
            events = [];
            _last[symbol] = price;
            var left = quantity;
            foreach (var order in _orders.Where(o => o.Symbol == symbol && o.IsOpen && o.Type == "LIMIT").OrderBy(o => o.OrderId).ToList())
            {
                var reached = order.Side == "BUY" ? price <= order.Price : price >= order.Price;
                if (!reached || left <= 0m)
                {
                    continue;
                }

                var fill = Math.Min(left, order.Remaining);
                left -= fill;
                Fill(order, order.Price, fill, maker: true, events);
            }

            FireStops(symbol, price, "CONTRACT_PRICE", events);
        }

        await PushUser(events);
    }

    /// <summary>The mark price moves to <paramref name="price"/>: stops triggered by the mark (workingType MARK_PRICE) that it reaches fire.</summary>
    public async Task MarkAsync(string symbol, decimal price)
    {
        List<string> events = [];
        lock (_gate)
        {
            FireStops(symbol, price, "MARK_PRICE", events);
        }

        await PushUser(events);
    }

    private void FireStops(string symbol, decimal price, string workingType, List<string> events)
    {
        foreach (var stop in _orders.Where(o => o.Symbol == symbol && o.IsOpen && o.Type == "STOP_MARKET" && o.WorkingType == workingType).ToList())
        {
            var fires = stop.Side == "SELL" ? price <= stop.StopPrice : price >= stop.StopPrice;
            if (fires)
            {
                var held = _positions.GetValueOrDefault(symbol).Amount;
                var reducible = stop.Side == "SELL" ? Math.Max(held, 0m) : Math.Max(-held, 0m);
                Take(stop, Math.Min(stop.Remaining, reducible), limit: null, events);
                if (stop.IsOpen)
                {
                    Finish(stop, "EXPIRED", events);
                }
            }
        }
    }

    /// <summary>Charges or pays funding at <paramref name="rate"/> on the position's notional at <paramref name="markPrice"/>.</summary>
    public async Task PayFundingAsync(string symbol, decimal rate, decimal markPrice)
    {
        string message;
        lock (_gate)
        {
            var amount = _positions.GetValueOrDefault(symbol).Amount;
            var income = Math.Round(-amount * markPrice * rate, 8);
            Wallet += income;
            var time = NowMs();
            _income.Add(new JsonObject
            {
                ["symbol"] = symbol,
                ["incomeType"] = "FUNDING_FEE",
                ["income"] = Text(income),
                ["asset"] = "USDT",
                ["info"] = "FUNDING_FEE",
                ["time"] = time,
                ["tranId"] = _nextTransaction++,
                ["tradeId"] = "",
            });
            message = AccountUpdate("FUNDING_FEE", income, []);
        }

        await PushUser([message]);
    }

    /// <summary>Makes the listen key expire: the stream says listenKeyExpired, a keepalive gets -1125, a POST makes a new key.</summary>
    public async Task ExpireListenKeyAsync()
    {
        string? key;
        lock (_gate)
        {
            key = _listenKey;
            _listenKey = null;
        }

        if (key is not null)
        {
            await Host.PushAsync("/ws/" + key, $"{{\"e\":\"listenKeyExpired\",\"E\":\"{NowMs()}\",\"listenKey\":\"{key}\"}}");
        }
    }

    /// <summary>Drops the listen key without telling the stream, as a venue that lost it would: the next keepalive gets -1125.</summary>
    public void ForgetListenKey()
    {
        lock (_gate)
        {
            _listenKey = null;
        }
    }

    /// <summary>Closed klines of a symbol and interval, as <c>GET /fapi/v1/klines</c> serves them (open time, then the eleven values).</summary>
    public void AddKline(string symbol, string interval, string[] fields)
    {
        lock (_gate)
        {
            var key = (symbol, interval);
            if (!_klines.TryGetValue(key, out var rows))
            {
                _klines[key] = rows = [];
                _klineTimes[key] = [];
            }

            rows.Add(fields);
            _klineTimes[key].Add(long.Parse(fields[0], CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Pushes a kline event on the symbol's stream; <paramref name="closed"/> is the event's <c>x</c>.</summary>
    public Task PushKlineAsync(string symbol, string interval, string[] f, bool closed) =>
        Host.PushAsync(
            $"/ws/{symbol.ToLowerInvariant()}@kline_{interval}",
            $"{{\"e\":\"kline\",\"E\":{NowMs()},\"s\":\"{symbol}\",\"k\":{{\"t\":{f[0]},\"T\":{f[6]},\"s\":\"{symbol}\",\"i\":\"{interval}\",\"f\":100,\"L\":200,"
            + $"\"o\":\"{f[1]}\",\"c\":\"{f[4]}\",\"h\":\"{f[2]}\",\"l\":\"{f[3]}\",\"v\":\"{f[5]}\",\"n\":{f[8]},\"x\":{(closed ? "true" : "false")},"
            + $"\"q\":\"{f[7]}\",\"V\":\"{f[9]}\",\"Q\":\"{f[10]}\",\"B\":\"0\"}}}}");

    private long NowMs() => Now().ToUnixTimeMilliseconds();

    private bool AcceptsStream(string path)
    {
        if (!path.StartsWith("/ws/", StringComparison.Ordinal))
        {
            return false;
        }

        var name = path[4..];
        return name.Contains("@kline_", StringComparison.Ordinal) || name == ListenKey;
    }

    private IReadOnlyDictionary<string, string> RateHeaders(ReceivedRequest request)
    {
        var headers = new Dictionary<string, string>
        {
            ["X-MBX-USED-WEIGHT-1M"] = UsedWeight.ToString(CultureInfo.InvariantCulture),
            ["Date"] = Now().ToString("R", CultureInfo.InvariantCulture),
        };
        if (request.Method == "POST" && request.Path == "/fapi/v1/order")
        {
            var now = Now().ToUnixTimeMilliseconds();
            lock (_gate)
            {
                _orders10s = Count(_orders10s, now / 10_000);
                _orders1m = Count(_orders1m, now / 60_000);
                headers["X-MBX-ORDER-COUNT-10S"] = _orders10s.Count.ToString(CultureInfo.InvariantCulture);
                headers["X-MBX-ORDER-COUNT-1M"] = _orders1m.Count.ToString(CultureInfo.InvariantCulture);
            }
        }

        return headers;
    }

    // one more order in the window `window`; a new window starts from zero
    private static (long Window, int Count) Count((long Window, int Count) counted, long window) =>
        (window, counted.Window == window ? counted.Count + 1 : 1);

    private async Task<(int Status, string Body)> AnswerAsync(HttpContext context, ReceivedRequest request)
    {
        var route = (request.Method, request.Path);
        if (route == ("GET", "/fapi/v1/time"))
        {
            return (200, $"{{\"serverTime\":{NowMs()}}}");
        }

        if (route == ("GET", "/fapi/v1/exchangeInfo"))
        {
            return (200, ExchangeInfo());
        }

        if (route == ("GET", "/fapi/v1/klines"))
        {
            return Klines(request);
        }

        if (request.Path == "/fapi/v1/listenKey")
        {
            return request.Headers.GetValueOrDefault("X-MBX-APIKEY") == ApiKey ? ListenKeyAnswer(request.Method) : Error(401, -2015, "Invalid API-key, IP, or permissions for action.");
        }

        if (Authenticate(request) is { } refusal)
        {
            return refusal;
        }

        var p = ReceivedRequest.QueryHelpers(request.Query);
        List<string> events = [];
        (int, string) answer;
        lock (_gate)
        {
            answer = route switch
            {
                ("POST", "/fapi/v1/order") => NewOrder(p, events),
                ("GET", "/fapi/v1/order") => QueryOrder(p),
                ("DELETE", "/fapi/v1/order") => CancelOrder(p, events),
                ("GET", "/fapi/v1/openOrders") => (200, new JsonArray([.. _orders.Where(o => o.IsOpen && (!p.ContainsKey("symbol") || o.Symbol == p["symbol"])).Select(OrderJson)]).ToJsonString()),
                ("GET", "/fapi/v3/positionRisk") => (200, Positions()),
                ("GET", "/fapi/v3/balance") => (200, Balance()),
                ("GET", "/fapi/v1/userTrades") => (200, UserTrades(p)),
                ("GET", "/fapi/v1/income") => (200, Income(p)),
                ("POST", "/fapi/v1/leverage") => SetLeverage(p),
                ("POST", "/fapi/v1/marginType") => SetMarginType(p),
                ("POST", "/fapi/v1/positionSide/dual") => SetPositionMode(p),
                _ => Error(404, -1099, "Not found, unauthenticated, or unauthorized."),
            };
        }

        await PushUser(events);
        return answer;
    }

    // the key header, then the signature over everything before "&signature=", then the timestamp against recvWindow
    private (int, string)? Authenticate(ReceivedRequest request)
    {
        if (request.Headers.GetValueOrDefault("X-MBX-APIKEY") != ApiKey)
        {
            return Error(401, -2015, "Invalid API-key, IP, or permissions for action.");
        }

        var query = request.Query.TrimStart('?');
        var at = query.LastIndexOf("&signature=", StringComparison.Ordinal);
        if (at < 0)
        {
            return Error(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
        }

        var payload = query[..at];
        var sent = query[(at + "&signature=".Length)..];
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(Secret));
        var expected = string.Concat(hmac.ComputeHash(Encoding.UTF8.GetBytes(payload)).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
        if (!string.Equals(expected, sent, StringComparison.Ordinal))
        {
            return Error(400, -1022, "Signature for this request is not valid.");
        }

        var p = ReceivedRequest.QueryHelpers(query);
        var timestamp = long.Parse(p["timestamp"], CultureInfo.InvariantCulture);
        var window = p.TryGetValue("recvWindow", out var w) ? long.Parse(w, CultureInfo.InvariantCulture) : 5000;
        var now = NowMs();
        if (timestamp < now - window || timestamp > now + 1000)
        {
            return Error(400, -1021, "Timestamp for this request is outside of the recvWindow.");
        }

        return null;
    }

    private (int, string) NewOrder(Dictionary<string, string> p, List<string> events)
    {
        if (!_symbols.TryGetValue(p.GetValueOrDefault("symbol") ?? "", out var symbol))
        {
            return Error(400, -1121, "Invalid symbol.");
        }

        if (_dualSide && p.GetValueOrDefault("positionSide") is null or "BOTH")
        {
            return Error(400, -4061, "Order's position side does not match user's setting.");
        }

        var type = p.GetValueOrDefault("type") ?? "";
        var side = p.GetValueOrDefault("side") ?? "";
        var id = p.GetValueOrDefault("newClientOrderId") ?? $"auto{_nextOrderId}";
        if (!decimal.TryParse(p.GetValueOrDefault("quantity"), NumberStyles.Float, CultureInfo.InvariantCulture, out var quantity))
        {
            return Error(400, -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
        }

        var price = decimal.TryParse(p.GetValueOrDefault("price"), NumberStyles.Float, CultureInfo.InvariantCulture, out var px) ? px : 0m;
        var stop = decimal.TryParse(p.GetValueOrDefault("stopPrice"), NumberStyles.Float, CultureInfo.InvariantCulture, out var sp) ? sp : 0m;
        var tif = p.GetValueOrDefault("timeInForce") ?? "GTC";
        var reduceOnly = p.GetValueOrDefault("reduceOnly") == "true";
        if (type == "LIMIT" && !p.ContainsKey("timeInForce"))
        {
            return Error(400, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.");
        }

        if (_orders.Any(o => o.ClientOrderId == id && o.IsOpen))
        {
            return Error(400, -4116, "ClientOrderId is duplicated.");
        }

        if (quantity <= 0m)
        {
            return Error(400, -4003, "Quantity less than zero.");
        }

        if (quantity % symbol.StepSize != 0m)
        {
            return Error(400, -1111, "Precision is over the maximum defined for this asset.");
        }

        if (quantity < symbol.MinQuantity)
        {
            return Error(400, -4004, "Quantity less than min quantity.");
        }

        if (quantity > symbol.MaxQuantity)
        {
            return Error(400, -4005, "Quantity greater than max quantity.");
        }

        if (type == "LIMIT" && price % symbol.TickSize != 0m)
        {
            return Error(400, -4014, "Price not increased by tick size.");
        }

        var reference = type == "LIMIT" ? price : side == "BUY" ? _asks[symbol.Symbol][0].Price : _bids[symbol.Symbol][0].Price;
        if (!reduceOnly && quantity * reference < symbol.MinNotional)
        {
            return Error(400, -4164, $"Order's notional must be no smaller than {Text(symbol.MinNotional)} (unless you choose reduce only)");
        }

        var held = _positions.GetValueOrDefault(symbol.Symbol).Amount;
        if (reduceOnly && (held == 0m || (side == "BUY") == (held > 0m)))
        {
            return Error(400, -2022, "ReduceOnly Order is rejected.");
        }

        if (type == "STOP_MARKET" && !reduceOnly)
        {
            return Error(400, -1102, "Mandatory parameter 'reduceOnly' was not sent, was empty/null, or malformed.");
        }

        if (!reduceOnly && quantity * reference / _leverage[symbol.Symbol] > Available())
        {
            return Error(400, -2019, "Margin is insufficient.");
        }

        var crosses = type == "LIMIT" && (side == "BUY" ? price >= _asks[symbol.Symbol][0].Price : price <= _bids[symbol.Symbol][0].Price);
        if (type == "LIMIT" && tif == "GTX" && crosses && !PostOnlyExpiresInsteadOfRejecting)
        {
            return Error(400, -5022, "Due to the order could not be executed as maker, the Post Only order will be rejected.");
        }

        var order = new FakeOrder
        {
            OrderId = _nextOrderId++,
            ClientOrderId = id,
            Symbol = symbol.Symbol,
            Side = side,
            Type = type,
            TimeInForce = type == "LIMIT" ? tif : "GTC",
            Quantity = quantity,
            Price = type == "LIMIT" ? price : 0m,
            StopPrice = stop,
            ReduceOnly = reduceOnly,
            UpdateTime = NowMs(),
            WorkingType = p.GetValueOrDefault("workingType") ?? "CONTRACT_PRICE",
        };
        _orders.Add(order);
        events.Add(OrderUpdate(order, "NEW", null));
        if (type == "LIMIT" && tif == "GTX" && crosses)
        {
            Finish(order, "EXPIRED", events);
        }
        else if (type == "MARKET")
        {
            Take(order, order.Quantity, limit: null, events);
            if (order.IsOpen)
            {
                Finish(order, "EXPIRED", events);
            }
        }
        else if (type == "LIMIT" && crosses)
        {
            Take(order, order.Quantity, limit: price, events);
            if (order.IsOpen && tif == "IOC")
            {
                Finish(order, "EXPIRED", events);
            }
        }

        return (200, OrderJson(order).ToJsonString());
    }

    private (int, string) QueryOrder(Dictionary<string, string> p)
    {
        var order = Find(p);
        return order is null ? Error(400, -2013, "Order does not exist.") : (200, OrderJson(order).ToJsonString());
    }

    private (int, string) CancelOrder(Dictionary<string, string> p, List<string> events)
    {
        var order = Find(p);
        if (order is null || !order.IsOpen)
        {
            return Error(400, -2011, "Unknown order sent.");
        }

        Finish(order, "CANCELED", events);
        return (200, OrderJson(order).ToJsonString());
    }

    private FakeOrder? Find(Dictionary<string, string> p) =>
        p.TryGetValue("origClientOrderId", out var id)
            ? _orders.LastOrDefault(o => o.Symbol == p.GetValueOrDefault("symbol") && o.ClientOrderId == id)
            : p.TryGetValue("orderId", out var number)
                ? _orders.FirstOrDefault(o => o.Symbol == p.GetValueOrDefault("symbol") && o.OrderId == long.Parse(number, CultureInfo.InvariantCulture))
                : null;

    // takes the opposite side of the book level by level, up to the limit price if there is one
    private void Take(FakeOrder order, decimal quantity, decimal? limit, List<string> events)
    {
        var book = order.Side == "BUY" ? _asks[order.Symbol] : _bids[order.Symbol];
        var left = quantity;
        for (var i = 0; i < book.Count && left > 0m;)
        {
            var (price, available) = book[i];
            if (limit is { } l && (order.Side == "BUY" ? price > l : price < l))
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

    private void Fill(FakeOrder order, decimal price, decimal quantity, bool maker, List<string> events)
    {
        if (quantity <= 0m)
        {
            return;
        }

        order.Executed += quantity;
        order.Quote += price * quantity;
        order.Status = order.Remaining == 0m ? "FILLED" : "PARTIALLY_FILLED";
        order.UpdateTime = NowMs();
        var signed = order.Side == "BUY" ? quantity : -quantity;
        var (amount, entry) = _positions.GetValueOrDefault(order.Symbol);
        var realized = 0m;
        if (amount != 0m && Math.Sign(amount) != Math.Sign(signed))
        {
            var closed = Math.Min(Math.Abs(amount), quantity);
            realized = closed * (price - entry) * Math.Sign(amount);
            var after = amount + signed;
            (amount, entry) = after == 0m ? (0m, 0m) : Math.Sign(after) == Math.Sign(amount) ? (after, entry) : (after, price);
        }
        else
        {
            var after = amount + signed;
            entry = ((Math.Abs(amount) * entry) + (quantity * price)) / Math.Abs(after);
            amount = after;
        }

        _positions[order.Symbol] = (amount, entry);
        var fee = Math.Round(price * quantity * (maker ? MakerFee : TakerFee), 8);
        Wallet += realized - fee;
        var fill = new FakeFill(_nextTradeId++, order.OrderId, order.Symbol, order.Side, price, quantity, fee, maker, realized, order.UpdateTime);
        _fills.Add(fill);
        events.Add(OrderUpdate(order, "TRADE", fill));
        events.Add(AccountUpdate("ORDER", realized - fee, [order.Symbol]));
    }

    private void Finish(FakeOrder order, string status, List<string> events)
    {
        order.Status = status;
        order.UpdateTime = NowMs();
        events.Add(OrderUpdate(order, status, null));
    }

    private decimal Available()
    {
        var used = _positions.Sum(p => Math.Abs(p.Value.Amount) * p.Value.Entry / _leverage[p.Key])
            + _orders.Where(o => o.IsOpen && o.Type == "LIMIT" && !o.ReduceOnly).Sum(o => o.Remaining * o.Price / _leverage[o.Symbol]);
        return Wallet - used;
    }

    private (int, string) SetLeverage(Dictionary<string, string> p)
    {
        var symbol = p["symbol"];
        var leverage = int.Parse(p["leverage"], CultureInfo.InvariantCulture);
        if (leverage is < 1 or > 125)
        {
            return Error(400, -4028, $"Leverage {leverage} is not valid");
        }

        _leverage[symbol] = leverage;
        return (200, new JsonObject { ["leverage"] = leverage, ["maxNotionalValue"] = "1000000", ["symbol"] = symbol }.ToJsonString());
    }

    private (int, string) SetMarginType(Dictionary<string, string> p)
    {
        var symbol = p["symbol"];
        if (_marginType[symbol] == p["marginType"])
        {
            return Error(400, -4046, "No need to change margin type.");
        }

        _marginType[symbol] = p["marginType"];
        return (200, "{\"code\":200,\"msg\":\"success\"}");
    }

    private (int, string) SetPositionMode(Dictionary<string, string> p)
    {
        var dual = p["dualSidePosition"] == "true";
        if (dual == _dualSide)
        {
            return Error(400, -4059, "No need to change position side.");
        }

        _dualSide = dual;
        return (200, "{\"code\":200,\"msg\":\"success\"}");
    }

    private (int, string) ListenKeyAnswer(string method)
    {
        lock (_gate)
        {
            switch (method)
            {
                case "POST":
                    _listenKey ??= string.Concat(Enumerable.Range(0, 64).Select(_ => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[Random.Shared.Next(62)]));
                    return (200, $"{{\"listenKey\":\"{_listenKey}\"}}");
                case "PUT":
                    return _listenKey is null
                        ? Error(400, -1125, "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` to recreate `listenKey`")
                        : (200, $"{{\"listenKey\":\"{_listenKey}\"}}");
                default:
                    _listenKey = null;
                    return (200, "{}");
            }
        }
    }

    private string Positions() =>
        new JsonArray([.. _positions.Where(p => p.Value.Amount != 0m).Select(p => (JsonNode)new JsonObject
        {
            ["symbol"] = p.Key, ["positionSide"] = "BOTH", ["positionAmt"] = Text(p.Value.Amount), ["entryPrice"] = Text(p.Value.Entry),
            ["breakEvenPrice"] = Text(p.Value.Entry), ["markPrice"] = Text(_last.GetValueOrDefault(p.Key, p.Value.Entry)), ["unRealizedProfit"] = "0",
            ["liquidationPrice"] = "0", ["isolatedMargin"] = "0", ["notional"] = Text(p.Value.Amount * p.Value.Entry), ["marginAsset"] = "USDT",
            ["isolatedWallet"] = "0", ["initialMargin"] = "0", ["maintMargin"] = "0", ["positionInitialMargin"] = "0", ["openOrderInitialMargin"] = "0",
            ["adl"] = 2, ["bidNotional"] = "0", ["askNotional"] = "0", ["updateTime"] = NowMs(),
        })]).ToJsonString();

    private string Balance() =>
        new JsonArray(new JsonObject
        {
            ["accountAlias"] = "SgsR",
            ["asset"] = "USDT",
            ["balance"] = Text(Wallet),
            ["crossWalletBalance"] = Text(Wallet),
            ["crossUnPnl"] = "0.00000000",
            ["availableBalance"] = Text(Available()),
            ["maxWithdrawAmount"] = Text(Available()),
            ["marginAvailable"] = true,
            ["updateTime"] = NowMs(),
        }).ToJsonString();

    private string UserTrades(Dictionary<string, string> p)
    {
        var start = long.Parse(p["startTime"], CultureInfo.InvariantCulture);
        var end = long.Parse(p["endTime"], CultureInfo.InvariantCulture);
        var limit = int.Parse(p.GetValueOrDefault("limit") ?? "500", CultureInfo.InvariantCulture);
        return new JsonArray([.. _fills.Where(f => f.Symbol == p["symbol"] && f.Time >= start && f.Time <= end).Take(limit).Select(f => (JsonNode)new JsonObject
        {
            ["buyer"] = f.Side == "BUY", ["commission"] = Text(f.Commission), ["commissionAsset"] = "USDT", ["id"] = f.Id, ["maker"] = f.Maker,
            ["orderId"] = f.OrderId, ["price"] = Text(f.Price), ["qty"] = Text(f.Quantity), ["quoteQty"] = Text(f.Price * f.Quantity),
            ["realizedPnl"] = Text(f.RealizedPnl), ["side"] = f.Side, ["positionSide"] = "BOTH", ["symbol"] = f.Symbol, ["time"] = f.Time,
        })]).ToJsonString();
    }

    private string Income(Dictionary<string, string> p)
    {
        var start = long.Parse(p["startTime"], CultureInfo.InvariantCulture);
        var end = long.Parse(p["endTime"], CultureInfo.InvariantCulture);
        var type = p.GetValueOrDefault("incomeType");
        return new JsonArray([.. _income
            .Where(i => (type is null || (string)i["incomeType"]! == type) && (long)i["time"]! >= start && (long)i["time"]! <= end)
            .Select(i => i.DeepClone())]).ToJsonString();
    }

    private (int, string) Klines(ReceivedRequest request)
    {
        var p = ReceivedRequest.QueryHelpers(request.Query);
        lock (_gate)
        {
            if (!_klines.TryGetValue((p["symbol"], p["interval"]), out var rows))
            {
                return Error(400, -1121, "Invalid symbol.");
            }

            var start = long.Parse(p["startTime"], CultureInfo.InvariantCulture);
            var end = long.Parse(p["endTime"], CultureInfo.InvariantCulture);
            var limit = int.Parse(p["limit"], CultureInfo.InvariantCulture);
            var selected = rows.Where(f => long.Parse(f[0], CultureInfo.InvariantCulture) >= start && long.Parse(f[0], CultureInfo.InvariantCulture) <= end).Take(limit);
            return (200, "[" + string.Join(',', selected.Select(f =>
                $"[{f[0]},\"{f[1]}\",\"{f[2]}\",\"{f[3]}\",\"{f[4]}\",\"{f[5]}\",{f[6]},\"{f[7]}\",{f[8]},\"{f[9]}\",\"{f[10]}\",\"0\"]")) + "]");
        }
    }

    private string ExchangeInfo()
    {
        lock (_gate)
        {
            return new JsonObject
            {
                ["exchangeFilters"] = new JsonArray(),
                ["rateLimits"] = new JsonArray(
                    new JsonObject { ["interval"] = "MINUTE", ["intervalNum"] = 1, ["limit"] = 2400, ["rateLimitType"] = "REQUEST_WEIGHT" },
                    new JsonObject { ["interval"] = "MINUTE", ["intervalNum"] = 1, ["limit"] = 1200, ["rateLimitType"] = "ORDERS" }),
                ["serverTime"] = NowMs(),
                ["assets"] = new JsonArray(new JsonObject { ["asset"] = "USDT", ["marginAvailable"] = true, ["autoAssetExchange"] = 0 }),
                ["symbols"] = new JsonArray([.. _symbols.Values.Select(s => (JsonNode)new JsonObject
                {
                    ["symbol"] = s.Symbol, ["pair"] = s.Symbol, ["contractType"] = "PERPETUAL", ["deliveryDate"] = 4133404800000, ["onboardDate"] = 1598252400000,
                    ["status"] = "TRADING", ["maintMarginPercent"] = "2.5000", ["requiredMarginPercent"] = "5.0000", ["baseAsset"] = s.Symbol[..^4],
                    ["quoteAsset"] = "USDT", ["marginAsset"] = "USDT", ["pricePrecision"] = 2, ["quantityPrecision"] = 3, ["baseAssetPrecision"] = 8,
                    ["quotePrecision"] = 8, ["underlyingType"] = "COIN", ["underlyingSubType"] = new JsonArray(), ["settlePlan"] = 0, ["triggerProtect"] = "0.15",
                    ["filters"] = new JsonArray(
                        new JsonObject { ["filterType"] = "PRICE_FILTER", ["maxPrice"] = Text(s.MaxPrice), ["minPrice"] = Text(s.MinPrice), ["tickSize"] = Text(s.TickSize) },
                        new JsonObject { ["filterType"] = "LOT_SIZE", ["maxQty"] = Text(s.MaxQuantity), ["minQty"] = Text(s.MinQuantity), ["stepSize"] = Text(s.StepSize) },
                        new JsonObject { ["filterType"] = "MARKET_LOT_SIZE", ["maxQty"] = Text(s.MaxQuantity), ["minQty"] = Text(s.MinQuantity), ["stepSize"] = Text(s.StepSize) },
                        new JsonObject { ["filterType"] = "MAX_NUM_ORDERS", ["limit"] = 200 },
                        new JsonObject { ["filterType"] = "MIN_NOTIONAL", ["notional"] = Text(s.MinNotional) }),
                    ["OrderType"] = new JsonArray("LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"),
                    ["timeInForce"] = new JsonArray("GTC", "IOC", "FOK", "GTX"),
                    ["liquidationFee"] = "0.010000", ["marketTakeBound"] = "0.30",
                })]),
                ["timezone"] = "UTC",
            }.ToJsonString();
        }
    }

    private JsonNode OrderJson(FakeOrder o) => new JsonObject
    {
        ["orderId"] = o.OrderId,
        ["symbol"] = o.Symbol,
        ["status"] = o.Status,
        ["clientOrderId"] = o.ClientOrderId,
        ["price"] = Text(o.Price),
        ["avgPrice"] = Text(o.AveragePrice),
        ["origQty"] = Text(o.Quantity),
        ["executedQty"] = Text(o.Executed),
        ["cumQty"] = Text(o.Executed),
        ["cumQuote"] = Text(o.Quote),
        ["timeInForce"] = o.TimeInForce,
        ["type"] = o.Type,
        ["reduceOnly"] = o.ReduceOnly,
        ["closePosition"] = false,
        ["side"] = o.Side,
        ["positionSide"] = "BOTH",
        ["stopPrice"] = Text(o.StopPrice),
        ["workingType"] = o.WorkingType,
        ["priceProtect"] = false,
        ["origType"] = o.Type,
        ["priceMatch"] = "NONE",
        ["selfTradePreventionMode"] = "NONE",
        ["goodTillDate"] = 0,
        ["updateTime"] = o.UpdateTime,
    };

    private string OrderUpdate(FakeOrder o, string execution, FakeFill? fill)
    {
        var update = new JsonObject
        {
            ["s"] = o.Symbol,
            ["c"] = o.ClientOrderId,
            ["S"] = o.Side,
            ["o"] = o.Type,
            ["f"] = o.TimeInForce,
            ["q"] = Text(o.Quantity),
            ["p"] = Text(o.Price),
            ["ap"] = Text(o.AveragePrice),
            ["sp"] = Text(o.StopPrice),
            ["x"] = execution,
            ["X"] = o.Status,
            ["i"] = o.OrderId,
            ["l"] = Text(fill?.Quantity ?? 0m),
            ["z"] = Text(o.Executed),
            ["L"] = Text(fill?.Price ?? 0m),
            ["T"] = o.UpdateTime,
            ["t"] = fill?.Id ?? 0,
            ["b"] = "0",
            ["a"] = "0",
            ["m"] = fill?.Maker ?? false,
            ["R"] = o.ReduceOnly,
            ["wt"] = o.WorkingType,
            ["ot"] = o.Type,
            ["ps"] = "BOTH",
            ["cp"] = false,
            ["pP"] = false,
            ["si"] = 0,
            ["ss"] = 0,
            ["rp"] = Text(fill?.RealizedPnl ?? 0m),
            ["V"] = "EXPIRE_MAKER",
            ["pm"] = "NONE",
            ["gtd"] = 0,
        };
        if (fill is not null)
        {
            update["N"] = "USDT";
            update["n"] = Text(fill.Commission);
        }

        return new JsonObject { ["e"] = "ORDER_TRADE_UPDATE", ["E"] = NowMs(), ["T"] = o.UpdateTime, ["o"] = update }.ToJsonString();
    }

    private string AccountUpdate(string reason, decimal change, string[] symbols) =>
        new JsonObject
        {
            ["e"] = "ACCOUNT_UPDATE",
            ["E"] = NowMs(),
            ["T"] = NowMs(),
            ["a"] = new JsonObject
            {
                ["m"] = reason,
                ["B"] = new JsonArray(new JsonObject { ["a"] = "USDT", ["wb"] = Text(Wallet), ["cw"] = Text(Wallet), ["bc"] = Text(change) }),
                ["P"] = new JsonArray([.. symbols.Select(s => (JsonNode)new JsonObject
                {
                    ["s"] = s, ["pa"] = Text(_positions.GetValueOrDefault(s).Amount), ["ep"] = Text(_positions.GetValueOrDefault(s).Entry), ["bep"] = "0",
                    ["cr"] = "0", ["up"] = "0", ["mt"] = _marginType[s] == "CROSSED" ? "cross" : "isolated", ["iw"] = "0", ["ps"] = "BOTH",
                })]),
            },
        }.ToJsonString();

    private async Task PushUser(IEnumerable<string> messages)
    {
        var key = ListenKey;
        if (key is null)
        {
            return;
        }

        foreach (var message in messages)
        {
            await Host.PushAsync("/ws/" + key, message);
        }
    }

    private static (int, string) Error(int status, int code, string message) =>
        (status, new JsonObject { ["code"] = code, ["msg"] = message }.ToJsonString());

    private static string Text(decimal value) => value.ToString("0.########", CultureInfo.InvariantCulture);
}
