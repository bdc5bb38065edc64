using System.Text.Json;
using StrategyLab.Exchanges.Binance.Common;
using static StrategyLab.Exchanges.Binance.Http.BinanceJson;

namespace StrategyLab.Exchanges.Binance.Http;

/// <summary>
/// Parsers for the signed USDⓈ-M endpoints, shapes as on the pages listed in
/// tests/Exchanges.Tests/TestData/binance/README.md (recorded there as fixtures). Venue enums become runtime enums,
/// decimal strings decimals and milliseconds times here; anything else is a <see cref="MalformedBodyException"/>.
/// </summary>
internal static class BinanceFuturesParse
{
    public static BinanceExchangeInfo ExchangeInfo(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var root = Object(document.RootElement, "the exchange information");
        var limits = new List<BinanceRateLimit>();
        foreach (var limit in Array(Field(root, "rateLimits", "the exchange information"), "rateLimits").EnumerateArray())
        {
            const string where = "a rate limit";
            var unit = String(limit, "interval", where) switch
            {
                "SECOND" => TimeSpan.FromSeconds(1),
                "MINUTE" => TimeSpan.FromMinutes(1),
                "HOUR" => TimeSpan.FromHours(1),
                "DAY" => TimeSpan.FromDays(1),
                var other => throw new MalformedBodyException($"a rate limit has interval '{other}'"),
            };
            limits.Add(new BinanceRateLimit(String(limit, "rateLimitType", where), unit * Int(limit, "intervalNum", where), Int(limit, "limit", where)));
        }

        var symbols = new List<BinanceSymbol>();
        foreach (var symbol in Array(Field(root, "symbols", "the exchange information"), "symbols").EnumerateArray())
        {
            symbols.Add(Symbol(symbol));
        }

        return new BinanceExchangeInfo(limits, symbols);
    }

    public static BinanceOrder Order(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        return Order(Object(document.RootElement, "the order"), "the order");
    }

    /// <summary>Open orders; those of a type or time in force StrategyLab does not trade (placed by hand) are listed apart.</summary>
    public static (IReadOnlyList<BinanceOrder> Orders, IReadOnlyList<string> Skipped) Orders(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var orders = new List<BinanceOrder>();
        var skipped = new List<string>();
        var index = 0;
        foreach (var row in Array(document.RootElement, "the open orders").EnumerateArray())
        {
            index++;
            try
            {
                orders.Add(Order(Object(row, $"open order {index}"), $"open order {index}"));
            }
            catch (UnsupportedVenueValueException e)
            {
                skipped.Add($"{String(row, "symbol", "an open order")} order {Long(row, "orderId", "an open order")}: {e.Message}");
            }
        }

        return (orders, skipped);
    }

    public static IReadOnlyList<BinancePosition> Positions(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var result = new List<BinancePosition>();
        foreach (var row in Array(document.RootElement, "the positions").EnumerateArray())
        {
            const string where = "a position";
            result.Add(new BinancePosition(
                String(row, "symbol", where),
                String(row, "positionSide", where),
                Decimal(row, "positionAmt", where),
                Decimal(row, "entryPrice", where),
                Decimal(row, "markPrice", where),
                Decimal(row, "unRealizedProfit", where),
                Time(row, "updateTime", where)));
        }

        return result;
    }

    public static IReadOnlyList<BinanceBalance> Balances(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var result = new List<BinanceBalance>();
        foreach (var row in Array(document.RootElement, "the balances").EnumerateArray())
        {
            const string where = "a balance";
            result.Add(new BinanceBalance(
                String(row, "asset", where), Decimal(row, "balance", where), Decimal(row, "availableBalance", where), Time(row, "updateTime", where)));
        }

        return result;
    }

    public static IReadOnlyList<BinanceUserTrade> UserTrades(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var result = new List<BinanceUserTrade>();
        foreach (var row in Array(document.RootElement, "the trades").EnumerateArray())
        {
            const string where = "a trade";
            result.Add(new BinanceUserTrade(
                Long(row, "id", where),
                Long(row, "orderId", where),
                String(row, "symbol", where),
                BinanceEnums.Side(String(row, "side", where)),
                Decimal(row, "price", where),
                Decimal(row, "qty", where),
                Decimal(row, "commission", where),
                String(row, "commissionAsset", where),
                Bool(row, "maker", where),
                Decimal(row, "realizedPnl", where),
                Time(row, "time", where)));
        }

        return result;
    }

    public static IReadOnlyList<BinanceIncome> Income(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var result = new List<BinanceIncome>();
        foreach (var row in Array(document.RootElement, "the income history").EnumerateArray())
        {
            const string where = "an income record";
            result.Add(new BinanceIncome(
                String(row, "symbol", where),
                String(row, "incomeType", where),
                Decimal(row, "income", where),
                String(row, "asset", where),
                Time(row, "time", where),
                Long(row, "tranId", where),
                String(row, "tradeId", where)));
        }

        return result;
    }

    public static BinanceLeverage Leverage(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var root = Object(document.RootElement, "the leverage answer");
        return new BinanceLeverage(String(root, "symbol", "the leverage answer"), Int(root, "leverage", "the leverage answer"), Decimal(root, "maxNotionalValue", "the leverage answer"));
    }

    /// <summary>The <c>{"code": 200, "msg": "success"}</c> of margin-type and position-mode changes.</summary>
    public static void Success(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var root = Object(document.RootElement, "the answer");
        if (Int(root, "code", "the answer") != 200)
        {
            throw new MalformedBodyException($"the answer has code {Int(root, "code", "the answer")}, expected 200");
        }
    }

    public static string ListenKey(ReadOnlySpan<byte> body)
    {
        using var document = Open(body);
        var key = String(Object(document.RootElement, "the listen key answer"), "listenKey", "the listen key answer");
        return key.Length > 0 ? key : throw new MalformedBodyException("the listen key is empty");
    }

    private static BinanceSymbol Symbol(JsonElement row)
    {
        var name = String(row, "symbol", "a symbol");
        var where = $"symbol {name}";
        decimal tick = 0, minPrice = 0, maxPrice = 0, step = 0, minQty = 0, maxQty = 0, marketStep = 0, marketMin = 0, marketMax = 0, notional = 0;
        foreach (var filter in Array(Field(row, "filters", where), $"{where} filters").EnumerateArray())
        {
            var type = String(filter, "filterType", $"a filter of {where}");
            var at = $"{where} {type}";
            switch (type)
            {
                case "PRICE_FILTER":
                    (tick, minPrice, maxPrice) = (Decimal(filter, "tickSize", at), Decimal(filter, "minPrice", at), Decimal(filter, "maxPrice", at));
                    break;
                case "LOT_SIZE":
                    (step, minQty, maxQty) = (Decimal(filter, "stepSize", at), Decimal(filter, "minQty", at), Decimal(filter, "maxQty", at));
                    break;
                case "MARKET_LOT_SIZE":
                    (marketStep, marketMin, marketMax) = (Decimal(filter, "stepSize", at), Decimal(filter, "minQty", at), Decimal(filter, "maxQty", at));
                    break;
                case "MIN_NOTIONAL":
                    notional = Decimal(filter, "notional", at);
                    break;
            }
        }

        return new BinanceSymbol(
            name,
            String(row, "status", where),
            String(row, "contractType", where),
            String(row, "baseAsset", where),
            String(row, "quoteAsset", where),
            String(row, "marginAsset", where),
            tick,
            minPrice,
            maxPrice,
            step,
            minQty,
            maxQty,
            marketStep,
            marketMin,
            marketMax,
            notional,
            Strings(row, "OrderType", where),
            Strings(row, "timeInForce", where));
    }

    private static IReadOnlyList<string> Strings(JsonElement row, string name, string where) =>
        [.. Array(Field(row, name, where), $"{where} {name}").EnumerateArray().Select(v => v.GetString() ?? "")];

    private static BinanceOrder Order(JsonElement row, string where) =>
        new(
            String(row, "symbol", where),
            Long(row, "orderId", where),
            String(row, "clientOrderId", where),
            BinanceEnums.Side(String(row, "side", where)),
            BinanceEnums.Type(String(row, "type", where)),
            BinanceEnums.TimeInForce(String(row, "timeInForce", where)),
            BinanceEnums.Status(String(row, "status", where)),
            Decimal(row, "origQty", where),
            Decimal(row, "executedQty", where),
            Decimal(row, "price", where),
            Decimal(row, "avgPrice", where),
            Decimal(row, "stopPrice", where),
            Bool(row, "reduceOnly", where),
            Time(row, "updateTime", where));
}
