using System.Globalization;
using System.Text.Json;

namespace StrategyLab.Exchanges.Mexc.Http;

/// <summary>
/// Reads MEXC contract answers at the boundary: the <c>{"success","code","message","data"}</c> envelope
/// (https://mexcdevelop.github.io/apidocs/contract_v1_en, "general data structures") and each endpoint's data.
/// Numbers may come as JSON numbers or strings; ids are kept as text. A body of another shape throws
/// <see cref="MexcMalformedBody"/>.
/// </summary>
internal static class MexcParse
{
    /// <summary>The envelope: whether it succeeded, the code, the message, and the data element (cloned).</summary>
    public static (bool Success, int Code, string Message, JsonElement Data) Envelope(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("success", out var success))
            {
                throw new MexcMalformedBody("no success field");
            }

            var code = root.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : 0;
            var message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
            var data = root.TryGetProperty("data", out var d) ? d.Clone() : default;
            return (success.ValueKind == JsonValueKind.True, code, message, data);
        }
        catch (JsonException e)
        {
            throw new MexcMalformedBody($"not JSON ({e.Message})");
        }
    }

    public static long ServerTime(JsonElement data) => Long(data);

    public static IReadOnlyList<MexcContract> Contracts(JsonElement data) =>
        data.ValueKind == JsonValueKind.Array ? [.. data.EnumerateArray().Select(Contract)] : [Contract(data)];

    public static MexcContract Contract(JsonElement c) => new(
        Str(c, "symbol"),
        Str(c, "baseCoin"),
        Str(c, "settleCoin"),
        Dec(c, "contractSize"),
        Dec(c, "priceUnit"),
        Dec(c, "volUnit"),
        Dec(c, "minVol"),
        Dec(c, "maxVol"),
        (int)Dec(c, "minLeverage"),
        (int)Dec(c, "maxLeverage"),
        Dec(c, "makerFeeRate"),
        Dec(c, "takerFeeRate"),
        c.TryGetProperty("apiAllowed", out var a) && a.ValueKind == JsonValueKind.True,
        (int)Dec(c, "state"));

    /// <summary>Klines: the data is columnar (<c>time</c>, <c>open</c>, <c>close</c>, <c>high</c>, <c>low</c>, <c>vol</c> arrays).</summary>
    public static IReadOnlyList<MexcKline> Klines(JsonElement data)
    {
        var time = Column(data, "time");
        var (open, close, high, low, vol) = (Column(data, "open"), Column(data, "close"), Column(data, "high"), Column(data, "low"), Column(data, "vol"));
        if (new[] { open.Length, close.Length, high.Length, low.Length, vol.Length }.Any(n => n != time.Length))
        {
            throw new MexcMalformedBody("kline columns of different lengths");
        }

        return [.. Enumerable.Range(0, time.Length).Select(i => new MexcKline((long)time[i], open[i], high[i], low[i], close[i], vol[i]))];
    }

    /// <summary>
    /// Klines for history: the columnar <c>time</c>, <c>open</c>, <c>high</c>, <c>low</c>, <c>close</c>, <c>vol</c> and
    /// <c>amount</c> arrays of equal length, every number read exactly from its text (MEXC writes some as 6.106243567181e7).
    /// </summary>
    public static IReadOnlyList<MexcHistoryKline> HistoryKlines(JsonElement data)
    {
        var time = List(Prop(data, "time")).Select(t => Whole(t, "time")).ToArray();
        string[] names = ["open", "high", "low", "close", "vol", "amount"];
        var columns = names.Select(n => List(Prop(data, n)).Select(v => Exact(v, n)).ToArray()).ToArray();
        if (columns.Any(c => c.Length != time.Length))
        {
            throw new MexcMalformedBody("kline columns of different lengths");
        }

        return [.. time.Select((t, i) => new MexcHistoryKline(t, columns[0][i], columns[1][i], columns[2][i], columns[3][i], columns[4][i], columns[5][i]))];
    }

    /// <summary>A page of <c>GET /api/v1/contract/funding_rate/history</c>: its records, newest first, and the number of pages.</summary>
    public static MexcPage<MexcFundingRate> FundingRateHistory(JsonElement data) => new(
        [.. List(Prop(data, "resultList")).Select(f => new MexcFundingRate(Str(f, "symbol"), Exact(Prop(f, "fundingRate"), "fundingRate"), Whole(Prop(f, "settleTime"), "settleTime")))],
        (int)Whole(Prop(data, "totalPage"), "totalPage"),
        (int)Whole(Prop(data, "currentPage"), "currentPage"));

    public static string OrderId(JsonElement data) => Text(data);

    public static MexcOrder Order(JsonElement o) => new(
        Text(Prop(o, "orderId")),
        Str(o, "symbol"),
        Dec(o, "price"),
        Dec(o, "vol"),
        (int)Dec(o, "side"),
        (int)Dec(o, "orderType"),
        Dec(o, "dealAvgPrice"),
        Dec(o, "dealVol"),
        (int)Dec(o, "state"),
        o.TryGetProperty("externalOid", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : "",
        o.TryGetProperty("errorCode", out var ec) ? (int)Dec(ec) : 0,
        Long(Prop(o, "updateTime")));

    public static IReadOnlyList<MexcOrder> Orders(JsonElement data) => [.. List(data).Select(Order)];

    public static MexcPlanOrder PlanOrder(JsonElement p) => new(
        Text(Prop(p, "id")),
        Str(p, "symbol"),
        (int)Dec(p, "side"),
        Dec(p, "vol"),
        Dec(p, "triggerPrice"),
        (int)Dec(p, "state"),
        p.TryGetProperty("orderId", out var id) && id.ValueKind is JsonValueKind.String or JsonValueKind.Number && Text(id) is not ("" or "0") ? Text(id) : null,
        p.TryGetProperty("errorCode", out var ec) ? (int)Dec(ec) : 0,
        Long(Prop(p, "updateTime")));

    public static IReadOnlyList<MexcPlanOrder> PlanOrders(JsonElement data) => [.. List(data).Select(PlanOrder)];

    public static IReadOnlyList<MexcPosition> Positions(JsonElement data) =>
        [.. List(data).Select(p => new MexcPosition(
            Long(Prop(p, "positionId")), Str(p, "symbol"), (int)Dec(p, "positionType"), Dec(p, "holdVol"), Dec(p, "holdAvgPrice"), (int)Dec(p, "leverage"), Long(Prop(p, "createTime"))))];

    public static IReadOnlyList<MexcAsset> Assets(JsonElement data) =>
        [.. List(data).Select(a => new MexcAsset(
            Str(a, "currency"), Dec(a, "equity"), Dec(a, "cashBalance"), Dec(a, "availableBalance"), Dec(a, "positionMargin"), Dec(a, "frozenBalance"), Dec(a, "unrealized")))];

    public static IReadOnlyList<MexcDeal> Deals(JsonElement data) =>
        [.. List(data).Select(d => new MexcDeal(
            Text(Prop(d, "id")), Str(d, "symbol"), (int)Dec(d, "side"), Dec(d, "vol"), Dec(d, "price"), Dec(d, "fee"), Str(d, "feeCurrency"),
            d.TryGetProperty("isTaker", out var t) && t.ValueKind == JsonValueKind.True, Text(Prop(d, "orderId")), Long(Prop(d, "timestamp"))))];

    public static MexcPage<MexcFunding> FundingRecords(JsonElement data) => new(
        [.. List(Prop(data, "resultList")).Select(f => new MexcFunding(
            Long(Prop(f, "id")), Str(f, "symbol"), (int)Dec(f, "positionType"), Dec(f, "positionValue"), Dec(f, "funding"), Dec(f, "rate"), Long(Prop(f, "settleTime"))))],
        (int)Dec(data, "totalPage"),
        (int)Dec(data, "currentPage"));

    /// <summary>The per-order results of a cancel: (orderId, errorCode, errorMsg).</summary>
    public static IReadOnlyList<(string OrderId, int ErrorCode, string ErrorMessage)> CancelResults(JsonElement data) =>
        [.. List(data).Select(r => (Text(Prop(r, "orderId")), (int)Dec(r, "errorCode"), r.TryGetProperty("errorMsg", out var m) ? m.GetString() ?? "" : ""))];

    public static int PositionMode(JsonElement data) => (int)Dec(data);

    private static IEnumerable<JsonElement> List(JsonElement data) => data.ValueKind switch
    {
        JsonValueKind.Array => data.EnumerateArray(),
        JsonValueKind.Null or JsonValueKind.Undefined => [],
        _ => throw new MexcMalformedBody($"expected a list, found {data.ValueKind}"),
    };

    private static decimal[] Column(JsonElement data, string name) => [.. List(Prop(data, name)).Select(Dec)];

    private static JsonElement Prop(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var value) ? value : throw new MexcMalformedBody($"no {name} field");

    private static string Str(JsonElement o, string name) => Prop(o, name).GetString() ?? throw new MexcMalformedBody($"{name} is null");

    private static decimal Dec(JsonElement o, string name) => Dec(Prop(o, name));

    private static decimal Dec(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => v.TryGetDecimal(out var d) ? d : (decimal)v.GetDouble(),
        JsonValueKind.String when decimal.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => throw new MexcMalformedBody($"expected a number, found {v.ValueKind}"),
    };

    private static long Long(JsonElement v) => (long)Dec(v);

    // a JSON number read from its text: never through a double
    private static decimal Exact(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.Number && decimal.TryParse(v.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw new MexcMalformedBody($"{name} is not a number: {v.GetRawText()}");

    private static long Whole(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.Number && long.TryParse(v.GetRawText(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new MexcMalformedBody($"{name} is not a whole number: {v.GetRawText()}");

    private static string Text(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Number => v.GetRawText(),
        _ => throw new MexcMalformedBody($"expected an id, found {v.ValueKind}"),
    };
}
