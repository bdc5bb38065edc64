using StrategyLab.Exchanges.Binance.WebSocket;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Binance.WebSocket;

public sealed class BinanceWsParseTests
{
    private static string Fixture(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "binance", name));

    private static DateTimeOffset Ms(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    [Fact]
    public void ReadsTheDocumentedKlineEvent() =>
        Assert.Equal(
            new BinanceKlineEvent("BNBUSDT", "1m", 123400000, 123460000, 0.0010m, 0.0025m, 0.0015m, 0.0020m, 1000m, Closed: false),
            BinanceWsParse.Kline(Fixture("ws_kline.json")));

    [Fact]
    public void ReadsAnOrderUpdateOfATypeItDoesNotTradeAsAnotherEvent()
    {
        // the page's example is a TRAILING_STOP_MARKET order
        var other = Assert.IsType<BinanceOtherEvent>(BinanceWsParse.UserEvent(Fixture("ws_order_trade_update.json")));

        Assert.Equal(("ORDER_TRADE_UPDATE", Ms(1568879465651)), (other.Type, other.EventTime));
        Assert.Equal("BTCUSDT order 8886774: order type TRAILING_STOP_MARKET is not traded by StrategyLab", other.Detail);
    }

    [Fact]
    public void ReadsAnOrderUpdateOfALimitOrderWithItsFill()
    {
        var text = Fixture("ws_order_trade_update.json")
            .Replace("\"o\": \"TRAILING_STOP_MARKET\"", "\"o\": \"LIMIT\"", StringComparison.Ordinal)
            .Replace("\"x\": \"NEW\"", "\"x\": \"TRADE\"", StringComparison.Ordinal)
            .Replace("\"X\": \"NEW\"", "\"X\": \"PARTIALLY_FILLED\"", StringComparison.Ordinal);

        var update = Assert.IsType<BinanceOrderUpdate>(BinanceWsParse.UserEvent(text));

        Assert.Equal(
            new BinanceOrderUpdate(
                Ms(1568879465651), "BTCUSDT", "TEST", 8886774, OrderSide.Sell, OrderType.Limit, OrderStatus.PartiallyFilled, 0.001m, 0m, 0m,
                IsTrade: true, 0m, 0m, 0m, 0m, "USDT", Ms(1568879465650), 0, Maker: false, ReduceOnly: false),
            update);
    }

    [Fact]
    public void ReadsTheDocumentedAccountUpdate()
    {
        var update = Assert.IsType<BinanceAccountUpdate>(BinanceWsParse.UserEvent(Fixture("ws_account_update.json")));

        Assert.Equal((Ms(1564745798939), "ORDER"), (update.EventTime, update.Reason));
        Assert.Equal(
            [new BinanceBalanceChange("USDT", 122624.12345678m, 100.12345678m, 50.12345678m), new BinanceBalanceChange("BUSD", 1m, 0m, -49.12345678m)],
            update.Balances);
        Assert.Equal(
            [
                new BinancePositionChange("BTCUSDT", 0m, 0m, 0m, "isolated", "BOTH"),
                new BinancePositionChange("BTCUSDT", 20m, 6563.665m, 2850.212m, "isolated", "LONG"),
                new BinancePositionChange("BTCUSDT", -10m, 6563.86m, -1423.156m, "isolated", "SHORT"),
            ],
            update.Positions);
    }

    [Fact]
    public void ReadsListenKeyExpiredWithItsTimeAsAString() =>
        Assert.Equal(new BinanceListenKeyExpired(Ms(1736996475556)), BinanceWsParse.UserEvent(Fixture("ws_listen_key_expired.json")));
}
