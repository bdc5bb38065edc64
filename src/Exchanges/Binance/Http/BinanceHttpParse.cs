using System.Globalization;
using System.Text.Json;

namespace StrategyLab.Exchanges.Binance.Http;

/// <summary>
/// Parsers for the Binance USDⓈ-M futures market-data responses used for history. Shapes as documented on
/// https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Kline-Candlestick-Data,
/// .../Get-Funding-Rate-History, .../Open-Interest-Statistics, .../Check-Server-Time and the error payload on
/// https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code
/// (recorded under tests/Exchanges.Tests/TestData/binance/).
/// Times become <see cref="long"/> Unix milliseconds here; decimals are checked to be decimals but kept as the venue's text.
/// Anything else throws <see cref="MalformedBodyException"/> naming the row and field.
/// </summary>
internal static class BinanceHttpParse
{
    private const int KlineFieldCount = 12;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 8 };

    public static IReadOnlyList<BinanceKline> Klines(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var rows = ExpectArray(document.RootElement, "kline rows");
        var result = new List<BinanceKline>(rows.GetArrayLength());
        var index = 0;
        foreach (var row in rows.EnumerateArray())
        {
            index++;
            if (row.ValueKind != JsonValueKind.Array)
            {
                throw new MalformedBodyException($"kline row {index} is {Describe(row.ValueKind)}, expected an array");
            }

            if (row.GetArrayLength() != KlineFieldCount)
            {
                throw new MalformedBodyException($"kline row {index} has {row.GetArrayLength()} fields, expected {KlineFieldCount}");
            }

            var fields = new string[KlineFieldCount];
            var i = 0;
            foreach (var value in row.EnumerateArray())
            {
                fields[i] = i switch
                {
                    0 or 6 => Time(value, $"kline row {index} field {i + 1}"),
                    8 => Count(value, $"kline row {index} field {i + 1}"),
                    11 => Plain(value, $"kline row {index} field {i + 1}"),
                    _ => Decimal(value, $"kline row {index} field {i + 1}"),
                };
                i++;
            }

            var openTime = long.Parse(fields[0], CultureInfo.InvariantCulture);
            var closeTime = long.Parse(fields[6], CultureInfo.InvariantCulture);
            if (closeTime < openTime)
            {
                throw new MalformedBodyException($"kline row {index} closes at {closeTime}, before it opens at {openTime}");
            }

            if (result.Count > 0 && openTime <= result[^1].OpenTime)
            {
                throw new MalformedBodyException($"kline row {index} opens at {openTime}, not after the previous row ({result[^1].OpenTime})");
            }

            result.Add(new BinanceKline(openTime, closeTime, fields));
        }

        return result;
    }

    public static IReadOnlyList<BinanceFundingRate> FundingRates(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var rows = ExpectArray(document.RootElement, "funding rate records");
        var result = new List<BinanceFundingRate>(rows.GetArrayLength());
        var index = 0;
        foreach (var row in rows.EnumerateArray())
        {
            index++;
            var where = $"funding rate record {index}";
            ExpectObject(row, where);
            var time = long.Parse(Time(Required(row, "fundingTime", where), $"{where} fundingTime"), CultureInfo.InvariantCulture);
            var symbol = Symbol(Required(row, "symbol", where), $"{where} symbol");
            var rate = Decimal(Required(row, "fundingRate", where), $"{where} fundingRate");
            var mark = row.TryGetProperty("markPrice", out var markValue) && !IsEmpty(markValue)
                ? Decimal(markValue, $"{where} markPrice")
                : "";
            if (result.Count > 0 && time <= result[^1].FundingTime)
            {
                throw new MalformedBodyException($"{where} has fundingTime {time}, not after the previous record ({result[^1].FundingTime})");
            }

            result.Add(new BinanceFundingRate(time, symbol, rate, mark));
        }

        return result;
    }

    public static IReadOnlyList<BinanceOpenInterest> OpenInterest(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var rows = ExpectArray(document.RootElement, "open interest records");
        var result = new List<BinanceOpenInterest>(rows.GetArrayLength());
        var index = 0;
        foreach (var row in rows.EnumerateArray())
        {
            index++;
            var where = $"open interest record {index}";
            ExpectObject(row, where);
            var time = long.Parse(Time(Required(row, "timestamp", where), $"{where} timestamp"), CultureInfo.InvariantCulture);
            var symbol = Symbol(Required(row, "symbol", where), $"{where} symbol");
            var sum = Decimal(Required(row, "sumOpenInterest", where), $"{where} sumOpenInterest");
            var value = Decimal(Required(row, "sumOpenInterestValue", where), $"{where} sumOpenInterestValue");
            if (result.Count > 0 && time <= result[^1].Timestamp)
            {
                throw new MalformedBodyException($"{where} has timestamp {time}, not after the previous record ({result[^1].Timestamp})");
            }

            result.Add(new BinanceOpenInterest(time, symbol, sum, value));
        }

        return result;
    }

    /// <summary>Reads <c>GET /fapi/v1/time</c>, <c>{"serverTime": 1499827319559}</c>: the venue's time in Unix milliseconds.</summary>
    public static long ServerTime(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var root = document.RootElement;
        ExpectObject(root, "the server time answer");
        var value = Required(root, "serverTime", "the server time answer");
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw new MalformedBodyException($"serverTime is {Show(value)}, expected a time in milliseconds");
        }

        return long.Parse(Time(value, "serverTime"), CultureInfo.InvariantCulture);
    }

    /// <summary>Returns the venue's error code and message if <paramref name="body"/> is a Binance error payload, otherwise null.</summary>
    public static BinanceErrorBody? Error(ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray(), Options);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.Number && code.TryGetInt32(out var number)
                && root.TryGetProperty("msg", out var msg) && msg.ValueKind == JsonValueKind.String)
            {
                return new BinanceErrorBody(number, OneLine(msg.GetString() ?? ""));
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static JsonDocument Open(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            throw new MalformedBodyException("the body is empty");
        }

        try
        {
            return JsonDocument.Parse(body.ToArray(), Options);
        }
        catch (JsonException e)
        {
            var at = e.BytePositionInLine is { } position ? $" at byte {position}" : "";
            throw new MalformedBodyException($"the body is not valid JSON{at} ({body.Length} bytes)");
        }
    }

    private static JsonElement ExpectArray(JsonElement root, string what)
    {
        if (root.ValueKind == JsonValueKind.Array)
        {
            return root;
        }

        throw new MalformedBodyException($"expected an array of {what}, found {Describe(root.ValueKind)}");
    }

    private static void ExpectObject(JsonElement row, string where)
    {
        if (row.ValueKind != JsonValueKind.Object)
        {
            throw new MalformedBodyException($"{where} is {Describe(row.ValueKind)}, expected an object");
        }
    }

    private static JsonElement Required(JsonElement row, string name, string where) =>
        row.TryGetProperty(name, out var value) ? value : throw new MalformedBodyException($"{where} has no '{name}'");

    // Unix milliseconds; the venue sends a JSON number (klines, funding) or a numeric string (open interest on its documentation page)
    private static string Time(JsonElement value, string where)
    {
        var text = value.ValueKind switch
        {
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.String => value.GetString() ?? "",
            _ => throw new MalformedBodyException($"{where} is {Describe(value.ValueKind)}, expected a time in milliseconds"),
        };
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms < 0)
        {
            throw new MalformedBodyException($"{where} is '{Clip(text)}', expected a time in milliseconds");
        }

        return ms.ToString(CultureInfo.InvariantCulture);
    }

    private static string Count(JsonElement value, string where)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count) && count >= 0)
        {
            return value.GetRawText();
        }

        throw new MalformedBodyException($"{where} is {Show(value)}, expected a trade count");
    }

    private static string Decimal(JsonElement value, string where)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString() ?? "";
            if (text.Length > 0
                && decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _))
            {
                return text;
            }
        }

        throw new MalformedBodyException($"{where} is {Show(value)}, expected a decimal number in a string");
    }

    // a value the venue marks "ignore": any scalar, kept as sent, but it must not break the CSV row
    private static string Plain(JsonElement value, string where)
    {
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() ?? "",
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new MalformedBodyException($"{where} is {Describe(value.ValueKind)}, expected a string or a number"),
        };
        if (text.AsSpan().IndexOfAny(",\"\r\n") >= 0)
        {
            throw new MalformedBodyException($"{where} is '{Clip(text)}', which cannot be written to a CSV field as it is");
        }

        return text;
    }

    private static string Symbol(JsonElement value, string where)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";
        if (text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            return text;
        }

        throw new MalformedBodyException($"{where} is {Show(value)}, expected a symbol such as BTCUSDT");
    }

    private static bool IsEmpty(JsonElement value) =>
        value.ValueKind == JsonValueKind.Null || (value.ValueKind == JsonValueKind.String && value.GetString() is "");

    private static string Show(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"'{Clip(value.GetString() ?? "")}'",
        JsonValueKind.Number => Clip(value.GetRawText()),
        _ => Describe(value.ValueKind),
    };

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Clip(string text) => OneLine(text.Length <= 40 ? text : text[..40] + "…");

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
