using System.Globalization;
using System.Text.Json;

namespace StrategyLab.Exchanges.Binance.Http;

/// <summary>
/// Reads fields of a Binance answer, throwing <see cref="MalformedBodyException"/> that names the field when one is
/// missing or of another kind. Decimals arrive as strings (<c>"0.001"</c>), times as Unix milliseconds (a number, or a
/// numeric string in some payloads); they become <see cref="decimal"/> and <see cref="DateTimeOffset"/> here.
/// </summary>
internal static class BinanceJson
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 16 };

    public static JsonDocument Open(ReadOnlySpan<byte> body)
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

    public static JsonElement Object(JsonElement element, string where) =>
        element.ValueKind == JsonValueKind.Object ? element : throw new MalformedBodyException($"{where} is {Kind(element)}, expected an object");

    public static JsonElement Array(JsonElement element, string where) =>
        element.ValueKind == JsonValueKind.Array ? element : throw new MalformedBodyException($"{where} is {Kind(element)}, expected an array");

    public static JsonElement Field(JsonElement row, string name, string where) =>
        row.TryGetProperty(name, out var value) ? value : throw new MalformedBodyException($"{where} has no '{name}'");

    public static string String(JsonElement row, string name, string where)
    {
        var value = Field(row, name, where);
        return value.ValueKind == JsonValueKind.String
            ? value.GetString() ?? ""
            : throw new MalformedBodyException($"{where} field '{name}' is {Kind(value)}, expected a string");
    }

    public static decimal Decimal(JsonElement row, string name, string where)
    {
        var value = Field(row, name, where);
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() ?? "",
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new MalformedBodyException($"{where} field '{name}' is {Kind(value)}, expected a decimal number"),
        };
        return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new MalformedBodyException($"{where} field '{name}' is '{Clip(text)}', expected a decimal number");
    }

    public static long Long(JsonElement row, string name, string where)
    {
        var value = Field(row, name, where);
        var text = value.ValueKind switch
        {
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.String => value.GetString() ?? "",
            _ => throw new MalformedBodyException($"{where} field '{name}' is {Kind(value)}, expected a whole number"),
        };
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new MalformedBodyException($"{where} field '{name}' is '{Clip(text)}', expected a whole number");
    }

    public static int Int(JsonElement row, string name, string where)
    {
        var number = Long(row, name, where);
        return number is >= int.MinValue and <= int.MaxValue ? (int)number : throw new MalformedBodyException($"{where} field '{name}' is out of range");
    }

    public static bool Bool(JsonElement row, string name, string where)
    {
        var value = Field(row, name, where);
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new MalformedBodyException($"{where} field '{name}' is {Kind(value)}, expected true or false"),
        };
    }

    public static DateTimeOffset Time(JsonElement row, string name, string where)
    {
        var ms = Long(row, name, where);
        return ms >= 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : throw new MalformedBodyException($"{where} field '{name}' is a negative time");
    }

    public static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Clip(string text) => (text.Length <= 40 ? text : text[..40] + "…").ReplaceLineEndings(" ");
}
