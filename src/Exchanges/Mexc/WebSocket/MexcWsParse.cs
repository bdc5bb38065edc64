using System.Globalization;
using System.Text.Json;

namespace StrategyLab.Exchanges.Mexc.WebSocket;

/// <summary>A kline push: window start (Unix seconds), prices, volume in contracts.</summary>
internal sealed record MexcKlinePush(string Symbol, string Interval, long Time, decimal Open, decimal High, decimal Low, decimal Close, decimal Vol);

/// <summary>
/// Reads MEXC websocket pushes (https://www.mexc.com/api-docs/futures/websocket-api): <c>{"channel":…,"data":…}</c>.
/// <c>push.kline</c> carries <c>t</c> (window start, seconds), <c>o h l c</c>, <c>q</c> (volume, contracts) and
/// <c>interval</c>; it says nothing of whether the window has closed.
/// </summary>
internal static class MexcWsParse
{
    public static string? Channel(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.TryGetProperty("channel", out var channel) ? channel.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static MexcKlinePush? Kline(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (!root.TryGetProperty("channel", out var channel) || channel.GetString() != "push.kline" || !root.TryGetProperty("data", out var d))
            {
                return null;
            }

            return new MexcKlinePush(
                d.GetProperty("symbol").GetString() ?? "",
                d.GetProperty("interval").GetString() ?? "",
                d.GetProperty("t").GetInt64(),
                Dec(d.GetProperty("o")),
                Dec(d.GetProperty("h")),
                Dec(d.GetProperty("l")),
                Dec(d.GetProperty("c")),
                Dec(d.GetProperty("q")));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The data element of a push on <paramref name="channel"/>, or null.</summary>
    public static JsonElement? Data(string text, string channel)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            return root.TryGetProperty("channel", out var c) && c.GetString() == channel && root.TryGetProperty("data", out var d) ? d.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static decimal Dec(JsonElement v) =>
        v.ValueKind == JsonValueKind.String ? decimal.Parse(v.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture) : v.GetDecimal();
}
