using StrategyLab.Exchanges.Binance.Common;
using StrategyLab.Exchanges.Binance.Http;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Exchanges.Tests.Binance.Http;

public sealed class BinanceFuturesParseTests
{
    private static byte[] Fixture(string name) =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "binance", name));

    private static DateTimeOffset Ms(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    [Fact]
    public void ReadsTheDocumentedExchangeInformationWithItsFiltersAndLimits()
    {
        var info = BinanceFuturesParse.ExchangeInfo(Fixture("http_get_exchange_info.json"));

        Assert.Equal(
            [new BinanceRateLimit("REQUEST_WEIGHT", TimeSpan.FromMinutes(1), 2400), new BinanceRateLimit("ORDERS", TimeSpan.FromMinutes(1), 1200)],
            info.RateLimits);
        var symbol = Assert.Single(info.Symbols);
        Assert.Equal(("BLZUSDT", "TRADING", "PERPETUAL", "BLZ", "USDT", "USDT"), (symbol.Symbol, symbol.Status, symbol.ContractType, symbol.BaseAsset, symbol.QuoteAsset, symbol.MarginAsset));
        Assert.Equal((0.0001m, 0.0001m, 300m), (symbol.TickSize, symbol.MinPrice, symbol.MaxPrice));
        Assert.Equal((1m, 1m, 10000000m), (symbol.StepSize, symbol.MinQuantity, symbol.MaxQuantity));
        Assert.Equal((1m, 1m, 590119m), (symbol.MarketStepSize, symbol.MarketMinQuantity, symbol.MarketMaxQuantity));
        Assert.Equal(5.0m, symbol.MinNotional);
        Assert.Contains("GTX", symbol.TimeInForce);
        Assert.Contains("STOP_MARKET", symbol.OrderTypes);
    }

    [Fact]
    public void ReadsAnOrderOfTheWebSocketNewOrderPage()
    {
        var order = BinanceFuturesParse.Order(Fixture("order_limit_gtc.json"));

        Assert.Equal(
            new BinanceOrder("BTCUSDT", 325078477, "iCXL1BywlBaf2sesNUrVl3", OrderSide.Buy, OrderType.Limit, TimeInForce.GoodTillCancel, OrderStatus.New, 0.100m, 0.000m, 43187.00m, 0.00m, 0.00m, false, Ms(1702555534435)),
            order);
    }

    [Theory]
    [InlineData("http_post_order_trailing_stop.json")]
    [InlineData("http_delete_order.json")]
    [InlineData("http_get_order.json")]
    public void RefusesTheDocumentedTrailingStopExamplesAsNotTraded(string fixture)
    {
        // the pages' own examples are TRAILING_STOP_MARKET orders, which the runtime has no type for
        var e = Assert.Throws<UnsupportedVenueValueException>(() => BinanceFuturesParse.Order(Fixture(fixture)));
        Assert.Equal("order type TRAILING_STOP_MARKET is not traded by StrategyLab", e.Message);
    }

    [Fact]
    public void ListsOpenOrdersOfTypesItDoesNotTradeApart()
    {
        var (orders, skipped) = BinanceFuturesParse.Orders(Fixture("http_get_open_orders.json"));

        Assert.Empty(orders);
        Assert.Equal(["BTCUSDT order 1917641: order type TRAILING_STOP_MARKET is not traded by StrategyLab"], skipped);
    }

    [Fact]
    public void ReadsPositionsOfPositionRiskV3()
    {
        var position = Assert.Single(BinanceFuturesParse.Positions(Fixture("http_get_position_risk_v3.json")));

        Assert.Equal(new BinancePosition("ADAUSDT", "BOTH", 30m, 0.385m, 0.41047590m, 0.76427700m, Ms(1720736417660)), position);
    }

    [Fact]
    public void ReadsBalancesOfBalanceV3()
    {
        var balance = Assert.Single(BinanceFuturesParse.Balances(Fixture("http_get_balance_v3.json")));

        Assert.Equal(new BinanceBalance("USDT", 122607.35137903m, 23.72469206m, Ms(1617939110373)), balance);
    }

    [Fact]
    public void ReadsAccountTrades()
    {
        var trade = Assert.Single(BinanceFuturesParse.UserTrades(Fixture("http_get_user_trades.json")));

        Assert.Equal(
            new BinanceUserTrade(698759, 25851813, "BTCUSDT", OrderSide.Sell, 7819.01m, 0.002m, -0.07819010m, "USDT", false, -0.91539999m, Ms(1569514978020)),
            trade);
    }

    [Fact]
    public void ReadsIncomeHistory()
    {
        var income = BinanceFuturesParse.Income(Fixture("http_get_income.json"));

        Assert.Equal(
            [
                new BinanceIncome("", "TRANSFER", -0.375m, "USDT", Ms(1570608000000), 9689322392, ""),
                new BinanceIncome("BTCUSDT", "COMMISSION", -0.01m, "USDT", Ms(1570636800000), 9689322392, "2059192"),
            ],
            income);
    }

    [Fact]
    public void ReadsLeverageMarginTypeAndPositionModeAnswers()
    {
        Assert.Equal(new BinanceLeverage("BTCUSDT", 21, 1000000m), BinanceFuturesParse.Leverage(Fixture("http_post_leverage.json")));
        BinanceFuturesParse.Success(Fixture("http_post_margin_type.json"));
        BinanceFuturesParse.Success(Fixture("http_post_position_side_dual.json"));
    }

    [Fact]
    public void ReadsListenKeys()
    {
        Assert.Equal("pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1", BinanceFuturesParse.ListenKey(Fixture("http_post_listen_key.json")));
        Assert.Equal("3HBntNTepshgEdjIwSUIBgB9keLyOCg5qv3n6bYAtktG8ejcaW5HXz9Vx1JgIieg", BinanceFuturesParse.ListenKey(Fixture("http_put_listen_key.json")));
    }

    [Theory]
    [InlineData("http_error_post_only_rejected.json", -5022)]
    [InlineData("http_error_invalid_timestamp.json", -1021)]
    [InlineData("http_error_no_such_order.json", -2013)]
    public void ReadsErrorPayloads(string fixture, int code) =>
        Assert.Equal(code, BinanceHttpParse.Error(Fixture(fixture))!.Code);

    [Fact]
    public void NamesTheFieldOfAMalformedOrder()
    {
        var body = System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "binance", "order_limit_gtc.json"))
            .Replace("\"executedQty\": \"0.000\"", "\"executedQty\": \"lots\"", StringComparison.Ordinal));

        var e = Assert.Throws<MalformedBodyException>(() => BinanceFuturesParse.Order(body));
        Assert.Equal("the order field 'executedQty' is 'lots', expected a decimal number", e.Message);
    }

    [Theory]
    [InlineData("NEW", OrderStatus.New)]
    [InlineData("PARTIALLY_FILLED", OrderStatus.PartiallyFilled)]
    [InlineData("FILLED", OrderStatus.Filled)]
    [InlineData("CANCELED", OrderStatus.Canceled)]
    [InlineData("REJECTED", OrderStatus.Rejected)]
    [InlineData("EXPIRED", OrderStatus.Expired)]
    [InlineData("EXPIRED_IN_MATCH", OrderStatus.Expired)]
    public void MapsEveryDocumentedOrderStatus(string venue, OrderStatus status) => Assert.Equal(status, BinanceEnums.Status(venue));

    [Fact]
    public void RefusesAnUndocumentedOrderStatus() =>
        Assert.Throws<MalformedBodyException>(() => BinanceEnums.Status("PENDING_NEW"));
}
