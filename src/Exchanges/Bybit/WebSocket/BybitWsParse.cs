using System.Globalization;
using System.Text.Json;
using StrategyLab.Exchanges.Bybit.Http;

namespace StrategyLab.Exchanges.Bybit.WebSocket;

/// <summary>
/// Reads Bybit v5 topic messages: <c>kline.{interval}.{symbol}</c>
/// (https://bybit-exchange.github.io/docs/v5/websocket/public/kline) and the private <c>order</c>, <c>execution</c>,
/// <c>position</c> and <c>wallet</c> topics (https://bybit-exchange.github.io/docs/v5/websocket/private/order and its
/// neighbours). Each carries a <c>data</c> array.
/// </summary>
internal static class BybitWsParse
{
    /// <summary>The latest closed (<c>confirm: true</c>) kline of a message on <paramref name="topic"/>, or null.</summary>
    public static BybitKline? ClosedKline(string text, string topic)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        if (!root.TryGetProperty("topic", out var t) || t.GetString() != topic)
        {
            return null;
        }

        BybitKline? latest = null;
        foreach (var k in BybitParse.Array(BybitParse.Field(root, "data", "a kline message"), "data").EnumerateArray())
        {
            if (BybitParse.Field(k, "confirm", "a kline").ValueKind != JsonValueKind.True)
            {
                continue;
            }

            var start = BybitParse.Long(k, "start");
            if (latest is null || start > latest.Start)
            {
                latest = new BybitKline(start, BybitParse.Str(k, "open"), BybitParse.Str(k, "high"), BybitParse.Str(k, "low"), BybitParse.Str(k, "close"), BybitParse.Str(k, "volume"));
            }
        }

        return latest;
    }

    /// <summary>The topic of a private message and its data rows, read by the caller.</summary>
    public static (string Topic, long Time, IReadOnlyList<JsonElement> Rows) Private(JsonDocument document)
    {
        var root = document.RootElement;
        var topic = BybitParse.Str(root, "topic");
        var time = root.TryGetProperty("creationTime", out _) ? BybitParse.Long(root, "creationTime") : 0L;
        return (topic, time, [.. BybitParse.Array(BybitParse.Field(root, "data", "a private message"), "data").EnumerateArray()]);
    }

    /// <summary>The wallet topic's coins: (coin, wallet balance).</summary>
    public static IEnumerable<(string Coin, decimal WalletBalance)> WalletCoins(JsonElement account) =>
        BybitParse.Array(BybitParse.Field(account, "coin", "a wallet update"), "coin").EnumerateArray()
            .Select(c => (BybitParse.Str(c, "coin"), BybitParse.Dec(c, "walletBalance")));

    public static DateTimeOffset UpdatedOr(JsonElement row, long fallback) =>
        DateTimeOffset.FromUnixTimeMilliseconds(row.TryGetProperty("updatedTime", out var u) && long.TryParse(u.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : fallback);
}
