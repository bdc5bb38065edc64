using System.Globalization;
using System.Text.Json;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Bybit.Http;

/// <summary>
/// Reads Bybit v5 answers and stream messages into models. Decimals arrive as strings, empty when not applicable
/// (<c>"avgPrice": ""</c> before a fill), read as 0; times are Unix milliseconds as numbers or numeric strings. A missing
/// field or one of another kind throws <see cref="BybitMalformedBody"/> naming it. Shapes are those of the pages listed
/// in tests/Exchanges.Tests/TestData/bybit/README.md.
/// </summary>
internal static class BybitParse
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 16 };

    public static JsonDocument Open(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            throw new BybitMalformedBody("the body is empty");
        }

        try
        {
            return JsonDocument.Parse(body.ToArray(), Options);
        }
        catch (JsonException)
        {
            throw new BybitMalformedBody($"the body is not valid JSON ({body.Length} bytes)");
        }
    }

    /// <summary>The envelope's <c>retCode</c> and <c>retMsg</c>, or null when the body is not an envelope (an HTML error page).</summary>
    public static BybitEnvelope? Envelope(ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = Open(body);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("retCode", out var code) && code.TryGetInt32(out var value)
                ? new BybitEnvelope(value, root.TryGetProperty("retMsg", out var message) ? message.ToString() : "")
                : null;
        }
        catch (BybitMalformedBody)
        {
            return null;
        }
    }

    /// <summary>The <c>result</c> object of a successful answer, read by <paramref name="read"/>.</summary>
    public static T Result<T>(byte[] body, Func<JsonElement, T> read)
    {
        using var document = Open(body);
        return read(Object(Field(document.RootElement, "result", "the answer"), "result"));
    }

    /// <summary><c>GET /v5/market/time</c>: the server time in milliseconds, from <c>timeNano</c> (the envelope's <c>time</c> otherwise).</summary>
    public static long ServerTime(byte[] body)
    {
        using var document = Open(body);
        var result = Field(document.RootElement, "result", "the answer");
        if (result.TryGetProperty("timeNano", out var nano) && long.TryParse(nano.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ns))
        {
            return ns / 1_000_000;
        }

        return Long(document.RootElement, "time", "the answer");
    }

    public static BybitPage<BybitInstrument> Instruments(byte[] body) => Result(body, r => Page(r, i => new BybitInstrument(
        Str(i, "symbol"),
        Str(i, "contractType"),
        Str(i, "status"),
        Str(i, "baseCoin"),
        Str(i, "quoteCoin"),
        Str(i, "settleCoin"),
        Dec(Field(i, "priceFilter", "an instrument"), "tickSize"),
        Dec(Field(i, "lotSizeFilter", "an instrument"), "qtyStep"),
        Dec(Field(i, "lotSizeFilter", "an instrument"), "minOrderQty"),
        Field(i, "lotSizeFilter", "an instrument").TryGetProperty("minNotionalValue", out _) ? Dec(Field(i, "lotSizeFilter", "an instrument"), "minNotionalValue") : 0m,
        Dec(Field(i, "leverageFilter", "an instrument"), "maxLeverage"))));

    /// <summary><c>GET /v5/market/kline</c>: rows of [start, open, high, low, close, volume, turnover], newest first as sent.</summary>
    public static IReadOnlyList<BybitKline> Klines(byte[] body) => Result(body, r =>
    {
        var rows = new List<BybitKline>();
        foreach (var row in Array(Field(r, "list", "result"), "result.list").EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() < 6)
            {
                throw new BybitMalformedBody("a kline is not an array of at least 6 values");
            }

            rows.Add(new BybitKline(
                long.Parse(row[0].GetString() ?? "", NumberStyles.None, CultureInfo.InvariantCulture),
                row[1].GetString()!, row[2].GetString()!, row[3].GetString()!, row[4].GetString()!, row[5].GetString()!));
        }

        return (IReadOnlyList<BybitKline>)rows;
    });

    /// <summary>
    /// <c>GET /v5/market/kline</c> for history: each candle's seven strings (start, open, high, low, close, volume,
    /// turnover; https://bybit-exchange.github.io/docs/v5/market/kline), the numbers read exactly, in the venue's order
    /// (newest first).
    /// </summary>
    public static IReadOnlyList<BybitHistoryKline> HistoryKlines(byte[] body) => Result(body, r =>
    {
        var rows = new List<BybitHistoryKline>();
        foreach (var row in Array(Field(r, "list", "result"), "result.list").EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != 7)
            {
                throw new BybitMalformedBody("a kline is not an array of 7 values");
            }

            rows.Add(new BybitHistoryKline(
                Whole(row[0], "startTime"), Exact(row[1], "openPrice"), Exact(row[2], "highPrice"), Exact(row[3], "lowPrice"),
                Exact(row[4], "closePrice"), Exact(row[5], "volume"), Exact(row[6], "turnover")));
        }

        return (IReadOnlyList<BybitHistoryKline>)rows;
    });

    /// <summary><c>GET /v5/market/funding/history</c>: symbol, rate and settlement time of each record, newest first.</summary>
    public static IReadOnlyList<BybitFundingRate> FundingHistory(byte[] body) => Result(body, r =>
    {
        var rows = new List<BybitFundingRate>();
        foreach (var row in Array(Field(r, "list", "result"), "result.list").EnumerateArray())
        {
            rows.Add(new BybitFundingRate(
                Str(row, "symbol"),
                Exact(Field(row, "fundingRate", "a funding record"), "fundingRate"),
                Whole(Field(row, "fundingRateTimestamp", "a funding record"), "fundingRateTimestamp")));
        }

        return (IReadOnlyList<BybitFundingRate>)rows;
    });

    /// <summary><c>POST /v5/order/create</c> and <c>/v5/order/cancel</c>: the order's ids.</summary>
    public static (string OrderId, string OrderLinkId) OrderIds(byte[] body) => Result(body, r => (Str(r, "orderId"), Str(r, "orderLinkId")));

    public static BybitPage<BybitOrder> Orders(byte[] body) => Result(body, r => Page(r, Order));

    public static BybitPage<BybitPosition> Positions(byte[] body) => Result(body, r => Page(r, Position));

    /// <summary>
    /// <c>GET /v5/account/wallet-balance</c>: each coin's wallet balance, and what is free for new orders: the wallet
    /// balance less the initial margin of positions and orders and what is locked (a field older answers lack).
    /// </summary>
    public static IReadOnlyList<BybitCoinBalance> Balances(byte[] body) => Result(body, r =>
    {
        var coins = new List<BybitCoinBalance>();
        foreach (var account in Array(Field(r, "list", "result"), "result.list").EnumerateArray())
        {
            foreach (var coin in Array(Field(account, "coin", "an account"), "coin").EnumerateArray())
            {
                var wallet = Dec(coin, "walletBalance");
                var tied = Dec(coin, "totalPositionIM") + Dec(coin, "totalOrderIM") + OptionalDec(coin, "locked");

                // margin may be held in another coin of the unified account: what is free of this one is never below 0
                coins.Add(new BybitCoinBalance(Str(coin, "coin"), wallet, Math.Max(0m, wallet - tied)));
            }
        }

        return (IReadOnlyList<BybitCoinBalance>)coins;
    });

    public static BybitPage<BybitExecution> Executions(byte[] body) => Result(body, r => Page(r, Execution));

    public static BybitPage<BybitTransaction> Transactions(byte[] body) => Result(body, r => Page(r, t => new BybitTransaction(
        Str(t, "id"), Str(t, "symbol"), Str(t, "type"), Str(t, "currency"), Dec(t, "change"), Time(t, "transactionTime"))));

    /// <summary><c>POST /v5/position/set-leverage</c> and others whose result is empty: only the envelope matters.</summary>
    public static bool Done(byte[] body)
    {
        using var document = Open(body);
        return true;
    }

    public static BybitOrder Order(JsonElement o) => new(
        Str(o, "orderId"),
        Str(o, "orderLinkId"),
        Str(o, "symbol"),
        Side(o, "side"),
        Str(o, "orderType"),
        Dec(o, "price"),
        Dec(o, "qty"),
        Dec(o, "cumExecQty"),
        Dec(o, "avgPrice"),
        Str(o, "orderStatus"),
        o.TryGetProperty("rejectReason", out var reason) ? reason.GetString() ?? "" : "",
        Dec(o, "triggerPrice"),
        o.TryGetProperty("triggerDirection", out var direction) && direction.TryGetInt32(out var d) ? d : 0,
        o.TryGetProperty("reduceOnly", out var reduce) && reduce.ValueKind == JsonValueKind.True,
        Time(o, "updatedTime"));

    public static BybitPosition Position(JsonElement p) => new(Str(p, "symbol"), Str(p, "side"), Dec(p, "size"), Dec(p, p.TryGetProperty("avgPrice", out _) ? "avgPrice" : "entryPrice"));

    public static BybitExecution Execution(JsonElement e) => new(
        Str(e, "execId"),
        Str(e, "orderId"),
        Str(e, "orderLinkId"),
        Str(e, "symbol"),
        Side(e, "side"),
        Dec(e, "execPrice"),
        Dec(e, "execQty"),
        Dec(e, "execFee"),
        Str(e, "execType"),
        Field(e, "isMaker", "an execution").ValueKind == JsonValueKind.True,
        Time(e, "execTime"),
        Dec(e, "orderQty"),
        Dec(e, "leavesQty"),
        Dec(e, "orderPrice"),
        Str(e, "orderType"));

    public static JsonElement Field(JsonElement row, string name, string where) =>
        row.ValueKind == JsonValueKind.Object && row.TryGetProperty(name, out var value) ? value : throw new BybitMalformedBody($"{where} has no '{name}'");

    public static JsonElement Object(JsonElement element, string where) =>
        element.ValueKind == JsonValueKind.Object ? element : throw new BybitMalformedBody($"{where} is not an object");

    public static JsonElement Array(JsonElement element, string where) =>
        element.ValueKind == JsonValueKind.Array ? element : throw new BybitMalformedBody($"{where} is not an array");

    public static string Str(JsonElement row, string name) =>
        Field(row, name, "a record") is { ValueKind: JsonValueKind.String } value ? value.GetString()! : throw new BybitMalformedBody($"'{name}' is not a string");

    public static decimal Dec(JsonElement row, string name)
    {
        var text = Str(row, name);
        return text.Length == 0 ? 0m
            : decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value
            : throw new BybitMalformedBody($"'{name}' is not a number: '{text}'");
    }

    /// <summary>A number the venue writes as a string, read exactly: never empty, never rounded.</summary>
    public static decimal Exact(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String
        && decimal.TryParse(value.GetString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new BybitMalformedBody($"'{name}' is not a decimal string: {value.GetRawText()}");

    /// <summary>A time in milliseconds the venue writes as a string of digits.</summary>
    public static long Whole(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new BybitMalformedBody($"'{name}' is not a string of digits: {value.GetRawText()}");

    /// <summary>A decimal field some versions of an answer lack: 0 when absent.</summary>
    public static decimal OptionalDec(JsonElement row, string name) => row.TryGetProperty(name, out _) ? Dec(row, name) : 0m;

    public static long Long(JsonElement row, string name, string where = "a record")
    {
        var value = Field(row, name, where);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number
            : value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed
            : throw new BybitMalformedBody($"'{name}' is not a whole number");
    }

    public static DateTimeOffset Time(JsonElement row, string name) => DateTimeOffset.FromUnixTimeMilliseconds(Long(row, name));

    private static OrderSide Side(JsonElement row, string name) => Str(row, name) switch
    {
        "Buy" => OrderSide.Buy,
        "Sell" => OrderSide.Sell,
        var other => throw new BybitMalformedBody($"'{name}' is '{other}', expected Buy or Sell"),
    };

    private static BybitPage<T> Page<T>(JsonElement result, Func<JsonElement, T> read)
    {
        var list = new List<T>();
        foreach (var row in Array(Field(result, "list", "result"), "result.list").EnumerateArray())
        {
            list.Add(read(row));
        }

        var cursor = result.TryGetProperty("nextPageCursor", out var next) ? next.GetString() : null;
        return new BybitPage<T>(list, string.IsNullOrEmpty(cursor) ? null : cursor);
    }
}
