using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using StrategyLab.Exchanges.Tests.Fakes;

namespace StrategyLab.Exchanges.Tests.Mexc;

/// <summary>
/// A MEXC contract venue on <see cref="FakeVenueHost"/>, with two contracts: BTC_USDT (contract size 0.001 BTC, price
/// unit 0.1) and ETH_USDT (0.01 ETH, 0.01), volume unit 1, minimum 1 contract, leverage 1 to 125. It checks <c>ApiKey</c>, <c>Request-Time</c> against
/// <c>Recv-Window</c> (seconds) and the <c>Signature</c> header with its own HMAC-SHA256 over key + time + parameter
/// string, answers in MEXC's envelope with MEXC's codes (tests/Exchanges.Tests/TestData/mexc/README.md), keeps a
/// one-way cross account in contracts, and matches orders against a scripted book and trade tape: market and crossing
/// limits take the book level by level, a post-only order that would take is cancelled with errorCode 20, a resting
/// limit fills as the tape trades through it (partly when the tape is smaller), and a trigger order on the closing
/// side fires a market close when the tape reaches it. The websocket <c>/edge</c> answers ping, sub.kline and login,
/// and pushes klines and the account's order changes. Faults are scripted through <see cref="Host"/>.
/// </summary>
internal sealed partial class FakeMexcVenue : IAsyncDisposable
{
    public const string Symbol = "BTC_USDT";
    public const string SecondSymbol = "ETH_USDT";
    public const decimal ContractSize = 0.001m;
    public const decimal MakerFee = 0.0002m;
    public const decimal TakerFee = 0.0005m;

    private readonly Lock _gate = new();
    private readonly List<Order> _orders = [];
    private readonly List<Plan> _plans = [];
    private readonly List<JsonObject> _deals = [];
    private readonly List<JsonObject> _funding = [];
    private readonly SortedDictionary<long, decimal[]> _klines = [];
    private readonly Dictionary<string, (decimal Size, decimal PriceUnit)> _contracts = new(StringComparer.Ordinal)
    {
        [Symbol] = (ContractSize, 0.1m),
        [SecondSymbol] = (0.01m, 0.01m),
    };

    private readonly Dictionary<string, List<(decimal Price, decimal Vol)>> _bids = new(StringComparer.Ordinal) { [Symbol] = [], [SecondSymbol] = [] };
    private readonly Dictionary<string, List<(decimal Price, decimal Vol)>> _asks = new(StringComparer.Ordinal) { [Symbol] = [], [SecondSymbol] = [] };
    private readonly Dictionary<string, Holding> _holdings = new(StringComparer.Ordinal) { [Symbol] = new(), [SecondSymbol] = new() };
    private long _nextId = 700_000;
    private int _positionMode = 1;
    private int _logins;

    private FakeMexcVenue(string apiKey, string secret)
    {
        ApiKey = apiKey;
        Secret = secret;
    }

    public string ApiKey { get; }

    public string Secret { get; }

    public FakeVenueHost Host { get; private set; } = null!;

    /// <summary>The venue's clock.</summary>
    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    /// <summary>The USDT wallet.</summary>
    public decimal Wallet { get; private set; } = 10_000m;

    public int PositionMode => _positionMode;

    /// <summary>Logins the venue accepted, ever.</summary>
    public int Logins => Volatile.Read(ref _logins);

    /// <summary>Websocket sessions logged in.</summary>
    public int LoggedInSessions => Host.OpenStreams(StreamPath, LoggedInTag);

    public int Leverage { get; private set; } = 20;

    /// <summary>Placements received: order submits and trigger orders.</summary>
    public int OrdersReceived => Host.RequestsTo("POST", "/api/v1/private/order/submit").Count + Host.RequestsTo("POST", "/api/v1/private/planorder/place").Count;

    /// <summary>The one websocket path, for market and account streams alike.</summary>
    public const string StreamPath = "/edge";

    /// <summary>The tag of a session subscribed to klines.</summary>
    public const string KlineTag = "sub.kline";

    /// <summary>The tag of a session logged in.</summary>
    public const string LoggedInTag = "login";

    private const string LoginAnsweredTag = "login-answered";

    public static async Task<FakeMexcVenue> StartAsync(string apiKey, string secret)
    {
        var venue = new FakeMexcVenue(apiKey, secret);
        venue.Host = await FakeVenueHost.StartAsync(venue.AnswerAsync, path => path == StreamPath, venue.OnMessageAsync);
        venue.Host.Headers = _ => new Dictionary<string, string> { ["Date"] = venue.Now().ToString("R", CultureInfo.InvariantCulture) };
        return venue;
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();

    /// <summary>Sets the book of BTC_USDT in base-asset quantities, best first.</summary>
    public void SetBook((decimal Price, decimal Quantity)[] bids, (decimal Price, decimal Quantity)[] asks) => SetBook(Symbol, bids, asks);

    /// <summary>Sets a contract's book in base-asset quantities, best first.</summary>
    public void SetBook(string symbol, (decimal Price, decimal Quantity)[] bids, (decimal Price, decimal Quantity)[] asks)
    {
        lock (_gate)
        {
            var size = _contracts[symbol].Size;
            _bids[symbol] = [.. bids.Select(b => (b.Price, b.Quantity / size))];
            _asks[symbol] = [.. asks.Select(a => (a.Price, a.Quantity / size))];
        }
    }

    /// <summary>Every order the venue took, oldest first: client id, contract, state, errorCode and base-asset quantity filled.</summary>
    public IReadOnlyList<(string ExternalOid, string Symbol, int State, int ErrorCode, decimal Executed)> Orders()
    {
        lock (_gate)
        {
            return [.. _orders.Select(o => (o.ExternalOid, o.Symbol, o.State, o.ErrorCode, o.DealVol * _contracts[o.Symbol].Size))];
        }
    }

    /// <summary>The signed position held in <paramref name="symbol"/>, in the base asset.</summary>
    public decimal Position(string symbol)
    {
        lock (_gate)
        {
            return _holdings[symbol].Vol * _contracts[symbol].Size;
        }
    }

    /// <summary>A closed kline in base-asset volume (served as contracts).</summary>
    public void AddKline(long openTimeMs, decimal open, decimal high, decimal low, decimal close, decimal volume)
    {
        lock (_gate)
        {
            _klines[openTimeMs / 1000] = [open, high, low, close, volume / ContractSize];
        }
    }

    /// <summary>Pushes a kline of the window starting at <paramref name="openTimeMs"/> to its subscribers.</summary>
    public async Task PushKlineAsync(long openTimeMs, decimal open, decimal high, decimal low, decimal close, decimal volume)
    {
        var data = new JsonObject
        {
            ["a"] = close * volume,
            ["c"] = close,
            ["h"] = high,
            ["interval"] = "Min1",
            ["l"] = low,
            ["o"] = open,
            ["q"] = volume / ContractSize,
            ["rc"] = close,
            ["rh"] = high,
            ["rl"] = low,
            ["ro"] = open,
            ["symbol"] = Symbol,
            ["t"] = openTimeMs / 1000,
        };
        var text = new JsonObject { ["channel"] = "push.kline", ["data"] = data, ["symbol"] = Symbol, ["ts"] = NowMs() }.ToJsonString();
        await Host.PushAsync(StreamPath, text, KlineTag);
    }

    /// <summary>A trade on BTC_USDT's tape: resting limits it reaches fill, trigger orders it reaches fire.</summary>
    public async Task TradeAsync(decimal price, decimal quantity)
    {
        List<Order> changed = [];
        lock (_gate)
        {
            var left = quantity / ContractSize;
            var holding = _holdings[Symbol];
            foreach (var order in _orders.Where(o => o.IsOpen && o.Symbol == Symbol).OrderBy(o => o.Id).ToList())
            {
                var reached = order.Buy ? price <= order.Price : price >= order.Price;
                if (reached && left > 0m)
                {
                    var fill = Math.Min(left, order.Vol - order.DealVol);
                    left -= fill;
                    Fill(order, order.Price, fill, maker: true);
                    changed.Add(order);
                }
            }

            foreach (var plan in _plans.Where(p => p.State == 1 && p.Symbol == Symbol).ToList())
            {
                var fires = plan.TriggerType == 2 ? price <= plan.TriggerPrice : price >= plan.TriggerPrice;
                if (fires)
                {
                    var closesLong = plan.Side == 4;
                    var order = NewOrder(Symbol, closesLong ? 3 : 1, 5, 0m, Math.Min(plan.Vol, closesLong ? Math.Max(holding.Vol, 0m) : Math.Max(-holding.Vol, 0m)), "", reduceOnly: true);
                    Take(order, limit: null);
                    if (order.IsOpen)
                    {
                        End(order, 4, 21);
                    }

                    plan.State = 3;
                    plan.OrderId = order.Id;
                    plan.UpdateTime = NowMs();
                    changed.Add(order);
                }
            }
        }

        await PushOrders(changed);
    }

    /// <summary>Settles funding on BTC_USDT at <paramref name="rate"/> on the position's value at <paramref name="markPrice"/>: a long pays a positive rate.</summary>
    public Task PayFundingAsync(decimal rate, decimal markPrice)
    {
        lock (_gate)
        {
            var held = _holdings[Symbol].Vol;
            var value = Math.Abs(held) * ContractSize * markPrice;
            var funding = -Math.Sign(held) * value * rate;
            Wallet += funding;
            _funding.Add(new JsonObject
            {
                ["id"] = _nextId++,
                ["symbol"] = Symbol,
                ["positionType"] = held >= 0 ? 1 : 2,
                ["positionValue"] = value,
                ["funding"] = funding,
                ["rate"] = rate,
                ["settleTime"] = NowMs(),
            });
        }

        return Task.CompletedTask;
    }

    private long NowMs() => Now().ToUnixTimeMilliseconds();

    // the stream's commands, answered on the session that sent them; subscribed and logged-in sessions are tagged for pushes
    private async Task OnMessageAsync(IStreamSession session, string text)
    {
        foreach (var reply in Answer(session, text))
        {
            await session.SendAsync(reply);
        }

        // a session hears the account's pushes once its login answer is on the wire, as at the venue: none overtakes it
        if (session.Tags.TryRemove(LoginAnsweredTag, out _))
        {
            session.Tags[LoggedInTag] = true;
        }
    }

    private IReadOnlyList<string> Answer(IStreamSession session, string text)
    {
        using var document = JsonDocument.Parse(text);
        var method = document.RootElement.GetProperty("method").GetString();
        switch (method)
        {
            case "ping":
                return [$"{{\"channel\":\"pong\",\"data\":{NowMs()}}}"];
            case "sub.kline":
                session.Tags[KlineTag] = true;
                return ["{\"channel\":\"rs.sub.kline\",\"data\":\"success\",\"ts\":0}"];
            case "login":
                var param = document.RootElement.GetProperty("param");
                var key = param.GetProperty("apiKey").GetString()!;
                var time = param.GetProperty("reqTime").GetString()!;
                var valid = key == ApiKey && param.GetProperty("signature").GetString() == Hmac(key + time);
                if (valid)
                {
                    session.Tags[LoginAnsweredTag] = true;
                    Interlocked.Increment(ref _logins);
                }

                return [$"{{\"channel\":\"rs.login\",\"data\":\"{(valid ? "success" : "signature verification failed")}\",\"ts\":{NowMs()}}}"];
            default:
                return [];
        }
    }

    private async Task<(int Status, string Body)> AnswerAsync(HttpContext context, ReceivedRequest request)
    {
        if (AnswerHistory(request) is { } history) return history;
        var path = request.Path.TrimStart('/');
        if (!path.StartsWith("api/v1/private/", StringComparison.Ordinal))
        {
            return Public(request, path);
        }

        var body = request.Body;
        if (Authenticate(request, body) is { } refusal)
        {
            return refusal;
        }

        var p = ReceivedRequest.QueryHelpers(request.Query);
        var route = path["api/v1/private/".Length..];
        List<Order> changed = [];
        (int, string) answer;
        lock (_gate)
        {
            answer = (request.Method, route) switch
            {
                ("POST", "order/submit") => Submit(JsonNode.Parse(body)!.AsObject(), changed),
                ("GET", var r) when r.StartsWith("order/external/", StringComparison.Ordinal) => Find(o => o.ExternalOid == r.Split('/')[^1]),
                ("GET", var r) when r.StartsWith("order/get/", StringComparison.Ordinal) => Find(o => o.Id.ToString(CultureInfo.InvariantCulture) == r.Split('/')[^1]),
                ("POST", "order/cancel_with_external") => CancelWithExternal(JsonNode.Parse(body)!.AsArray(), changed),
                ("GET", var r) when r.StartsWith("order/list/open_orders", StringComparison.Ordinal) => Ok(new JsonArray([.. _orders
                    .Where(o => o.IsOpen && (r == "order/list/open_orders" || o.Symbol == r.Split('/')[^1]))
                    .Select(Json)])),
                ("GET", "order/list/order_deals") => Ok(new JsonArray([.. _deals
                    .Where(d => (string)d["symbol"]! == p["symbol"])
                    .Where(d => (long)d["timestamp"]! >= long.Parse(p["start_time"], CultureInfo.InvariantCulture) && (long)d["timestamp"]! <= long.Parse(p["end_time"], CultureInfo.InvariantCulture))
                    .Select(d => d.DeepClone())])),
                ("POST", "planorder/place") => PlacePlan(JsonNode.Parse(body)!.AsObject()),
                ("GET", "planorder/list/orders") => Ok(new JsonArray([.. _plans.Where(plan => !p.TryGetValue("symbol", out var symbol) || plan.Symbol == symbol).Select(PlanJson)])),
                ("POST", "planorder/cancel") => CancelPlan(JsonNode.Parse(body)!.AsArray()),
                ("GET", "position/open_positions") => Ok(new JsonArray([.. _holdings.Where(h => h.Value.Vol != 0m).Select(h => PositionJson(h.Key, h.Value))])),
                ("GET", "account/assets") => Ok(new JsonArray(AssetJson())),
                ("GET", "position/funding_records") => Ok(new JsonObject
                {
                    ["pageSize"] = 100,
                    ["totalCount"] = _funding.Count,
                    ["totalPage"] = 1,
                    ["currentPage"] = 1,
                    ["resultList"] = new JsonArray([.. _funding.Select(f => f.DeepClone())]),
                }),
                ("GET", "position/position_mode") => Ok(JsonValue.Create(_positionMode)),
                ("POST", "position/change_position_mode") => SetMode(JsonNode.Parse(body)!["positionMode"]!.GetValue<int>()),
                ("POST", "position/change_leverage") => SetLeverage(JsonNode.Parse(body)!["leverage"]!.GetValue<int>()),
                _ => Error(1000, "Not found"),
            };
        }

        await PushOrders(changed);
        return answer;
    }

    private (int, string) Public(ReceivedRequest request, string path)
    {
        if (path == "api/v1/contract/ping")
        {
            return Ok(JsonValue.Create(NowMs()));
        }

        if (path == "api/v1/contract/detail")
        {
            return Ok(new JsonArray([.. _contracts.Select(c => (JsonNode)new JsonObject
            {
                ["symbol"] = c.Key,
                ["displayNameEn"] = $"{c.Key} PERPETUAL",
                ["positionOpenType"] = 3,
                ["baseCoin"] = c.Key[..c.Key.IndexOf('_', StringComparison.Ordinal)],
                ["quoteCoin"] = "USDT",
                ["settleCoin"] = "USDT",
                ["contractSize"] = c.Value.Size,
                ["minLeverage"] = 1,
                ["maxLeverage"] = 125,
                ["priceScale"] = c.Value.PriceUnit == 0.1m ? 1 : 2,
                ["volScale"] = 0,
                ["amountScale"] = 4,
                ["priceUnit"] = c.Value.PriceUnit,
                ["volUnit"] = 1,
                ["minVol"] = 1,
                ["maxVol"] = 10_000_000,
                ["takerFeeRate"] = TakerFee,
                ["makerFeeRate"] = MakerFee,
                ["state"] = 0,
                ["apiAllowed"] = true,
            })]));
        }

        if (path == $"api/v1/contract/kline/{Symbol}")
        {
            var p = ReceivedRequest.QueryHelpers(request.Query);
            var (start, end) = (long.Parse(p["start"], CultureInfo.InvariantCulture), long.Parse(p["end"], CultureInfo.InvariantCulture));
            lock (_gate)
            {
                var rows = _klines.Where(k => k.Key >= start && k.Key <= end).Take(2000).ToList();
                JsonArray Column(Func<KeyValuePair<long, decimal[]>, JsonNode?> f) => new([.. rows.Select(f)]);
                return Ok(new JsonObject
                {
                    ["time"] = Column(k => k.Key),
                    ["open"] = Column(k => k.Value[0]),
                    ["close"] = Column(k => k.Value[3]),
                    ["high"] = Column(k => k.Value[1]),
                    ["low"] = Column(k => k.Value[2]),
                    ["vol"] = Column(k => k.Value[4]),
                    ["amount"] = Column(k => k.Value[4] * ContractSize * k.Value[3]),
                });
            }
        }

        return (404, "{\"success\":false,\"code\":404,\"message\":\"not found\"}");
    }

    // the key, the Request-Time against Recv-Window, then the signature over key + time + parameter string
    private (int, string)? Authenticate(ReceivedRequest request, string body)
    {
        var headers = request.Headers;
        if (headers.GetValueOrDefault("ApiKey") != ApiKey)
        {
            return Error(401, "Not logged in or login expired");
        }

        if (!long.TryParse(headers.GetValueOrDefault("Request-Time"), out var time))
        {
            return Error(600, "Request-Time is missing");
        }

        var window = long.TryParse(headers.GetValueOrDefault("Recv-Window"), out var w) ? w : 10;
        if (Math.Abs(NowMs() - time) > window * 1000)
        {
            return Error(513, "Request-Time is outside the receive window");
        }

        var parameters = request.Method == "POST"
            ? body
            : string.Join('&', ReceivedRequest.QueryHelpers(request.Query).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
        return headers.GetValueOrDefault("Signature") == Hmac(ApiKey + time.ToString(CultureInfo.InvariantCulture) + parameters)
            ? null
            : Error(602, "Signature verification failed!");
    }

    private string Hmac(string target) =>
        string.Concat(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(target)).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    private (int, string) Submit(JsonObject p, List<Order> changed)
    {
        var symbol = (string?)p["symbol"] ?? "";
        if (!_contracts.TryGetValue(symbol, out var contract))
        {
            return Error(1001, "contract not exists");
        }

        var vol = (decimal)p["vol"]!;
        var price = p["price"] is { } px ? (decimal)px : 0m;
        var side = (int)p["side"]!;
        var type = (int)p["type"]!;
        var reduceOnly = p["reduceOnly"] is { } ro && (bool)ro;
        var oid = (string?)p["externalOid"] ?? "";
        if ((int?)p["positionMode"] != _positionMode)
        {
            return Error(2022, "wrong position type");
        }

        if (vol <= 0m || vol % 1m != 0m || (type != 5 && price % contract.PriceUnit != 0m))
        {
            return Error(2015, "price or quantity accuracy error");
        }

        if (vol > 10_000_000m)
        {
            return Error(2011, "order quantity error");
        }

        var buy = side == 1;
        var held = _holdings[symbol].Vol;
        if (reduceOnly && (held == 0m || buy == held > 0m))
        {
            return Error(2009, "positions do not exist or have been closed");
        }

        var reference = type == 5 ? (buy ? _asks[symbol][0].Price : _bids[symbol][0].Price) : price;
        if (!reduceOnly && vol * contract.Size * reference / Leverage > Available())
        {
            return Error(2005, "balance insufficient");
        }

        var order = NewOrder(symbol, side, type, price, vol, oid, reduceOnly);
        changed.Add(order);
        var crosses = type != 5 && (buy ? price >= _asks[symbol][0].Price : price <= _bids[symbol][0].Price);
        if (type == 2 && crosses)
        {
            End(order, 4, 20);
        }
        else if (type == 5 || crosses)
        {
            Take(order, type == 5 ? null : price);
            if (order.IsOpen && type is 5 or 3)
            {
                End(order, 4, type == 5 ? 21 : 18);
            }
        }

        return Ok(JsonValue.Create(order.Id.ToString(CultureInfo.InvariantCulture)));
    }

    private (int, string) CancelWithExternal(JsonArray list, List<Order> changed)
    {
        var results = new JsonArray();
        foreach (var item in list)
        {
            var order = _orders.LastOrDefault(o => o.ExternalOid == (string?)item!["externalOid"]);
            var code = order is null ? 2040 : !order.IsOpen ? 2041 : 0;
            if (code == 0)
            {
                End(order!, 4, 0);
                changed.Add(order!);
            }

            results.Add(new JsonObject { ["orderId"] = order?.Id ?? 0, ["errorCode"] = code, ["errorMsg"] = code switch { 2040 => "order not exist", 2041 => "order state cannot be cancelled", _ => "success" } });
        }

        return Ok(results);
    }

    private (int, string) PlacePlan(JsonObject p)
    {
        var side = (int)p["side"]!;
        if (side is not (2 or 4) && (int)p["triggerType"]! is not (1 or 2))
        {
            return Error(2001, "wrong order direction");
        }

        var plan = new Plan { Id = _nextId++, Symbol = (string?)p["symbol"] ?? Symbol, Side = side, Vol = (decimal)p["vol"]!, TriggerPrice = (decimal)p["triggerPrice"]!, TriggerType = (int)p["triggerType"]!, UpdateTime = NowMs() };
        _plans.Add(plan);
        return Ok(JsonValue.Create(plan.Id.ToString(CultureInfo.InvariantCulture)));
    }

    private (int, string) CancelPlan(JsonArray list)
    {
        foreach (var item in list)
        {
            var plan = _plans.FirstOrDefault(p => p.Id.ToString(CultureInfo.InvariantCulture) == (string?)item!["orderId"]);
            if (plan is null || plan.State != 1)
            {
                return Error(2040, "order not exist");
            }

            plan.State = 2;
            plan.UpdateTime = NowMs();
        }

        return Ok(JsonValue.Create(true));
    }

    private (int, string) SetMode(int mode)
    {
        if (_holdings.Values.Any(h => h.Vol != 0m) || _orders.Any(o => o.IsOpen))
        {
            return Error(2019, "there is an active open position");
        }

        _positionMode = mode;
        return Ok(JsonValue.Create(0));
    }

    private (int, string) SetLeverage(int leverage)
    {
        if (leverage is < 1 or > 125)
        {
            return Error(2006, "leverage ratio error");
        }

        Leverage = leverage;
        return Ok(JsonValue.Create(0));
    }

    private Order NewOrder(string symbol, int side, int type, decimal price, decimal vol, string oid, bool reduceOnly)
    {
        var order = new Order { Id = _nextId++, Symbol = symbol, Side = side, Type = type, Price = price, Vol = vol, ExternalOid = oid, ReduceOnly = reduceOnly, UpdateTime = NowMs() };
        _orders.Add(order);
        return order;
    }

    private void Take(Order order, decimal? limit)
    {
        var book = order.Buy ? _asks[order.Symbol] : _bids[order.Symbol];
        while (order.IsOpen && book.Count > 0)
        {
            var (price, available) = book[0];
            if (limit is { } l && (order.Buy ? price > l : price < l))
            {
                break;
            }

            var fill = Math.Min(order.Vol - order.DealVol, available);
            Fill(order, price, fill, maker: false);
            if (fill == available)
            {
                book.RemoveAt(0);
            }
            else
            {
                book[0] = (price, available - fill);
            }
        }
    }

    private void Fill(Order order, decimal price, decimal vol, bool maker)
    {
        if (vol <= 0m)
        {
            return;
        }

        order.Quote += price * vol;
        order.DealVol += vol;
        order.State = order.DealVol == order.Vol ? 3 : 2;
        order.UpdateTime = NowMs();
        var signed = order.Buy ? vol : -vol;
        var realized = 0m;
        var size = _contracts[order.Symbol].Size;
        var h = _holdings[order.Symbol];
        if (h.Vol != 0m && Math.Sign(h.Vol) != Math.Sign(signed))
        {
            var closed = Math.Min(Math.Abs(h.Vol), vol);
            realized = closed * size * (price - h.Entry) * Math.Sign(h.Vol);
            var after = h.Vol + signed;
            (h.Vol, h.Entry) = after == 0m ? (0m, 0m) : Math.Sign(after) == Math.Sign(h.Vol) ? (after, h.Entry) : (after, price);
        }
        else
        {
            var after = h.Vol + signed;
            h.Entry = ((Math.Abs(h.Vol) * h.Entry) + (vol * price)) / Math.Abs(after);
            h.Opened = h.Vol == 0m ? NowMs() : h.Opened;
            h.Vol = after;
        }

        var fee = price * vol * size * (maker ? MakerFee : TakerFee);
        Wallet += realized - fee;
        _deals.Add(new JsonObject
        {
            ["id"] = (_nextId++).ToString(CultureInfo.InvariantCulture),
            ["symbol"] = order.Symbol,
            ["side"] = order.Side,
            ["vol"] = vol,
            ["price"] = price,
            ["feeCurrency"] = "USDT",
            ["fee"] = fee,
            ["timestamp"] = order.UpdateTime,
            ["profit"] = realized,
            ["category"] = 1,
            ["orderId"] = order.Id.ToString(CultureInfo.InvariantCulture),
            ["positionMode"] = 2,
            ["isTaker"] = !maker,
        });
    }

    private void End(Order order, int state, int errorCode)
    {
        order.State = state;
        order.ErrorCode = errorCode;
        order.UpdateTime = NowMs();
    }

    private decimal Available()
    {
        var used = _holdings.Sum(h => Math.Abs(h.Value.Vol) * _contracts[h.Key].Size * h.Value.Entry / Leverage)
            + _orders.Where(o => o.IsOpen && !o.ReduceOnly).Sum(o => (o.Vol - o.DealVol) * _contracts[o.Symbol].Size * o.Price / Leverage);
        return Wallet - used;
    }

    private (int, string) Find(Func<Order, bool> match) =>
        _orders.LastOrDefault(match) is { } order ? Ok(Json(order)) : Error(2040, "order not exist");

    private JsonNode Json(Order o) => new JsonObject
    {
        ["orderId"] = o.Id.ToString(CultureInfo.InvariantCulture),
        ["symbol"] = o.Symbol,
        ["positionId"] = 0,
        ["price"] = o.Price,
        ["vol"] = o.Vol,
        ["leverage"] = Leverage,
        ["side"] = o.Side,
        ["category"] = 1,
        ["orderType"] = o.Type,
        ["dealAvgPrice"] = o.DealVol == 0m ? 0m : Math.Round(o.Quote / o.DealVol, 8),
        ["dealVol"] = o.DealVol,
        ["orderMargin"] = 0,
        ["takerFee"] = 0,
        ["makerFee"] = 0,
        ["profit"] = 0,
        ["feeCurrency"] = "USDT",
        ["openType"] = 2,
        ["state"] = o.State,
        ["externalOid"] = o.ExternalOid,
        ["errorCode"] = o.ErrorCode,
        ["usedMargin"] = 0,
        ["createTime"] = o.UpdateTime,
        ["updateTime"] = o.UpdateTime,
        ["positionMode"] = _positionMode,
        ["reduceOnly"] = o.ReduceOnly,
    };

    private JsonNode PlanJson(Plan p) => new JsonObject
    {
        ["id"] = p.Id.ToString(CultureInfo.InvariantCulture),
        ["symbol"] = p.Symbol,
        ["leverage"] = Leverage,
        ["side"] = p.Side,
        ["triggerPrice"] = p.TriggerPrice,
        ["price"] = 0,
        ["vol"] = p.Vol,
        ["openType"] = 2,
        ["triggerType"] = p.TriggerType,
        ["state"] = p.State,
        ["executeCycle"] = 2,
        ["trend"] = 1,
        ["orderType"] = 5,
        ["orderId"] = p.OrderId?.ToString(CultureInfo.InvariantCulture),
        ["errorCode"] = 0,
        ["createTime"] = p.UpdateTime,
        ["updateTime"] = p.UpdateTime,
    };

    private JsonNode PositionJson(string symbol, Holding h) => new JsonObject
    {
        ["positionId"] = symbol == Symbol ? 1 : 2,
        ["symbol"] = symbol,
        ["positionType"] = h.Vol > 0m ? 1 : 2,
        ["openType"] = 2,
        ["state"] = 1,
        ["holdVol"] = Math.Abs(h.Vol),
        ["frozenVol"] = 0,
        ["closeVol"] = 0,
        ["holdAvgPrice"] = h.Entry,
        ["openAvgPrice"] = h.Entry,
        ["closeAvgPrice"] = 0,
        ["liquidatePrice"] = 0,
        ["oim"] = 0,
        ["im"] = 0,
        ["holdFee"] = 0,
        ["realised"] = 0,
        ["leverage"] = Leverage,
        ["createTime"] = h.Opened,
        ["updateTime"] = NowMs(),
        ["autoAddIm"] = false,
    };

    private JsonNode AssetJson() => new JsonObject
    {
        ["currency"] = "USDT",
        ["positionMargin"] = _holdings.Sum(h => Math.Abs(h.Value.Vol) * _contracts[h.Key].Size * h.Value.Entry / Leverage),
        ["availableBalance"] = Available(),
        ["cashBalance"] = Available(),
        ["frozenBalance"] = 0,
        ["equity"] = Wallet,
        ["unrealized"] = 0,
        ["bonus"] = 0,
    };

    private async Task PushOrders(List<Order> changed)
    {
        List<string> messages;
        lock (_gate)
        {
            messages = [.. changed.Distinct().Select(o => new JsonObject { ["channel"] = "push.personal.order", ["data"] = Json(o), ["ts"] = NowMs() }.ToJsonString())];
        }

        foreach (var message in messages)
        {
            await Host.PushAsync(StreamPath, message, LoggedInTag);
        }
    }

    private static (int, string) Ok(JsonNode? data) => (200, new JsonObject { ["success"] = true, ["code"] = 0, ["data"] = data }.ToJsonString());

    private static (int, string) Error(int code, string message) =>
        (200, new JsonObject { ["success"] = false, ["code"] = code, ["message"] = message }.ToJsonString());

    private sealed class Order
    {
        public long Id { get; init; }
        public string Symbol { get; init; } = FakeMexcVenue.Symbol;
        public int Side { get; init; }
        public int Type { get; init; }
        public decimal Price { get; init; }
        public decimal Vol { get; init; }
        public string ExternalOid { get; init; } = "";
        public bool ReduceOnly { get; init; }
        public decimal DealVol { get; set; }
        public decimal Quote { get; set; }
        public int State { get; set; } = 2;
        public int ErrorCode { get; set; }
        public long UpdateTime { get; set; }

        public bool Buy => Side is 1 or 2;

        public bool IsOpen => State is 1 or 2;
    }

    private sealed class Plan
    {
        public long Id { get; init; }
        public string Symbol { get; init; } = FakeMexcVenue.Symbol;
        public int Side { get; init; }
        public decimal Vol { get; init; }
        public decimal TriggerPrice { get; init; }
        public int TriggerType { get; init; }
        public int State { get; set; } = 1;
        public long? OrderId { get; set; }
        public long UpdateTime { get; set; }
    }

    // a contract's one-way position: signed contracts, entry price, and when it was opened
    private sealed class Holding
    {
        public decimal Vol { get; set; }
        public decimal Entry { get; set; }
        public long Opened { get; set; }
    }
}
