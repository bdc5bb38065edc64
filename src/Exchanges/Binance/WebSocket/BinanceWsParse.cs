using System.Text;
using System.Text.Json;
using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Binance.Http;
using static StrategyLab.Exchanges.Binance.Http.BinanceJson;

namespace StrategyLab.Exchanges.Binance.WebSocket;

/// <summary>
/// Parsers for stream payloads: the kline stream
/// (https://developers.binance.com/docs/zh-CN/derivatives/usds-margined-futures/websocket-market-streams/Kline-Candlestick-Streams)
/// and the user data stream events ORDER_TRADE_UPDATE, ACCOUNT_UPDATE and listenKeyExpired
/// (https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams). Anything malformed is a
/// <see cref="MalformedBodyException"/> naming the field.
/// </summary>
internal static class BinanceWsParse
{
    public static BinanceKlineEvent Kline(string text)
    {
        using var document = Open(Encoding.UTF8.GetBytes(text));
        var root = Object(document.RootElement, "the kline event");
        var type = String(root, "e", "the kline event");
        if (type != "kline")
        {
            throw new MalformedBodyException($"the kline stream sent a '{type}' event");
        }

        var k = Object(Field(root, "k", "the kline event"), "the kline");
        const string where = "the kline";
        return new BinanceKlineEvent(
            String(k, "s", where),
            String(k, "i", where),
            Long(k, "t", where),
            Long(k, "T", where),
            Decimal(k, "o", where),
            Decimal(k, "h", where),
            Decimal(k, "l", where),
            Decimal(k, "c", where),
            Decimal(k, "v", where),
            Bool(k, "x", where));
    }

    public static BinanceUserEvent UserEvent(string text)
    {
        using var document = Open(Encoding.UTF8.GetBytes(text));
        var root = Object(document.RootElement, "the user data event");
        var type = String(root, "e", "the user data event");
        var time = Time(root, "E", $"the {type} event");
        return type switch
        {
            "ORDER_TRADE_UPDATE" => OrderUpdate(root, time),
            "ACCOUNT_UPDATE" => AccountUpdate(root, time),
            "listenKeyExpired" => new BinanceListenKeyExpired(time),
            _ => new BinanceOtherEvent(time, type, ""),
        };
    }

    private static BinanceUserEvent OrderUpdate(JsonElement root, DateTimeOffset time)
    {
        var o = Object(Field(root, "o", "the ORDER_TRADE_UPDATE event"), "the order update");
        const string where = "the order update";
        Runtime.Execution.OrderType type;
        try
        {
            type = BinanceEnums.Type(String(o, "o", where));
        }
        catch (UnsupportedVenueValueException e)
        {
            return new BinanceOtherEvent(time, "ORDER_TRADE_UPDATE", $"{String(o, "s", where)} order {Long(o, "i", where)}: {e.Message}");
        }

        var isTrade = BinanceEnums.IsTrade(String(o, "x", where));

        // "N" and "n" are left out when there is no commission
        var commission = o.TryGetProperty("n", out _) ? Decimal(o, "n", where) : 0m;
        var asset = o.TryGetProperty("N", out _) ? String(o, "N", where) : "";
        return new BinanceOrderUpdate(
            time,
            String(o, "s", where),
            String(o, "c", where),
            Long(o, "i", where),
            BinanceEnums.Side(String(o, "S", where)),
            type,
            BinanceEnums.Status(String(o, "X", where)),
            Decimal(o, "q", where),
            Decimal(o, "p", where),
            Decimal(o, "ap", where),
            isTrade,
            Decimal(o, "l", where),
            Decimal(o, "z", where),
            Decimal(o, "L", where),
            commission,
            asset,
            Time(o, "T", where),
            Long(o, "t", where),
            Bool(o, "m", where),
            Bool(o, "R", where));
    }

    private static BinanceAccountUpdate AccountUpdate(JsonElement root, DateTimeOffset time)
    {
        var a = Object(Field(root, "a", "the ACCOUNT_UPDATE event"), "the account update");
        var balances = new List<BinanceBalanceChange>();
        foreach (var b in Array(Field(a, "B", "the account update"), "the balances").EnumerateArray())
        {
            const string where = "a balance of the account update";
            balances.Add(new BinanceBalanceChange(String(b, "a", where), Decimal(b, "wb", where), Decimal(b, "cw", where), Decimal(b, "bc", where)));
        }

        var positions = new List<BinancePositionChange>();
        if (a.TryGetProperty("P", out var list))
        {
            foreach (var p in Array(list, "the positions").EnumerateArray())
            {
                const string where = "a position of the account update";
                positions.Add(new BinancePositionChange(
                    String(p, "s", where), Decimal(p, "pa", where), Decimal(p, "ep", where), Decimal(p, "up", where), String(p, "mt", where), String(p, "ps", where)));
            }
        }

        return new BinanceAccountUpdate(time, String(a, "m", "the account update"), balances, positions);
    }
}
